"""Multi-step operations that commit as they go and undo what they did if a later step fails.

A job that calls a hypervisor must not hold a database transaction open meanwhile (on
SQLite that would stop every other writer). So it commits its bookkeeping before the call,
and registers how to undo it:

    with Steps(ctx.session) as steps:
        reserve_capacity(...)                       # in the current transaction
        steps.on_undo(lambda s: release_capacity(s, ...))
        steps.commit()                              # visible to others, lock released
        driver.start_vm(...)                        # no transaction open
        mark_running(...)

If the block raises, the current transaction is rolled back, then every registered undo
runs newest first, each in its own committed transaction, and the error propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Undo = Callable[[Session], None]


class Steps:
    """A compensation stack bound to one session (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._undo: list[Undo] = []

    def on_undo(self, undo: Undo) -> None:
        """Register what reverses the step just done; it receives a session to work in."""
        self._undo.append(undo)

    def commit(self) -> None:
        """Make the steps so far durable and visible, and end the transaction."""
        self.session.commit()

    def done(self) -> None:
        """Forget the undo stack: whatever happens next, the steps so far stand."""
        self._undo.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            return
        self.session.rollback()
        while self._undo:
            undo = self._undo.pop()
            try:
                undo(self.session)
                self.session.commit()
            except Exception:
                log.exception("undoing a step failed; continuing with the rest")
                self.session.rollback()
