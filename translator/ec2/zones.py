"""Native zones as EC2 availability zones.

Zones are named by `native.services.availability_zones` (`us-east-1a`…) in the order the
caller's listZones returns them. Zones that are not Enabled are `unavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass

from native.services.availability_zones import az_names as _native_az_names
from translator.context import QueryContext
from translator.errors import InvalidParameterValue


@dataclass(frozen=True, kw_only=True)
class AvailabilityZone:
    """One native zone under its availability-zone name."""

    name: str
    zone_uuid: str
    zone_name: str
    available: bool


def availability_zones(ctx: QueryContext) -> list[AvailabilityZone]:
    """Every zone the caller can see, under its availability-zone name."""
    rows = ctx.listing("listZones", "zone")
    names = _native_az_names(region=ctx.region, zone_names=[str(row["name"]) for row in rows])
    return [
        AvailabilityZone(
            name=az,
            zone_uuid=str(row["id"]),
            zone_name=str(row["name"]),
            available=row.get("allocationstate") == "Enabled",
        )
        for row, az in zip(rows, names, strict=True)
    ]


def zone_uuid_of(ctx: QueryContext, az_name: str) -> str:
    """The native zone of an availability-zone name (InvalidParameterValue if none)."""
    for zone in availability_zones(ctx):
        if zone.name == az_name:
            return zone.zone_uuid
    raise InvalidParameterValue(f"Invalid availability zone: [{az_name}]")


def az_names(ctx: QueryContext) -> dict[str, str]:
    """Native zone UUID → availability-zone name."""
    return {zone.zone_uuid: zone.name for zone in availability_zones(ctx)}
