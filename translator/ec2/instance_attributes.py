"""EC2 actions on instance attributes: Describe and ModifyInstanceAttribute, GetConsoleOutput
and GetPasswordData.

`disableApiTermination` is the VM's native delete protection; `disableApiStop`,
`instanceInitiatedShutdownBehavior`, `sourceDestCheck` and the data volumes' DeleteOnTermination
are EC2 details kept with the VM (`instance_views`). `ebsOptimized` is always false and
`enaSupport` always true: asking for anything else is UnsupportedOperation.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext, native_time
from translator.ec2 import instance_views as views
from translator.ec2.instance_launch import offering_named
from translator.errors import (
    IncorrectInstanceState,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
    UnsupportedOperation,
)
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs


def _value(value: Any) -> dict[str, Any]:
    return {} if value is None else {"Value": value}


def _user_data(ctx: QueryContext, vm: Mapping[str, Any]) -> dict[str, Any]:
    rows = ctx.call("listVirtualMachines", id=str(vm["id"]), listall=True, userdata=True)
    found = (rows.get("virtualmachine") or [{}])[0].get("userdata")
    return {"UserData": _value(found or None)}


DESCRIBED: Mapping[str, Callable[[QueryContext, dict[str, Any]], dict[str, Any]]] = {
    "instanceType": lambda ctx, vm: {"InstanceType": _value(vm.get("serviceofferingname"))},
    "userData": _user_data,
    "disableApiTermination": lambda ctx, vm: {
        "DisableApiTermination": _value(bool(vm.get("deleteprotection")))
    },
    "disableApiStop": lambda ctx, vm: {
        "DisableApiStop": _value(views.details(vm).get(views.DETAIL_DISABLE_STOP) == "true")
    },
    "instanceInitiatedShutdownBehavior": lambda ctx, vm: {
        "InstanceInitiatedShutdownBehavior": _value(
            views.details(vm).get(views.DETAIL_SHUTDOWN_BEHAVIOR, "stop")
        )
    },
    "sourceDestCheck": lambda ctx, vm: {
        "SourceDestCheck": _value(
            views.details(vm).get(views.DETAIL_SOURCE_DEST_CHECK, "true") == "true"
        )
    },
    "groupSet": lambda ctx, vm: {
        "Groups": views.instances(ctx, [vm])[0]["SecurityGroups"],
    },
    "rootDeviceName": lambda ctx, vm: {"RootDeviceName": _value(views.ROOT_DEVICE)},
    "blockDeviceMapping": lambda ctx, vm: {
        "BlockDeviceMappings": views.instances(ctx, [vm])[0]["BlockDeviceMappings"]
    },
    "ebsOptimized": lambda ctx, vm: {"EbsOptimized": _value(False)},
    "enaSupport": lambda ctx, vm: {"EnaSupport": _value(True)},
    "kernel": lambda ctx, vm: {"KernelId": {}},
    "ramdisk": lambda ctx, vm: {"RamdiskId": {}},
    "sriovNetSupport": lambda ctx, vm: {"SriovNetSupport": {}},
    "productCodes": lambda ctx, vm: {"ProductCodes": []},
    "enclaveOptions": lambda ctx, vm: {"EnclaveOptions": {"Enabled": False}},
}
"""Attribute name → its part of the DescribeInstanceAttribute answer."""


def _one_vm(ctx: QueryContext, params: Params) -> tuple[str, dict[str, Any]]:
    instance_id = params.get("InstanceId")
    if not instance_id:
        raise MissingParameter("The request must contain the parameter InstanceId")
    return str(instance_id), views.vms_of(ctx, [str(instance_id)])[0]


@runs("listVirtualMachines")
def describe_instance_attribute(ctx: QueryContext, params: Params) -> Output:
    attribute = params.get("Attribute")
    if not attribute:
        raise MissingParameter("The request must contain the parameter Attribute")
    describe = DESCRIBED.get(str(attribute))
    if describe is None:
        raise InvalidParameterValue(
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute."
        )
    instance_id, vm = _one_vm(ctx, params)
    return {"InstanceId": instance_id} | describe(ctx, vm)


def _must_be_stopped(vm: Mapping[str, Any], instance_id: str) -> None:
    if views.ec2_state(vm)["Name"] != "stopped":
        raise IncorrectInstanceState(f"The instance '{instance_id}' is not in the 'stopped' state.")


def _set_details(ctx: QueryContext, vm: Mapping[str, Any], changed: Mapping[str, str]) -> None:
    ctx.call("updateVirtualMachine", id=str(vm["id"]), details=[views.details(vm) | dict(changed)])


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("true", "false"):
        raise InvalidParameterValue(f"Value ({value}) for parameter {name} is invalid.")
    return text == "true"


def _requested(params: Params) -> tuple[str, Any]:
    """The one attribute a ModifyInstanceAttribute call changes and its new value."""
    members = {
        "InstanceType": "instanceType",
        "UserData": "userData",
        "DisableApiTermination": "disableApiTermination",
        "DisableApiStop": "disableApiStop",
        "InstanceInitiatedShutdownBehavior": "instanceInitiatedShutdownBehavior",
        "SourceDestCheck": "sourceDestCheck",
        "EbsOptimized": "ebsOptimized",
        "EnaSupport": "enaSupport",
    }
    given: list[tuple[str, Any]] = [
        (name, params[member].get("Value"))
        for member, name in members.items()
        if params.get(member) is not None
    ]
    if params.get("Groups"):
        given.append(("groupSet", list(params["Groups"])))
    if params.get("BlockDeviceMappings"):
        given.append(("blockDeviceMapping", list(params["BlockDeviceMappings"])))
    if params.get("Attribute"):
        value = params.get("Value")
        if value is None:
            raise MissingParameter("The request must contain the parameter Value")
        given.append((str(params["Attribute"]), value))
    if len(given) != 1:
        raise InvalidParameterCombination(
            "Exactly one attribute must be modified by one ModifyInstanceAttribute call"
        )
    return given[0]


def _encoded_user_data(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    text = str(value)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return base64.b64encode(text.encode()).decode()
    return text


def _block_devices(
    ctx: QueryContext, vm: Mapping[str, Any], mappings: list[dict[str, Any]]
) -> None:
    found = views.lookups(ctx, [dict(vm)])
    by_device = {
        views.device_name(volume): str(volume["id"]) for volume in found.volumes.get(vm["id"], [])
    }
    doomed = {
        uuid
        for uuid in views.details(vm).get(views.DETAIL_DELETE_ON_TERMINATION, "").split(",")
        if uuid
    }
    for mapping in mappings:
        device = str(mapping.get("DeviceName", ""))
        uuid = by_device.get(device)
        if uuid is None:
            raise InvalidParameterValue(f"The device '{device}' is not attached to the instance")
        delete = (mapping.get("Ebs") or {}).get("DeleteOnTermination")
        if delete is None:
            continue
        if device == views.ROOT_DEVICE:
            if not delete:
                raise UnsupportedOperation("The root volume is always deleted on termination")
            continue
        doomed = doomed | {uuid} if delete else doomed - {uuid}
    _set_details(ctx, vm, {views.DETAIL_DELETE_ON_TERMINATION: ",".join(sorted(doomed))})


def _modify(ctx: QueryContext, vm: dict[str, Any], instance_id: str, name: str, value: Any) -> None:
    uuid = str(vm["id"])
    if name == "instanceType":
        _must_be_stopped(vm, instance_id)
        offering = offering_named(ctx, str(value))
        ctx.run("changeServiceForVirtualMachine", id=uuid, serviceofferingid=str(offering["id"]))
    elif name == "userData":
        _must_be_stopped(vm, instance_id)
        ctx.call("updateVirtualMachine", id=uuid, userdata=_encoded_user_data(value))
    elif name == "disableApiTermination":
        ctx.call("updateVirtualMachine", id=uuid, deleteprotection=_boolean(value, name))
    elif name in ("disableApiStop", "sourceDestCheck"):
        detail = (
            views.DETAIL_DISABLE_STOP
            if name == "disableApiStop"
            else views.DETAIL_SOURCE_DEST_CHECK
        )
        _set_details(ctx, vm, {detail: "true" if _boolean(value, name) else "false"})
    elif name == "instanceInitiatedShutdownBehavior":
        if value not in ("stop", "terminate"):
            raise InvalidParameterValue(f"Value ({value}) for parameter {name} is invalid.")
        _set_details(ctx, vm, {views.DETAIL_SHUTDOWN_BEHAVIOR: str(value)})
    elif name == "groupSet":
        groups = ctx.ids.uuids("security-group", [str(group) for group in value])
        ctx.call("updateVirtualMachine", id=uuid, securitygroupids=groups)
    elif name == "blockDeviceMapping":
        _block_devices(ctx, vm, value)
    elif name in ("ebsOptimized", "enaSupport"):
        if _boolean(value, name) != (name == "enaSupport"):
            raise UnsupportedOperation(f"The attribute {name} cannot be changed")
    else:
        raise InvalidParameterValue(
            f"Value ({name}) for parameter attribute is invalid. Unknown attribute."
        )


@runs("updateVirtualMachine")
def modify_instance_attribute(ctx: QueryContext, params: Params) -> Output:
    name, value = _requested(params)
    instance_id, vm = _one_vm(ctx, params)
    try:
        _modify(ctx, vm, instance_id, name, value)
    except NativeFailure as failure:
        if failure.errorcode == 431 and name == "groupSet":
            raise IncorrectInstanceState(
                f"The instance '{instance_id}' must be stopped to change its groups "
                f"({failure.text})"
            ) from None
        raise aws_error_of(failure) from None
    return {}


@runs("getVirtualMachineConsoleOutput")
def get_console_output(ctx: QueryContext, params: Params) -> Output:
    instance_id, vm = _one_vm(ctx, params)
    answer = ctx.call("getVirtualMachineConsoleOutput", id=str(vm["id"]))["consoleoutput"]
    return {
        "InstanceId": instance_id,
        "Output": answer.get("output") or "",
        "Timestamp": native_time(str(answer["timestamp"])),
    }


@runs("getVMPassword")
def get_password_data(ctx: QueryContext, params: Params) -> Output:
    instance_id, vm = _one_vm(ctx, params)
    try:
        answer = ctx.call("getVMPassword", id=str(vm["id"]))
    except NativeFailure as failure:
        if failure.errorcode != 431:
            raise aws_error_of(failure) from None
        answer = {}
    return {
        "InstanceId": instance_id,
        "PasswordData": str((answer.get("password") or {}).get("encryptedpassword") or ""),
        "Timestamp": dt.datetime.now(dt.UTC),
    }


ACTIONS: Mapping[str, Action] = action_table(
    [describe_instance_attribute, modify_instance_attribute, get_console_output, get_password_data]
)
