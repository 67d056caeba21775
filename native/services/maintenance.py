"""Host maintenance mode: drain a host by live-migrating its VMs away, and bring it back.

`resource_state` moves, compare-and-swap:

    Enabled | Disabled | ErrorInMaintenance --prepare--> PrepareForMaintenance
    PrepareForMaintenance --every VM moved--> Maintenance
    PrepareForMaintenance --a VM could not move--> ErrorInMaintenance (alert)
    PrepareForMaintenance | ErrorInMaintenance | Maintenance --cancel--> Enabled

The planner places nothing on a host that is not Enabled, so once the host leaves Enabled
no new VM lands on it while it drains. Stopped VMs that last ran on the host need nothing.
VMs already moved stay moved when another one fails.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from native.model import Host, VirtualMachine
from native.services import alerts, vm_orchestrator
from native.services.errors import CloudError, ConcurrentOperation, InvalidParameterValue
from native.services.runtime import Runtime
from native.services.vm_states import VmState

ENABLED = "Enabled"
PREPARING = "PrepareForMaintenance"
FAILED = "ErrorInMaintenance"
MAINTENANCE = "Maintenance"
CAN_PREPARE = (ENABLED, "Disabled", FAILED)
CAN_CANCEL = (PREPARING, FAILED, MAINTENANCE)
_IN_TRANSITION = (VmState.STARTING.value, VmState.STOPPING.value, VmState.MIGRATING.value)


def _swap(session: Session, *, host: Host, expected: str, target: str) -> bool:
    result = session.execute(
        update(Host)
        .where(Host.id == host.id, Host.resource_state == expected, Host.removed.is_(None))
        .values(resource_state=target)
        .execution_options(synchronize_session=False)
    )
    session.refresh(host, ["resource_state"])
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def begin_maintenance(session: Session, *, host: Host) -> None:
    """Move the host to PrepareForMaintenance in the caller's transaction.

    431 unless it is Enabled, Disabled or ErrorInMaintenance; ConcurrentOperation if
    another operation changed it since it was read.
    """
    state = host.resource_state
    if state not in CAN_PREPARE:
        raise InvalidParameterValue(
            f"Cannot perform maintain when resource state is {state}, hostId = {host.uuid}",
            uuids=[host.uuid],
        )
    if not _swap(session, host=host, expected=state, target=PREPARING):
        raise ConcurrentOperation(
            f"Host {host.name} was changed by another operation; try again", uuids=[host.uuid]
        )


def drain_host(session: Session, runtime: Runtime, *, host: Host) -> None:
    """Live-migrate every Running VM off a host in PrepareForMaintenance, then Maintenance.

    Each migration commits on its own (`vm_orchestrator.migrate_vm`, which avoids this
    host). If any VM cannot move, or VMs are still in transition on the host, the host
    goes ErrorInMaintenance with an alert, that is committed, and the first migration's
    error is raised naming every VM left. If maintenance was cancelled meanwhile, it stops
    and leaves the host as the cancel left it.
    """
    failures: dict[str, CloudError] = {}
    tried: set[int] = set()
    while True:
        pending = [vm_id for vm_id in _running_on(session, host) if vm_id not in tried]
        if not pending:
            break
        for vm_id in pending:
            tried.add(vm_id)
            session.refresh(host, ["resource_state"])
            if host.resource_state != PREPARING:
                return
            vm = session.get(VirtualMachine, vm_id)
            if vm is None or vm.state != VmState.RUNNING.value or vm.host_id != host.id:
                continue
            name = vm.instance_name
            try:
                vm_orchestrator.migrate_vm(
                    session, runtime, vm=vm, avoid_host_ids=frozenset({host.id})
                )
            except CloudError as error:
                session.rollback()
                failures[name] = error
    in_transition = _in_transition_on(session, host)
    if not failures and not in_transition:
        _swap(session, host=host, expected=PREPARING, target=MAINTENANCE)
        return
    _fail(session, host=host, failures=failures, in_transition=in_transition)


def _running_on(session: Session, host: Host) -> list[int]:
    return list(
        session.scalars(
            select(VirtualMachine.id)
            .where(
                VirtualMachine.host_id == host.id,
                VirtualMachine.state == VmState.RUNNING.value,
                VirtualMachine.removed.is_(None),
            )
            .order_by(VirtualMachine.id)
        )
    )


def _in_transition_on(session: Session, host: Host) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(VirtualMachine)
            .where(
                VirtualMachine.host_id == host.id,
                VirtualMachine.state.in_(_IN_TRANSITION),
                VirtualMachine.removed.is_(None),
            )
        )
        or 0
    )


def _fail(
    session: Session, *, host: Host, failures: dict[str, CloudError], in_transition: int
) -> None:
    if not _swap(session, host=host, expected=PREPARING, target=FAILED):
        return
    for name, error in failures.items():
        alerts.raise_alert(
            session,
            alert_type=alerts.ALERT_USERVM_MIGRATE,
            description=f"Unable to migrate VM {name} away from host {host.name} "
            f"({host.uuid}) for maintenance: {error.text}",
        )
    reasons = [f"{name}: {error.text}" for name, error in failures.items()]
    if in_transition:
        reasons.append(f"{in_transition} VM(s) still starting, stopping or migrating")
    text = (
        f"Failed to put host {host.name} ({host.uuid}) into maintenance, it is now "
        f"{FAILED}; VMs left on it: {'; '.join(reasons)}"
    )
    alerts.raise_alert(session, alert_type=alerts.ALERT_HOST, description=text)
    session.commit()
    first = next(iter(failures.values()), None)
    error_type = type(first) if first is not None else ConcurrentOperation
    raise error_type(text, uuids=[host.uuid])


def cancel_maintenance(session: Session, *, host: Host) -> None:
    """Move a host in (or preparing for, or failing) maintenance back to Enabled.

    431 if it is in none of those states; ConcurrentOperation if another operation
    changed it since it was read. A drain still running stops at its next VM.
    """
    state = host.resource_state
    if state not in CAN_CANCEL:
        raise InvalidParameterValue(
            f"Cannot perform cancelMaintenance when resource state is {state}, "
            f"hostId = {host.uuid}",
            uuids=[host.uuid],
        )
    if not _swap(session, host=host, expected=state, target=ENABLED):
        raise ConcurrentOperation(
            f"Host {host.name} was changed by another operation; try again", uuids=[host.uuid]
        )
