"""VPC route tables through `cs` (Alto extension): the main table made with the VPC,
custom tables created, listed, tagged, associated with tiers and deleted; static routes in
a table, to an internet gateway; what the router runs; bad input (431), tables in use
(536) and other accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.native.api.network.vpc_helpers import create_tier, create_vpc, new_router, routers_in
from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account
from tests.support.vms import succeeded
from tests.support.zones import SimZone


def _tables(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listRouteTables(**params).get("routetable", []))


def _create_table(client: CloudStack, vpc: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer = client.createRouteTable(vpcid=vpc["id"], **params)
    return dict(succeeded(client, answer)["routetable"])


def test_main_table_comes_and_goes_with_the_vpc(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.61.0.0/16", start=False)
    [main] = _tables(user, vpcid=vpc["id"])
    assert (main["ismain"], main["vpcid"], main["name"]) == (True, vpc["id"], "main")
    assert main["account"] == tenant.name
    tier = create_tier(user, zone, vpc, gateway="10.61.1.1")
    assert _tables(user, networkid=tier["id"]) == [main | {"networkids": [tier["id"]]}]
    assert api_error(user.deleteRouteTable, id=main["id"]).errorcode == 431
    succeeded(user, user.deleteNetwork(id=tier["id"]))
    succeeded(user, user.deleteVPC(id=vpc["id"]))
    assert api_error(user.listRouteTables, id=main["id"]).errorcode == 431


def test_custom_table_associated_with_a_tier(
    zone: SimZone, tenant: Tenant, network_dir: Path
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, cidr="10.62.0.0/16")
    router = new_router(network_dir, before)
    tier = create_tier(user, zone, vpc, gateway="10.62.1.1")
    other_tier = create_tier(user, zone, vpc, gateway="10.62.2.1")
    table = _create_table(user, vpc, name="web")
    assert (table["ismain"], table["name"], table.get("networkids", [])) == (False, "web", [])
    answer = user.associateRouteTable(networkid=tier["id"], routetableid=table["id"])
    associated = succeeded(user, answer)["routetable"]
    assert associated["networkids"] == [tier["id"]]
    [main] = _tables(user, vpcid=vpc["id"], ismain=True)
    assert main["networkids"] == [other_tier["id"]]
    assert [t["id"] for t in _tables(user, networkid=tier["id"])] == [table["id"]]
    routes = (router / "routes.batch").read_text()
    assert "rule add from 10.62.1.0/24 lookup 100 " in routes
    assert "route replace throw 10.62.0.0/16 table 100 " in routes
    assert "route replace unreachable default table 100 " in routes
    assert "10.62.2.0/24" not in routes

    gateway = user.createInternetGateway()["internetgateway"]
    assert (
        api_error(
            user.createStaticRoute,
            routetableid=table["id"],
            cidr="0.0.0.0/0",
            internetgatewayid=gateway["id"],
        ).errorcode
        == 431
    )
    user.attachInternetGateway(id=gateway["id"], vpcid=vpc["id"])
    answer = user.createStaticRoute(
        routetableid=table["id"], cidr="0.0.0.0/0", internetgatewayid=gateway["id"]
    )
    route = succeeded(user, answer)["staticroute"]
    assert (route["routetableid"], route["internetgatewayid"], route["vpcid"]) == (
        table["id"],
        gateway["id"],
        vpc["id"],
    )
    [listed] = user.listStaticRoutes(routetableid=table["id"])["staticroute"]
    assert listed["id"] == route["id"]
    routes = (router / "routes.batch").read_text()
    public_gateway = next(
        line.split(" via ")[1].split()[0]
        for line in routes.splitlines()
        if line.startswith("route replace 0.0.0.0/0 via")
    )
    assert f"route replace 0.0.0.0/0 via {public_gateway} table 100 " in routes
    assert "unreachable default table 100" not in routes

    assert api_error(user.deleteRouteTable, id=table["id"]).errorcode == 536
    answer = user.associateRouteTable(networkid=tier["id"], routetableid=main["id"])
    assert succeeded(user, answer)["routetable"]["ismain"] is True
    assert "lookup 100" not in (router / "routes.batch").read_text()
    succeeded(user, user.deleteRouteTable(id=table["id"]))
    assert "staticroute" not in user.listStaticRoutes(vpcid=vpc["id"])


def test_routes_of_a_table_and_bad_input(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.63.0.0/16")
    other_vpc = create_vpc(user, zone, cidr="10.64.0.0/16", start=False)
    foreign_tier = create_tier(user, zone, other_vpc, gateway="10.64.1.1")
    table = _create_table(user, vpc)
    [main] = _tables(user, vpcid=vpc["id"], ismain=True)
    succeeded(
        user,
        user.createStaticRoute(
            routetableid=table["id"], cidr="192.168.5.0/24", nexthop="10.63.1.9"
        ),
    )
    succeeded(
        user, user.createStaticRoute(vpcid=vpc["id"], cidr="192.168.5.0/24", nexthop="10.63.1.8")
    )
    in_main = user.listStaticRoutes(routetableid=main["id"])["staticroute"]
    assert [(r["cidr"], r["nexthop"]) for r in in_main] == [("192.168.5.0/24", "10.63.1.8")]
    for params, code in (
        ({"routetableid": table["id"], "cidr": "192.168.5.0/24", "nexthop": "10.63.1.7"}, 537),
        ({"routetableid": table["id"], "vpcid": other_vpc["id"], "cidr": "192.168.6.0/24"}, 431),
        ({"routetableid": table["id"], "cidr": "0.0.0.0/0", "nexthop": "10.63.1.7"}, 431),
    ):
        params.setdefault("nexthop", "10.63.1.7")
        assert api_error(user.createStaticRoute, **params).errorcode == code, params
    error = api_error(
        user.associateRouteTable, networkid=foreign_tier["id"], routetableid=table["id"]
    )
    assert error.errorcode == 431
    answer = user.createTags(
        resourcetype="RouteTable", resourceids=table["id"], tags=[{"key": "k", "value": "v"}]
    )
    succeeded(user, answer)
    [tagged] = _tables(user, tags=[{"key": "k", "value": "v"}])
    assert tagged["id"] == table["id"] and tagged["tags"][0]["key"] == "k"


def test_tables_are_private_to_their_account(
    zone: SimZone, tenant: Tenant, admin: CloudStack
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.65.0.0/16", start=False)
    table = _create_table(user, vpc)
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    own_vpc = create_vpc(stranger, zone, cidr="10.66.0.0/16", start=False)
    own_tier = create_tier(stranger, zone, own_vpc, gateway="10.66.1.1")
    assert [t["vpcid"] for t in _tables(stranger, listall=True)] == [own_vpc["id"]]
    assert api_error(stranger.listRouteTables, id=table["id"]).errorcode in (431, 531)
    assert api_error(stranger.deleteRouteTable, id=table["id"]).errorcode in (431, 531)
    assert api_error(stranger.createRouteTable, vpcid=vpc["id"]).errorcode in (431, 531)
    error = api_error(
        stranger.associateRouteTable, networkid=own_tier["id"], routetableid=table["id"]
    )
    assert error.errorcode in (431, 531)
    error = api_error(
        stranger.createStaticRoute,
        routetableid=table["id"],
        cidr="192.168.9.0/24",
        nexthop="10.65.1.5",
    )
    assert error.errorcode in (431, 531)


def test_tables_and_routes_stop_at_the_accounts_limits(
    zone: SimZone, tenant: Tenant, admin: CloudStack
) -> None:
    owner = new_account(admin, endpoint=tenant.endpoint)
    for name in ("vpc.max.route.tables", "vpc.route.table.max.routes"):
        admin.updateConfiguration(name=name, value="2", accountid=owner.id)
    user = owner.client()
    vpc = create_vpc(user, zone, cidr="10.67.0.0/16", start=False)
    table = _create_table(user, vpc)
    error = api_error(user.createRouteTable, vpcid=vpc["id"])
    assert (error.errorcode, "vpc.max.route.tables" in error.errortext) == (532, True)
    for third in (1, 2):
        answer = user.createStaticRoute(
            routetableid=table["id"], cidr=f"192.168.{third}.0/24", nexthop="10.67.1.9"
        )
        succeeded(user, answer)
    error = api_error(
        user.createStaticRoute,
        routetableid=table["id"],
        cidr="192.168.3.0/24",
        nexthop="10.67.1.9",
    )
    assert (error.errorcode, "vpc.route.table.max.routes" in error.errortext) == (532, True)
    assert len(user.listStaticRoutes(routetableid=table["id"])["staticroute"]) == 2
    assert len(_tables(user, vpcid=vpc["id"])) == 2
