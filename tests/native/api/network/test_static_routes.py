"""VPC static routes through `cs`: through a private gateway or to a next hop, listed,
tagged and deleted; what the router runs, bad input (431), conflicting routes (537),
ownership and failed applies."""

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
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.vms import failed, succeeded
from tests.support.zones import SimZone

VLANS = itertools.count(800)


class Setup:
    """A started VPC (10.95.0.0/16) with a private gateway 172.16.9.1, and its router."""

    def __init__(self, admin: CloudStack, user: CloudStack, zone: SimZone, network_dir: Path):
        before = routers_in(network_dir)
        self.vpc = create_vpc(user, zone, cidr="10.95.0.0/16")
        self.router = new_router(network_dir, before)
        answer = admin.createPrivateGateway(
            vpcid=self.vpc["id"],
            vlan=str(next(VLANS)),
            ipaddress="172.16.9.10",
            gateway="172.16.9.1",
            netmask="255.255.255.0",
        )
        self.gateway = succeeded(admin, answer)["privategateway"]

    def nft(self) -> str:
        return (self.router / "nftables.conf").read_text()


@pytest.fixture
def setup(admin: CloudStack, tenant: Tenant, zone: SimZone, network_dir: Path) -> Setup:
    return Setup(admin, tenant.client(), zone, network_dir)


def create_route(client: CloudStack, **params: Any) -> dict[str, Any]:
    return dict(succeeded(client, client.createStaticRoute(**params))["staticroute"])


def routes_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listStaticRoutes(**params).get("staticroute", []))


def test_create_list_delete(admin: CloudStack, tenant: Tenant, setup: Setup) -> None:
    user = tenant.client()
    start = generation(setup.router)
    route = create_route(user, gatewayid=setup.gateway["id"], cidr="192.168.50.0/24")
    assert (route["cidr"], route["state"], route["vpcid"]) == (
        "192.168.50.0/24",
        "Active",
        setup.vpc["id"],
    )
    assert (route["gatewayid"], route["gatewayip"]) == (setup.gateway["id"], "172.16.9.1")
    assert (route["account"], route["domainid"]) == (tenant.name, tenant.domainid)
    assert generation(setup.router) > start
    assert "192.168.50.0/24 via 172.16.9.1" in setup.nft()

    hop = create_route(user, vpcid=setup.vpc["id"], nexthop="10.95.1.254", cidr="198.18.0.0/15")
    assert (hop["nexthop"], "gatewayid" in hop) == ("10.95.1.254", False)
    assert "198.18.0.0/15 via 10.95.1.254" in setup.nft()

    def ids(**params: Any) -> list[str]:
        return [found["id"] for found in routes_of(user, **params)]

    assert ids() == [route["id"], hop["id"]]
    assert ids(vpcid=setup.vpc["id"]) == [route["id"], hop["id"]]
    assert ids(gatewayid=setup.gateway["id"]) == [route["id"]]
    assert ids(id=hop["id"]) == [hop["id"]]

    error = api_error(admin.deletePrivateGateway, id=setup.gateway["id"])
    assert (error.errorcode, error.cserrorcode) == (536, 4375)
    assert "1 static routes" in error.errortext

    assert succeeded(user, user.deleteStaticRoute(id=route["id"])) == {"success": True}
    assert ids() == [hop["id"]]
    assert "192.168.50.0/24" not in setup.nft()
    succeeded(admin, admin.deletePrivateGateway(id=setup.gateway["id"]))
    events = {e["type"] for e in user.listEvents()["event"] if e["state"] == "Completed"}
    assert {"STATIC.ROUTE.CREATE", "STATIC.ROUTE.DELETE"} <= events


def test_bad_input_and_conflicts(tenant: Tenant, setup: Setup) -> None:
    user = tenant.client()
    create_route(user, gatewayid=setup.gateway["id"], cidr="192.168.60.0/24")
    gateway, vpc = setup.gateway["id"], setup.vpc["id"]
    for params, code, expected in (
        ({"gatewayid": gateway, "cidr": "192.168.60.0/33"}, 431, "Invalid format for cidr"),
        ({"gatewayid": gateway, "cidr": "192.168.60.1/24"}, 431, "Invalid format for cidr"),
        ({"gatewayid": gateway, "cidr": "10.95.4.0/24"}, 431, "outside of VPC cidr 10.95.0.0/16"),
        ({"gatewayid": gateway, "cidr": "10.0.0.0/8"}, 431, "outside of VPC cidr"),
        ({"gatewayid": gateway, "cidr": "192.168.60.0/24"}, 537, "conflicts with existing route"),
        ({"gatewayid": gateway, "cidr": "192.168.60.128/25"}, 537, "192.168.60.0/24"),
        ({"gatewayid": gateway, "cidr": "192.168.0.0/16"}, 537, "conflicts"),
        ({"cidr": "192.168.70.0/24"}, 431, "One of gatewayid or nexthop"),
        ({"nexthop": "10.95.1.1", "cidr": "192.168.70.0/24"}, 431, "vpcid is required"),
        (
            {"gatewayid": gateway, "nexthop": "10.95.1.1", "cidr": "192.168.70.0/24"},
            431,
            "mutually exclusive",
        ),
        ({"vpcid": vpc, "nexthop": "10.95.1", "cidr": "192.168.70.0/24"}, 431, "nexthop"),
    ):
        error = api_error(user.createStaticRoute, **params)
        assert (error.status, error.errorcode) == (code, code), (params, error)
        assert expected in error.errortext, (params, error)
    assert [route["cidr"] for route in routes_of(user)] == ["192.168.60.0/24"]


def test_tags_and_ownership(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, setup: Setup
) -> None:
    user = tenant.client()
    route = create_route(user, gatewayid=setup.gateway["id"], cidr="192.168.80.0/24")
    create_route(user, gatewayid=setup.gateway["id"], cidr="192.168.81.0/24")
    tags = {"tags[0].key": "site", "tags[0].value": "hq"}
    succeeded(user, user.createTags(resourceids=route["id"], resourcetype="StaticRoute", **tags))
    [tagged] = routes_of(user, **tags)
    assert tagged["id"] == route["id"] and tagged["tags"][0]["resourcetype"] == "StaticRoute"

    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint).client()
    assert routes_of(other) == []
    error = api_error(other.deleteStaticRoute, id=route["id"])
    assert error.errorcode == 431
    error = api_error(
        other.createStaticRoute, gatewayid=setup.gateway["id"], cidr="192.168.90.0/24"
    )
    assert error.errorcode == 431
    assert route["id"] in [found["id"] for found in routes_of(admin, listall=True)]

    succeeded(user, user.deleteStaticRoute(id=route["id"]))
    assert user.listTags(resourceid=route["id"]) == {}


def test_failed_applies_change_nothing(tenant: Tenant, setup: Setup, network_dir: Path) -> None:
    user = tenant.client()
    with failing_applies(network_dir, setup.router):
        answer = user.createStaticRoute(gatewayid=setup.gateway["id"], cidr="192.168.100.0/24")
        assert failed(user, answer)["errorcode"] == 534
    assert routes_of(user) == [] and "192.168.100.0/24" not in setup.nft()

    route = create_route(user, gatewayid=setup.gateway["id"], cidr="192.168.100.0/24")
    with failing_applies(network_dir, setup.router):
        assert failed(user, user.deleteStaticRoute(id=route["id"]))["errorcode"] == 534
    [kept] = routes_of(user)
    assert (kept["id"], kept["state"]) == (route["id"], "Active")
    assert "192.168.100.0/24 via 172.16.9.1" in setup.nft()
