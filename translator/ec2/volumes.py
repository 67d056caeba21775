"""EC2 volumes (EBS) as native data volumes.

- **Volume types** are disk offerings. CreateVolume uses the custom-size disk offering named
  after the requested type (`gp2`, `gp3`, `io1`…; `gp2` when none is asked for) if the caller
  may use one in the zone, and otherwise the first custom-size offering native lists. A volume
  shows as the type its offering is named after, and as `gp2` when the offering has another
  name (so an administrator who wants types to round-trip names offerings after them).
  ModifyVolume changes the type only to a type that has its own offering. `Iops` becomes the
  volume's min and max IOPS (kept when the offering allows custom IOPS); `Throughput` is
  accepted for gp3 and shown as its 125 MiB/s baseline, which native does not change.
- **States**: a volume with a VM is `in-use`; one being made from a snapshot is `creating`;
  one being deleted `deleting`; the rest `available`. Native jobs are awaited, so
  CreateVolume answers with the volume already made.
- **Attachments** keep the device name the caller gave (native `devicename`) next to the
  native device number. ROOT volumes show the images' root device (`/dev/sda1`); a data disk
  attached natively without a name shows `/dev/sd<letter of its device number>`. A ROOT
  volume is deleted with its instance (`DeleteOnTermination`), a data disk is not.
- **Modifications**: ModifyVolume is native resizeVolume, which completes before it answers;
  DescribeVolumesModifications shows each volume's last resize as native recorded it (a
  named volume never resized is InvalidVolumeModification.NotFound, as with AWS).
- Encryption and multi-attach are not available: both show false, and asking for them is
  refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext, native_time
from translator.ec2.describe import Describer, Item
from translator.ec2.images import ROOT_DEVICE
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.zones import az_names, zone_uuid_of
from translator.errors import (
    ID_ERRORS,
    IncorrectInstanceState,
    IncorrectState,
    InvalidAttachmentNotFound,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidVolumeModificationNotFound,
    InvalidVolumeZoneMismatch,
    MissingParameter,
    VolumeInUse,
)
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

GIB = 1024**3
MAX_SIZE_GIB = 16384
VOLUME_TYPES = ("standard", "gp2", "gp3", "io1", "io2", "st1", "sc1")
DEFAULT_TYPE = "gp2"
IOPS_TYPES = ("gp3", "io1", "io2")
GP3_IOPS, GP3_THROUGHPUT = 3000, 125
DEVICE_NAME = re.compile(r"(/dev/)?(sd|xvd|vd|hd)[a-z]{1,2}[0-9]{0,2}")
GONE_STATES = ("Destroy", "Expunged")
VM_STATES_FOR_ATTACH = ("Running", "Stopped")

ATTACHMENT_STATES: Mapping[str, str] = {"Attaching": "attaching", "Detaching": "detaching"}
"""Native volume state → EC2 attachment state (`attached` for the others)."""

VOLUME_STATES: Mapping[str, str] = {"Creating": "creating", "Expunging": "deleting"}
"""Native state of a volume without a VM → EC2 state (`available` for the others)."""


def _attachment_values(volume: Item) -> list[Any]:
    return list(volume["Attachments"])


VOLUMES = Describer(
    filters={
        "attachment.attach-time": lambda v: [a["AttachTime"] for a in _attachment_values(v)],
        "attachment.delete-on-termination": lambda v: [
            a["DeleteOnTermination"] for a in _attachment_values(v)
        ],
        "attachment.device": lambda v: [a["Device"] for a in _attachment_values(v)],
        "attachment.instance-id": lambda v: [a["InstanceId"] for a in _attachment_values(v)],
        "attachment.status": lambda v: [a["State"] for a in _attachment_values(v)],
        "availability-zone": lambda v: [v["AvailabilityZone"]],
        "create-time": lambda v: [v["CreateTime"].isoformat()],
        "encrypted": lambda v: [v["Encrypted"]],
        "multi-attach-enabled": lambda v: [v["MultiAttachEnabled"]],
        "size": lambda v: [v["Size"]],
        "snapshot-id": lambda v: [v.get("SnapshotId", "")],
        "status": lambda v: [v["State"]],
        "volume-id": lambda v: [v["VolumeId"]],
        "volume-type": lambda v: [v["VolumeType"]],
    },
    key=lambda volume: str(volume["VolumeId"]),
    max_results=(5, 500),
)

MODIFICATIONS = Describer(
    filters={
        "modification-state": lambda m: [m["ModificationState"]],
        "original-size": lambda m: [m["OriginalSize"]],
        "original-volume-type": lambda m: [m["OriginalVolumeType"]],
        "start-time": lambda m: [m["StartTime"].isoformat()],
        "target-iops": lambda m: [m.get("TargetIops", "")],
        "target-size": lambda m: [m["TargetSize"]],
        "target-volume-type": lambda m: [m["TargetVolumeType"]],
        "volume-id": lambda m: [m["VolumeId"]],
    },
    key=lambda modification: str(modification["VolumeId"]),
    max_results=(5, 500),
    tags=False,
)


def volume_type_of(offering_name: str | None) -> str:
    """The EC2 volume type a disk offering stands for (see the module docstring)."""
    return offering_name if offering_name in VOLUME_TYPES else DEFAULT_TYPE


def _iops(volume_type: str, size_gib: int, max_iops: Any) -> int | None:
    if max_iops is not None and volume_type in IOPS_TYPES:
        return int(max_iops)
    if volume_type == "gp3":
        return GP3_IOPS
    if volume_type == "gp2":
        return min(max(100, 3 * size_gib), 16000)
    return None


def _gib(size: Any) -> int:
    return math.ceil(int(size) / GIB)


def _device_name(row: Mapping[str, Any]) -> str:
    if row.get("devicename"):
        return str(row["devicename"])
    if row.get("type") == "ROOT":
        return ROOT_DEVICE
    return f"/dev/sd{chr(ord('a') + int(row.get('deviceid') or 0))}"


def _attachments(
    row: Mapping[str, Any], volume_id: str, instances: Mapping[str, str]
) -> list[Item]:
    vm_uuid = row.get("virtualmachineid")
    if vm_uuid is None or vm_uuid not in instances:
        return []
    attachment: Item = {
        "VolumeId": volume_id,
        "InstanceId": instances[vm_uuid],
        "Device": _device_name(row),
        "State": ATTACHMENT_STATES.get(str(row["state"]), "attached"),
        "DeleteOnTermination": row.get("type") == "ROOT",
    }
    attached = row.get("attached") or row.get("created")
    if attached:
        attachment["AttachTime"] = native_time(str(attached))
    return [attachment]


def _state(row: Mapping[str, Any]) -> str:
    if row.get("virtualmachineid"):
        return "in-use"
    return VOLUME_STATES.get(str(row["state"]), "available")


def render_volumes(ctx: QueryContext, rows: list[dict[str, Any]]) -> list[Item]:
    """Native volume rows (those with an AWS id) in the EC2 `Volume` shape."""
    ids = ctx.ids.aws_ids("volume", [str(row["id"]) for row in rows])
    instances = ctx.ids.aws_ids(
        "instance", [str(row["virtualmachineid"]) for row in rows if row.get("virtualmachineid")]
    )
    snapshots = ctx.ids.aws_ids(
        "snapshot", [str(row["snapshotid"]) for row in rows if row.get("snapshotid")]
    )
    zones = az_names(ctx)
    volumes = []
    for row in rows:
        if row["id"] not in ids or row["state"] in GONE_STATES:
            continue
        volume_type = volume_type_of(row.get("diskofferingname"))
        size = _gib(row["size"])
        volume: Item = {
            "VolumeId": ids[row["id"]],
            "Size": size,
            "AvailabilityZone": zones.get(str(row["zoneid"]), str(row["zonename"])),
            "State": _state(row),
            "CreateTime": native_time(str(row["created"])),
            "VolumeType": volume_type,
            "Iops": _iops(volume_type, size, row.get("maxiops")),
            "Throughput": GP3_THROUGHPUT if volume_type == "gp3" else None,
            "Encrypted": False,
            "MultiAttachEnabled": False,
            "SnapshotId": snapshots.get(str(row.get("snapshotid")), ""),
            "Attachments": _attachments(row, ids[row["id"]], instances),
            "Tags": ec2_tags(row),
        }
        volumes.append(volume)
    return volumes


def volume_row(ctx: QueryContext, volume_id: str) -> dict[str, Any]:
    """The caller's native volume of an AWS volume id (Malformed, or NotFound when it is
    unknown, gone or another account's)."""
    uuid = ctx.ids.uuid("volume", volume_id)
    not_found = ID_ERRORS["volume"].not_found(f"The volume '{volume_id}' does not exist.")
    try:
        rows = ctx.call("listVolumes", id=uuid, listall=True).get("volume", [])
    except NativeFailure:
        raise not_found from None
    if not rows or rows[0]["state"] in GONE_STATES:
        raise not_found
    return dict(rows[0])


def _one_volume(ctx: QueryContext, row: Mapping[str, Any]) -> Item:
    [volume] = render_volumes(ctx, [dict(row)])
    return volume


def _offering_for(ctx: QueryContext, *, volume_type: str, zone_uuid: str) -> dict[str, Any]:
    custom = [
        dict(row)
        for row in ctx.listing("listDiskOfferings", "diskoffering", zoneid=zone_uuid)
        if row.get("iscustomized")
    ]
    named = [row for row in custom if row["name"] == volume_type]
    if named or custom:
        return (named or custom)[0]
    raise InvalidParameterValue(f"No disk offering for volume type {volume_type} is available")


def _check_type_options(params: Params, volume_type: str) -> None:
    if volume_type not in VOLUME_TYPES:
        raise InvalidParameterValue(
            f"The parameter volumeType must be one of {', '.join(VOLUME_TYPES)}; "
            f"'{volume_type}' is not"
        )
    if params.get("Iops") is not None and volume_type not in IOPS_TYPES:
        raise InvalidParameterCombination(
            f"The parameter iops is not supported for {volume_type} volumes."
        )
    if params.get("Iops") is None and volume_type in ("io1", "io2"):
        raise MissingParameter(f"The parameter iops must be specified for {volume_type} volumes.")
    if params.get("Throughput") is not None and volume_type != "gp3":
        raise InvalidParameterCombination(
            f"The parameter throughput is not supported for {volume_type} volumes."
        )
    if params.get("Encrypted"):
        raise InvalidParameterValue("Encrypted volumes are not supported")
    if params.get("MultiAttachEnabled"):
        raise InvalidParameterValue("Multi-attach volumes are not supported")


def _check_size(size: int | None) -> None:
    if size is not None and not 1 <= size <= MAX_SIZE_GIB:
        raise InvalidParameterValue(
            f"Volume of {size}GiB is not in the allowed range of 1 to {MAX_SIZE_GIB} GiB"
        )


def _zone_of(ctx: QueryContext, params: Params) -> str:
    if params.get("AvailabilityZone"):
        return zone_uuid_of(ctx, str(params["AvailabilityZone"]))
    zone_id = params.get("AvailabilityZoneId")
    if zone_id:
        if zone_id not in az_names(ctx):
            raise InvalidParameterValue(f"Invalid availability zone ID: [{zone_id}]")
        return str(zone_id)
    raise MissingParameter("The request must contain the parameter availabilityZone")


@runs("createVolume")
def create_volume(ctx: QueryContext, params: Params) -> Output:
    volume_type = str(params.get("VolumeType") or DEFAULT_TYPE)
    _check_type_options(params, volume_type)
    size: int | None = None if params.get("Size") is None else int(params["Size"])
    snapshot_id = params.get("SnapshotId")
    _check_size(size)
    zone_uuid = _zone_of(ctx, params)
    iops = params.get("Iops")
    native: dict[str, Any] = {"zoneid": zone_uuid, "miniops": iops, "maxiops": iops}
    if snapshot_id:
        snapshot = snapshot_row(ctx, str(snapshot_id))
        native["snapshotid"] = snapshot["id"]
        snapshot_size = _gib(snapshot["virtualsize"])
        if size is not None and size < snapshot_size:
            raise InvalidParameterValue(
                f"Volume of {size}GiB is smaller than snapshot '{snapshot_id}', {snapshot_size}GiB"
            )
    elif size is None:
        raise MissingParameter("The request must contain the parameter size or snapshotId")
    else:
        offering = _offering_for(ctx, volume_type=volume_type, zone_uuid=zone_uuid)
        native.update(diskofferingid=offering["id"], size=size)
    row = ctx.run("createVolume", **native)["volume"]
    if snapshot_id and size is not None and size > _gib(row["size"]):
        row = _grown(ctx, row, size=size)
    tags = specified_tags(params, "volume")
    if tags:
        tag_resources(ctx, resource_type="volume", uuids=[str(row["id"])], tags=tags)
        row = ctx.call("listVolumes", id=row["id"], listall=True)["volume"][0]
    return _one_volume(ctx, row)


def _grown(ctx: QueryContext, row: Mapping[str, Any], *, size: int) -> dict[str, Any]:
    """The new volume grown to `size` GiB; deleted again if native cannot grow it."""
    try:
        return dict(ctx.run("resizeVolume", id=row["id"], size=size)["volume"])
    except NativeFailure as failure:
        ctx.call("deleteVolume", id=row["id"])
        raise aws_error_of(failure) from None


def snapshot_row(ctx: QueryContext, snapshot_id: str) -> dict[str, Any]:
    """The caller's native snapshot of an AWS snapshot id (Malformed, or NotFound when it is
    unknown, deleted or another account's)."""
    uuid = ctx.ids.uuid("snapshot", snapshot_id)
    not_found = ID_ERRORS["snapshot"].not_found(f"The snapshot '{snapshot_id}' does not exist.")
    try:
        rows = ctx.call("listSnapshots", id=uuid, listall=True).get("snapshot", [])
    except NativeFailure:
        raise not_found from None
    if not rows:
        raise not_found
    return dict(rows[0])


@runs("listVolumes")
def describe_volumes(ctx: QueryContext, params: Params) -> Output:
    wanted: list[str] = list(params.get("VolumeIds") or [])
    uuids = set(ctx.ids.uuids("volume", wanted))
    rows = [
        row
        for row in ctx.listing("listVolumes", "volume", listall=True)
        if not uuids or row["id"] in uuids
    ]
    volumes = render_volumes(ctx, rows)
    missing = sorted(set(wanted) - {volume["VolumeId"] for volume in volumes})
    if missing:
        raise ID_ERRORS["volume"].not_found(f"The volume '{', '.join(missing)}' does not exist.")
    page, token = VOLUMES.page(volumes, params)
    return {"Volumes": page, "NextToken": token}


@runs("deleteVolume")
def delete_volume(ctx: QueryContext, params: Params) -> Output:
    volume_id = str(params["VolumeId"])
    row = volume_row(ctx, volume_id)
    if row.get("virtualmachineid"):
        raise VolumeInUse(f"Volume {volume_id} is currently attached to an instance")
    try:
        ctx.call("deleteVolume", id=row["id"])
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={431: IncorrectState}) from None
    return {}


def _instance_row(ctx: QueryContext, instance_id: str) -> dict[str, Any]:
    uuid = ctx.ids.uuid("instance", instance_id)
    not_found = ID_ERRORS["instance"].not_found(f"The instance ID '{instance_id}' does not exist")
    try:
        rows = ctx.call("listVirtualMachines", id=uuid, listall=True).get("virtualmachine", [])
    except NativeFailure:
        raise not_found from None
    if not rows or rows[0]["state"] in ("Destroyed", "Expunging"):
        raise not_found
    return dict(rows[0])


@runs("attachVolume")
def attach_volume(ctx: QueryContext, params: Params) -> Output:
    volume_id, instance_id, device = (
        str(params["VolumeId"]),
        str(params["InstanceId"]),
        str(params["Device"]),
    )
    if not DEVICE_NAME.fullmatch(device):
        raise InvalidParameterValue(
            f"Value ({device}) for parameter device is invalid. {device} is not a valid EBS "
            "device name."
        )
    row = volume_row(ctx, volume_id)
    vm = _instance_row(ctx, instance_id)
    if row.get("virtualmachineid"):
        raise VolumeInUse(f"{volume_id} is already attached to an instance")
    if vm["state"] not in VM_STATES_FOR_ATTACH:
        raise IncorrectInstanceState(
            f"Instance '{instance_id}' is not 'running' or 'stopped'; it is {vm['state']}"
        )
    if vm["zoneid"] != row["zoneid"]:
        raise InvalidVolumeZoneMismatch(
            f"The volume '{volume_id}' is not in the same availability zone as instance "
            f"'{instance_id}'"
        )
    try:
        attached = ctx.run(
            "attachVolume", id=row["id"], virtualmachineid=vm["id"], devicename=device
        )["volume"]
    except NativeFailure as failure:
        raise aws_error_of(failure) from None
    [attachment] = _one_volume(ctx, attached)["Attachments"]
    return dict(attachment)


@runs("detachVolume")
def detach_volume(ctx: QueryContext, params: Params) -> Output:
    volume_id = str(params["VolumeId"])
    row = volume_row(ctx, volume_id)
    attachments = _one_volume(ctx, row)["Attachments"]
    if not attachments:
        raise IncorrectState(f"Volume '{volume_id}' is in the 'available' state.")
    [attachment] = attachments
    if params.get("InstanceId"):
        ctx.ids.uuid("instance", str(params["InstanceId"]))
    for name in ("InstanceId", "Device"):
        if params.get(name) and params[name] != attachment[name]:
            raise InvalidAttachmentNotFound(
                f"Volume '{volume_id}' is not attached as {params[name]}"
            )
    if row.get("type") == "ROOT":
        raise IncorrectState(
            f"Unable to detach root volume '{volume_id}' from instance '{attachment['InstanceId']}'"
        )
    try:
        ctx.run("detachVolume", id=row["id"])
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={431: IncorrectState}) from None
    return {**attachment, "State": "detached"}


def _modification(ctx: QueryContext, row: Mapping[str, Any], volume: Item) -> Item:
    before = row.get("diskofferingidbeforeresize")
    original_type = volume["VolumeType"]
    if before and before != row.get("diskofferingid"):
        found = ctx.call("listDiskOfferings", id=before).get("diskoffering", [])
        original_type = volume_type_of(found[0]["name"] if found else None)
    original_size = _gib(row["sizebeforeresize"])
    modification: Item = {
        "VolumeId": volume["VolumeId"],
        "ModificationState": "completed",
        "TargetSize": volume["Size"],
        "TargetVolumeType": volume["VolumeType"],
        "TargetIops": volume.get("Iops"),
        "TargetThroughput": volume.get("Throughput"),
        "TargetMultiAttachEnabled": False,
        "OriginalSize": original_size,
        "OriginalVolumeType": original_type,
        "OriginalIops": _iops(original_type, original_size, None)
        if original_type == "gp2"
        else None,
        "OriginalMultiAttachEnabled": False,
        "Progress": 100,
        "StartTime": native_time(str(row["lastresized"])),
    }
    return modification


@runs("resizeVolume")
def modify_volume(ctx: QueryContext, params: Params) -> Output:
    volume_id = str(params["VolumeId"])
    row = volume_row(ctx, volume_id)
    current = _one_volume(ctx, row)
    volume_type = str(params.get("VolumeType") or current["VolumeType"])
    _check_type_options(params, volume_type)
    size: int | None = None if params.get("Size") is None else int(params["Size"])
    _check_size(size)
    if size is not None and size < current["Size"]:
        raise InvalidParameterValue(
            f"New size {size}GiB cannot be smaller than the existing size {current['Size']}GiB"
        )
    native: dict[str, Any] = {"id": row["id"], "size": size or current["Size"]}
    if params.get("VolumeType") and volume_type != current["VolumeType"]:
        offering = _offering_for(ctx, volume_type=volume_type, zone_uuid=str(row["zoneid"]))
        if offering["name"] != volume_type:
            raise InvalidParameterValue(f"Volume type {volume_type} is not offered here")
        native["diskofferingid"] = offering["id"]
    if params.get("Iops") is not None:
        native.update(miniops=params["Iops"], maxiops=params["Iops"])
    try:
        resized = ctx.run("resizeVolume", **native)["volume"]
    except NativeFailure as failure:
        raise aws_error_of(failure, overrides={431: InvalidParameterValue}) from None
    return {"VolumeModification": _modification(ctx, resized, _one_volume(ctx, resized))}


@runs("listVolumes")
def describe_volumes_modifications(ctx: QueryContext, params: Params) -> Output:
    wanted: list[str] = list(params.get("VolumeIds") or [])
    uuids = set(ctx.ids.uuids("volume", wanted))
    rows = [
        row
        for row in ctx.listing("listVolumes", "volume", listall=True)
        if not uuids or row["id"] in uuids
    ]
    rendered = {volume["VolumeId"]: volume for volume in render_volumes(ctx, rows)}
    missing = sorted(set(wanted) - set(rendered))
    if missing:
        raise ID_ERRORS["volume"].not_found(f"The volume '{', '.join(missing)}' does not exist.")
    ids = ctx.ids.aws_ids("volume", [str(row["id"]) for row in rows])
    modifications = [
        _modification(ctx, row, rendered[ids[row["id"]]])
        for row in rows
        if row.get("lastresized") and ids.get(row["id"]) in rendered
    ]
    unmodified = sorted(set(wanted) - {entry["VolumeId"] for entry in modifications})
    if unmodified:
        raise InvalidVolumeModificationNotFound(
            f"Modification for volume '{unmodified[0]}' does not exist."
        )
    page, token = MODIFICATIONS.page(modifications, params)
    return {"VolumesModifications": page, "NextToken": token}


ACTIONS: Mapping[str, Action] = action_table(
    [
        create_volume,
        describe_volumes,
        delete_volume,
        attach_volume,
        detach_volume,
        modify_volume,
        describe_volumes_modifications,
    ]
)
