"""Allocated capacity of hosts and storage pools, changed only by conditional updates.

`UPDATE host SET cpu_used = cpu_used + :cpu WHERE id = :id AND cpu_used + :cpu <= :limit`
is atomic on SQLite and MariaDB alike, so two deploys racing for the last slot cannot both
win whatever their isolation: exactly one update matches.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, case, update
from sqlalchemy.orm import Session

from native.model import Host, StoragePool
from native.services.settings import Settings

MIB = 1024 * 1024
CPU_FACTOR = "cpu.overprovisioning.factor"
MEMORY_FACTOR = "mem.overprovisioning.factor"
STORAGE_FACTOR = "storage.overprovisioning.factor"


@dataclass(frozen=True, kw_only=True)
class HostLimits:
    """The allocatable CPU (MHz) and memory (bytes) of a host, overprovisioning applied."""

    cpu: int
    memory: int


FactorMemo = dict[int, tuple[float, float]]
"""CPU and memory overprovisioning factors by cluster id, as `host_limits` read them."""


class HostSize(Protocol):
    """What the limits of a host are made of (a Host, or a planner's candidate row)."""

    @property
    def cluster_id(self) -> int: ...
    @property
    def cpu_number(self) -> int: ...
    @property
    def cpu_speed(self) -> int: ...
    @property
    def memory_total(self) -> int: ...


def host_limits(
    session: Session, settings: Settings, host: HostSize, *, memo: FactorMemo | None = None
) -> HostLimits:
    """Total CPU and memory times the cluster's overprovisioning factors. With `memo`,
    the factors of a cluster are read once for all its hosts (a plan, a page of hosts)."""
    if memo is not None and host.cluster_id in memo:
        cpu_factor, mem_factor = memo[host.cluster_id]
    else:
        cpu_factor = float(settings.get(session, CPU_FACTOR, cluster_id=host.cluster_id))
        mem_factor = float(settings.get(session, MEMORY_FACTOR, cluster_id=host.cluster_id))
        if memo is not None:
            memo[host.cluster_id] = (cpu_factor, mem_factor)
    return HostLimits(
        cpu=int(host.cpu_number * host.cpu_speed * cpu_factor),
        memory=int(host.memory_total * mem_factor),
    )


def cluster_factors(
    session: Session, settings: Settings, *, cluster_ids: Collection[int]
) -> FactorMemo:
    """The CPU and memory overprovisioning factors of each cluster (its own, else the global
    ones), read in one query per factor: a memo for `host_limits` over many clusters."""
    factors = []
    for name in (CPU_FACTOR, MEMORY_FACTOR):
        own = settings.scoped_values(session, name, scope="cluster", scope_ids=cluster_ids)
        default = float(settings.get(session, name))
        factors.append(
            {cluster_id: float(own.get(cluster_id, default)) for cluster_id in cluster_ids}
        )
    cpu, memory = factors
    return {cluster_id: (cpu[cluster_id], memory[cluster_id]) for cluster_id in cluster_ids}


def pool_limits(
    session: Session, settings: Settings, pools: Sequence[StoragePool]
) -> dict[int, int]:
    """`pool_limit` of each pool by id, the pools' own factors read in one query."""
    own = settings.scoped_values(
        session, STORAGE_FACTOR, scope="storagepool", scope_ids=[pool.id for pool in pools]
    )
    default = float(settings.get(session, STORAGE_FACTOR))
    return {pool.id: int(pool.capacity_bytes * float(own.get(pool.id, default))) for pool in pools}


def pool_limit(session: Session, settings: Settings, pool: StoragePool) -> int:
    """The allocatable bytes of a pool, overprovisioning applied."""
    factor = float(settings.get(session, STORAGE_FACTOR, storagepool_id=pool.id))
    return int(pool.capacity_bytes * factor)


def reserve_host(
    session: Session, settings: Settings, *, host: Host, cpu: int, memory_mib: int
) -> bool:
    """Allocate `cpu` MHz and `memory_mib` MiB on the host if both fit; whether it did."""
    limits = host_limits(session, settings, host)
    memory = memory_mib * MIB
    result = session.execute(
        update(Host)
        .where(
            Host.id == host.id,
            Host.cpu_used + cpu <= limits.cpu,
            Host.memory_used + memory <= limits.memory,
        )
        .values(cpu_used=Host.cpu_used + cpu, memory_used=Host.memory_used + memory)
        .execution_options(synchronize_session=False)
    )
    reserved = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    if reserved:
        session.refresh(host, ["cpu_used", "memory_used"])
    return reserved


def release_host(session: Session, *, host_id: int, cpu: int, memory_mib: int) -> None:
    """Give back what `reserve_host` allocated (never below zero)."""
    memory = memory_mib * MIB
    session.execute(
        update(Host)
        .where(Host.id == host_id)
        .values(
            cpu_used=_not_below_zero(Host.cpu_used - cpu),
            memory_used=_not_below_zero(Host.memory_used - memory),
        )
        .execution_options(synchronize_session=False)
    )


def reserve_pool(session: Session, settings: Settings, *, pool: StoragePool, size: int) -> bool:
    """Allocate `size` bytes on the pool if they fit; whether it did."""
    limit = pool_limit(session, settings, pool)
    result = session.execute(
        update(StoragePool)
        .where(StoragePool.id == pool.id, StoragePool.used_bytes + size <= limit)
        .values(used_bytes=StoragePool.used_bytes + size)
        .execution_options(synchronize_session=False)
    )
    reserved = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    if reserved:
        session.refresh(pool, ["used_bytes"])
    return reserved


def release_pool(session: Session, *, pool_id: int, size: int) -> None:
    """Give back what `reserve_pool` allocated (never below zero)."""
    session.execute(
        update(StoragePool)
        .where(StoragePool.id == pool_id)
        .values(used_bytes=_not_below_zero(StoragePool.used_bytes - size))
        .execution_options(synchronize_session=False)
    )


def _not_below_zero(expression: ColumnElement[int]) -> ColumnElement[int]:
    return case((expression < 0, 0), else_=expression)
