"""EC2 internet gateways on native internet gateways (createInternetGateway…):
CreateInternetGateway, DescribeInternetGateways, AttachInternetGateway,
DetachInternetGateway and DeleteInternetGateway.

An attached gateway puts the `0.0.0.0/0` route through it into its VPC's main route table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translator.context import Action, Output, Params, QueryContext
from translator.ec2.describe import Describer
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.vpc_lookup import native_row, not_found, vpc_row
from translator.errors import AwsError, DependencyViolation
from translator.registry import action_table, runs


class ResourceAlreadyAssociated(AwsError):
    code = "Resource.AlreadyAssociated"


class GatewayNotAttached(AwsError):
    code = "Gateway.NotAttached"


def gateway_items(ctx: QueryContext) -> list[dict[str, Any]]:
    """The caller's internet gateways in EC2's `InternetGateway` shape."""
    rows = ctx.listing("listInternetGateways", "internetgateway", listall=True)
    ids = ctx.ids.aws_ids("internet-gateway", [str(row["id"]) for row in rows])
    ids.update(ctx.ids.aws_ids("vpc", [str(row["vpcid"]) for row in rows if row.get("vpcid")]))
    return [
        {
            "InternetGatewayId": ids[str(row["id"])],
            "OwnerId": ctx.account_id,
            "Attachments": (
                [{"VpcId": ids[str(row["vpcid"])], "State": "available"}]
                if row.get("vpcid") and str(row["vpcid"]) in ids
                else []
            ),
            "Tags": ec2_tags(row),
        }
        for row in rows
        if str(row["id"]) in ids
    ]


def attached_gateways(ctx: QueryContext) -> dict[str, str]:
    """Native VPC uuid → the AWS id of the internet gateway attached to it."""
    rows = [
        row
        for row in ctx.listing("listInternetGateways", "internetgateway", listall=True)
        if row.get("vpcid")
    ]
    ids = ctx.ids.aws_ids("internet-gateway", [str(row["id"]) for row in rows])
    return {str(row["vpcid"]): ids[str(row["id"])] for row in rows if str(row["id"]) in ids}


def _gateway(ctx: QueryContext, params: Params) -> dict[str, Any]:
    aws_id = str(params.get("InternetGatewayId") or "")
    return native_row(
        ctx, "listInternetGateways", "internetgateway", kind="internet-gateway", aws_id=aws_id
    )


@runs("createInternetGateway")
def create_internet_gateway(ctx: QueryContext, params: Params) -> Output:
    tags = specified_tags(params, "internet-gateway")
    row = ctx.call("createInternetGateway")["internetgateway"]
    aws_id = ctx.ids.aws_id("internet-gateway", str(row["id"]))
    tag_resources(ctx, resource_type="internet-gateway", uuids=[str(row["id"])], tags=tags)
    return {
        "InternetGateway": {
            "InternetGatewayId": aws_id,
            "OwnerId": ctx.account_id,
            "Attachments": [],
            "Tags": tags,
        }
    }


GATEWAYS = Describer(
    filters={
        "internet-gateway-id": lambda igw: [igw["InternetGatewayId"]],
        "owner-id": lambda igw: [igw["OwnerId"]],
        "attachment.vpc-id": lambda igw: [a["VpcId"] for a in igw["Attachments"]],
        "attachment.state": lambda igw: [a["State"] for a in igw["Attachments"]],
    },
    key=lambda igw: str(igw["InternetGatewayId"]),
)


@runs("listInternetGateways")
def describe_internet_gateways(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("InternetGatewayIds") or [])
    if wanted:
        ctx.ids.uuids("internet-gateway", wanted)
    items = gateway_items(ctx)
    if wanted:
        seen = {item["InternetGatewayId"] for item in items}
        missing = [aws_id for aws_id in wanted if aws_id not in seen]
        if missing:
            raise not_found("internet-gateway", missing[0])
        items = [item for item in items if item["InternetGatewayId"] in wanted]
    page, token = GATEWAYS.page(items, params)
    return {"InternetGateways": page, "NextToken": token}


@runs("attachInternetGateway")
def attach_internet_gateway(ctx: QueryContext, params: Params) -> Output:
    gateway = _gateway(ctx, params)
    vpc_id = str(params.get("VpcId") or "")
    vpc = vpc_row(ctx, vpc_id)
    if gateway.get("vpcid"):
        raise ResourceAlreadyAssociated(
            f"resource {params['InternetGatewayId']} is already attached to network "
            f"{ctx.ids.aws_id('vpc', str(gateway['vpcid']))}"
        )
    present = attached_gateways(ctx).get(str(vpc["id"]))
    if present is not None:
        raise ResourceAlreadyAssociated(f"resource {vpc_id} is already associated with {present}")
    ctx.call("attachInternetGateway", id=str(gateway["id"]), vpcid=str(vpc["id"]))
    return {}


@runs("detachInternetGateway")
def detach_internet_gateway(ctx: QueryContext, params: Params) -> Output:
    gateway = _gateway(ctx, params)
    vpc_id = str(params.get("VpcId") or "")
    vpc = vpc_row(ctx, vpc_id)
    if gateway.get("vpcid") != vpc["id"]:
        raise GatewayNotAttached(
            f"resource {params['InternetGatewayId']} is not attached to network {vpc_id}"
        )
    ctx.call("detachInternetGateway", id=str(gateway["id"]), vpcid=str(vpc["id"]))
    return {}


@runs("deleteInternetGateway")
def delete_internet_gateway(ctx: QueryContext, params: Params) -> Output:
    gateway = _gateway(ctx, params)
    if gateway.get("vpcid"):
        raise DependencyViolation(
            f"The internetGateway '{params['InternetGatewayId']}' has dependencies and cannot "
            "be deleted."
        )
    ctx.call("deleteInternetGateway", id=str(gateway["id"]))
    return {}


ACTIONS: Mapping[str, Action] = action_table(
    [
        create_internet_gateway,
        describe_internet_gateways,
        attach_internet_gateway,
        detach_internet_gateway,
        delete_internet_gateway,
    ]
)
