"""Waking a waiter the moment a job ends in this process."""

from __future__ import annotations

import threading

from native.services.job_completions import JobCompletions


def test_a_job_that_ended_is_seen_at_once_and_one_that_did_not_times_out() -> None:
    completions = JobCompletions()
    assert completions.wait("job-1", timeout=0.01) is False
    completions.ended("job-1")
    assert completions.wait("job-1", timeout=0) is True
    assert completions.wait("job-2", timeout=0) is False


def test_a_waiter_blocked_before_the_job_ends_is_woken() -> None:
    completions = JobCompletions()
    waiting = threading.Event()
    answers: list[bool] = []

    def wait() -> None:
        waiting.set()
        answers.append(completions.wait("job-1", timeout=60))

    waiter = threading.Thread(target=wait)
    waiter.start()
    waiting.wait()
    completions.ended("job-2")
    completions.ended("job-1")
    waiter.join()
    assert answers == [True]


def test_only_the_most_recent_jobs_are_kept() -> None:
    completions = JobCompletions(kept=2)
    for job_id in ("a", "b", "c"):
        completions.ended(job_id)
    assert [completions.wait(job_id, timeout=0) for job_id in ("a", "b", "c")] == [
        False,
        True,
        True,
    ]
