"""What a placement asks for, and the per-plan context filters and weighers share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import AffinityGroup, AffinityGroupVm, VirtualMachine
from native.services import capacity
from native.services.settings import Settings

HOST_AFFINITY = "host affinity"
HOST_ANTI_AFFINITY = "host anti-affinity"


@dataclass(frozen=True, kw_only=True)
class PlacementRequest:
    """A VM to place: its size, tags, owner and where it may or must go.

    `cpu` is the total MHz (vCPUs times speed) and `memory_mib` the memory to reserve;
    `volume_bytes` the size of the largest volume still to be created on primary storage
    (0 when every volume exists). `host_id` pins one host, `cluster_id` one cluster
    (volumes already on a cluster-scoped pool); `avoid_host_ids` are never chosen.
    """

    zone_id: int
    account_id: int
    vm_id: int | None
    cpu: int
    memory_mib: int
    host_tags: frozenset[str] = frozenset()
    storage_tags: frozenset[str] = frozenset()
    volume_bytes: int = 0
    hypervisor_type: str | None = None
    host_id: int | None = None
    cluster_id: int | None = None
    avoid_host_ids: frozenset[int] = frozenset()


class Candidate(NamedTuple):
    """What filters, weighers and planners read of a host that may take the VM: its own
    columns, and the allocation states of its cluster, pod and zone (one row of
    `filters.base_query`; no ORM object, as a large zone has thousands of candidates)."""

    id: int
    pod_id: int
    cluster_id: int
    status: str
    resource_state: str
    cpu_number: int
    cpu_speed: int
    memory_total: int
    cpu_used: int
    memory_used: int
    host_tags: str | None
    cluster_state: str
    pod_state: str
    zone_state: str


@dataclass(kw_only=True)
class PlanContext:
    """One planning round: the request, the database and what filters computed once."""

    session: Session
    settings: Settings
    request: PlacementRequest
    _limits: dict[int, capacity.HostLimits] = field(default_factory=dict)
    _factors: capacity.FactorMemo = field(default_factory=dict)
    _group_hosts: dict[str, frozenset[int] | None] = field(default_factory=dict)

    def read_factors(self, hosts: Sequence[Candidate]) -> None:
        """Read the overprovisioning factors of the hosts' clusters at once, for `limits`."""
        self._factors.update(
            capacity.cluster_factors(
                self.session, self.settings, cluster_ids={host.cluster_id for host in hosts}
            )
        )

    def limits(self, host: Candidate) -> capacity.HostLimits:
        """The host's allocatable CPU and memory (its cluster's overprovisioning applied)."""
        if host.id not in self._limits:
            self._limits[host.id] = capacity.host_limits(
                self.session, self.settings, host, memo=self._factors
            )
        return self._limits[host.id]

    def member_hosts(self, group_type: str) -> frozenset[int] | None:
        """Hosts where the other members of the VM's groups of `group_type` are placed;
        None when the VM is in no such group."""
        if self.request.vm_id is None:
            return None
        if group_type not in self._group_hosts:
            groups = (
                select(AffinityGroupVm.group_id)
                .join(AffinityGroup, AffinityGroup.id == AffinityGroupVm.group_id)
                .where(
                    AffinityGroupVm.vm_id == self.request.vm_id,
                    AffinityGroup.group_type == group_type,
                    AffinityGroup.removed.is_(None),
                )
            )
            if self.session.scalar(groups.limit(1)) is None:
                self._group_hosts[group_type] = None
                return None
            hosts = self.session.scalars(
                select(VirtualMachine.host_id)
                .join(AffinityGroupVm, AffinityGroupVm.vm_id == VirtualMachine.id)
                .where(
                    AffinityGroupVm.group_id.in_(groups),
                    VirtualMachine.id != self.request.vm_id,
                    VirtualMachine.host_id.is_not(None),
                    VirtualMachine.removed.is_(None),
                )
                .distinct()
            )
            self._group_hosts[group_type] = frozenset(h for h in hosts if h is not None)
        return self._group_hosts[group_type]
