"""Object storage pools: adding, changing and removing them, and reaching their drivers."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.drivers.objectstore import ObjectStore, ObjectStoreError, canonical_provider, open_store
from native.model import Bucket, ObjectStoragePool, utcnow
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceUnavailable
from native.services.limits import GIB
from native.services.periodic import PeriodicTask
from native.services.runtime import Runtime
from native.services.secrets import SecretBox

SECRET_DETAILS = frozenset({"secretkey"})
log = logging.getLogger(__name__)

DEFAULT_POOL_NAME = "Local object storage"


@dataclass(frozen=True, kw_only=True)
class NewPool:
    """What addObjectStoragePool asks for (`details` in clear; `size_gb` the declared
    capacity, or None to take what the store reports)."""

    name: str | None
    url: str
    provider: str
    details: dict[str, str]
    tags: str | None = None
    size_gb: int | None = None


def details_of(entries: list[dict[str, str]] | None) -> dict[str, str]:
    """The `details[i].key` / `details[i].value` map parameter as a dict; 431 if malformed."""
    details: dict[str, str] = {}
    for entry in entries or []:
        if "key" not in entry or "value" not in entry:
            raise InvalidParameterValue("Each details entry needs a key and a value")
        details[entry["key"].strip().lower()] = entry["value"]
    return details


def _sealed(secrets: SecretBox, details: dict[str, str]) -> str:
    return json.dumps(
        {
            key: secrets.seal(value) if key in SECRET_DETAILS else value
            for key, value in sorted(details.items())
        }
    )


def pool_details(runtime: Runtime, pool: ObjectStoragePool) -> dict[str, str]:
    """A pool's details with its secrets in clear."""
    stored: dict[str, str] = json.loads(pool.details or "{}")
    return {
        key: runtime.secrets.open(value) if key in SECRET_DETAILS else value
        for key, value in stored.items()
    }


def _open(runtime: Runtime, *, provider: str, url: str, details: dict[str, str]) -> ObjectStore:
    try:
        return open_store(provider=provider, url=url, details=details)
    except ObjectStoreError as exc:
        raise InvalidParameterValue(str(exc)) from None


def pool_store(runtime: Runtime, pool: ObjectStoragePool) -> ObjectStore:
    """The driver of a pool."""
    return _open(runtime, provider=pool.provider, url=pool.url, details=pool_details(runtime, pool))


def _reachable_capacity(store: ObjectStore, url: str) -> int | None:
    try:
        return store.stats().capacity
    except ObjectStoreError as exc:
        raise ResourceUnavailable(f"Object storage at {url} cannot be reached: {exc}") from None


def add_pool(session: Session, runtime: Runtime, *, new: NewPool) -> ObjectStoragePool:
    """Add a pool once its store answers (534 otherwise; 431 for an unknown provider, a URL
    that does not fit it, or missing details). The secret key is sealed at rest."""
    provider = canonical_provider(new.provider)
    if provider is None:
        raise InvalidParameterValue(
            f"Invalid object storage provider {new.provider}; supported: Local, MinIO, NFS"
        )
    if new.size_gb is not None and new.size_gb < 1:
        raise InvalidParameterValue("The size of an object storage pool must be at least 1 GiB")
    store = _open(runtime, provider=provider, url=new.url, details=new.details)
    capacity = _reachable_capacity(store, new.url)
    pool = ObjectStoragePool(
        name=(new.name or "").strip() or new.url,
        provider=provider,
        url=new.url.strip(),
        details=_sealed(runtime.secrets, new.details),
        tags=new.tags,
        total_size=capacity if new.size_gb is None else new.size_gb * GIB,
    )
    session.add(pool)
    session.flush()
    return pool


def update_pool(
    session: Session,
    runtime: Runtime,
    *,
    pool: ObjectStoragePool,
    name: str | None,
    url: str | None,
    details: dict[str, str],
    size_gb: int | None,
) -> ObjectStoragePool:
    """Rename a pool, or point it elsewhere (`details` entries replace those of the same key).
    A new URL or details must reach the store (534 otherwise)."""
    if name is not None and name.strip():
        pool.name = name.strip()
    if size_gb is not None:
        if size_gb < 1:
            raise InvalidParameterValue("The size of an object storage pool must be at least 1 GiB")
        pool.total_size = size_gb * GIB
    if url is not None or details:
        merged = {**pool_details(runtime, pool), **details}
        target = pool.url if url is None else url.strip()
        store = _open(runtime, provider=pool.provider, url=target, details=merged)
        _reachable_capacity(store, target)
        pool.url = target
        pool.details = _sealed(runtime.secrets, merged)
    session.flush()
    return pool


def live_buckets(session: Session, *, pool: ObjectStoragePool) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Bucket)
            .where(Bucket.pool_id == pool.id, Bucket.removed.is_(None))
        )
        or 0
    )


def pool_usage(session: Session, *, pool: ObjectStoragePool) -> int:
    """The bytes stored in the pool's live buckets."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Bucket.size), 0)).where(
                Bucket.pool_id == pool.id, Bucket.removed.is_(None)
            )
        )
        or 0
    )


def delete_pool(session: Session, *, pool: ObjectStoragePool) -> None:
    """Remove a pool; 536 while it holds buckets."""
    if live_buckets(session, pool=pool):
        raise ResourceInUse(
            f"Cannot delete object storage {pool.name}: it still has buckets; delete them first"
        )
    pool.removed = utcnow()
    session.flush()


def default_pool(session: Session) -> ObjectStoragePool | None:
    """The pool new buckets go to when none is named: the oldest live pool."""
    return session.scalars(
        select(ObjectStoragePool)
        .where(ObjectStoragePool.removed.is_(None), ObjectStoragePool.state == "Up")
        .order_by(ObjectStoragePool.id)
    ).first()


def ensure_default_pool(session: Session, *, root: Path) -> ObjectStoragePool | None:
    """On first start, a Local pool in `root` (the data directory's `objectstore`), made if
    there is no live pool at all. Safe on every start; returns the pool it made, else None."""
    if session.scalars(
        select(ObjectStoragePool.id).where(ObjectStoragePool.removed.is_(None))
    ).first():
        return None
    root.mkdir(parents=True, exist_ok=True)
    pool = ObjectStoragePool(
        name=DEFAULT_POOL_NAME,
        provider="Local",
        url=root.resolve().as_uri(),
        details="{}",
    )
    session.add(pool)
    session.flush()
    return pool


SCRATCH_AGE = 3600.0
"""Seconds after which a write's scratch data is taken as abandoned (and how often the
sweep runs)."""


def sweep_scratch(runtime: Runtime) -> None:
    """Remove the scratch data of interrupted writes from every live pool (one pool's
    failure is logged; the others are still swept)."""
    with runtime.db.session(write=False) as session:
        pools = list(
            session.scalars(select(ObjectStoragePool).where(ObjectStoragePool.removed.is_(None)))
        )
    for pool in pools:
        try:
            removed = pool_store(runtime, pool).sweep_scratch(older_than=SCRATCH_AGE)
        except ObjectStoreError as exc:
            log.warning("cannot sweep scratch data of pool %s: %s", pool.name, exc)
            continue
        if removed:
            log.info("removed %d abandoned scratch file(s) from pool %s", removed, pool.name)


SCRATCH_TASK = PeriodicTask(
    name="objectstore.scratch", interval=lambda runtime: SCRATCH_AGE, run=sweep_scratch
)
