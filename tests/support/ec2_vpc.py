"""VPCs and subnets for EC2 tests, placed in a given zone (`alto:availability-zone` tag)."""

from __future__ import annotations

from typing import Any

ZONE_TAG = "alto:availability-zone"


def az_of(ec2: Any, zone_id: str) -> str:
    """The availability-zone name of native zone `zone_id`, as the client sees it."""
    zones = ec2.describe_availability_zones(ZoneIds=[zone_id])["AvailabilityZones"]
    return str(zones[0]["ZoneName"])


def new_vpc(ec2: Any, *, az: str, cidr: str = "10.20.0.0/16", **extra: Any) -> dict[str, Any]:
    """A new VPC in availability zone `az`, as CreateVpc answered it."""
    tags = [{"Key": ZONE_TAG, "Value": az}, *extra.pop("tags", [])]
    return dict(
        ec2.create_vpc(
            CidrBlock=cidr,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}],
            **extra,
        )["Vpc"]
    )
