"""Volumes in black-box tests: a `Lab` (a zone with offerings and a template) and helpers.

lab = build_lab(admin, tmp_path)
vm = lab_vm(tenant.client(), lab)
volume = attach(client, new_volume(client, lab), vm)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.tenants import Tenant, unique
from tests.support.vms import ready_template, succeeded
from tests.support.zones import SimZone, build_zone

GIB = 1024**3
TEMPLATE_SIZE = GIB


@dataclass
class Lab:
    """A simulator zone with offerings and a ready template (`root` holds its storage)."""

    root: Path
    zone: SimZone
    custom: dict[str, Any]
    fixed: dict[str, Any]
    service: dict[str, Any]
    template: dict[str, Any]

    @property
    def primary(self) -> Path:
        return self.root / "primary"

    @property
    def secondary(self) -> Path:
        return self.root / "secondary"


def qcow2_image(virtual_size: int = TEMPLATE_SIZE) -> bytes:
    """A small file with a qcow2 header announcing `virtual_size` bytes."""
    header = b"QFI\xfb" + (3).to_bytes(4, "big") + bytes(16) + virtual_size.to_bytes(8, "big")
    return header + bytes(range(256)) * 16


def build_lab(admin: CloudStack, root: Path, **zone_options: Any) -> Lab:
    """A zone with custom, fixed (1 GB) and service offerings and a ready 1 GiB QCOW2 template."""
    zone = build_zone(admin, root=root, **zone_options)
    custom = admin.createDiskOffering(
        name=unique("custom"), displaytext="custom size", customized=True
    )["diskoffering"]
    fixed = admin.createDiskOffering(name=unique("fixed"), displaytext="1 GB", disksize=1)[
        "diskoffering"
    ]
    service = admin.createServiceOffering(
        name=unique("small"), displaytext="small", cpunumber=1, cpuspeed=500, memory=256
    )["serviceoffering"]
    return Lab(
        root=root,
        zone=zone,
        custom=custom,
        fixed=fixed,
        service=service,
        template=ready_template(
            admin,
            zone,
            root=root,
            image=qcow2_image(),
            format="QCOW2",
            ostypeid=admin.listOsTypes(description="Debian GNU/Linux 12 (64-bit)")["ostype"][0][
                "id"
            ],
        ),
    )


def lab_vm(client: CloudStack, lab: Lab, **params: Any) -> dict[str, Any]:
    """A Running VM of the lab's small offering and template."""
    answer = client.deployVirtualMachine(
        zoneid=lab.zone.id,
        serviceofferingid=lab.service["id"],
        templateid=lab.template["id"],
        **params,
    )
    return dict(succeeded(client, answer)["virtualmachine"])


def new_volume(client: CloudStack, lab: Lab, size: int = 1, **params: Any) -> dict[str, Any]:
    """A custom-offering volume of `size` GB (Allocated)."""
    params.setdefault("name", unique("vol"))
    answer = client.createVolume(
        zoneid=lab.zone.id, diskofferingid=lab.custom["id"], size=size, **params
    )
    return dict(succeeded(client, answer)["volume"])


def attach(
    client: CloudStack, volume: dict[str, Any], vm: dict[str, Any], **params: Any
) -> dict[str, Any]:
    answer = client.attachVolume(id=volume["id"], virtualmachineid=vm["id"], **params)
    return dict(succeeded(client, answer)["volume"])


def detach(client: CloudStack, volume: dict[str, Any]) -> dict[str, Any]:
    return dict(succeeded(client, client.detachVolume(id=volume["id"]))["volume"])


def listed(client: CloudStack, volume_id: str) -> dict[str, Any]:
    [entry] = client.listVolumes(id=volume_id)["volume"]
    return dict(entry)


def pool_allocated(admin: CloudStack, pool_id: str) -> int:
    [pool] = admin.listStoragePools(id=pool_id)["storagepool"]
    return int(pool["disksizeallocated"])


def data_file(lab: Lab, volume_id: str) -> Path:
    return lab.primary / "volumes" / volume_id


def limit(admin: CloudStack, tenant: Tenant, resourcetype: int, max: int) -> None:
    admin.updateResourceLimit(
        account=tenant.name, domainid=tenant.domainid, resourcetype=resourcetype, max=max
    )
