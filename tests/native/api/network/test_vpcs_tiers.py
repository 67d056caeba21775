"""A VPC with tiers through `cs`: two tiers with ACL lists, a VM deployed in a tier, what
the VPC's router runs, tier CIDR checks, and taking it all down again."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.native.api.network.vpc_helpers import (
    acl_lines,
    create_tier,
    create_vpc,
    generation,
    new_router,
    routers_in,
    tier_offering,
)
from tests.native.drivers.network.tools import dnsmasq_check, nft_check
from tests.support.api import api_error
from tests.support.tenants import Tenant
from tests.support.vms import deploy, succeeded
from tests.support.zones import SimZone


def acl_list(client: CloudStack, vpc: dict[str, Any], name: str) -> dict[str, Any]:
    answer = client.createNetworkACLList(name=name, description=f"{name} tier", vpcid=vpc["id"])
    return dict(succeeded(client, answer)["networkacllist"])


def acl_item(client: CloudStack, **params: Any) -> dict[str, Any]:
    return dict(succeeded(client, client.createNetworkACL(**params))["networkacl"])


def default_list(client: CloudStack, name: str) -> dict[str, Any]:
    [found] = client.listNetworkACLLists(name=name)["networkacllist"]
    return dict(found)


def test_two_tiers_with_acls_and_a_vm(
    zone: SimZone,
    tenant: Tenant,
    network_dir: Path,
    template: dict[str, Any],
    so: dict[str, Any],
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, cidr="10.50.0.0/16")
    router = new_router(network_dir, before)

    web_acl = acl_list(user, vpc, "web")
    acl_item(user, aclid=web_acl["id"], protocol="tcp", startport=80, endport=80)
    acl_item(
        user, aclid=web_acl["id"], protocol="tcp", startport=22, cidrlist="192.0.2.0/24", number=5
    )
    acl_item(user, aclid=web_acl["id"], protocol="icmp", icmptype=8, icmpcode=0, action="deny")
    web = create_tier(user, zone, vpc, gateway="10.50.1.1", aclid=web_acl["id"])
    db = create_tier(user, zone, vpc, gateway="10.50.2.1")
    assert (web["vpcid"], web["aclid"]) == (vpc["id"], web_acl["id"])
    assert db["aclid"] == default_list(user, "default_deny")["id"]

    [listed] = user.listVPCs(id=vpc["id"])["vpc"]
    tiers = {tier["id"]: tier for tier in listed["network"]}
    assert set(tiers) == {web["id"], db["id"]}
    assert tiers[web["id"]]["cidr"] == "10.50.1.0/24"
    assert tiers[web["id"]]["aclname"] == "web"

    vm = deploy(user, zone, so, template, networkids=web["id"])
    [nic] = vm["nic"]
    assert nic["networkid"] == web["id"]
    assert ipaddress.IPv4Address(nic["ipaddress"]) in ipaddress.IPv4Network("10.50.1.0/24")
    nft = (router / "nftables.conf").read_text()
    [http] = [line for line in acl_lines(nft, 1) if "dport 80" in line]
    [ssh] = acl_lines(nft, 5)
    [ping] = acl_lines(nft, 6)
    assert http.startswith("tcp dport 80 ") and "drop" not in http
    assert ssh.startswith("ip saddr 192.0.2.0/24 tcp dport 22 ") and "drop" not in ssh
    assert ping.startswith("icmp type 8 icmp code 0 drop")
    assert nic["macaddress"].lower() in (router / "dnsmasq.conf").read_text().lower()

    give_db_its_list(user, vpc, db, router)


def give_db_its_list(
    user: CloudStack, vpc: dict[str, Any], db: dict[str, Any], router: Path
) -> None:
    """Replace the db tier's default_deny by a list letting the web tier reach MySQL; the
    list is then in use and cannot be deleted."""
    db_acl = acl_list(user, vpc, "db")
    acl_item(user, aclid=db_acl["id"], protocol="tcp", startport=3306, cidrlist="10.50.1.0/24")
    applied = generation(router)
    answer = user.replaceNetworkACLList(aclid=db_acl["id"], networkid=db["id"])
    assert succeeded(user, answer) == {"success": True}
    assert generation(router) > applied
    [db_now] = user.listNetworks(id=db["id"])["network"]
    assert db_now["aclid"] == db_acl["id"]
    nft = (router / "nftables.conf").read_text()
    [mysql] = [line for line in acl_lines(nft, 1) if "3306" in line]
    assert mysql.startswith("ip saddr 10.50.1.0/24 tcp dport 3306 ") and "drop" not in mysql

    error = api_error(user.deleteNetworkACLList, id=db_acl["id"])
    assert (error.errorcode, error.cserrorcode) == (536, 4375)
    assert "1 tier(s)" in error.errortext


def test_tier_cidrs_must_fit_the_vpc(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.60.0.0/16", start=False)
    create_tier(user, zone, vpc, gateway="10.60.1.1")
    for gateway, netmask in (("10.61.1.1", "255.255.255.0"), ("10.60.1.129", "255.255.255.128")):
        error = api_error(
            user.createNetwork,
            name="bad",
            zoneid=zone.id,
            networkofferingid=tier_offering(user)["id"],
            vpcid=vpc["id"],
            gateway=gateway,
            netmask=netmask,
        )
        assert error.errorcode == 431, error
        assert "10.60" in error.errortext


def test_delete_needs_an_empty_vpc(
    admin: CloudStack,
    zone: SimZone,
    tenant: Tenant,
    network_dir: Path,
    template: dict[str, Any],
    so: dict[str, Any],
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, cidr="10.70.0.0/16")
    router = new_router(network_dir, before)
    tier = create_tier(user, zone, vpc, gateway="10.70.1.1")
    vm = deploy(user, zone, so, template, networkids=tier["id"])
    mac = vm["nic"][0]["macaddress"].lower()

    before = routers_in(network_dir)
    succeeded(user, user.restartVPC(id=vpc["id"], cleanup=True))
    assert not router.exists()
    router = new_router(network_dir, before - {router.name})
    assert mac in (router / "dnsmasq.conf").read_text().lower()

    error = api_error(user.deleteVPC, id=vpc["id"])
    assert error.errorcode == 431 and "used by 1 networks" in error.errortext
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    succeeded(user, user.deleteNetwork(id=tier["id"]))
    succeeded(user, user.deleteVPC(id=vpc["id"]))
    assert not router.exists()
    assert vpc["id"] not in [found["id"] for found in user.listVPCs().get("vpc", [])]


def test_rendered_vpc_configuration_passes_the_tools(
    admin: CloudStack,
    zone: SimZone,
    tenant: Tenant,
    network_dir: Path,
    template: dict[str, Any],
    so: dict[str, Any],
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, cidr="10.75.0.0/16")
    router = new_router(network_dir, before)
    acl = acl_list(user, vpc, "all-kinds")
    for params in (
        {"protocol": "tcp", "startport": 1000, "endport": 2000, "cidrlist": "10.0.0.0/8"},
        {"protocol": "udp", "startport": 53, "traffictype": "Egress"},
        {"protocol": "icmp", "action": "deny"},
        {"protocol": "47", "cidrlist": "198.51.100.7/32,203.0.113.0/24"},
        {"protocol": "all", "action": "deny", "traffictype": "Egress"},
    ):
        acl_item(user, aclid=acl["id"], **params)
    tier = create_tier(user, zone, vpc, gateway="10.75.1.1", aclid=acl["id"])
    create_tier(user, zone, vpc, gateway="10.75.2.1")
    deploy(user, zone, so, template, networkids=tier["id"])
    answer = admin.createPrivateGateway(
        vpcid=vpc["id"],
        vlan="950",
        ipaddress="172.31.5.10",
        gateway="172.31.5.1",
        netmask="255.255.255.0",
    )
    gateway = succeeded(admin, answer)["privategateway"]
    answer = user.createStaticRoute(gatewayid=gateway["id"], cidr="192.168.200.0/24")
    succeeded(user, answer)

    nft = nft_check(router / "nftables.conf")
    assert nft.ok, nft.output
    dnsmasq = dnsmasq_check(router / "dnsmasq.conf")
    assert dnsmasq.ok, dnsmasq.output
