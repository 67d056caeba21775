"""Attaching data volumes to VMs and detaching them (CloudStack's attach/detachVolume).

Device numbers follow CloudStack on KVM: 0 is the ROOT disk, 3 the CD-ROM, data disks take
1, 2 and 4 up to MAX_DEVICE_ID (MAX_DATA_VOLUMES of them). An Allocated volume is created
on a pool the VM's cluster reaches when it is attached; a running VM gets the disk
hot-plugged. Every step is undone if a later one fails.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DiskSpec, DriverError
from native.model import DiskOffering, Host, StoragePool, VirtualMachine, Volume, utcnow
from native.services import capacity
from native.services.errors import InvalidParameterValue, ResourceUnavailable
from native.services.host_access import host_access, host_driver
from native.services.runtime import Runtime
from native.services.steps import Steps, Undo
from native.services.stores import tag_set, volume_disk
from native.services.vm_states import VmState
from native.services.volume_provisioning import (
    delete_volume_data,
    reserve_pool_for,
    write_volume_data,
)
from native.services.volumes import (
    DATADISK,
    ROOT,
    VolumeState,
    check_no_vm_snapshots,
    claim,
    data_volume_count,
    set_state,
)

MAX_DATA_VOLUMES = 6
"""CloudStack's default when the hypervisor declares no limit."""
CDROM_DEVICE_ID = 3
MAX_DEVICE_ID = MAX_DATA_VOLUMES + 1
DATA_DEVICE_IDS = tuple(n for n in range(1, MAX_DEVICE_ID + 1) if n != CDROM_DEVICE_ID)


def _check_vm_usable(vm: VirtualMachine) -> None:
    if vm.state not in (VmState.RUNNING, VmState.STOPPED):
        raise InvalidParameterValue("Please specify a VM that is either running or stopped.")


def used_device_ids(session: Session, *, vm_id: int) -> set[int]:
    """The device numbers the VM's volumes hold."""
    return {
        device
        for device in session.scalars(
            select(Volume.device_id).where(Volume.vm_id == vm_id, Volume.removed.is_(None))
        )
        if device is not None
    }


def pick_device_id(session: Session, *, vm: VirtualMachine, device_id: int | None) -> int:
    """The device number the volume gets: `device_id` if valid and free, else the lowest
    free one. 431 when invalid, taken, or when the VM has no free data-disk slot."""
    used = used_device_ids(session, vm_id=vm.id)
    if device_id is not None:
        if device_id not in DATA_DEVICE_IDS:
            raise InvalidParameterValue(f"deviceId should be 1,2,4-{MAX_DEVICE_ID}")
        if device_id in used:
            raise InvalidParameterValue(f"deviceId {device_id} is used by vm {vm.uuid}")
        return device_id
    for candidate in DATA_DEVICE_IDS:
        if candidate not in used:
            return candidate
    raise InvalidParameterValue(f"All device Ids are used by vm {vm.uuid}")


def check_device_name(session: Session, *, vm: VirtualMachine, device_name: str | None) -> None:
    """431 if another volume of the VM is attached under `device_name`."""
    if device_name is None:
        return
    taken = session.scalar(
        select(Volume.id).where(
            Volume.vm_id == vm.id, Volume.device_name == device_name, Volume.removed.is_(None)
        )
    )
    if taken is not None:
        raise InvalidParameterValue(f"Device name {device_name} is used by vm {vm.uuid}")


def check_attachable(
    session: Session,
    *,
    volume: Volume,
    vm: VirtualMachine,
    device_id: int | None,
    device_name: str | None = None,
) -> int:
    """CloudStack's checks before attaching (and that `device_name`, if given, is free on
    the VM); the device number the volume would get."""
    if volume.volume_type != DATADISK:
        raise InvalidParameterValue("Please specify a volume with the valid type: DATADISK")
    if volume.vm_id is not None:
        raise InvalidParameterValue("Please specify a volume that is not attached to any VM.")
    if volume.state not in (VolumeState.ALLOCATED, VolumeState.READY):
        raise InvalidParameterValue(
            f"Volume {volume.name} must be in Allocated or Ready state to be attached; it is "
            f"{volume.state}"
        )
    _check_vm_usable(vm)
    if vm.zone_id != volume.zone_id:
        raise InvalidParameterValue("Please specify a VM that is in the same zone as the volume.")
    if vm.account_id != volume.account_id:
        raise InvalidParameterValue("The volume and the VM must belong to the same account.")
    check_no_vm_snapshots(
        session,
        vm=vm,
        message="Unable to attach volume, please specify a VM that does not have VM snapshots",
    )
    if data_volume_count(session, vm_id=vm.id) >= MAX_DATA_VOLUMES:
        raise InvalidParameterValue(
            f"The specified VM already has the maximum number of data disks "
            f"({MAX_DATA_VOLUMES}) attached. Please specify another VM."
        )
    check_device_name(session, vm=vm, device_name=device_name)
    return pick_device_id(session, vm=vm, device_id=device_id)


def vm_cluster_id(session: Session, vm: VirtualMachine) -> int | None:
    """The cluster whose pools the VM's disks must be on: its host's, or else its ROOT
    volume's pool's (None when only zone-wide pools are known to suit it)."""
    host_id = vm.host_id or vm.last_host_id
    if host_id is not None:
        host = session.get(Host, host_id)
        if host is not None:
            return host.cluster_id
    return session.scalar(
        select(StoragePool.cluster_id)
        .join(Volume, Volume.pool_id == StoragePool.id)
        .where(Volume.vm_id == vm.id, Volume.volume_type == ROOT)
    )


def check_pool_reachable(
    session: Session, *, volume: Volume, pool: StoragePool, vm: VirtualMachine
) -> None:
    """431 if the pool is cluster-scoped to a cluster other than the VM's."""
    cluster_id = vm_cluster_id(session, vm)
    if pool.cluster_id is not None and cluster_id is not None and pool.cluster_id != cluster_id:
        raise InvalidParameterValue(
            f"Volume {volume.name} is on storage pool {pool.name}, which the hosts of VM "
            f"{vm.name} cannot reach; migrate the volume first (migrateVolume)"
        )


def disk_spec(session: Session, volume: Volume) -> DiskSpec:
    """The disk a host sees for a Ready volume (see `stores.volume_disk`)."""
    pool = session.get(StoragePool, volume.pool_id)
    assert pool is not None and volume.device_id is not None
    return volume_disk(pool, volume)


def volume_tags(session: Session, volume: Volume) -> frozenset[str]:
    """The storage tags the volume's pool must carry (its disk offering's)."""
    offering = (
        None
        if volume.disk_offering_id is None
        else session.get(DiskOffering, volume.disk_offering_id)
    )
    return tag_set(None if offering is None else offering.tags)


def _undo_attach(volume_id: int, state: str) -> Undo:
    def undo(session: Session) -> None:
        volume = session.get(Volume, volume_id)
        assert volume is not None
        values: dict[str, Any] = {"vm_id": None, "device_id": None, "device_name": None}
        if state == VolumeState.ALLOCATED:
            if volume.pool_id is not None:
                capacity.release_pool(session, pool_id=volume.pool_id, size=volume.size)
            values.update(pool_id=None, path=None)
        set_state(session, volume_id=volume_id, state=state, **values)

    return undo


def _create_on_pool(
    session: Session, runtime: Runtime, *, volume: Volume, vm: VirtualMachine, steps: Steps
) -> None:
    """Reserve a pool for an Allocated (now Creating) volume, write its data there."""
    pool = reserve_pool_for(
        session,
        runtime,
        volume=volume,
        zone_id=vm.zone_id,
        cluster_id=vm_cluster_id(session, vm),
        tags=volume_tags(session, volume),
    )
    steps.commit()
    placed = write_volume_data(runtime, volume_uuid=volume.uuid, size=volume.size, pool=pool)
    steps.on_undo(lambda s: delete_volume_data(runtime, pool=pool, path=placed.path))
    claim(
        session,
        volume,
        states=(VolumeState.CREATING,),
        to=VolumeState.ATTACHING,
        path=placed.path,
        format=placed.format,
    )
    steps.commit()


def attach_volume(
    session: Session,
    runtime: Runtime,
    *,
    steps: Steps,
    volume: Volume,
    vm: VirtualMachine,
    device_id: int | None,
    device_name: str | None = None,
) -> Volume:
    """Attach a data volume to a Running or Stopped VM at `device_id` (or the first free
    device), kept under the guest `device_name` if one is given: created first on a
    suitable pool if Allocated, hot-plugged if the VM runs.

    431 for CloudStack's attach rules, 533 when no pool has room, 534 when storage or the
    host fails; on any failure the volume is as it was before.
    """
    device = check_attachable(
        session, volume=volume, vm=vm, device_id=device_id, device_name=device_name
    )
    before = volume.state
    if before == VolumeState.READY:
        pool = session.get(StoragePool, volume.pool_id)
        assert pool is not None
        check_pool_reachable(session, volume=volume, pool=pool, vm=vm)
    claim(
        session,
        volume,
        states=(before,),
        to=VolumeState.CREATING if before == VolumeState.ALLOCATED else VolumeState.ATTACHING,
        vm_id=vm.id,
        device_id=device,
        device_name=device_name,
    )
    steps.commit()
    steps.on_undo(_undo_attach(volume.id, before))
    if before == VolumeState.ALLOCATED:
        _create_on_pool(session, runtime, volume=volume, vm=vm, steps=steps)
    if vm.state == VmState.RUNNING:
        _hot_plug(session, runtime, volume=volume, vm=vm, steps=steps)
    claim(session, volume, states=(VolumeState.ATTACHING,), to=VolumeState.READY, attached=utcnow())
    return volume


def _hot_plug(
    session: Session, runtime: Runtime, *, volume: Volume, vm: VirtualMachine, steps: Steps
) -> None:
    host = None if vm.host_id is None else session.get(Host, vm.host_id)
    if host is None:
        raise ResourceUnavailable(f"VM {vm.name} has no host to attach the volume on")
    driver, access = host_driver(runtime, host), host_access(runtime, host)
    disk = disk_spec(session, volume)
    steps.commit()
    try:
        driver.attach_disk(access, vm.instance_name, disk)
    except DriverError as exc:
        raise ResourceUnavailable(
            f"Failed to attach volume {volume.name} to VM {vm.name}: {exc}", uuids=[volume.uuid]
        ) from None


def check_detachable(session: Session, *, volume: Volume) -> VirtualMachine:
    """CloudStack's checks before detaching; the VM the volume is attached to."""
    if volume.vm_id is None:
        raise InvalidParameterValue("Please specify a volume that is attached to a VM.")
    if volume.volume_type == ROOT:
        raise InvalidParameterValue("Please specify a data volume; a ROOT volume stays attached.")
    if volume.state != VolumeState.READY:
        raise InvalidParameterValue(
            f"Volume {volume.name} must be Ready to be detached; it is {volume.state}"
        )
    vm = session.get(VirtualMachine, volume.vm_id)
    assert vm is not None
    _check_vm_usable(vm)
    check_no_vm_snapshots(
        session,
        vm=vm,
        message="Unable to detach volume, please specify a VM that does not have VM snapshots",
    )
    return vm


def detach_volume(
    session: Session, runtime: Runtime, *, steps: Steps, volume: Volume
) -> VirtualMachine:
    """Detach a data volume from its Running or Stopped VM (hot-unplugged if it runs);
    returns the VM. 431 for a ROOT or unattached volume or a VM with VM snapshots, 534 if
    the host fails (the volume then stays attached)."""
    vm = check_detachable(session, volume=volume)
    claim(session, volume, states=(VolumeState.READY,), to=VolumeState.DETACHING)
    steps.commit()
    steps.on_undo(lambda s: set_state(s, volume_id=volume.id, state=VolumeState.READY))
    if vm.state == VmState.RUNNING:
        host = None if vm.host_id is None else session.get(Host, vm.host_id)
        if host is None:
            raise ResourceUnavailable(f"VM {vm.name} has no host to detach the volume from")
        driver, access = host_driver(runtime, host), host_access(runtime, host)
        disk = disk_spec(session, volume)
        steps.commit()
        try:
            driver.detach_disk(access, vm.instance_name, disk)
        except DriverError as exc:
            raise ResourceUnavailable(
                f"Failed to detach volume {volume.name} from VM {vm.name}: {exc}",
                uuids=[volume.uuid],
            ) from None
    claim(
        session,
        volume,
        states=(VolumeState.DETACHING,),
        to=VolumeState.READY,
        vm_id=None,
        device_id=None,
        device_name=None,
        attached=None,
    )
    return vm
