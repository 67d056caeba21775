"""Periodic tasks: each round runs on exactly one management server."""

from __future__ import annotations

import threading
import time

import pytest

from native.services import periodic
from native.services.periodic import PeriodicRunner, PeriodicTask, claim_round, due_in
from native.services.runtime import Runtime
from tests.native.services.conftest import make_runtime


def test_only_one_server_claims_each_round(database_url: str) -> None:
    runtimes = [make_runtime(database_url, msid=f"ms-{n}") for n in range(4)]
    task = PeriodicTask(name="probe", interval=lambda runtime: 3600.0, run=lambda runtime: None)
    barrier = threading.Barrier(len(runtimes))
    won: list[str] = []

    def claim(runtime: Runtime) -> None:
        barrier.wait()
        if claim_round(runtime, task):
            won.append(runtime.msid)

    threads = [threading.Thread(target=claim, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert not claim_round(runtimes[0], task)
    assert 3500 < due_in(runtimes[0], task) <= 3600
    shorter = PeriodicTask(name="probe", interval=lambda runtime: 0.0, run=lambda runtime: None)
    assert due_in(runtimes[0], shorter) == 0.0
    assert claim_round(runtimes[0], shorter)
    for runtime in runtimes:
        runtime.db.dispose()


def test_the_runner_runs_due_tasks_and_survives_a_failing_one(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms")
    ran: list[str] = []

    def explode(runtime: Runtime) -> None:
        raise RuntimeError("boom")

    runner = PeriodicRunner(
        runtime=runtime,
        tasks=[
            PeriodicTask(name="bad", interval=lambda r: 0.0, run=explode),
            PeriodicTask(name="good", interval=lambda r: 0.0, run=lambda r: ran.append("good")),
        ],
    )
    runner.run_due()
    runner.run_due()
    assert ran == ["good", "good"]


def test_an_idle_runner_claims_only_due_rounds(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(database_url, msid="ms")
    claims: list[str] = []
    real_claim = periodic.claim_round

    def counting_claim(runtime: Runtime, task: PeriodicTask) -> bool:
        claims.append(task.name)
        return real_claim(runtime, task)

    monkeypatch.setattr(periodic, "claim_round", counting_claim)
    ran: list[str] = []
    tasks = [
        PeriodicTask(name=f"hourly-{n}", interval=lambda r: 3600.0, run=lambda r: ran.append("h"))
        for n in range(3)
    ]
    runner = PeriodicRunner(runtime=runtime, tasks=tasks, tick=0.05, max_wait=0.2)
    runner.start()
    try:
        time.sleep(1.0)
    finally:
        runner.stop()
    # One claim per task; a claim on every pass would be about 3 * 1.0 / 0.2 = 15.
    assert sorted(claims) == ["hourly-0", "hourly-1", "hourly-2"]
    assert ran == ["h", "h", "h"]
    assert runner.run_due() == 0.2  # nothing due: the longest sleep
    assert len(claims) == 3
