"""Host health: the ping loop, the investigation of silent hosts, and the VM power-state sync.

Each round (run by one management server, see `periodic.claim_round`):

1. One query picks the live hosts to probe: those not in Maintenance that are not Up, or
   whose last answer is older than `ping.interval`; a second one the VMs Running on them.
2. The hosts are pinged through their drivers in a small thread pool, with no transaction
   open; a host that answers also reports the power state of its VMs.
3. The results are written in short transactions: one update stamps `last_ping` on every
   host that answered; a host that was not Up comes back Up (event and alert).
4. A silent host that last answered more than `ping.interval * ping.timeout` seconds ago
   is investigated (pinged again, and asked for its VMs' power states, as CloudStack's
   investigators do). Still silent, it goes Down with an event and an alert, and its VMs
   go to HA (`ha.recover_vms_of_down_hosts`); a host silent for less time goes Alert.
5. A VM Running in the database but absent (or off) on its answering host was stopped
   out of band: it is marked Stopped and its capacity released. VMs in the middle of a
   transition (Starting, Stopping, Migrating) are left alone. A VM of ours the host runs
   that the database does not place there is stopped with an alert (`stray_vms`).

Status changes are compare-and-swap on `host.status`, so of two servers racing on one
host only one records the change and runs its consequences. Rounds run every
`ping.interval` seconds, but at least every `MAX_ROUND_SECONDS`, so that a changed
interval takes effect quickly; each host is still pinged once per `ping.interval`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DriverError, HostAccess, HypervisorDriver, PowerState
from native.model import Host, VirtualMachine, utcnow
from native.services import alerts, ha, stray_vms, vm_orchestrator
from native.services.errors import CloudError
from native.services.events import record_event
from native.services.host_access import host_access, host_driver
from native.services.periodic import PeriodicTask
from native.services.runtime import Runtime
from native.services.vm_states import VmState

log = logging.getLogger(__name__)

T = TypeVar("T")

UP, DOWN, ALERT, DISCONNECTED, CONNECTING = "Up", "Down", "Alert", "Disconnected", "Connecting"
MAINTENANCE = "Maintenance"
MAX_ROUND_SECONDS = 5.0
PROBE_THREADS = 8
ACTIVE_VM_STATES = frozenset(
    state.value
    for state in (VmState.RUNNING, VmState.STARTING, VmState.STOPPING, VmState.MIGRATING)
)


@dataclass(frozen=True, kw_only=True)
class Timing:
    """`interval`: seconds between pings of a host; `timeout`: seconds of silence after
    which a host is investigated and, still silent, declared Down."""

    interval: float
    timeout: float

    @classmethod
    def read(cls, runtime: Runtime) -> Timing:
        with runtime.db.session(write=False) as session:
            interval = float(runtime.settings.get(session, "ping.interval"))
            factor = float(runtime.settings.get(session, "ping.timeout"))
        return cls(interval=interval, timeout=interval * factor)

    @property
    def round_seconds(self) -> float:
        return min(self.interval, MAX_ROUND_SECONDS)


@dataclass(frozen=True, kw_only=True)
class Probed:
    """A host as read before its probe: what the round needs, with no session attached."""

    id: int
    uuid: str
    name: str
    status: str
    last_seen: dt.datetime
    access: HostAccess
    driver: HypervisorDriver

    @property
    def label(self) -> str:
        return f"{self.name} ({self.uuid})"


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What a probe got: whether the host answered, and its VMs' power states if it told."""

    answered: bool
    vms: dict[str, PowerState] | None = None


@dataclass(frozen=True, kw_only=True)
class RunningVm:
    """A VM Running on a probed host, as read before the probe."""

    id: int
    instance_name: str
    host_id: int
    update_count: int


def round_interval(runtime: Runtime) -> float:
    """Seconds between ping rounds (see the module docstring)."""
    return Timing.read(runtime).round_seconds


def run_round(runtime: Runtime) -> None:
    """One ping round over every due host, then HA for the VMs of Down hosts."""
    timing = Timing.read(runtime)
    hosts = due_hosts(runtime, timing=timing, now=utcnow())
    if hosts:
        running = running_vms(runtime, host_ids=[host.id for host in hosts])
        answers = _in_pool(hosts, _probe)
        _settle(runtime, timing=timing, hosts=hosts, answers=answers, running=running)
    ha.recover_vms_of_down_hosts(runtime)


PING_TASK = PeriodicTask(name="host.ping", interval=round_interval, run=run_round)


def due_hosts(runtime: Runtime, *, timing: Timing, now: dt.datetime) -> list[Probed]:
    """The live hosts to probe this round, in one query (see the module docstring)."""
    cutoff = now - dt.timedelta(seconds=timing.interval - timing.round_seconds / 2)
    with runtime.db.session(write=False) as session:
        rows = session.scalars(
            select(Host)
            .where(
                Host.removed.is_(None),
                Host.resource_state != MAINTENANCE,
                or_(Host.status != UP, Host.last_ping.is_(None), Host.last_ping <= cutoff),
            )
            .order_by(Host.id)
        ).all()
        hosts = []
        for host in rows:
            try:
                hosts.append(_snapshot(runtime, host))
            except DriverError as error:
                log.warning("host %s cannot be pinged: %s", host.name, error)
        return hosts


def _snapshot(runtime: Runtime, host: Host) -> Probed:
    return Probed(
        id=host.id,
        uuid=host.uuid,
        name=host.name,
        status=host.status,
        last_seen=host.last_ping or host.created,
        access=host_access(runtime, host),
        driver=host_driver(runtime, host),
    )


def running_vms(runtime: Runtime, *, host_ids: Sequence[int]) -> dict[int, list[RunningVm]]:
    """The VMs the database says are Running on these hosts, by host id."""
    by_host: dict[int, list[RunningVm]] = defaultdict(list)
    with runtime.db.session(write=False) as session:
        rows = session.execute(
            select(
                VirtualMachine.id,
                VirtualMachine.instance_name,
                VirtualMachine.host_id,
                VirtualMachine.update_count,
            ).where(
                VirtualMachine.host_id.in_(host_ids),
                VirtualMachine.state == VmState.RUNNING.value,
                VirtualMachine.removed.is_(None),
            )
        ).all()
    for vm_id, name, host_id, update_count in rows:
        assert host_id is not None
        by_host[host_id].append(
            RunningVm(id=vm_id, instance_name=name, host_id=host_id, update_count=update_count)
        )
    return by_host


def _in_pool(hosts: Sequence[Probed], probe: Callable[[Probed], T]) -> dict[int, T]:
    if not hosts:
        return {}
    with ThreadPoolExecutor(max_workers=min(PROBE_THREADS, len(hosts))) as pool:
        return dict(zip((host.id for host in hosts), pool.map(probe, hosts), strict=True))


def _probe(host: Probed) -> Answer:
    try:
        if not host.driver.ping(host.access):
            return Answer(answered=False)
    except Exception:
        log.exception("pinging host %s failed", host.label)
        return Answer(answered=False)
    try:
        return Answer(answered=True, vms=host.driver.vm_states(host.access))
    except DriverError as error:
        log.warning("host %s answered but did not report its VMs: %s", host.label, error)
        return Answer(answered=True)


def _investigate(host: Probed) -> bool:
    """CloudStack's investigators, for the simulator: a second ping, then a VM report."""
    try:
        if host.driver.ping(host.access):
            return True
        host.driver.vm_states(host.access)
        return True
    except DriverError:
        return False


def _settle(
    runtime: Runtime,
    *,
    timing: Timing,
    hosts: Sequence[Probed],
    answers: dict[int, Answer],
    running: dict[int, list[RunningVm]],
) -> None:
    answered = [host for host in hosts if answers[host.id].answered]
    _stamp(runtime, [host.id for host in answered])
    for host in answered:
        if host.status != UP:
            _came_back(runtime, host, answers[host.id])
        reported = answers[host.id].vms
        sync_power_states(runtime, host=host, reported=reported, running=running.get(host.id, ()))
        if reported is not None:
            stray_vms.stop_strays(
                runtime,
                host_id=host.id,
                host_label=host.label,
                driver=host.driver,
                access=host.access,
                reported=reported,
                expected={vm.instance_name for vm in running.get(host.id, ())},
            )
    now = utcnow()
    silent = [host for host in hosts if not answers[host.id].answered]
    overdue = [
        host
        for host in silent
        if host.status != DOWN and (now - host.last_seen).total_seconds() > timing.timeout
    ]
    alive = _in_pool(overdue, _investigate)
    for host in silent:
        if alive.get(host.id):
            _stamp(runtime, [host.id])
            if host.status != UP:
                _came_back(runtime, host, Answer(answered=True))
        elif host.id in alive:
            _went_down(runtime, host, silent_for=(now - host.last_seen).total_seconds())
        elif host.status in (UP, CONNECTING):
            _change_status(runtime, host, target=ALERT, why="it did not answer a ping")


def _stamp(runtime: Runtime, host_ids: Sequence[int]) -> None:
    if not host_ids:
        return
    with runtime.db.session() as session:
        session.execute(
            update(Host)
            .where(Host.id.in_(host_ids))
            .values(last_ping=utcnow())
            .execution_options(synchronize_session=False)
        )


def _change_status(runtime: Runtime, host: Probed, *, target: str, why: str) -> bool:
    """Swap the host's status from what the round read to `target`, with an event; whether
    this server made the change (False when another server or operation did first)."""
    with runtime.db.session() as session:
        changed = swap_status(session, host_id=host.id, expected=host.status, target=target)
        if changed:
            record_event(
                session,
                caller=None,
                event_type="HOST.RECONNECT" if target == UP else "HA.STATE.TRANSITION",
                description=f"Host {host.label} status changed from {host.status} to "
                f"{target}: {why}",
                level="INFO" if target == UP else "WARN",
                resource_type="Host",
                resource_id=host.uuid,
            )
            if target in (UP, DOWN) and host.status != CONNECTING:
                verb = "up" if target == UP else "down"
                alerts.raise_alert(
                    session,
                    alert_type=alerts.ALERT_HOST,
                    description=f"Host is {verb}, name: {host.label}; {why}",
                )
    return changed


def swap_status(session: Session, *, host_id: int, expected: str, target: str) -> bool:
    """Compare-and-swap a host's status in the caller's transaction; whether it matched."""
    result = session.execute(
        update(Host)
        .where(Host.id == host_id, Host.status == expected)
        .values(status=target)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _came_back(runtime: Runtime, host: Probed, answer: Answer) -> None:
    if host.status == DOWN and answer.vms:
        fence_strays(runtime, host=host, reported=answer.vms)
    _change_status(runtime, host, target=UP, why="it answers pings again")


def _went_down(runtime: Runtime, host: Probed, *, silent_for: float) -> None:
    why = (
        f"no answer to pings for {silent_for:.0f} s, and the investigation (ping and VM "
        f"report) got none either; its HA-enabled VMs will be restarted on other hosts"
    )
    _change_status(runtime, host, target=DOWN, why=why)


def fence_strays(runtime: Runtime, *, host: Probed, reported: dict[str, PowerState]) -> None:
    """Stop the VMs a host that was Down still runs but that the database placed elsewhere or
    stopped (HA restarted them while the host was unreachable). The host is not Up yet, so
    the planner puts nothing new on it meanwhile."""
    with runtime.db.session(write=False) as session:
        rows = session.execute(
            select(
                VirtualMachine.instance_name, VirtualMachine.host_id, VirtualMachine.state
            ).where(VirtualMachine.instance_name.in_(list(reported)))
        ).all()
    strays = [
        name for name, host_id, state in rows if host_id != host.id or state not in ACTIVE_VM_STATES
    ]
    for name in strays:
        try:
            host.driver.stop_vm(host.access, name, force=True)
            log.info("stopped stray VM %s on recovered host %s", name, host.label)
        except DriverError as error:
            log.warning("cannot stop stray VM %s on host %s: %s", name, host.label, error)


def sync_power_states(
    runtime: Runtime,
    *,
    host: Probed,
    reported: dict[str, PowerState] | None,
    running: Iterable[RunningVm],
) -> int:
    """Mark Stopped the VMs Running in the database (as read before the probe) that the
    host no longer runs; returns how many. Nothing is done without a report."""
    if reported is None:
        return 0
    stopped = 0
    for vm in running:
        power = reported.get(vm.instance_name)
        if power is None or power == PowerState.OFF:
            stopped += _stopped_out_of_band(runtime, host=host, seen=vm)
    return stopped


def _stopped_out_of_band(runtime: Runtime, *, host: Probed, seen: RunningVm) -> bool:
    with runtime.db.session() as session:
        vm = session.get(VirtualMachine, seen.id)
        if (
            vm is None
            or vm.state != VmState.RUNNING.value
            or vm.host_id != seen.host_id
            or vm.update_count != seen.update_count
        ):
            return False
        reason = f"it is no longer running on host {host.label} (stopped out of band)"
        try:
            vm_orchestrator.mark_stopped_after_host_failure(session, runtime, vm=vm, reason=reason)
        except CloudError as error:
            log.info("power-state sync of VM %s skipped: %s", seen.instance_name, error.text)
            session.rollback()
            return False
    return True
