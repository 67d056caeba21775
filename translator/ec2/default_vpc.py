"""Each account's default VPC and its default subnet, as EC2 users expect them.

The default VPC is the account's native VPC named `default` (172.31.0.0/16, the default VPC
offering) with an internet gateway attached, so its main route table sends `0.0.0.0/0` out
through it, and its default subnet the tier named `default` (172.31.0.0/20, open ACL). A native
VPC lives in one zone, so the default VPC is in one zone too: the first enabled Advanced zone,
unless the caller names another when it is first made. It is made by the first EC2 call that
needs it (RunInstances without a subnet, CreateSecurityGroup without a VPC, AllocateAddress,
CreateDefaultVpc); Describe calls never make it.
"""

from __future__ import annotations

from typing import Any

from translator.context import QueryContext
from translator.errors import AwsError

DEFAULT_NAME = "default"
DEFAULT_VPC_CIDR = "172.31.0.0/16"
DEFAULT_SUBNET = {"gateway": "172.31.0.1", "netmask": "255.255.240.0"}
DEFAULT_SUBNET_CIDR = "172.31.0.0/20"
TIER_OFFERING = "DefaultIsolatedNetworkOfferingForVpcNetworks"
OPEN_ACL = "default_allow"


class DefaultVpcUnavailable(AwsError):
    code = "DefaultVpcDoesNotExist"


def _own_default(ctx: QueryContext) -> dict[str, Any] | None:
    rows = ctx.listing(
        "listVPCs",
        "vpc",
        name=DEFAULT_NAME,
        account=ctx.caller.account_name,
        domainid=ctx.caller.domain_uuid,
    )
    rows = [row for row in rows if row.get("name") == DEFAULT_NAME]
    return min(rows, key=lambda row: str(row.get("created", ""))) if rows else None


def _first_advanced_zone(ctx: QueryContext) -> str:
    for zone in ctx.listing("listZones", "zone", available=True):
        if zone.get("networktype") == "Advanced" and zone.get("allocationstate") == "Enabled":
            return str(zone["id"])
    raise DefaultVpcUnavailable("No availability zone can hold a default VPC.")


def _create(ctx: QueryContext, *, zone_uuid: str) -> str:
    offerings = ctx.listing("listVPCOfferings", "vpcoffering", isdefault=True)
    if not offerings:
        raise DefaultVpcUnavailable("There is no default VPC offering.")
    offering = offerings[0]
    vpc = ctx.run(
        "createVPC",
        zoneid=zone_uuid,
        name=DEFAULT_NAME,
        displaytext="Default VPC",
        cidr=DEFAULT_VPC_CIDR,
        vpcofferingid=str(offering["id"]),
        start=False,
    )["vpc"]
    vpc_uuid = str(vpc["id"])
    _attach_gateway(ctx, vpc_uuid=vpc_uuid)
    _create_subnet(ctx, vpc_uuid=vpc_uuid, zone_uuid=zone_uuid)
    return vpc_uuid


def _attach_gateway(ctx: QueryContext, *, vpc_uuid: str) -> None:
    gateway = ctx.call("createInternetGateway")["internetgateway"]
    ctx.ids.aws_id("internet-gateway", str(gateway["id"]))
    ctx.call("attachInternetGateway", id=str(gateway["id"]), vpcid=vpc_uuid)


def _create_subnet(ctx: QueryContext, *, vpc_uuid: str, zone_uuid: str) -> str:
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
        vpcid=vpc_uuid,
        networkofferingid=str(offerings[0]["id"]),
        aclid=str(acls[0]["id"]) if acls else None,
        **DEFAULT_SUBNET,
    )["network"]
    return str(network["id"])


def default_vpc(ctx: QueryContext, *, create: bool, zone_uuid: str | None = None) -> str | None:
    """The native uuid of the caller's default VPC; with `create`, made (in `zone_uuid`, else
    the first enabled Advanced zone) when the account has none; else None when it has none."""
    found = _own_default(ctx)
    if found is not None:
        return str(found["id"])
    if not create:
        return None
    return _create(ctx, zone_uuid=zone_uuid or _first_advanced_zone(ctx))


def default_subnet(ctx: QueryContext, *, zone_uuid: str | None = None) -> str:
    """The native network uuid of the default subnet of the caller's default VPC, making both
    when missing. With `zone_uuid`, the default VPC must be in that zone (a default VPC made
    now is put there); one in another zone raises DefaultVpcDoesNotExist."""
    vpc_uuid = default_vpc(ctx, create=True, zone_uuid=zone_uuid)
    assert vpc_uuid is not None
    vpc = ctx.call("listVPCs", id=vpc_uuid)["vpc"][0]
    if zone_uuid is not None and vpc.get("zoneid") != zone_uuid:
        raise DefaultVpcUnavailable(
            "The default VPC is in another availability zone; name a subnet instead."
        )
    for network in vpc.get("network") or []:
        if network.get("name") == DEFAULT_NAME:
            return str(network["id"])
    tiers = ctx.listing("listNetworks", "network", vpcid=vpc_uuid, listall=True)
    for tier in tiers:
        if tier.get("name") == DEFAULT_NAME:
            return str(tier["id"])
    return _create_subnet(ctx, vpc_uuid=vpc_uuid, zone_uuid=str(vpc["zoneid"]))
