"""Async job workers: claim queued jobs from the database, run them, keep a heartbeat.

Every management server process runs a `JobRunner`. Jobs are claimed with a
compare-and-swap on `owner_msid` (`UPDATE … WHERE owner_msid IS NULL`), so two servers
on one database never run the same job. A job queued in this process wakes a worker at
once; for jobs queued by other processes one idle worker (the poller) looks every
`poll_interval`, while the other idle workers sleep until woken, so an idle server costs
one query a second, not one per worker. Each server refreshes its heartbeat; when a
server's heartbeat is older than `management.server.heartbeat.timeout`, any live server
fails that server's unfinished jobs with a clear error and raises an alert. A node that
starts again does the same at once for the processes of its previous run
(`fail_jobs_of_previous_run`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from native.model import AsyncJob, ManagementServer, utcnow
from native.model.jobs import JOB_FAILED, JOB_PENDING
from native.services.alerts import ALERT_MANAGEMENT_NODE, raise_alert
from native.services.runtime import Runtime

log = logging.getLogger(__name__)


class JobRunner:
    """Worker threads that run queued jobs through `execute(job_uuid)`.

    `execute` must store the job's outcome itself and never raise.
    """

    def __init__(
        self,
        *,
        runtime: Runtime,
        execute: Callable[[str], None],
        workers: int = 4,
        poll_interval: float = 1.0,
        heartbeat_interval: float = 2.0,
    ) -> None:
        self.runtime = runtime
        self.execute = execute
        self.workers = workers
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self._wake = threading.Condition()
        self._pending_wakeups = 0
        self._poller: int | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Register this server, then start the workers and the housekeeping thread."""
        with self.runtime.db.session() as session:
            self._register(session)
        for index in range(self.workers):
            self._spawn(self._work, f"alto-job-{index}")
        self._spawn(self._housekeep, "alto-job-housekeeping")

    def _register(self, session: Session) -> None:
        session.merge(
            ManagementServer(
                msid=self.runtime.msid,
                node=self.runtime.node,
                name=f"{socket.gethostname()}:{os.getpid()}",
                started=utcnow(),
                last_heartbeat=utcnow(),
                state="Up",
            )
        )

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop taking jobs, wait for running ones, and mark this server down."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        with self.runtime.db.session() as session:
            session.execute(
                update(ManagementServer)
                .where(ManagementServer.msid == self.runtime.msid)
                .values(state="Down")
            )

    def wake(self) -> None:
        """Tell a worker that a job was just queued."""
        with self._wake:
            self._pending_wakeups += 1
            self._wake.notify()

    def _wait(self) -> None:
        me = threading.get_ident()
        with self._wake:
            if self._pending_wakeups == 0:
                if self._poller is None:
                    self._poller = me
                self._wake.wait(self.poll_interval if self._poller == me else None)
            self._pending_wakeups = max(0, self._pending_wakeups - 1)

    def _hand_over_polling(self) -> None:
        """Before running a job: an idle worker takes over the polling (and looks for the
        next queued job at once)."""
        with self._wake:
            if self._poller == threading.get_ident():
                self._poller = None
                self._wake.notify()

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                job_id = self.claim()
            except Exception:
                log.exception("claiming a job failed")
                job_id = None
            if job_id is None:
                self._wait()
                continue
            self._hand_over_polling()
            self.execute(job_id)

    def claim(self) -> str | None:
        """Take the oldest unclaimed pending job for this server; None if there is none."""
        with self.runtime.db.session() as session:
            candidates = session.execute(
                select(AsyncJob.id, AsyncJob.uuid)
                .where(AsyncJob.status == JOB_PENDING, AsyncJob.owner_msid.is_(None))
                .order_by(AsyncJob.id)
                .limit(8)
            ).all()
            for job_pk, job_uuid in candidates:
                claimed = session.execute(
                    update(AsyncJob)
                    .where(AsyncJob.id == job_pk, AsyncJob.owner_msid.is_(None))
                    .values(owner_msid=self.runtime.msid, last_updated=utcnow())
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return str(job_uuid)
        return None

    def _housekeep(self) -> None:
        while not self._stopping.wait(self.heartbeat_interval):
            try:
                self.heartbeat()
                self.fail_jobs_of_dead_servers()
            except Exception:
                log.exception("job housekeeping failed")

    def heartbeat(self) -> None:
        """Refresh this server's heartbeat, registering again if it was taken for dead."""
        with self.runtime.db.session() as session:
            beat = session.execute(
                update(ManagementServer)
                .where(ManagementServer.msid == self.runtime.msid)
                .values(last_heartbeat=utcnow(), state="Up")
            )
            if beat.rowcount == 0:  # type: ignore[attr-defined]
                self._register(session)

    def fail_jobs_of_dead_servers(self) -> int:
        """Fail the unfinished jobs of servers whose heartbeat stopped; returns how many."""
        with self.runtime.db.session() as session:
            timeout = int(self.runtime.settings.get(session, "management.server.heartbeat.timeout"))
            cutoff = utcnow() - dt.timedelta(seconds=timeout)
            dead = session.scalars(
                select(ManagementServer).where(
                    ManagementServer.msid != self.runtime.msid,
                    ManagementServer.last_heartbeat < cutoff,
                )
            ).all()
            return sum(
                fail_orphaned_jobs(session, server=server, why="stopped answering")
                for server in dead
            )


def fail_jobs_of_previous_run(session: Session, *, node: str) -> int:
    """At a node's start: fail the unfinished jobs its earlier processes left; how many.

    Call before this run's job workers start: every process registered for the node
    then belongs to a run that has ended.
    """
    servers = session.scalars(select(ManagementServer).where(ManagementServer.node == node)).all()
    return sum(
        fail_orphaned_jobs(session, server=server, why="was restarted") for server in servers
    )


def fail_orphaned_jobs(session: Session, *, server: ManagementServer, why: str) -> int:
    """Fail a gone server's unfinished jobs, alert if there were any, and forget the server."""
    text = (
        f"Job failed because management server {server.name} stopped while running it "
        f"(it {why}); it was not resumed since the command may have been half-done"
    )
    now = utcnow()
    result = session.execute(
        update(AsyncJob)
        .where(AsyncJob.owner_msid == server.msid, AsyncJob.status == JOB_PENDING)
        .values(
            status=JOB_FAILED,
            result_code=530,
            result=json.dumps({"errorcode": 530, "errortext": text}),
            completed=now,
            last_updated=now,
        )
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        raise_alert(
            session,
            alert_type=ALERT_MANAGEMENT_NODE,
            description=f"Management server {server.name} stopped; {count} running job(s) failed",
        )
    session.delete(server)
    return count
