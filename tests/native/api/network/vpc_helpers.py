"""VPCs in black-box tests: creating VPCs and tiers, and reading what their routers run.

before = routers_in(network_dir)
vpc = create_vpc(tenant.client(), zone, cidr="10.10.0.0/16")
router = new_router(network_dir, before)   # <data_dir>/drivers/network/r-<id>-VM
tier = create_tier(tenant.client(), zone, vpc, gateway="10.10.1.1")
generation(router), (router / "nftables.conf").read_text()
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.tenants import unique
from tests.support.vms import succeeded
from tests.support.zones import SimZone

DEFAULT_VPC_OFFERING = "Default VPC offering"
TIER_OFFERING = "DefaultIsolatedNetworkOfferingForVpcNetworks"


def vpc_offering(client: CloudStack) -> dict[str, Any]:
    [found] = client.listVPCOfferings(name=DEFAULT_VPC_OFFERING)["vpcoffering"]
    return dict(found)


def tier_offering(client: CloudStack) -> dict[str, Any]:
    [found] = client.listNetworkOfferings(name=TIER_OFFERING)["networkoffering"]
    return dict(found)


def create_vpc(
    client: CloudStack, zone: SimZone, *, cidr: str = "10.10.0.0/16", **extra: Any
) -> dict[str, Any]:
    """Create a VPC (started unless `start=False`) and wait for it; its `vpc` object."""
    params: dict[str, Any] = {
        "name": unique("vpc"),
        "zoneid": zone.id,
        "cidr": cidr,
        "vpcofferingid": vpc_offering(client)["id"],
    }
    params.update(extra)
    return dict(succeeded(client, client.createVPC(**params))["vpc"])


def create_tier(
    client: CloudStack,
    zone: SimZone,
    vpc: dict[str, Any],
    *,
    gateway: str,
    netmask: str = "255.255.255.0",
    **extra: Any,
) -> dict[str, Any]:
    """Create a tier of the VPC (createNetwork with vpcid); its `network` object."""
    params: dict[str, Any] = {
        "name": unique("tier"),
        "zoneid": zone.id,
        "networkofferingid": tier_offering(client)["id"],
        "vpcid": vpc["id"],
        "gateway": gateway,
        "netmask": netmask,
    }
    params.update(extra)
    return dict(client.createNetwork(**params)["network"])


def source_nat_address(client: CloudStack, vpc: dict[str, Any]) -> str:
    """The VPC's source NAT public IP."""
    [ip] = client.listPublicIpAddresses(vpcid=vpc["id"], issourcenat=True, listall=True)[
        "publicipaddress"
    ]
    return str(ip["ipaddress"])


def routers_in(network_dir: Path) -> set[str]:
    """The names of the routers whose configuration is applied now."""
    return {path.parent.name for path in network_dir.glob("r-*/applied.json")}


def new_router(network_dir: Path, before: set[str]) -> Path:
    """The configuration directory of the one router applied since `before` was taken
    (tests run one at a time, so it is the router the test made)."""
    [name] = routers_in(network_dir) - before
    return network_dir / name


def generation(router: Path) -> int:
    return int(json.loads((router / "applied.json").read_text())["generation"])


@contextmanager
def failing_applies(network_dir: Path, router: Path | None = None) -> Iterator[None]:
    """Every apply (of `router` only, when given) fails inside the block."""
    faults = network_dir / "faults.json"
    fault: dict[str, Any] = {"apply": 1}
    if router is not None:
        fault["router"] = router.name
    faults.write_text(json.dumps(fault))
    try:
        yield
    finally:
        faults.unlink(missing_ok=True)


def acl_lines(nft: str, number: int) -> list[str]:
    """The nftables rules rendered from ACL item `number` (one per tier using its list)."""
    return [
        line.strip()
        for line in nft.splitlines()
        if line.rstrip().endswith(f'comment "rule {number}"')
    ]
