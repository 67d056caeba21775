"""Re-sealing stored secrets under a new key, wherever in the database they are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from native.model import Account, Domain, User
from native.model.migrate import upgrade
from native.services.db import Database
from native.services.key_rotation import reseal_all
from native.services.secrets import SecretBox, new_encryption_key
from native.services.seed import ensure_defaults
from tests.support.databases import fresh_database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A migrated database with no defaults: each test seeds it under a key of its own."""
    with fresh_database(directory=tmp_path / "db") as url:
        upgrade(url=url)
        database = Database(url=url)
        yield database
        database.dispose()


def box() -> SecretBox:
    return SecretBox(key=new_encryption_key())


def test_whole_values_and_tokens_inside_documents_are_resealed(db: Database) -> None:
    old, new, other = box(), box(), box()
    foreign = other.seal("not ours")
    with db.session() as session:
        ensure_defaults(session, secrets=old)
        admin = session.scalars(select(User)).one()
        admin_secret = old.open(str(admin.secret_key))
        root = session.scalars(select(Domain)).one()
        root.network_domain = "gAAAAA-looks-like-a-token-but-is-not"
        session.add(
            Account(
                name="documents",
                account_type=2,
                role_id=admin.account.role_id,
                domain_id=root.id,
                network_domain=json.dumps({"key": old.seal("inner"), "other": foreign}),
            )
        )

    with db.session() as session:
        count = reseal_all(session, old=old, new=new)

    assert count == 2
    with db.session(write=False) as session:
        admin = session.scalars(select(User)).one()
        assert new.open(str(admin.secret_key)) == admin_secret
        with pytest.raises(ValueError):
            old.open(str(admin.secret_key))
        document = session.scalars(select(Account).where(Account.name == "documents")).one()
        fields = json.loads(str(document.network_domain))
        assert new.open(fields["key"]) == "inner"
        assert fields["other"] == foreign
        root = session.scalars(select(Domain)).one()
        assert root.network_domain == "gAAAAA-looks-like-a-token-but-is-not"


def test_nothing_sealed_with_the_old_key_means_no_change(db: Database) -> None:
    old, new = box(), box()
    with db.session() as session:
        ensure_defaults(session, secrets=new)
        before = session.scalars(select(User.secret_key)).one()
    with db.session() as session:
        assert reseal_all(session, old=old, new=new) == 0
    with db.session(write=False) as session:
        assert session.scalars(select(User.secret_key)).one() == before
