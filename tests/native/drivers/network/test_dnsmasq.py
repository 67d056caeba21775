"""dnsmasq: static leases, per-network options, non-default NICs, DNS records."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from native.drivers.network.base import DhcpHost, DhcpOptions
from native.drivers.network.render import dnsmasq
from tests.native.drivers.network.cases import EMPTY, ISOLATED, VPC
from tests.native.drivers.network.tools import dnsmasq_check


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_each_guest_network_gets_a_static_range_and_its_own_options() -> None:
    lines = _lines(dnsmasq.render(VPC))
    for interface, subnet, router in (
        ("eth0", "10.0.1.0", "10.0.1.1"),
        ("eth1", "10.0.2.0", "10.0.2.1"),
    ):
        assert f"interface={interface}" in lines
        assert f"dhcp-range=set:net-{interface},{subnet},static,255.255.255.0,infinite" in lines
        assert f"dhcp-option=tag:net-{interface},option:router,{router}" in lines
        assert f"dhcp-option=tag:net-{interface},option:dns-server,{router}" in lines
    assert lines.count("local=/vpc.example/") == 1
    assert [line for line in lines if line.startswith("server=")] == [
        "server=8.8.8.8",
        "server=1.1.1.1",
    ]


def test_default_nics_get_leases_names_and_records() -> None:
    lines = _lines(dnsmasq.render(ISOLATED))
    assert "dhcp-host=02:00:4c:00:00:05,10.1.1.5,web-1,infinite" in lines
    assert "host-record=web-1.cs2cloud.internal,web-1,10.1.1.5" in lines
    assert "domain=cs2cloud.internal,10.1.1.0/24" in lines


def test_non_default_nics_get_no_router_dns_or_name() -> None:
    lines = _lines(dnsmasq.render(VPC))
    assert "dhcp-host=02:00:5a:00:00:15,set:nodefault,10.0.2.11,infinite" in lines
    assert [line for line in lines if "10.0.2.11" in line and line.startswith("host-record")] == []
    assert "dhcp-option=tag:nodefault,option:router" in lines
    assert "dhcp-option=tag:nodefault,option:dns-server" in lines


def test_without_guests_dns_and_dhcp_are_off(tmp_path: Path) -> None:
    text = dnsmasq.render(EMPTY)
    assert "port=0" in _lines(text)
    assert "dhcp-range" not in text and "interface=" not in text
    path = tmp_path / "dnsmasq.conf"
    path.write_text(text)
    assert dnsmasq_check(path).ok


def test_remote_access_clients_get_dns_on_ppp() -> None:
    lines = _lines(dnsmasq.render(ISOLATED))
    assert "interface=ppp*" in lines and "no-dhcp-interface=ppp*" in lines
    assert "interface=ppp*" not in _lines(dnsmasq.render(VPC))


def test_a_name_that_is_not_a_host_name_is_left_out(tmp_path: Path) -> None:
    host = DhcpHost(mac="02:00:4c:00:00:09", address="10.1.1.9", hostname="bad name,evil=1")
    guest = dataclasses.replace(ISOLATED.guests[0], hosts=(host,), domain="not a domain")
    text = dnsmasq.render(dataclasses.replace(ISOLATED, guests=(guest,)))
    assert "dhcp-host=02:00:4c:00:00:09,10.1.1.9,infinite" in _lines(text)
    assert "evil" not in text and "domain=" not in text
    path = tmp_path / "dnsmasq.conf"
    path.write_text(text)
    assert dnsmasq_check(path).ok


def test_dhcp_options_hand_out_their_servers_and_node_type(tmp_path: Path) -> None:
    options = DhcpOptions(
        dns_servers=("10.0.1.1", "9.9.9.9"),
        ntp_servers=("10.0.0.123", "10.0.0.124"),
        netbios_name_servers=("10.0.0.139",),
        netbios_node_type=2,
    )
    first, *others = VPC.guests
    config = dataclasses.replace(
        VPC, guests=(dataclasses.replace(first, dhcp=options, domain="corp.example"), *others)
    )
    text = dnsmasq.render(config)
    lines = _lines(text)
    assert "dhcp-option=tag:net-eth0,option:dns-server,10.0.1.1,9.9.9.9" in lines
    assert "dhcp-option=tag:net-eth0,option:ntp-server,10.0.0.123,10.0.0.124" in lines
    assert "dhcp-option=tag:net-eth0,option:netbios-ns,10.0.0.139" in lines
    assert "dhcp-option=tag:net-eth0,option:netbios-nodetype,2" in lines
    assert "domain=corp.example,10.0.1.0/24" in lines
    assert "dhcp-option=tag:net-eth1,option:dns-server,10.0.2.1" in lines
    assert not [line for line in lines if "net-eth1,option:n" in line]
    path = tmp_path / "dnsmasq.conf"
    path.write_text(text)
    assert dnsmasq_check(path).ok


@pytest.mark.parametrize(
    "options",
    [DhcpOptions(ntp_servers=("pool.ntp.org",)), DhcpOptions(netbios_node_type=3)],
)
def test_bad_dhcp_options_raise(options: DhcpOptions) -> None:
    guest = dataclasses.replace(ISOLATED.guests[0], dhcp=options)
    with pytest.raises(ValueError):
        dnsmasq.render(dataclasses.replace(ISOLATED, guests=(guest,)))


def test_a_malformed_mac_raises() -> None:
    host = DhcpHost(mac="02:00:4c:00:00", address="10.1.1.9", hostname="vm")
    guest = dataclasses.replace(ISOLATED.guests[0], hosts=(host,))
    with pytest.raises(ValueError, match="Invalid MAC"):
        dnsmasq.render(dataclasses.replace(ISOLATED, guests=(guest,)))
