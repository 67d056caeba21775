"""Row locks that serialise check-then-write sequences across management servers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Domain


def lock_domain(session: Session, *, domain_id: int) -> None:
    """Hold the domain row's lock until the transaction ends.

    Names of subdomains, accounts and users are unique within a domain; checking them
    under this lock makes two racing creations see each other. On SQLite the write
    transaction already holds the database lock (BEGIN IMMEDIATE), and FOR UPDATE is
    not rendered.
    """
    session.execute(select(Domain.id).where(Domain.id == domain_id).with_for_update())
