"""EC2 route tables: DescribeRouteTables, CreateRouteTable, DeleteRouteTable,
AssociateRouteTable, DisassociateRouteTable and ReplaceRouteTableAssociation (routes are
in `routes`).

A route table is a native VPC route table (`createRouteTable`, `listRouteTables`). Each
VPC's main table is made with the VPC; its association id is derived from its table id,
and every subnet without an explicit association uses it. An explicit association of a
subnet is the native tier's `routetableid` (`associateRouteTable`); its `rtbassoc-` id
(kind `route-table-association`) is the tier's, so a subnet has at most one. Routes are
the `local` route of the VPC CIDR; on the main table `0.0.0.0/0` through the internet
gateway while one is attached (unless the table has its own `0.0.0.0/0` route); and the
table's native static routes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2.describe import Describer
from translator.ec2.internet_gateways import attached_gateways
from translator.ec2.routes import route_table_row, static_routes
from translator.ec2.subnets import subnet_row
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.vpc_lookup import native_row, not_found, own_vpcs, vpc_row
from translator.errors import AwsError, DependencyViolation, InvalidParameterValue
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs


class ResourceAlreadyAssociated(AwsError):
    code = "Resource.AlreadyAssociated"


class RouteTableLimitExceeded(AwsError):
    code = "RouteTableLimitExceeded"


ASSOCIATED = {"State": "associated"}


def _local_and_gateway_routes(
    vpc: Mapping[str, Any], *, gateway_id: str | None, static: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    routes = [
        {
            "DestinationCidrBlock": vpc["cidr"],
            "GatewayId": "local",
            "Origin": "CreateRouteTable",
            "State": "active",
        }
    ]
    has_default = any(route["DestinationCidrBlock"] == "0.0.0.0/0" for route in static)
    if gateway_id is not None and not has_default:
        routes.append(
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": gateway_id,
                "Origin": "CreateRoute",
                "State": "active",
            }
        )
    return [*routes, *static]


def _associations(
    ctx: QueryContext, table: Mapping[str, Any], *, table_id: str
) -> list[dict[str, Any]]:
    if table.get("ismain"):
        return [
            {
                "Main": True,
                "RouteTableAssociationId": f"rtbassoc-{table_id.split('-', 1)[1]}",
                "RouteTableId": table_id,
                "AssociationState": ASSOCIATED,
            }
        ]
    networks = [str(uuid) for uuid in table.get("networkids") or []]
    subnets = ctx.ids.aws_ids("subnet", networks)
    associations = ctx.ids.aws_ids("route-table-association", networks)
    return [
        {
            "Main": False,
            "RouteTableAssociationId": associations[uuid],
            "RouteTableId": table_id,
            "SubnetId": subnets[uuid],
            "AssociationState": ASSOCIATED,
        }
        for uuid in networks
        if uuid in subnets and uuid in associations
    ]


def route_table_items(ctx: QueryContext) -> list[dict[str, Any]]:
    """Every route table the caller sees, in EC2's `RouteTable` shape."""
    tables = ctx.listing("listRouteTables", "routetable", listall=True)
    vpcs = {str(vpc["id"]): vpc for vpc in own_vpcs(ctx)}
    table_ids = ctx.ids.aws_ids("route-table", [str(table["id"]) for table in tables])
    vpc_ids = ctx.ids.aws_ids("vpc", list(vpcs))
    gateways = attached_gateways(ctx)
    routes = static_routes(ctx)
    items = []
    for table in tables:
        uuid, vpc_uuid = str(table["id"]), str(table["vpcid"])
        if uuid not in table_ids or vpc_uuid not in vpc_ids:
            continue
        items.append(
            {
                "RouteTableId": table_ids[uuid],
                "VpcId": vpc_ids[vpc_uuid],
                "OwnerId": ctx.account_id,
                "Routes": _local_and_gateway_routes(
                    vpcs[vpc_uuid],
                    gateway_id=gateways.get(vpc_uuid) if table.get("ismain") else None,
                    static=routes.get(uuid, []),
                ),
                "Associations": _associations(ctx, table, table_id=table_ids[uuid]),
                "PropagatingVgws": [],
                "Tags": ec2_tags(table),
            }
        )
    return items


ROUTE_TABLES = Describer(
    filters={
        "route-table-id": lambda table: [table["RouteTableId"]],
        "vpc-id": lambda table: [table["VpcId"]],
        "owner-id": lambda table: [table["OwnerId"]],
        "association.main": lambda table: [a["Main"] for a in table["Associations"]],
        "association.route-table-association-id": lambda table: [
            a["RouteTableAssociationId"] for a in table["Associations"]
        ],
        "association.route-table-id": lambda table: [
            a["RouteTableId"] for a in table["Associations"]
        ],
        "association.subnet-id": lambda table: [
            a["SubnetId"] for a in table["Associations"] if "SubnetId" in a
        ],
        "route.destination-cidr-block": lambda table: [
            route["DestinationCidrBlock"] for route in table["Routes"]
        ],
        "route.gateway-id": lambda table: [
            route["GatewayId"] for route in table["Routes"] if "GatewayId" in route
        ],
        "route.instance-id": lambda table: [
            route["InstanceId"] for route in table["Routes"] if "InstanceId" in route
        ],
        "route.state": lambda table: [route["State"] for route in table["Routes"]],
        "route.origin": lambda table: [route["Origin"] for route in table["Routes"]],
    },
    key=lambda table: str(table["RouteTableId"]),
)


@runs("listRouteTables")
def describe_route_tables(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("RouteTableIds") or [])
    if wanted:
        ctx.ids.uuids("route-table", wanted)
    items = route_table_items(ctx)
    if wanted:
        seen = {item["RouteTableId"] for item in items}
        missing = [aws_id for aws_id in wanted if aws_id not in seen]
        if missing:
            raise not_found("route-table", missing[0])
        items = [item for item in items if item["RouteTableId"] in wanted]
    page, token = ROUTE_TABLES.page(items, params)
    return {"RouteTables": page, "NextToken": token}


def _table_item(ctx: QueryContext, uuid: str) -> dict[str, Any]:
    table_id = ctx.ids.aws_id("route-table", uuid)
    return next(item for item in route_table_items(ctx) if item["RouteTableId"] == table_id)


@runs("createRouteTable")
def create_route_table(ctx: QueryContext, params: Params) -> Output:
    vpc = vpc_row(ctx, str(params.get("VpcId") or ""))
    try:
        row = ctx.run("createRouteTable", vpcid=str(vpc["id"]))["routetable"]
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={532: RouteTableLimitExceeded}) from None
    uuid = str(row["id"])
    tag_resources(
        ctx, resource_type="route-table", uuids=[uuid], tags=specified_tags(params, "route-table")
    )
    return {"RouteTable": _table_item(ctx, uuid)}


@runs("deleteRouteTable")
def delete_route_table(ctx: QueryContext, params: Params) -> Output:
    aws_id = str(params.get("RouteTableId") or "")
    table = route_table_row(ctx, aws_id)
    if table.get("ismain"):
        raise DependencyViolation(
            f"The routeTable '{aws_id}' is the main route table of its VPC and cannot be deleted."
        )
    if table.get("networkids"):
        raise DependencyViolation(
            f"The routeTable '{aws_id}' has dependencies and cannot be deleted."
        )
    ctx.run("deleteRouteTable", id=str(table["id"]))
    return {"Return": True}


def _main_table_uuid(ctx: QueryContext, vpc_uuid: str) -> str:
    [main] = ctx.listing("listRouteTables", "routetable", vpcid=vpc_uuid, ismain=True)
    return str(main["id"])


def _associate(ctx: QueryContext, *, subnet: Mapping[str, Any], table: Mapping[str, Any]) -> str:
    """Associate a subnet's tier with a table of its VPC; the association id."""
    if table["vpcid"] != subnet["vpcid"]:
        raise InvalidParameterValue(
            "The route table and the subnet belong to different networks (VPCs)."
        )
    ctx.run("associateRouteTable", networkid=str(subnet["id"]), routetableid=str(table["id"]))
    return ctx.ids.aws_id("route-table-association", str(subnet["id"]))


def _explicit_table(ctx: QueryContext, subnet: Mapping[str, Any]) -> dict[str, Any] | None:
    [used] = ctx.listing("listRouteTables", "routetable", networkid=str(subnet["id"]))
    return None if used.get("ismain") else dict(used)


@runs("associateRouteTable")
def associate_route_table(ctx: QueryContext, params: Params) -> Output:
    if params.get("GatewayId"):
        raise InvalidParameterValue("Gateway route table associations are not available.")
    table = route_table_row(ctx, str(params.get("RouteTableId") or ""))
    subnet = subnet_row(ctx, str(params.get("SubnetId") or ""))
    present = _explicit_table(ctx, subnet)
    if present is not None:
        association = ctx.ids.aws_id("route-table-association", str(subnet["id"]))
        raise ResourceAlreadyAssociated(
            f"the specified association for route table "
            f"{ctx.ids.aws_id('route-table', str(present['id']))} conflicts with an existing "
            f"association {association}"
        )
    association_id = _associate(ctx, subnet=subnet, table=table)
    return {"AssociationId": association_id, "AssociationState": ASSOCIATED}


def _association(ctx: QueryContext, params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
    """The subnet's tier and the table of an explicit association id."""
    aws_id = str(params.get("AssociationId") or "")
    tier = native_row(ctx, "listNetworks", "network", kind="route-table-association", aws_id=aws_id)
    table = _explicit_table(ctx, tier) if tier.get("vpcid") else None
    if table is None:
        raise not_found("route-table-association", aws_id)
    return tier, table


@runs("associateRouteTable")
def disassociate_route_table(ctx: QueryContext, params: Params) -> Output:
    tier, _table = _association(ctx, params)
    main = _main_table_uuid(ctx, str(tier["vpcid"]))
    ctx.run("associateRouteTable", networkid=str(tier["id"]), routetableid=main)
    return {}


@runs("associateRouteTable")
def replace_route_table_association(ctx: QueryContext, params: Params) -> Output:
    tier, _table = _association(ctx, params)
    table = route_table_row(ctx, str(params.get("RouteTableId") or ""))
    association_id = _associate(ctx, subnet=tier, table=table)
    return {"NewAssociationId": association_id, "AssociationState": ASSOCIATED}


ACTIONS: Mapping[str, Action] = action_table(
    [
        describe_route_tables,
        create_route_table,
        delete_route_table,
        associate_route_table,
        disassociate_route_table,
        replace_route_table_association,
    ]
)
