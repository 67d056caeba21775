"""Each account's default VPC and its default subnets, as EC2 users expect them.

The default VPC is the account's native VPC named `default` (172.31.0.0/16) with an internet
gateway attached, so its main route table sends `0.0.0.0/0` out through it. It is made with
the region-level VPC offering (`ec2_vpc_offering`), so it spans every zone: each availability
zone's default subnet is its tier named `default` there, a /20 of 172.31.0.0/16 (the first
free one, 172.31.0.0/20, 172.31.16.0/20…) with an open ACL. The VPC is made by the first
EC2 call that needs it (RunInstances without a subnet, CreateSecurityGroup without a VPC,
AllocateAddress, CreateDefaultVpc), with the default subnet of the zone that call is about
(else the first enabled Advanced zone); another zone's default subnet is made the first
time a call needs it there (RunInstances into that zone without a subnet, or
CreateDefaultSubnet). Describe calls never make either. Calls of one server process make
default VPCs in turn; calls of several that race settle on the oldest default VPC (see
`_settle`). A default subnet that clashes with a racing call's is that one.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from typing import Any

from translator.context import NativeFailure, QueryContext
from translator.errors import AwsError

DEFAULT_NAME = "default"
DEFAULT_VPC_CIDR = "172.31.0.0/16"
DEFAULT_SUBNET_PREFIX = 20
TIER_OFFERING = "DefaultIsolatedNetworkOfferingForVpcNetworks"
OPEN_ACL = "default_allow"

log = logging.getLogger(__name__)

_MAKING = threading.Lock()
"""Held while this process makes a default VPC, so its makers take turns."""


class DefaultVpcUnavailable(AwsError):
    code = "DefaultVpcDoesNotExist"


class DefaultSubnetExists(AwsError):
    code = "DefaultSubnetAlreadyExistsInAvailabilityZone"


class NoRoomForDefaultSubnet(AwsError):
    code = "InvalidSubnet.Conflict"


def ec2_vpc_offering(ctx: QueryContext) -> str:
    """The uuid of the VPC offering EC2 VPCs are made with: the first one whose VPCs span
    zones (`supportsregionLevelvpc`), else the default one (DefaultVpcDoesNotExist if none)."""
    offerings = ctx.listing("listVPCOfferings", "vpcoffering")
    spanning = [row for row in offerings if row.get("supportsregionLevelvpc")]
    chosen = spanning or [row for row in offerings if row.get("isdefault")]
    if not chosen:
        raise DefaultVpcUnavailable("There is no VPC offering for EC2 VPCs.")
    return str(chosen[0]["id"])


def _own_default(ctx: QueryContext) -> dict[str, Any] | None:
    rows = ctx.listing(
        "listVPCs",
        "vpc",
        name=DEFAULT_NAME,
        account=ctx.caller.account_name,
        domainid=ctx.caller.domain_uuid,
    )
    rows = [row for row in rows if row.get("name") == DEFAULT_NAME]
    return (
        min(rows, key=lambda row: (str(row.get("created", "")), str(row["id"]))) if rows else None
    )


def _first_advanced_zone(ctx: QueryContext) -> str:
    for zone in ctx.listing("listZones", "zone", available=True):
        if zone.get("networktype") == "Advanced" and zone.get("allocationstate") == "Enabled":
            return str(zone["id"])
    raise DefaultVpcUnavailable("No availability zone can hold a default VPC.")


def _create(ctx: QueryContext, *, zone_uuid: str) -> str:
    vpc = ctx.run(
        "createVPC",
        zoneid=zone_uuid,
        name=DEFAULT_NAME,
        displaytext="Default VPC",
        cidr=DEFAULT_VPC_CIDR,
        vpcofferingid=ec2_vpc_offering(ctx),
        start=False,
    )["vpc"]
    vpc_uuid = str(vpc["id"])
    _attach_gateway(ctx, vpc_uuid=vpc_uuid)
    _create_subnet(ctx, vpc=vpc, zone_uuid=zone_uuid)
    return vpc_uuid


def _attach_gateway(ctx: QueryContext, *, vpc_uuid: str) -> None:
    gateway = ctx.call("createInternetGateway")["internetgateway"]
    ctx.ids.aws_id("internet-gateway", str(gateway["id"]))
    ctx.call("attachInternetGateway", id=str(gateway["id"]), vpcid=vpc_uuid)


def _free_block(vpc: dict[str, Any]) -> ipaddress.IPv4Network:
    taken = [
        ipaddress.IPv4Network(str(t["cidr"])) for t in vpc.get("network") or [] if t.get("cidr")
    ]
    for block in ipaddress.IPv4Network(DEFAULT_VPC_CIDR).subnets(new_prefix=DEFAULT_SUBNET_PREFIX):
        if not any(block.overlaps(other) for other in taken):
            return block
    raise NoRoomForDefaultSubnet(
        f"The default VPC has no free /{DEFAULT_SUBNET_PREFIX} left for a default subnet."
    )


def _create_subnet(ctx: QueryContext, *, vpc: dict[str, Any], zone_uuid: str) -> str:
    block = _free_block(vpc)
    offerings = ctx.listing("listNetworkOfferings", "networkoffering", name=TIER_OFFERING)
    acls = [
        acl
        for acl in ctx.listing("listNetworkACLLists", "networkacllist", name=OPEN_ACL)
        if acl.get("name") == OPEN_ACL
    ]
    network = ctx.run(
        "createNetwork",
        name=DEFAULT_NAME,
        displaytext="Default subnet",
        zoneid=zone_uuid,
        vpcid=str(vpc["id"]),
        networkofferingid=str(offerings[0]["id"]),
        aclid=str(acls[0]["id"]) if acls else None,
        gateway=str(block.network_address + 1),
        netmask=str(block.netmask),
    )["network"]
    return str(network["id"])


def default_vpc(ctx: QueryContext, *, create: bool, zone_uuid: str | None = None) -> str | None:
    """The native uuid of the caller's default VPC; with `create`, made (with its default
    subnet in `zone_uuid`, else in the first enabled Advanced zone) when the account has
    none; else None when it has none."""
    found = _own_default(ctx)
    if found is not None:
        return str(found["id"])
    if not create:
        return None
    with _MAKING:
        found = _own_default(ctx)
        if found is not None:
            return str(found["id"])
        made = _create(ctx, zone_uuid=zone_uuid or _first_advanced_zone(ctx))
    return _settle(ctx, made=made)


def _settle(ctx: QueryContext, *, made: str) -> str:
    """The account's one default VPC once `made` is made. Within a process the makers take
    turns (`_MAKING`); makers in different processes may each make one, and every maker
    keeps the oldest (by creation time, then uuid) and takes back its own if that is not
    the one. One that a racing call already put something in stays (logged)."""
    kept = _own_default(ctx)
    if kept is None or str(kept["id"]) == made:
        return made
    try:
        vpc = ctx.call("listVPCs", id=made)["vpc"][0]
        for tier in vpc.get("network") or []:
            ctx.run("deleteNetwork", id=str(tier["id"]))
        gateways = ctx.listing("listInternetGateways", "internetgateway", vpcid=made)
        ctx.run("deleteVPC", id=made)
        for gateway in gateways:
            ctx.call("deleteInternetGateway", id=str(gateway["id"]))
    except NativeFailure as failure:
        log.warning("a second default VPC %s is in use and stays: %s", made, failure)
    return str(kept["id"])


def _zone_default(vpc: dict[str, Any], zone_uuid: str) -> str | None:
    for tier in vpc.get("network") or []:
        if tier.get("name") == DEFAULT_NAME and tier.get("zoneid") == zone_uuid:
            return str(tier["id"])
    return None


def default_subnet(ctx: QueryContext, *, zone_uuid: str | None = None) -> str:
    """The native network uuid of the default subnet of the caller's default VPC in
    `zone_uuid` (default: the VPC's own zone), making the VPC and the subnet when missing.
    A default VPC that cannot span zones (made before VPCs could) and lives in another zone
    raises DefaultVpcDoesNotExist."""
    vpc_uuid = default_vpc(ctx, create=True, zone_uuid=zone_uuid)
    assert vpc_uuid is not None
    vpc = ctx.call("listVPCs", id=vpc_uuid)["vpc"][0]
    zone = zone_uuid or str(vpc["zoneid"])
    found = _zone_default(vpc, zone)
    if found is not None:
        return found
    if zone != vpc.get("zoneid") and not vpc.get("regionlevelvpc"):
        raise DefaultVpcUnavailable(
            "The default VPC is in another availability zone; name a subnet instead."
        )
    return _make_zone_default(ctx, vpc=vpc, zone_uuid=zone)[0]


def _make_zone_default(
    ctx: QueryContext, *, vpc: dict[str, Any], zone_uuid: str, attempts: int = 3
) -> tuple[str, bool]:
    """Make the zone's default subnet; its uuid, and whether this call made it. A tier
    that clashes with one a racing call just made is either that zone's default subnet
    (returned, with False) or another zone's, and then the next free block is tried."""
    for _ in range(attempts - 1):
        try:
            return _create_subnet(ctx, vpc=vpc, zone_uuid=zone_uuid), True
        except NativeFailure:
            vpc = ctx.call("listVPCs", id=str(vpc["id"]))["vpc"][0]
            raced = _zone_default(vpc, zone_uuid)
            if raced is not None:
                return raced, False
    return _create_subnet(ctx, vpc=vpc, zone_uuid=zone_uuid), True


def create_default_subnet(ctx: QueryContext, *, zone_uuid: str) -> str:
    """Make the default subnet of the caller's default VPC in `zone_uuid`; its native uuid.
    DefaultVpcDoesNotExist without a default VPC, DefaultSubnetAlreadyExistsInAvailabilityZone
    when the zone has one."""
    vpc_uuid = default_vpc(ctx, create=False)
    if vpc_uuid is None:
        raise DefaultVpcUnavailable("No default VPC for this user.")
    vpc = ctx.call("listVPCs", id=vpc_uuid)["vpc"][0]
    exists = DefaultSubnetExists("A default subnet already exists in this availability zone.")
    if _zone_default(vpc, zone_uuid) is not None:
        raise exists
    if zone_uuid != vpc.get("zoneid") and not vpc.get("regionlevelvpc"):
        raise DefaultVpcUnavailable(
            "The default VPC cannot span availability zones; its zone has its default subnet."
        )
    uuid, made = _make_zone_default(ctx, vpc=vpc, zone_uuid=zone_uuid)
    if not made:
        raise exists
    return uuid
