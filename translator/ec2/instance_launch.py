"""RunInstances: deployVirtualMachine once per instance, with everything EC2 launches with.

The request is resolved to native rows first (image, offering, subnet, groups, key pair,
block devices), so bad input fails before anything is made. Instances are then deployed one
after the other, each waited for: MaxCount of them if capacity and limits allow, at least
MinCount, else every one made so far is destroyed again and the error is
InsufficientInstanceCapacity (or InstanceLimitExceeded). The `r-` reservation id, the client
token and the launch index go with each VM as native details (`instance_views`); a repeated
ClientToken answers the reservation it made the first time. The token is recorded once the
instance is fully launched, so a retry of a launch that failed launches again.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from translator.context import NativeFailure, NativeValue, Output, Params, QueryContext
from translator.ec2 import instance_views as views
from translator.ec2.default_vpc import default_subnet
from translator.ec2.tagging import specified_tags, tag_resources
from translator.ec2.zones import zone_uuid_of
from translator.errors import (
    ID_ERRORS,
    AwsError,
    InstanceLimitExceeded,
    InsufficientInstanceCapacity,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from translator.native_errors import aws_error_of
from translator.registry import runs

ROOT_DEVICES = frozenset({views.ROOT_DEVICE, "/dev/xvda", "/dev/sda"})
GIB = 1024**3


@dataclass(frozen=True, kw_only=True)
class ExtraVolume:
    """A data volume BlockDeviceMappings asks for: created and attached after the deploy."""

    device: str
    size_gb: int | None
    snapshot: str | None
    delete_on_termination: bool


@dataclass(kw_only=True)
class Launch:
    """A RunInstances request resolved to native terms."""

    deploy: dict[str, NativeValue]
    extra_volumes: list[ExtraVolume] = field(default_factory=list)
    disk_offering: str | None = None
    instance_type: str = ""
    public_network: str | None = None
    public_vpc: str | None = None


def _required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise MissingParameter(f"The request must contain the parameter {name}")
    return value


def _counts(params: Params) -> tuple[int, int]:
    low, high = int(_required(params, "MinCount")), int(_required(params, "MaxCount"))
    if low < 1 or high < 1:
        raise InvalidParameterValue("MinCount and MaxCount must be greater than zero")
    if low > high:
        raise InvalidParameterValue(
            f"MinCount ({low}) must be less than or equal to MaxCount ({high})"
        )
    return low, high


def _visible(ctx: QueryContext, command: str, key: str, **params: NativeValue) -> list[Any]:
    """The rows a native list command shows the caller for one id: none when the id is of a
    row the caller may not see (native refuses such an id with 431 or 531)."""
    try:
        return list(ctx.call(command, **params).get(key) or [])
    except NativeFailure as failure:
        if failure.errorcode in (431, 531):
            return []
        raise


def _template(ctx: QueryContext, image_id: str) -> str:
    uuid = ctx.ids.uuid("image", image_id)
    if not _visible(ctx, "listTemplates", "template", templatefilter="executable", id=uuid):
        raise ID_ERRORS["image"].not_found(f"The image id '[{image_id}]' does not exist")
    return uuid


def offering_named(ctx: QueryContext, name: str) -> dict[str, Any]:
    """The service offering that is instance type `name` (InvalidParameterValue if none)."""
    for row in ctx.listing("listServiceOfferings", "serviceoffering", name=name):
        if row.get("name") == name:
            return row
    raise InvalidParameterValue(f"Invalid value '{name}' for InstanceType.")


def _primary_interface(params: Params) -> dict[str, Any]:
    interfaces = list(params.get("NetworkInterfaces") or [])
    if not interfaces:
        return {}
    primary = [entry for entry in interfaces if int(entry.get("DeviceIndex", 0)) == 0]
    if len(interfaces) > 1 or not primary:
        raise InvalidParameterValue("Only one network interface, at device index 0, is supported")
    if params.get("SubnetId") or params.get("SecurityGroupIds") or params.get("SecurityGroups"):
        raise InvalidParameterCombination(
            "Network interfaces and an instance-level subnet ID or security groups may not be "
            "specified on the same request"
        )
    if primary[0].get("NetworkInterfaceId"):
        raise InvalidParameterValue("Attaching an existing network interface is not supported")
    return dict(primary[0])


def _network(ctx: QueryContext, params: Params, subnet_id: str | None) -> dict[str, Any]:
    """The native network the instance goes on: the subnet's, else the default subnet of
    Placement's zone (or of the default VPC)."""
    placement = params.get("Placement") or {}
    zone = placement.get("AvailabilityZone")
    zone_uuid = zone_uuid_of(ctx, str(zone)) if zone else None
    if subnet_id:
        uuid = ctx.ids.uuid("subnet", subnet_id)
    else:
        uuid = default_subnet(ctx, zone_uuid=zone_uuid)
    rows = _visible(ctx, "listNetworks", "network", id=uuid, listall=True)
    if not rows:
        raise ID_ERRORS["subnet"].not_found(f"The subnet ID '{subnet_id}' does not exist")
    network = dict(rows[0])
    if zone_uuid is not None and network.get("zoneid") != zone_uuid:
        raise InvalidParameterValue(
            f"The subnet '{subnet_id}' is not in availability zone '{zone}'"
        )
    return network


def _groups(
    ctx: QueryContext, *, ids: Sequence[str], names: Sequence[str], vpc_uuid: str | None
) -> list[str]:
    """Native security group uuids of EC2 group ids and names (names in the subnet's VPC)."""
    uuids = ctx.ids.uuids("security-group", list(ids)) if ids else []
    for uuid, group_id in zip(uuids, ids, strict=True):
        if not _visible(ctx, "listSecurityGroups", "securitygroup", id=uuid, listall=True):
            raise ID_ERRORS["security-group"].not_found(
                f"The security group '{group_id}' does not exist"
            )
    for name in names:
        found = _named_groups(ctx, name=name, vpc_uuid=vpc_uuid)
        if not found:
            raise ID_ERRORS["security-group"].not_found(
                f"The security group '{name}' does not exist"
            )
        uuids.append(found[0])
    if not uuids and vpc_uuid is not None:
        uuids = _named_groups(ctx, name="default", vpc_uuid=vpc_uuid)[:1]
    return uuids


def _named_groups(ctx: QueryContext, *, name: str, vpc_uuid: str | None) -> list[str]:
    """The caller's security groups called `name` in that VPC (None: outside any VPC)."""
    return [
        str(row["id"])
        for row in ctx.listing(
            "listSecurityGroups", "securitygroup", securitygroupname=name, listall=True
        )
        if row.get("name") == name and row.get("vpcid") == vpc_uuid
    ]


def _key_pair(ctx: QueryContext, name: str | None) -> str | None:
    if not name:
        return None
    rows = ctx.call("listSSHKeyPairs", name=name, listall=True).get("sshkeypair") or []
    if not any(row.get("name") == name for row in rows):
        raise ID_ERRORS["key-pair"].not_found(f"The key pair '{name}' does not exist")
    return name


def _block_devices(ctx: QueryContext, params: Params, launch: Launch) -> None:
    """Root size override and extra volumes from BlockDeviceMappings."""
    for mapping in params.get("BlockDeviceMappings") or []:
        ebs = mapping.get("Ebs")
        device = str(mapping.get("DeviceName", ""))
        if not ebs or mapping.get("NoDevice") is not None:
            continue
        size = ebs.get("VolumeSize")
        if device in ROOT_DEVICES:
            if size is not None:
                launch.deploy["rootdisksize"] = int(size)
            continue
        snapshot = ebs.get("SnapshotId")
        if size is None and not snapshot:
            raise MissingParameter(
                f"The request must contain the parameter size or snapshotId for {device}"
            )
        launch.extra_volumes.append(
            ExtraVolume(
                device=device,
                size_gb=None if size is None else int(size),
                snapshot=None if not snapshot else ctx.ids.uuid("snapshot", str(snapshot)),
                delete_on_termination=ebs.get("DeleteOnTermination") is not False,
            )
        )
    if any(volume.snapshot is None for volume in launch.extra_volumes):
        custom = [
            row
            for row in ctx.listing("listDiskOfferings", "diskoffering")
            if row.get("iscustomized")
        ]
        if not custom:
            raise InvalidParameterValue("No disk offering of a custom size is available")
        launch.disk_offering = str(custom[0]["id"])


def resolve(ctx: QueryContext, params: Params) -> Launch:
    """The native deploy parameters (shared by every instance) and the extra volumes."""
    template = _template(ctx, str(_required(params, "ImageId")))
    instance_type = str(_required(params, "InstanceType"))
    offering = offering_named(ctx, instance_type)
    primary = _primary_interface(params)
    network = _network(ctx, params, primary.get("SubnetId") or params.get("SubnetId"))
    vpc_uuid = None if not network.get("vpcid") else str(network["vpcid"])
    groups = _groups(
        ctx,
        ids=list(primary.get("Groups") or params.get("SecurityGroupIds") or []),
        names=list(params.get("SecurityGroups") or []),
        vpc_uuid=vpc_uuid,
    )
    address = primary.get("PrivateIpAddress") or params.get("PrivateIpAddress")
    public = primary.get("AssociatePublicIpAddress") is True
    launch = Launch(
        deploy={
            "zoneid": str(network["zoneid"]),
            "serviceofferingid": str(offering["id"]),
            "templateid": template,
            "networkids": [str(network["id"])],
            "ipaddress": None if not address else str(address),
            "securitygroupids": groups or None,
            "keypair": _key_pair(ctx, params.get("KeyName")),
            "userdata": None if not params.get("UserData") else str(params["UserData"]),
        },
        instance_type=instance_type,
        public_network=str(network["id"]) if public else None,
        public_vpc=vpc_uuid if public else None,
    )
    _block_devices(ctx, params, launch)
    return launch


def _launch_details(params: Params, reservation: str, index: int) -> dict[str, str]:
    extra = {views.DETAIL_RESERVATION: reservation, views.DETAIL_LAUNCH_INDEX: str(index)}
    if params.get("ClientToken"):
        extra[views.DETAIL_CLIENT_TOKEN] = str(params["ClientToken"])
    if params.get("DisableApiStop"):
        extra[views.DETAIL_DISABLE_STOP] = "true"
    behavior = params.get("InstanceInitiatedShutdownBehavior")
    if behavior:
        if behavior not in ("stop", "terminate"):
            raise InvalidParameterValue(
                f"Invalid value '{behavior}' for InstanceInitiatedShutdownBehavior"
            )
        extra[views.DETAIL_SHUTDOWN_BEHAVIOR] = str(behavior)
    return extra


class _Launched:
    """The VMs (and volumes) made so far, to be undone if the launch fails."""

    def __init__(self, ctx: QueryContext) -> None:
        self.ctx = ctx
        self.vms: list[str] = []
        self.volumes: list[str] = []
        self.addresses: list[str] = []

    def discard(self) -> None:
        """Release every public IP address, and destroy (expunged where the caller may)
        every VM and volume, made so far."""
        for uuid in self.addresses:
            self.ctx.run("disassociateIpAddress", id=uuid)
        for uuid in self.vms:
            try:
                self.ctx.run("destroyVirtualMachine", id=uuid, expunge=True)
            except NativeFailure:
                self.ctx.run("destroyVirtualMachine", id=uuid)
        for uuid in self.volumes:
            self.ctx.call("deleteVolume", id=uuid)


def _deploy_all(
    ctx: QueryContext, params: Params, launch: Launch, launched: _Launched, reservation: str
) -> None:
    low, high = _counts(params)
    if high > 1 and launch.deploy.get("ipaddress"):
        raise InvalidParameterCombination(
            "A private IP address can be given only when launching one instance"
        )
    for index in range(high):
        details = _launch_details(params, reservation, index)
        try:
            vm = ctx.run("deployVirtualMachine", **launch.deploy, details=[details])
        except NativeFailure as failure:
            if failure.errorcode in (532, 533, 535) and len(launched.vms) >= low:
                return
            raise _launch_error(failure, low=low) from None
        launched.vms.append(str(vm["virtualmachine"]["id"]))


def _launch_error(failure: NativeFailure, *, low: int) -> AwsError:
    if failure.errorcode == 532:
        return InstanceLimitExceeded(
            f"Your quota allows for 0 more running instance(s). You requested at least {low}."
            f" ({failure.text})"
        )
    if failure.errorcode in (533, 535):
        return InsufficientInstanceCapacity(
            f"We currently do not have sufficient capacity in the Availability Zone you "
            f"requested to launch {low} instance(s). ({failure.text})"
        )
    return aws_error_of(failure)


def _finish(
    ctx: QueryContext, params: Params, launch: Launch, launched: _Launched, uuid: str
) -> None:
    """Protection, tags and extra volumes of one launched VM."""
    if params.get("DisableApiTermination"):
        ctx.call("updateVirtualMachine", id=uuid, deleteprotection=True)
    tag_resources(
        ctx, resource_type="instance", uuids=[uuid], tags=specified_tags(params, "instance")
    )
    volume_tags = specified_tags(params, "volume")
    roots = ctx.call("listVolumes", virtualmachineid=uuid, type="ROOT", listall=True)
    volume_uuids = [str(row["id"]) for row in roots.get("volume") or []]
    doomed = []
    for extra in launch.extra_volumes:
        volume = ctx.run(
            "createVolume",
            zoneid=str(launch.deploy["zoneid"]),
            diskofferingid=None if extra.snapshot else launch.disk_offering,
            size=extra.size_gb if not extra.snapshot else None,
            snapshotid=extra.snapshot,
            name=f"{extra.device.rsplit('/', 1)[-1]}-{uuid[:8]}",
        )["volume"]
        launched.volumes.append(str(volume["id"]))
        ctx.run(
            "attachVolume", id=str(volume["id"]), virtualmachineid=uuid, devicename=extra.device
        )
        launched.volumes.remove(str(volume["id"]))
        volume_uuids.append(str(volume["id"]))
        if extra.delete_on_termination:
            doomed.append(str(volume["id"]))
    added = {views.DETAIL_DELETE_ON_TERMINATION: ",".join(doomed)} if doomed else {}
    if launch.public_network is not None:
        added[views.DETAIL_PUBLIC_IP] = _public_address(ctx, launch, launched, uuid)
    if added:
        _add_details(ctx, uuid, added)
    tag_resources(ctx, resource_type="volume", uuids=volume_uuids, tags=volume_tags)
    nic_tags = specified_tags(params, "network-interface")
    if nic_tags:
        vm = ctx.call("listVirtualMachines", id=uuid, listall=True)["virtualmachine"][0]
        nics = [str(nic["id"]) for nic in vm.get("nic") or []]
        tag_resources(ctx, resource_type="network-interface", uuids=nics, tags=nic_tags)


def _public_address(ctx: QueryContext, launch: Launch, launched: _Launched, uuid: str) -> str:
    """A new public IP address, static-NATed to the VM (AssociatePublicIpAddress); its uuid."""
    address = ctx.run(
        "associateIpAddress",
        vpcid=launch.public_vpc,
        networkid=None if launch.public_vpc else launch.public_network,
    )["ipaddress"]
    launched.addresses.append(str(address["id"]))
    ctx.run(
        "enableStaticNat",
        ipaddressid=str(address["id"]),
        virtualmachineid=uuid,
        networkid=launch.public_network,
    )
    return str(address["id"])


def _add_details(ctx: QueryContext, uuid: str, added: Mapping[str, str]) -> None:
    """Merge `added` into a VM's native details (updateVirtualMachine replaces them all)."""
    rows = ctx.call("listVirtualMachines", id=uuid, listall=True)["virtualmachine"]
    merged = views.details(rows[0]) | dict(added)
    ctx.call("updateVirtualMachine", id=uuid, details=[merged])


def _answer(ctx: QueryContext, reservation: str, uuids: Sequence[str]) -> Output:
    items = views.instances(ctx, views.list_vms(ctx, uuids))
    for item in items:
        item["State"] = dict(views.PENDING)
    grouped = views.reservations(ctx, items)
    if grouped:
        return dict(grouped[0])
    return {"ReservationId": reservation, "OwnerId": ctx.account_id, "Groups": [], "Instances": []}


def _earlier(ctx: QueryContext, token: str) -> list[dict[str, Any]]:
    """The instances an earlier RunInstances of the caller's account launched with `token`
    ([] if none, or if they are gone for good)."""
    uuids = ctx.ids.launched(account_uuid=ctx.caller.account_uuid, token=token)
    try:
        return views.list_vms(ctx, uuids)
    except ID_ERRORS["instance"].not_found:
        return []


@runs("deployVirtualMachine")
def run_instances(ctx: QueryContext, params: Params) -> Output:
    token = params.get("ClientToken")
    if token:
        earlier = _earlier(ctx, str(token))
        if earlier:
            reservation = views.details(earlier[0]).get(views.DETAIL_RESERVATION, "")
            return _answer(ctx, reservation, [str(vm["id"]) for vm in earlier])
    _counts(params)
    launch = resolve(ctx, params)
    reservation = f"r-{secrets.token_hex(9)[:17]}"
    launched = _Launched(ctx)
    try:
        _deploy_all(ctx, params, launch, launched, reservation)
        for uuid in launched.vms:
            _finish(ctx, params, launch, launched, uuid)
    except (AwsError, NativeFailure):
        launched.discard()
        raise
    if token:
        ctx.ids.remember_launch(
            account_uuid=ctx.caller.account_uuid, token=str(token), uuids=launched.vms
        )
    return _answer(ctx, reservation, launched.vms)
