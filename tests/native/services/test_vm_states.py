"""The VM lifecycle table and its compare-and-swap saves."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from native.model import (
    GuestOsType,
    ServiceOffering,
    Template,
    User,
    VirtualMachine,
    Zone,
    utcnow,
)
from native.services.errors import ConcurrentOperation, InvalidParameterValue
from native.services.expunge import expunge_due
from native.services.vm_states import TRANSITIONS, VmEvent, VmState, next_state, transition
from tests.native.services.conftest import make_runtime


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        ("Stopped", "StartRequested", "Starting"),
        ("Starting", "OperationSucceeded", "Running"),
        ("Starting", "OperationFailed", "Stopped"),
        ("Running", "StopRequested", "Stopping"),
        ("Stopping", "OperationSucceeded", "Stopped"),
        ("Running", "MigrationRequested", "Migrating"),
        ("Migrating", "OperationFailed", "Running"),
        ("Stopped", "DestroyRequested", "Destroyed"),
        ("Destroyed", "RecoveryRequested", "Stopped"),
        ("Destroyed", "ExpungeOperation", "Expunging"),
        ("Running", "AgentReportStopped", "Stopped"),
        ("Running", "StartRequested", None),
        ("Running", "DestroyRequested", None),
        ("Destroyed", "StartRequested", None),
        ("Expunging", "RecoveryRequested", None),
    ],
)
def test_table(state: str, event: str, expected: str | None) -> None:
    assert next_state(state, event) == expected


def test_every_state_is_reachable_and_every_event_used() -> None:
    reached = {target for target in TRANSITIONS.values()} | {VmState.STOPPED}
    assert reached == set(VmState)
    assert {event for _, event in TRANSITIONS} == set(VmEvent)


def _vm(database_url: str, *, name: str = "vm") -> int:
    runtime = make_runtime(database_url, msid="ms-a")
    with runtime.db.session() as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        zone = Zone(name=f"z-{name}", network_type="Advanced", allocation_state="Enabled")
        offering = ServiceOffering(
            name="so", display_text="so", cpu_number=1, cpu_speed=500, memory=256
        )
        os_type = session.scalars(select(GuestOsType)).first()
        assert os_type is not None
        session.add_all([zone, offering])
        session.flush()
        template = Template(
            name="t",
            display_text="t",
            format="RAW",
            account_id=admin.account_id,
            domain_id=admin.account.domain_id,
            os_type_id=os_type.id,
            hypervisor_type="Simulator",
        )
        session.add(template)
        session.flush()
        vm = VirtualMachine(
            name=name,
            instance_name=f"i-{name}-VM",
            state="Stopped",
            account_id=admin.account_id,
            domain_id=admin.account.domain_id,
            user_id=admin.id,
            zone_id=zone.id,
            service_offering_id=offering.id,
            template_id=template.id,
            hypervisor_type="Simulator",
            cpu_number=1,
            cpu_speed=500,
            memory=256,
        )
        session.add(vm)
        session.flush()
        return vm.id


def test_a_stale_copy_loses_the_race(database_url: str) -> None:
    vm_id = _vm(database_url)
    runtime = make_runtime(database_url, msid="ms-b")
    with runtime.db.session() as first, runtime.db.session(write=False) as reader:
        stale = reader.get(VirtualMachine, vm_id)
        assert stale is not None
        reader.commit()
        fresh = first.get(VirtualMachine, vm_id)
        assert fresh is not None
        transition(first, vm=fresh, event=VmEvent.START_REQUESTED)
        assert (fresh.state, fresh.update_count) == ("Starting", 1)
        first.commit()
    with runtime.db.session() as second:
        stale = second.merge(stale, load=False)
        with pytest.raises(ConcurrentOperation):
            transition(second, vm=stale, event=VmEvent.START_REQUESTED)
        assert stale.state == "Starting"
        with pytest.raises(InvalidParameterValue, match="is in state Starting, cannot start"):
            transition(second, vm=stale, event=VmEvent.START_REQUESTED)


def test_the_expunge_task_removes_vms_destroyed_long_enough_ago(database_url: str) -> None:
    old, recent = _vm(database_url), _vm(database_url, name="vm2")
    runtime = make_runtime(database_url, msid="ms-c")
    with runtime.db.session() as session:
        for vm_id, age in ((old, 90000), (recent, 10)):
            vm = session.get(VirtualMachine, vm_id)
            assert vm is not None
            vm.state = "Destroyed"
            vm.last_updated = utcnow() - dt.timedelta(seconds=age)
    expunge_due(runtime)
    with runtime.db.session(write=False) as session:
        gone, kept = session.get(VirtualMachine, old), session.get(VirtualMachine, recent)
        assert gone is not None and kept is not None
        assert (gone.state, gone.removed is not None) == ("Expunging", True)
        assert (kept.state, kept.removed) == ("Destroyed", None)
