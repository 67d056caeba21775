"""Job workers: exclusive claims across management servers, and recovery from dead ones."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter

from sqlalchemy import func, select, update

from native.model import Alert, AsyncJob, ManagementServer, User, utcnow
from native.model.jobs import JOB_FAILED, JOB_PENDING, JOB_SUCCEEDED
from native.services.jobs import JobRunner, fail_jobs_of_previous_run
from native.services.runtime import Runtime
from tests.native.services.conftest import make_runtime


def _queue_jobs(runtime: Runtime, count: int, *, owner: str | None = None) -> list[str]:
    with runtime.db.session() as session:
        user = session.scalars(select(User).where(User.username == "admin")).one()
        jobs = [
            AsyncJob(
                user_id=user.id,
                account_id=user.account_id,
                command="deleteDomain",
                params=json.dumps({"n": str(n)}),
                owner_msid=owner,
            )
            for n in range(count)
        ]
        session.add_all(jobs)
        session.flush()
        return [job.uuid for job in jobs]


def _finish(runtime: Runtime, job_id: str) -> None:
    with runtime.db.session() as session:
        session.execute(
            update(AsyncJob)
            .where(AsyncJob.uuid == job_id)
            .values(status=JOB_SUCCEEDED, completed=utcnow())
        )


def test_two_servers_never_run_the_same_job(database_url: str) -> None:
    runs: Counter[str] = Counter()
    lock = threading.Lock()
    runtimes = [make_runtime(database_url, msid=f"ms-{n}") for n in range(2)]

    def executor(runtime: Runtime) -> JobRunner:
        def execute(job_id: str) -> None:
            with lock:
                runs[job_id] += 1
            time.sleep(0.005)
            _finish(runtime, job_id)

        return JobRunner(runtime=runtime, execute=execute, workers=3, poll_interval=0.05)

    job_ids = _queue_jobs(runtimes[0], 40)
    runners = [executor(runtime) for runtime in runtimes]
    for runner in runners:
        runner.start()
    try:
        deadline = time.monotonic() + 60
        while sum(runs.values()) < len(job_ids) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for runner in runners:
            runner.stop()
    assert set(runs) == set(job_ids)
    assert max(runs.values()) == 1
    with runtimes[0].db.session() as session:
        claimed_by = set(
            session.scalars(select(AsyncJob.owner_msid).where(AsyncJob.uuid.in_(job_ids)))
        )
        assert claimed_by <= {"ms-0", "ms-1"}
        assert session.scalar(select(func.count()).where(AsyncJob.status == JOB_PENDING)) == 0


class _CountingRunner(JobRunner):
    claims = 0

    def claim(self) -> str | None:
        type(self).claims += 1
        return super().claim()


def test_an_idle_server_polls_from_one_worker(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms-idle")
    runner = _CountingRunner(
        runtime=runtime, execute=lambda job_id: None, workers=4, poll_interval=0.1
    )
    started = time.monotonic()
    runner.start()
    try:
        time.sleep(1.0)
    finally:
        runner.stop()
    polls = (time.monotonic() - started) / 0.1
    # One claim per worker at start, then one poller; four pollers would make 4 * polls.
    assert _CountingRunner.claims <= 4 + polls + 2


def test_jobs_queued_elsewhere_are_taken_while_the_poller_is_busy(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms-busy")
    started: list[str] = []
    release = threading.Event()

    def execute(job_id: str) -> None:
        started.append(job_id)
        release.wait(30)
        _finish(runtime, job_id)

    runner = JobRunner(runtime=runtime, execute=execute, workers=2, poll_interval=0.05)
    runner.start()
    try:
        (first,) = _queue_jobs(runtime, 1)
        deadline = time.monotonic() + 20
        while not started and time.monotonic() < deadline:
            time.sleep(0.02)
        (second,) = _queue_jobs(runtime, 1)
        while len(started) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started == [first, second]
    finally:
        release.set()
        runner.stop()


def test_jobs_of_a_dead_server_are_failed_with_an_alert(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms-live")
    with runtime.db.session() as session:
        session.add(
            ManagementServer(
                msid="ms-dead",
                name="old-host:1234",
                last_heartbeat=utcnow() - dt.timedelta(minutes=10),
            )
        )
    (orphan,) = _queue_jobs(runtime, 1, owner="ms-dead")
    (queued,) = _queue_jobs(runtime, 1)
    runner = JobRunner(runtime=runtime, execute=lambda job_id: None, workers=0)
    assert runner.fail_jobs_of_dead_servers() == 1
    with runtime.db.session() as session:
        job = session.scalars(select(AsyncJob).where(AsyncJob.uuid == orphan)).one()
        assert job.status == JOB_FAILED
        assert job.result_code == 530
        assert "old-host:1234" in json.loads(job.result or "{}")["errortext"]
        untouched = session.scalars(select(AsyncJob).where(AsyncJob.uuid == queued)).one()
        assert untouched.status == JOB_PENDING and untouched.owner_msid is None
        alert = session.scalars(select(Alert)).one()
        assert "old-host:1234" in alert.description
        assert session.get(ManagementServer, "ms-dead") is None
    assert runner.fail_jobs_of_dead_servers() == 0


def test_a_live_server_is_left_alone_and_reregisters(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms-a")
    other = make_runtime(database_url, msid="ms-b")
    first, second = (
        JobRunner(runtime=r, execute=lambda job_id: None, workers=0) for r in (runtime, other)
    )
    first.start()
    second.start()
    try:
        _queue_jobs(runtime, 1, owner="ms-b")
        assert first.fail_jobs_of_dead_servers() == 0
        with runtime.db.session() as session:
            session.delete(session.get(ManagementServer, "ms-b"))
        second.heartbeat()
        with runtime.db.session() as session:
            assert session.get(ManagementServer, "ms-b") is not None
    finally:
        first.stop()
        second.stop()


def test_a_restarted_node_fails_the_jobs_of_its_previous_run(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms-new")
    with runtime.db.session() as session:
        session.add(
            ManagementServer(msid="ms-old", node="node-1", name="host:1", last_heartbeat=utcnow())
        )
        session.add(
            ManagementServer(msid="ms-peer", node="node-2", name="host:2", last_heartbeat=utcnow())
        )
    (left,) = _queue_jobs(runtime, 1, owner="ms-old")
    (peers,) = _queue_jobs(runtime, 1, owner="ms-peer")
    with runtime.db.session() as session:
        assert fail_jobs_of_previous_run(session, node="node-1") == 1
    with runtime.db.session() as session:
        statuses = {
            row.uuid: row.status for row in session.execute(select(AsyncJob.uuid, AsyncJob.status))
        }
        assert statuses[left] == JOB_FAILED
        assert statuses[peers] == JOB_PENDING
        assert session.get(ManagementServer, "ms-old") is None
        assert session.get(ManagementServer, "ms-peer") is not None
