"""A fresh, empty database per use: a SQLite file, or a new database on MariaDB/MySQL.

`ALTO_TEST_DB_URL` (a `mysql+pymysql://` URL) selects MariaDB; each use then creates a
uniquely named database (`alto_test_<8 hex>`) on that server and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ENV = "ALTO_TEST_DB_URL"


def server_url() -> URL | None:
    """The MariaDB/MySQL server the suite runs on, or None for SQLite."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    url = make_url(value)
    if not url.drivername.startswith("mysql"):
        raise RuntimeError(f"{ENV} must be a mysql+pymysql:// URL, got {url.drivername}")
    return url


@contextmanager
def fresh_database(*, directory: Path) -> Iterator[str]:
    """Yield the URL of an empty database; a MariaDB one is dropped when the block ends.

    With SQLite the file is `<directory>/alto.db` (the directory is created).
    """
    base = server_url()
    if base is None:
        directory.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{directory / 'alto.db'}"
        return
    name = f"alto_test_{secrets.token_hex(4)}"
    admin = create_engine(base._replace(database=None), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        admin.dispose()
