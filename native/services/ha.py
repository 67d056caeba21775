"""High availability: the VMs of a host that went Down are stopped, and the HA ones restarted.

A VM is HA when `ha_enabled` is set on it or its service offering offers HA. When a host
is declared Down (`host_health`), every VM still Running on it is marked Stopped (its
capacity on the dead host released), and each HA one is started again on another host.
Each stop leaves a VM.STOP event (`vm_orchestrator`), each restart a VM.START event on the
VM's account and an alert; a restart that fails raises an alert and leaves the VM Stopped.

The work is found again from the database each round (VMs Running on Down hosts), so a
server that dies half-way leaves nothing that the next round does not pick up, and two
servers never handle one VM twice: marking it stopped is compare-and-swap, and only the
server whose swap wins goes on to restart it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Host, ServiceOffering, VirtualMachine
from native.services import vm_orchestrator
from native.services.alerts import ALERT_USERVM, raise_alert
from native.services.caller import Caller
from native.services.errors import CloudError
from native.services.events import record_event
from native.services.runtime import Runtime
from native.services.vm_states import VmState

log = logging.getLogger(__name__)


HOST_DOWN = "Down"


def is_ha(session: Session, vm: VirtualMachine) -> bool:
    """Whether the VM is restarted after a host failure (its own flag or its offering's)."""
    if vm.ha_enabled:
        return True
    offer_ha = session.scalar(
        select(ServiceOffering.offer_ha).where(ServiceOffering.id == vm.service_offering_id)
    )
    return bool(offer_ha)


@dataclass(frozen=True, kw_only=True)
class FailedHost:
    """The host a VM was running on when it went down."""

    id: int
    uuid: str
    name: str


def recover_vms_of_down_hosts(runtime: Runtime) -> int:
    """Stop, and restart elsewhere when HA, every VM still Running on a Down host.

    One query finds the work; each VM is then handled in a session of its own, so no
    transaction is held while a VM starts. Returns how many VMs this call stopped.
    """
    with runtime.db.session(write=False) as session:
        rows = session.execute(
            select(VirtualMachine.id, Host.id, Host.uuid, Host.name)
            .join(Host, VirtualMachine.host_id == Host.id)
            .where(
                Host.status == HOST_DOWN,
                Host.removed.is_(None),
                VirtualMachine.state == VmState.RUNNING.value,
                VirtualMachine.removed.is_(None),
            )
            .order_by(VirtualMachine.id)
        ).all()
    handled = 0
    for vm_id, host_id, host_uuid, host_name in rows:
        host = FailedHost(id=host_id, uuid=host_uuid, name=host_name)
        try:
            handled += recover_vm(runtime, vm_id=vm_id, host=host)
        except Exception:
            log.exception("HA of VM %s (host %s down) failed", vm_id, host_name)
    return handled


def recover_vm(runtime: Runtime, *, vm_id: int, host: FailedHost) -> bool:
    """Mark one VM of the failed host stopped and, when HA, start it on another host.

    Returns False, doing nothing, when the VM is no longer Running on that host or another
    server marked it first.
    """
    with runtime.db.session() as session:
        vm = session.get(VirtualMachine, vm_id)
        if vm is None or vm.state != VmState.RUNNING.value or vm.host_id != host.id:
            return False
        restart = is_ha(session, vm)
        reason = f"its host {host.name} ({host.uuid}) is down" + (
            "; HA restarts it on another host" if restart else ""
        )
        try:
            vm_orchestrator.mark_stopped_after_host_failure(session, runtime, vm=vm, reason=reason)
        except CloudError as error:
            log.info("VM %s was handled elsewhere: %s", vm.instance_name, error.text)
            session.rollback()
            return False
        session.commit()
        if restart:
            _restart(
                session, runtime, vm=vm, owner=vm_orchestrator.owner_caller(session, vm), host=host
            )
    return True


def _restart(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, owner: Caller, host: FailedHost
) -> None:
    name, uuid = vm.instance_name, vm.uuid
    try:
        vm_orchestrator.start_vm(session, runtime, vm=vm, avoid_host_ids=frozenset({host.id}))
    except CloudError as error:
        session.rollback()
        text = (
            f"Unable to restart VM {name} ({uuid}) which was running on host "
            f"{host.name} ({host.uuid}): {error.text}"
        )
        record_event(
            session,
            caller=owner,
            event_type="VM.START",
            description=f"HA: {text}",
            level="ERROR",
            resource_type="VirtualMachine",
            resource_id=uuid,
        )
        raise_alert(session, alert_type=ALERT_USERVM, description=text)
        return
    target = session.get(Host, vm.host_id) if vm.host_id is not None else None
    where = f"host {target.name} ({target.uuid})" if target is not None else "another host"
    text = f"HA restarted VM {name} ({uuid}) on {where}; its host {host.name} went down"
    record_event(
        session,
        caller=owner,
        event_type="VM.START",
        description=text,
        resource_type="VirtualMachine",
        resource_id=uuid,
    )
    raise_alert(session, alert_type=ALERT_USERVM, description=text)
