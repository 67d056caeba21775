"""Authenticating callers: API key pairs, passwords, and web sessions."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets as random
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from native.model import Account, Domain, LoginSession, Role, User, utcnow
from native.services.caller import Caller, RoleType
from native.services.secrets import SecretBox, digest_token, verify_password


@dataclass(frozen=True)
class KeyOwner:
    """The enabled user holding an API key, with its decrypted secret key."""

    caller: Caller
    secret_key: str


@dataclass(frozen=True)
class NewSession:
    """A web session just opened: the cookie value, the `sessionkey`, and the user."""

    cookie: str
    session_key: str
    user: User


ENABLED = "enabled"


def _usable(user: User) -> bool:
    account = user.account
    return (
        user.removed is None
        and user.state == ENABLED
        and account.removed is None
        and account.state == ENABLED
        and account.domain.removed is None
    )


_KEY_OWNER = (
    select(
        User.secret_key,
        User.id.label("user_id"),
        User.uuid.label("user_uuid"),
        User.username,
        Account.id.label("account_id"),
        Account.uuid.label("account_uuid"),
        Account.name.label("account_name"),
        Account.domain_id,
        Domain.uuid.label("domain_uuid"),
        Domain.path.label("domain_path"),
        Account.role_id,
        Role.role_type,
    )
    .join(Account, User.account_id == Account.id)
    .join(Domain, Account.domain_id == Domain.id)
    .join(Role, Account.role_id == Role.id)
    .where(
        User.api_key == bindparam("api_key"),
        User.removed.is_(None),
        User.state == ENABLED,
        Account.removed.is_(None),
        Account.state == ENABLED,
        Domain.removed.is_(None),
    )
)


def key_owner(session: Session, *, api_key: str, secrets: SecretBox) -> KeyOwner | None:
    """The owner of an API key, or None if the key is unknown or its user/account is not enabled.

    Every request is authenticated this way, so it is one statement, built once: the user,
    account, domain and role read as columns (named as `Caller`'s fields) rather than as
    rows loaded one by one.
    """
    row = session.execute(_KEY_OWNER, {"api_key": api_key}).mappings().first()
    if row is None or row["secret_key"] is None:
        return None
    fields = dict(row)
    sealed = fields.pop("secret_key")
    fields["role_type"] = RoleType(fields["role_type"])
    return KeyOwner(caller=Caller(**fields), secret_key=secrets.open(sealed))


def _find_login_user(session: Session, *, username: str, domain_path: str) -> User | None:
    return session.scalars(
        select(User)
        .join(Account, User.account_id == Account.id)
        .join(Domain, Account.domain_id == Domain.id)
        .where(User.username == username, User.removed.is_(None), Domain.path == domain_path)
    ).first()


def domain_path_for_login(domain: str | None) -> str:
    """CloudStack's login `domain`: `/` or empty is ROOT, `a/b` or `/a/b/` a subdomain path."""
    if not domain or domain.strip("/") == "" or domain.strip("/").upper() == "ROOT":
        return "/"
    return "/" + domain.strip("/") + "/"


def open_session(
    session: Session, *, username: str, password: str, domain_path: str
) -> NewSession | None:
    """Check the password and open a web session; None on any failure (no detail leaks)."""
    user = _find_login_user(session, username=username, domain_path=domain_path)
    if user is None:
        verify_password(password, "scrypt$16384$8$1$00$00")
        return None
    if not verify_password(password, user.password_hash) or not _usable(user):
        return None
    cookie, session_key = random.token_urlsafe(32), random.token_urlsafe(24)
    session.add(
        LoginSession(
            cookie_hash=digest_token(cookie),
            session_key_hash=digest_token(session_key),
            user_id=user.id,
        )
    )
    session.flush()
    return NewSession(cookie=cookie, session_key=session_key, user=user)


def session_caller(
    session: Session, *, cookie: str, session_key: str, idle_timeout: dt.timedelta
) -> Caller | None:
    """The caller of a live web session whose `sessionkey` matches; refreshes its idle timer."""
    row = session.scalars(
        select(LoginSession).where(LoginSession.cookie_hash == digest_token(cookie))
    ).first()
    if row is None:
        return None
    now = utcnow()
    if now - row.last_access > idle_timeout:
        session.delete(row)
        return None
    if not hmac.compare_digest(row.session_key_hash, digest_token(session_key)):
        return None
    user = session.get(User, row.user_id)
    if user is None or not _usable(user):
        return None
    row.last_access = now
    return Caller.of(user)


def close_session(session: Session, *, cookie: str) -> bool:
    """End a web session; whether one was open."""
    result = session.execute(
        delete(LoginSession).where(LoginSession.cookie_hash == digest_token(cookie))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def close_sessions_of_user(session: Session, *, user_id: int) -> None:
    """End every web session of a user (after a disable, delete or password change)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
