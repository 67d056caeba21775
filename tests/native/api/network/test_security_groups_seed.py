"""Accounts made before security groups existed get their `default` group at the next start
(`ensure_defaults`), on a database of their own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from native.model import Account, SecurityGroup
from native.model.migrate import upgrade
from native.services.db import Database
from native.services.secrets import SecretBox, new_encryption_key
from native.services.seed import ensure_defaults
from tests.support.databases import fresh_database


def group_names(database: Database) -> dict[str, list[str]]:
    with database.session(write=False) as session:
        rows = session.execute(
            select(Account.name, SecurityGroup.name)
            .join(SecurityGroup, SecurityGroup.account_id == Account.id, isouter=True)
            .order_by(Account.name)
        ).all()
    found: dict[str, list[str]] = {}
    for account, group in rows:
        found.setdefault(account, []).extend([group] if group else [])
    return found


def test_start_gives_every_account_a_default_group(tmp_path: Path) -> None:
    secrets = SecretBox(key=new_encryption_key())
    with fresh_database(directory=tmp_path / "db") as url:
        upgrade(url=url)
        database = Database(url=url)
        try:
            with database.session() as session:
                ensure_defaults(session, secrets=secrets)
            assert group_names(database) == {"admin": ["default"]}
            with database.session() as session:
                admin = session.scalars(select(Account).where(Account.name == "admin")).one()
                session.add(
                    Account(
                        name="older",
                        account_type=0,
                        role_id=admin.role_id,
                        domain_id=admin.domain_id,
                    )
                )
            assert group_names(database) == {"admin": ["default"], "older": []}
            with database.session() as session:
                ensure_defaults(session, secrets=secrets)
            assert group_names(database) == {"admin": ["default"], "older": ["default"]}
        finally:
            database.dispose()
