"""Site-to-site VPNs through `cs`: VPN gateways of VPCs, customer gateways and the
connections between them; what the VPC router renders (ipsec.conf, ipsec.secrets), next
to a remote-access VPN; bad input, permissions, events and failed applies."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.test_public_ips import Site, events_of, faults, ips_of, make_site
from tests.native.api.network.vpc_helpers import create_vpc, new_router, routers_in
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import failed, succeeded

PEER = "198.51.100.7"
POLICIES = {"ikepolicy": "aes128-sha1;modp1536", "esppolicy": "aes128-sha1"}


@pytest.fixture(scope="module")
def site(
    admin: CloudStack, alto_server: AltoServer, tmp_path_factory: pytest.TempPathFactory
) -> Site:
    return make_site(admin, alto_server, tmp_path_factory.mktemp("s2szone"))


@dataclass
class VpcSite:
    """An account with a started VPC, the VPC's router and its VPN gateway."""

    tenant: Tenant
    client: CloudStack
    vpc: dict[str, Any]
    router: Path
    gateway: dict[str, Any]


def new_vpc_site(site: Site, *, cidr: str = "10.20.0.0/16") -> VpcSite:
    tenant = new_account(site.admin, endpoint=site.server.endpoint)
    client = tenant.client()
    before = routers_in(site.network_dir)
    vpc = create_vpc(client, site.zone, cidr=cidr, name=unique("s2svpc"))
    router = new_router(site.network_dir, before)
    answer = client.createVpnGateway(vpcid=vpc["id"])
    gateway = dict(succeeded(client, answer)["vpngateway"])
    return VpcSite(tenant=tenant, client=client, vpc=vpc, router=router, gateway=gateway)


@pytest.fixture
def world(site: Site) -> VpcSite:
    return new_vpc_site(site)


def customer_gateway(client: CloudStack, **params: Any) -> dict[str, Any]:
    """createVpnCustomerGateway (peer `PEER`, 192.168.50.0/24, `POLICIES`), waited for."""
    values: dict[str, Any] = {
        "gateway": PEER,
        "cidrlist": "192.168.50.0/24",
        "ipsecpsk": "shared secret",
        **POLICIES,
    }
    values.update(params)
    answer = client.createVpnCustomerGateway(**values)
    gateway = dict(succeeded(client, answer)["vpncustomergateway"])
    assert answer["id"] == gateway["id"]
    return gateway


def connect(
    client: CloudStack, gateway: dict[str, Any], customer: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    answer = client.createVpnConnection(
        s2svpngatewayid=gateway["id"], s2scustomergatewayid=customer["id"], **extra
    )
    return dict(succeeded(client, answer)["vpnconnection"])


def connections_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listVpnConnections(**params).get("vpnconnection", []))


def ipsec(router: Path) -> str:
    return (router / "ipsec.conf").read_text()


def test_gateway_takes_the_source_nat_ip(site: Site, world: VpcSite) -> None:
    [snat] = ips_of(world.client, vpcid=world.vpc["id"], issourcenat=True)
    gateway = world.gateway
    assert gateway["publicip"] == snat["ipaddress"] and gateway["vpcid"] == world.vpc["id"]
    assert gateway["vpcname"] == world.vpc["name"] and gateway["account"] == world.tenant.name
    assert gateway["domainid"] == world.tenant.domainid and "fordisplay" not in gateway
    [listed] = world.client.listVpnGateways(vpcid=world.vpc["id"])["vpngateway"]
    assert listed == gateway
    error = api_error(world.client.createVpnGateway, vpcid=world.vpc["id"])
    assert error.errorcode == 431 and "already existed" in error.errortext
    assert events_of(site.admin, world.tenant, "VPN.S2S.VPN.GATEWAY.CREATE")

    unstarted = create_vpc(world.client, site.zone, cidr="10.21.0.0/16", start=False)
    error = api_error(world.client.createVpnGateway, vpcid=unstarted["id"])
    assert error.errorcode == 431 and "source NAT" in error.errortext


def test_connection_is_rendered_with_remote_access(site: Site, world: VpcSite) -> None:
    customer = customer_gateway(
        world.client, name="branch", cidrlist="192.168.50.0/24,192.168.60.0/24"
    )
    assert customer["name"] == "branch" and customer["gateway"] == PEER
    assert (
        customer["ipsecpsk"] == "shared secret" and customer["ikepolicy"] == POLICIES["ikepolicy"]
    )
    assert (customer["ikelifetime"], customer["esplifetime"]) == (86400, 3600)
    assert customer["ikeversion"] == "ike" and customer["dpd"] is False
    assert customer["forceencap"] is False and customer["splitconnections"] is False
    assert customer["account"] == world.tenant.name

    connection = connect(world.client, world.gateway, customer)
    assert connection["state"] == "Connected" and connection["passive"] is False
    assert connection["publicip"] == world.gateway["publicip"]
    assert connection["s2svpngatewayid"] == world.gateway["id"]
    assert connection["s2scustomergatewayid"] == customer["id"]
    assert connection["gateway"] == PEER and connection["ipsecpsk"] == "shared secret"
    assert connection["cidrlist"] == "192.168.50.0/24,192.168.60.0/24"
    assert connection["created"] and connection["account"] == world.tenant.name

    [snat] = ips_of(world.client, vpcid=world.vpc["id"], issourcenat=True)
    answer = world.client.createRemoteAccessVpn(publicipid=snat["id"])
    succeeded(world.client, answer)
    answer = world.client.addVpnUser(username="heidi", password="secret")
    succeeded(world.client, answer)

    conf = ipsec(world.router)
    public = world.gateway["publicip"]
    assert "conn L2TP-PSK" in conf and f"left={public}" in conf
    assert f"right={PEER}" in conf and "rightsubnet=192.168.50.0/24,192.168.60.0/24" in conf
    assert "leftsubnet=10.20.0.0/16" in conf and "ike=aes128-sha1-modp1536!" in conf
    assert "esp=aes128-sha1!" in conf and "auto=start" in conf
    secret = base64.b64encode(b"shared secret").decode()
    assert f"{public} {PEER} : PSK 0s{secret}" in (world.router / "ipsec.secrets").read_text()
    assert '"heidi"' in (world.router / "chap-secrets").read_text()
    assert f"listen-addr = {public}" in (world.router / "xl2tpd.conf").read_text()

    [listed] = connections_of(world.client, vpcid=world.vpc["id"])
    assert listed["id"] == connection["id"] and listed["state"] == "Connected"
    assert events_of(site.admin, world.tenant, "VPN.S2S.CONNECTION.CREATE")
    assert events_of(site.admin, world.tenant, "VPN.S2S.CUSTOMER.GATEWAY.CREATE")


def test_update_reset_and_delete(site: Site, world: VpcSite) -> None:
    customer = customer_gateway(world.client)
    connection = connect(world.client, world.gateway, customer, passive=True)
    assert connection["state"] == "Disconnected" and "auto=add" in ipsec(world.router)

    error = api_error(world.client.deleteVpnCustomerGateway, id=customer["id"])
    assert error.errorcode == 536 and "related VPN connections" in error.errortext
    error = api_error(world.client.deleteVpnGateway, id=world.gateway["id"])
    assert error.errorcode == 536

    answer = world.client.updateVpnCustomerGateway(
        id=customer["id"],
        gateway="198.51.100.9",
        cidrlist="192.168.70.0/24",
        ipsecpsk="new secret",
        ikepolicy="aes256-sha256;modp2048",
        esppolicy="aes256-sha256;modp2048",
        ikelifetime=28800,
        dpd=True,
        ikeversion="ikev2",
    )
    updated = succeeded(world.client, answer)["vpncustomergateway"]
    assert updated["gateway"] == "198.51.100.9" and updated["ikelifetime"] == 28800
    assert updated["name"] == "VPN-198.51.100.9" and updated["ikeversion"] == "ikev2"
    conf = ipsec(world.router)
    assert "right=198.51.100.9" in conf and "rightsubnet=192.168.70.0/24" in conf
    assert "ike=aes256-sha256-modp2048!" in conf and "keyexchange=ikev2" in conf
    assert "dpdaction=restart" in conf and "ikelifetime=28800s" in conf
    assert events_of(site.admin, world.tenant, "VPN.S2S.CUSTOMER.GATEWAY.UPDATE")

    answer = world.client.resetVpnConnection(id=connection["id"])
    assert succeeded(world.client, answer)["vpnconnection"]["state"] == "Disconnected"
    assert events_of(site.admin, world.tenant, "VPN.S2S.CONNECTION.RESET")

    answer = world.client.deleteVpnConnection(id=connection["id"])
    assert succeeded(world.client, answer)["success"] is True
    assert "198.51.100.9" not in ipsec(world.router)
    assert connections_of(world.client) == []
    for delete, target in (
        (world.client.deleteVpnCustomerGateway, customer),
        (world.client.deleteVpnGateway, world.gateway),
    ):
        assert succeeded(world.client, delete(id=target["id"]))["success"] is True
    assert world.client.listVpnCustomerGateways() == {}
    assert world.client.listVpnGateways() == {}
    assert events_of(site.admin, world.tenant, "VPN.S2S.CONNECTION.DELETE")
    assert events_of(site.admin, world.tenant, "VPN.S2S.VPN.GATEWAY.DELETE")


BAD_CUSTOMER_GATEWAYS = (
    ({"gateway": "not-an-ip"}, "gateway ip"),
    ({"gateway": "300.1.1.1"}, "gateway ip"),
    ({"cidrlist": "192.168.50.0/33"}, "invalid cidr"),
    ({"cidrlist": "192.168.50.0/24,192.168.50.128/25"}, "overlapped"),
    ({"ikepolicy": "aes128-sha1"}, "Diffie Hellman"),
    ({"ikepolicy": "des-sha1;modp1536"}, "IKE policy"),
    ({"ikepolicy": "aes128-sha3;modp1536"}, "IKE policy"),
    ({"ikepolicy": "aes128-sha1;modp768"}, "IKE policy"),
    ({"esppolicy": "aes128"}, "ESP policy"),
    ({"esppolicy": "aes128-sha1;group5"}, "ESP policy"),
    ({"ikelifetime": 90000}, "IKE lifetime"),
    ({"esplifetime": 0}, "ESP lifetime"),
    ({"ikeversion": "ikev3"}, "IKE version"),
    ({"ipsecpsk": 'with "quotes"'}, "pre-shared key"),
)


def test_bad_customer_gateways(site: Site, world: VpcSite) -> None:
    base: dict[str, Any] = {
        "gateway": PEER,
        "cidrlist": "192.168.50.0/24",
        "ipsecpsk": "secret",
        **POLICIES,
    }
    for change, words in BAD_CUSTOMER_GATEWAYS:
        error = api_error(world.client.createVpnCustomerGateway, **{**base, **change})
        assert error.errorcode == 431 and words in error.errortext, change
    customer_gateway(world.client, name="twice")
    error = api_error(world.client.createVpnCustomerGateway, **base, name="twice")
    assert error.errorcode == 431 and "already existed" in error.errortext
    assert len(world.client.listVpnCustomerGateways()["vpncustomergateway"]) == 1
    good = customer_gateway(
        world.client, esppolicy="aes128-sha1,aes256-sha256;modp2048", ikelifetime=86400
    )
    assert good["esppolicy"] == "aes128-sha1,aes256-sha256;modp2048"
    several = customer_gateway(
        world.client, name="several", ikepolicy="aes128-sha1;modp1536,aes256-sha256;modp2048"
    )
    assert several["ikepolicy"] == "aes128-sha1;modp1536,aes256-sha256;modp2048"


def test_connection_checks(site: Site, world: VpcSite) -> None:
    inside = customer_gateway(world.client, name="inside", cidrlist="10.20.5.0/24")
    error = api_error(
        world.client.createVpnConnection,
        s2svpngatewayid=world.gateway["id"],
        s2scustomergatewayid=inside["id"],
    )
    assert error.errorcode == 431 and "overlapped with VPC cidr" in error.errortext
    first = customer_gateway(world.client, name="first", cidrlist="192.168.0.0/16")
    connect(world.client, world.gateway, first)
    error = api_error(
        world.client.createVpnConnection,
        s2svpngatewayid=world.gateway["id"],
        s2scustomergatewayid=first["id"],
    )
    assert error.errorcode == 431 and "already existed" in error.errortext
    clash = customer_gateway(world.client, gateway="198.51.100.20", cidrlist="192.168.9.0/24")
    error = api_error(
        world.client.createVpnConnection,
        s2svpngatewayid=world.gateway["id"],
        s2scustomergatewayid=clash["id"],
    )
    assert error.errorcode == 431 and "overlapped with existed VPN connection" in error.errortext
    assert len(connections_of(world.client)) == 1


def test_other_accounts(site: Site, world: VpcSite) -> None:
    customer = customer_gateway(world.client)
    connection = connect(world.client, world.gateway, customer)
    other = new_vpc_site(site, cidr="10.30.0.0/16")
    for listing in ("listVpnGateways", "listVpnCustomerGateways", "listVpnConnections"):
        found = getattr(other.client, listing)(listall=True)
        assert world.gateway["id"] not in str(found), listing
    error = api_error(
        other.client.createVpnConnection,
        s2svpngatewayid=other.gateway["id"],
        s2scustomergatewayid=customer["id"],
    )
    assert error.errorcode == 431
    for call, target in (
        (other.client.deleteVpnConnection, connection),
        (other.client.deleteVpnCustomerGateway, customer),
        (other.client.resetVpnConnection, connection),
    ):
        assert api_error(call, id=target["id"]).errorcode == 431
    error = api_error(
        site.admin.createVpnConnection,
        s2svpngatewayid=other.gateway["id"],
        s2scustomergatewayid=customer["id"],
    )
    assert error.errorcode == 431 and "same account" in error.errortext
    [seen] = connections_of(site.admin, listall=True, id=connection["id"])
    assert seen["fordisplay"] is True


def test_failed_applies(site: Site, world: VpcSite) -> None:
    customer = customer_gateway(world.client)
    before = ipsec(world.router)
    with faults(site):
        answer = world.client.createVpnConnection(
            s2svpngatewayid=world.gateway["id"], s2scustomergatewayid=customer["id"]
        )
        assert failed(world.client, answer)["errorcode"] == 534
    assert connections_of(world.client) == [] and ipsec(world.router) == before

    connection = connect(world.client, world.gateway, customer)
    applied = ipsec(world.router)
    with faults(site):
        answer = world.client.deleteVpnConnection(id=connection["id"])
        assert failed(world.client, answer)["errorcode"] == 534
        answer = world.client.updateVpnCustomerGateway(
            id=customer["id"],
            gateway="198.51.100.99",
            cidrlist="192.168.80.0/24",
            ipsecpsk="other",
            **POLICIES,
        )
        assert failed(world.client, answer)["errorcode"] == 534
        answer = world.client.resetVpnConnection(id=connection["id"])
        assert failed(world.client, answer)["errorcode"] == 534
    [kept] = connections_of(world.client)
    assert kept["id"] == connection["id"] and kept["state"] == "Error"
    assert kept["gateway"] == PEER and kept["ipsecpsk"] == "shared secret"
    assert ipsec(world.router) == applied and PEER in applied

    answer = world.client.resetVpnConnection(id=connection["id"])
    assert succeeded(world.client, answer)["vpnconnection"]["state"] == "Connected"
