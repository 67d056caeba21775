"""Attaching and detaching ISOs (CloudStack's attachIso/detachIso): the VM's `iso_id`, and
the CD-ROM of a running VM through its host's driver."""

from __future__ import annotations

from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DriverError
from native.model import Host, Template, VirtualMachine, Zone
from native.services import templates
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, ResourceUnavailable
from native.services.host_access import host_access, host_driver
from native.services.runtime import Runtime
from native.services.steps import Steps, Undo
from native.services.vm_orchestrator import iso_path
from native.services.vm_states import VmEvent, VmState, transition


def _set_iso(vm_id: int, iso_id: int | None) -> Undo:
    def undo(session: Session) -> None:
        vm = session.get(VirtualMachine, vm_id)
        assert vm is not None
        vm.iso_id = iso_id

    return undo


def _change(session: Session, runtime: Runtime, *, vm: VirtualMachine, iso_id: int | None) -> None:
    if vm.state not in (VmState.RUNNING, VmState.STOPPED):
        raise InvalidParameterValue(
            f"VM {vm.uuid} is in state {vm.state}; ISOs can be attached to or detached from "
            "Running or Stopped VMs only"
        )
    previous = vm.iso_id
    if vm.state == VmState.STOPPED:
        vm.iso_id = iso_id
        session.flush()
        return
    transition(session, vm=vm, event=VmEvent.OPERATION_SUCCEEDED)
    with Steps(session) as steps:
        vm.iso_id = iso_id
        steps.on_undo(_set_iso(vm.id, previous))
        host = session.get(Host, vm.host_id)
        assert host is not None
        path = iso_path(session, iso_id=iso_id, zone_id=vm.zone_id)
        driver, access = host_driver(runtime, host), host_access(runtime, host)
        steps.commit()
        try:
            driver.attach_iso(access, vm.instance_name, path)
        except DriverError as exc:
            raise ResourceUnavailable(
                f"Unable to change the ISO of VM {vm.instance_name} on host {host.name}: {exc}"
            ) from None
        steps.done()


def attach_iso(
    session: Session, runtime: Runtime, *, caller: Caller, vm: VirtualMachine, iso: Template
) -> None:
    """Insert the ISO into the VM (its CD-ROM too when Running); 431 if it is not an ISO,
    not ready in the VM's zone, or the VM already has one; 534 if the host fails."""
    if iso.format != "ISO":
        raise InvalidParameterValue(f"Invalid ISO id {iso.uuid}: it is a template, not an ISO")
    if vm.iso_id is not None:
        raise InvalidParameterValue(
            "An ISO is already attached to the VM, please detach it first", uuids=[vm.uuid]
        )
    zone = session.get(Zone, vm.zone_id)
    assert zone is not None
    templates.usable_in_zone(session, caller=caller, template=iso, zone=zone)
    _change(session, runtime, vm=vm, iso_id=iso.id)


def detach_iso(session: Session, runtime: Runtime, *, vm: VirtualMachine) -> None:
    """Eject the VM's ISO; 431 if it has none."""
    if vm.iso_id is None:
        raise InvalidParameterValue(
            f"Virtual machine {vm.uuid} does not have an ISO attached", uuids=[vm.uuid]
        )
    _change(session, runtime, vm=vm, iso_id=None)
