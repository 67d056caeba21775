"""Regions and availability zones: DescribeRegions and DescribeAvailabilityZones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translator.context import Action, Output, Params, QueryContext
from translator.ec2.describe import Describer
from translator.ec2.zones import availability_zones
from translator.registry import action_table, runs

REGIONS = Describer(
    filters={
        "endpoint": lambda region: [region["Endpoint"]],
        "region-name": lambda region: [region["RegionName"]],
        "opt-in-status": lambda region: [region["OptInStatus"]],
    },
    key=lambda region: str(region["RegionName"]),
    tags=False,
)

ZONES = Describer(
    filters={
        "region-name": lambda zone: [zone["RegionName"]],
        "state": lambda zone: [zone["State"]],
        "zone-name": lambda zone: [zone["ZoneName"]],
        "zone-id": lambda zone: [zone["ZoneId"]],
        "zone-type": lambda zone: [zone["ZoneType"]],
        "group-name": lambda zone: [zone["GroupName"]],
        "opt-in-status": lambda zone: [zone["OptInStatus"]],
    },
    key=lambda zone: str(zone["ZoneName"]),
    tags=False,
)


@runs("listRegions")
def describe_regions(ctx: QueryContext, params: Params) -> Output:
    regions = [
        {"RegionName": ctx.region, "Endpoint": ctx.endpoint, "OptInStatus": "opt-in-not-required"}
    ]
    wanted = params.get("RegionNames")
    if wanted:
        regions = [region for region in regions if region["RegionName"] in wanted]
    page, _ = REGIONS.page(regions, params)
    return {"Regions": page}


@runs("listZones")
def describe_availability_zones(ctx: QueryContext, params: Params) -> Output:
    zones: list[dict[str, Any]] = [
        {
            "ZoneName": zone.name,
            "ZoneId": zone.zone_uuid,
            "State": "available" if zone.available else "unavailable",
            "RegionName": ctx.region,
            "GroupName": ctx.region,
            "NetworkBorderGroup": ctx.region,
            "OptInStatus": "opt-in-not-required",
            "ZoneType": "availability-zone",
            "Messages": [],
        }
        for zone in availability_zones(ctx)
    ]
    names, ids = params.get("ZoneNames"), params.get("ZoneIds")
    if names:
        zones = [zone for zone in zones if zone["ZoneName"] in names]
    if ids:
        zones = [zone for zone in zones if zone["ZoneId"] in ids]
    page, _ = ZONES.page(zones, params)
    return {"AvailabilityZones": page}


ACTIONS: Mapping[str, Action] = action_table([describe_regions, describe_availability_zones])
