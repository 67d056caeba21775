"""The capacity report (`listCapacity`): totals and use of each kind of capacity, per zone,
pod or cluster, aggregated in SQL.

Each capacity type comes from a registered source. A source returns figures at the finest
level it knows (a cluster's CPU, a pod's private IPs, a zone's secondary storage); the
report sums them to the level asked for and leaves out figures coarser than it. Other
areas add their own kinds with `register_capacity_source` (public IPs:
`network.public_ip_capacity`).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    and_,
    cast,
    false,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import Executable

from native.drivers.storage.base import StorageError
from native.model import Host, ImageStore, Pod, SettingValue, StoragePool
from native.services.infrastructure.pods import range_size
from native.services.runtime import Runtime
from native.services.stores import image_store_driver


class CapacityType(enum.IntEnum):
    """CloudStack's capacity type numbers (`Capacity.CAPACITY_TYPE_*`)."""

    MEMORY = 0
    CPU = 1
    STORAGE = 2
    STORAGE_ALLOCATED = 3
    VIRTUAL_NETWORK_PUBLIC_IP = 4
    PRIVATE_IP = 5
    SECONDARY_STORAGE = 6


class Level(enum.IntEnum):
    """How finely the report groups figures."""

    ZONE = 0
    POD = 1
    CLUSTER = 2


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Which part of the cloud the report covers (None: no restriction)."""

    zone_id: int | None = None
    pod_id: int | None = None
    cluster_id: int | None = None

    def clause(
        self,
        zone: InstrumentedAttribute[Any],
        pod: InstrumentedAttribute[Any] | None = None,
        cluster: InstrumentedAttribute[Any] | None = None,
    ) -> ColumnElement[bool]:
        """The scope as a condition on a table's zone, pod and cluster columns."""
        conditions: list[ColumnElement[bool]] = []
        for wanted, column in (
            (self.zone_id, zone),
            (self.pod_id, pod),
            (self.cluster_id, cluster),
        ):
            if wanted is not None:
                conditions.append(column == wanted if column is not None else false())
        return and_(true(), *conditions)


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One capacity figure: its type, where it is (pod and cluster None when zone-wide),
    its total and what is used of it (bytes, MHz or addresses)."""

    capacity_type: CapacityType
    zone_id: int
    pod_id: int | None
    cluster_id: int | None
    total: int
    used: int

    @property
    def percent(self) -> float:
        return 0.0 if self.total <= 0 else self.used * 100.0 / self.total


CapacitySource = Callable[[Session, Runtime, Scope], Iterable[Figure]]
"""Computes one capacity type's figures within a scope (aggregating in SQL)."""

_SOURCES: dict[CapacityType, CapacitySource] = {}


def register_capacity_source(capacity_type: CapacityType, source: CapacitySource) -> None:
    """Make `source` the provider of `capacity_type` figures (replacing any earlier one)."""
    _SOURCES[capacity_type] = source


def registered_types() -> list[CapacityType]:
    """The capacity types the report can show, in number order."""
    return sorted(_SOURCES)


def capacity_report(
    session: Session,
    runtime: Runtime,
    *,
    scope: Scope,
    level: Level,
    types: Sequence[CapacityType] | None = None,
) -> list[Figure]:
    """The figures of the asked types within `scope`, summed to `level`, ordered by zone,
    pod, cluster and type."""
    sums: dict[tuple[CapacityType, int, int | None, int | None], list[int]] = defaultdict(
        lambda: [0, 0]
    )
    for capacity_type in registered_types():
        if types is not None and capacity_type not in types:
            continue
        for figure in _SOURCES[capacity_type](session, runtime, scope):
            if level >= Level.POD and figure.pod_id is None:
                continue
            if level >= Level.CLUSTER and figure.cluster_id is None:
                continue
            key = (
                capacity_type,
                figure.zone_id,
                figure.pod_id if level >= Level.POD else None,
                figure.cluster_id if level >= Level.CLUSTER else None,
            )
            sums[key][0] += figure.total
            sums[key][1] += figure.used
    figures = [
        Figure(capacity_type=t, zone_id=z, pod_id=p, cluster_id=c, total=total, used=used)
        for (t, z, p, c), (total, used) in sums.items()
    ]
    return sorted(
        figures, key=lambda f: (f.zone_id, f.pod_id or 0, f.cluster_id or 0, f.capacity_type)
    )


def _factor(
    session: Session,
    runtime: Runtime,
    name: str,
    scope: str,
    scope_id: ColumnElement[int] | InstrumentedAttribute[int],
) -> tuple[ColumnElement[bool], ColumnElement[Decimal]]:
    """The join condition on a setting's stored value at `scope`, and the factor in force
    (that value, else the global one) as a SQL expression."""
    fallback = str(runtime.settings.get(session, name))
    joined = and_(
        SettingValue.name == name, SettingValue.scope == scope, SettingValue.scope_id == scope_id
    )
    return joined, cast(func.coalesce(SettingValue.value, literal(fallback)), Numeric(20, 6))


def _host_figures(
    session: Session, runtime: Runtime, scope: Scope, *, capacity_type: CapacityType
) -> Iterable[Figure]:
    total: ColumnElement[int] | InstrumentedAttribute[int]
    if capacity_type is CapacityType.CPU:
        setting, total, used = (
            "cpu.overprovisioning.factor",
            Host.cpu_number * Host.cpu_speed,
            Host.cpu_used,
        )
    else:
        setting, total, used = "mem.overprovisioning.factor", Host.memory_total, Host.memory_used
    joined, factor = _factor(session, runtime, setting, "cluster", Host.cluster_id)
    query = (
        select(Host.zone_id, Host.pod_id, Host.cluster_id, func.sum(total * factor), func.sum(used))
        .outerjoin(SettingValue, joined)
        .where(
            Host.removed.is_(None),
            Host.host_type == "Routing",
            scope.clause(Host.zone_id, Host.pod_id, Host.cluster_id),
        )
        .group_by(Host.zone_id, Host.pod_id, Host.cluster_id)
    )
    return _figures(session, query, capacity_type)


def _figures(session: Session, query: Executable, capacity_type: CapacityType) -> list[Figure]:
    rows: Sequence[Any] = session.execute(query).all()
    return [
        Figure(
            capacity_type=capacity_type,
            zone_id=zone_id,
            pod_id=pod_id,
            cluster_id=cluster_id,
            total=int(total or 0),
            used=int(used or 0),
        )
        for zone_id, pod_id, cluster_id, total, used in rows
    ]


def _storage_figures(
    session: Session, runtime: Runtime, scope: Scope, *, allocated: bool
) -> Iterable[Figure]:
    """Primary storage: its size (STORAGE) or its size overprovisioned (STORAGE_ALLOCATED),
    against the bytes allocated to volumes."""
    joined, factor = _factor(
        session, runtime, "storage.overprovisioning.factor", "storagepool", StoragePool.id
    )
    total = StoragePool.capacity_bytes * factor if allocated else StoragePool.capacity_bytes
    query = (
        select(
            StoragePool.zone_id,
            StoragePool.pod_id,
            StoragePool.cluster_id,
            func.sum(total),
            func.sum(StoragePool.used_bytes),
        )
        .outerjoin(SettingValue, joined)
        .where(
            StoragePool.removed.is_(None),
            scope.clause(StoragePool.zone_id, StoragePool.pod_id, StoragePool.cluster_id),
        )
        .group_by(StoragePool.zone_id, StoragePool.pod_id, StoragePool.cluster_id)
    )
    kind = CapacityType.STORAGE_ALLOCATED if allocated else CapacityType.STORAGE
    return _figures(session, query, kind)


def _private_ip_figures(session: Session, runtime: Runtime, scope: Scope) -> Iterable[Figure]:
    """Each pod's management range against the addresses its live hosts hold."""
    if scope.cluster_id is not None:
        return []
    counts = session.execute(
        select(Host.pod_id, func.count())
        .where(
            Host.removed.is_(None),
            Host.private_ip.is_not(None),
            scope.clause(Host.zone_id, Host.pod_id),
        )
        .group_by(Host.pod_id)
    ).all()
    held = {pod_id: int(count) for pod_id, count in counts}
    pods = session.scalars(
        select(Pod).where(Pod.removed.is_(None), scope.clause(Pod.zone_id, Pod.id))
    )
    return [
        Figure(
            capacity_type=CapacityType.PRIVATE_IP,
            zone_id=pod.zone_id,
            pod_id=pod.id,
            cluster_id=None,
            total=range_size(pod),
            used=held.get(pod.id, 0),
        )
        for pod in pods
    ]


def _secondary_figures(session: Session, runtime: Runtime, scope: Scope) -> Iterable[Figure]:
    """Each zone's image stores as their drivers report them (the last known figures when
    a store does not answer)."""
    if scope.pod_id is not None or scope.cluster_id is not None:
        return []
    stores = session.scalars(
        select(ImageStore).where(
            ImageStore.removed.is_(None),
            ImageStore.zone_id.is_not(None),
            scope.clause(ImageStore.zone_id),
        )
    )
    figures = []
    for store in stores:
        assert store.zone_id is not None
        try:
            stats = image_store_driver(runtime, store).stats()
            total, used = stats.capacity, stats.used
        except StorageError:
            total, used = store.capacity_bytes, store.used_bytes
        figures.append(
            Figure(
                capacity_type=CapacityType.SECONDARY_STORAGE,
                zone_id=store.zone_id,
                pod_id=None,
                cluster_id=None,
                total=total,
                used=used,
            )
        )
    return figures


register_capacity_source(
    CapacityType.MEMORY,
    lambda session, runtime, scope: _host_figures(
        session, runtime, scope, capacity_type=CapacityType.MEMORY
    ),
)
register_capacity_source(
    CapacityType.CPU,
    lambda session, runtime, scope: _host_figures(
        session, runtime, scope, capacity_type=CapacityType.CPU
    ),
)
register_capacity_source(
    CapacityType.STORAGE,
    lambda session, runtime, scope: _storage_figures(session, runtime, scope, allocated=False),
)
register_capacity_source(
    CapacityType.STORAGE_ALLOCATED,
    lambda session, runtime, scope: _storage_figures(session, runtime, scope, allocated=True),
)
register_capacity_source(CapacityType.PRIVATE_IP, _private_ip_figures)
register_capacity_source(CapacityType.SECONDARY_STORAGE, _secondary_figures)
