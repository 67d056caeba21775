"""Telling waiters in this process the moment a job ends here.

A job queued by a request is almost always run by a worker of the same process, so a
caller that waits for its outcome (the EC2 translator) need not poll on a timer: it blocks
here until the job ends or its poll interval passes, then reads the outcome from the
database as before. A job run by another server is seen by that polling alone.
"""

from __future__ import annotations

import threading
from collections import deque

KEPT = 1024


class JobCompletions:
    """The most recent `kept` jobs that ended in this process, and a way to wait for one."""

    def __init__(self, *, kept: int = KEPT) -> None:
        self._ended: set[str] = set()
        self._order: deque[str] = deque()
        self._kept = kept
        self._changed = threading.Condition()

    def ended(self, job_id: str) -> None:
        """Record that the job's outcome is stored (committed), and wake its waiters."""
        with self._changed:
            self._ended.add(job_id)
            self._order.append(job_id)
            while len(self._order) > self._kept:
                self._ended.discard(self._order.popleft())
            self._changed.notify_all()

    def wait(self, job_id: str, *, timeout: float) -> bool:
        """Block until the job has ended in this process or `timeout` seconds pass; whether
        it has ended here."""
        with self._changed:
            return self._changed.wait_for(lambda: job_id in self._ended, timeout)
