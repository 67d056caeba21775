"""Primary storage pools: zone- or cluster-wide, on a local path or an NFS export."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.storage.base import StorageError, StoreStats
from native.model import Cluster, Pod, StoragePool, Volume, Zone
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceUnavailable
from native.services.infrastructure.common import check_name_free, nonblank, soft_delete
from native.services.infrastructure.hosts import normalise_tags
from native.services.runtime import Runtime
from native.services.steps import Steps
from native.services.stores import pool_driver

POOL_TYPES = {"file": "Filesystem", "nfs": "NetworkFilesystem"}
"""Primary storage URL schemes and the pool type each gives."""

PROVIDERS = ("DefaultPrimary",)
SCOPES = ("ZONE", "CLUSTER")
GONE_VOLUME_STATES = frozenset({"Destroy", "Expunging", "Expunged"})


@dataclass(frozen=True, kw_only=True)
class PoolLocation:
    """Where a pool is: its URL's type, server address and path."""

    pool_type: str
    host_address: str | None
    path: str

    @classmethod
    def parse(cls, url: str) -> PoolLocation:
        """`file:///absolute/path` or `nfs://server/export`; 431 for anything else."""
        parts = urlsplit(url.strip())
        pool_type = POOL_TYPES.get(parts.scheme)
        if pool_type is None:
            raise InvalidParameterValue(
                f"Invalid primary storage URL {url!r}: use file:///path or nfs://server/export"
            )
        if parts.scheme == "file" and parts.netloc not in ("", "localhost"):
            raise InvalidParameterValue(
                f"Invalid primary storage URL {url!r}: a file:// URL needs an absolute path"
            )
        if parts.scheme == "nfs" and not parts.hostname:
            raise InvalidParameterValue(f"Invalid NFS URL {url!r}: use nfs://server/export")
        if not parts.path.startswith("/"):
            raise InvalidParameterValue(f"Invalid primary storage URL {url!r}: no absolute path")
        address = parts.hostname if parts.scheme == "nfs" else "localhost"
        return cls(pool_type=pool_type, host_address=address, path=parts.path)


@dataclass(frozen=True, kw_only=True)
class NewPool:
    """What createStoragePool was given (zone, pod and cluster come separately)."""

    name: str
    url: str
    scope: str | None = None
    tags: str | None = None
    capacity_bytes: int | None = None
    hypervisor: str | None = None
    provider: str | None = None


def _scope(new: NewPool, cluster: Cluster | None) -> str:
    scope = (new.scope or ("CLUSTER" if cluster is not None else "ZONE")).upper()
    if scope not in SCOPES:
        raise InvalidParameterValue(f"Invalid scope {new.scope!r}: use ZONE or CLUSTER")
    if scope == "CLUSTER" and cluster is None:
        raise InvalidParameterValue("A cluster-wide primary storage needs clusterid")
    return scope


def _provider(text: str | None) -> str:
    for known in PROVIDERS:
        if text is None or text.lower() == known.lower():
            return known
    raise InvalidParameterValue(
        f"Invalid storage provider {text!r}: supported providers are {', '.join(PROVIDERS)}"
    )


def pool_stats(runtime: Runtime, pool: StoragePool) -> StoreStats:
    """What a new pool's store reports through the pool's driver (`stores.pool_driver`:
    for a directory pool of KVM hosts, one of the hosts); 534 if it cannot be reached or
    used."""
    try:
        return pool_driver(runtime, pool).stats()
    except StorageError as error:
        raise ResourceUnavailable(f"Storage at {pool.url} is not usable: {error}") from None


def create_pool(
    session: Session,
    runtime: Runtime,
    *,
    zone: Zone,
    pod: Pod | None,
    cluster: Cluster | None,
    new: NewPool,
    hypervisor_types: list[str],
) -> StoragePool:
    """Check the store through its driver and record the pool, Up.

    Its capacity is `new.capacity_bytes`, else what the store reports. The driver call
    runs with no transaction open. 431 for bad input (scheme, scope, a pod or cluster not
    of the zone, a taken name), 534 when the store cannot be reached (an NFS export that
    will not mount); no row is left on failure.
    """
    name = nonblank(new.name, what="storage pool name")
    location = PoolLocation.parse(new.url)
    scope = _scope(new, cluster)
    if cluster is not None and cluster.zone_id != zone.id:
        raise InvalidParameterValue(f"Cluster {cluster.name} is not in zone {zone.name}")
    if pod is not None and (pod.zone_id != zone.id or (cluster and cluster.pod_id != pod.id)):
        raise InvalidParameterValue(f"Pod {pod.name} does not hold the cluster or zone given")
    if new.capacity_bytes is not None and new.capacity_bytes < 1:
        raise InvalidParameterValue("Invalid capacitybytes: it must be positive")
    hypervisor = _hypervisor(new.hypervisor, cluster, hypervisor_types)
    provider = _provider(new.provider)
    check_name_free(session, StoragePool, name, StoragePool.zone_id == zone.id, what="storage pool")
    url = new.url.strip()
    with Steps(session) as steps:
        steps.commit()
        pool = StoragePool(
            name=name,
            zone_id=zone.id,
            pod_id=cluster.pod_id if scope == "CLUSTER" and cluster else None,
            cluster_id=cluster.id if scope == "CLUSTER" and cluster else None,
            scope=scope,
            url=url,
            pool_type=location.pool_type,
            host_address=location.host_address,
            path=location.path,
            provider=provider,
            hypervisor_type=hypervisor,
            capacity_bytes=new.capacity_bytes or 0,
            status="Up",
            tags=normalise_tags(new.tags),
        )
        stats = pool_stats(runtime, pool)
        pool.capacity_bytes = new.capacity_bytes or stats.capacity
        session.add(pool)
        session.flush()
    return pool


def _hypervisor(text: str | None, cluster: Cluster | None, known: list[str]) -> str | None:
    if text is None:
        return None if cluster is None else cluster.hypervisor_type
    for name in (*known, "Any"):
        if name.lower() == text.strip().lower():
            return name
    raise InvalidParameterValue(
        f"Invalid hypervisor type {text!r}: supported types are {', '.join(known)} or Any"
    )


def update_pool(
    session: Session,
    *,
    pool: StoragePool,
    name: str | None,
    tags: str | None,
    capacity_bytes: int | None,
    enabled: bool | None,
) -> StoragePool:
    """Rename a pool, replace its tags, change its capacity, or enable/disable it.

    The capacity may not go below what volumes already use (431). A disabled pool takes
    no new volumes.
    """
    if name is not None:
        name = nonblank(name, what="storage pool name")
        check_name_free(
            session,
            StoragePool,
            name,
            StoragePool.zone_id == pool.zone_id,
            what="storage pool",
            exclude_id=pool.id,
        )
        pool.name = name
    if tags is not None:
        pool.tags = normalise_tags(tags)
    if capacity_bytes is not None:
        if capacity_bytes < max(pool.used_bytes, 1):
            raise InvalidParameterValue(
                f"Invalid capacitybytes {capacity_bytes}: the pool already has "
                f"{pool.used_bytes} bytes allocated"
            )
        pool.capacity_bytes = capacity_bytes
    if enabled is not None:
        pool.status = "Up" if enabled else "Disabled"
    session.flush()
    return pool


def delete_pool(session: Session, *, pool: StoragePool, forced: bool) -> None:
    """Remove a pool. 536 while it holds volumes; `forced` ignores destroyed ones."""
    query = select(Volume.state).where(Volume.pool_id == pool.id, Volume.removed.is_(None))
    states = set(session.scalars(query))
    if forced:
        states -= GONE_VOLUME_STATES
    if states:
        raise ResourceInUse(
            f"Cannot delete storage pool {pool.name}: it still holds volumes"
            + ("" if forced else "; destroy them first, or use forced=true for destroyed ones")
        )
    soft_delete(pool)
    session.flush()
