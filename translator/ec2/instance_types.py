"""EC2 actions on instance types: DescribeInstanceTypes, from the native service offerings the
caller may use (an instance type is an offering's name), and
DescribeInstanceCreditSpecifications.

Offerings named like AWS's burstable families (`t2.micro`, `t3.small`, `t3a.*`, `t4g.*`) are
burstable, with `standard` CPU credits; no other instance has a credit specification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from translator.context import Action, Output, Params, QueryContext
from translator.ec2 import instance_views as views
from translator.ec2.describe import Describer
from translator.errors import InvalidInstanceType
from translator.registry import action_table, runs

BURSTABLE = re.compile(r"t(2|3|3a|4g)\..+")
NETWORK_INTERFACES = 1


def burstable(instance_type: str) -> bool:
    """Whether an instance type name is of a burstable-performance family."""
    return bool(BURSTABLE.fullmatch(instance_type))


def _network_info() -> dict[str, Any]:
    return {
        "NetworkPerformance": "Moderate",
        "MaximumNetworkInterfaces": NETWORK_INTERFACES,
        "MaximumNetworkCards": 1,
        "DefaultNetworkCardIndex": 0,
        "NetworkCards": [
            {
                "NetworkCardIndex": 0,
                "NetworkPerformance": "Moderate",
                "MaximumNetworkInterfaces": NETWORK_INTERFACES,
            }
        ],
        "Ipv4AddressesPerInterface": 1,
        "Ipv6AddressesPerInterface": 0,
        "Ipv6Supported": False,
        "EnaSupport": "supported",
        "EfaSupported": False,
        "EncryptionInTransitSupported": False,
        "EnaSrdSupported": False,
    }


def instance_type(offering: Mapping[str, Any]) -> dict[str, Any]:
    """A fixed-size service offering in EC2's `InstanceTypeInfo` shape."""
    name = str(offering["name"])
    cpus = int(offering["cpunumber"])
    return {
        "InstanceType": name,
        "CurrentGeneration": True,
        "FreeTierEligible": False,
        "SupportedUsageClasses": ["on-demand"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": False,
        "Hypervisor": views.HYPERVISOR,
        "ProcessorInfo": {
            "SupportedArchitectures": ["x86_64"],
            "SustainedClockSpeedInGhz": round(int(offering.get("cpuspeed") or 0) / 1000, 2),
        },
        "VCpuInfo": {
            "DefaultVCpus": cpus,
            "DefaultCores": cpus,
            "DefaultThreadsPerCore": 1,
            "ValidCores": [cpus],
            "ValidThreadsPerCore": [1],
        },
        "MemoryInfo": {"SizeInMiB": int(offering["memory"])},
        "InstanceStorageSupported": False,
        "EbsInfo": {
            "EbsOptimizedSupport": "unsupported",
            "EncryptionSupport": "unsupported",
            "NvmeSupport": "unsupported",
        },
        "NetworkInfo": _network_info(),
        "PlacementGroupInfo": {"SupportedStrategies": []},
        "HibernationSupported": False,
        "BurstablePerformanceSupported": burstable(name),
        "DedicatedHostsSupported": False,
        "AutoRecoverySupported": False,
        "SupportedBootModes": ["legacy-bios"],
    }


TYPES = Describer(
    filters={
        "instance-type": lambda item: [item["InstanceType"]],
        "current-generation": lambda item: [item["CurrentGeneration"]],
        "free-tier-eligible": lambda item: [item["FreeTierEligible"]],
        "burstable-performance-supported": lambda item: [item["BurstablePerformanceSupported"]],
        "bare-metal": lambda item: [item["BareMetal"]],
        "hypervisor": lambda item: [item["Hypervisor"]],
        "hibernation-supported": lambda item: [item["HibernationSupported"]],
        "instance-storage-supported": lambda item: [item["InstanceStorageSupported"]],
        "processor-info.supported-architecture": lambda item: item["ProcessorInfo"][
            "SupportedArchitectures"
        ],
        "vcpu-info.default-vcpus": lambda item: [item["VCpuInfo"]["DefaultVCpus"]],
        "vcpu-info.default-cores": lambda item: [item["VCpuInfo"]["DefaultCores"]],
        "memory-info.size-in-mib": lambda item: [item["MemoryInfo"]["SizeInMiB"]],
        "supported-usage-class": lambda item: item["SupportedUsageClasses"],
        "supported-root-device-type": lambda item: item["SupportedRootDeviceTypes"],
        "supported-virtualization-type": lambda item: item["SupportedVirtualizationTypes"],
        "network-info.ena-support": lambda item: [item["NetworkInfo"]["EnaSupport"]],
        "network-info.maximum-network-interfaces": lambda item: [
            item["NetworkInfo"]["MaximumNetworkInterfaces"]
        ],
    },
    key=lambda item: str(item["InstanceType"]),
    max_results=(5, 100),
    tags=False,
)


def instance_types(ctx: QueryContext) -> list[dict[str, Any]]:
    """Every fixed-size offering the caller may deploy with, as an instance type (the first of
    several offerings that share a name)."""
    found: dict[str, dict[str, Any]] = {}
    for offering in ctx.listing("listServiceOfferings", "serviceoffering"):
        if offering.get("iscustomized") or not offering.get("cpunumber"):
            continue
        if offering.get("memory") is None or offering.get("state", "Active") != "Active":
            continue
        found.setdefault(str(offering["name"]), instance_type(offering))
    return list(found.values())


@runs("listServiceOfferings")
def describe_instance_types(ctx: QueryContext, params: Params) -> Output:
    types = instance_types(ctx)
    wanted = list(params.get("InstanceTypes") or [])
    if wanted:
        known = {item["InstanceType"] for item in types}
        missing = [name for name in wanted if name not in known]
        if missing:
            raise InvalidInstanceType(
                f"The following supplied instance types do not exist: [{', '.join(missing)}]"
            )
        types = [item for item in types if item["InstanceType"] in wanted]
    page, token = TYPES.page(types, params)
    return {"InstanceTypes": page, "NextToken": token}


CREDITS = Describer(
    filters={"instance-id": lambda item: [item["InstanceId"]]},
    key=lambda item: str(item["InstanceId"]),
    tags=False,
)


@runs("listVirtualMachines")
def describe_instance_credit_specifications(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("InstanceIds") or [])
    vms = views.vms_of(ctx, wanted) if wanted else views.list_vms(ctx)
    ids = ctx.ids.aws_ids("instance", [str(vm["id"]) for vm in vms])
    specifications = [
        {"InstanceId": ids[str(vm["id"])], "CpuCredits": "standard"}
        for vm in vms
        if str(vm["id"]) in ids
        and burstable(str(vm.get("serviceofferingname", "")))
        and views.ec2_state(vm)["Name"] != "terminated"
    ]
    page, token = CREDITS.page(specifications, params)
    return {"InstanceCreditSpecifications": page, "NextToken": token}


ACTIONS: Mapping[str, Action] = action_table(
    [describe_instance_types, describe_instance_credit_specifications]
)
