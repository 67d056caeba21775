"""Moving a volume's data to another primary storage pool (CloudStack's migrateVolume).

The target's space is reserved and the data copied before the volume is switched over;
only then are the old copy and the old pool's space given back. A failure before the
switch leaves the volume on its old pool with nothing held on the new one.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from native.drivers.storage.base import StorageError
from native.model import StoragePool, VirtualMachine, Volume
from native.services import capacity
from native.services.errors import InsufficientCapacity, InvalidParameterValue, ResourceUnavailable
from native.services.runtime import Runtime
from native.services.steps import Steps, Undo
from native.services.stores import pool_driver, tag_set
from native.services.vm_states import VmState
from native.services.volume_attach import check_pool_reachable, volume_tags
from native.services.volume_provisioning import delete_volume_data
from native.services.volumes import VolumeState, check_no_vm_snapshots, claim, set_state


def _check_vm(session: Session, *, volume: Volume, pool: StoragePool, live: bool) -> None:
    if volume.vm_id is None:
        return
    vm = session.get(VirtualMachine, volume.vm_id)
    assert vm is not None
    if vm.state == VmState.RUNNING and not live:
        raise InvalidParameterValue(
            f"Volume {volume.name} is attached to running VM {vm.name}; stop the VM, detach the "
            "volume or ask for a live migration (livemigrate=true)"
        )
    if vm.state not in (VmState.RUNNING, VmState.STOPPED):
        raise InvalidParameterValue(
            f"VM {vm.name} must be Running or Stopped to migrate its volume; it is {vm.state}"
        )
    check_no_vm_snapshots(
        session,
        vm=vm,
        message=f"Volume {volume.name} cannot be migrated: remove the VM snapshots of VM "
        f"{vm.name} first",
    )
    check_pool_reachable(session, volume=volume, pool=pool, vm=vm)


def check_migratable(session: Session, *, volume: Volume, pool: StoragePool, live: bool) -> None:
    """431 unless the Ready volume may move to `pool` now (534 if the pool is not Up)."""
    if volume.state != VolumeState.READY or volume.pool_id is None or volume.path is None:
        raise InvalidParameterValue(
            f"Volume {volume.name} must be Ready on a storage pool to be migrated; it is "
            f"{volume.state}"
        )
    if pool.id == volume.pool_id:
        raise InvalidParameterValue(f"Volume {volume.name} is already on storage pool {pool.name}")
    if pool.zone_id != volume.zone_id or pool.removed is not None:
        raise InvalidParameterValue(
            f"Storage pool {pool.name} is not in the zone of volume {volume.name}"
        )
    if pool.status != "Up":
        raise ResourceUnavailable(f"Storage pool {pool.name} is {pool.status}, not Up")
    wanted = volume_tags(session, volume)
    if not wanted <= tag_set(pool.tags):
        raise InvalidParameterValue(
            f"Storage pool {pool.name} lacks the tags {', '.join(sorted(wanted))} of the "
            f"volume's disk offering"
        )
    _check_vm(session, volume=volume, pool=pool, live=live)


def _undo_reservation(volume_id: int, pool_id: int, size: int) -> Undo:
    def undo(session: Session) -> None:
        capacity.release_pool(session, pool_id=pool_id, size=size)
        set_state(session, volume_id=volume_id, state=VolumeState.READY)

    return undo


def migrate_volume(
    session: Session,
    runtime: Runtime,
    *,
    steps: Steps,
    volume: Volume,
    pool: StoragePool,
    live: bool,
) -> Volume:
    """Move a Ready volume's data to `pool`: detached, on a Stopped VM, or (with `live`)
    on a Running one. 431 for what CloudStack refuses, 533 when the pool has no room, 534
    when the copy fails; on failure the volume stays where it was."""
    check_migratable(session, volume=volume, pool=pool, live=live)
    source = session.get(StoragePool, volume.pool_id)
    assert source is not None and volume.path is not None
    path = volume.path
    claim(session, volume, states=(VolumeState.READY,), to=VolumeState.MIGRATING)
    if not capacity.reserve_pool(session, runtime.settings, pool=pool, size=volume.size):
        raise InsufficientCapacity(
            f"Storage pool {pool.name} has no room for volume {volume.name} ({volume.size} bytes)",
            uuids=[volume.uuid],
        )
    steps.commit()
    steps.on_undo(_undo_reservation(volume.id, pool.id, volume.size))
    target = pool_driver(runtime, pool)
    try:
        pool_driver(runtime, source).copy_to(source=path, target=target, target_path=path)
    except StorageError as exc:
        delete_volume_data(runtime, pool=pool, path=path)
        raise ResourceUnavailable(
            f"Unable to copy volume {volume.name} to storage pool {pool.name}: {exc}",
            uuids=[volume.uuid],
        ) from None
    steps.on_undo(lambda s: delete_volume_data(runtime, pool=pool, path=path))
    capacity.release_pool(session, pool_id=source.id, size=volume.size)
    claim(session, volume, states=(VolumeState.MIGRATING,), to=VolumeState.READY, pool_id=pool.id)
    steps.commit()
    steps.done()
    delete_volume_data(runtime, pool=source, path=path)
    return volume
