"""VPC private gateways through `cs`: created by the root admin, seen by the VPC's owner,
their ACL list replaced, deleted once no static route uses them; bad input and failed
applies."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.vpc_helpers import (
    create_vpc,
    failing_applies,
    generation,
    new_router,
    routers_in,
)
from tests.support.api import api_error
from tests.support.tenants import Tenant
from tests.support.vms import failed, succeeded
from tests.support.zones import SimZone


@pytest.fixture
def vpc_and_router(zone: SimZone, tenant: Tenant, network_dir: Path) -> tuple[dict[str, Any], Path]:
    before = routers_in(network_dir)
    vpc = create_vpc(tenant.client(), zone, cidr="10.90.0.0/16")
    return vpc, new_router(network_dir, before)


VLANS = itertools.count(500)
"""Private VLANs: each test takes its own, as gateways of earlier tests stay in the zone."""


def gateway_params(vpc: dict[str, Any], **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "vpcid": vpc["id"],
        "vlan": str(next(VLANS)),
        "ipaddress": "172.16.5.10",
        "gateway": "172.16.5.1",
        "netmask": "255.255.255.0",
    }
    params.update(extra)
    return params


def create_gateway(admin: CloudStack, vpc: dict[str, Any], **extra: Any) -> dict[str, Any]:
    answer = admin.createPrivateGateway(**gateway_params(vpc, **extra))
    return dict(succeeded(admin, answer)["privategateway"])


def gateways_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listPrivateGateways(**params).get("privategateway", []))


def test_create_list_replace_delete(
    admin: CloudStack,
    tenant: Tenant,
    zone: SimZone,
    vpc_and_router: tuple[dict[str, Any], Path],
) -> None:
    vpc, router = vpc_and_router
    user = tenant.client()
    start = generation(router)
    vlan = next(VLANS)
    gateway = create_gateway(admin, vpc, vlan=f"vlan://{vlan}")
    [deny] = user.listNetworkACLLists(name="default_deny")["networkacllist"]
    assert (gateway["ipaddress"], gateway["gateway"], gateway["netmask"]) == (
        "172.16.5.10",
        "172.16.5.1",
        "255.255.255.0",
    )
    assert (gateway["vlan"], gateway["state"], gateway["sourcenatsupported"]) == (
        f"vlan://{vlan}",
        "Ready",
        False,
    )
    assert (gateway["vpcid"], gateway["vpcname"], gateway["zoneid"]) == (
        vpc["id"],
        vpc["name"],
        zone.id,
    )
    assert (gateway["aclid"], gateway["aclname"]) == (deny["id"], "default_deny")
    assert gateway["physicalnetworkid"] == zone.physical_network["id"]
    assert (gateway["account"], gateway["domainid"]) == (tenant.name, tenant.domainid)
    assert generation(router) > start
    assert '"prv0"' in (router / "nftables.conf").read_text()

    assert [found["id"] for found in gateways_of(user)] == [gateway["id"]]
    assert [found["id"] for found in gateways_of(user, vpcid=vpc["id"], vlan=str(vlan))] == [
        gateway["id"]
    ]
    assert gateways_of(user, ipaddress="172.16.5.11") == []

    acl = succeeded(user, user.createNetworkACLList(name="pgw", vpcid=vpc["id"]))
    answer = user.replaceNetworkACLList(aclid=acl["networkacllist"]["id"], gatewayid=gateway["id"])
    assert succeeded(user, answer) == {"success": True}
    [replaced] = gateways_of(user)
    assert replaced["aclid"] == acl["networkacllist"]["id"]
    error = api_error(user.deleteNetworkACLList, id=acl["networkacllist"]["id"])
    assert error.errorcode == 536 and "private gateway" in error.errortext

    assert succeeded(admin, admin.deletePrivateGateway(id=gateway["id"])) == {"success": True}
    assert gateways_of(user) == []
    assert '"prv0"' not in (router / "nftables.conf").read_text()
    events = {e["type"] for e in admin.listEvents()["event"] if e["state"] == "Completed"}
    assert {"PRIVATE.GATEWAY.CREATE", "PRIVATE.GATEWAY.DELETE"} <= events


def test_only_root_admins_create_or_delete(
    admin: CloudStack, tenant: Tenant, vpc_and_router: tuple[dict[str, Any], Path]
) -> None:
    vpc, _ = vpc_and_router
    user = tenant.client()
    error = api_error(user.createPrivateGateway, **gateway_params(vpc))
    assert error.errorcode == 401
    gateway = create_gateway(admin, vpc)
    error = api_error(user.deletePrivateGateway, id=gateway["id"])
    assert error.errorcode == 401


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"vlan": "abc"}, "Invalid vlan abc"),
    ({"vlan": "5000"}, "Invalid vlan 5000"),
    ({"ipaddress": "172.16.6.10"}, "same subnet as your gateway"),
    ({"ipaddress": "172.16.5.1"}, "gateway's own address"),
    ({"ipaddress": "nonsense"}, "ipaddress"),
    ({"netmask": "255.0.255.0"}, "netmask"),
    ({"vlan": "{taken}", "gateway": "172.16.7.1", "ipaddress": "172.16.7.2"}, "vlan {taken}"),
    ({"vlan": "{taken}"}, "Private ip address 172.16.5.10 already used"),
    ({"vlan": None}, "missing parameter vlan"),
]


def test_bad_input_is_refused_at_once(
    admin: CloudStack,
    tenant: Tenant,
    zone: SimZone,
    vpc_and_router: tuple[dict[str, Any], Path],
) -> None:
    vpc, _ = vpc_and_router
    other = create_vpc(tenant.client(), zone, cidr="10.91.0.0/16", start=False)
    taken = str(next(VLANS))
    create_gateway(admin, other, vlan=taken)
    for extra, expected in BAD_INPUT:
        params = gateway_params(vpc, **extra)
        params = {k: v.format(taken=taken) for k, v in params.items() if v is not None}
        error = api_error(admin.createPrivateGateway, **params)
        assert (error.status, error.errorcode) == (431, 431), (extra, error)
        assert expected.format(taken=taken) in error.errortext
    assert gateways_of(tenant.client(), vpcid=vpc["id"]) == []


def test_gateways_share_a_private_network_and_acl_rules(
    admin: CloudStack,
    tenant: Tenant,
    zone: SimZone,
    vpc_and_router: tuple[dict[str, Any], Path],
) -> None:
    vpc, _ = vpc_and_router
    other = create_vpc(tenant.client(), zone, cidr="10.92.0.0/16", start=False)
    vlan = str(next(VLANS))
    create_gateway(admin, other, vlan=vlan, ipaddress="172.16.5.20")
    shared = create_gateway(admin, vpc, vlan=vlan, ipaddress="172.16.5.21")
    assert shared["state"] == "Ready"
    answer = tenant.client().createNetworkACLList(name="far", vpcid=other["id"])
    far = succeeded(tenant.client(), answer)["networkacllist"]
    error = api_error(admin.createPrivateGateway, **gateway_params(vpc, aclid=far["id"]))
    assert error.errorcode == 431 and "not in the same vpc" in error.errortext
    error = api_error(admin.replaceNetworkACLList, aclid=far["id"], gatewayid=shared["id"])
    assert error.errorcode == 431 and "do not belong to the same VPC" in error.errortext


def test_failed_applies_change_nothing(
    admin: CloudStack,
    tenant: Tenant,
    network_dir: Path,
    vpc_and_router: tuple[dict[str, Any], Path],
) -> None:
    vpc, router = vpc_and_router
    with failing_applies(network_dir, router):
        error = failed(admin, admin.createPrivateGateway(**gateway_params(vpc)))
    assert error["errorcode"] == 534
    assert gateways_of(tenant.client()) == []
    assert '"prv0"' not in (router / "nftables.conf").read_text()

    gateway = create_gateway(admin, vpc)
    with failing_applies(network_dir, router):
        error = failed(admin, admin.deletePrivateGateway(id=gateway["id"]))
    assert error["errorcode"] == 534
    [kept] = gateways_of(tenant.client())
    assert (kept["id"], kept["state"]) == (gateway["id"], "Ready")
    assert '"prv0"' in (router / "nftables.conf").read_text()
