"""Port forwarding rules through `cs`: create (with the firewall rule `openfirewall` opens),
list, update and delete; what the router runs; bad input (431), conflicts (537),
permissions, tags, events, VPC tiers and failed applies."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.test_public_ips import (
    Owner,
    Site,
    associate,
    events_of,
    faults,
    generation,
    make_site,
    new_owner,
    paired,
    router_config,
    tag,
)
from tests.native.api.network.vpc_helpers import create_tier, create_vpc
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import new_account
from tests.support.vms import deploy, failed, succeeded


@pytest.fixture(scope="module")
def site(
    admin: CloudStack, alto_server: AltoServer, tmp_path_factory: pytest.TempPathFactory
) -> Site:
    return make_site(admin, alto_server, tmp_path_factory.mktemp("pfzone"))


@pytest.fixture
def owner(site: Site) -> Owner:
    return new_owner(site, vms=2)


def forward(
    owner: Owner, ip: dict[str, Any], *, public: int = 2222, private: int = 22, **extra: Any
) -> dict[str, Any]:
    """A tcp port forward from `ip`:`public` to the first VM's `private` port."""
    params: dict[str, Any] = {
        "ipaddressid": ip["id"],
        "protocol": "tcp",
        "publicport": public,
        "privateport": private,
        "virtualmachineid": owner.vms[0]["id"],
    }
    params.update(extra)
    answer = owner.client.createPortForwardingRule(**params)
    return dict(succeeded(owner.client, answer)["portforwardingrule"])


def forwards_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listPortForwardingRules(**params).get("portforwardingrule", []))


def firewall_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listFirewallRules(**params).get("firewallrule", []))


def test_create_list_update_delete(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    vm = owner.vms[0]
    before = generation(owner.router)
    rule = forward(owner, ip, public=2222, private=22)
    assert (rule["publicport"], rule["publicendport"]) == ("2222", "2222")
    assert (rule["privateport"], rule["privateendport"]) == ("22", "22")
    assert rule["protocol"] == "tcp" and rule["state"] == "Active"
    assert (rule["ipaddressid"], rule["ipaddress"]) == (ip["id"], ip["ipaddress"])
    assert (rule["virtualmachineid"], rule["virtualmachinename"]) == (vm["id"], vm["name"])
    assert rule["vmguestip"] == owner.guest_ip() and rule["networkid"] == owner.network_id
    assert rule["cidrlist"] == "" and rule["tags"] == [] and "fordisplay" not in rule
    assert generation(owner.router) > before
    assert paired(router_config(owner.router), ip["ipaddress"], owner.guest_ip())

    [opened] = firewall_of(owner.client, ipaddressid=ip["id"])
    assert (opened["protocol"], opened["startport"], opened["endport"]) == ("tcp", 2222, 2222)
    assert opened["cidrlist"] == "0.0.0.0/0"
    assert [r["id"] for r in forwards_of(owner.client, ipaddressid=ip["id"])] == [rule["id"]]
    assert [r["id"] for r in forwards_of(owner.client, id=rule["id"])] == [rule["id"]]
    assert forwards_of(owner.client, networkid=owner.network_id)[0]["id"] == rule["id"]

    second = owner.vms[1]
    answer = owner.client.updatePortForwardingRule(
        id=rule["id"], virtualmachineid=second["id"], privateport=2022
    )
    updated = succeeded(owner.client, answer)["portforwardingrule"]
    assert updated["virtualmachineid"] == second["id"] and updated["privateport"] == "2022"
    assert updated["vmguestip"] == owner.guest_ip(1)
    config = router_config(owner.router)
    assert paired(config, ip["ipaddress"], owner.guest_ip(1))
    assert paired(config, ip["ipaddress"], owner.guest_ip()) == []

    answer = owner.client.deletePortForwardingRule(id=rule["id"])
    assert succeeded(owner.client, answer) == {"success": True}
    assert owner.client.listPortForwardingRules(ipaddressid=ip["id"]) == {}
    assert owner.client.listFirewallRules(ipaddressid=ip["id"]) == {}
    assert paired(router_config(owner.router), ip["ipaddress"], owner.guest_ip(1)) == []
    events = {
        kind: len(events_of(site.admin, owner.tenant, kind))
        for kind in ("NET.RULEADD", "NET.RULEMODIFY", "NET.RULEDELETE")
    }
    assert events == {"NET.RULEADD": 2, "NET.RULEMODIFY": 2, "NET.RULEDELETE": 2}


def test_ranges_protocols_and_openfirewall(owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    ranged = forward(owner, ip, public=8000, publicendport=8010, private=8000, privateendport=8010)
    assert (ranged["publicendport"], ranged["privateendport"]) == ("8010", "8010")
    udp = forward(owner, ip, public=8005, private=53, protocol="UDP", openfirewall=False)
    assert udp["protocol"] == "udp"
    assert [(f["protocol"], f["startport"]) for f in firewall_of(owner.client)] == [("tcp", 8000)]
    succeeded(owner.client, owner.client.deletePortForwardingRule(id=ranged["id"]))
    assert firewall_of(owner.client) == []
    assert [r["id"] for r in forwards_of(owner.client)] == [udp["id"]]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"protocol": "icmp"}, "protocol"),
        ({"protocol": "gre"}, "protocol"),
        ({"publicport": 0}, "public port"),
        ({"privateport": 70000}, "private port"),
        ({"publicport": 90, "publicendport": 80}, "public port"),
        ({"publicport": 80, "publicendport": 82}, "equal sizes"),
        (
            {"publicport": 80, "publicendport": 82, "privateport": 90, "privateendport": 92},
            "should be equal",
        ),
        ({"vmguestip": "10.250.0.9"}, "10.250.0.9"),
        ({"cidrlist": "10.0.0.0/33"}, "cidr"),
    ],
)
def test_bad_input(owner: Owner, params: dict[str, Any], named: str) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    base = {
        "ipaddressid": ip["id"],
        "protocol": "tcp",
        "publicport": 80,
        "privateport": 80,
        "virtualmachineid": owner.vms[0]["id"],
    }
    error = api_error(owner.client.createPortForwardingRule, **{**base, **params})
    assert error.errorcode == 431 and named in error.errortext
    assert owner.client.listPortForwardingRules() == {}


def test_conflicts(owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    existing = forward(owner, ip, public=100, publicendport=110, private=100, privateendport=110)
    create = owner.client.createPortForwardingRule
    base = {"ipaddressid": ip["id"], "privateport": 105, "virtualmachineid": owner.vms[1]["id"]}
    overlap = api_error(create, protocol="tcp", publicport=105, **base)
    assert overlap.errorcode == 537 and existing["id"] in overlap.errortext
    forward(owner, ip, public=105, private=105, protocol="udp")

    nat_ip = associate(owner.client, networkid=owner.network_id)
    owner.client.enableStaticNat(ipaddressid=nat_ip["id"], virtualmachineid=owner.vms[0]["id"])
    on_static_nat = api_error(
        create, protocol="tcp", publicport=22, **{**base, "ipaddressid": nat_ip["id"]}
    )
    assert on_static_nat.errorcode == 537 and "static NAT" in on_static_nat.errortext


def test_permissions(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    rule = forward(owner, ip)
    stranger = new_account(site.admin, endpoint=site.server.endpoint).client()
    for call, params in (
        (stranger.deletePortForwardingRule, {"id": rule["id"]}),
        (stranger.updatePortForwardingRule, {"id": rule["id"], "privateport": 80}),
        (
            stranger.createPortForwardingRule,
            {
                "ipaddressid": ip["id"],
                "protocol": "tcp",
                "publicport": 80,
                "privateport": 80,
                "virtualmachineid": owner.vms[0]["id"],
            },
        ),
    ):
        assert api_error(call, **params).errorcode == 431
    assert api_error(stranger.listPortForwardingRules, id=rule["id"]).errorcode == 431
    assert stranger.listPortForwardingRules() == {}
    other = new_owner(site)
    foreign_vm = api_error(
        site.admin.createPortForwardingRule,
        ipaddressid=ip["id"],
        protocol="tcp",
        publicport=80,
        privateport=80,
        virtualmachineid=other.vms[0]["id"],
    )
    assert foreign_vm.errorcode == 431 and "owner" in foreign_vm.errortext
    wrong_rule = api_error(owner.client.deleteFirewallRule, id=rule["id"])
    assert wrong_rule.errorcode == 431


def test_tags(owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    rule = forward(owner, ip)
    tag(owner.client, "PortForwardingRule", rule["id"], service="ssh")
    [tagged] = forwards_of(owner.client, tags=[{"key": "service", "value": "ssh"}])
    assert tagged["id"] == rule["id"] and tagged["tags"][0]["resourcetype"] == "PortForwardingRule"
    assert forwards_of(owner.client, tags=[{"key": "service", "value": "web"}]) == []
    succeeded(owner.client, owner.client.deletePortForwardingRule(id=rule["id"]))
    assert owner.client.listTags(resourcetype="PortForwardingRule") == {}


def test_failed_apply(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    config = router_config(owner.router)
    with faults(site):
        answer = owner.client.createPortForwardingRule(
            ipaddressid=ip["id"],
            protocol="tcp",
            publicport=443,
            privateport=443,
            virtualmachineid=owner.vms[0]["id"],
        )
        assert failed(owner.client, answer)["errorcode"] == 534
    assert owner.client.listPortForwardingRules() == {}
    assert owner.client.listFirewallRules() == {}
    assert router_config(owner.router) == config

    rule = forward(owner, ip, public=443, private=443)
    applied = router_config(owner.router)
    with faults(site):
        answer = owner.client.deletePortForwardingRule(id=rule["id"])
        assert failed(owner.client, answer)["errorcode"] == 534
        answer = owner.client.updatePortForwardingRule(id=rule["id"], privateport=8443)
        assert failed(owner.client, answer)["errorcode"] == 534
    [kept] = forwards_of(owner.client, id=rule["id"])
    assert kept["state"] == "Active" and kept["privateport"] == "443"
    assert len(firewall_of(owner.client, ipaddressid=ip["id"])) == 1
    assert router_config(owner.router) == applied


def test_vpc_tier(site: Site) -> None:
    tenant = new_account(site.admin, endpoint=site.server.endpoint)
    client = tenant.client()
    vpc = create_vpc(client, site.zone, cidr="10.40.0.0/16")
    tier = create_tier(client, site.zone, vpc, gateway="10.40.1.1")
    vm = deploy(client, site.zone, site.so, site.template, networkids=tier["id"])
    ip = associate(client, vpcid=vpc["id"])
    params = {
        "ipaddressid": ip["id"],
        "protocol": "tcp",
        "publicport": 80,
        "privateport": 80,
        "virtualmachineid": vm["id"],
    }
    opened = api_error(client.createPortForwardingRule, openfirewall=True, **params)
    assert opened.errorcode == 431 and "openfirewall" in opened.errortext
    answer = client.createPortForwardingRule(networkid=tier["id"], **params)
    rule = succeeded(client, answer)["portforwardingrule"]
    assert rule["networkid"] == tier["id"] and rule["vmguestip"] == vm["nic"][0]["ipaddress"]
    assert client.listFirewallRules() == {}
    [tied] = client.listPublicIpAddresses(id=ip["id"])["publicipaddress"]
    assert tied["associatednetworkid"] == tier["id"] and tied["vpcid"] == vpc["id"]
    succeeded(client, client.deletePortForwardingRule(id=rule["id"]))
    [untied] = client.listPublicIpAddresses(id=ip["id"])["publicipaddress"]
    assert "associatednetworkid" not in untied
