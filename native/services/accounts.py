"""Accounts: lifecycle of the resource owners inside a domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Account, User, utcnow
from native.services.authentication import close_sessions_of_user


def remove_account(session: Session, *, account: Account) -> None:
    """Soft-delete an account and its users; their keys stop working and sessions end."""
    now = utcnow()
    for user in session.scalars(
        select(User).where(User.account_id == account.id, User.removed.is_(None))
    ):
        user.removed = now
        user.api_key = None
        user.secret_key = None
        close_sessions_of_user(session, user_id=user.id)
    account.removed = now
    account.state = "removed"
