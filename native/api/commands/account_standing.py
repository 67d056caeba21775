"""The resource figures CloudStack puts in an account's response: for each resource type,
`<prefix>limit`, `<prefix>total` and `<prefix>available` (limit and available are
`Unlimited` when there is no limit)."""

from __future__ import annotations

from typing import Any

from native.api.responses import Field
from native.services.limits import ResourceType, Standing

UNLIMITED = "Unlimited"
PREFIXES = {
    ResourceType.USER_VM: "vm",
    ResourceType.PUBLIC_IP: "ip",
    ResourceType.VOLUME: "volume",
    ResourceType.SNAPSHOT: "snapshot",
    ResourceType.TEMPLATE: "template",
    ResourceType.PROJECT: "project",
    ResourceType.NETWORK: "network",
    ResourceType.VPC: "vpc",
    ResourceType.CPU: "cpu",
    ResourceType.MEMORY: "memory",
    ResourceType.PRIMARY_STORAGE: "primarystorage",
    ResourceType.SECONDARY_STORAGE: "secondarystorage",
}


class ResourceStandingFields:
    """Mixed into a response object: the account's limits, counts and what is left."""

    vmlimit = Field("the limit of virtual machines for this account")
    vmtotal = Field("the virtual machines this account uses", type="long")
    vmavailable = Field("the virtual machines this account may still use")
    iplimit = Field("the limit of public IP addresses for this account")
    iptotal = Field("the public IP addresses this account uses", type="long")
    ipavailable = Field("the public IP addresses this account may still use")
    volumelimit = Field("the limit of volumes for this account")
    volumetotal = Field("the volumes this account uses", type="long")
    volumeavailable = Field("the volumes this account may still use")
    snapshotlimit = Field("the limit of snapshots for this account")
    snapshottotal = Field("the snapshots this account uses", type="long")
    snapshotavailable = Field("the snapshots this account may still use")
    templatelimit = Field("the limit of templates for this account")
    templatetotal = Field("the templates this account uses", type="long")
    templateavailable = Field("the templates this account may still use")
    projectlimit = Field("the limit of projects for this account")
    projecttotal = Field("the projects this account uses", type="long")
    projectavailable = Field("the projects this account may still use")
    networklimit = Field("the limit of networks for this account")
    networktotal = Field("the networks this account uses", type="long")
    networkavailable = Field("the networks this account may still use")
    vpclimit = Field("the limit of VPCs for this account")
    vpctotal = Field("the VPCs this account uses", type="long")
    vpcavailable = Field("the VPCs this account may still use")
    cpulimit = Field("the limit of CPU cores for this account")
    cputotal = Field("the CPU cores this account uses", type="long")
    cpuavailable = Field("the CPU cores this account may still use")
    memorylimit = Field("the limit of memory (MiB) for this account")
    memorytotal = Field("the memory (MiB) this account uses", type="long")
    memoryavailable = Field("the memory (MiB) this account may still use")
    primarystoragelimit = Field("the limit of primary storage (GiB) for this account")
    primarystoragetotal = Field("the primary storage (GiB) this account uses", type="long")
    primarystorageavailable = Field("the primary storage (GiB) this account may still use")
    secondarystoragelimit = Field("the limit of secondary storage (GiB) for this account")
    secondarystoragetotal = Field("the secondary storage (GiB) this account uses", type="long")
    secondarystorageavailable = Field("the secondary storage (GiB) this account may still use")


def standing_values(standing: dict[ResourceType, Standing]) -> dict[str, Any]:
    """The fields' values for `ResourceStandingFields`, from `limits.account_standing`."""
    values: dict[str, Any] = {}
    for resource, prefix in PREFIXES.items():
        figures = standing[resource]
        values[f"{prefix}limit"] = UNLIMITED if figures.limit < 0 else str(figures.limit)
        values[f"{prefix}total"] = figures.count
        values[f"{prefix}available"] = (
            UNLIMITED if figures.available < 0 else str(figures.available)
        )
    return values
