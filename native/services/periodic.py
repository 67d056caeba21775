"""Periodic background tasks (HA pings, snapshot schedules, expunging), run cluster-wide once.

Every management server runs a `PeriodicRunner` over the same task list. Before a round,
a server moves the task's `last_run` to now with a compare-and-swap on its lease row, so
each round runs on exactly one server whatever the number of processes. The interval is
read at every check, so changing its setting takes effect at once.
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


def due_in(runtime: Runtime, task: PeriodicTask) -> float:
    """Seconds until the task's next round is due (0 if it is due or never ran)."""
    with runtime.db.session(write=False) as session:
        last_run = session.scalar(select(TaskLease.last_run).where(TaskLease.name == task.name))
    if last_run is None:
        return 0.0
    due = last_run + dt.timedelta(seconds=task.interval(runtime))
    return max(0.0, (due - utcnow()).total_seconds())


class PeriodicRunner:
    """One thread that runs each due task's round when this server wins it."""

    def __init__(
        self, *, runtime: Runtime, tasks: Sequence[PeriodicTask], tick: float = 0.5
    ) -> None:
        self.runtime = runtime
        self.tasks = tuple(tasks)
        self.tick = tick
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="alto-periodic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_due(self) -> None:
        """One pass: run every task whose round this server claims."""
        for task in self.tasks:
            if self._stopping.is_set():
                return
            try:
                if claim_round(self.runtime, task):
                    task.run(self.runtime)
            except Exception:
                log.exception("periodic task %s failed", task.name)

    def _loop(self) -> None:
        while not self._stopping.wait(self.tick):
            self.run_due()
