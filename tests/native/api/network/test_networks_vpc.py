"""VPC tiers through createNetwork/listNetworks/deleteNetwork: the tier CIDR lies inside
the VPC's and overlaps no sibling, the VPC and ACL list must be the owner's, and deleting
a tier takes it out of the VPC router's configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, offering, ready_template, succeeded
from tests.support.zones import SimZone

ISOLATED = "DefaultIsolatedNetworkOfferingWithSourceNatService"
TIER_OFFERING = "DefaultIsolatedNetworkOfferingForVpcNetworks"


def offering_id(client: CloudStack, name: str) -> str:
    [found] = client.listNetworkOfferings(name=name)["networkoffering"]
    return str(found["id"])


def create_vpc(client: CloudStack, zone: SimZone, *, cidr: str) -> dict[str, Any]:
    [vpc_offering] = client.listVPCOfferings(name="Default VPC offering")["vpcoffering"]
    answer = client.createVPC(
        name=unique("vpc"), zoneid=zone.id, cidr=cidr, vpcofferingid=vpc_offering["id"]
    )
    return dict(succeeded(client, answer)["vpc"])


def create_tier(
    client: CloudStack, zone: SimZone, vpc: dict[str, Any], *, gateway: str, **extra: Any
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": unique("tier"),
        "zoneid": zone.id,
        "networkofferingid": offering_id(client, TIER_OFFERING),
        "vpcid": vpc["id"],
        "gateway": gateway,
        "netmask": "255.255.255.0",
    }
    params.update(extra)
    return dict(client.createNetwork(**params)["network"])


def router_serving(network_dir: Path, network_id: str) -> Path:
    """The applied configuration of the router serving the network."""
    [found] = [
        path.parent
        for path in network_dir.glob("r-*/dnsmasq.conf")
        if f"guest network {network_id} " in path.read_text()
    ]
    return found


def generation(router: Path) -> int:
    return int(json.loads((router / "applied.json").read_text())["generation"])


def acl_named(client: CloudStack, name: str) -> dict[str, Any]:
    [found] = client.listNetworkACLLists(name=name)["networkacllist"]
    return dict(found)


def tier_error(client: CloudStack, zone: SimZone, vpc: dict[str, Any], **params: Any) -> Any:
    values: dict[str, Any] = {
        "name": unique("tier"),
        "zoneid": zone.id,
        "networkofferingid": offering_id(client, TIER_OFFERING),
        "vpcid": vpc["id"],
        "gateway": "10.30.9.1",
        "netmask": "255.255.255.0",
    }
    values.update(params)
    return api_error(client.createNetwork, **{k: v for k, v in values.items() if v is not None})


def test_tiers_carve_the_vpc_cidr(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.30.0.0/16")
    web = create_tier(user, zone, vpc, gateway="10.30.1.1")
    assert (web["vpcid"], web["vpcname"], web["cidr"]) == (vpc["id"], vpc["name"], "10.30.1.0/24")
    assert (web["aclname"], web["aclid"]) == ("default_deny", acl_named(user, "default_deny")["id"])
    assert web["networkdomain"] == vpc["networkdomain"] and web["type"] == "Isolated"
    assert web["isdefault"] is False
    allow = acl_named(user, "default_allow")
    db = create_tier(user, zone, vpc, gateway="10.30.2.1", aclid=allow["id"])
    assert db["aclname"] == "default_allow"

    overlap = tier_error(user, zone, vpc, gateway="10.30.1.129", netmask="255.255.255.128")
    assert overlap.errorcode == 431
    assert f"tier {web['name']} (10.30.1.0/24)" in overlap.errortext
    outside = tier_error(user, zone, vpc, gateway="10.31.0.1")
    assert outside.errorcode == 431 and "10.30.0.0/16" in outside.errortext
    wide = tier_error(user, zone, vpc, gateway="10.30.0.1", netmask="255.254.0.0")
    assert wide.errorcode == 431 and "10.30.0.0/16" in wide.errortext
    for params, named in (
        ({"gateway": None, "netmask": None}, "gateway"),
        ({"networkofferingid": offering_id(user, ISOLATED)}, "vpcid"),
        ({"networkdomain": "other.internal"}, "networkdomain"),
    ):
        error = tier_error(user, zone, vpc, **params)
        assert error.errorcode == 431 and named in error.errortext, (params, error)

    ids = {n["id"] for n in user.listNetworks(vpcid=vpc["id"])["network"]}
    assert ids == {web["id"], db["id"]}
    assert {n["id"] for n in user.listNetworks(forvpc=True)["network"]} == ids
    twin = dict(
        user.createNetwork(
            name=unique("twin"),
            zoneid=zone.id,
            networkofferingid=offering_id(user, ISOLATED),
            gateway="10.30.1.1",
            netmask="255.255.255.0",
        )["network"]
    )
    assert twin["cidr"] == web["cidr"] and "vpcid" not in twin


def test_vpc_and_acl_must_be_the_owners(
    zone: SimZone, tenant: Tenant, admin: CloudStack, alto_server: AltoServer
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.40.0.0/16")
    other = new_account(admin, endpoint=alto_server.endpoint)
    hidden = tier_error(other.client(), zone, vpc, gateway="10.40.1.1")
    assert hidden.errorcode == 431 and "vpcid" in hidden.errortext
    foreign = tier_error(
        admin, zone, vpc, gateway="10.40.1.1", account=other.name, domainid=other.domainid
    )
    assert foreign.errorcode == 531 and vpc["name"] in foreign.errortext

    second = create_vpc(user, zone, cidr="10.41.0.0/16")
    answer = user.createNetworkACLList(name=unique("acl"), vpcid=second["id"])
    acl = succeeded(user, answer)["networkacllist"]
    error = tier_error(user, zone, vpc, gateway="10.40.1.1", aclid=acl["id"])
    assert error.errorcode == 431 and "aclid" in error.errortext
    isolated = api_error(
        user.createNetwork,
        name="plain",
        zoneid=zone.id,
        networkofferingid=offering_id(user, ISOLATED),
        aclid=acl["id"],
    )
    assert isolated.errorcode == 431 and "aclid" in isolated.errortext


def test_deleting_a_tier_takes_it_off_the_vpc_router(
    zone: SimZone, tenant: Tenant, admin: CloudStack, root: Path, network_dir: Path
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.45.0.0/16")
    web = create_tier(user, zone, vpc, gateway="10.45.1.1")
    db = create_tier(user, zone, vpc, gateway="10.45.2.1")
    so, template = offering(admin), ready_template(admin, zone, root=root)
    vm = deploy(user, zone, so, template, networkids=db["id"])
    router = router_serving(network_dir, db["id"])
    assert router_serving(network_dir, web["id"]) == router
    text = (router / "dnsmasq.conf").read_text()
    assert f"guest network {db['id']} " in text and vm["nic"][0]["macaddress"] in text
    [seen] = admin.listNetworks(id=db["id"])["network"]
    assert seen["state"] == "Implemented" and seen["vlan"]

    busy = api_error(user.deleteNetwork, id=db["id"])
    assert busy.errorcode == 536 and vm["name"] in busy.errortext
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    before = generation(router)
    succeeded(user, user.deleteNetwork(id=db["id"]))
    assert generation(router) > before
    assert f"guest network {db['id']} " not in (router / "dnsmasq.conf").read_text()
    assert [n["id"] for n in user.listNetworks(vpcid=vpc["id"])["network"]] == [web["id"]]
    again = create_tier(user, zone, vpc, gateway="10.45.2.1")
    assert again["cidr"] == "10.45.2.0/24"
