"""EC2 images (AMIs) as native templates.

An AMI is a template the caller may launch: its own (ready or not), and the ready ones that
are public or shared with it (`listTemplates` with `templatefilter` `self` and `executable`).
ISOs are not images. A template is one AMI however many zones hold a copy of it: it is
`available` when a copy is ready in some zone, else `failed` once a copy failed to download
(every zone downloads the same source), and `pending` otherwise; a deleted template is gone.

- RegisterImage downloads `ImageLocation` (an http, https or, for root admins, file URL)
  into every enabled zone (`zoneid=-1`), as an AMI is regional. The format comes from the
  file name's extension (FORMATS; QCOW2 when it names none) and the hypervisor is the
  first one the server has a driver for. Without `ImageLocation`, the EBS snapshot that
  `BlockDeviceMappings` names for the root device becomes the image (createTemplate from
  the snapshot, in the snapshot's zone).
- CreateImage makes a template of the instance's ROOT volume. A stopped instance is
  imaged as it is; a running one is stopped, imaged and started again, unless `NoReboot`,
  when its ROOT volume is snapshotted while it runs and the image made from that snapshot
  (crash-consistent, as with AWS; the snapshot stays, as the AMI's EBS snapshot would).
- CopyImage (within this region only) makes the caller's own new AMI of any available one
  it may launch (createTemplate `sourcetemplateid`), in the zone of the source's first
  ready copy.
- Launch permissions are native template permissions: `UserIds` are 12-digit account ids of
  accounts in the owner's domain, `Group` `all` makes the AMI public. Owners `amazon` names
  featured templates (the administrator's curated ones).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from posixpath import basename
from typing import Any
from urllib.parse import urlsplit

from translator.context import Action, NativeFailure, Output, Params, QueryContext, native_time
from translator.ec2.describe import Describer, Item
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.errors import (
    ID_ERRORS,
    IncorrectInstanceState,
    IncorrectState,
    InvalidAMIAttributeItemValue,
    InvalidAMINameDuplicate,
    InvalidAMINameMalformed,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidUserIDMalformed,
    MissingParameter,
    UnauthorizedOperation,
)
from translator.ids import aws_account_id
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

ROOT_DEVICE = "/dev/sda1"
GIB = 1024**3
FORMATS: Mapping[str, str] = {
    "qcow2": "QCOW2",
    "img": "QCOW2",
    "raw": "RAW",
    "vhd": "VHD",
    "vhdx": "VHDX",
    "vmdk": "VMDK",
    "ova": "OVA",
}
"""ImageLocation file extension → native template format."""
URL_SCHEMES = ("http", "https", "file")
FAILED_DOWNLOAD = "DOWNLOAD_ERROR"
AMAZON = "amazon"
NAME = re.compile(r"[A-Za-z0-9()\[\] ./\-'@_]{3,128}")
ARCHITECTURES: Mapping[str, int] = {"x86_64": 64, "i386": 32}
"""Architecture → the template's `bits`."""


NOT_FOUND = ID_ERRORS["image"].not_found


# --- reading ------------------------------------------------------------------------------


def _state(entries: list[dict[str, Any]]) -> str:
    if any(entry.get("isready") for entry in entries):
        return "available"
    states = [
        str(detail.get("downloadState"))
        for entry in entries
        for detail in entry.get("downloaddetails") or []
    ]
    return "failed" if FAILED_DOWNLOAD in states else "pending"


def _gib(size: Any) -> int | None:
    return None if not size else max(1, math.ceil(int(size) / GIB))


def _image(entries: list[dict[str, Any]], *, image_id: str) -> Item:
    """One AMI from a template's listTemplates entries (one per zone)."""
    first = entries[0]
    state = _state(entries)
    size = next((entry.get("size") for entry in entries if entry.get("size")), None)
    ebs: dict[str, Any] = {"DeleteOnTermination": True, "VolumeType": "standard"}
    ebs |= {"Encrypted": False} | ({"VolumeSize": _gib(size)} if size else {})
    windows = "windows" in str(first.get("ostypename", "")).lower()
    owner_id = aws_account_id(str(first["accountid"]))
    image: Item = {
        "ImageId": image_id,
        "ImageLocation": first.get("url") or f"{owner_id}/{first['name']}",
        "State": state,
        "OwnerId": owner_id,
        "CreationDate": native_time(str(first["created"])).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "Public": bool(first.get("ispublic")),
        "Architecture": "i386" if first.get("bits") == 32 else "x86_64",
        "ImageType": "machine",
        "Name": first["name"],
        "Description": first.get("displaytext") or "",
        "RootDeviceName": ROOT_DEVICE,
        "RootDeviceType": "ebs",
        "BlockDeviceMappings": [{"DeviceName": ROOT_DEVICE, "Ebs": ebs}],
        "VirtualizationType": "hvm",
        "Hypervisor": "xen",
        "EnaSupport": True,
        "PlatformDetails": "Windows" if windows else "Linux/UNIX",
        "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
        "Tags": ec2_tags(first),
    }
    if windows:
        image["Platform"] = "windows"
    if first.get("isfeatured") and first.get("ispublic"):
        image["ImageOwnerAlias"] = AMAZON
    if state == "failed":
        image["StateReason"] = {"Code": "Client.ImageDownloadFailed", "Message": first["status"]}
    return image


def _templates(ctx: QueryContext, **native: str) -> dict[str, list[dict[str, Any]]]:
    """Template UUID → its listTemplates entries, for every template the caller owns or may
    launch (ISOs aside)."""
    grouped: dict[str, dict[str | None, dict[str, Any]]] = {}
    for chosen in ("self", "executable"):
        for row in ctx.listing("listTemplates", "template", templatefilter=chosen, **native):
            grouped.setdefault(str(row["id"]), {})[row.get("zoneid")] = row
    return {uuid: list(by_zone.values()) for uuid, by_zone in grouped.items()}


def _images(ctx: QueryContext, **native: str) -> list[Item]:
    templates = _templates(ctx, **native)
    ids = ctx.ids.aws_ids("image", templates)
    return [
        _image(entries, image_id=ids[uuid]) for uuid, entries in templates.items() if uuid in ids
    ]


def _one(ctx: QueryContext, image_id: str) -> tuple[str, Item]:
    """The native UUID and the AMI of an image the caller may see (NotFound otherwise)."""
    uuid = ctx.ids.uuid("image", image_id)
    try:
        found = _templates(ctx, id=uuid).get(uuid)
    except NativeFailure:
        found = None
    if not found:
        raise NOT_FOUND(f"The image id '[{image_id}]' does not exist")
    return uuid, _image(found, image_id=image_id)


DESCRIBER = Describer(
    filters={
        "architecture": lambda image: [image["Architecture"]],
        "block-device-mapping.device-name": lambda image: [
            mapping["DeviceName"] for mapping in image["BlockDeviceMappings"]
        ],
        "block-device-mapping.volume-size": lambda image: [
            mapping["Ebs"].get("VolumeSize") for mapping in image["BlockDeviceMappings"]
        ],
        "block-device-mapping.volume-type": lambda image: [
            mapping["Ebs"]["VolumeType"] for mapping in image["BlockDeviceMappings"]
        ],
        "description": lambda image: [image["Description"]],
        "hypervisor": lambda image: [image["Hypervisor"]],
        "image-id": lambda image: [image["ImageId"]],
        "image-type": lambda image: [image["ImageType"]],
        "is-public": lambda image: [image["Public"]],
        "name": lambda image: [image["Name"]],
        "owner-alias": lambda image: [image.get("ImageOwnerAlias")],
        "owner-id": lambda image: [image["OwnerId"]],
        "platform": lambda image: [image.get("Platform")],
        "platform-details": lambda image: [image["PlatformDetails"]],
        "root-device-name": lambda image: [image["RootDeviceName"]],
        "root-device-type": lambda image: [image["RootDeviceType"]],
        "state": lambda image: [image["State"]],
        "virtualization-type": lambda image: [image["VirtualizationType"]],
    },
    key=lambda image: str(image["ImageId"]),
)


def _owned_by(image: Item, owners: list[str], *, account_id: str) -> bool:
    wanted = {account_id if owner == "self" else owner for owner in owners}
    return image["OwnerId"] in wanted or image.get("ImageOwnerAlias") in wanted


def _launchable_by(ctx: QueryContext, image: Item, users: list[str]) -> bool:
    if "all" in users and image["Public"]:
        return True
    wanted = {ctx.account_id if user == "self" else user for user in users}
    if image["OwnerId"] in wanted:
        return True
    if image["OwnerId"] != ctx.account_id:
        return ctx.account_id in wanted and not image["Public"]
    return bool(wanted & set(_permitted(ctx, ctx.ids.uuid("image", image["ImageId"]))[1]))


@runs("listTemplates")
def describe_images(ctx: QueryContext, params: Params) -> Output:
    images = _images(ctx)
    wanted = list(params.get("ImageIds") or [])
    if wanted:
        for image_id in wanted:
            ctx.ids.check_form("image", image_id)
        present = {image["ImageId"] for image in images}
        missing = [image_id for image_id in wanted if image_id not in present]
        if missing:
            raise NOT_FOUND(f"The image id '[{', '.join(missing)}]' does not exist")
        images = [image for image in images if image["ImageId"] in wanted]
    owners = list(params.get("Owners") or [])
    if owners:
        images = [i for i in images if _owned_by(i, owners, account_id=ctx.account_id)]
    users = list(params.get("ExecutableUsers") or [])
    if users:
        images = [image for image in images if _launchable_by(ctx, image, users)]
    page, token = DESCRIBER.page(images, params)
    return {"Images": page, "NextToken": token}


# --- making and removing ------------------------------------------------------------------


def _check_name(ctx: QueryContext, name: str) -> None:
    """InvalidAMIName.Malformed for a name AWS refuses, .Duplicate when one of the caller's
    images already has it."""
    if not NAME.fullmatch(name):
        raise InvalidAMINameMalformed(
            "AMI names must be between 3 and 128 characters long, and may contain letters, "
            "numbers, '(', ')', '.', '-', '/', '_', ' ', '@', ''' and '[', ']'"
        )
    for row in ctx.listing("listTemplates", "template", templatefilter="self", name=name):
        if row.get("name") == name and aws_account_id(str(row["accountid"])) == ctx.account_id:
            raise InvalidAMINameDuplicate(f"AMI name {name} is already in use by AMI")


def _format_of(location: str) -> str:
    name = basename(urlsplit(location).path).lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    return FORMATS.get(extension, "QCOW2")


def _check_location(location: str) -> str:
    text = location.strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in URL_SCHEMES:
        raise InvalidParameterValue(
            f"Invalid ImageLocation {location}: give an http, https or file URL of a disk image"
        )
    return text


def _bits(params: Params) -> int:
    architecture = str(params.get("Architecture") or "x86_64")
    if architecture not in ARCHITECTURES:
        raise InvalidParameterValue(
            f"Invalid value '{architecture}' for Architecture: use {' or '.join(ARCHITECTURES)}"
        )
    return ARCHITECTURES[architecture]


def _finish(ctx: QueryContext, params: Params, uuid: str) -> Output:
    tag_resources(ctx, resource_type="image", uuids=[uuid], tags=specified_tags(params, "image"))
    return {"ImageId": ctx.ids.aws_id("image", uuid)}


def _register(ctx: QueryContext, *, name: str, description: str | None, url: str, bits: int) -> str:
    hypervisors = ctx.listing("listHypervisors", "hypervisor")
    [template] = ctx.call(
        "registerTemplate",
        name=name,
        displaytext=description or name,
        url=url,
        zoneid="-1",
        format=_format_of(url),
        hypervisor=str(hypervisors[0]["name"]),
        bits=bits,
    )["template"][:1]
    return str(template["id"])


def _root_snapshot(ctx: QueryContext, params: Params) -> str:
    """The native UUID of the snapshot `BlockDeviceMappings` gives the root device
    (MissingParameter when there is none, InvalidSnapshot.NotFound for one not visible)."""
    root = params.get("RootDeviceName") or ROOT_DEVICE
    for mapping in params.get("BlockDeviceMappings") or []:
        snapshot_id = (mapping.get("Ebs") or {}).get("SnapshotId")
        if mapping.get("DeviceName") == root and snapshot_id:
            uuid = ctx.ids.uuid("snapshot", str(snapshot_id))
            if not ctx.call("listSnapshots", id=uuid, listall=True).get("snapshot"):
                raise ID_ERRORS["snapshot"].not_found(
                    f"The snapshot '{snapshot_id}' does not exist."
                )
            return uuid
    raise MissingParameter(
        "The request must contain the parameter ImageLocation, or a snapshot for the root "
        "device in BlockDeviceMappings"
    )


@runs("registerTemplate")
def register_image(ctx: QueryContext, params: Params) -> Output:
    name = str(params["Name"])
    root = params.get("RootDeviceName")
    if root and root != ROOT_DEVICE:
        raise InvalidParameterValue(f"Invalid RootDeviceName {root}: images boot {ROOT_DEVICE}")
    if params.get("VirtualizationType") not in (None, "hvm"):
        raise InvalidParameterValue("Only hvm images can be registered")
    location, bits = params.get("ImageLocation"), _bits(params)
    url = _check_location(str(location)) if location else None
    snapshot = None if url else _root_snapshot(ctx, params)
    _check_name(ctx, name)
    description = params.get("Description")
    if url is not None:
        uuid = _register(ctx, name=name, description=description, url=url, bits=bits)
    else:
        uuid = str(
            ctx.call(
                "createTemplate",
                name=name,
                displaytext=str(description or name),
                snapshotid=snapshot,
                bits=bits,
            )["id"]
        )
    return _finish(ctx, params, uuid)


@runs("deleteTemplate")
def deregister_image(ctx: QueryContext, params: Params) -> Output:
    uuid, image = _one(ctx, str(params["ImageId"]))
    if image["OwnerId"] != ctx.account_id and not ctx.caller.is_root_admin:
        raise UnauthorizedOperation(
            f"You are not authorized to deregister image {image['ImageId']}"
        )
    ctx.run("deleteTemplate", id=uuid, forced=True)
    return {"Return": True}


def _instance(ctx: QueryContext, instance_id: str) -> dict[str, Any]:
    uuid = ctx.ids.uuid("instance", instance_id)
    rows = ctx.call("listVirtualMachines", id=uuid, listall=True).get("virtualmachine", [])
    if not rows or rows[0].get("state") in ("Destroyed", "Expunging", "Error"):
        raise ID_ERRORS["instance"].not_found(f"The instance ID '{instance_id}' does not exist")
    return dict(rows[0])


def _root_volume(ctx: QueryContext, vm_uuid: str) -> str:
    [volume] = ctx.call("listVolumes", virtualmachineid=vm_uuid, type="ROOT", listall=True).get(
        "volume", []
    )[:1]
    return str(volume["id"])


@runs("createSnapshot", "createTemplate")
def create_image(ctx: QueryContext, params: Params) -> Output:
    name = str(params["Name"])
    vm = _instance(ctx, str(params["InstanceId"]))
    if vm["state"] not in ("Running", "Stopped"):
        raise IncorrectInstanceState(
            f"The instance '{params['InstanceId']}' is not in a state from which it can be imaged."
        )
    _check_name(ctx, name)
    volume = _root_volume(ctx, str(vm["id"]))
    template = {
        "name": name,
        "displaytext": str(params.get("Description") or name),
        "ostypeid": str(vm["ostypeid"]),
    }
    if vm["state"] == "Stopped":
        answer = ctx.call("createTemplate", volumeid=volume, **template)
    elif params.get("NoReboot"):
        snapshot = ctx.run("createSnapshot", volumeid=volume)["snapshot"]
        answer = ctx.call("createTemplate", snapshotid=str(snapshot["id"]), **template)
    else:
        ctx.run("stopVirtualMachine", id=str(vm["id"]))
        try:
            answer = ctx.run("createTemplate", volumeid=volume, **template)["template"]
        finally:
            ctx.run("startVirtualMachine", id=str(vm["id"]))
    return _finish(ctx, params, str(answer["id"]))


@runs("createTemplate")
def copy_image(ctx: QueryContext, params: Params) -> Output:
    if params["SourceRegion"] != ctx.region:
        raise InvalidParameterValue(
            f"Invalid SourceRegion {params['SourceRegion']}: this endpoint serves {ctx.region}"
        )
    if params.get("Encrypted") or params.get("KmsKeyId"):
        raise InvalidParameterCombination("Encrypted copies of images are not supported")
    source_uuid, source = _one(ctx, str(params["SourceImageId"]))
    if source["State"] != "available":
        raise IncorrectState(f"Image {source['ImageId']} is not available: {source['State']}")
    name = str(params["Name"])
    _check_name(ctx, name)
    answer = ctx.call(
        "createTemplate",
        name=name,
        displaytext=str(params.get("Description") or source["Description"] or name),
        sourcetemplateid=source_uuid,
    )
    tags = specified_tags(params, "image")
    if params.get("CopyImageTags"):
        tags = [*source["Tags"], *tags]
    tag_resources(ctx, resource_type="image", uuids=[str(answer["id"])], tags=tags)
    return {"ImageId": ctx.ids.aws_id("image", str(answer["id"]))}


# --- attributes ---------------------------------------------------------------------------


def _permitted(ctx: QueryContext, uuid: str) -> tuple[bool, list[str]]:
    """Whether the template is public, and the 12-digit ids of the accounts it is shared
    with."""
    found = ctx.call("listTemplatePermissions", id=uuid)["templatepermission"]
    return bool(found.get("ispublic")), [
        aws_account_id(str(account)) for account in found.get("accountids") or []
    ]


def _owned(ctx: QueryContext, image_id: str) -> tuple[str, Item]:
    uuid, image = _one(ctx, image_id)
    if image["OwnerId"] != ctx.account_id and not ctx.caller.is_root_admin:
        raise UnauthorizedOperation(f"You are not authorized to change image {image_id}")
    return uuid, image


@runs("listTemplatePermissions")
def describe_image_attribute(ctx: QueryContext, params: Params) -> Output:
    attribute = str(params["Attribute"])
    image_id = str(params["ImageId"])
    answer: Output = {"ImageId": image_id}
    if attribute == "launchPermission":
        uuid, _ = _owned(ctx, image_id)
        public, accounts = _permitted(ctx, uuid)
        answer["LaunchPermissions"] = [{"Group": "all"}] * public + [
            {"UserId": account} for account in accounts
        ]
    elif attribute == "description":
        answer["Description"] = {"Value": _one(ctx, image_id)[1]["Description"]}
    elif attribute == "blockDeviceMapping":
        answer["BlockDeviceMappings"] = _one(ctx, image_id)[1]["BlockDeviceMappings"]
    elif attribute == "productCodes":
        _one(ctx, image_id)
        answer["ProductCodes"] = []
    else:
        raise InvalidParameterValue(
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute."
        )
    return answer


def _launch_changes(params: Params) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(added, removed) launch permissions, from `LaunchPermission` or the flat
    `OperationType` with `UserIds`/`UserGroups`."""
    permission = params.get("LaunchPermission") or {}
    added, removed = list(permission.get("Add") or []), list(permission.get("Remove") or [])
    flat = [{"UserId": user} for user in params.get("UserIds") or []] + [
        {"Group": group} for group in params.get("UserGroups") or []
    ]
    if flat:
        operation = params.get("OperationType")
        if operation not in ("add", "remove"):
            raise MissingParameter("OperationType (add or remove) is required with UserIds")
        (added if operation == "add" else removed).extend(flat)
    if not added and not removed:
        raise MissingParameter("The request must contain the parameter LaunchPermission")
    return added, removed


def _accounts(ctx: QueryContext, entries: Iterable[dict[str, str]]) -> list[str]:
    users = [str(entry["UserId"]) for entry in entries if entry.get("UserId")]
    for user in users:
        if not re.fullmatch(r"\d{12}", user):
            raise InvalidUserIDMalformed(f"User ID '{user}' is invalid")
    found = ctx.ids.account_uuids(users)
    unknown = [user for user in users if user not in found]
    if unknown:
        raise InvalidUserIDMalformed(f"User ID '{unknown[0]}' is not a known account")
    return [found[user] for user in users]


def _groups(entries: Iterable[dict[str, str]]) -> bool:
    groups = {str(entry["Group"]) for entry in entries if entry.get("Group")}
    if groups - {"all"}:
        raise InvalidAMIAttributeItemValue(f"Invalid group: {', '.join(sorted(groups))}")
    return bool(groups)


def _modify_launch_permission(ctx: QueryContext, uuid: str, params: Params) -> None:
    added, removed = _launch_changes(params)
    publish, unpublish = _groups(added), _groups(removed)
    adds, removes = _accounts(ctx, added), _accounts(ctx, removed)
    try:
        if adds:
            ctx.call("updateTemplatePermissions", id=uuid, accountids=adds, op="add")
        if removes:
            ctx.call("updateTemplatePermissions", id=uuid, accountids=removes, op="remove")
        if publish or unpublish:
            ctx.call("updateTemplatePermissions", id=uuid, ispublic=publish)
    except NativeFailure as failure:
        if failure.errorcode == 431:
            raise InvalidUserIDMalformed(failure.text) from None
        raise aws_error_of(failure) from None


@runs("updateTemplatePermissions")
def modify_image_attribute(ctx: QueryContext, params: Params) -> Output:
    uuid, _ = _owned(ctx, str(params["ImageId"]))
    attribute = params.get("Attribute")
    description = (params.get("Description") or {}).get("Value")
    if attribute == "description" or (attribute is None and description is not None):
        value = description if description is not None else params.get("Value")
        if value is None:
            raise MissingParameter("The request must contain the parameter Description")
        ctx.call("updateTemplate", id=uuid, displaytext=str(value))
    elif attribute in (None, "launchPermission"):
        _modify_launch_permission(ctx, uuid, params)
    else:
        raise InvalidParameterValue(
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute."
        )
    return {}


ACTIONS: Mapping[str, Action] = action_table(
    [
        describe_images,
        register_image,
        deregister_image,
        create_image,
        copy_image,
        describe_image_attribute,
        modify_image_attribute,
    ]
)
