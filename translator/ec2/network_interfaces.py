"""EC2 network interfaces: DescribeNetworkInterfaces shows the NICs of the caller's instances.

Each native NIC has its `eni-` id from its creation; it is attached to its instance at its
device index and lives in its tier's subnet. Interfaces of their own (CreateNetworkInterface,
AttachNetworkInterface) are not available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translator.context import Action, Output, Params, QueryContext
from translator.ec2.describe import Describer
from translator.ec2.vpc_lookup import not_found
from translator.ec2.zones import az_names
from translator.registry import action_table, runs


def _item(
    ctx: QueryContext,
    vm: Mapping[str, Any],
    nic: Mapping[str, Any],
    *,
    ids: Mapping[str, str],
    vpc_of: Mapping[str, str],
    zones: Mapping[str, str],
    tags: Mapping[str, list[dict[str, str]]],
) -> dict[str, Any]:
    eni = ids[str(nic["id"])]
    network = str(nic["networkid"])
    address = nic.get("ipaddress")
    vpc = vpc_of.get(network)
    return {
        "NetworkInterfaceId": eni,
        "SubnetId": ids.get(network) if vpc else None,
        "VpcId": ids.get(vpc) if vpc else None,
        "AvailabilityZone": zones.get(str(vm.get("zoneid"))),
        "AvailabilityZoneId": vm.get("zoneid"),
        "Description": "",
        "PrivateIpAddress": address,
        "PrivateIpAddresses": ([{"PrivateIpAddress": address, "Primary": True}] if address else []),
        "MacAddress": nic.get("macaddress"),
        "Status": "in-use",
        "InterfaceType": "interface",
        "Attachment": {
            "AttachmentId": f"eni-attach-{eni.split('-', 1)[1]}",
            "InstanceId": ids.get(str(vm["id"])),
            "InstanceOwnerId": ctx.account_id,
            "DeviceIndex": int(nic.get("deviceid") or 0),
            "NetworkCardIndex": 0,
            "Status": "attached",
            "DeleteOnTermination": True,
        },
        "Groups": [
            {"GroupId": ids[str(group["id"])], "GroupName": group.get("name")}
            for group in vm.get("securitygroup") or []
            if str(group["id"]) in ids
        ],
        "Ipv6Addresses": [],
        "OwnerId": ctx.account_id,
        "RequesterManaged": False,
        "SourceDestCheck": True,
        "TagSet": tags.get(str(nic["id"]), []),
    }


def _nic_tags(ctx: QueryContext) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for row in ctx.listing("listTags", "tag", resourcetype="Nic", listall=True):
        found.setdefault(str(row["resourceid"]), []).append(
            {"Key": str(row["key"]), "Value": str(row["value"])}
        )
    return found


def interface_items(ctx: QueryContext) -> list[dict[str, Any]]:
    """The EC2 network interfaces of every NIC of the caller's instances."""
    vms = ctx.listing("listVirtualMachines", "virtualmachine", listall=True)
    pairs = [(vm, nic) for vm in vms for nic in vm.get("nic") or []]
    networks = ctx.listing("listNetworks", "network", listall=True)
    vpc_of = {str(row["id"]): str(row["vpcid"]) for row in networks if row.get("vpcid")}
    ids: dict[str, str] = {}
    ids.update(ctx.ids.aws_ids("network-interface", [str(nic["id"]) for _, nic in pairs]))
    ids.update(ctx.ids.aws_ids("subnet", vpc_of))
    ids.update(ctx.ids.aws_ids("vpc", vpc_of.values()))
    ids.update(ctx.ids.aws_ids("instance", [str(vm["id"]) for vm in vms]))
    groups = [str(group["id"]) for vm in vms for group in vm.get("securitygroup") or []]
    ids.update(ctx.ids.aws_ids("security-group", groups))
    zones = az_names(ctx)
    tags = _nic_tags(ctx)
    return [
        _item(ctx, vm, nic, ids=ids, vpc_of=vpc_of, zones=zones, tags=tags)
        for vm, nic in pairs
        if str(nic["id"]) in ids
    ]


INTERFACES = Describer(
    filters={
        "network-interface-id": lambda eni: [eni["NetworkInterfaceId"]],
        "subnet-id": lambda eni: [eni["SubnetId"]],
        "vpc-id": lambda eni: [eni["VpcId"]],
        "availability-zone": lambda eni: [eni["AvailabilityZone"]],
        "attachment.instance-id": lambda eni: [eni["Attachment"]["InstanceId"]],
        "attachment.instance-owner-id": lambda eni: [eni["Attachment"]["InstanceOwnerId"]],
        "attachment.device-index": lambda eni: [eni["Attachment"]["DeviceIndex"]],
        "attachment.status": lambda eni: [eni["Attachment"]["Status"]],
        "attachment.attachment-id": lambda eni: [eni["Attachment"]["AttachmentId"]],
        "attachment.delete-on-termination": lambda eni: [True],
        "private-ip-address": lambda eni: [eni["PrivateIpAddress"]],
        "addresses.private-ip-address": lambda eni: [
            address["PrivateIpAddress"] for address in eni["PrivateIpAddresses"]
        ],
        "addresses.primary": lambda eni: [True],
        "mac-address": lambda eni: [eni["MacAddress"]],
        "status": lambda eni: [eni["Status"]],
        "owner-id": lambda eni: [eni["OwnerId"]],
        "group-id": lambda eni: [group["GroupId"] for group in eni["Groups"]],
        "group-name": lambda eni: [group["GroupName"] for group in eni["Groups"]],
        "interface-type": lambda eni: [eni["InterfaceType"]],
        "description": lambda eni: [eni["Description"]],
        "requester-managed": lambda eni: [eni["RequesterManaged"]],
        "source-dest-check": lambda eni: [eni["SourceDestCheck"]],
    },
    key=lambda eni: str(eni["NetworkInterfaceId"]),
)


@runs("listVirtualMachines")
def describe_network_interfaces(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("NetworkInterfaceIds") or [])
    if wanted:
        ctx.ids.uuids("network-interface", wanted)
    items = interface_items(ctx)
    if wanted:
        seen = {item["NetworkInterfaceId"] for item in items}
        missing = [aws_id for aws_id in wanted if aws_id not in seen]
        if missing:
            raise not_found("network-interface", missing[0])
        items = [item for item in items if item["NetworkInterfaceId"] in wanted]
    page, token = INTERFACES.page(items, params)
    return {"NetworkInterfaces": page, "NextToken": token}


ACTIONS: Mapping[str, Action] = action_table([describe_network_interfaces])
