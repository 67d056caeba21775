"""EC2 routes of route tables: CreateRoute, ReplaceRoute and DeleteRoute, and the native
static routes of a table in EC2's `Route` shape.

A route is a native static route of the table (`createStaticRoute routetableid=…`):
to an instance or network interface of the VPC it is a route to that NIC's address
(`nexthop`), to the internet gateway attached to the VPC (`GatewayId igw-…`) it is a
route out through it (`internetgatewayid`). The VPC's router applies them. Other targets
(NAT gateways, peering…) are not available.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, NativeValue, Output, Params, QueryContext
from translator.ec2.network_interfaces import interface_items
from translator.ec2.vpc_lookup import native_row, vpc_row
from translator.errors import AwsError, InvalidParameterValue, MissingParameter
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

TARGETS_NOT_AVAILABLE = (
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "VpcEndpointId",
    "CoreNetworkArn",
    "OdbNetworkArn",
)
"""Route targets other than instances, interfaces and internet gateways."""
TARGETS = ("InstanceId", "NetworkInterfaceId", "GatewayId")


class RouteAlreadyExists(AwsError):
    code = "RouteAlreadyExists"


class InvalidRouteNotFound(AwsError):
    code = "InvalidRoute.NotFound"


class RouteLimitExceeded(AwsError):
    code = "RouteLimitExceeded"


class InvalidGatewayIdNotFound(AwsError):
    code = "InvalidGatewayID.NotFound"


def static_routes(ctx: QueryContext) -> dict[str, list[dict[str, Any]]]:
    """Native route table uuid → its static routes in EC2's `Route` shape. A next hop that
    is the address of an instance's NIC in the VPC names that interface and instance; a
    route to an internet gateway names it, blackholed while it is not attached to the
    route's VPC."""
    interfaces = {
        (eni["VpcId"], eni["PrivateIpAddress"]): eni
        for eni in interface_items(ctx)
        if eni.get("VpcId")
    }
    rows = ctx.listing("listStaticRoutes", "staticroute", listall=True)
    vpc_ids = ctx.ids.aws_ids("vpc", [str(row["vpcid"]) for row in rows])
    gateways = ctx.listing("listInternetGateways", "internetgateway", listall=True)
    attached = {str(row["id"]): str(row.get("vpcid") or "") for row in gateways}
    gateway_ids = ctx.ids.aws_ids(
        "internet-gateway",
        [str(row["internetgatewayid"]) for row in rows if row.get("internetgatewayid")],
    )
    routes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        route: dict[str, Any] = {"DestinationCidrBlock": row["cidr"], "Origin": "CreateRoute"}
        live = row.get("state") == "Active"
        igw = row.get("internetgatewayid")
        if igw:
            route["GatewayId"] = gateway_ids.get(str(igw), "")
            live = live and attached.get(str(igw)) == str(row["vpcid"])
        else:
            eni = interfaces.get((vpc_ids.get(str(row["vpcid"])), row.get("nexthop")))
            live = live and eni is not None
            if eni is not None:
                route |= {
                    "NetworkInterfaceId": eni["NetworkInterfaceId"],
                    "InstanceId": eni["Attachment"]["InstanceId"],
                    "InstanceOwnerId": eni["OwnerId"],
                }
        route["State"] = "active" if live else "blackhole"
        routes[str(row["routetableid"])].append(route)
    return routes


def route_table_row(ctx: QueryContext, aws_id: str) -> dict[str, Any]:
    """The native route table of a `rtb-` id (InvalidRouteTableID.NotFound/.Malformed)."""
    return native_row(ctx, "listRouteTables", "routetable", kind="route-table", aws_id=aws_id)


def _destination(params: Params, *, vpc: Mapping[str, Any], to_gateway: bool) -> str:
    text = params.get("DestinationCidrBlock")
    if not text:
        raise MissingParameter("The request must contain the parameter destinationCidrBlock")
    try:
        block = ipaddress.IPv4Network(str(text))
    except ValueError:
        raise InvalidParameterValue(
            f"Value ({text}) for parameter destinationCidrBlock is invalid. "
            "This is not a valid CIDR block."
        ) from None
    own = ipaddress.IPv4Network(str(vpc["cidr"]))
    if block.subnet_of(own) or (not to_gateway and block.overlaps(own)):
        raise InvalidParameterValue(
            f"The destination CIDR block {block} is equal to or more specific than one of "
            f"this VPC's CIDR blocks, or overlaps it. This route can target only an "
            "internet gateway, or a destination outside the VPC."
        )
    return str(block)


def _gateway_target(ctx: QueryContext, gateway_id: str, *, vpc: Mapping[str, Any]) -> str:
    if not gateway_id.startswith("igw-"):
        raise InvalidParameterValue(
            f"The gateway {gateway_id} is not available: route to an internet gateway, an "
            "instance or a network interface of the VPC."
        )
    uuid = ctx.ids.uuid("internet-gateway", gateway_id)
    rows = ctx.listing("listInternetGateways", "internetgateway", id=uuid, listall=True)
    if not rows:
        raise InvalidGatewayIdNotFound(f"The gateway ID '{gateway_id}' does not exist")
    if rows[0].get("vpcid") != vpc["id"]:
        raise InvalidParameterValue(
            f"route table and network gateway {gateway_id} belong to different networks"
        )
    return uuid


def _next_hop(ctx: QueryContext, params: Params, *, vpc: Mapping[str, Any]) -> str:
    """The address a route's target (InstanceId or NetworkInterfaceId in the VPC) has."""
    instance, interface = params.get("InstanceId"), params.get("NetworkInterfaceId")
    if instance:
        ctx.ids.uuid("instance", str(instance))
    else:
        ctx.ids.uuid("network-interface", str(interface))
    vpc_id = ctx.ids.aws_id("vpc", str(vpc["id"]))
    for eni in interface_items(ctx):
        named = (
            eni["NetworkInterfaceId"] == interface or eni["Attachment"]["InstanceId"] == instance
        )
        if named and eni.get("VpcId") == vpc_id and eni.get("PrivateIpAddress"):
            return str(eni["PrivateIpAddress"])
    raise InvalidParameterValue(f"The route target is not in the route table's VPC {vpc_id}.")


def _target(ctx: QueryContext, params: Params, *, vpc: Mapping[str, Any]) -> dict[str, NativeValue]:
    """createStaticRoute's target parameters for the route's one target."""
    for member in TARGETS_NOT_AVAILABLE:
        if params.get(member):
            raise InvalidParameterValue(
                f"{member} targets are not available: route to an internet gateway, an "
                "instance or a network interface of the VPC."
            )
    named = [member for member in TARGETS if params.get(member)]
    if len(named) != 1:
        raise MissingParameter(
            "The request must name exactly one target: gatewayId, instanceId or networkInterfaceId"
        )
    if named[0] == "GatewayId":
        return {"internetgatewayid": _gateway_target(ctx, str(params["GatewayId"]), vpc=vpc)}
    return {"nexthop": _next_hop(ctx, params, vpc=vpc)}


def _route_to(ctx: QueryContext, *, table: Mapping[str, Any], cidr: str) -> dict[str, Any] | None:
    rows = ctx.listing(
        "listStaticRoutes", "staticroute", routetableid=str(table["id"]), listall=True
    )
    return next((row for row in rows if row.get("cidr") == cidr), None)


def _resolve(ctx: QueryContext, params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
    """The route table the request names and its VPC."""
    table = route_table_row(ctx, str(params.get("RouteTableId") or ""))
    vpc = vpc_row(ctx, ctx.ids.aws_id("vpc", str(table["vpcid"])))
    return table, vpc


def _destination_of(params: Params, *, vpc: Mapping[str, Any]) -> str:
    return _destination(params, vpc=vpc, to_gateway=bool(params.get("GatewayId")))


@runs("createStaticRoute")
def create_route(ctx: QueryContext, params: Params) -> Output:
    table, vpc = _resolve(ctx, params)
    cidr = _destination_of(params, vpc=vpc)
    target = _target(ctx, params, vpc=vpc)
    if _route_to(ctx, table=table, cidr=cidr) is not None:
        raise RouteAlreadyExists(
            f"The route identified by {cidr} already exists in {params['RouteTableId']}."
        )
    try:
        ctx.run("createStaticRoute", routetableid=str(table["id"]), cidr=cidr, **target)
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={532: RouteLimitExceeded}) from None
    return {"Return": True}


def _restore(current: Mapping[str, Any]) -> dict[str, NativeValue]:
    if current.get("internetgatewayid"):
        return {"internetgatewayid": str(current["internetgatewayid"])}
    return {"nexthop": str(current.get("nexthop") or "")}


@runs("createStaticRoute", "deleteStaticRoute")
def replace_route(ctx: QueryContext, params: Params) -> Output:
    table, vpc = _resolve(ctx, params)
    cidr = _destination_of(params, vpc=vpc)
    target = _target(ctx, params, vpc=vpc)
    current = _route_to(ctx, table=table, cidr=cidr)
    if current is None:
        raise InvalidRouteNotFound(
            f"no route with destination-cidr-block {cidr} in route table {params['RouteTableId']}"
        )
    ctx.run("deleteStaticRoute", id=str(current["id"]))
    try:
        ctx.run("createStaticRoute", routetableid=str(table["id"]), cidr=cidr, **target)
    except NativeFailure:
        ctx.run("createStaticRoute", routetableid=str(table["id"]), cidr=cidr, **_restore(current))
        raise
    return {}


@runs("deleteStaticRoute")
def delete_route(ctx: QueryContext, params: Params) -> Output:
    table, vpc = _resolve(ctx, params)
    cidr = _destination(params, vpc=vpc, to_gateway=True)
    current = _route_to(ctx, table=table, cidr=cidr)
    if current is None:
        raise InvalidRouteNotFound(
            f"no route with destination-cidr-block {cidr} in route table {params['RouteTableId']}"
        )
    ctx.run("deleteStaticRoute", id=str(current["id"]))
    return {}


ACTIONS: Mapping[str, Action] = action_table([create_route, replace_route, delete_route])
