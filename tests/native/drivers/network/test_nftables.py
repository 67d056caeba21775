"""The nftables ruleset's behaviour: CloudStack's firewall, egress, ACL and security group
semantics in the rendered rules, and edge cases the kernel must accept (`nft -c`)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from native.drivers.network.base import (
    AclRule,
    GuestNetwork,
    PortForward,
    PublicAddress,
    RouterConfig,
    SecurityGroupRules,
    TrafficRule,
)
from native.drivers.network.render import nftables
from tests.native.drivers.network.cases import EGRESS_DENY, EMPTY, ISOLATED, SECURITY_GROUPS, VPC
from tests.native.drivers.network.tools import nft_check


def _chain(ruleset: str, name: str) -> list[str]:
    """The rules of chain `name` (its hook line included), one string each."""
    match = re.search(rf"\tchain {name} {{\n(.*?)\n\t}}", ruleset, re.DOTALL)
    assert match is not None, f"no chain {name}"
    return [line.strip() for line in match.group(1).splitlines()]


def _checked(config: RouterConfig, tmp_path: Path) -> str:
    ruleset = nftables.render(config)
    path = tmp_path / "nftables.conf"
    path.write_text(ruleset)
    outcome = nft_check(path)
    assert outcome.ok, outcome.output
    return ruleset


def _with_firewall(*rules: TrafficRule) -> RouterConfig:
    public = PublicAddress(address="203.0.113.10", interface="pub0", firewall=rules)
    return dataclasses.replace(ISOLATED, public=(public,))


def test_ruleset_starts_by_flushing_and_is_deterministic() -> None:
    first = nftables.render(ISOLATED)
    assert first.startswith("flush ruleset\n")
    assert nftables.render(dataclasses.replace(ISOLATED)) == first


def test_empty_configuration_is_a_valid_closed_router(tmp_path: Path) -> None:
    ruleset = _checked(EMPTY, tmp_path)
    assert "policy drop" in _chain(ruleset, "input")[0]
    assert "policy drop" in _chain(ruleset, "forward")[0]
    assert "public_ingress" not in ruleset


def test_public_ip_traffic_is_dropped_unless_a_firewall_rule_allows_it() -> None:
    ruleset = nftables.render(ISOLATED)
    assert _chain(ruleset, "fw_203_0_113_12") == [
        "ip saddr 198.51.100.7 tcp dport 3306 accept",
        "icmp type 8 icmp code 0 accept",
        "drop",
    ]
    assert "203.0.113.12 : jump fw_203_0_113_12" in ruleset
    assert "priority dstnat - 10" in _chain(ruleset, "public_ingress")[0]


def test_vpc_public_ips_are_filtered_by_acls_not_firewall_rules() -> None:
    firewalled = PublicAddress(
        address="203.0.113.20",
        interface="pub0",
        source_nat=True,
        firewall=(TrafficRule(protocol="tcp", start_port=22, end_port=22),),
    )
    ruleset = nftables.render(dataclasses.replace(VPC, public=(firewalled,)))
    assert "public_ingress" not in ruleset
    assert "fw_" not in ruleset


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (TrafficRule(protocol="icmp", icmp_type=-1, icmp_code=-1), "meta l4proto icmp accept"),
        (TrafficRule(protocol="icmp"), "meta l4proto icmp accept"),
        (TrafficRule(protocol="icmp", icmp_type=3, icmp_code=-1), "icmp type 3 accept"),
        (TrafficRule(protocol="icmp", icmp_type=-1, icmp_code=4), "icmp code 4 accept"),
        (TrafficRule(protocol="tcp", start_port=1, end_port=65535), "tcp dport 1-65535 accept"),
        (TrafficRule(protocol="udp", start_port=53, end_port=53), "udp dport 53 accept"),
        (TrafficRule(protocol="udp"), "meta l4proto udp accept"),
        (TrafficRule(protocol="all", cidrs=("10.9.0.0/16",)), "ip saddr 10.9.0.0/16 accept"),
        (TrafficRule(protocol="47"), "meta l4proto 47 accept"),
        (
            TrafficRule(protocol="tcp", start_port=80, cidrs=("10.0.0.0/8", "10.1.0.0/16")),
            "ip saddr 10.0.0.0/8 tcp dport 80 accept",
        ),
        (
            TrafficRule(protocol="tcp", start_port=80, cidrs=("10.1.2.3/24", "0.0.0.0/0")),
            "tcp dport 80 accept",
        ),
        (
            TrafficRule(protocol="tcp", start_port=80, cidrs=("192.0.2.1/32", "10.0.0.0/8")),
            "ip saddr { 10.0.0.0/8, 192.0.2.1 } tcp dport 80 accept",
        ),
    ],
)
def test_firewall_rule_matches(rule: TrafficRule, expected: str, tmp_path: Path) -> None:
    ruleset = _checked(_with_firewall(rule), tmp_path)
    assert _chain(ruleset, "fw_203_0_113_10")[-2] == expected


def test_egress_rules_block_when_the_default_is_allow() -> None:
    assert _chain(nftables.render(ISOLATED), "egress_eth0") == [
        "tcp dport 25 drop",
        "ip daddr { 9.9.9.9, 149.112.112.112 } udp dport 53 drop",
        "return",
    ]


def test_egress_rules_allow_when_the_default_is_deny() -> None:
    assert _chain(nftables.render(EGRESS_DENY), "egress_eth0") == [
        "tcp dport 80 return",
        "tcp dport 443 return",
        "ip daddr 192.0.2.53 udp dport 53 return",
        "icmp type 8 return",
        "drop",
    ]


def test_default_allow_without_egress_rules_filters_nothing() -> None:
    guest = dataclasses.replace(ISOLATED.guests[0], egress=())
    ruleset = nftables.render(dataclasses.replace(ISOLATED, guests=(guest,)))
    assert "egress_eth0" not in ruleset


def test_acl_rules_apply_in_number_order_first_match_wins() -> None:
    ruleset = nftables.render(VPC)
    assert _chain(ruleset, "acl_ingress_eth0") == [
        'tcp dport 80 return comment "rule 10"',
        'ip saddr 10.0.2.0/24 tcp dport 22 return comment "rule 20"',
        'ip saddr 10.0.0.0/16 icmp type 8 return comment "rule 25"',
        'tcp dport 22 drop comment "rule 30"',
        "drop",
    ]
    assert _chain(ruleset, "acl_egress_eth1") == [
        'udp dport 123 return comment "rule 3"',
        'meta l4proto 47 drop comment "rule 4"',
        "drop",
    ]


def test_tier_without_acl_list_denies_all_but_replies() -> None:
    ruleset = nftables.render(VPC)
    assert _chain(ruleset, "acl_ingress_eth2") == ["drop"]
    assert _chain(ruleset, "acl_egress_eth2") == ["drop"]
    assert _chain(ruleset, "forward")[1] == "ct state established,related accept"


def test_acls_do_not_apply_on_isolated_routers() -> None:
    rule = AclRule(number=1, action="deny", direction="ingress", rule=TrafficRule(protocol="all"))
    guest = dataclasses.replace(ISOLATED.guests[0], acl=(rule,))
    assert "acl_" not in nftables.render(dataclasses.replace(ISOLATED, guests=(guest,)))


def test_security_groups_allow_listed_ingress_and_drop_the_rest() -> None:
    ruleset = nftables.render(SECURITY_GROUPS)
    assert _chain(ruleset, "sg_ingress_10_1_4_5") == [
        "tcp dport 443 return",
        "ip saddr 198.51.100.0/24 tcp dport 22 return",
        "meta l4proto icmp return",
        "ip saddr 10.1.4.6 icmp type 0 return",
        "drop",
    ]
    assert _chain(ruleset, "sg_ingress_10_1_4_7") == ["drop"]


def test_security_group_egress_is_open_without_rules_and_limited_with_them() -> None:
    ruleset = nftables.render(SECURITY_GROUPS)
    assert "sg_egress_10_1_4_5" not in ruleset
    assert _chain(ruleset, "sg_egress_10_1_4_6") == [
        "tcp dport 443 return",
        "ip daddr 10.1.4.1 udp dport 53 return",
        "drop",
    ]


def test_nat_rules() -> None:
    ruleset = nftables.render(ISOLATED)
    assert _chain(ruleset, "nat_prerouting")[1:] == [
        "iifname @guest_ifaces ip daddr 169.254.169.254 tcp dport 80 redirect",
        "ip daddr 203.0.113.13 tcp dport 2222 dnat to 10.1.1.5:22",
        "ip daddr 203.0.113.13 tcp dport 8000-8009 dnat to 10.1.1.6",
        (
            "ip daddr 203.0.113.13 udp dport 5000-5002 dnat to udp dport map "
            "{ 5000 : 10.1.1.6 . 6000, 5001 : 10.1.1.6 . 6001, 5002 : 10.1.1.6 . 6002 }"
        ),
        "ip daddr 203.0.113.13 tcp dport 9000-9001 dnat to 10.1.1.5:80",
        (
            "ip daddr 203.0.113.11 udp dport 53 dnat to jhash ip saddr mod 2 map "
            "{ 0 : 10.1.1.5 . 53, 1 : 10.1.1.6 . 53 }"
        ),
        "ip daddr 203.0.113.12 dnat to 10.1.1.7",
    ]
    assert _chain(ruleset, "nat_postrouting")[1:] == [
        'oifname "pub0" ip saddr 10.1.1.7 snat to 203.0.113.12',
        'oifname "pub0" ip saddr 10.1.1.0/24 snat to 203.0.113.10',
    ]


def test_site_to_site_traffic_is_not_source_natted() -> None:
    postrouting = _chain(nftables.render(VPC), "nat_postrouting")
    exempt = "oifname @public_ifaces ip saddr 10.0.0.0/16 ip daddr 192.168.100.0/23 accept"
    assert postrouting.index(exempt) < postrouting.index(
        'oifname "pub0" ip saddr 10.0.1.0/24 snat to 203.0.113.20'
    )


def test_router_services_are_open() -> None:
    ruleset = nftables.render(ISOLATED)
    accepted = _chain(ruleset, "input")
    assert "iifname @guest_ifaces udp dport 67 accept" in accepted
    assert "iifname @guest_ifaces meta l4proto { tcp, udp } th dport 53 accept" in accepted
    assert "ip daddr . tcp dport @lb_listeners accept" in accepted
    assert "elements = { 203.0.113.11 . 80, 203.0.113.11 . 443 }" in ruleset
    assert "ip daddr 203.0.113.10 meta ipsec exists udp dport 1701 accept" in accepted


def test_many_rules_and_wide_port_ranges_load(tmp_path: Path) -> None:
    rules = tuple(
        TrafficRule(
            protocol="tcp", start_port=port, end_port=port + 9, cidrs=(f"10.{port % 250}.0.0/16",)
        )
        for port in range(1, 6000, 10)
    )
    guest = GuestNetwork(
        uuid="big",
        name="big",
        interface="eth0",
        cidr="10.250.0.0/16",
        gateway="10.250.0.1",
        domain="big.example",
        egress_default_allow=False,
        egress=rules,
    )
    shifted = PortForward(
        address="203.0.113.10",
        protocol="udp",
        public_start=10000,
        public_end=12047,
        guest_ip="10.250.0.5",
        private_start=20000,
        private_end=22047,
    )
    groups = tuple(
        SecurityGroupRules(address=f"10.250.{n // 250}.{n % 250 + 2}", ingress=rules[:20])
        for n in range(300)
    )
    config = dataclasses.replace(
        _with_firewall(*rules),
        guests=(guest,),
        port_forwards=(shifted,),
        security_groups=groups,
        load_balancers=(),
        static_nat=(),
        source_nat=(),
    )
    ruleset = _checked(config, tmp_path)
    assert "20000" in ruleset and "22047" in ruleset
    assert len(_chain(ruleset, "egress_eth0")) == len(rules) + 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"protocol": "gre"}, "Unsupported protocol"),
        ({"cidrs": ("10.0.0.0/33",)}, "netmask"),
        ({"cidrs": ("2001:db8::/32",)}, "octets"),
    ],
)
def test_malformed_rules_raise_instead_of_writing_a_broken_file(
    change: dict[str, object], message: str
) -> None:
    rule = dataclasses.replace(TrafficRule(protocol="tcp", start_port=22), **change)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        nftables.render(_with_firewall(rule))


def test_interface_names_cannot_break_the_ruleset() -> None:
    guest = dataclasses.replace(ISOLATED.guests[0], interface='eth0" accept #')
    with pytest.raises(ValueError, match="Invalid interface name"):
        nftables.render(dataclasses.replace(ISOLATED, guests=(guest,)))
