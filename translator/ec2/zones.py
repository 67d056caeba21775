"""Native zones as EC2 availability zones.

A zone whose name is already an availability-zone name of this region (`us-east-1b`) keeps
it; the others are named `<region><letter>` in the order native lists zones (`us-east-1a`
for the first, then `aa`, `ab`… past `z`). Zones that are not Enabled are `unavailable`.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass

from translator.context import QueryContext
from translator.errors import InvalidParameterValue


@dataclass(frozen=True, kw_only=True)
class AvailabilityZone:
    """One native zone under its availability-zone name."""

    name: str
    zone_uuid: str
    zone_name: str
    available: bool


def _suffixes() -> Iterator[str]:
    """a … z, then aa, ab … (more zones than letters still get distinct names)."""
    letters = string.ascii_lowercase
    yield from letters
    for size in itertools.count(2):
        yield from ("".join(combo) for combo in itertools.product(letters, repeat=size))


def availability_zones(ctx: QueryContext) -> list[AvailabilityZone]:
    """Every zone the caller can see, under its availability-zone name."""
    rows = ctx.listing("listZones", "zone")
    own_name = re.compile(rf"{re.escape(ctx.region)}[a-z]+")
    taken = {str(row["name"]) for row in rows if own_name.fullmatch(str(row["name"]))}
    suffixes = (suffix for suffix in _suffixes() if f"{ctx.region}{suffix}" not in taken)
    zones = []
    for row in rows:
        name = str(row["name"])
        az = name if name in taken else f"{ctx.region}{next(suffixes)}"
        zones.append(
            AvailabilityZone(
                name=az,
                zone_uuid=str(row["id"]),
                zone_name=name,
                available=row.get("allocationstate") == "Enabled",
            )
        )
    return zones


def zone_uuid_of(ctx: QueryContext, az_name: str) -> str:
    """The native zone of an availability-zone name (InvalidParameterValue if none)."""
    for zone in availability_zones(ctx):
        if zone.name == az_name:
            return zone.zone_uuid
    raise InvalidParameterValue(f"Invalid availability zone: [{az_name}]")


def az_names(ctx: QueryContext) -> dict[str, str]:
    """Native zone UUID → availability-zone name."""
    return {zone.zone_uuid: zone.name for zone in availability_zones(ctx)}
