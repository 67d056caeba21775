"""Schema migrations with Alembic, run programmatically (`alto db upgrade`, first start).

Every start of `alto serve` makes sure the schema is the newest. When it already is, that is
found with one query and a look at the migration files, without importing Alembic: its
import alone takes seconds of an appliance's boot under emulation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, pool, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*[\"']([0-9a-z_]+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*[\"']([0-9a-z_]+)[\"']", re.MULTILINE)


def alembic_config(*, url: str) -> Config:
    """An Alembic configuration for this package's migrations on `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def newest_revisions() -> set[str]:
    """The head revisions of this package's migrations, read from the files' `revision` and
    `down_revision` lines (the revisions no other migration builds on)."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text()
        revisions.update(_REVISION.findall(source))
        built_on.update(_DOWN.findall(source))
    return revisions - built_on


def is_newest(*, url: str) -> bool:
    """Whether the database at `url` is at the newest schema; False when it cannot be read
    (no schema yet, or no database), so that Alembic runs and says what is wrong."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            current = {str(row[0]) for row in rows}
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return bool(current) and current == newest_revisions()


class MigrationError(Exception):
    """Alembic could not bring the schema to the newest (an unknown revision, a bad script)."""


def upgrade(*, url: str) -> None:
    """Bring the database at `url` to the newest schema. Safe to run on every start.
    Raises MigrationError when Alembic cannot, SQLAlchemyError when the database fails."""
    if is_newest(url=url):
        return
    from alembic import command
    from alembic.util import CommandError

    try:
        command.upgrade(alembic_config(url=url), "head")
    except CommandError as exc:
        raise MigrationError(str(exc)) from exc


def revision(*, url: str, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a new migration by comparing the models with the database at `url`."""
    from alembic import command

    command.revision(alembic_config(url=url), message=message, autogenerate=True, rev_id=rev_id)
