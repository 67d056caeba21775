"""listRouters and rebootRouter through `cs`: the routers of VPCs and isolated networks as
administrators see them, their filters, a reboot that re-applies the configuration (and
its failure), and users refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.native.api.network.test_networks import create
from tests.native.api.network.vpc_helpers import (
    create_tier,
    create_vpc,
    generation,
    source_nat_address,
)
from tests.support.api import api_error
from tests.support.tenants import Tenant
from tests.support.vms import deploy, failed, succeeded
from tests.support.zones import SimZone


def _routers(admin: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(admin.listRouters(listall=True, **params).get("router", []))


def test_routers_of_a_vpc_and_of_an_isolated_network(
    admin: CloudStack,
    tenant: Tenant,
    zone: SimZone,
    so: dict[str, Any],
    template: dict[str, Any],
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.71.0.0/16")
    tier = create_tier(user, zone, vpc, gateway="10.71.1.1")
    network = create(user, zone, gateway="10.72.0.1", netmask="255.255.255.0")
    deploy(user, zone, so, template, networkids=network["id"])

    [vpc_router] = _routers(admin, vpcid=vpc["id"])
    assert vpc_router["name"].startswith("r-") and vpc_router["name"].endswith("-VM")
    assert (vpc_router["state"], vpc_router["role"]) == ("Running", "VIRTUAL_ROUTER")
    assert (vpc_router["vpcid"], vpc_router["vpcname"]) == (vpc["id"], vpc["name"])
    assert vpc_router["publicip"] == source_nat_address(user, vpc)
    assert (vpc_router["account"], vpc_router["zoneid"]) == (tenant.name, zone.id)
    assert vpc_router["appliedgeneration"] == vpc_router["generation"]
    assert vpc_router["healthchecksfailed"] is False and "applyerror" not in vpc_router
    assert [r["id"] for r in _routers(admin, networkid=tier["id"])] == [vpc_router["id"]]

    [isolated] = _routers(admin, networkid=network["id"])
    assert (isolated["guestnetworkid"], isolated["guestipaddress"]) == (network["id"], "10.72.0.1")
    assert isolated["guestnetmask"] == "255.255.255.0" and "vpcid" not in isolated
    own = {
        r["id"] for r in _routers(admin, account=tenant.name, domainid=tenant.account["domainid"])
    }
    assert own == {vpc_router["id"], isolated["id"]}
    assert [r["id"] for r in _routers(admin, id=isolated["id"])] == [isolated["id"]]
    assert [r["id"] for r in _routers(admin, name=isolated["name"])] == [isolated["id"]]
    in_vpcs = {
        r["id"]
        for r in _routers(
            admin, forvpc=True, account=tenant.name, domainid=tenant.account["domainid"]
        )
    }
    assert in_vpcs == {vpc_router["id"]}
    assert api_error(user.listRouters).errorcode == 401
    assert api_error(user.rebootRouter, id=isolated["id"]).errorcode == 401


def test_reboot_applies_the_configuration_again(
    admin: CloudStack,
    tenant: Tenant,
    zone: SimZone,
    network_dir: Path,
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.73.0.0/16")
    [router] = _routers(admin, vpcid=vpc["id"])
    applied = network_dir / router["name"]
    before = generation(applied)
    rebooted = succeeded(admin, admin.rebootRouter(id=router["id"]))["router"]
    assert generation(applied) == before + 1
    assert rebooted["appliedgeneration"] == rebooted["generation"] == str(before + 1)

    faults = network_dir / "faults.json"
    faults.write_text(json.dumps({"apply": 1, "router": router["name"]}))
    try:
        error = failed(admin, admin.rebootRouter(id=router["id"]))
    finally:
        faults.unlink()
    assert error["errorcode"] == 534 and router["name"] in error["errortext"]
    [broken] = _routers(admin, id=router["id"])
    assert broken["healthchecksfailed"] is True and "Simulated failure" in broken["applyerror"]
    assert generation(applied) == before + 1
    succeeded(admin, admin.rebootRouter(id=router["id"]))
    [healed] = _routers(admin, id=router["id"])
    assert healed["healthchecksfailed"] is False and "applyerror" not in healed
