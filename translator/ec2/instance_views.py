"""Native VMs as EC2 instances: the state table, the EC2-only settings kept as VM details,
and the `Instance` shape DescribeInstances and friends answer.

A VM's EC2 launch facts live with the VM as native details (CloudStack's user VM details),
written by RunInstances and ModifyInstanceAttribute: DETAIL_RESERVATION (the `r-` id of the
RunInstances call that made it), DETAIL_CLIENT_TOKEN, DETAIL_LAUNCH_INDEX, DETAIL_DISABLE_STOP,
DETAIL_SHUTDOWN_BEHAVIOR, DETAIL_SOURCE_DEST_CHECK, DETAIL_DELETE_ON_TERMINATION (the data
volumes RunInstances attached that go with the instance) and DETAIL_PUBLIC_IP (the public
address AssociatePublicIpAddress gave it, released with it). A terminated instance is a VM
destroyed less than `destroyed.vm.view.duration` seconds ago (listVirtualMachines
`includedestroyed`), so it stays visible for an hour by default and is then NotFound.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from translator.context import NativeFailure, QueryContext, native_time
from translator.ec2.tagging import ec2_tags
from translator.ec2.zones import az_names
from translator.errors import ID_ERRORS

DETAIL_RESERVATION = "ec2ReservationId"
DETAIL_CLIENT_TOKEN = "ec2ClientToken"
DETAIL_LAUNCH_INDEX = "ec2AmiLaunchIndex"
DETAIL_DISABLE_STOP = "ec2DisableApiStop"
DETAIL_SHUTDOWN_BEHAVIOR = "ec2ShutdownBehavior"
DETAIL_SOURCE_DEST_CHECK = "ec2SourceDestCheck"
DETAIL_DELETE_ON_TERMINATION = "ec2DeleteOnTermination"
DETAIL_PUBLIC_IP = "ec2PublicIpId"

ROOT_DEVICE = "/dev/sda1"
HYPERVISOR = "xen"

PENDING, RUNNING, SHUTTING_DOWN, TERMINATED, STOPPING, STOPPED = (
    {"Code": 0, "Name": "pending"},
    {"Code": 16, "Name": "running"},
    {"Code": 32, "Name": "shutting-down"},
    {"Code": 48, "Name": "terminated"},
    {"Code": 64, "Name": "stopping"},
    {"Code": 80, "Name": "stopped"},
)

STATES: Mapping[str, dict[str, Any]] = {
    "Starting": PENDING,
    "Running": RUNNING,
    "Migrating": RUNNING,
    "Stopping": STOPPING,
    "Stopped": STOPPED,
    "Error": STOPPED,
    "Destroyed": TERMINATED,
    "Expunging": TERMINATED,
}
"""Native VM state → EC2 instance state {Code, Name}."""


def ec2_state(vm: Mapping[str, Any]) -> dict[str, Any]:
    """The EC2 `State` of a native VM row (a copy, safe to put in an answer)."""
    return dict(STATES.get(str(vm.get("state")), PENDING))


def details(vm: Mapping[str, Any]) -> dict[str, str]:
    """The VM's native details as strings."""
    return {str(key): str(value) for key, value in (vm.get("details") or {}).items()}


def dns_name(region: str, address: str | None) -> str:
    """EC2's private DNS name of an address (`ip-10-0-0-5.ec2.internal` in us-east-1)."""
    if not address:
        return ""
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{address.replace('.', '-')}.{domain}"


def list_vms(ctx: QueryContext, uuids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The caller's VMs as EC2 sees them (terminated ones for a while), or those of `uuids`:
    InvalidInstanceID.NotFound names the first the caller cannot see."""
    if uuids is not None and not uuids:
        return []
    try:
        rows = ctx.listing(
            "listVirtualMachines",
            "virtualmachine",
            listall=True,
            includedestroyed=True,
            ids=list(uuids) if uuids else None,
        )
    except NativeFailure as failure:
        if not uuids or failure.errorcode not in (431, 531):
            raise
        rows = []
    if uuids:
        seen = {str(row["id"]) for row in rows}
        missing = [uuid for uuid in uuids if uuid not in seen]
        if missing:
            aws_ids = ctx.ids.aws_ids("instance", missing)
            raise ID_ERRORS["instance"].not_found(
                f"The instance ID '{aws_ids.get(missing[0], missing[0])}' does not exist"
            )
    return rows


def vms_of(ctx: QueryContext, instance_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The VMs of EC2 instance ids, in their order (Malformed / NotFound as AWS says)."""
    uuids = ctx.ids.uuids("instance", list(instance_ids))
    by_uuid = {str(row["id"]): row for row in list_vms(ctx, uuids)}
    return [by_uuid[uuid] for uuid in uuids]


@dataclass(frozen=True, kw_only=True)
class Lookups:
    """What rendering a set of VMs needs besides the VM rows, fetched once per request."""

    instance_ids: dict[str, str]
    image_ids: dict[str, str]
    subnet_ids: dict[str, str]
    vpc_of_network: dict[str, str]
    eni_ids: dict[str, str]
    group_ids: dict[str, str]
    volume_ids: dict[str, str]
    volumes: dict[str, list[dict[str, Any]]]
    zones: dict[str, str]


def _listed(ctx: QueryContext, command: str, key: str, **params: str) -> list[dict[str, Any]]:
    """The rows of a native list command narrowed to one resource (`params`); none if that
    resource is gone or not the caller's to see."""
    try:
        return ctx.listing(command, key, listall=True, **params)
    except NativeFailure:
        return []


def _vpc_of_networks(ctx: QueryContext, network_uuids: set[str]) -> dict[str, str]:
    """The VPC uuid of each of `network_uuids` that is a VPC tier. One network is asked for
    by id; more are matched up from one listing of all the caller sees, so the cost does not
    grow with their number."""
    if len(network_uuids) == 1:
        networks = _listed(ctx, "listNetworks", "network", id=next(iter(network_uuids)))
    else:
        networks = ctx.listing("listNetworks", "network", listall=True)
    return {
        str(network["id"]): str(network["vpcid"])
        for network in networks
        if str(network["id"]) in network_uuids and network.get("vpcid")
    }


def _volumes_of(
    ctx: QueryContext, vms: Sequence[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """The attached volumes of each of `vms`, by VM uuid: those of one VM asked for by its
    id, those of more from one listing of all the caller sees."""
    if len(vms) == 1:
        found = _listed(ctx, "listVolumes", "volume", virtualmachineid=str(vms[0]["id"]))
    else:
        found = ctx.listing("listVolumes", "volume", listall=True)
    volumes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for volume in found:
        if volume.get("virtualmachineid"):
            volumes[str(volume["virtualmachineid"])].append(volume)
    return volumes


def lookups(ctx: QueryContext, vms: Sequence[dict[str, Any]]) -> Lookups:
    """The AWS ids, networks, volumes and zone names that `vms` refer to."""
    nics = [nic for vm in vms for nic in vm.get("nic") or []]
    network_uuids = {str(nic["networkid"]) for nic in nics}
    vpc_uuids = _vpc_of_networks(ctx, network_uuids) if network_uuids else {}
    vpc_ids = ctx.ids.aws_ids("vpc", set(vpc_uuids.values()))
    volumes = _volumes_of(ctx, vms) if vms else {}
    all_volumes = [volume for group in volumes.values() for volume in group]
    return Lookups(
        instance_ids=ctx.ids.aws_ids("instance", [str(vm["id"]) for vm in vms]),
        image_ids=ctx.ids.aws_ids("image", [str(vm.get("templateid")) for vm in vms]),
        subnet_ids=ctx.ids.aws_ids("subnet", network_uuids),
        vpc_of_network={
            network: vpc_ids[vpc] for network, vpc in vpc_uuids.items() if vpc in vpc_ids
        },
        eni_ids=ctx.ids.aws_ids("network-interface", [str(nic["id"]) for nic in nics]),
        group_ids=ctx.ids.aws_ids(
            "security-group",
            [str(group["id"]) for vm in vms for group in vm.get("securitygroup") or []],
        ),
        volume_ids=ctx.ids.aws_ids("volume", [str(volume["id"]) for volume in all_volumes]),
        volumes=dict(volumes),
        zones=az_names(ctx),
    )


def _groups(vm: Mapping[str, Any], found: Lookups) -> list[dict[str, str]]:
    return [
        {"GroupId": found.group_ids[str(group["id"])], "GroupName": str(group["name"])}
        for group in vm.get("securitygroup") or []
        if str(group["id"]) in found.group_ids
    ]


def device_name(volume: Mapping[str, Any]) -> str:
    """The EC2 device name of an attached native volume: the one it was attached under, the
    root device for the ROOT disk, else `/dev/sd` and a letter from its device id."""
    if volume.get("devicename"):
        return str(volume["devicename"])
    if volume.get("type") == "ROOT":
        return ROOT_DEVICE
    return f"/dev/sd{chr(ord('a') + int(volume.get('deviceid') or 1))}"


def block_devices(vm: Mapping[str, Any], found: Lookups) -> list[dict[str, Any]]:
    """The instance's `BlockDeviceMappings` (root first)."""
    doomed = set(details(vm).get(DETAIL_DELETE_ON_TERMINATION, "").split(","))
    volumes = sorted(
        found.volumes.get(str(vm["id"]), []), key=lambda volume: int(volume.get("deviceid") or 0)
    )
    mappings = []
    for volume in volumes:
        if str(volume["id"]) not in found.volume_ids:
            continue
        attached = volume.get("attached") or volume.get("created")
        mappings.append(
            {
                "DeviceName": device_name(volume),
                "Ebs": {
                    "VolumeId": found.volume_ids[str(volume["id"])],
                    "Status": "attached",
                    "AttachTime": native_time(str(attached)) if attached else None,
                    "DeleteOnTermination": volume.get("type") == "ROOT"
                    or str(volume["id"]) in doomed,
                },
            }
        )
    return mappings


def _interfaces(
    ctx: QueryContext, vm: Mapping[str, Any], found: Lookups, groups: list[dict[str, str]]
) -> list[dict[str, Any]]:
    interfaces = []
    nics = sorted(vm.get("nic") or [], key=lambda nic: (not nic.get("isdefault"), nic["deviceid"]))
    for index, nic in enumerate(nics):
        network = str(nic["networkid"])
        address = nic.get("ipaddress")
        interface: dict[str, Any] = {
            "NetworkInterfaceId": found.eni_ids.get(str(nic["id"])),
            "SubnetId": found.subnet_ids.get(network),
            "VpcId": found.vpc_of_network.get(network),
            "Description": "",
            "OwnerId": ctx.account_id,
            "Status": "in-use",
            "MacAddress": nic.get("macaddress"),
            "PrivateIpAddress": address,
            "PrivateDnsName": dns_name(ctx.region, address),
            "SourceDestCheck": details(vm).get(DETAIL_SOURCE_DEST_CHECK, "true") == "true",
            "Groups": groups,
            "InterfaceType": "interface",
            "Attachment": {
                "AttachmentId": f"eni-attach-{str(nic['id']).replace('-', '')[:17]}",
                "DeviceIndex": index,
                "NetworkCardIndex": 0,
                "Status": "attached",
                "AttachTime": native_time(str(vm["created"])),
                "DeleteOnTermination": True,
            },
            "PrivateIpAddresses": [
                {
                    "Primary": True,
                    "PrivateIpAddress": address,
                    "PrivateDnsName": dns_name(ctx.region, address),
                }
            ]
            if address
            else [],
            "Ipv6Addresses": [],
        }
        if vm.get("publicip") and index == 0:
            association = {"PublicIp": vm["publicip"], "PublicDnsName": "", "IpOwnerId": "amazon"}
            interface["Association"] = association
            interface["PrivateIpAddresses"][0]["Association"] = association
        interfaces.append(interface)
    return interfaces


FIXED: Mapping[str, Any] = {
    "PublicDnsName": "",
    "ProductCodes": [],
    "Monitoring": {"State": "disabled"},
    "Architecture": "x86_64",
    "RootDeviceType": "ebs",
    "RootDeviceName": ROOT_DEVICE,
    "EbsOptimized": False,
    "EnaSupport": True,
    "Hypervisor": HYPERVISOR,
    "VirtualizationType": "hvm",
    "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
    "HibernationOptions": {"Configured": False},
    "EnclaveOptions": {"Enabled": False},
    "MaintenanceOptions": {"AutoRecovery": "default"},
    "PlatformDetails": "Linux/UNIX",
    "UsageOperation": "RunInstances",
    "CurrentInstanceBootMode": "legacy-bios",
    "BootMode": "legacy-bios",
    "MetadataOptions": {
        "State": "applied",
        "HttpTokens": "optional",
        "HttpPutResponseHopLimit": 1,
        "HttpEndpoint": "enabled",
        "HttpProtocolIpv6": "disabled",
        "InstanceMetadataTags": "disabled",
    },
    "PrivateDnsNameOptions": {
        "HostnameType": "ip-name",
        "EnableResourceNameDnsARecord": False,
        "EnableResourceNameDnsAAAARecord": False,
    },
}
"""The members every instance has the same (Alto runs no other kind), copied into each."""


def _fresh(value: Any) -> Any:
    """A copy of plain data (dicts and lists of scalars, nested): `copy.deepcopy` without its
    memo and dispatch, which were 40% of the time an instance took to render."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


def instance(
    ctx: QueryContext, vm: Mapping[str, Any], found: Lookups, *, instance_type: str | None = None
) -> dict[str, Any]:
    """One VM in EC2's `Instance` shape, plus `_ReservationId` for grouping and filters
    (`reservations` leaves out every `_` key)."""
    extra = details(vm)
    instance_id = found.instance_ids.get(str(vm["id"]), "")
    groups = _groups(vm, found)
    interfaces = _interfaces(ctx, vm, found, groups)
    primary = interfaces[0] if interfaces else {}
    state = ec2_state(vm)
    terminated = state["Name"] == "terminated"
    cpus = int(vm.get("cpunumber") or 1)
    item: dict[str, Any] = _fresh(dict(FIXED)) | {
        "_ReservationId": extra.get(DETAIL_RESERVATION) or f"r-{instance_id[2:]}",
        "InstanceId": instance_id,
        "ImageId": found.image_ids.get(str(vm.get("templateid")), ""),
        "State": state,
        "PrivateDnsName": primary.get("PrivateDnsName", ""),
        "StateTransitionReason": "User initiated" if state["Code"] in (48, 80) else "",
        "KeyName": (str(vm["keypairs"]).split(",")[0] if vm.get("keypairs") else None),
        "AmiLaunchIndex": int(extra.get(DETAIL_LAUNCH_INDEX, "0")),
        "InstanceType": instance_type or vm.get("serviceofferingname"),
        "LaunchTime": native_time(str(vm["created"])),
        "Placement": {
            "AvailabilityZone": found.zones.get(str(vm.get("zoneid")), ""),
            "GroupName": "",
            "Tenancy": "default",
        },
        "SubnetId": None if terminated else primary.get("SubnetId"),
        "VpcId": None if terminated else primary.get("VpcId"),
        "PrivateIpAddress": primary.get("PrivateIpAddress"),
        "PublicIpAddress": vm.get("publicip"),
        "BlockDeviceMappings": [] if terminated else block_devices(vm, found),
        "ClientToken": extra.get(DETAIL_CLIENT_TOKEN, ""),
        "NetworkInterfaces": [] if terminated else interfaces,
        "SecurityGroups": [] if terminated else groups,
        "SourceDestCheck": extra.get(DETAIL_SOURCE_DEST_CHECK, "true") == "true",
        "CpuOptions": {"CoreCount": cpus, "ThreadsPerCore": 1},
        "UsageOperationUpdateTime": native_time(str(vm["created"])),
        "Tags": ec2_tags(vm),
    }
    if terminated:
        item["StateReason"] = {
            "Code": "Client.UserInitiatedShutdown",
            "Message": "Client.UserInitiatedShutdown: User initiated shutdown",
        }
    return item


def instances(ctx: QueryContext, vms: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`instance` of each VM, with one round of look-ups for all."""
    rows = list(vms)
    found = lookups(ctx, rows)
    return [instance(ctx, vm, found) for vm in rows]


def reservations(ctx: QueryContext, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Instances grouped into EC2 `Reservation`s by the RunInstances call that made them (a VM
    made natively is a reservation of its own: `r-` and its instance id's digits)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[item["_ReservationId"]].append(item)
    return [
        {
            "ReservationId": reservation,
            "OwnerId": ctx.account_id,
            "Groups": [],
            "Instances": [
                {key: value for key, value in item.items() if not key.startswith("_")}
                for item in sorted(members, key=lambda item: int(item["AmiLaunchIndex"]))
            ],
        }
        for reservation, members in grouped.items()
    ]
