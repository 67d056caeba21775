"""Periodic tasks: each round runs on exactly one management server."""

from __future__ import annotations

import threading

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
