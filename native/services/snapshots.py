"""Volume snapshots on secondary storage (CloudStack's SnapshotManager).

A snapshot is a full copy of a Ready volume's data on an image store of the volume's zone,
at `snapshots/<account id>/<volume id>/<snapshot uuid>`. It is allocated (charging the
owner's SNAPSHOT and SECONDARY_STORAGE limits) before the copy; a failed copy removes the
row and the partial file and gives the limits back. States: Allocated, Creating, BackedUp,
Destroying, Destroyed. A copy (`allocate_copy`, `copy_data`) is a new snapshot of the same
volume, possibly in another zone.
"""

from __future__ import annotations

import enum
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from native.drivers.storage import disk_images
from native.drivers.storage.base import StorageError
from native.model import (
    Account,
    Cluster,
    ImageStore,
    Snapshot,
    SnapshotPolicy,
    StoragePool,
    VirtualMachine,
    Volume,
    Zone,
    utcnow,
)
from native.services import capacity, limits
from native.services.errors import (
    ConcurrentOperation,
    InsufficientCapacity,
    InvalidParameterValue,
    ResourceUnavailable,
)
from native.services.limits import ResourceType
from native.services.runtime import Runtime
from native.services.settings import Settings
from native.services.steps import Steps
from native.services.stores import image_store_driver, pool_driver, zone_image_stores
from native.services.tags import remove_tags_of
from native.services.vm_states import VmState
from native.services.volume_attach import vm_cluster_id, volume_tags
from native.services.volume_provisioning import (
    delete_volume_data,
    reserve_pool_for,
    volume_path,
    write_volume_data,
)
from native.services.volumes import VolumeState, claim, set_state

log = logging.getLogger(__name__)

MANUAL = "MANUAL"


class SnapshotState(enum.StrEnum):
    ALLOCATED = "Allocated"
    CREATING = "Creating"
    BACKED_UP = "BackedUp"
    DESTROYING = "Destroying"
    DESTROYED = "Destroyed"
    ERROR = "Error"


def install_path(snapshot: Snapshot) -> str:
    """Where the snapshot's data lives on its image store."""
    return f"snapshots/{snapshot.account_id}/{snapshot.volume_id}/{snapshot.uuid}"


def _move(session: Session, snapshot: Snapshot, *, expected: str, to: str) -> None:
    session.flush()
    result = session.execute(
        update(Snapshot)
        .where(Snapshot.id == snapshot.id, Snapshot.state == expected)
        .values(state=to)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentOperation(
            f"Snapshot {snapshot.name} was changed by another operation; try again",
            uuids=[snapshot.uuid],
        )
    session.refresh(snapshot)


def _default_name(session: Session, volume: Volume) -> str:
    vm = None if volume.vm_id is None else session.get(VirtualMachine, volume.vm_id)
    owner = "detached" if vm is None else vm.display_name or vm.name
    return f"{owner}_{volume.name}_{utcnow().strftime('%Y%m%d%H%M%S')}"


def check_snapshottable(session: Session, *, volume: Volume) -> ImageStore:
    """431 unless the volume is Ready on a pool or Allocated (and its VM Running or
    Stopped); the image store the snapshot would go to (534 when the zone has none)."""
    ready = volume.state == VolumeState.READY and volume.pool_id is not None
    if not ready and volume.state != VolumeState.ALLOCATED:
        raise InvalidParameterValue(
            f"VolumeId: {volume.uuid} is not in Ready state but {volume.state}. Cannot take "
            "snapshot."
        )
    if volume.vm_id is not None:
        vm = session.get(VirtualMachine, volume.vm_id)
        assert vm is not None
        if vm.state not in (VmState.RUNNING, VmState.STOPPED):
            raise InvalidParameterValue(
                f"The VM {vm.name} of volume {volume.name} is in {vm.state} state; snapshots "
                "need it Running or Stopped"
            )
    stores = zone_image_stores(session, zone_id=volume.zone_id)
    if not stores:
        raise ResourceUnavailable(
            f"Unable to find a secondary storage (image store) in the zone of volume "
            f"{volume.name} to keep the snapshot in"
        )
    return stores[0]


def allocate_snapshot(
    session: Session,
    settings: Settings,
    *,
    volume: Volume,
    name: str | None,
    policy: SnapshotPolicy | None = None,
) -> Snapshot:
    """Check the volume can be snapshotted and add the snapshot row (Allocated), charging
    its owner one SNAPSHOT and the volume's size of SECONDARY_STORAGE (532 when over).
    `policy` makes it a recurring snapshot of the policy's interval type."""
    store = check_snapshottable(session, volume=volume)
    owner = session.get(Account, volume.account_id)
    assert owner is not None
    limits.consume(session, settings, account=owner, resource=ResourceType.SNAPSHOT, amount=1)
    limits.consume(
        session,
        settings,
        account=owner,
        resource=ResourceType.SECONDARY_STORAGE,
        amount=volume.size,
    )
    snapshot = Snapshot(
        name=name or _default_name(session, volume),
        snapshot_type=MANUAL if policy is None else policy.interval_type,
        state=SnapshotState.ALLOCATED,
        account_id=volume.account_id,
        domain_id=volume.domain_id,
        zone_id=volume.zone_id,
        volume_id=volume.id,
        policy_id=None if policy is None else policy.id,
        size=volume.size,
        physical_size=volume.size,
        store_id=store.id,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def discard_snapshot(session: Session, *, snapshot_id: int) -> None:
    """Remove a snapshot that never completed: its row, its tags, its limits."""
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        return
    _release_limits(session, snapshot)
    remove_tags_of(session, resource_type="Snapshot", resource_id=snapshot.id)
    session.delete(snapshot)
    session.flush()


def _release_limits(session: Session, snapshot: Snapshot) -> None:
    owner = session.get(Account, snapshot.account_id)
    assert owner is not None
    limits.release(session, account=owner, resource=ResourceType.SNAPSHOT, amount=1)
    limits.release(
        session,
        account=owner,
        resource=ResourceType.SECONDARY_STORAGE,
        amount=snapshot.physical_size,
    )


def _place_allocated(session: Session, runtime: Runtime, *, steps: Steps, volume: Volume) -> None:
    """Create an Allocated volume's (empty) data on a pool its VM, if any, reaches; Ready."""
    vm = None if volume.vm_id is None else session.get(VirtualMachine, volume.vm_id)
    claim(session, volume, states=(VolumeState.ALLOCATED,), to=VolumeState.CREATING)
    pool = _pool_for_new_volume(session, runtime, volume=volume, vm=vm)
    steps.commit()
    steps.on_undo(lambda s: _unplace(s, volume.id))
    placed = write_volume_data(runtime, volume_uuid=volume.uuid, size=volume.size, pool=pool)
    steps.on_undo(lambda s: delete_volume_data(runtime, pool=pool, path=placed.path))
    claim(
        session,
        volume,
        states=(VolumeState.CREATING,),
        to=VolumeState.READY,
        path=placed.path,
        format=placed.format,
    )
    steps.commit()


def back_up(session: Session, runtime: Runtime, *, steps: Steps, snapshot: Snapshot) -> Snapshot:
    """Copy the volume's data to the snapshot's image store; BackedUp on success. An
    Allocated volume is first created on primary storage, as attaching it would.

    On failure (534) the partial copy, the row and the charged limits are all gone.
    """
    steps.on_undo(lambda s: discard_snapshot(s, snapshot_id=snapshot.id))
    volume = session.get(Volume, snapshot.volume_id)
    store = session.get(ImageStore, snapshot.store_id)
    assert volume is not None and store is not None
    check_snapshottable(session, volume=volume)
    if volume.state == VolumeState.ALLOCATED:
        _place_allocated(session, runtime, steps=steps, volume=volume)
    pool = session.get(StoragePool, volume.pool_id)
    assert pool is not None and volume.path is not None
    _move(session, snapshot, expected=SnapshotState.ALLOCATED, to=SnapshotState.CREATING)
    steps.commit()
    target, path = image_store_driver(runtime, store), install_path(snapshot)
    try:
        copied = pool_driver(runtime, pool).copy_to(
            source=volume.path, target=target, target_path=path
        )
    except StorageError as exc:
        _forget(runtime, store, path)
        raise ResourceUnavailable(
            f"Failed to create snapshot of volume {volume.name} on image store {store.name}: {exc}",
            uuids=[snapshot.uuid],
        ) from None
    steps.on_undo(lambda s: _forget(runtime, store, path))
    owner = session.get(Account, snapshot.account_id)
    assert owner is not None
    limits.release(
        session,
        account=owner,
        resource=ResourceType.SECONDARY_STORAGE,
        amount=snapshot.physical_size - copied,
    )
    snapshot.physical_size = copied
    snapshot.install_path = path
    _move(session, snapshot, expected=SnapshotState.CREATING, to=SnapshotState.BACKED_UP)
    steps.commit()
    return snapshot


def allocate_copy(
    session: Session, settings: Settings, *, source: Snapshot, zone: Zone, name: str | None
) -> Snapshot:
    """Add a new snapshot (Allocated, MANUAL) of the same volume as a BackedUp `source`,
    in `zone` and owned by the source's account, charging one SNAPSHOT and the source's
    physical size of SECONDARY_STORAGE (532 when over); 534 if the zone has no image store."""
    if source.state != SnapshotState.BACKED_UP or source.install_path is None:
        raise InvalidParameterValue(
            f"Snapshot {source.uuid} is in {source.state} state; only a BackedUp snapshot can "
            "be copied"
        )
    stores = zone_image_stores(session, zone_id=zone.id)
    if not stores:
        raise ResourceUnavailable(f"Zone {zone.name} has no image store to copy snapshots to")
    owner = session.get(Account, source.account_id)
    assert owner is not None
    limits.consume(session, settings, account=owner, resource=ResourceType.SNAPSHOT, amount=1)
    limits.consume(
        session,
        settings,
        account=owner,
        resource=ResourceType.SECONDARY_STORAGE,
        amount=source.physical_size,
    )
    copy = Snapshot(
        name=name or source.name,
        snapshot_type=MANUAL,
        state=SnapshotState.ALLOCATED,
        account_id=source.account_id,
        domain_id=source.domain_id,
        zone_id=zone.id,
        volume_id=source.volume_id,
        size=source.size,
        physical_size=source.physical_size,
        store_id=stores[0].id,
    )
    session.add(copy)
    session.flush()
    return copy


def copy_data(
    session: Session, runtime: Runtime, *, steps: Steps, snapshot: Snapshot, source: Snapshot
) -> Snapshot:
    """Copy `source`'s data to the new `snapshot`'s image store; BackedUp on success. On
    failure (534) the partial copy, the row and the charged limits are all gone."""
    steps.on_undo(lambda s: discard_snapshot(s, snapshot_id=snapshot.id))
    from_store = session.get(ImageStore, source.store_id)
    to_store = session.get(ImageStore, snapshot.store_id)
    assert from_store is not None and to_store is not None and source.install_path is not None
    _move(session, snapshot, expected=SnapshotState.ALLOCATED, to=SnapshotState.CREATING)
    steps.commit()
    path = install_path(snapshot)
    reader, writer = image_store_driver(runtime, from_store), image_store_driver(runtime, to_store)
    try:
        if from_store.id == to_store.id:
            reader.copy(source=source.install_path, target=path)
        else:
            reader.copy_to(source=source.install_path, target=writer, target_path=path)
    except StorageError as exc:
        _forget(runtime, to_store, path)
        raise ResourceUnavailable(
            f"Failed to copy snapshot {source.name}: {exc}", uuids=[snapshot.uuid]
        ) from None
    steps.on_undo(lambda s: _forget(runtime, to_store, path))
    snapshot.install_path = path
    _move(session, snapshot, expected=SnapshotState.CREATING, to=SnapshotState.BACKED_UP)
    steps.commit()
    return snapshot


def _forget(runtime: Runtime, store: ImageStore, path: str) -> None:
    try:
        image_store_driver(runtime, store).delete(path=path)
    except StorageError:
        log.warning("could not delete %s from image store %s", path, store.name)


def delete_snapshot(
    session: Session, runtime: Runtime, *, steps: Steps, snapshot: Snapshot
) -> None:
    """Delete a BackedUp (or failed) snapshot's data and give its limits back; the row
    stays, Destroyed and removed. 534 if the image store cannot delete the data."""
    previous = snapshot.state
    if previous not in (SnapshotState.BACKED_UP, SnapshotState.ERROR):
        raise InvalidParameterValue(f"Can't delete snapshot {snapshot.uuid} with state {previous}")
    _move(session, snapshot, expected=previous, to=SnapshotState.DESTROYING)
    steps.commit()
    steps.on_undo(lambda s: _restore_state(s, snapshot.id, previous))
    store = None if snapshot.store_id is None else session.get(ImageStore, snapshot.store_id)
    if store is not None and snapshot.install_path is not None:
        try:
            image_store_driver(runtime, store).delete(path=snapshot.install_path)
        except StorageError as exc:
            raise ResourceUnavailable(
                f"Unable to delete snapshot {snapshot.name} from image store {store.name}: {exc}"
            ) from None
    _release_limits(session, snapshot)
    remove_tags_of(session, resource_type="Snapshot", resource_id=snapshot.id)
    snapshot.removed = utcnow()
    _move(session, snapshot, expected=SnapshotState.DESTROYING, to=SnapshotState.DESTROYED)


def _restore_state(session: Session, snapshot_id: int, state: str) -> None:
    session.execute(
        update(Snapshot)
        .where(Snapshot.id == snapshot_id)
        .values(state=state)
        .execution_options(synchronize_session=False)
    )


def _check_revertable(session: Session, *, snapshot: Snapshot) -> Volume:
    if snapshot.state != SnapshotState.BACKED_UP or snapshot.install_path is None:
        raise InvalidParameterValue(
            f"Snapshot {snapshot.uuid} is in {snapshot.state} state; only a BackedUp snapshot "
            "can be reverted"
        )
    volume = session.get(Volume, snapshot.volume_id)
    if volume is None or volume.removed is not None:
        raise InvalidParameterValue(f"The volume of snapshot {snapshot.uuid} no longer exists")
    if volume.state != VolumeState.READY or volume.pool_id is None or volume.path is None:
        raise InvalidParameterValue(
            f"Volume {volume.name} must be Ready to revert a snapshot to it; it is {volume.state}"
        )
    if volume.vm_id is not None:
        vm = session.get(VirtualMachine, volume.vm_id)
        assert vm is not None
        if vm.state != VmState.STOPPED:
            raise InvalidParameterValue(
                f"The VM {vm.name} the snapshot's volume is attached to must be Stopped to "
                f"revert the snapshot; it is {vm.state}"
            )
    return volume


def revert_snapshot(
    session: Session, runtime: Runtime, *, steps: Steps, snapshot: Snapshot
) -> Snapshot:
    """Copy a snapshot's data back over its volume (detached, or of a Stopped VM). The
    volume keeps its size. 534 if the copy fails (the volume's data is then unchanged)."""
    volume = _check_revertable(session, snapshot=snapshot)
    store = session.get(ImageStore, snapshot.store_id)
    pool = session.get(StoragePool, volume.pool_id)
    assert store is not None and pool is not None and volume.path is not None
    assert snapshot.install_path is not None
    claim(session, volume, states=(VolumeState.READY,), to=VolumeState.REVERTING)
    steps.commit()
    steps.on_undo(lambda s: set_state(s, volume_id=volume.id, state=VolumeState.READY))
    target = pool_driver(runtime, pool)
    try:
        image_store_driver(runtime, store).copy_to(
            source=snapshot.install_path, target=target, target_path=volume.path
        )
        path, image_format = volume.path, volume.format
        if disk_images.virtual_size(target, path=path, image_format=image_format) != volume.size:
            disk_images.resize(target, path=path, image_format=image_format, size=volume.size)
    except StorageError as exc:
        raise ResourceUnavailable(
            f"Unable to revert volume {volume.name} to snapshot {snapshot.name}: {exc}",
            uuids=[snapshot.uuid],
        ) from None
    claim(session, volume, states=(VolumeState.REVERTING,), to=VolumeState.READY)
    return snapshot


def _pool_for_new_volume(
    session: Session, runtime: Runtime, *, volume: Volume, vm: VirtualMachine | None
) -> StoragePool:
    tags = volume_tags(session, volume)
    if vm is not None:
        return reserve_pool_for(
            session,
            runtime,
            volume=volume,
            zone_id=volume.zone_id,
            cluster_id=vm_cluster_id(session, vm),
            tags=tags,
        )
    clusters = session.scalars(
        select(Cluster.id)
        .where(Cluster.zone_id == volume.zone_id, Cluster.removed.is_(None))
        .order_by(Cluster.id)
    ).all()
    for cluster_id in (None, *clusters):
        try:
            return reserve_pool_for(
                session,
                runtime,
                volume=volume,
                zone_id=volume.zone_id,
                cluster_id=cluster_id,
                tags=tags,
            )
        except InsufficientCapacity:
            continue
    raise InsufficientCapacity(
        f"Unable to find suitable primary storage for volume {volume.name} of {volume.size} bytes",
        uuids=[volume.uuid],
    )


def create_from_snapshot(
    session: Session,
    runtime: Runtime,
    *,
    steps: Steps,
    volume: Volume,
    snapshot: Snapshot,
    vm: VirtualMachine | None,
) -> Volume:
    """Put an Allocated volume on a pool (one `vm`'s cluster reaches, if given) with the
    snapshot's data; Ready on success. 533 when no pool has room, 534 when the copy
    fails; on failure the volume is Allocated on no pool again."""
    store = None if snapshot.store_id is None else session.get(ImageStore, snapshot.store_id)
    if store is None or snapshot.install_path is None:
        raise InvalidParameterValue(f"Snapshot {snapshot.uuid} has no backed-up data")
    source = snapshot.install_path
    claim(session, volume, states=(VolumeState.ALLOCATED,), to=VolumeState.CREATING)
    pool = _pool_for_new_volume(session, runtime, volume=volume, vm=vm)
    steps.commit()
    steps.on_undo(lambda s: _unplace(s, volume.id))
    path = volume_path(volume.uuid)
    target = pool_driver(runtime, pool)
    try:
        image_store_driver(runtime, store).copy_to(source=source, target=target, target_path=path)
        disk_images.grow(target, path=path, image_format=volume.format, size=volume.size)
    except StorageError as exc:
        delete_volume_data(runtime, pool=pool, path=path)
        raise ResourceUnavailable(
            f"Unable to create volume {volume.name} from snapshot {snapshot.name}: {exc}",
            uuids=[volume.uuid],
        ) from None
    steps.on_undo(lambda s: delete_volume_data(runtime, pool=pool, path=path))
    claim(session, volume, states=(VolumeState.CREATING,), to=VolumeState.READY, path=path)
    steps.commit()
    return volume


def _unplace(session: Session, volume_id: int) -> None:
    volume = session.get(Volume, volume_id)
    assert volume is not None
    if volume.pool_id is not None:
        capacity.release_pool(session, pool_id=volume.pool_id, size=volume.size)
    set_state(session, volume_id=volume_id, state=VolumeState.ALLOCATED, pool_id=None, path=None)
