"""strongSwan and xl2tpd: proposals, connections, secrets and VPN users."""

from __future__ import annotations

import base64
import dataclasses
import re
from pathlib import Path

import pytest

from native.drivers.network.render import strongswan, xl2tpd
from tests.native.drivers.network.cases import EMPTY, ISOLATED, VPC
from tests.native.drivers.network.tools import starter_check


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("aes128-sha1;modp1536", "aes128-sha1-modp1536!"),
        ("aes128-sha1", "aes128-sha1!"),
        ("AES256-SHA256;MODP2048", "aes256-sha256-modp2048!"),
        ("aes256-sha256,aes128-sha1;modp2048", "aes256-sha256-modp2048,aes128-sha1-modp2048!"),
        ("3des-md5;modp1024", "3des-md5-modp1024!"),
    ],
)
def test_cloudstack_policies_become_strongswan_proposals(policy: str, expected: str) -> None:
    assert strongswan.proposals(policy) == expected


@pytest.mark.parametrize("policy", ["", ";modp1024", "aes128 sha1", "aes128-sha1;modp1024\nauto=x"])
def test_malformed_policies_raise(policy: str) -> None:
    with pytest.raises(ValueError, match="Invalid IPsec policy"):
        strongswan.proposals(policy)


def _conns(text: str) -> dict[str, list[str]]:
    blocks = re.findall(r"^conn (\S+)\n((?:\t.*\n?)*)", text, re.MULTILINE)
    return {name: [line.strip() for line in body.splitlines()] for name, body in blocks}


def test_site_to_site_connections() -> None:
    conns = _conns(strongswan.render_ipsec_conf(VPC))
    assert list(conns) == ["vpn-1a2b3c4d", "vpn-5e6f7a8b"]
    active, passive = conns.values()
    for expected in (
        "keyexchange=ikev2",
        "left=203.0.113.20",
        "leftsubnet=10.0.0.0/16",
        "right=198.51.100.1",
        "rightsubnet=192.168.100.0/24,192.168.101.0/24",
        "ike=aes128-sha1-modp1536!",
        "esp=aes128-sha1!",
        "ikelifetime=86400s",
        "lifetime=3600s",
        "dpdaction=restart",
        "auto=start",
    ):
        assert expected in active
    assert "auto=add" in passive and "keyexchange=ikev1" in passive
    assert not any(line.startswith("dpd") for line in passive)


def test_remote_access_is_l2tp_in_transport_mode() -> None:
    conn = _conns(strongswan.render_ipsec_conf(ISOLATED))["L2TP-PSK"]
    for expected in ("type=transport", "left=203.0.113.10", "leftprotoport=17/1701", "right=%any"):
        assert expected in conn


def test_secrets_are_taken_literally() -> None:
    lines = strongswan.render_ipsec_secrets(ISOLATED).splitlines()[1:]
    assert len(lines) == 1
    selector, key = lines[0].split(" : PSK 0s")
    assert selector == "203.0.113.10 %any"
    assert base64.b64decode(key).decode() == 's3cret psk with "quotes" and spaces'
    vpc_lines = strongswan.render_ipsec_secrets(VPC).splitlines()[1:]
    assert [line.split(" : ")[0] for line in vpc_lines] == [
        "203.0.113.20 198.51.100.1",
        "203.0.113.20 198.51.100.2",
    ]


def test_a_connection_name_cannot_inject_settings() -> None:
    tunnel = dataclasses.replace(VPC.site_to_site[0], name="x\n\tauto=start")
    with pytest.raises(ValueError, match="Invalid VPN connection name"):
        strongswan.render_ipsec_conf(dataclasses.replace(VPC, site_to_site=(tunnel,)))


def test_without_vpns_the_files_hold_no_connection(tmp_path: Path) -> None:
    text = strongswan.render_ipsec_conf(EMPTY)
    assert _conns(text) == {}
    assert strongswan.render_ipsec_secrets(EMPTY).count("\n") == 1
    path = tmp_path / "ipsec.conf"
    path.write_text(text)
    assert starter_check(path).ok


def test_xl2tpd_gives_clients_the_range_and_the_router_its_address() -> None:
    lines = xl2tpd.render_xl2tpd_conf(ISOLATED).splitlines()
    assert "ip range = 10.1.2.2-10.1.2.8" in lines and "local ip = 10.1.2.1" in lines
    assert "listen-addr = 203.0.113.10" in lines
    assert not any(line.startswith("no ip range") for line in lines)
    assert "ms-dns 10.1.2.1" in xl2tpd.render_ppp_options(ISOLATED).splitlines()


def test_the_router_address_is_kept_out_of_the_client_range() -> None:
    assert ISOLATED.remote_access_vpn is not None
    vpn = dataclasses.replace(ISOLATED.remote_access_vpn, ip_range="10.1.2.1-10.1.2.8")
    lines = xl2tpd.render_xl2tpd_conf(dataclasses.replace(ISOLATED, remote_access_vpn=vpn))
    assert "no ip range = 10.1.2.1" in lines.splitlines()


def test_chap_secrets_quote_users() -> None:
    lines = xl2tpd.render_chap_secrets(ISOLATED).splitlines()[2:]
    assert lines == ['"alice"\t*\t"wonder land"\t*', '"bob"\t*\t"b\\"o\\\\b"\t*']
    assert xl2tpd.render_chap_secrets(EMPTY).splitlines()[2:] == []
