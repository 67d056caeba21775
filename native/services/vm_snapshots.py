"""VM snapshots: a whole VM's disks (and memory) kept by its hypervisor (CloudStack's
VMSnapshotManager).

The snapshots of a VM form a tree: each new one's parent is the one the VM was last at
(`current`). The hypervisor of the VM's host keeps the data; `driver_ref` is the
driver's reference to it, all the driver needs to revert to or delete it later, also after
the VM was stopped and started. States are Allocated, Creating, Ready, Reverting,
Expunging and Error.
"""

from __future__ import annotations

import enum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DriverError, HostAccess, HypervisorDriver, PowerState
from native.model import Host, VirtualMachine, VmSnapshot, utcnow
from native.services.errors import (
    ConcurrentOperation,
    InvalidParameterValue,
    ResourceUnavailable,
)
from native.services.host_access import host_access, host_driver
from native.services.runtime import Runtime
from native.services.steps import Steps, Undo
from native.services.tags import remove_tags_of
from native.services.vm_orchestrator import start_vm, stop_vm
from native.services.vm_states import VmState

MAX_VM_SNAPSHOTS = 10
"""CloudStack's `vmsnapshot.max` default."""
DISK = "Disk"
DISK_AND_MEMORY = "DiskAndMemory"


class VmSnapshotState(enum.StrEnum):
    ALLOCATED = "Allocated"
    CREATING = "Creating"
    READY = "Ready"
    REVERTING = "Reverting"
    EXPUNGING = "Expunging"
    ERROR = "Error"


def _move(session: Session, snapshot: VmSnapshot, *, expected: str, to: str) -> None:
    session.flush()
    result = session.execute(
        update(VmSnapshot)
        .where(VmSnapshot.id == snapshot.id, VmSnapshot.state == expected)
        .values(state=to)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentOperation(
            f"VM snapshot {snapshot.display_name} was changed by another operation; try again",
            uuids=[snapshot.uuid],
        )
    session.refresh(snapshot)


def _set_state(session: Session, snapshot_id: int, state: str) -> None:
    session.execute(
        update(VmSnapshot)
        .where(VmSnapshot.id == snapshot_id)
        .values(state=state)
        .execution_options(synchronize_session=False)
    )


def live_snapshots(session: Session, *, vm_id: int) -> list[VmSnapshot]:
    """The VM's VM snapshots that are not deleted, oldest first."""
    return list(
        session.scalars(
            select(VmSnapshot)
            .where(VmSnapshot.vm_id == vm_id, VmSnapshot.removed.is_(None))
            .order_by(VmSnapshot.id)
        )
    )


def _current(session: Session, vm_id: int) -> VmSnapshot | None:
    return session.scalars(
        select(VmSnapshot).where(
            VmSnapshot.vm_id == vm_id, VmSnapshot.removed.is_(None), VmSnapshot.current.is_(True)
        )
    ).first()


def _host_of(session: Session, vm: VirtualMachine) -> Host:
    """The host that keeps the VM's snapshots: where it runs, or where it last ran."""
    host_id = vm.host_id if vm.state == VmState.RUNNING else vm.last_host_id
    host = None if host_id is None else session.get(Host, host_id)
    if host is None:
        raise ResourceUnavailable(
            f"VM {vm.name} has no host that keeps its snapshots", uuids=[vm.uuid]
        )
    return host


def _check_vm(vm: VirtualMachine, *, memory: bool) -> None:
    if vm.state not in (VmState.RUNNING, VmState.STOPPED):
        raise InvalidParameterValue(
            f"Creating vm snapshot failed due to VM:{vm.uuid} is not in the running or Stopped "
            "state"
        )
    if memory and vm.state != VmState.RUNNING:
        raise InvalidParameterValue("Can not snapshot memory when VM is not in Running state")


def _new_name(vm: VirtualMachine, taken: set[str | None]) -> str:
    """CloudStack's `<instance name>_VS_<yyyyMMddHHmmss>`, with `_N` added if that is taken."""
    base = f"{vm.instance_name}_VS_{utcnow().strftime('%Y%m%d%H%M%S')}"
    name, number = base, 1
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def allocate_vm_snapshot(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    display_name: str | None,
    description: str | None,
    memory: bool,
) -> VmSnapshot:
    """Check CloudStack's rules and add the VM snapshot (Allocated): a Running or Stopped
    VM, memory only when Running, a unique name, at most MAX_VM_SNAPSHOTS per VM."""
    _check_vm(vm, memory=memory)
    capabilities = runtime.drivers.hypervisor(vm.hypervisor_type).capabilities
    kind = "memory_snapshot" if memory else "disk_vm_snapshot"
    if not capabilities.get("vm_snapshot") or not capabilities.get(kind):
        raise InvalidParameterValue(
            f"VM snapshots {'with' if memory else 'without'} memory are not supported on "
            f"hypervisor {vm.hypervisor_type}"
        )
    existing = live_snapshots(session, vm_id=vm.id)
    taken = {snapshot.display_name for snapshot in existing} | {s.name for s in existing}
    name = _new_name(vm, taken)
    display_name = display_name or name
    if display_name in {snapshot.display_name for snapshot in existing}:
        raise InvalidParameterValue(
            f"Creating VM snapshot failed due to VM snapshot with name {display_name} already "
            "exists"
        )
    if len(existing) >= MAX_VM_SNAPSHOTS:
        raise InvalidParameterValue(
            f"Creating vm snapshot failed due to a VM can just have : {MAX_VM_SNAPSHOTS} VM "
            "snapshots. Please delete old ones"
        )
    snapshot = VmSnapshot(
        name=name,
        display_name=display_name,
        description=description,
        snapshot_type=DISK_AND_MEMORY if memory else DISK,
        state=VmSnapshotState.ALLOCATED,
        vm_id=vm.id,
        account_id=vm.account_id,
        domain_id=vm.domain_id,
        zone_id=vm.zone_id,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def _discard(session: Session, snapshot_id: int) -> None:
    snapshot = session.get(VmSnapshot, snapshot_id)
    if snapshot is not None:
        remove_tags_of(session, resource_type="VMSnapshot", resource_id=snapshot.id)
        session.delete(snapshot)
        session.flush()


def _driver(
    runtime: Runtime, session: Session, vm: VirtualMachine
) -> tuple[HypervisorDriver, HostAccess, Host]:
    host = _host_of(session, vm)
    return host_driver(runtime, host), host_access(runtime, host), host


def take_vm_snapshot(
    session: Session, runtime: Runtime, *, steps: Steps, snapshot: VmSnapshot
) -> VmSnapshot:
    """Have the VM's host take the snapshot; Ready and current on success. On failure
    (534 from the host, 431 if the VM changed state) the row is gone."""
    steps.on_undo(lambda s: _discard(s, snapshot.id))
    vm = session.get(VirtualMachine, snapshot.vm_id)
    assert vm is not None
    memory = snapshot.snapshot_type == DISK_AND_MEMORY
    _check_vm(vm, memory=memory)
    driver, access, host = _driver(runtime, session, vm)
    _move(session, snapshot, expected=VmSnapshotState.ALLOCATED, to=VmSnapshotState.CREATING)
    steps.commit()
    try:
        reference = driver.create_vm_snapshot(
            access, vm.instance_name, snapshot=snapshot.name, memory=memory
        )
    except DriverError as exc:
        raise ResourceUnavailable(
            f"Unable to create VM snapshot of VM {vm.name} on host {host.name}: {exc}",
            uuids=[snapshot.uuid],
        ) from None
    steps.on_undo(
        lambda s: driver.delete_vm_snapshot(access, vm.instance_name, reference=reference)
    )
    parent = _current(session, vm.id)
    if parent is not None:
        parent.current = False
    snapshot.parent_id = None if parent is None else parent.id
    snapshot.current = True
    snapshot.driver_ref = reference
    _move(session, snapshot, expected=VmSnapshotState.CREATING, to=VmSnapshotState.READY)
    steps.commit()
    return snapshot


def revert_to_vm_snapshot(
    session: Session, runtime: Runtime, *, steps: Steps, snapshot: VmSnapshot
) -> VirtualMachine:
    """Return the VM to the snapshot through its host, which says whether the VM is left
    running (a memory snapshot) or off; an off VM is then Stopped, its host capacity given
    back. A Stopped VM reverted to a memory snapshot is started first, as CloudStack does:
    through `start_vm`, on the host that keeps its snapshots, so it is Running with its
    capacity reserved before the host reverts it; if the revert fails it is stopped again.
    431 unless both are at rest, 533 or 534 if the start fails, 534 if the host fails."""
    if snapshot.state != VmSnapshotState.READY or snapshot.driver_ref is None:
        raise InvalidParameterValue(
            f"VM Snapshot {snapshot.display_name} is in {snapshot.state} state, not Ready"
        )
    vm = session.get(VirtualMachine, snapshot.vm_id)
    assert vm is not None
    if vm.state not in (VmState.RUNNING, VmState.STOPPED):
        raise InvalidParameterValue(
            f"VM {vm.name} must be Running or Stopped to revert to a VM snapshot; it is {vm.state}"
        )
    keeper = _host_of(session, vm)
    _move(session, snapshot, expected=VmSnapshotState.READY, to=VmSnapshotState.REVERTING)
    steps.commit()
    steps.on_undo(lambda s: _set_state(s, snapshot.id, VmSnapshotState.READY))
    if snapshot.snapshot_type == DISK_AND_MEMORY and vm.state == VmState.STOPPED:
        start_vm(session, runtime, vm=vm, host_id=keeper.id)
        steps.on_undo(_undo_start(runtime, vm.id))
    driver, access, host = _driver(runtime, session, vm)
    try:
        power = driver.revert_vm_snapshot(access, vm.instance_name, reference=snapshot.driver_ref)
    except DriverError as exc:
        raise ResourceUnavailable(
            f"Unable to revert VM {vm.name} to snapshot {snapshot.display_name} on host "
            f"{host.name}: {exc}",
            uuids=[snapshot.uuid],
        ) from None
    session.execute(
        update(VmSnapshot)
        .where(VmSnapshot.vm_id == vm.id, VmSnapshot.id != snapshot.id)
        .values(current=False)
        .execution_options(synchronize_session=False)
    )
    snapshot.current = True
    _move(session, snapshot, expected=VmSnapshotState.REVERTING, to=VmSnapshotState.READY)
    steps.commit()
    steps.done()
    if power == PowerState.OFF and vm.state == VmState.RUNNING:
        stop_vm(session, runtime, vm=vm, force=True)
    return vm


def _undo_start(runtime: Runtime, vm_id: int) -> Undo:
    """Stop the VM a revert started, if it is still Running (the revert failed)."""

    def undo(session: Session) -> None:
        vm = session.get(VirtualMachine, vm_id)
        if vm is not None and vm.state == VmState.RUNNING:
            stop_vm(session, runtime, vm=vm, force=True)

    return undo


def delete_vm_snapshot(
    session: Session, runtime: Runtime, *, steps: Steps, snapshot: VmSnapshot
) -> None:
    """Delete a Ready (or failed) VM snapshot from its host and forget it; its children
    hang from its parent, which becomes current if it was. 534 if the host fails."""
    previous = snapshot.state
    if previous not in (VmSnapshotState.READY, VmSnapshotState.ERROR):
        raise InvalidParameterValue(
            f"VM snapshot {snapshot.display_name} is in {previous} state and can't be deleted"
        )
    vm = session.get(VirtualMachine, snapshot.vm_id)
    assert vm is not None
    _move(session, snapshot, expected=previous, to=VmSnapshotState.EXPUNGING)
    steps.commit()
    steps.on_undo(lambda s: _set_state(s, snapshot.id, previous))
    if snapshot.driver_ref is not None:
        driver, access, host = _driver(runtime, session, vm)
        try:
            driver.delete_vm_snapshot(access, vm.instance_name, reference=snapshot.driver_ref)
        except DriverError as exc:
            raise ResourceUnavailable(
                f"Unable to delete VM snapshot {snapshot.display_name} on host {host.name}: {exc}",
                uuids=[snapshot.uuid],
            ) from None
    session.execute(
        update(VmSnapshot)
        .where(VmSnapshot.parent_id == snapshot.id)
        .values(parent_id=snapshot.parent_id)
        .execution_options(synchronize_session=False)
    )
    if snapshot.current and snapshot.parent_id is not None:
        parent = session.get(VmSnapshot, snapshot.parent_id)
        assert parent is not None
        parent.current = True
    snapshot.current = False
    snapshot.removed = utcnow()
    remove_tags_of(session, resource_type="VMSnapshot", resource_id=snapshot.id)
    session.flush()
