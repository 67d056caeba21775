"""Volumes: allocation, resizing and deletion (CloudStack's VolumeApiService).

A data volume is created Allocated, with no pool: it reaches primary storage when first
attached (`volume_attach`), or at once when made from a snapshot. Its count and size are
charged to the owner's VOLUME and PRIMARY_STORAGE limits from allocation until deletion.
Every change of a volume's state is saved compare-and-swap on `update_count` (`claim`),
so two operations racing on one volume cannot both proceed.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.drivers.storage import disk_images
from native.drivers.storage.base import StorageError
from native.model import (
    Account,
    DiskOffering,
    Domain,
    Snapshot,
    SnapshotPolicy,
    StoragePool,
    VirtualMachine,
    VmSnapshot,
    Volume,
    Zone,
    utcnow,
)
from native.services import accounts, capacity, limits
from native.services.caller import Caller
from native.services.errors import (
    ConcurrentOperation,
    InsufficientCapacity,
    InvalidParameterValue,
    PermissionDenied,
    ResourceUnavailable,
)
from native.services.limits import ResourceType
from native.services.runtime import Runtime
from native.services.settings import Settings
from native.services.steps import Steps
from native.services.stores import pool_driver
from native.services.tags import remove_tags_of

GIB = 1024**3
ROOT = "ROOT"
DATADISK = "DATADISK"


class VolumeState(enum.StrEnum):
    """CloudStack's `Volume.State` values Alto uses (Detaching is Alto's own)."""

    ALLOCATED = "Allocated"
    CREATING = "Creating"
    READY = "Ready"
    ATTACHING = "Attaching"
    DETACHING = "Detaching"
    RESIZING = "Resizing"
    MIGRATING = "Migrating"
    REVERTING = "RevertSnapshotting"
    DESTROY = "Destroy"
    EXPUNGING = "Expunging"
    EXPUNGED = "Expunged"


def owner_account(
    session: Session, *, caller: Caller, name: str | None, domain: Domain | None
) -> Account:
    """The account a new resource is for: `name` in `domain` (the caller's domain by
    default) when given and visible to the caller, else the caller's own account."""
    if name is None:
        own = session.get(Account, caller.account_id)
        assert own is not None
        return own
    return accounts.find_account(session, caller=caller, account=None, name=name, domain=domain)


def claim(
    session: Session, volume: Volume, *, states: Collection[str], to: str, **values: Any
) -> None:
    """Move the volume to state `to` (setting `values` too) if it is still in one of
    `states` and unchanged since it was read; ConcurrentOperation otherwise.

    A device number already taken on the VM (`vm_id`, `device_id` in `values`) is a 431.
    """
    session.flush()
    statement = (
        update(Volume)
        .where(
            Volume.id == volume.id,
            Volume.update_count == volume.update_count,
            Volume.state.in_(list(states)),
        )
        .values(state=to, update_count=Volume.update_count + 1, **values)
        .execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            result = session.execute(statement)
    except IntegrityError:
        raise InvalidParameterValue(
            f"deviceId {values.get('device_id')} is used by another volume of the VM"
        ) from None
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentOperation(
            f"Volume {volume.name} was changed by another operation; try again",
            uuids=[volume.uuid],
        )
    session.refresh(volume)


def set_state(session: Session, *, volume_id: int, state: str, **values: Any) -> None:
    """Set a volume's state (and `values`) unconditionally; for undo steps and final saves."""
    session.execute(
        update(Volume)
        .where(Volume.id == volume_id)
        .values(state=state, update_count=Volume.update_count + 1, **values)
        .execution_options(synchronize_session=False)
    )


def check_no_vm_snapshots(session: Session, *, vm: VirtualMachine, message: str) -> None:
    """431 with `message` if the VM has any VM snapshot (CloudStack forbids changing the
    disks of such a VM)."""
    found = session.scalar(
        select(VmSnapshot.id).where(VmSnapshot.vm_id == vm.id, VmSnapshot.removed.is_(None))
    )
    if found is not None:
        raise InvalidParameterValue(message)


def check_custom_size(session: Session, settings: Settings, *, size_gb: int) -> None:
    """431 unless the size is within `custom.diskoffering.size.min`/`.max` (GB)."""
    low = int(settings.get(session, "custom.diskoffering.size.min"))
    high = int(settings.get(session, "custom.diskoffering.size.max"))
    if not low <= size_gb <= high:
        raise InvalidParameterValue(
            f"Volume size: {size_gb}GB is out of allowed range. Max: {high} Min:{low}"
        )


def check_offering_usable(
    session: Session, *, offering: DiskOffering, owner: Account, zone_id: int
) -> None:
    """431 unless the disk offering is active, and offered to the owner's domain and zone."""
    if offering.state != "Active":
        raise InvalidParameterValue(f"Disk offering {offering.name} is not active")
    if offering.zone_id is not None and offering.zone_id != zone_id:
        raise InvalidParameterValue(
            f"Disk offering {offering.name} is not available in the volume's zone"
        )
    if offering.domain_id is not None:
        domain = session.get(Domain, offering.domain_id)
        if domain is None or not owner.domain.path.startswith(domain.path):
            raise InvalidParameterValue(
                f"Disk offering {offering.name} is not available to account {owner.name}"
            )


def _iops(
    offering: DiskOffering | None, min_iops: int | None, max_iops: int | None
) -> tuple[int | None, int | None]:
    if offering is not None and not offering.customized_iops:
        return offering.min_iops, offering.max_iops
    if min_iops is not None and max_iops is not None and min_iops > max_iops:
        raise InvalidParameterValue("The min IOPS must be less than or equal to the max IOPS.")
    return min_iops, max_iops


@dataclass(frozen=True, kw_only=True)
class NewVolume:
    """What createVolume asks for; `size_gb` only for custom offerings."""

    name: str | None
    owner: Account
    zone: Zone | None
    offering: DiskOffering | None
    size_gb: int | None
    snapshot: Snapshot | None
    min_iops: int | None = None
    max_iops: int | None = None
    display: bool = True


def _image_format(session: Session, spec: NewVolume) -> str:
    """A snapshot's volume's image format for a volume made from it; RAW for an empty one."""
    if spec.snapshot is None:
        return disk_images.RAW
    source = session.get(Volume, spec.snapshot.volume_id)
    assert source is not None
    return source.format


def _size_and_offering(
    session: Session, settings: Settings, spec: NewVolume
) -> tuple[int, DiskOffering | None]:
    if spec.snapshot is not None:
        source = session.get(Volume, spec.snapshot.volume_id)
        assert source is not None
        if spec.offering is not None and source.volume_type == DATADISK:
            raise InvalidParameterValue(
                "Disk offering can't be specified when creating a volume from a data disk snapshot"
            )
        offering = spec.offering
        if offering is None and source.disk_offering_id is not None:
            offering = session.get(DiskOffering, source.disk_offering_id)
        return spec.snapshot.size, offering
    offering = spec.offering
    if offering is None:
        raise InvalidParameterValue(
            "At least one of disk Offering ID or snapshot ID must be passed whilst creating volume"
        )
    if not offering.is_customized:
        return offering.disk_size, offering
    if spec.size_gb is None:
        raise InvalidParameterValue("This disk offering requires a custom size specified")
    check_custom_size(session, settings, size_gb=spec.size_gb)
    return spec.size_gb * GIB, offering


def allocate_volume(
    session: Session, settings: Settings, *, caller: Caller, spec: NewVolume
) -> Volume:
    """Validate a createVolume request and add the volume, Allocated and on no pool.

    The owner's VOLUME and PRIMARY_STORAGE limits are charged (532 when over). A volume
    from a snapshot takes the snapshot's zone and size (and its volume's disk offering).
    """
    if spec.snapshot is not None and spec.snapshot.state != "BackedUp":
        raise InvalidParameterValue(
            f"Snapshot {spec.snapshot.uuid} is not in BackedUp state yet and can't be used "
            "for volume creation"
        )
    zone = spec.zone
    if spec.snapshot is not None:
        zone = session.get(Zone, spec.snapshot.zone_id)
    if zone is None:
        raise InvalidParameterValue("Please specify a valid zone (zoneid).")
    if zone.allocation_state == "Disabled" and not caller.is_root_admin:
        raise PermissionDenied(
            f"Cannot perform this operation, Zone is currently disabled: {zone.uuid}"
        )
    size, offering = _size_and_offering(session, settings, spec)
    if offering is not None:
        check_offering_usable(session, offering=offering, owner=spec.owner, zone_id=zone.id)
    min_iops, max_iops = _iops(offering, spec.min_iops, spec.max_iops)
    limits.consume(session, settings, account=spec.owner, resource=ResourceType.VOLUME, amount=1)
    limits.consume(
        session, settings, account=spec.owner, resource=ResourceType.PRIMARY_STORAGE, amount=size
    )
    volume = Volume(
        name=spec.name or "",
        volume_type=DATADISK,
        state=VolumeState.ALLOCATED,
        account_id=spec.owner.id,
        domain_id=spec.owner.domain_id,
        zone_id=zone.id,
        size=size,
        disk_offering_id=None if offering is None else offering.id,
        snapshot_id=None if spec.snapshot is None else spec.snapshot.id,
        format=_image_format(session, spec),
        provisioning_type="thin" if offering is None else offering.provisioning_type,
        min_iops=min_iops,
        max_iops=max_iops,
        display_volume=spec.display,
    )
    session.add(volume)
    session.flush()
    if not volume.name:
        volume.name = volume.uuid
    return volume


def discard_volume(session: Session, *, volume_id: int) -> None:
    """Forget a volume that never held data (an undo of `allocate_volume`): release its
    limits and pool space, and mark it Expunged and removed."""
    volume = session.get(Volume, volume_id)
    if volume is None or volume.removed is not None:
        return
    _release_everything(session, volume)


def _release_everything(session: Session, volume: Volume) -> None:
    owner = session.get(Account, volume.account_id)
    assert owner is not None
    if volume.pool_id is not None:
        capacity.release_pool(session, pool_id=volume.pool_id, size=volume.size)
    limits.release(session, account=owner, resource=ResourceType.VOLUME, amount=1)
    limits.release(
        session, account=owner, resource=ResourceType.PRIMARY_STORAGE, amount=volume.size
    )
    policies = session.scalars(
        select(SnapshotPolicy.id).where(SnapshotPolicy.volume_id == volume.id)
    ).all()
    for policy_id in policies:
        remove_tags_of(session, resource_type="SnapshotPolicy", resource_id=policy_id)
    session.execute(delete(SnapshotPolicy).where(SnapshotPolicy.volume_id == volume.id))
    remove_tags_of(session, resource_type="Volume", resource_id=volume.id)
    set_state(
        session,
        volume_id=volume.id,
        state=VolumeState.EXPUNGED,
        removed=utcnow(),
        vm_id=None,
        device_id=None,
        device_name=None,
    )
    session.refresh(volume)


def check_deletable(volume: Volume) -> None:
    """431 unless the volume is a detached data disk at rest."""
    if volume.volume_type == ROOT:
        raise InvalidParameterValue("Unable to delete a ROOT volume; destroy its VM instead.")
    if volume.vm_id is not None:
        raise InvalidParameterValue("Please specify a volume that is not attached to any VM.")
    if volume.state not in (VolumeState.ALLOCATED, VolumeState.READY):
        raise InvalidParameterValue(
            f"Volume {volume.name} is in {volume.state} state; only Allocated and Ready "
            "volumes can be deleted"
        )


def delete_volume(session: Session, runtime: Runtime, *, steps: Steps, volume: Volume) -> None:
    """Delete a detached data volume: its data, its pool space, its limits, its snapshot
    policies and tags; the row stays, Expunged and removed. 534 if the data cannot be
    deleted (the volume is then left as it was)."""
    check_deletable(volume)
    previous = volume.state
    claim(session, volume, states=(previous,), to=VolumeState.EXPUNGING)
    steps.commit()
    steps.on_undo(lambda s: set_state(s, volume_id=volume.id, state=previous))
    if volume.pool_id is not None and volume.path is not None:
        pool = session.get(StoragePool, volume.pool_id)
        assert pool is not None
        try:
            pool_driver(runtime, pool).delete(path=volume.path)
        except StorageError as exc:
            raise ResourceUnavailable(f"Unable to delete volume {volume.name}: {exc}") from None
    _release_everything(session, volume)


@dataclass(frozen=True, kw_only=True)
class Resize:
    """What resizeVolume asks for."""

    size_gb: int | None
    offering: DiskOffering | None
    shrink_ok: bool
    min_iops: int | None
    max_iops: int | None


def _new_size(
    session: Session, settings: Settings, *, volume: Volume, change: Resize
) -> tuple[int, DiskOffering | None]:
    current = (
        None
        if volume.disk_offering_id is None
        else session.get(DiskOffering, volume.disk_offering_id)
    )
    offering = change.offering
    if offering is not None:
        if volume.volume_type == ROOT:
            raise InvalidParameterValue(
                "Cannot change the disk offering of a ROOT volume; use "
                "changeServiceForVirtualMachine, or give only a new size"
            )
        if not offering.is_customized:
            return offering.disk_size, offering
        if change.size_gb is None:
            raise InvalidParameterValue("This disk offering requires a custom size specified")
    elif volume.volume_type == DATADISK and (current is None or not current.is_customized):
        raise InvalidParameterValue(
            "To change a volume's size without providing a new disk offering, its current disk "
            "offering must be customizable or it must be a root volume (if providing a disk "
            "offering, make sure it is different from the current disk offering)."
        )
    if change.size_gb is None:
        raise InvalidParameterValue("Please specify the new size (size) of the volume in GB")
    if volume.volume_type == DATADISK:
        check_custom_size(session, settings, size_gb=change.size_gb)
    elif change.size_gb < 1:
        raise InvalidParameterValue("The new size of a volume must be at least 1 GB")
    return change.size_gb * GIB, offering or current


def check_resizable(session: Session, *, volume: Volume) -> VirtualMachine | None:
    """431 unless the volume may be resized now; its VM, if attached."""
    if volume.state not in (VolumeState.READY, VolumeState.ALLOCATED):
        raise InvalidParameterValue(
            "Volume should be in ready or allocated state before attempting a resize. Volume "
            f"{volume.uuid} is in state {volume.state}."
        )
    if volume.vm_id is None:
        return None
    vm = session.get(VirtualMachine, volume.vm_id)
    assert vm is not None
    if vm.state not in ("Running", "Stopped"):
        raise InvalidParameterValue(
            f"VM {vm.name} must be Running or Stopped to resize its volume; it is {vm.state}"
        )
    check_no_vm_snapshots(
        session,
        vm=vm,
        message="A volume that is attached to a VM with any VM snapshots cannot be resized.",
    )
    return vm


def plan_resize(
    session: Session, settings: Settings, *, volume: Volume, change: Resize
) -> tuple[int, DiskOffering | None]:
    """The new size and disk offering of a resize, or a 431 for one CloudStack refuses
    (a shrink without `shrink_ok` among them)."""
    check_resizable(session, volume=volume)
    size, offering = _new_size(session, settings, volume=volume, change=change)
    if size < volume.size and not change.shrink_ok:
        raise InvalidParameterValue(
            f"Going from existing size of {volume.size} to size of {size} would shrink the "
            "volume. Need to sign off by supplying the shrinkok parameter with value of true."
        )
    return size, offering


def resize_volume(
    session: Session, runtime: Runtime, *, steps: Steps, volume: Volume, change: Resize
) -> Volume:
    """Give a volume a new size (and disk offering): limits and pool space are charged or
    given back by exactly the difference, then the data is resized on its pool; the
    volume remembers when, and its size and offering before (`resized`…). A shrink
    needs `shrink_ok`. On failure every change is undone (532 limits, 533 pool space, 534
    storage)."""
    size, offering = plan_resize(session, runtime.settings, volume=volume, change=change)
    min_iops, max_iops = _iops(offering, change.min_iops, change.max_iops)
    before = (volume.state, volume.size, volume.disk_offering_id, volume.min_iops, volume.max_iops)
    last_resize = (volume.resized, volume.resized_from, volume.resized_from_offering_id)
    delta = size - volume.size
    claim(
        session,
        volume,
        states=(volume.state,),
        to=VolumeState.RESIZING if volume.pool_id is not None else volume.state,
        size=size,
        disk_offering_id=None if offering is None else offering.id,
        min_iops=min_iops,
        max_iops=max_iops,
        resized=utcnow(),
        resized_from=volume.size,
        resized_from_offering_id=volume.disk_offering_id,
    )
    _charge_size(session, runtime.settings, volume=volume, delta=delta)
    steps.commit()

    def undo(s: Session) -> None:
        state, old_size, old_offering, old_min, old_max = before
        _uncharge_size(s, volume_id=volume.id, delta=delta)
        set_state(
            s,
            volume_id=volume.id,
            state=state,
            size=old_size,
            disk_offering_id=old_offering,
            min_iops=old_min,
            max_iops=old_max,
            resized=last_resize[0],
            resized_from=last_resize[1],
            resized_from_offering_id=last_resize[2],
        )

    steps.on_undo(undo)
    if volume.pool_id is not None and volume.path is not None:
        pool = session.get(StoragePool, volume.pool_id)
        assert pool is not None
        try:
            disk_images.resize(
                pool_driver(runtime, pool), path=volume.path, image_format=volume.format, size=size
            )
        except StorageError as exc:
            raise ResourceUnavailable(f"Unable to resize volume {volume.name}: {exc}") from None
        claim(session, volume, states=(VolumeState.RESIZING,), to=before[0])
    return volume


def _charge_size(session: Session, settings: Settings, *, volume: Volume, delta: int) -> None:
    owner = session.get(Account, volume.account_id)
    assert owner is not None
    if delta > 0:
        limits.consume(
            session, settings, account=owner, resource=ResourceType.PRIMARY_STORAGE, amount=delta
        )
    elif delta < 0:
        limits.release(session, account=owner, resource=ResourceType.PRIMARY_STORAGE, amount=-delta)
    if volume.pool_id is None or delta == 0:
        return
    pool = session.get(StoragePool, volume.pool_id)
    assert pool is not None
    if delta < 0:
        capacity.release_pool(session, pool_id=pool.id, size=-delta)
    elif not capacity.reserve_pool(session, settings, pool=pool, size=delta):
        raise InsufficientCapacity(
            f"Unable to resize volume {volume.name}: storage pool {pool.name} has no room for "
            f"{delta} more bytes",
            uuids=[volume.uuid],
        )


def _uncharge_size(session: Session, *, volume_id: int, delta: int) -> None:
    volume = session.get(Volume, volume_id)
    assert volume is not None
    owner = session.get(Account, volume.account_id)
    assert owner is not None
    # releasing a negative amount charges a shrink back, whatever the limit
    limits.release(session, account=owner, resource=ResourceType.PRIMARY_STORAGE, amount=delta)
    if volume.pool_id is not None and delta > 0:
        capacity.release_pool(session, pool_id=volume.pool_id, size=delta)
    elif volume.pool_id is not None and delta < 0:
        session.execute(
            update(StoragePool)
            .where(StoragePool.id == volume.pool_id)
            .values(used_bytes=StoragePool.used_bytes - delta)
            .execution_options(synchronize_session=False)
        )


def data_volume_count(session: Session, *, vm_id: int) -> int:
    """How many data disks are attached to the VM."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Volume)
            .where(Volume.vm_id == vm_id, Volume.volume_type == DATADISK, Volume.removed.is_(None))
        )
        or 0
    )
