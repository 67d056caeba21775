"""A region-level VPC through `cs`: tiers in two zones, a router and source NAT IP in each,
changes applied to both, public IPs kept to their zone, and taking it all down again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from native.services.network.defaults import REGION_LEVEL_VPC
from tests.native.api.network.vpc_helpers import create_tier, generation
from tests.support.api import api_error
from tests.support.tenants import Tenant, unique
from tests.support.vms import deploy, ready_template, succeeded
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def far_zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root / "far", hosts=1)


@pytest.fixture(scope="module")
def far_template(admin: CloudStack, far_zone: SimZone, root: Path) -> dict[str, Any]:
    return ready_template(admin, far_zone, root=root / "far")


@dataclass(frozen=True)
class TwoZones:
    """The module's zone and a far one, each with a ready template, and an offering."""

    near: SimZone
    far: SimZone
    near_template: dict[str, Any]
    far_template: dict[str, Any]
    so: dict[str, Any]


@pytest.fixture(scope="module")
def zones(
    zone: SimZone,
    far_zone: SimZone,
    template: dict[str, Any],
    far_template: dict[str, Any],
    so: dict[str, Any],
) -> TwoZones:
    return TwoZones(zone, far_zone, template, far_template, so)


def region_vpc(client: CloudStack, zone: SimZone, *, cidr: str) -> dict[str, Any]:
    [offering] = client.listVPCOfferings(name=REGION_LEVEL_VPC)["vpcoffering"]
    assert offering["supportsregionLevelvpc"] is True
    answer = client.createVPC(
        name=unique("vpc"), zoneid=zone.id, cidr=cidr, vpcofferingid=offering["id"]
    )
    return dict(succeeded(client, answer)["vpc"])


def routers_of(admin: CloudStack, vpc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The VPC's routers by zone id."""
    found = admin.listRouters(vpcid=vpc["id"], listall=True).get("router", [])
    return {router["zoneid"]: dict(router) for router in found}


def source_nats(client: CloudStack, vpc: dict[str, Any]) -> dict[str, str]:
    """The VPC's source NAT addresses by zone id."""
    found = client.listPublicIpAddresses(vpcid=vpc["id"], issourcenat=True)
    return {ip["zoneid"]: ip["ipaddress"] for ip in found.get("publicipaddress", [])}


def test_tiers_in_two_zones_get_a_router_each(
    zones: TwoZones, tenant: Tenant, admin: CloudStack, network_dir: Path
) -> None:
    zone, far_zone, so = zones.near, zones.far, zones.so
    user = tenant.client()
    vpc = region_vpc(user, zone, cidr="10.60.0.0/16")
    assert vpc["regionlevelvpc"] is True
    near = create_tier(user, zone, vpc, gateway="10.60.1.1")
    far = create_tier(user, far_zone, vpc, gateway="10.60.2.1")
    assert (near["zoneid"], far["zoneid"]) == (zone.id, far_zone.id)
    assert set(routers_of(admin, vpc)) == {zone.id}

    deploy(user, zone, so, zones.near_template, networkids=near["id"])
    far_vm = deploy(user, far_zone, so, zones.far_template, networkids=far["id"])
    assert far_vm["nic"][0]["networkid"] == far["id"]
    routers = routers_of(admin, vpc)
    assert set(routers) == {zone.id, far_zone.id}
    assert set(source_nats(user, vpc)) == {zone.id, far_zone.id}
    near_dir, far_dir = (network_dir / routers[z]["name"] for z in (zone.id, far_zone.id))
    near_files = "".join(path.read_text() for path in near_dir.iterdir())
    far_files = "".join(path.read_text() for path in far_dir.iterdir())
    assert "10.60.1.1" in near_files and "10.60.2.1" not in near_files
    assert "10.60.2.1" in far_files and "10.60.1.1" not in far_files

    before = {z: generation(network_dir / r["name"]) for z, r in routers.items()}
    [acl] = user.listNetworkACLLists(vpcid=vpc["id"], name="default_allow")["networkacllist"]
    succeeded(user, user.replaceNetworkACLList(aclid=acl["id"], networkid=far["id"]))
    succeeded(user, user.replaceNetworkACLList(aclid=acl["id"], networkid=near["id"]))
    after = {z: generation(network_dir / r["name"]) for z, r in routers.items()}
    assert all(after[z] > before[z] for z in routers)

    succeeded(user, user.restartVPC(id=vpc["id"], cleanup=True))
    renewed = routers_of(admin, vpc)
    assert set(renewed) == {zone.id, far_zone.id}
    assert all(renewed[z]["id"] != routers[z]["id"] for z in routers)


def test_public_ips_stay_in_their_zone(
    zones: TwoZones, tenant: Tenant, admin: CloudStack, network_dir: Path
) -> None:
    zone, far_zone = zones.near, zones.far
    user = tenant.client()
    vpc = region_vpc(user, zone, cidr="10.61.0.0/16")
    far = create_tier(user, far_zone, vpc, gateway="10.61.2.1")
    vm = deploy(user, far_zone, zones.so, zones.far_template, networkids=far["id"])

    near_ip = succeeded(user, user.associateIpAddress(vpcid=vpc["id"]))["ipaddress"]
    far_ip = succeeded(user, user.associateIpAddress(vpcid=vpc["id"], zoneid=far_zone.id))[
        "ipaddress"
    ]
    assert (near_ip["zoneid"], far_ip["zoneid"]) == (zone.id, far_zone.id)
    error = api_error(
        user.enableStaticNat,
        ipaddressid=near_ip["id"],
        virtualmachineid=vm["id"],
        networkid=far["id"],
    )
    assert error.errorcode == 431 and "another zone" in error.errortext
    user.enableStaticNat(ipaddressid=far_ip["id"], virtualmachineid=vm["id"], networkid=far["id"])
    routers = routers_of(admin, vpc)
    nft = (network_dir / routers[far_zone.id]["name"] / "nftables.conf").read_text()
    assert far_ip["ipaddress"] in nft

    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    succeeded(user, user.deleteNetwork(id=far["id"]))
    succeeded(user, user.deleteVPC(id=vpc["id"]))
    live = {router["id"] for router in admin.listRouters(listall=True).get("router", [])}
    assert not live & {router["id"] for router in routers.values()}
    assert not any((network_dir / router["name"]).exists() for router in routers.values())
    assert not user.listPublicIpAddresses().get("publicipaddress")


def test_a_one_zone_vpc_takes_no_tier_elsewhere(
    zone: SimZone, far_zone: SimZone, tenant: Tenant
) -> None:
    user = tenant.client()
    [offering] = user.listVPCOfferings(isdefault=True)["vpcoffering"]
    answer = user.createVPC(
        name=unique("vpc"), zoneid=zone.id, cidr="10.62.0.0/16", vpcofferingid=offering["id"]
    )
    vpc = succeeded(user, answer)["vpc"]
    assert vpc["regionlevelvpc"] is False
    error = api_error(lambda: create_tier(user, far_zone, vpc, gateway="10.62.2.1"))
    assert error.errorcode == 431 and "another zone" in error.errortext


def test_offerings_choose_region_level(admin: CloudStack) -> None:
    def params(capability: str, value: str) -> dict[str, Any]:
        return {
            "name": unique("vpcoff"),
            "displaytext": "spans zones",
            "supportedservices": "Dhcp,Dns,SourceNat,NetworkACL",
            "servicecapabilitylist[0].service": "Connectivity",
            "servicecapabilitylist[0].capabilitytype": capability,
            "servicecapabilitylist[0].capabilityvalue": value,
        }

    answer = admin.createVPCOffering(**params("RegionLevelVpc", "true"))
    assert succeeded(admin, answer)["vpcoffering"]["supportsregionLevelvpc"] is True
    answer = admin.createVPCOffering(**params("regionlevelvpc", "false"))
    assert succeeded(admin, answer)["vpcoffering"]["supportsregionLevelvpc"] is False
    for capability, value in (("DistributedRouter", "true"), ("RegionLevelVpc", "maybe")):
        error = api_error(admin.createVPCOffering, **params(capability, value))
        assert error.errorcode == 431 and capability in error.errortext
