"""Putting volumes on primary storage: choose a pool, reserve its space, write the data.

Shared by VM deployment (root and data disks) and the volume commands. Reservation is
bookkeeping in the caller's transaction; writing data is driver work done outside any
transaction, after the caller has committed (see `steps.Steps`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.storage.base import StorageError
from native.model import ImageStore, StoragePool, TemplateStore, Volume
from native.services import capacity
from native.services.errors import InsufficientCapacity, ResourceUnavailable
from native.services.runtime import Runtime
from native.services.stores import candidate_pools, image_store_driver, pool_driver


def volume_path(volume_uuid: str) -> str:
    """Where a volume's data lives, relative to its pool's root."""
    return f"volumes/{volume_uuid}"


def reserve_pool_for(
    session: Session,
    runtime: Runtime,
    *,
    volume: Volume,
    zone_id: int,
    cluster_id: int | None,
    tags: frozenset[str],
    avoid_pool_ids: frozenset[int] = frozenset(),
) -> StoragePool:
    """Pick the first usable pool with room for the volume, reserve its size there and set
    `volume.pool_id`. InsufficientCapacity (533) when no pool fits."""
    for pool in candidate_pools(session, zone_id=zone_id, cluster_id=cluster_id, tags=tags):
        if pool.id in avoid_pool_ids:
            continue
        if capacity.reserve_pool(session, runtime.settings, pool=pool, size=volume.size):
            volume.pool_id = pool.id
            session.flush()
            return pool
    wanted = f" with tags {', '.join(sorted(tags))}" if tags else ""
    raise InsufficientCapacity(
        f"Unable to find suitable primary storage{wanted} for volume {volume.name} "
        f"of {volume.size} bytes",
        uuids=[volume.uuid],
    )


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


def write_volume_data(
    runtime: Runtime,
    *,
    volume_uuid: str,
    size: int,
    pool: StoragePool,
    template: tuple[ImageStore, TemplateStore] | None = None,
) -> str:
    """Create the volume on the pool, empty or as a copy of the template; returns its path.

    Runs no database work. On failure nothing is left on the pool and ResourceUnavailable
    (534) says why.
    """
    path = volume_path(volume_uuid)
    target = pool_driver(runtime, pool)
    try:
        if template is None:
            target.create(path=path, size=size)
        else:
            store, copy = template
            assert copy.install_path is not None
            image_store_driver(runtime, store).copy_to(
                source=copy.install_path, target=target, target_path=path
            )
    except StorageError as exc:
        delete_volume_data(runtime, pool=pool, path=path)
        raise ResourceUnavailable(
            f"Unable to create volume on storage pool {pool.name}: {exc}"
        ) from None
    return path


def delete_volume_data(runtime: Runtime, *, pool: StoragePool, path: str) -> None:
    """Remove a volume's data from a pool, ignoring what is already gone."""
    try:
        pool_driver(runtime, pool).delete(path=path)
    except StorageError:
        pass
