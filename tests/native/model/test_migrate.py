"""`upgrade` on every start: Alembic runs only when the schema is not the newest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from native.model.migrate import alembic_config, is_newest, newest_revisions, upgrade
from tests.support.databases import fresh_database


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(directory=tmp_path / "db") as fresh:
        yield fresh


def test_the_newest_revisions_are_alembics_heads(url: str) -> None:
    heads = ScriptDirectory.from_config(alembic_config(url=url)).get_heads()
    assert newest_revisions() == set(heads)


def test_an_empty_database_is_not_the_newest_until_upgraded(url: str) -> None:
    assert not is_newest(url=url)
    upgrade(url=url)
    assert is_newest(url=url)


def test_a_current_schema_is_left_to_itself(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(url=url)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Alembic ran on a current schema")

    monkeypatch.setattr(command, "upgrade", refuse)
    upgrade(url=url)


def test_an_older_schema_is_upgraded(url: str) -> None:
    upgrade(url=url)
    command.downgrade(alembic_config(url=url), "-1")
    assert not is_newest(url=url)
    upgrade(url=url)
    assert is_newest(url=url)
