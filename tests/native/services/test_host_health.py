"""The ping loop's state machine, HA decisions and the power-state sync, on simulator hosts.

VM placement itself belongs to `vm_orchestrator` (tested through the API); here its
start and stop are replaced by minimal stand-ins, so what is checked is which VMs the
health code stops and restarts, and that two servers never do it twice.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from native.drivers.catalog import DriverCatalog
from native.drivers.hypervisor.base import HostAccess, VmSpec
from native.model import (
    Account,
    Alert,
    Cluster,
    Event,
    GuestOsType,
    Host,
    Pod,
    ServiceOffering,
    Template,
    User,
    VirtualMachine,
    Zone,
    utcnow,
)
from native.services import host_health, vm_orchestrator
from native.services.runtime import Runtime
from native.services.vm_states import VmEvent, transition
from tests.native.services.conftest import make_runtime


@dataclass
class Calls:
    """What the stand-ins for `vm_orchestrator` were asked to do, by VM name."""

    stopped: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    record = Calls()

    def mark_stopped(
        session: Session, runtime: Runtime, *, vm: VirtualMachine, reason: str
    ) -> None:
        transition(session, vm=vm, event=VmEvent.AGENT_REPORT_STOPPED)
        vm.last_host_id, vm.host_id = vm.host_id, None
        with record.lock:
            record.stopped.append(vm.instance_name)

    def start(
        session: Session,
        runtime: Runtime,
        *,
        vm: VirtualMachine,
        host_id: int | None = None,
        avoid_host_ids: frozenset[int] = frozenset(),
    ) -> None:
        target = session.scalars(
            select(Host.id).where(Host.status == "Up", Host.id.not_in(avoid_host_ids))
        ).first()
        assert target is not None
        transition(session, vm=vm, event=VmEvent.START_REQUESTED)
        transition(session, vm=vm, event=VmEvent.OPERATION_SUCCEEDED)
        vm.host_id = target
        session.commit()
        with record.lock:
            record.started.append(vm.instance_name)

    monkeypatch.setattr(
        vm_orchestrator, "mark_stopped_after_host_failure", mark_stopped, raising=False
    )
    monkeypatch.setattr(vm_orchestrator, "start_vm", start, raising=False)
    return record


@dataclass
class World:
    """Two management servers sharing one database and one simulator state directory."""

    servers: list[Runtime]
    hosts: list[Host]

    @property
    def runtime(self) -> Runtime:
        return self.servers[0]

    def access(self, host: Host) -> HostAccess:
        return HostAccess(url=host.url)

    def set_host(self, host: Host, value: str) -> None:
        driver = self.runtime.drivers.hypervisor("Simulator")
        driver.configure(self.access(host), operation="host", value=value)

    def status(self, host: Host) -> str:
        with self.runtime.db.session(write=False) as session:
            return str(session.scalar(select(Host.status).where(Host.id == host.id)))

    def last_heard(self, host: Host, *, seconds_ago: float) -> None:
        with self.runtime.db.session() as session:
            session.execute(
                update(Host)
                .where(Host.id == host.id)
                .values(last_ping=utcnow() - dt.timedelta(seconds=seconds_ago))
            )

    def count(self, model: type[Alert | Event], *conditions: ColumnElement[bool]) -> int:
        with self.runtime.db.session(write=False) as session:
            return int(
                session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
            )


def _add_hosts(session: Session, runtime: Runtime, count: int) -> list[Host]:
    zone = Zone(name="z1", network_type="Advanced", allocation_state="Enabled")
    session.add(zone)
    session.flush()
    pod = Pod(name="p1", zone_id=zone.id)
    session.add(pod)
    session.flush()
    cluster = Cluster(name="c1", zone_id=zone.id, pod_id=pod.id, hypervisor_type="Simulator")
    session.add(cluster)
    session.flush()
    driver = runtime.drivers.hypervisor("Simulator")
    hosts = []
    for n in range(count):
        url = f"simulator://health{n}?cpu=8&mem=16384"
        info = driver.connect(HostAccess(url=url))
        host = Host(
            name=info.name, guid=info.guid, zone_id=zone.id, pod_id=pod.id, cluster_id=cluster.id,
            hypervisor_type="Simulator", url=url, status="Up", cpu_number=info.cpu_number,
            cpu_speed=info.cpu_speed, memory_total=info.memory, last_ping=utcnow(),
        )  # fmt: skip
        session.add(host)
        hosts.append(host)
    session.flush()
    return hosts


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    servers = [make_runtime(database_url, msid=f"ms-{n}") for n in range(2)]
    for server in servers:
        server.drivers = DriverCatalog(state_dir=tmp_path / "drivers")
    with servers[0].db.session() as session:
        hosts = _add_hosts(session, servers[0], 3)
    yield World(servers=servers, hosts=hosts)
    for server in servers:
        server.db.dispose()


def _add_vm(
    world: World,
    host: Host,
    name: str,
    *,
    ha: bool = False,
    state: str = "Running",
    running_on: Host | None = None,
) -> None:
    """A VM in the database on `host` (none when Stopped), powered on on `running_on`
    (default: `host`)."""
    with world.runtime.db.session() as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        account = session.get(Account, admin.account_id)
        assert account is not None
        offering = session.scalars(
            select(ServiceOffering).where(ServiceOffering.name == "so")
        ).first()
        if offering is None:
            offering = ServiceOffering(
                name="so", display_text="so", cpu_number=1, cpu_speed=500, memory=256
            )
            session.add(offering)
        template = session.scalars(select(Template).where(Template.name == "t")).first()
        if template is None:
            os_type = session.scalars(select(GuestOsType)).first()
            assert os_type is not None
            template = Template(
                name="t", display_text="t", format="QCOW2", account_id=account.id,
                domain_id=account.domain_id, os_type_id=os_type.id, hypervisor_type="Simulator",
            )  # fmt: skip
            session.add(template)
        session.flush()
        vm = VirtualMachine(
            name=name, instance_name=name, state=state, account_id=account.id,
            domain_id=account.domain_id, user_id=admin.id, zone_id=host.zone_id,
            host_id=None if state == "Stopped" else host.id, service_offering_id=offering.id,
            template_id=template.id, hypervisor_type="Simulator", cpu_number=1, cpu_speed=500,
            memory=256, ha_enabled=ha,
        )  # fmt: skip
        session.add(vm)
        session.flush()
        uuid = vm.uuid
    driver = world.runtime.drivers.hypervisor("Simulator")
    spec = VmSpec(name=name, uuid=uuid, cpu_number=1, cpu_speed=500, memory=256)
    driver.start_vm(world.access(running_on or host), spec)


def _vm(world: World, name: str) -> tuple[str, int | None]:
    with world.runtime.db.session(write=False) as session:
        vm = session.scalars(select(VirtualMachine).where(VirtualMachine.name == name)).one()
        return vm.state, vm.host_id


def test_a_host_that_stops_answering_goes_alert_then_back_up(world: World, calls: Calls) -> None:
    host = world.hosts[0]
    world.set_host(host, "down")
    world.last_heard(host, seconds_ago=90)  # due (ping.interval 60), not yet over 150 s
    host_health.run_round(world.runtime)
    assert world.status(host) == "Alert"
    assert world.count(Alert) == 0

    world.set_host(host, "up")
    host_health.run_round(world.runtime)
    assert world.status(host) == "Up"
    assert world.count(Alert, Alert.alert_type == 7, Alert.description.contains("Host is up")) == 1
    assert (
        world.count(Event, Event.event_type == "HOST.RECONNECT", Event.resource_id == host.uuid)
        == 1
    )
    assert [world.status(other) for other in world.hosts[1:]] == ["Up", "Up"]


def test_a_silent_host_goes_down_once_and_its_ha_vms_restart_elsewhere(
    world: World, calls: Calls
) -> None:
    host = world.hosts[0]
    _add_vm(world, host, "ha-vm", ha=True)
    _add_vm(world, host, "plain-vm")
    _add_vm(world, world.hosts[1], "bystander")
    world.set_host(host, "down")
    world.last_heard(host, seconds_ago=3600)
    barrier = threading.Barrier(len(world.servers))

    def run(server: Runtime) -> None:
        barrier.wait()
        host_health.run_round(server)

    threads = [threading.Thread(target=run, args=(server,)) for server in world.servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert world.status(host) == "Down"
    assert (
        world.count(Alert, Alert.alert_type == 7, Alert.description.contains("Host is down")) == 1
    )
    assert sorted(calls.stopped) == ["ha-vm", "plain-vm"]
    assert calls.started == ["ha-vm"]
    state, placed = _vm(world, "ha-vm")
    assert state == "Running" and placed not in (None, host.id)
    assert _vm(world, "plain-vm") == ("Stopped", None)
    assert _vm(world, "bystander") == ("Running", world.hosts[1].id)
    assert world.count(Event, Event.event_type == "VM.START", Event.level == "INFO") == 1
    assert world.count(Alert, Alert.alert_type == 8) == 1

    host_health.run_round(world.servers[1])
    assert len(calls.stopped) == 2 and len(calls.started) == 1


def test_a_recovered_host_stops_the_vms_ha_moved_away(world: World, calls: Calls) -> None:
    host = world.hosts[0]
    _add_vm(world, host, "moved", ha=True)
    world.set_host(host, "down")
    world.last_heard(host, seconds_ago=3600)
    host_health.run_round(world.runtime)
    assert world.status(host) == "Down"
    driver = world.runtime.drivers.hypervisor("Simulator")

    world.set_host(host, "up")
    assert "moved" in driver.vm_states(world.access(host))
    host_health.run_round(world.runtime)
    assert world.status(host) == "Up"
    assert driver.vm_states(world.access(host)) == {}
    assert _vm(world, "moved")[0] == "Running"


def test_hosts_in_maintenance_are_not_pinged(world: World, calls: Calls) -> None:
    host = world.hosts[0]
    with world.runtime.db.session() as session:
        session.execute(update(Host).where(Host.id == host.id).values(resource_state="Maintenance"))
    world.set_host(host, "down")
    world.last_heard(host, seconds_ago=3600)
    host_health.run_round(world.runtime)
    assert world.status(host) == "Up"


def test_a_vm_stopped_out_of_band_is_marked_stopped(world: World, calls: Calls) -> None:
    host = world.hosts[1]
    _add_vm(world, host, "vanished")
    _add_vm(world, host, "on-the-move", state="Migrating")
    _add_vm(world, host, "still-here")
    driver = world.runtime.drivers.hypervisor("Simulator")
    for name in ("vanished", "on-the-move"):
        driver.stop_vm(world.access(host), name, force=True)
    world.last_heard(host, seconds_ago=90)
    host_health.run_round(world.runtime)
    assert calls.stopped == ["vanished"]
    assert _vm(world, "vanished") == ("Stopped", None)
    assert _vm(world, "on-the-move") == ("Migrating", host.id)
    assert _vm(world, "still-here") == ("Running", host.id)
    assert world.status(host) == "Up"


def test_vms_the_database_does_not_place_on_a_host_are_stopped_there(
    world: World, calls: Calls
) -> None:
    host, other = world.hosts[1], world.hosts[2]
    driver = world.runtime.drivers.hypervisor("Simulator")
    _add_vm(world, host, "left-on", state="Stopped")
    _add_vm(world, other, "twice", running_on=host)
    twice_at_home = VmSpec(name="twice", uuid="", cpu_number=1, cpu_speed=500, memory=256)
    driver.start_vm(world.access(other), twice_at_home)
    _add_vm(world, host, "coming-up", state="Starting")
    foreign = VmSpec(
        name="not-ours", uuid=str(uuid.uuid4()), cpu_number=1, cpu_speed=500, memory=256
    )
    driver.start_vm(world.access(host), foreign)
    _add_vm(world, host, "at-home")
    world.last_heard(host, seconds_ago=90)
    world.last_heard(other, seconds_ago=90)

    host_health.run_round(world.runtime)

    assert set(driver.vm_states(world.access(host))) == {"coming-up", "not-ours", "at-home"}
    assert set(driver.vm_states(world.access(other))) == {"twice"}
    assert _vm(world, "left-on") == ("Stopped", None)
    assert _vm(world, "twice") == ("Running", other.id)
    stray = (Alert.alert_type == 8) & Alert.description.contains(f"on host {host.name}")
    assert world.count(Alert, stray) == 2
    assert world.count(Event, Event.event_type == "VM.STOP", Event.level == "WARN") == 2
    assert calls.stopped == []

    host_health.run_round(world.servers[1])
    assert world.count(Alert, stray) == 2
