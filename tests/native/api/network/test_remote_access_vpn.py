"""Remote-access VPNs and VPN users through `cs`: createRemoteAccessVpn on an isolated
network's source NAT IP and on a VPC's, what the router renders (ipsec.conf,
ipsec.secrets, xl2tpd.conf, chap-secrets), addVpnUser/removeVpnUser/listVpnUsers, bad
input, permissions, tags, events and failed applies."""

from __future__ import annotations

import base64
import ipaddress
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.test_public_ips import (
    Owner,
    Site,
    associate,
    events_of,
    faults,
    ips_of,
    make_site,
    new_owner,
    tag,
)
from tests.native.api.network.vpc_helpers import (
    create_vpc,
    failing_applies,
    new_router,
    routers_in,
)
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import new_account, unique
from tests.support.vms import failed, succeeded


@pytest.fixture(scope="module")
def site(
    admin: CloudStack, alto_server: AltoServer, tmp_path_factory: pytest.TempPathFactory
) -> Site:
    return make_site(admin, alto_server, tmp_path_factory.mktemp("vpnzone"))


@pytest.fixture
def owner(site: Site) -> Owner:
    return new_owner(site)


def source_nat(owner: Owner) -> dict[str, Any]:
    [ip] = ips_of(owner.client, associatednetworkid=owner.network_id, issourcenat=True)
    return ip


def create_vpn(client: CloudStack, ip: dict[str, Any], **params: Any) -> dict[str, Any]:
    """createRemoteAccessVpn, waited for; the `remoteaccessvpn` object."""
    answer = client.createRemoteAccessVpn(publicipid=ip["id"], **params)
    vpn = dict(succeeded(client, answer)["remoteaccessvpn"])
    assert answer["id"] == vpn["id"]
    return vpn


def add_user(client: CloudStack, username: str, password: str, **params: Any) -> dict[str, Any]:
    answer = client.addVpnUser(username=username, password=password, **params)
    return dict(succeeded(client, answer)["vpnuser"])


def vpns_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listRemoteAccessVpns(**params).get("remoteaccessvpn", []))


def users_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listVpnUsers(**params).get("vpnuser", []))


def read(router: Path, name: str) -> str:
    return (router / name).read_text()


def test_vpn_on_the_source_nat_ip_is_rendered(site: Site, owner: Owner) -> None:
    ip = source_nat(owner)
    vpn = create_vpn(owner.client, ip)
    assert vpn["publicipid"] == ip["id"] and vpn["publicip"] == ip["ipaddress"]
    assert vpn["iprange"] == "10.1.2.2-10.1.2.8" and vpn["state"] == "Running"
    assert vpn["account"] == owner.tenant.name and vpn["domainid"] == owner.tenant.domainid
    assert vpn["domain"] and "fordisplay" not in vpn
    key = vpn["presharedkey"]
    assert len(key) == 24 and key.isalnum()

    conf = read(owner.router, "ipsec.conf")
    assert "conn L2TP-PSK" in conf and f"left={ip['ipaddress']}" in conf
    secret = base64.b64encode(key.encode()).decode()
    assert f"{ip['ipaddress']} %any : PSK 0s{secret}" in read(owner.router, "ipsec.secrets")
    l2tp = read(owner.router, "xl2tpd.conf")
    assert "ip range = 10.1.2.2-10.1.2.8" in l2tp and "local ip = 10.1.2.1" in l2tp
    assert f"listen-addr = {ip['ipaddress']}" in l2tp

    [listed] = vpns_of(owner.client, publicipid=ip["id"])
    assert listed == vpn
    assert [v["id"] for v in vpns_of(owner.client, networkid=owner.network_id)] == [vpn["id"]]
    assert [v["id"] for v in vpns_of(owner.client, id=vpn["id"])] == [vpn["id"]]
    [admin_view] = vpns_of(site.admin, id=vpn["id"])
    assert admin_view["fordisplay"] is True
    assert events_of(site.admin, owner.tenant, "VPN.REMOTE.ACCESS.CREATE")


def test_users_are_rendered_and_removed(site: Site, owner: Owner) -> None:
    create_vpn(owner.client, source_nat(owner), iprange="172.30.0.1-172.30.0.20")
    assert "ip range = 172.30.0.2-172.30.0.20" in read(owner.router, "xl2tpd.conf")
    user = add_user(owner.client, "alice", "s3cret.pass")
    assert user["username"] == "alice" and user["state"] == "Active"
    assert user["account"] == owner.tenant.name and user["domainid"] == owner.tenant.domainid
    assert "password" not in user
    add_user(owner.client, "bob@example.com", "other-Pass1")
    chap = read(owner.router, "chap-secrets")
    assert '"alice"\t*\t"s3cret.pass"\t*' in chap and '"bob@example.com"' in chap
    assert [u["username"] for u in users_of(owner.client)] == ["alice", "bob@example.com"]
    assert [u["id"] for u in users_of(owner.client, username="alice")] == [user["id"]]
    assert [u["username"] for u in users_of(owner.client, keyword="example")] == ["bob@example.com"]

    error = api_error(owner.client.addVpnUser, username="alice", password="another")
    assert error.errorcode == 431 and "already" in error.errortext

    answer = owner.client.removeVpnUser(username="alice")
    assert succeeded(owner.client, answer)["success"] is True
    assert "alice" not in read(owner.router, "chap-secrets")
    assert [u["username"] for u in users_of(owner.client)] == ["bob@example.com"]
    error = api_error(owner.client.removeVpnUser, username="alice")
    assert error.errorcode == 431 and "alice" in error.errortext
    assert events_of(site.admin, owner.tenant, "VPN.USER.ADD")
    assert events_of(site.admin, owner.tenant, "VPN.USER.REMOVE")


def test_bad_users(site: Site, owner: Owner) -> None:
    error = api_error(owner.client.addVpnUser, username="alice", password="secret")
    assert error.errorcode == 431 and "no remote access VPN" in error.errortext
    create_vpn(owner.client, source_nat(owner))
    for username, password, word in (
        ("al", "secret", "Username"),
        ("-alice", "secret", "Username"),
        ("alice bob", "secret", "Username"),
        ("alice", "se", "Password"),
        ("alice", 'se"cret', "Password"),
        ("alice", "x" * 33, "Password"),
    ):
        error = api_error(owner.client.addVpnUser, username=username, password=password)
        assert error.errorcode == 431 and word in error.errortext, (username, password)
    assert users_of(owner.client) == []


def test_user_limit(site: Site, owner: Owner) -> None:
    create_vpn(owner.client, source_nat(owner))
    for number in range(8):
        add_user(owner.client, f"user{number}", "secret")
    error = api_error(owner.client.addVpnUser, username="user8", password="secret")
    assert error.errorcode == 532 and "8" in error.errortext


def test_bad_ranges_and_duplicates(site: Site, owner: Owner) -> None:
    ip = source_nat(owner)
    [network] = owner.client.listNetworks(id=owner.network_id)["network"]
    guest = ipaddress.IPv4Network(network["cidr"])
    inside = f"{guest.network_address + 5}-{guest.network_address + 9}"
    for iprange, words in (
        ("10.1.2.8-10.1.2.1", "invalid"),
        ("10.1.2.1", "invalid IP range"),
        ("10.1.2.1-10.1.2.300", "invalid IPs"),
        ("10.1.2.5-10.1.2.5", "too small"),
        (inside, "overlaps with guest ip range"),
    ):
        error = api_error(owner.client.createRemoteAccessVpn, publicipid=ip["id"], iprange=iprange)
        assert error.errorcode == 431 and words in error.errortext, iprange
    create_vpn(owner.client, ip)
    error = api_error(owner.client.createRemoteAccessVpn, publicipid=ip["id"])
    assert error.errorcode == 431 and "already exists" in error.errortext
    other = associate(owner.client, networkid=owner.network_id)
    error = api_error(owner.client.createRemoteAccessVpn, publicipid=other["id"])
    assert error.errorcode == 431 and "already exists for network" in error.errortext
    assert len(vpns_of(owner.client)) == 1


def test_static_nat_ip_takes_no_vpn(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    owner.client.enableStaticNat(ipaddressid=ip["id"], virtualmachineid=owner.vms[0]["id"])
    error = api_error(owner.client.createRemoteAccessVpn, publicipid=ip["id"])
    assert error.errorcode == 537 and "static NAT" in error.errortext


def test_vpn_ip_takes_no_static_nat_nor_its_udp_ports(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    create_vpn(owner.client, ip)
    vm = owner.vms[0]["id"]
    error = api_error(owner.client.enableStaticNat, ipaddressid=ip["id"], virtualmachineid=vm)
    assert error.errorcode == 537 and "remote access VPN" in error.errortext
    for port in (500, 1701, 4500):
        error = api_error(
            owner.client.createPortForwardingRule,
            ipaddressid=ip["id"],
            protocol="udp",
            publicport=port,
            privateport=port,
            virtualmachineid=vm,
        )
        assert error.errorcode == 537 and f"UDP port {port}" in error.errortext
    forward = owner.client.createPortForwardingRule(
        ipaddressid=ip["id"], protocol="tcp", publicport=500, privateport=500, virtualmachineid=vm
    )
    assert succeeded(owner.client, forward)["portforwardingrule"]["publicport"] == "500"


def test_other_accounts(site: Site, owner: Owner) -> None:
    ip = source_nat(owner)
    stranger = new_account(site.admin, endpoint=site.server.endpoint).client()
    error = api_error(stranger.createRemoteAccessVpn, publicipid=ip["id"])
    assert error.errorcode == 431
    vpn = create_vpn(owner.client, ip)
    add_user(owner.client, "carol", "secret")
    assert vpns_of(stranger, listall=True) == [] and users_of(stranger, listall=True) == []
    error = api_error(stranger.deleteRemoteAccessVpn, publicipid=ip["id"])
    assert error.errorcode == 431
    error = api_error(stranger.updateRemoteAccessVpn, id=vpn["id"], fordisplay=False)
    assert error.errorcode == 431
    error = api_error(stranger.removeVpnUser, username="carol")
    assert error.errorcode == 431
    error = api_error(
        stranger.addVpnUser,
        username="mallory",
        password="secret",
        account=owner.tenant.name,
        domainid=owner.tenant.domainid,
    )
    assert error.errorcode == 431
    assert [v["id"] for v in vpns_of(site.admin, listall=True, id=vpn["id"])] == [vpn["id"]]
    user = add_user(
        site.admin,
        "dave",
        "secret",
        account=owner.tenant.name,
        domainid=owner.tenant.domainid,
    )
    assert user["account"] == owner.tenant.name
    assert '"dave"' in read(owner.router, "chap-secrets")


def test_failed_applies_change_nothing(site: Site, owner: Owner) -> None:
    ip = source_nat(owner)
    with faults(site):
        error = failed(owner.client, owner.client.createRemoteAccessVpn(publicipid=ip["id"]))
    assert error["errorcode"] == 534
    assert vpns_of(owner.client) == [] and "L2TP-PSK" not in read(owner.router, "ipsec.conf")

    vpn = create_vpn(owner.client, ip)
    with faults(site):
        error = failed(owner.client, owner.client.addVpnUser(username="erin", password="secret"))
    assert error["errorcode"] == 534
    assert users_of(owner.client) == [] and "erin" not in read(owner.router, "chap-secrets")

    add_user(owner.client, "erin", "secret")
    with faults(site):
        error = failed(owner.client, owner.client.removeVpnUser(username="erin"))
        assert error["errorcode"] == 534
        error = failed(owner.client, owner.client.deleteRemoteAccessVpn(publicipid=ip["id"]))
        assert error["errorcode"] == 534
    assert [u["state"] for u in users_of(owner.client)] == ["Active"]
    assert '"erin"' in read(owner.router, "chap-secrets")
    assert [v["state"] for v in vpns_of(owner.client, id=vpn["id"])] == ["Running"]
    assert "L2TP-PSK" in read(owner.router, "ipsec.conf")


def test_delete_update_and_tags(site: Site, owner: Owner) -> None:
    ip = source_nat(owner)
    vpn = create_vpn(owner.client, ip)
    add_user(owner.client, "frank", "secret")
    tag(owner.client, "RemoteAccessVpn", vpn["id"], purpose="office")
    [found] = owner.client.listTags(resourcetype="RemoteAccessVpn")["tag"]
    assert found["resourceid"] == vpn["id"] and found["value"] == "office"

    answer = owner.client.updateRemoteAccessVpn(id=vpn["id"])
    assert succeeded(owner.client, answer)["remoteaccessvpn"]["id"] == vpn["id"]
    assert events_of(site.admin, owner.tenant, "VPN.REMOTE.ACCESS.UPDATE")
    answer = site.admin.updateRemoteAccessVpn(id=vpn["id"], fordisplay=False)
    assert succeeded(site.admin, answer)["remoteaccessvpn"]["fordisplay"] is False
    assert vpns_of(owner.client) == []
    assert [v["id"] for v in vpns_of(site.admin, listall=True, fordisplay=False)] == [vpn["id"]]

    answer = owner.client.deleteRemoteAccessVpn(publicipid=ip["id"])
    assert succeeded(owner.client, answer)["success"] is True
    assert vpn["id"] not in [v["id"] for v in vpns_of(site.admin, listall=True)]
    assert "L2TP-PSK" not in read(owner.router, "ipsec.conf")
    assert "no remote-access VPN" in read(owner.router, "xl2tpd.conf")
    assert owner.client.listTags(resourcetype="RemoteAccessVpn") == {}
    assert [u["username"] for u in users_of(owner.client)] == ["frank"]
    assert events_of(site.admin, owner.tenant, "VPN.REMOTE.ACCESS.DESTROY")
    answer = owner.client.deleteRemoteAccessVpn(publicipid=ip["id"])
    assert succeeded(owner.client, answer)["success"] is True
    answer = owner.client.removeVpnUser(username="frank")
    assert succeeded(owner.client, answer)["success"] is True
    assert users_of(owner.client) == []


def test_vpn_on_a_vpc(site: Site) -> None:
    tenant = new_account(site.admin, endpoint=site.server.endpoint)
    client = tenant.client()
    before = routers_in(site.network_dir)
    vpc = create_vpc(client, site.zone, cidr="10.60.0.0/16", name=unique("vpnvpc"))
    router = new_router(site.network_dir, before)
    [ip] = ips_of(client, vpcid=vpc["id"], issourcenat=True)
    error = api_error(
        client.createRemoteAccessVpn, publicipid=ip["id"], iprange="10.60.9.1-10.60.9.9"
    )
    assert error.errorcode == 431 and "overlaps" in error.errortext
    vpn = create_vpn(client, ip)
    assert vpn["publicip"] == ip["ipaddress"] and vpn["state"] == "Running"
    assert f"left={ip['ipaddress']}" in read(router, "ipsec.conf")
    add_user(client, "grace", "secret")
    assert '"grace"' in read(router, "chap-secrets")
    other = associate(client, vpcid=vpc["id"])
    error = api_error(client.createRemoteAccessVpn, publicipid=other["id"])
    assert error.errorcode == 431 and "already exists for VPC" in error.errortext


def test_users_reach_every_vpn_of_the_account(site: Site, owner: Owner) -> None:
    create_vpn(owner.client, source_nat(owner))
    before = routers_in(site.network_dir)
    vpc = create_vpc(owner.client, site.zone, cidr="10.61.0.0/16", name=unique("vpnvpc"))
    vpc_router = new_router(site.network_dir, before)
    [ip] = ips_of(owner.client, vpcid=vpc["id"], issourcenat=True)
    create_vpn(owner.client, ip)
    add_user(owner.client, "ivan", "secret")
    for router in (owner.router, vpc_router):
        assert '"ivan"' in read(router, "chap-secrets")

    with failing_applies(site.network_dir, vpc_router):
        error = failed(owner.client, owner.client.addVpnUser(username="judy", password="secret"))
    assert error["errorcode"] == 534
    assert [u["username"] for u in users_of(owner.client)] == ["ivan"]
    for router in (owner.router, vpc_router):
        assert "judy" not in read(router, "chap-secrets")
