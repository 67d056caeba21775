"""Putting volumes on primary storage: choose a pool, reserve its space, write the data.

Shared by VM deployment (root and data disks) and the volume commands. Reservation is
bookkeeping in the caller's transaction; writing data is driver work done outside any
transaction, after the caller has committed (see `steps.Steps`).

A volume made from a KVM QCOW2 template, as CloudStack does on KVM: the template is copied
from its image store to the pool once, at `template_path`, and each volume is a
copy-on-write clone of that copy, on a pool that can clone (`clone` capability, with
qemu-img on this server). The pool's copy stays for the next volume until the template is
deleted and no volume on the pool was made from it (`release_template_copies`). Its size
counts against the pool's capacity from the reservation of the first volume that needs it
(a `TemplatePoolCopy` row) until it is removed. Other volumes made from templates are full
copies from the image store (the simulator never opens its disks). An empty volume on a
pool of KVM hosts is an empty QCOW2 image, as CloudStack makes them there: a VM snapshot
(QEMU's internal ones) needs every disk of the VM in QCOW2.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.drivers.file_locks import file_lock
from native.drivers.storage import qcow2
from native.drivers.storage.base import StorageDriver, StorageError
from native.drivers.storage.disk_images import QCOW2, RAW
from native.model import (
    ImageStore,
    StoragePool,
    Template,
    TemplatePoolCopy,
    TemplateStore,
    Volume,
)
from native.services import capacity
from native.services.errors import InsufficientCapacity, ResourceUnavailable
from native.services.runtime import Runtime
from native.services.stores import candidate_pools, image_store_driver, pool_driver

log = logging.getLogger(__name__)

CLONED_HYPERVISOR = "KVM"


def volume_path(volume_uuid: str) -> str:
    """Where a volume's data lives, relative to its pool's root."""
    return f"volumes/{volume_uuid}"


def template_path(template_uuid: str) -> str:
    """Where a pool keeps its copy of a template, relative to its root."""
    return f"templates/{template_uuid}"


@dataclass(frozen=True, kw_only=True)
class TemplateSource:
    """A template to make a volume from: its uuid, format and hypervisor, and a ready copy
    of it on an image store (`ready_template_copy`)."""

    uuid: str
    format: str
    hypervisor: str
    store: ImageStore
    copy: TemplateStore


def reserve_pool_for(
    session: Session,
    runtime: Runtime,
    *,
    volume: Volume,
    zone_id: int,
    cluster_id: int | None,
    tags: frozenset[str],
    avoid_pool_ids: frozenset[int] = frozenset(),
    template: TemplateSource | None = None,
) -> StoragePool:
    """Pick the first usable pool with room for the volume (and for the pool's copy of
    `template`, when the volume is to be a clone of one the pool lacks), reserve that space
    there and set `volume.pool_id`. InsufficientCapacity (533) when no pool fits."""
    for pool in candidate_pools(session, zone_id=zone_id, cluster_id=cluster_id, tags=tags):
        if pool.id in avoid_pool_ids:
            continue
        copy_size = _uncounted_copy_size(session, runtime, pool=pool, template=template)
        if capacity.reserve_pool(
            session, runtime.settings, pool=pool, size=volume.size + copy_size
        ):
            volume.pool_id = pool.id
            if template is not None and copy_size:
                _count_copy(session, pool=pool, template=template, size=copy_size)
            session.flush()
            return pool
    wanted = f" with tags {', '.join(sorted(tags))}" if tags else ""
    raise InsufficientCapacity(
        f"Unable to find suitable primary storage{wanted} for volume {volume.name} "
        f"of {volume.size} bytes",
        uuids=[volume.uuid],
    )


def _uncounted_copy_size(
    session: Session, runtime: Runtime, *, pool: StoragePool, template: TemplateSource | None
) -> int:
    """The bytes a volume cloned from `template` adds to the pool for the template's copy:
    its size on the image store, unless the copy is counted already or no clone is made."""
    if template is None or not _clonable(pool_driver(runtime, pool), template=template):
        return 0
    counted = session.scalar(
        select(TemplatePoolCopy.id).where(
            TemplatePoolCopy.template_id == template.copy.template_id,
            TemplatePoolCopy.pool_id == pool.id,
        )
    )
    if counted is not None:
        return 0
    return template.copy.physical_size or template.copy.size or 0


def _count_copy(
    session: Session, *, pool: StoragePool, template: TemplateSource, size: int
) -> None:
    """Record that `size` bytes of the pool are the template's copy; when a concurrent
    reservation recorded it first, give the bytes back instead."""
    try:
        with session.begin_nested():
            session.add(
                TemplatePoolCopy(template_id=template.copy.template_id, pool_id=pool.id, size=size)
            )
    except IntegrityError:
        capacity.release_pool(session, pool_id=pool.id, size=size)


def release_pool_of(session: Session, *, volume: Volume) -> None:
    """Give back the volume's reserved space and forget its pool."""
    if volume.pool_id is not None:
        capacity.release_pool(session, pool_id=volume.pool_id, size=volume.size)
        volume.pool_id = None
        session.flush()


def ready_template_copy(
    session: Session, *, template_id: int, zone_id: int
) -> tuple[ImageStore, TemplateStore] | None:
    """A downloaded copy of the template on an image store serving the zone, if any."""
    row = session.execute(
        select(ImageStore, TemplateStore)
        .join(TemplateStore, TemplateStore.store_id == ImageStore.id)
        .where(
            TemplateStore.template_id == template_id,
            TemplateStore.download_state == "DOWNLOADED",
            ImageStore.removed.is_(None),
            (ImageStore.zone_id == zone_id) | ImageStore.zone_id.is_(None),
        )
        .order_by(ImageStore.zone_id.is_(None), ImageStore.id)
    ).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True, kw_only=True)
class PlacedVolume:
    """Where a volume's data was written on its pool, and its image format there."""

    path: str
    format: str


def write_volume_data(
    runtime: Runtime,
    *,
    volume_uuid: str,
    size: int,
    pool: StoragePool,
    template: TemplateSource | None = None,
) -> PlacedVolume:
    """Create the volume on the pool, empty or from the template (see the module's
    docstring); returns its path and format: the template's, or for an empty volume QCOW2
    on a pool of KVM hosts that can hold one (as CloudStack makes them there, so that VM
    snapshots can include it), RAW elsewhere.

    Changes nothing in the database (finding the pool's driver may read which host reaches
    it, in a transaction of its own). On failure no volume is left on the pool and
    ResourceUnavailable (534) says why.
    """
    path = volume_path(volume_uuid)
    target = pool_driver(runtime, pool)
    image_format = RAW if template is None else template.format
    try:
        if template is None and _makes_qcow2(target, hypervisor=pool.hypervisor_type):
            target.create_qcow2(path=path, size=size)
            image_format = QCOW2
        elif template is None:
            target.create(path=path, size=size)
        elif _clonable(target, template=template):
            base = _pool_copy(runtime, pool=pool, target=target, template=template)
            target.clone(base=base, path=path)
        else:
            assert template.copy.install_path is not None
            image_store_driver(runtime, template.store).copy_to(
                source=template.copy.install_path, target=target, target_path=path
            )
    except StorageError as exc:
        delete_volume_data(runtime, pool=pool, path=path)
        raise ResourceUnavailable(
            f"Unable to create volume on storage pool {pool.name}: {exc}"
        ) from None
    return PlacedVolume(path=path, format=image_format)


def _pool_copy(
    runtime: Runtime, *, pool: StoragePool, target: StorageDriver, template: TemplateSource
) -> str:
    """The pool's copy of the template, copied from its image store the first time (one
    copy at a time per pool and template on this server)."""
    path = template_path(template.uuid)
    lock = runtime.drivers.state_dir / "locks" / f"template-{pool.uuid}-{template.uuid}"
    with file_lock(lock):
        if not target.exists(path=path):
            assert template.copy.install_path is not None
            image_store_driver(runtime, template.store).copy_to(
                source=template.copy.install_path, target=target, target_path=path
            )
    return path


def _makes_qcow2(target: StorageDriver, *, hypervisor: str | None) -> bool:
    """Whether volumes for `hypervisor` on the store are QCOW2 images made on it: KVM
    volumes, on a store that works on QCOW2 images (`clone` capability, with qemu-img)."""
    return (
        hypervisor == CLONED_HYPERVISOR
        and bool(target.capabilities.get("clone"))
        and qcow2.qemu_img() is not None
    )


def _clonable(target: StorageDriver, *, template: TemplateSource) -> bool:
    """Whether the volume is to be a copy-on-write clone (see the module's docstring)."""
    return template.format == QCOW2 and _makes_qcow2(target, hypervisor=template.hypervisor)


def release_template_copies(session: Session, runtime: Runtime, *, template: Template) -> None:
    """Delete the pools' copies of a deleted template from every pool where no volume made
    from it remains, and give back the space they held (committed here); a copy that cannot
    be deleted is logged and left for the next call. Runs after the caller's commit."""
    if template.removed is None:
        return
    in_use = set(
        session.scalars(
            select(Volume.pool_id).where(
                Volume.template_id == template.id,
                Volume.removed.is_(None),
                Volume.pool_id.is_not(None),
            )
        )
    )
    pools = session.scalars(select(StoragePool).where(StoragePool.removed.is_(None))).all()
    for pool in pools:
        if pool.id in in_use:
            continue
        try:
            pool_driver(runtime, pool).delete(path=template_path(template.uuid))
        except StorageError as exc:
            log.warning(
                "could not remove template %s from pool %s: %s", template.uuid, pool.name, exc
            )
            continue
        _uncount_copy(session, pool_id=pool.id, template_id=template.id)
    session.commit()


def _uncount_copy(session: Session, *, pool_id: int, template_id: int) -> None:
    """Forget the pool's copy of the template and give back the space it held."""
    copy = session.scalar(
        select(TemplatePoolCopy).where(
            TemplatePoolCopy.template_id == template_id, TemplatePoolCopy.pool_id == pool_id
        )
    )
    if copy is None:
        return
    session.execute(delete(TemplatePoolCopy).where(TemplatePoolCopy.id == copy.id))
    capacity.release_pool(session, pool_id=pool_id, size=copy.size)


def delete_volume_data(runtime: Runtime, *, pool: StoragePool, path: str) -> None:
    """Remove a volume's data from a pool, ignoring what is already gone."""
    try:
        pool_driver(runtime, pool).delete(path=path)
    except StorageError:
        pass
