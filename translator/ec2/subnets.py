"""EC2 subnets on native VPC tiers: CreateSubnet, DescribeSubnets, DeleteSubnet and
ModifySubnetAttribute.

A subnet is a tier (a network with `vpcid`) of its VPC's native VPC, in the availability
zone asked for (a VPC that cannot span zones takes subnets in its own zone only). A new
subnet uses its VPC's default network ACL (see `network_acls`). CreateDefaultSubnet makes
the default VPC's default subnet of a zone (see `default_vpc`).
`MapPublicIpOnLaunch` is stored on the tier (updateNetwork `mappubliciponlaunch`); never
set, it is true for a default subnet only.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2 import default_vpc as defaults
from translator.ec2.describe import Describer
from translator.ec2.network_acls import default_acl_uuid
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.vpc_lookup import native_row, not_found, vpc_row
from translator.ec2.vpcs import PREFIXES, cidr_block
from translator.ec2.zones import availability_zones
from translator.errors import (
    AwsError,
    DependencyViolation,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from translator.registry import action_table, runs

RESERVED = 5
"""Addresses AWS keeps in every subnet (network, router, DNS, one spare, broadcast)."""

UNSUPPORTED_TRUE = (
    "AssignIpv6AddressOnCreation",
    "MapCustomerOwnedIpOnLaunch",
    "EnableDns64",
    "EnableResourceNameDnsAAAARecordOnLaunch",
    "EnableResourceNameDnsARecordOnLaunch",
)
"""ModifySubnetAttribute flags that may only be set to false (no IPv6, no outposts)."""


class InvalidSubnetRange(AwsError):
    code = "InvalidSubnet.Range"


class InvalidSubnetConflict(AwsError):
    code = "InvalidSubnet.Conflict"


def used_addresses(ctx: QueryContext) -> Counter[str]:
    """Native network uuid → how many of the caller's instance NICs hold an address on it."""
    used: Counter[str] = Counter()
    for vm in ctx.listing("listVirtualMachines", "virtualmachine", listall=True):
        for nic in vm.get("nic") or []:
            if nic.get("ipaddress"):
                used[str(nic["networkid"])] += 1
    return used


def subnet_item(
    ctx: QueryContext,
    row: Mapping[str, Any],
    *,
    ids: Mapping[str, str],
    vpcs: Mapping[str, Mapping[str, Any]],
    zones: Mapping[str, str],
    used: int,
) -> dict[str, Any]:
    """A native tier row in EC2's `Subnet` shape; `ids` maps native uuids (the tier's and its
    VPC's) to AWS ids, `vpcs` VPC uuids to rows, `zones` zone uuids to AZ names."""
    vpc = vpcs.get(str(row["vpcid"]), {})
    default = vpc.get("name") == defaults.DEFAULT_NAME and row.get("name") == defaults.DEFAULT_NAME
    mapped = row.get("mappubliciponlaunch")
    size = ipaddress.IPv4Network(str(row["cidr"])).num_addresses
    subnet_id = ids[str(row["id"])]
    return {
        "SubnetId": subnet_id,
        "VpcId": ids.get(str(row["vpcid"])),
        "CidrBlock": row["cidr"],
        "AvailabilityZone": zones.get(str(row["zoneid"])),
        "AvailabilityZoneId": row["zoneid"],
        "AvailableIpAddressCount": max(size - RESERVED - used, 0),
        "DefaultForAz": default,
        "MapPublicIpOnLaunch": default if mapped is None else bool(mapped),
        "MapCustomerOwnedIpOnLaunch": False,
        "State": "available",
        "OwnerId": ctx.account_id,
        "SubnetArn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:subnet/{subnet_id}",
        "AssignIpv6AddressOnCreation": False,
        "Ipv6CidrBlockAssociationSet": [],
        "EnableDns64": False,
        "Ipv6Native": False,
        "PrivateDnsNameOptionsOnLaunch": {
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": False,
            "EnableResourceNameDnsAAAARecord": False,
        },
        "Tags": ec2_tags(row),
    }


def subnet_items(ctx: QueryContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """EC2 subnets of native tier rows (rows without a VPC are left out)."""
    tiers = [row for row in rows if row.get("vpcid")]
    vpcs = {str(vpc["id"]): vpc for vpc in ctx.listing("listVPCs", "vpc", listall=True)}
    ids = ctx.ids.aws_ids("subnet", [str(row["id"]) for row in tiers])
    ids.update(ctx.ids.aws_ids("vpc", vpcs))
    zones = {zone.zone_uuid: zone.name for zone in availability_zones(ctx)}
    used = used_addresses(ctx)
    return [
        subnet_item(ctx, row, ids=ids, vpcs=vpcs, zones=zones, used=used[str(row["id"])])
        for row in tiers
        if str(row["id"]) in ids
    ]


def _zone_of(ctx: QueryContext, params: Params, *, vpc: Mapping[str, Any]) -> str:
    """The native zone a new subnet of `vpc` goes to: the asked availability zone (by
    name or id), else the VPC's own; a VPC that cannot span zones takes only its own."""
    name = params.get("AvailabilityZone") or None
    zone_id = params.get("AvailabilityZoneId") or None
    zones = availability_zones(ctx)
    spans = bool(vpc.get("regionlevelvpc"))
    vpc_zone = next((zone for zone in zones if zone.zone_uuid == vpc["zoneid"]), None)
    vpc_az = vpc_zone.name if vpc_zone else str(vpc["zoneid"])
    offered = ", ".join(z.name for z in zones if z.available) if spans else vpc_az
    chosen: list[str] = []
    for asked, key in ((name, "name"), (zone_id, "zone_uuid")):
        if asked is None:
            continue
        match = next((zone for zone in zones if getattr(zone, key) == asked), None)
        if match is None or (spans and not match.available):
            raise InvalidParameterValue(
                f"Value ({asked}) for parameter availabilityZone is invalid. "
                f"Subnets can currently only be created in the following availability zones: "
                f"{offered}."
            )
        chosen.append(match.zone_uuid)
    if len(set(chosen)) > 1:
        raise InvalidParameterCombination(
            "AvailabilityZone and AvailabilityZoneId name different availability zones."
        )
    zone = chosen[0] if chosen else str(vpc["zoneid"])
    if zone != vpc["zoneid"] and not spans:
        raise InvalidParameterValue(
            f"This VPC lives in one availability zone: its subnets can only be created in {vpc_az}."
        )
    return zone


def _check_cidr(
    ctx: QueryContext, params: Params, *, vpc: Mapping[str, Any]
) -> ipaddress.IPv4Network:
    block = cidr_block(params.get("CidrBlock"), what="cidrBlock")
    if block.prefixlen not in PREFIXES or not block.subnet_of(
        ipaddress.IPv4Network(str(vpc["cidr"]))
    ):
        raise InvalidSubnetRange(f"The CIDR '{block}' is invalid.")
    for tier in ctx.listing("listNetworks", "network", vpcid=str(vpc["id"]), listall=True):
        if tier.get("cidr") and block.overlaps(ipaddress.IPv4Network(str(tier["cidr"]))):
            raise InvalidSubnetConflict(f"The CIDR '{block}' conflicts with another subnet")
    return block


@runs("createNetwork")
def create_subnet(ctx: QueryContext, params: Params) -> Output:
    vpc = vpc_row(ctx, str(params.get("VpcId") or ""))
    zone_uuid = _zone_of(ctx, params, vpc=vpc)
    block = _check_cidr(ctx, params, vpc=vpc)
    offerings = ctx.listing("listNetworkOfferings", "networkoffering", name=defaults.TIER_OFFERING)
    if not offerings:
        raise InvalidParameterValue("There is no network offering for VPC subnets.")
    network = ctx.run(
        "createNetwork",
        name=str(block),
        displaytext=f"Subnet {block}",
        zoneid=zone_uuid,
        vpcid=str(vpc["id"]),
        networkofferingid=str(offerings[0]["id"]),
        aclid=default_acl_uuid(ctx, vpc_uuid=str(vpc["id"])),
        gateway=str(block.network_address + 1),
        netmask=str(block.netmask),
    )["network"]
    uuid = str(network["id"])
    tags = specified_tags(params, "subnet")
    try:
        tag_resources(ctx, resource_type="subnet", uuids=[uuid], tags=tags)
    except (AwsError, NativeFailure):
        ctx.run("deleteNetwork", id=uuid)
        raise
    network["tags"] = [{"key": tag["Key"], "value": tag["Value"]} for tag in tags]
    return {"Subnet": subnet_items(ctx, [network])[0]}


SUBNETS = Describer(
    filters={
        "subnet-id": lambda subnet: [subnet["SubnetId"]],
        "vpc-id": lambda subnet: [subnet["VpcId"]],
        "cidr-block": lambda subnet: [subnet["CidrBlock"]],
        "cidr": lambda subnet: [subnet["CidrBlock"]],
        "cidrBlock": lambda subnet: [subnet["CidrBlock"]],
        "availability-zone": lambda subnet: [subnet["AvailabilityZone"]],
        "availability-zone-id": lambda subnet: [subnet["AvailabilityZoneId"]],
        "available-ip-address-count": lambda subnet: [subnet["AvailableIpAddressCount"]],
        "default-for-az": lambda subnet: [subnet["DefaultForAz"]],
        "defaultForAz": lambda subnet: [subnet["DefaultForAz"]],
        "map-public-ip-on-launch": lambda subnet: [subnet["MapPublicIpOnLaunch"]],
        "state": lambda subnet: [subnet["State"]],
        "owner-id": lambda subnet: [subnet["OwnerId"]],
        "subnet-arn": lambda subnet: [subnet["SubnetArn"]],
    },
    key=lambda subnet: str(subnet["SubnetId"]),
)


@runs("listNetworks")
def describe_subnets(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("SubnetIds") or [])
    if wanted:
        ctx.ids.uuids("subnet", wanted)
    rows = ctx.listing("listNetworks", "network", listall=True)
    items = subnet_items(ctx, rows)
    if wanted:
        seen = {item["SubnetId"] for item in items}
        missing = [aws_id for aws_id in wanted if aws_id not in seen]
        if missing:
            raise not_found("subnet", missing[0])
        items = [item for item in items if item["SubnetId"] in wanted]
    page, token = SUBNETS.page(items, params)
    return {"Subnets": page, "NextToken": token}


def subnet_row(ctx: QueryContext, aws_id: str) -> dict[str, Any]:
    """The native tier of a subnet by its AWS id (InvalidSubnetID.NotFound/.Malformed)."""
    row = native_row(ctx, "listNetworks", "network", kind="subnet", aws_id=aws_id)
    if not row.get("vpcid"):
        raise not_found("subnet", aws_id)
    return row


@runs("deleteNetwork")
def delete_subnet(ctx: QueryContext, params: Params) -> Output:
    aws_id = str(params.get("SubnetId") or "")
    row = subnet_row(ctx, aws_id)
    try:
        ctx.run("deleteNetwork", id=str(row["id"]))
    except NativeFailure as failure:
        if failure.errorcode == 536:
            raise DependencyViolation(
                f"The subnet '{aws_id}' has dependencies and cannot be deleted."
            ) from None
        raise
    return {}


@runs("updateNetwork")
def modify_subnet_attribute(ctx: QueryContext, params: Params) -> Output:
    row = subnet_row(ctx, str(params.get("SubnetId") or ""))
    for member in UNSUPPORTED_TRUE:
        if (params.get(member) or {}).get("Value"):
            raise InvalidParameterValue(f"{member} is not supported here: it can only be false.")
    hostname_type = params.get("PrivateDnsHostnameTypeOnLaunch")
    if hostname_type not in (None, "ip-name"):
        raise InvalidParameterValue("Only the ip-name hostname type is supported.")
    mapped = params.get("MapPublicIpOnLaunch")
    if mapped is not None and "Value" in mapped:
        ctx.run("updateNetwork", id=str(row["id"]), mappubliciponlaunch=bool(mapped["Value"]))
    return {}


@runs("createNetwork")
def create_default_subnet(ctx: QueryContext, params: Params) -> Output:
    if params.get("Ipv6Native"):
        raise InvalidParameterValue("IPv6-only subnets are not supported.")
    name = params.get("AvailabilityZone") or None
    zone_id = params.get("AvailabilityZoneId") or None
    if (name is None) == (zone_id is None):
        raise MissingParameter(
            "Either AvailabilityZone or AvailabilityZoneId must be specified, but not both."
        )
    zones = availability_zones(ctx)
    match = next(
        (z for z in zones if name in (None, z.name) and zone_id in (None, z.zone_uuid)), None
    )
    if match is None or not match.available:
        raise InvalidParameterValue(
            f"Value ({name or zone_id}) for parameter availabilityZone is invalid."
        )
    uuid = defaults.create_default_subnet(ctx, zone_uuid=match.zone_uuid)
    network = ctx.call("listNetworks", id=uuid, listall=True)["network"]
    return {"Subnet": subnet_items(ctx, list(network))[0]}


ACTIONS: Mapping[str, Action] = action_table(
    [create_subnet, describe_subnets, delete_subnet, modify_subnet_attribute, create_default_subnet]
)
