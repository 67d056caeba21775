"""Host filters: one small class each, registered by name (`deployment.planner.filters`).

A filter may narrow the candidate query in SQL (`narrow`) so huge zones are never loaded
whole, and then decides per host in Python (`passes`), where the exact rules live.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from sqlalchemy import Select, func, select

from native.model import Cluster, Host, Pod, SettingValue, Zone
from native.services import capacity
from native.services.planner.request import (
    HOST_AFFINITY,
    HOST_ANTI_AFFINITY,
    Candidate,
    PlanContext,
)
from native.services.stores import tag_set, zone_pools

HostQuery = Select[*tuple[Any, ...]]
"""The candidates' query: rows of `CANDIDATE_COLUMNS`, in that order."""

CANDIDATE_COLUMNS = (
    Host.id,
    Host.pod_id,
    Host.cluster_id,
    Host.status,
    Host.resource_state,
    Host.cpu_number,
    Host.cpu_speed,
    Host.memory_total,
    Host.cpu_used,
    Host.memory_used,
    Host.host_tags,
    Cluster.allocation_state,
    Pod.allocation_state,
    Zone.allocation_state,
)
"""The columns of a `Candidate`, in its fields' order."""

FILTERS: dict[str, type[HostFilter]] = {}
"""Every filter class by its setting name."""


class HostFilter(abc.ABC):
    """Decides whether a host may take the VM being placed."""

    name: ClassVar[str]

    def __init_subclass__(cls, *, name: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = name
        FILTERS[name] = cls

    def narrow(self, ctx: PlanContext, query: HostQuery) -> HostQuery:
        """The candidate query with what SQL can check of this filter added (default: as is)."""
        return query

    @abc.abstractmethod
    def passes(self, ctx: PlanContext, host: Candidate) -> bool:
        """Whether the host passes this filter."""


class EnabledFilter(HostFilter, name="enabled"):
    """Hosts that are Up and Enabled, in an Enabled cluster, pod and zone."""

    def narrow(self, ctx: PlanContext, query: HostQuery) -> HostQuery:
        return query.where(
            Host.status == "Up",
            Host.resource_state == "Enabled",
            Cluster.allocation_state == "Enabled",
            Pod.allocation_state == "Enabled",
            Zone.allocation_state == "Enabled",
        )

    def passes(self, ctx: PlanContext, host: Candidate) -> bool:
        return (
            host.status == "Up"
            and host.resource_state == "Enabled"
            and host.cluster_state == "Enabled"
            and host.pod_state == "Enabled"
            and host.zone_state == "Enabled"
        )


def _largest_factor(ctx: PlanContext, name: str) -> float:
    """The largest overprovisioning factor in force anywhere (globally or on any cluster)."""
    overrides = ctx.session.scalars(
        select(SettingValue.value).where(SettingValue.name == name, SettingValue.scope == "cluster")
    )
    return max(
        [
            float(ctx.settings.get(ctx.session, name)),
            *(float(v) for v in overrides if v is not None),
        ]
    )


class CapacityFilter(HostFilter, name="capacity"):
    """Hosts with the VM's CPU (MHz) and memory free, overprovisioning factors applied."""

    def narrow(self, ctx: PlanContext, query: HostQuery) -> HostQuery:
        cpu_factor = _largest_factor(ctx, "cpu.overprovisioning.factor")
        mem_factor = _largest_factor(ctx, "mem.overprovisioning.factor")
        memory = ctx.request.memory_mib * capacity.MIB
        return query.where(
            Host.cpu_used + ctx.request.cpu <= Host.cpu_number * Host.cpu_speed * cpu_factor,
            Host.memory_used + memory <= Host.memory_total * mem_factor,
        )

    def passes(self, ctx: PlanContext, host: Candidate) -> bool:
        limits = ctx.limits(host)
        memory = ctx.request.memory_mib * capacity.MIB
        return (
            host.cpu_used + ctx.request.cpu <= limits.cpu
            and host.memory_used + memory <= limits.memory
        )


class HostTagsFilter(HostFilter, name="hosttags"):
    """Hosts carrying every host tag of the offering."""

    def passes(self, ctx: PlanContext, host: Candidate) -> bool:
        return ctx.request.host_tags <= tag_set(host.host_tags)


class StorageTagsFilter(HostFilter, name="storagetags"):
    """Hosts that reach a primary storage pool with the offering's storage tags and room
    for the volumes still to be created."""

    def __init__(self) -> None:
        self._roomy: set[int | None] | None = None

    def passes(self, ctx: PlanContext, host: Candidate) -> bool:
        if ctx.request.volume_bytes == 0:
            return True
        if self._roomy is None:
            self._roomy = _scopes_with_room(ctx)
        return None in self._roomy or host.cluster_id in self._roomy


def _scopes_with_room(ctx: PlanContext) -> set[int | None]:
    """The cluster ids (None: zone-wide) of the zone's pools with the storage tags and room
    for the request's volume."""
    pools = zone_pools(ctx.session, zone_id=ctx.request.zone_id, tags=ctx.request.storage_tags)
    limits = capacity.pool_limits(ctx.session, ctx.settings, pools)
    return {
        pool.cluster_id
        for pool in pools
        if pool.used_bytes + ctx.request.volume_bytes <= limits[pool.id]
    }


class AffinityFilter(HostFilter, name="affinity"):
    """With a host-affinity group, only the host where its other members are placed."""

    def passes(self, ctx: PlanContext, host: Candidate) -> bool:
        hosts = ctx.member_hosts(HOST_AFFINITY)
        return not hosts or host.id in hosts


class AntiAffinityFilter(HostFilter, name="antiaffinity"):
    """With a host-anti-affinity group, never a host where another member is placed."""

    def passes(self, ctx: PlanContext, host: Candidate) -> bool:
        hosts = ctx.member_hosts(HOST_ANTI_AFFINITY)
        return not hosts or host.id not in hosts


def base_query(ctx: PlanContext) -> HostQuery:
    """The hosts any placement may consider: live routing hosts of the zone, narrowed by the
    request's pinned host or cluster, its hypervisor and the hosts to avoid; with their
    cluster's, pod's and zone's allocation states."""
    request = ctx.request
    query = (
        select(*CANDIDATE_COLUMNS)
        .join(Cluster, Cluster.id == Host.cluster_id)
        .join(Pod, Pod.id == Host.pod_id)
        .join(Zone, Zone.id == Host.zone_id)
    )
    query = query.where(
        Host.zone_id == request.zone_id,
        Host.removed.is_(None),
        Host.host_type == "Routing",
    )
    if request.host_id is not None:
        query = query.where(Host.id == request.host_id)
    if request.cluster_id is not None:
        query = query.where(Host.cluster_id == request.cluster_id)
    if request.hypervisor_type:
        query = query.where(func.lower(Host.hypervisor_type) == request.hypervisor_type.lower())
    if request.avoid_host_ids:
        query = query.where(Host.id.not_in(request.avoid_host_ids))
    return query
