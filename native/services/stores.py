"""Reaching the stores of a zone: primary storage pools and image stores, through drivers."""

from __future__ import annotations

import json
import posixpath

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DiskSpec, HostAccess
from native.drivers.storage.base import StorageDriver
from native.model import Host, ImageStore, StoragePool, Volume
from native.services.host_access import host_access
from native.services.runtime import Runtime

SECRET_DETAILS = frozenset({"secretkey"})
KVM = "KVM"


def pool_driver(runtime: Runtime, pool: StoragePool) -> StorageDriver:
    """The driver of a primary storage pool. A directory pool (`file://`) of KVM hosts is
    worked on through the libvirt of an Up host that reaches it (`reaching_host`), as
    CloudStack works on KVM pools through a host's agent; with no such host, and for every
    other pool, the management server reaches the store by its URL itself. NFS pools are
    reached in user space (`NfsStore`) rather than as libvirt `netfs` pools, which need a
    kernel NFS client on the host."""
    if pool.hypervisor_type == KVM and pool.url.startswith("file://"):
        host = reaching_host(runtime, pool=pool)
        driver = None if host is None else runtime.drivers.host_pool(host=host, root=pool.path)
        if driver is not None:
            return driver
    return runtime.drivers.storage(pool.url)


def reaching_host(runtime: Runtime, *, pool: StoragePool) -> HostAccess | None:
    """The first Up KVM host of the pool's cluster (of its zone for a zone-wide pool), read
    in a transaction of its own."""
    scope = Host.cluster_id == pool.cluster_id if pool.cluster_id else Host.zone_id == pool.zone_id
    with runtime.db.session(write=False) as session:
        host = session.scalars(
            select(Host)
            .where(
                Host.removed.is_(None),
                Host.hypervisor_type == KVM,
                Host.status == "Up",
                scope,
            )
            .order_by(Host.id)
            .limit(1)
        ).first()
        return None if host is None else host_access(runtime, host)


def volume_disk(pool: StoragePool, volume: Volume) -> DiskSpec:
    """The disk a host sees for a Ready volume on `pool`: a file below the pool's path, on
    the pool's NFS server for an NFS pool."""
    assert volume.path is not None
    return DiskSpec(
        volume_uuid=volume.uuid,
        path=posixpath.join(pool.path, volume.path),
        device_id=volume.device_id or 0,
        size=volume.size,
        format=volume.format,
        nfs_server=pool.host_address if pool.url.startswith("nfs://") else None,
    )


def store_details(runtime: Runtime, store: ImageStore) -> dict[str, str]:
    """An image store's details with its secrets decrypted."""
    details: dict[str, str] = json.loads(store.details or "{}")
    return {
        key: runtime.secrets.open(value) if key in SECRET_DETAILS else value
        for key, value in details.items()
    }


def image_store_driver(runtime: Runtime, store: ImageStore) -> StorageDriver:
    """The driver of an image store (secondary storage)."""
    return runtime.drivers.storage(store.url, details=store_details(runtime, store))


def zone_image_stores(session: Session, *, zone_id: int) -> list[ImageStore]:
    """The writable image stores serving a zone: its own, then region-wide ones, oldest first."""
    return list(
        session.scalars(
            select(ImageStore)
            .where(
                ImageStore.removed.is_(None),
                ImageStore.readonly.is_(False),
                or_(ImageStore.zone_id == zone_id, ImageStore.zone_id.is_(None)),
            )
            .order_by(ImageStore.zone_id.is_(None), ImageStore.id)
        )
    )


def tag_set(tags: str | None) -> frozenset[str]:
    """A comma-separated tag column as a set of trimmed, non-empty tags."""
    return frozenset(tag.strip() for tag in (tags or "").split(",") if tag.strip())


def zone_pools(session: Session, *, zone_id: int, tags: frozenset[str]) -> list[StoragePool]:
    """Up pools of the zone, of any scope, that carry every tag asked for, in id order."""
    pools = session.scalars(
        select(StoragePool)
        .where(
            StoragePool.removed.is_(None),
            StoragePool.zone_id == zone_id,
            StoragePool.status == "Up",
        )
        .order_by(StoragePool.id)
    )
    return [pool for pool in pools if tags <= tag_set(pool.tags)]


def candidate_pools(
    session: Session, *, zone_id: int, cluster_id: int | None, tags: frozenset[str]
) -> list[StoragePool]:
    """Up pools of the zone usable from the cluster (zone-wide, or that cluster's) that carry
    every tag asked for, in id order. With no cluster, zone-wide pools only."""
    return [
        pool
        for pool in zone_pools(session, zone_id=zone_id, tags=tags)
        if pool.cluster_id in (None, cluster_id)
    ]
