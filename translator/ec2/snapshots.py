"""EC2 snapshots (EBS) as native volume snapshots.

- A snapshot's `Description` is the native snapshot's name: CreateSnapshot names it after
  the description (native picks a name when none is given), CopySnapshot after its own
  description or `[Copied snap-… from <region>]`.
- States: native Allocated and Creating are `pending`, BackedUp `completed`, Error `error`.
  Native jobs are awaited, so CreateSnapshot and CopySnapshot answer once the data is copied.
- A snapshot of a never-attached volume is possible: native creates the volume on primary
  storage first.
- CopySnapshot is native copySnapshot: a new snapshot (own id) of the same volume, within
  this region only. A copied snapshot's `VolumeId` is its source's volume.
- Snapshots are never public here: `OwnerIds` other than `self` or the caller's account id,
  and `RestorableByUserIds`, match nothing but the caller's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext, native_time
from translator.ec2.describe import Describer, Item
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.volumes import snapshot_row, volume_row
from translator.ec2.zones import az_names
from translator.errors import ID_ERRORS, IncorrectState, InvalidParameterValue
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

GIB = 1024**3
NO_VOLUME = "vol-ffffffff"

SNAPSHOT_STATES: Mapping[str, str] = {
    "Allocated": "pending",
    "Creating": "pending",
    "BackedUp": "completed",
    "Error": "error",
}
"""Native snapshot state → EC2 snapshot state (Destroying and Destroyed are not shown)."""

SNAPSHOTS = Describer(
    filters={
        "description": lambda snapshot: [snapshot["Description"]],
        "encrypted": lambda snapshot: [snapshot["Encrypted"]],
        "owner-id": lambda snapshot: [snapshot["OwnerId"]],
        "progress": lambda snapshot: [snapshot["Progress"]],
        "snapshot-id": lambda snapshot: [snapshot["SnapshotId"]],
        "start-time": lambda snapshot: [snapshot["StartTime"].isoformat()],
        "status": lambda snapshot: [snapshot["State"]],
        "volume-id": lambda snapshot: [snapshot["VolumeId"]],
        "volume-size": lambda snapshot: [snapshot["VolumeSize"]],
    },
    key=lambda snapshot: str(snapshot["SnapshotId"]),
)


def render_snapshots(ctx: QueryContext, rows: list[dict[str, Any]]) -> list[Item]:
    """Native snapshot rows (those with an AWS id and a shown state) in the EC2 shape."""
    ids = ctx.ids.aws_ids("snapshot", [str(row["id"]) for row in rows])
    volumes = ctx.ids.aws_ids("volume", [str(row["volumeid"]) for row in rows])
    zones = az_names(ctx)
    snapshots = []
    for row in rows:
        state = SNAPSHOT_STATES.get(str(row["state"]))
        if row["id"] not in ids or state is None:
            continue
        snapshots.append(
            {
                "SnapshotId": ids[row["id"]],
                "VolumeId": volumes.get(str(row["volumeid"]), NO_VOLUME),
                "State": state,
                "StartTime": native_time(str(row["created"])),
                "Progress": "100%" if state == "completed" else "0%",
                "OwnerId": ctx.account_id,
                "Description": str(row.get("name") or ""),
                "VolumeSize": math.ceil(int(row.get("virtualsize") or 0) / GIB),
                "Encrypted": False,
                "StorageTier": "standard",
                "AvailabilityZone": zones.get(str(row["zoneid"])),
                "Tags": ec2_tags(row),
            }
        )
    return snapshots


def _tagged(ctx: QueryContext, row: Mapping[str, Any], params: Params) -> dict[str, Any]:
    tags = specified_tags(params, "snapshot")
    if not tags:
        return dict(row)
    tag_resources(ctx, resource_type="snapshot", uuids=[str(row["id"])], tags=tags)
    return dict(ctx.call("listSnapshots", id=row["id"], listall=True)["snapshot"][0])


@runs("createSnapshot")
def create_snapshot(ctx: QueryContext, params: Params) -> Output:
    volume = volume_row(ctx, str(params["VolumeId"]))
    try:
        row = ctx.run(
            "createSnapshot", volumeid=volume["id"], name=params.get("Description") or None
        )["snapshot"]
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={431: IncorrectState}) from None
    [snapshot] = render_snapshots(ctx, [_tagged(ctx, row, params)])
    return snapshot


@runs("listSnapshots")
def describe_snapshots(ctx: QueryContext, params: Params) -> Output:
    wanted: list[str] = list(params.get("SnapshotIds") or [])
    uuids = set(ctx.ids.uuids("snapshot", wanted))
    rows = [
        row
        for row in ctx.listing("listSnapshots", "snapshot", listall=True)
        if not uuids or row["id"] in uuids
    ]
    snapshots = render_snapshots(ctx, rows)
    missing = sorted(set(wanted) - {snapshot["SnapshotId"] for snapshot in snapshots})
    if missing:
        raise ID_ERRORS["snapshot"].not_found(
            f"The snapshot '{', '.join(missing)}' does not exist."
        )
    owners = set(params.get("OwnerIds") or [])
    if owners and not owners & {"self", ctx.account_id}:
        snapshots = []
    page, token = SNAPSHOTS.page(snapshots, params)
    return {"Snapshots": page, "NextToken": token}


@runs("deleteSnapshot")
def delete_snapshot(ctx: QueryContext, params: Params) -> Output:
    row = snapshot_row(ctx, str(params["SnapshotId"]))
    try:
        ctx.run("deleteSnapshot", id=row["id"])
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={431: IncorrectState}) from None
    return {}


@runs("copySnapshot")
def copy_snapshot(ctx: QueryContext, params: Params) -> Output:
    source_id = str(params["SourceSnapshotId"])
    if params["SourceRegion"] != ctx.region:
        raise InvalidParameterValue(
            f"Snapshots can only be copied within this region ({ctx.region}), not from "
            f"{params['SourceRegion']}"
        )
    destination = params.get("DestinationRegion")
    if destination and destination != ctx.region:
        raise InvalidParameterValue(f"Snapshots can only be copied to this region ({ctx.region})")
    if params.get("Encrypted"):
        raise InvalidParameterValue("Encrypted snapshots are not supported")
    source = snapshot_row(ctx, source_id)
    name = params.get("Description") or f"[Copied {source_id} from {ctx.region}]"
    try:
        row = ctx.run("copySnapshot", id=source["id"], name=str(name))["snapshot"]
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={431: IncorrectState}) from None
    [copy] = render_snapshots(ctx, [_tagged(ctx, row, params)])
    return {"SnapshotId": copy["SnapshotId"], "Tags": copy["Tags"]}


ACTIONS: Mapping[str, Action] = action_table(
    [create_snapshot, describe_snapshots, delete_snapshot, copy_snapshot]
)
