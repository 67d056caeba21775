"""The tag helpers other areas' list commands use: `tag_clause`, `tags_of`, `remove_tags_of`."""

from __future__ import annotations

from sqlalchemy import select

from native.model import Account, User
from native.services import tags
from native.services.caller import Caller
from tests.native.services.conftest import make_runtime


def test_filter_render_and_remove(database_url: str) -> None:
    runtime = make_runtime(database_url, msid="ms-tags")
    with runtime.db.session() as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        caller = Caller.of(admin)
        tags.create_tags(
            session,
            caller=caller,
            resource_type="account",
            resource_uuids=[admin.account.uuid],
            tags={"env": "prod", "tier": "gold"},
            customer=None,
        )
        tags.create_tags(
            session,
            caller=caller,
            resource_type="User",
            resource_uuids=[admin.uuid],
            tags={"env": "dev"},
            customer=None,
        )

    def accounts_tagged(wanted: dict[str, str | None]) -> list[str]:
        clause = tags.tag_clause(resource_type="Account", id_column=Account.id, tags=wanted)
        with runtime.db.session() as session:
            return list(session.scalars(select(Account.name).where(clause)))

    assert accounts_tagged({"env": "prod"}) == ["admin"]
    assert accounts_tagged({"env": "prod", "tier": "gold"}) == ["admin"]
    assert accounts_tagged({"env": "prod", "tier": "silver"}) == []
    assert accounts_tagged({"env": "dev"}) == []
    assert accounts_tagged({"tier": None}) == ["admin"]
    assert accounts_tagged({}) == ["admin"]

    with runtime.db.session() as session:
        account_id = session.scalars(select(Account.id).where(Account.name == "admin")).one()
        found = tags.tags_of(session, resource_type="Account", resource_ids=[account_id, 9999])
        assert list(found) == [account_id]
        assert [(tag.key, tag.value) for tag in found[account_id]] == [
            ("env", "prod"),
            ("tier", "gold"),
        ]
        assert tags.tags_of(session, resource_type="Account", resource_ids=[]) == {}
        tags.remove_tags_of(session, resource_type="Account", resource_id=account_id)
    with runtime.db.session() as session:
        assert tags.tags_of(session, resource_type="Account", resource_ids=[account_id]) == {}
    assert accounts_tagged({"env": "prod"}) == []
    runtime.db.dispose()
