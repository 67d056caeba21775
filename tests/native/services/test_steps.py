"""Steps: committed steps stay; a later failure rolls back the open one and undoes the rest."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Zone
from native.services.steps import Steps
from tests.native.services.conftest import make_runtime


def _names(session: Session) -> list[str]:
    return list(session.scalars(select(Zone.name).where(Zone.removed.is_(None)).order_by(Zone.id)))


def test_a_failure_undoes_committed_steps_newest_first(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms")
    undone: list[str] = []

    def remove(name: str) -> Callable[[Session], None]:
        def undo(session: Session) -> None:
            undone.append(name)
            zone = session.scalars(select(Zone).where(Zone.name == name)).one()
            session.delete(zone)

        return undo

    with pytest.raises(RuntimeError), runtime.db.session() as session, Steps(session) as steps:
        for name in ("a", "b"):
            session.add(Zone(name=name, network_type="Basic"))
            session.flush()
            steps.on_undo(remove(name))
            steps.commit()
        session.add(Zone(name="uncommitted", network_type="Basic"))
        session.flush()
        raise RuntimeError("driver failed")

    assert undone == ["b", "a"]
    with runtime.db.session(write=False) as session:
        assert _names(session) == []


def test_done_keeps_what_was_committed(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms")
    with pytest.raises(RuntimeError), runtime.db.session() as session, Steps(session) as steps:
        session.add(Zone(name="kept", network_type="Basic"))
        steps.on_undo(lambda s: pytest.fail("undo must not run after done()"))
        steps.commit()
        steps.done()
        raise RuntimeError("late failure")
    with runtime.db.session(write=False) as session:
        assert _names(session) == ["kept"]
