"""Periodic background tasks (HA pings, snapshot schedules, expunging), run cluster-wide once.

Every management server runs a `PeriodicRunner` over the same task list. Before a round,
a server moves the task's `last_run` to now with a compare-and-swap on its lease row, so
each round runs on exactly one server whatever the number of processes. A runner reads
every lease in one query, claims only the rounds that are due, and sleeps until the next
one is (at most `max_wait`): the interval is read at every check, so changing its
setting takes effect within that time, and an idle server costs a query every few seconds
rather than a write per task per tick.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from native.model import TaskLease, utcnow
from native.services.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class PeriodicTask:
    """A named task, its interval in seconds (read each round, usually from a setting), and
    its body. The body must handle its own errors per item; an escaping error is logged."""

    name: str
    interval: Callable[[Runtime], float]
    run: Callable[[Runtime], None]


def claim_round(runtime: Runtime, task: PeriodicTask) -> bool:
    """Take the task's next round if it is due; whether this server should run it now."""
    now = utcnow()
    interval = task.interval(runtime)
    with runtime.db.session() as session:
        if session.get(TaskLease, task.name) is None:
            try:
                with session.begin_nested():
                    session.add(TaskLease(name=task.name))
            except IntegrityError:
                pass
        result = session.execute(
            update(TaskLease)
            .where(
                TaskLease.name == task.name,
                or_(
                    TaskLease.last_run.is_(None),
                    TaskLease.last_run <= now - dt.timedelta(seconds=interval),
                ),
            )
            .values(last_run=now, owner_msid=runtime.msid)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _seconds_until(last_run: dt.datetime | None, interval: float) -> float:
    if last_run is None:
        return 0.0
    due = last_run + dt.timedelta(seconds=interval)
    return max(0.0, (due - utcnow()).total_seconds())


def due_in(runtime: Runtime, task: PeriodicTask) -> float:
    """Seconds until the task's next round is due (0 if it is due or never ran)."""
    with runtime.db.session(write=False) as session:
        last_run = session.scalar(select(TaskLease.last_run).where(TaskLease.name == task.name))
    return _seconds_until(last_run, task.interval(runtime))


class PeriodicRunner:
    """One thread that runs each due task's round when this server wins it."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        tasks: Sequence[PeriodicTask],
        tick: float = 0.5,
        max_wait: float = 2.0,
    ) -> None:
        self.runtime = runtime
        self.tasks = tuple(tasks)
        self.tick = tick
        self.max_wait = max_wait
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="alto-periodic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_due(self) -> float:
        """One pass: run every due task whose round this server claims; the seconds until
        the next round of any task is due."""
        names = [task.name for task in self.tasks]
        with self.runtime.db.session(write=False) as session:
            rows = session.execute(
                select(TaskLease.name, TaskLease.last_run).where(TaskLease.name.in_(names))
            )
            last_runs = {name: last_run for name, last_run in rows}
        next_due = self.max_wait
        for task in self.tasks:
            if self._stopping.is_set():
                break
            try:
                interval = task.interval(self.runtime)
                wait = _seconds_until(last_runs.get(task.name), interval)
                if wait == 0.0:
                    if claim_round(self.runtime, task):
                        task.run(self.runtime)
                    wait = interval
            except Exception:
                log.exception("periodic task %s failed", task.name)
                wait = self.max_wait
            next_due = min(next_due, wait)
        return next_due

    def _loop(self) -> None:
        wait = self.tick
        while not self._stopping.wait(wait):
            try:
                next_due = self.run_due()
            except Exception:
                log.exception("periodic tasks could not be checked")
                next_due = self.max_wait
            wait = max(next_due, self.tick)
