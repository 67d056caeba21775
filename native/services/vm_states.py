"""The VM lifecycle: CloudStack's `VirtualMachine.State` machine as an explicit table.

Every state change goes through `transition`, which saves it compare-and-swap on
`(state, update_count)`: of two operations racing on one VM exactly one moves it, and
the other gets ConcurrentOperation. An event a state does not accept is a 431 naming
the state. An expunged VM keeps state Expunging with `removed` set.
"""

from __future__ import annotations

import enum

from sqlalchemy import update
from sqlalchemy.orm import Session

from native.model import VirtualMachine, utcnow
from native.services.errors import ConcurrentOperation, InvalidParameterValue


class VmState(enum.StrEnum):
    STOPPED = "Stopped"
    STARTING = "Starting"
    RUNNING = "Running"
    STOPPING = "Stopping"
    MIGRATING = "Migrating"
    ERROR = "Error"
    DESTROYED = "Destroyed"
    EXPUNGING = "Expunging"


class VmEvent(enum.StrEnum):
    START_REQUESTED = "StartRequested"
    STOP_REQUESTED = "StopRequested"
    REBOOT_REQUESTED = "RebootRequested"
    MIGRATION_REQUESTED = "MigrationRequested"
    STORAGE_MIGRATION_REQUESTED = "StorageMigrationRequested"
    STORAGE_MIGRATION_DONE = "StorageMigrationDone"
    OPERATION_SUCCEEDED = "OperationSucceeded"
    OPERATION_FAILED = "OperationFailed"
    AGENT_REPORT_STOPPED = "AgentReportStopped"
    DESTROY_REQUESTED = "DestroyRequested"
    RECOVERY_REQUESTED = "RecoveryRequested"
    EXPUNGE_OPERATION = "ExpungeOperation"


S, E = VmState, VmEvent

TRANSITIONS: dict[tuple[VmState, VmEvent], VmState] = {
    (S.STOPPED, E.START_REQUESTED): S.STARTING,
    (S.STOPPED, E.STOP_REQUESTED): S.STOPPED,
    (S.STOPPED, E.DESTROY_REQUESTED): S.DESTROYED,
    (S.STOPPED, E.EXPUNGE_OPERATION): S.EXPUNGING,
    (S.STOPPED, E.STORAGE_MIGRATION_REQUESTED): S.MIGRATING,
    (S.STOPPED, E.OPERATION_FAILED): S.ERROR,
    (S.STOPPED, E.AGENT_REPORT_STOPPED): S.STOPPED,
    (S.STARTING, E.OPERATION_SUCCEEDED): S.RUNNING,
    (S.STARTING, E.OPERATION_FAILED): S.STOPPED,
    (S.STARTING, E.AGENT_REPORT_STOPPED): S.STOPPED,
    (S.RUNNING, E.STOP_REQUESTED): S.STOPPING,
    (S.RUNNING, E.REBOOT_REQUESTED): S.RUNNING,
    (S.RUNNING, E.MIGRATION_REQUESTED): S.MIGRATING,
    (S.RUNNING, E.OPERATION_SUCCEEDED): S.RUNNING,
    (S.RUNNING, E.AGENT_REPORT_STOPPED): S.STOPPED,
    (S.STOPPING, E.OPERATION_SUCCEEDED): S.STOPPED,
    (S.STOPPING, E.OPERATION_FAILED): S.RUNNING,
    (S.STOPPING, E.AGENT_REPORT_STOPPED): S.STOPPED,
    (S.MIGRATING, E.OPERATION_SUCCEEDED): S.RUNNING,
    (S.MIGRATING, E.OPERATION_FAILED): S.RUNNING,
    (S.MIGRATING, E.STORAGE_MIGRATION_DONE): S.STOPPED,
    (S.MIGRATING, E.AGENT_REPORT_STOPPED): S.STOPPED,
    (S.DESTROYED, E.RECOVERY_REQUESTED): S.STOPPED,
    (S.DESTROYED, E.EXPUNGE_OPERATION): S.EXPUNGING,
    (S.ERROR, E.DESTROY_REQUESTED): S.EXPUNGING,
    (S.ERROR, E.EXPUNGE_OPERATION): S.EXPUNGING,
    (S.EXPUNGING, E.EXPUNGE_OPERATION): S.EXPUNGING,
    (S.EXPUNGING, E.OPERATION_FAILED): S.EXPUNGING,
}
"""(state, event) → next state. Anything not listed is refused."""

_ACTIONS = {
    E.START_REQUESTED: "start",
    E.STOP_REQUESTED: "stop",
    E.REBOOT_REQUESTED: "reboot",
    E.MIGRATION_REQUESTED: "migrate",
    E.STORAGE_MIGRATION_REQUESTED: "migrate its volumes",
    E.DESTROY_REQUESTED: "destroy",
    E.RECOVERY_REQUESTED: "recover",
    E.EXPUNGE_OPERATION: "expunge",
}


_EVENT_NAMES = frozenset(member.value for member in VmEvent)


def next_state(state: str, event: str) -> VmState | None:
    """The state `event` leads to from `state`, or None if the table refuses it."""
    try:
        return TRANSITIONS.get((VmState(state), VmEvent(event)))
    except ValueError:
        return None


def accepts(vm: VirtualMachine, event: str) -> bool:
    """Whether the VM's current state accepts the event."""
    return next_state(vm.state, event) is not None


def refusal(vm: VirtualMachine, event: str) -> InvalidParameterValue:
    """CloudStack's 431 for an action the VM's state does not allow."""
    action = _ACTIONS.get(VmEvent(event), event) if event in _EVENT_NAMES else event
    return InvalidParameterValue(
        f"VM {vm.instance_name} ({vm.uuid}) is in state {vm.state}, cannot {action} it",
        uuids=[vm.uuid],
    )


def transition(session: Session, *, vm: VirtualMachine, event: str) -> None:
    """Move the VM along the table, saved compare-and-swap in the caller's transaction.

    Raises InvalidParameterValue (431) if the state refuses the event, and
    ConcurrentOperation if another operation changed the VM since it was read. On
    success `vm.state` and `vm.update_count` hold the new values.
    """
    target = next_state(vm.state, event)
    if target is None:
        raise refusal(vm, event)
    result = session.execute(
        update(VirtualMachine)
        .where(
            VirtualMachine.id == vm.id,
            VirtualMachine.state == vm.state,
            VirtualMachine.update_count == vm.update_count,
        )
        .values(
            state=target.value,
            update_count=VirtualMachine.update_count + 1,
            last_updated=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(vm, ["state", "update_count"])
        raise ConcurrentOperation(
            f"VM {vm.instance_name} ({vm.uuid}) was changed by another operation "
            f"(it is now {vm.state}); try again",
            uuids=[vm.uuid],
        )
    session.refresh(vm, ["state", "update_count", "last_updated"])
