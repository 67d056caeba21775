"""A migrated and seeded database (SQLite, or MariaDB with ALTO_TEST_DB_URL) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from native.model.migrate import upgrade
from native.services.db import Database
from native.services.runtime import Runtime
from native.services.secrets import SecretBox, new_encryption_key
from native.services.seed import ensure_defaults
from tests.support.databases import fresh_database


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(directory=tmp_path / "db") as url:
        upgrade(url=url)
        database = Database(url=url)
        with database.session() as session:
            ensure_defaults(session, secrets=SecretBox(key=new_encryption_key()))
        database.dispose()
        yield url


def make_runtime(url: str, *, msid: str) -> Runtime:
    """A runtime of its own (as a separate management server would have) on `url`."""
    return Runtime(db=Database(url=url), secrets=SecretBox(key=new_encryption_key()), msid=msid)
