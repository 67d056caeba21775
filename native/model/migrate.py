"""Schema migrations with Alembic, run programmatically (`alto db upgrade`, first start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(*, url: str) -> Config:
    """An Alembic configuration for this package's migrations on `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(*, url: str) -> None:
    """Bring the database at `url` to the newest schema. Safe to run on every start."""
    command.upgrade(alembic_config(url=url), "head")


def revision(*, url: str, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a new migration by comparing the models with the database at `url`."""
    command.revision(alembic_config(url=url), message=message, autogenerate=True, rev_id=rev_id)
