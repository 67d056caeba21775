"""EC2 VPCs on native VPCs: CreateVpc, DescribeVpcs, DeleteVpc, ModifyVpcAttribute,
DescribeVpcAttribute and CreateDefaultVpc.

An EC2 VPC is a native VPC (named after its CIDR; `default` is the account's default VPC),
made with the region-level VPC offering so that its subnets (tiers) may be in any zone.
Its own zone (where subnets go when none is named) is the first enabled Advanced zone, or
the availability zone named by the tag `alto:availability-zone` of its TagSpecifications
(the tag stays on the VPC). It gets its default network
ACL (`network_acls.create_default_acl`) at once; its main route table is the VPC itself. The VPC's DNS and metrics
attributes are stored natively (updateVPC `enablednssupport`…).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2 import default_vpc as defaults
from translator.ec2.describe import Describer
from translator.ec2.dhcp_options import vpc_options_ids
from translator.ec2.network_acls import create_default_acl
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.vpc_lookup import not_found, own_vpcs, vpc_row
from translator.ec2.zones import zone_uuid_of
from translator.errors import (
    AwsError,
    DependencyViolation,
    InvalidParameterValue,
    MissingParameter,
)
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

ZONE_TAG = "alto:availability-zone"
PREFIXES = range(16, 29)
"""The netmask lengths EC2 accepts for a VPC or subnet CIDR block (/16 to /28)."""

ATTRIBUTES: Mapping[str, tuple[str, str]] = {
    "enableDnsSupport": ("EnableDnsSupport", "enablednssupport"),
    "enableDnsHostnames": ("EnableDnsHostnames", "enablednshostnames"),
    "enableNetworkAddressUsageMetrics": (
        "EnableNetworkAddressUsageMetrics",
        "enablenetworkaddressusagemetrics",
    ),
}
"""DescribeVpcAttribute `Attribute` → (EC2 member, native VPC field / updateVPC parameter)."""


class InvalidVpcRange(AwsError):
    code = "InvalidVpc.Range"


class DefaultVpcAlreadyExists(AwsError):
    code = "DefaultVpcAlreadyExists"


def cidr_block(text: Any, *, what: str) -> ipaddress.IPv4Network:
    """A CIDR block of a request (InvalidParameterValue unless it is an IPv4 network with
    no host bits set; MissingParameter when absent)."""
    if not text:
        raise MissingParameter(f"The request must contain the parameter {what}")
    try:
        return ipaddress.IPv4Network(str(text))
    except ValueError:
        raise InvalidParameterValue(
            f"Value ({text}) for parameter {what} is invalid. This is not a valid CIDR block."
        ) from None


def vpc_item(
    ctx: QueryContext, row: Mapping[str, Any], *, aws_id: str, options_id: str | None
) -> dict[str, Any]:
    """A native VPC row in EC2's `Vpc` shape (`options_id`: its DHCP options' id)."""
    suffix = aws_id.split("-", 1)[1]
    return {
        "VpcId": aws_id,
        "CidrBlock": row["cidr"],
        "State": "available" if row.get("state") == "Enabled" else "pending",
        "DhcpOptionsId": options_id or "default",
        "InstanceTenancy": "default",
        "IsDefault": row.get("name") == defaults.DEFAULT_NAME,
        "OwnerId": ctx.account_id,
        "CidrBlockAssociationSet": [
            {
                "AssociationId": f"vpc-cidr-assoc-{suffix}",
                "CidrBlock": row["cidr"],
                "CidrBlockState": {"State": "associated"},
            }
        ],
        "Ipv6CidrBlockAssociationSet": [],
        "Tags": ec2_tags(row),
    }


def _created(ctx: QueryContext, row: Mapping[str, Any]) -> dict[str, Any]:
    uuid = str(row["id"])
    options = vpc_options_ids(ctx, [row]).get(uuid)
    return vpc_item(ctx, row, aws_id=ctx.ids.aws_id("vpc", uuid), options_id=options)


def _zone_for(ctx: QueryContext, params: Params) -> str:
    for tag in specified_tags(params, "vpc"):
        if tag["Key"] == ZONE_TAG:
            return zone_uuid_of(ctx, tag["Value"])
    for zone in ctx.listing("listZones", "zone", available=True):
        if zone.get("networktype") == "Advanced" and zone.get("allocationstate") == "Enabled":
            return str(zone["id"])
    raise InvalidParameterValue("No availability zone can hold a VPC.")


def _check_create(params: Params) -> ipaddress.IPv4Network:
    block = cidr_block(params.get("CidrBlock"), what="cidrBlock")
    if block.prefixlen not in PREFIXES:
        raise InvalidVpcRange(f"The CIDR '{block}' is invalid.")
    tenancy = params.get("InstanceTenancy")
    if tenancy not in (None, "default"):
        raise InvalidParameterValue(
            f"Value ({tenancy}) for parameter instanceTenancy is not supported: "
            "only default tenancy is available."
        )
    if params.get("AmazonProvidedIpv6CidrBlock") or params.get("Ipv6CidrBlock"):
        raise InvalidParameterValue("IPv6 CIDR blocks are not supported.")
    return block


@runs("createVPC")
def create_vpc(ctx: QueryContext, params: Params) -> Output:
    block = _check_create(params)
    zone_uuid = _zone_for(ctx, params)
    offering_uuid = defaults.ec2_vpc_offering(ctx)
    try:
        row = ctx.run(
            "createVPC",
            zoneid=zone_uuid,
            name=str(block),
            displaytext=f"VPC {block}",
            cidr=str(block),
            vpcofferingid=offering_uuid,
            start=False,
        )["vpc"]
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={431: InvalidVpcRange}) from None
    uuid = str(row["id"])
    tags = specified_tags(params, "vpc")
    try:
        create_default_acl(ctx, vpc_uuid=uuid)
        tag_resources(ctx, resource_type="vpc", uuids=[uuid], tags=tags)
    except (AwsError, NativeFailure):
        ctx.run("deleteVPC", id=uuid)
        raise
    row["tags"] = [{"key": tag["Key"], "value": tag["Value"]} for tag in tags]
    return {"Vpc": _created(ctx, row)}


VPCS = Describer(
    filters={
        "vpc-id": lambda vpc: [vpc["VpcId"]],
        "cidr": lambda vpc: [vpc["CidrBlock"]],
        "cidr-block-association.cidr-block": lambda vpc: [vpc["CidrBlock"]],
        "cidr-block-association.association-id": lambda vpc: [
            assoc["AssociationId"] for assoc in vpc["CidrBlockAssociationSet"]
        ],
        "cidr-block-association.state": lambda vpc: ["associated"],
        "dhcp-options-id": lambda vpc: [vpc["DhcpOptionsId"]],
        "is-default": lambda vpc: [vpc["IsDefault"]],
        "state": lambda vpc: [vpc["State"]],
        "owner-id": lambda vpc: [vpc["OwnerId"]],
        "instance-tenancy": lambda vpc: [vpc["InstanceTenancy"]],
    },
    key=lambda vpc: str(vpc["VpcId"]),
)


@runs("listVPCs")
def describe_vpcs(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("VpcIds") or [])
    rows = own_vpcs(ctx)
    ids = ctx.ids.aws_ids("vpc", [str(row["id"]) for row in rows])
    options = vpc_options_ids(ctx, rows)
    items = [
        vpc_item(ctx, row, aws_id=ids[uuid], options_id=options.get(uuid))
        for row in rows
        if (uuid := str(row["id"])) in ids
    ]
    if wanted:
        ctx.ids.uuids("vpc", wanted)
        seen = {item["VpcId"] for item in items}
        missing = [aws_id for aws_id in wanted if aws_id not in seen]
        if missing:
            raise not_found("vpc", missing[0])
        items = [item for item in items if item["VpcId"] in wanted]
    page, token = VPCS.page(items, params)
    return {"Vpcs": page, "NextToken": token}


@runs("deleteVPC")
def delete_vpc(ctx: QueryContext, params: Params) -> Output:
    aws_id = str(params.get("VpcId") or "")
    row = vpc_row(ctx, aws_id)
    tiers = ctx.listing("listNetworks", "network", vpcid=str(row["id"]), listall=True)
    gateways = ctx.listing(
        "listInternetGateways", "internetgateway", vpcid=str(row["id"]), listall=True
    )
    if tiers or gateways:
        raise DependencyViolation(f"The vpc '{aws_id}' has dependencies and cannot be deleted.")
    try:
        ctx.run("deleteVPC", id=str(row["id"]))
    except NativeFailure as failure:
        if failure.errorcode in (431, 536):
            raise DependencyViolation(
                f"The vpc '{aws_id}' has dependencies and cannot be deleted. {failure.text}"
            ) from None
        raise
    return {}


def _attribute_value(row: Mapping[str, Any], native: str) -> bool:
    value = row.get(native)
    if native == "enablednshostnames" and value is None:
        return row.get("name") == defaults.DEFAULT_NAME
    if value is None:
        return native == "enablednssupport"
    return bool(value)


@runs("listVPCs")
def describe_vpc_attribute(ctx: QueryContext, params: Params) -> Output:
    attribute = str(params.get("Attribute") or "")
    if not attribute:
        raise MissingParameter("The request must contain the parameter attribute")
    if attribute not in ATTRIBUTES:
        raise InvalidParameterValue(
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute."
        )
    row = vpc_row(ctx, str(params.get("VpcId") or ""))
    member, native = ATTRIBUTES[attribute]
    return {"VpcId": params["VpcId"], member: {"Value": _attribute_value(row, native)}}


@runs("updateVPC")
def modify_vpc_attribute(ctx: QueryContext, params: Params) -> Output:
    changes = {
        native: bool(params[member]["Value"])
        for member, native in ATTRIBUTES.values()
        if params.get(member) is not None and "Value" in params[member]
    }
    if not changes:
        raise MissingParameter("The request must contain exactly one VPC attribute to modify.")
    if len(changes) > 1:
        raise InvalidParameterValue("Only one VPC attribute can be modified at a time.")
    row = vpc_row(ctx, str(params.get("VpcId") or ""))
    hostnames = changes.get("enablednshostnames")
    if hostnames and not _attribute_value(row, "enablednssupport"):
        raise InvalidParameterValue(
            "Cannot enable DNS hostnames while DNS support is disabled for this VPC."
        )
    ctx.run("updateVPC", id=str(row["id"]), **changes)
    return {}


@runs("createVPC", "createNetwork")
def create_default_vpc(ctx: QueryContext, params: Params) -> Output:
    if defaults.default_vpc(ctx, create=False) is not None:
        raise DefaultVpcAlreadyExists("A Default VPC already exists for this account.")
    uuid = defaults.default_vpc(ctx, create=True)
    assert uuid is not None
    row = ctx.call("listVPCs", id=uuid)["vpc"][0]
    return {"Vpc": _created(ctx, row)}


def _listed_vpcs(ctx: QueryContext, params: Params) -> list[dict[str, Any]]:
    return list(describe_vpcs(ctx, {"VpcIds": params.get("VpcIds") or []})["Vpcs"])


CLASSIC_LINKS = Describer(
    filters={"is-classic-link-enabled": lambda vpc: [vpc["ClassicLinkEnabled"]]},
    key=lambda vpc: str(vpc["VpcId"]),
)


@runs("listVPCs")
def describe_vpc_classic_link(ctx: QueryContext, params: Params) -> Output:
    """EC2-Classic is gone: no VPC has ClassicLink (clients such as Terraform still ask)."""
    items = [
        {"VpcId": vpc["VpcId"], "ClassicLinkEnabled": False, "Tags": vpc["Tags"]}
        for vpc in _listed_vpcs(ctx, params)
    ]
    page, _ = CLASSIC_LINKS.page(items, params)
    return {"Vpcs": page}


@runs("listVPCs")
def describe_vpc_classic_link_dns_support(ctx: QueryContext, params: Params) -> Output:
    """No VPC resolves ClassicLink DNS names (there is no EC2-Classic)."""
    items = [
        {"VpcId": vpc["VpcId"], "ClassicLinkDnsSupported": False}
        for vpc in _listed_vpcs(ctx, params)
    ]
    page, token = VPCS.page(items, {key: params[key] for key in params if key != "Filters"})
    return {"Vpcs": page, "NextToken": token}


ACTIONS: Mapping[str, Action] = action_table(
    [
        describe_vpc_classic_link,
        describe_vpc_classic_link_dns_support,
        create_vpc,
        describe_vpcs,
        delete_vpc,
        describe_vpc_attribute,
        modify_vpc_attribute,
        create_default_vpc,
    ]
)
