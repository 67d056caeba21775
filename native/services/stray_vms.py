"""Stray VMs: powered on on a host that the database does not place them on.

The database is the truth. After a host answers a probe (`host_health`), each VM it reports
powered on that was not Running on it in the database (as read before the probe) is a
candidate, named by the uuid its driver reports:

- a uuid that is no VM of this installation (not even an expunged one) belongs to someone
  else sharing the host, and is left alone;
- a VM that is now Running on this host, or in the middle of an operation (Starting,
  Stopping, Migrating), is left alone: it got there after the read;
- any other VM of ours (Stopped, Destroyed, Expunging, Error or expunged, or Running on
  another host, where HA or a migration put it) is stopped on this host at once, with an
  ALERT.USERVM alert and a VM.STOP event saying where it was found.

So after a management-server restart, or a host that comes back after HA restarted its
VMs elsewhere, no domain is silently orphaned and none runs twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from sqlalchemy import select

from native.drivers.hypervisor.base import DriverError, HostAccess, HypervisorDriver, PowerState
from native.model import VirtualMachine
from native.services import alerts
from native.services.events import record_event
from native.services.runtime import Runtime
from native.services.vm_states import VmState

log = logging.getLogger(__name__)

BUSY_STATES = frozenset(
    state.value for state in (VmState.STARTING, VmState.STOPPING, VmState.MIGRATING)
)


def stop_strays(
    runtime: Runtime,
    *,
    host_id: int,
    host_label: str,
    driver: HypervisorDriver,
    access: HostAccess,
    reported: Mapping[str, PowerState],
    expected: Collection[str],
) -> list[str]:
    """Stop the stray VMs among those `reported` on the host beyond the `expected` names
    (see the module docstring); returns the names stopped. A host that cannot say its
    VMs' uuids, or refuses a stop, is logged and tried again next round."""
    candidates = [
        name for name, power in reported.items() if power == PowerState.ON and name not in expected
    ]
    if not candidates:
        return []
    try:
        uuids = driver.vm_uuids(access)
    except DriverError as error:
        log.warning("host %s did not tell its VMs' uuids: %s", host_label, error)
        return []
    stopped = []
    for name in candidates:
        uuid = uuids.get(name)
        where = _stray_state(runtime, uuid=uuid, host_id=host_id) if uuid else None
        if where is None:
            continue
        try:
            driver.stop_vm(access, name, force=True)
        except DriverError as error:
            log.warning("stray VM %s on host %s was not stopped: %s", name, host_label, error)
            continue
        _report(runtime, uuid=str(uuid), name=name, host_label=host_label, where=where)
        stopped.append(name)
    return stopped


def _stray_state(runtime: Runtime, *, uuid: str, host_id: int) -> str | None:
    """What the database says of a VM found running on the host, when that makes it a
    stray (None when it is not ours, or may run there)."""
    with runtime.db.session(write=False) as session:
        vm = session.scalars(select(VirtualMachine).where(VirtualMachine.uuid == uuid)).first()
        if vm is None or vm.state in BUSY_STATES:
            return None
        if vm.state == VmState.RUNNING.value and vm.host_id == host_id:
            return None
        if vm.removed is not None:
            return "expunged"
        if vm.state == VmState.RUNNING.value:
            return "Running on another host"
        return str(vm.state)


def _report(runtime: Runtime, *, uuid: str, name: str, host_label: str, where: str) -> None:
    text = (
        f"VM {name} ({uuid}) was running on host {host_label} although it is {where} "
        "in the database; it was stopped there"
    )
    log.warning("%s", text)
    with runtime.db.session() as session:
        alerts.raise_alert(session, alert_type=alerts.ALERT_USERVM, description=text)
        record_event(
            session,
            caller=None,
            event_type="VM.STOP",
            description=text,
            level="WARN",
            resource_type="VirtualMachine",
            resource_id=uuid,
        )
