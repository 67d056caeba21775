"""EC2 actions on instances: RunInstances, DescribeInstances, DescribeInstanceStatus, Start,
Stop, Reboot and TerminateInstances, on native VMs (see `instance_views` for the mapping)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2 import instance_views as views
from translator.ec2.describe import Describer, Item
from translator.ec2.instance_launch import run_instances
from translator.errors import (
    IncorrectInstanceState,
    InvalidParameterCombination,
    MissingParameter,
    OperationNotPermitted,
)
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs


def _interfaces(key: str) -> Callable[[Item], list[Any]]:
    return lambda item: [nic.get(key) for nic in item["NetworkInterfaces"]]


INSTANCES = Describer(
    filters={
        "instance-id": lambda item: [item["InstanceId"]],
        "instance-state-name": lambda item: [item["State"]["Name"]],
        "instance-state-code": lambda item: [item["State"]["Code"]],
        "instance-type": lambda item: [item["InstanceType"]],
        "image-id": lambda item: [item["ImageId"]],
        "key-name": lambda item: [item["KeyName"]] if item["KeyName"] else [],
        "vpc-id": lambda item: [item["VpcId"]] if item["VpcId"] else [],
        "subnet-id": lambda item: [item["SubnetId"]] if item["SubnetId"] else [],
        "availability-zone": lambda item: [item["Placement"]["AvailabilityZone"]],
        "private-ip-address": lambda item: [item["PrivateIpAddress"]],
        "private-dns-name": lambda item: [item["PrivateDnsName"]],
        "ip-address": lambda item: [item["PublicIpAddress"]] if item["PublicIpAddress"] else [],
        "dns-name": lambda item: [item["PublicDnsName"]],
        "reservation-id": lambda item: [item["_ReservationId"]],
        "client-token": lambda item: [item["ClientToken"]],
        "ami-launch-index": lambda item: [item["AmiLaunchIndex"]],
        "architecture": lambda item: [item["Architecture"]],
        "hypervisor": lambda item: [item["Hypervisor"]],
        "virtualization-type": lambda item: [item["VirtualizationType"]],
        "root-device-type": lambda item: [item["RootDeviceType"]],
        "root-device-name": lambda item: [item["RootDeviceName"]],
        "tenancy": lambda item: [item["Placement"]["Tenancy"]],
        "monitoring-state": lambda item: [item["Monitoring"]["State"]],
        "source-dest-check": lambda item: [item["SourceDestCheck"]],
        "launch-time": lambda item: [item["LaunchTime"].strftime("%Y-%m-%dT%H:%M:%S.000Z")],
        "owner-id": lambda item: [item["_OwnerId"]],
        "instance.group-id": lambda item: [group["GroupId"] for group in item["SecurityGroups"]],
        "instance.group-name": lambda item: [
            group["GroupName"] for group in item["SecurityGroups"]
        ],
        "group-id": lambda item: [group["GroupId"] for group in item["SecurityGroups"]],
        "group-name": lambda item: [group["GroupName"] for group in item["SecurityGroups"]],
        "block-device-mapping.volume-id": lambda item: [
            mapping["Ebs"]["VolumeId"] for mapping in item["BlockDeviceMappings"]
        ],
        "block-device-mapping.device-name": lambda item: [
            mapping["DeviceName"] for mapping in item["BlockDeviceMappings"]
        ],
        "network-interface.network-interface-id": _interfaces("NetworkInterfaceId"),
        "network-interface.subnet-id": _interfaces("SubnetId"),
        "network-interface.vpc-id": _interfaces("VpcId"),
        "network-interface.mac-address": _interfaces("MacAddress"),
        "network-interface.status": _interfaces("Status"),
        "network-interface.private-dns-name": _interfaces("PrivateDnsName"),
        "network-interface.addresses.private-ip-address": _interfaces("PrivateIpAddress"),
        "network-interface.group-id": lambda item: [
            group["GroupId"] for nic in item["NetworkInterfaces"] for group in nic["Groups"]
        ],
    },
    key=lambda item: str(item["InstanceId"]),
)

RESERVATIONS = Describer(filters={}, key=lambda item: str(item["ReservationId"]), tags=False)

STATUSES = Describer(
    filters={
        "availability-zone": lambda item: [item["AvailabilityZone"]],
        "instance-state-name": lambda item: [item["InstanceState"]["Name"]],
        "instance-state-code": lambda item: [item["InstanceState"]["Code"]],
        "instance-status.status": lambda item: [item["InstanceStatus"]["Status"]],
        "instance-status.reachability": lambda item: [
            detail["Status"] for detail in item["InstanceStatus"].get("Details", [])
        ],
        "system-status.status": lambda item: [item["SystemStatus"]["Status"]],
        "system-status.reachability": lambda item: [
            detail["Status"] for detail in item["SystemStatus"].get("Details", [])
        ],
    },
    key=lambda item: str(item["InstanceId"]),
    tags=False,
)


def _selected(ctx: QueryContext, params: Params) -> list[dict[str, Any]]:
    wanted = params.get("InstanceIds") or None
    if wanted is not None:
        return views.vms_of(ctx, list(wanted))
    return views.list_vms(ctx)


@runs("listVirtualMachines")
def describe_instances(ctx: QueryContext, params: Params) -> Output:
    if params.get("InstanceIds") and params.get("MaxResults") is not None:
        raise InvalidParameterCombination(
            "The parameter instancesSet cannot be used with the parameter maxResults"
        )
    items = views.instances(ctx, _selected(ctx, params))
    for item in items:
        item["_OwnerId"] = ctx.account_id
    matched = INSTANCES.matching(items, params)
    paging = {key: params[key] for key in ("MaxResults", "NextToken") if key in params}
    page, token = RESERVATIONS.page(views.reservations(ctx, matched), paging)
    return {"Reservations": page, "NextToken": token}


def _status(item: Mapping[str, Any]) -> dict[str, Any]:
    running = item["State"]["Name"] == "running"
    check = (
        {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}
        if running
        else {"Status": "not-applicable"}
    )
    return {
        "InstanceId": item["InstanceId"],
        "AvailabilityZone": item["Placement"]["AvailabilityZone"],
        "InstanceState": item["State"],
        "InstanceStatus": check,
        "SystemStatus": check,
        "Events": [],
    }


@runs("listVirtualMachines")
def describe_instance_status(ctx: QueryContext, params: Params) -> Output:
    items = views.instances(ctx, _selected(ctx, params))
    include_all = bool(params.get("IncludeAllInstances"))
    statuses = [
        _status(item)
        for item in items
        if item["State"]["Name"] == "running"
        or (include_all and item["State"]["Name"] != "terminated")
    ]
    page, token = STATUSES.page(statuses, params)
    return {"InstanceStatuses": page, "NextToken": token}


Check = Callable[[dict[str, Any], str], None]


def _no_check(vm: dict[str, Any], instance_id: str) -> None:
    del vm, instance_id


def _act(
    ctx: QueryContext,
    params: Params,
    *,
    command: str,
    action: str,
    refuse: frozenset[str],
    skip: frozenset[str],
    check: Check = _no_check,
    **native: Any,
) -> list[dict[str, Any]]:
    """Run `command` on every named instance and wait for all: the InstanceStateChange of
    each. Nothing is done unless every instance passes `check` and is in none of the
    `refuse` states (IncorrectInstanceState); those in a `skip` state are left as they are."""
    instance_ids = list(params.get("InstanceIds") or [])
    if not instance_ids:
        raise MissingParameter("The request must contain the parameter InstanceId")
    vms = views.vms_of(ctx, instance_ids)
    for vm, instance_id in zip(vms, instance_ids, strict=True):
        if views.ec2_state(vm)["Name"] in refuse:
            raise _incorrect(instance_id, action)
        check(vm, instance_id)
    jobs = []
    for vm, instance_id in zip(vms, instance_ids, strict=True):
        before = views.ec2_state(vm)
        answer = None
        if before["Name"] not in skip:
            try:
                answer = _call_once(ctx, command, vm_uuid=str(vm["id"]), native=native)
            except NativeFailure as failure:
                raise _native_error(failure, instance_id, action) from None
        jobs.append((instance_id, before, answer))
    changes = []
    for instance_id, before, answer in jobs:
        after = before
        if answer is not None:
            try:
                result = ctx.wait(str(answer["jobid"]), command=command)
            except NativeFailure as failure:
                raise _native_error(failure, instance_id, action) from None
            shown = result.get("virtualmachine")
            after = views.ec2_state(shown) if shown else views.TERMINATED
        changes.append(
            {"InstanceId": instance_id, "PreviousState": before, "CurrentState": dict(after)}
        )
    return changes


def _call_once(
    ctx: QueryContext, command: str, *, vm_uuid: str, native: Mapping[str, Any]
) -> Mapping[str, Any]:
    """`command` on one VM; an `expunge` the caller may not ask for (531) is dropped."""
    try:
        return ctx.call(command, id=vm_uuid, **native)
    except NativeFailure as failure:
        if failure.errorcode != 531 or not native.get("expunge"):
            raise
    return ctx.call(command, id=vm_uuid, **{k: v for k, v in native.items() if k != "expunge"})


def _incorrect(instance_id: str, action: str) -> IncorrectInstanceState:
    return IncorrectInstanceState(
        f"The instance '{instance_id}' is not in a state from which it can be {action}."
    )


def _native_error(failure: NativeFailure, instance_id: str, action: str) -> Exception:
    if failure.errorcode == 431 or failure.state_conflict:
        return _incorrect(instance_id, action)
    return aws_error_of(failure)


@runs("startVirtualMachine")
def start_instances(ctx: QueryContext, params: Params) -> Output:
    changes = _act(
        ctx,
        params,
        command="startVirtualMachine",
        action="started",
        refuse=frozenset({"terminated", "shutting-down", "stopping"}),
        skip=frozenset({"running", "pending"}),
    )
    return {"StartingInstances": changes}


def _may_stop(vm: dict[str, Any], instance_id: str) -> None:
    if views.details(vm).get(views.DETAIL_DISABLE_STOP) == "true":
        raise OperationNotPermitted(
            f"The instance '{instance_id}' may not be stopped. Modify its 'disableApiStop' "
            "instance attribute and try again."
        )


@runs("stopVirtualMachine")
def stop_instances(ctx: QueryContext, params: Params) -> Output:
    changes = _act(
        ctx,
        params,
        command="stopVirtualMachine",
        action="stopped",
        refuse=frozenset({"terminated", "shutting-down", "pending"}),
        skip=frozenset({"stopped"}),
        check=_may_stop,
        forced=True if params.get("Force") else None,
    )
    return {"StoppingInstances": changes}


@runs("rebootVirtualMachine")
def reboot_instances(ctx: QueryContext, params: Params) -> Output:
    _act(
        ctx,
        params,
        command="rebootVirtualMachine",
        action="rebooted",
        refuse=frozenset({"terminated", "shutting-down", "stopped", "stopping", "pending"}),
        skip=frozenset(),
    )
    return {}


def _may_terminate(vm: dict[str, Any], instance_id: str) -> None:
    if vm.get("deleteprotection"):
        raise OperationNotPermitted(
            f"The instance '{instance_id}' may not be terminated. Modify its "
            "'disableApiTermination' instance attribute and try again."
        )


@runs("destroyVirtualMachine")
def terminate_instances(ctx: QueryContext, params: Params) -> Output:
    """The public address it was launched with is released and data volumes are detached
    first (deleted if launched with DeleteOnTermination); the VM is destroyed, its root volume
    going with it, and expunged at once when the caller may expunge
    (`allow.user.expunge.recover.vm`), so that its subnet can be deleted straight away;
    otherwise it stays Destroyed until `expunge.delay` has passed."""
    instance_ids = list(params.get("InstanceIds") or [])
    for vm, instance_id in zip(views.vms_of(ctx, instance_ids), instance_ids, strict=True):
        _may_terminate(vm, instance_id)
    for vm in views.vms_of(ctx, instance_ids):
        if views.ec2_state(vm)["Name"] != "terminated":
            _release(ctx, vm)
    changes = _act(
        ctx,
        params,
        command="destroyVirtualMachine",
        action="terminated",
        refuse=frozenset(),
        skip=frozenset({"terminated"}),
        check=_may_terminate,
        expunge=True,
    )
    return {"TerminatingInstances": changes}


def _release(ctx: QueryContext, vm: Mapping[str, Any]) -> None:
    """Release the public address the instance was launched with and detach its data
    volumes, deleting those launched to go with it."""
    extra = views.details(vm)
    address = extra.get(views.DETAIL_PUBLIC_IP)
    if address and ctx.call("listPublicIpAddresses", id=address, listall=True).get(
        "publicipaddress"
    ):
        ctx.run("disassociateIpAddress", id=address)
    doomed = set(extra.get(views.DETAIL_DELETE_ON_TERMINATION, "").split(","))
    for volume in ctx.listing(
        "listVolumes", "volume", virtualmachineid=str(vm["id"]), type="DATADISK", listall=True
    ):
        ctx.run("detachVolume", id=str(volume["id"]))
        if str(volume["id"]) in doomed:
            ctx.call("deleteVolume", id=str(volume["id"]))


ACTIONS: Mapping[str, Action] = action_table(
    [
        run_instances,
        describe_instances,
        describe_instance_status,
        start_instances,
        stop_instances,
        reboot_instances,
        terminate_instances,
    ]
)
