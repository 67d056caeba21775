"""Where a running VM could be live-migrated to (CloudStack's findHostsForMigration)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.model import Host, VirtualMachine
from native.services import planner
from native.services.errors import InsufficientCapacity, InvalidParameterValue
from native.services.runtime import Runtime
from native.services.vm_orchestrator import placement_request
from native.services.vm_states import VmState


@dataclass(frozen=True, kw_only=True)
class MigrationTargets:
    """The other hosts of the VM's zone and hypervisor (`hosts`, a query to page), the ids
    of those the planner would take it to now (`suitable`: room, tags, state), and the
    cluster its cluster-scoped volumes tie it to (`tied_cluster_id`; a host elsewhere would
    need its storage moved)."""

    hosts: Select[Host]
    suitable: frozenset[int]
    tied_cluster_id: int | None

    def requires_storage_motion(self, host: Host) -> bool:
        """Whether the VM's volumes would have to move for it to run on `host`."""
        return self.tied_cluster_id is not None and host.cluster_id != self.tied_cluster_id


def migration_targets(
    session: Session, runtime: Runtime, *, vm: VirtualMachine
) -> MigrationTargets:
    """The hosts a Running VM could move to; 431 for a VM that is not Running."""
    source = None if vm.host_id is None else session.get(Host, vm.host_id)
    if vm.state != VmState.RUNNING or source is None:
        raise InvalidParameterValue(
            f"VM {vm.uuid} is not Running, cannot migrate the vm", uuids=[vm.uuid]
        )
    request = placement_request(session, vm, avoid=frozenset({source.id}))
    try:
        planned = planner.plan(session, runtime.settings, request=request)
    except InsufficientCapacity:
        planned = []
    hosts = select(Host).where(
        Host.zone_id == vm.zone_id,
        Host.hypervisor_type == source.hypervisor_type,
        Host.host_type == source.host_type,
        Host.removed.is_(None),
        Host.id != source.id,
    )
    return MigrationTargets(
        hosts=hosts,
        suitable=frozenset(planned),
        tied_cluster_id=request.cluster_id,
    )
