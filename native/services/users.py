"""Users of accounts: creation, updates, states, API keys, and who may act on whom."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.model import Account, Domain, User, utcnow
from native.services.authentication import close_sessions_of_user
from native.services.caller import Caller, RoleType
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.locks import lock_domain
from native.services.secrets import SecretBox, hash_password, new_api_key, verify_password
from native.services.settings import Settings
from native.services.visibility import can_see_account

USER_STATES = ("enabled", "disabled", "locked")
PASSWORD_MIN_LENGTH = "security.password.min.length"

_RANK = {RoleType.ADMIN: 0, RoleType.DOMAIN_ADMIN: 1, RoleType.USER: 2}


@dataclass(frozen=True, kw_only=True)
class NewUser:
    """What a new user is made of; `uuid` is an optional caller-chosen UUID."""

    username: str
    password: str
    first_name: str
    last_name: str
    email: str | None = None
    timezone: str | None = None
    uuid: str | None = None


@dataclass(frozen=True, kw_only=True)
class UserChanges:
    """The fields of an updateUser call; None leaves a field as it is."""

    username: str | None = None
    password: str | None = None
    current_password: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    timezone: str | None = None
    api_key: str | None = None
    secret_key: str | None = None


# --- who may act on whom -------------------------------------------------------------


def check_may_manage(caller: Caller, account: Account) -> None:
    """Admins act on accounts they can see, whose role is not more privileged than theirs.

    A domain admin therefore never touches a root admin account, even one placed in
    its subtree (CloudStack's checkCallerRoleTypeAllowedForUserOrAccountOperations).
    """
    if not can_see_account(caller, account):
        raise InvalidParameterValue(f"Unable to find account with id {account.uuid}")
    if caller.role_type is RoleType.USER and account.id != caller.account_id:
        raise PermissionDenied(
            f"Account {caller.account_name} may not operate on account {account.uuid}"
        )
    if _RANK[RoleType(account.role.role_type)] < _RANK[caller.role_type]:
        raise PermissionDenied(
            f"Account {caller.account_name} of role type {caller.role_type} may not operate on "
            f"account {account.uuid} of the more privileged role type {account.role.role_type}"
        )


def check_may_act_on_user(caller: Caller, user: User) -> None:
    """A user may act only on itself; admins on users of accounts they may manage."""
    if caller.role_type is RoleType.USER:
        if user.id != caller.user_id:
            raise PermissionDenied(
                f"User {caller.username} may only operate on itself, not on user {user.uuid}"
            )
        return
    check_may_manage(caller, user.account)


def check_not_self_or_default(caller: Caller, user: User, *, action: str) -> None:
    """Nobody may disable, lock or delete itself or the default admin user (531)."""
    if user.id == caller.user_id:
        raise PermissionDenied(f"You cannot {action} your own user {user.uuid}")
    if user.is_default:
        raise PermissionDenied(
            f"The user {user.username} ({user.uuid}) is a default user and cannot be {action}d"
        )


# --- validation --------------------------------------------------------------------


def check_password(
    session: Session, *, settings: Settings, password: str, param: str = "password"
) -> None:
    """Refuse an empty password, or one shorter than `security.password.min.length` (431)."""
    if not password:
        raise InvalidParameterValue(f"Empty passwords are not allowed (parameter {param})")
    minimum = int(settings.get(session, PASSWORD_MIN_LENGTH))
    if len(password) < minimum:
        raise InvalidParameterValue(
            f"Invalid parameter {param}: the password must be at least {minimum} characters long "
            f"(setting {PASSWORD_MIN_LENGTH})"
        )


def check_username_free(
    session: Session,
    *,
    domain: Domain,
    username: str,
    exclude_id: int | None = None,
    param: str = "username",
) -> None:
    """Usernames are unique, case-insensitively, among the live users of a domain (431)."""
    if not username.strip():
        raise InvalidParameterValue(f"Invalid parameter {param}: the username must not be empty")
    lock_domain(session, domain_id=domain.id)
    clash = (
        select(User.id)
        .join(Account, User.account_id == Account.id)
        .where(
            Account.domain_id == domain.id,
            User.removed.is_(None),
            func.lower(User.username) == username.lower(),
        )
    )
    if exclude_id is not None:
        clash = clash.where(User.id != exclude_id)
    if session.scalars(clash).first() is not None:
        raise InvalidParameterValue(
            f"Invalid parameter {param}: the user {username} already exists in domain {domain.uuid}"
        )


def check_uuid_free(
    session: Session, *, entity: type[Account | User], value: str, param: str
) -> None:
    """A caller-chosen UUID must be a UUID that no row (live or removed) has yet (431)."""
    try:
        uuidlib.UUID(value)
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid parameter {param} value={value}: it is not a UUID"
        ) from None
    if session.scalars(select(entity.id).where(entity.uuid == value)).first() is not None:
        raise InvalidParameterValue(
            f"Invalid parameter {param} value={value}: that UUID is already in use"
        )


# --- lifecycle ---------------------------------------------------------------------


def end_sessions(session: Session, users: list[User]) -> None:
    for user in users:
        close_sessions_of_user(session, user_id=user.id)


def live_users(session: Session, account: Account) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.account_id == account.id, User.removed.is_(None))
            .order_by(User.id)
        )
    )


def check_new_user(session: Session, *, settings: Settings, domain: Domain, spec: NewUser) -> None:
    """Everything that could refuse a new user, checked before anything is written."""
    check_username_free(session, domain=domain, username=spec.username)
    check_password(session, settings=settings, password=spec.password)
    if spec.uuid is not None:
        check_uuid_free(session, entity=User, value=spec.uuid, param="userid")


def insert_user(session: Session, *, account: Account, spec: NewUser) -> User:
    """Add a user (already checked with `check_new_user`) to an account; no API keys yet."""
    user = User(
        username=spec.username,
        password_hash=hash_password(spec.password),
        first_name=spec.first_name,
        last_name=spec.last_name,
        email=spec.email,
        timezone=spec.timezone,
        account_id=account.id,
    )
    if spec.uuid is not None:
        user.uuid = spec.uuid
    session.add(user)
    session.flush()
    return user


def create_user(
    session: Session, *, caller: Caller, settings: Settings, account: Account, spec: NewUser
) -> User:
    """A new user of an existing account the caller may manage."""
    check_may_manage(caller, account)
    check_new_user(session, settings=settings, domain=account.domain, spec=spec)
    return insert_user(session, account=account, spec=spec)


def _change_password(
    session: Session,
    *,
    caller: Caller,
    settings: Settings,
    user: User,
    password: str,
    current: str | None,
) -> None:
    if caller.role_type is RoleType.USER:
        if not current:
            raise InvalidParameterValue(
                "To set a new password the current password must be provided (parameter currentpassword)"
            )
        if not verify_password(current, user.password_hash):
            raise InvalidParameterValue(
                "Invalid parameter currentpassword: the current password is incorrect"
            )
    check_password(session, settings=settings, password=password)
    user.password_hash = hash_password(password)
    close_sessions_of_user(session, user_id=user.id)


def _change_keys(
    session: Session, *, secrets: SecretBox, user: User, api_key: str | None, secret_key: str | None
) -> None:
    if api_key is None and secret_key is None:
        return
    if not api_key or not secret_key:
        raise InvalidParameterValue(
            "Please provide a userapikey/usersecretkey pair: both or neither"
        )
    owner = session.scalars(
        select(User.id).where(User.api_key == api_key, User.id != user.id)
    ).first()
    if owner is not None:
        raise InvalidParameterValue("Invalid parameter userapikey: that API key is already in use")
    user.api_key = api_key
    user.secret_key = secrets.seal(secret_key)


def update_user(
    session: Session,
    *,
    caller: Caller,
    settings: Settings,
    secrets: SecretBox,
    user: User,
    changes: UserChanges,
) -> User:
    """Update a user's profile, password or keys. Users update only themselves."""
    check_may_act_on_user(caller, user)
    if changes.username is not None and changes.username != user.username:
        check_username_free(
            session, domain=user.account.domain, username=changes.username, exclude_id=user.id
        )
        user.username = changes.username
    if changes.first_name is not None:
        user.first_name = changes.first_name
    if changes.last_name is not None:
        user.last_name = changes.last_name
    if changes.email is not None:
        user.email = changes.email
    if changes.timezone is not None:
        user.timezone = changes.timezone or None
    if changes.password is not None:
        _change_password(
            session,
            caller=caller,
            settings=settings,
            user=user,
            password=changes.password,
            current=changes.current_password,
        )
    _change_keys(
        session, secrets=secrets, user=user, api_key=changes.api_key, secret_key=changes.secret_key
    )
    session.flush()
    return user


def set_user_state(session: Session, *, caller: Caller, user: User, state: str) -> User:
    """Enable, disable or lock a user; disabling or locking ends its web sessions."""
    assert state in USER_STATES
    check_may_act_on_user(caller, user)
    if state != "enabled":
        check_not_self_or_default(caller, user, action="disable" if state == "disabled" else "lock")
        close_sessions_of_user(session, user_id=user.id)
    user.state = state
    session.flush()
    return user


def check_user_deletable(caller: Caller, user: User) -> None:
    check_may_act_on_user(caller, user)
    check_not_self_or_default(caller, user, action="delete")


def delete_user(session: Session, *, caller: Caller, user: User) -> None:
    """Soft-delete a user: its keys stop working and its sessions end."""
    check_user_deletable(caller, user)
    user.removed = utcnow()
    user.api_key = None
    user.secret_key = None
    close_sessions_of_user(session, user_id=user.id)
    session.flush()


def register_keys(
    session: Session, *, caller: Caller, secrets: SecretBox, user: User
) -> tuple[str, str]:
    """A fresh API key pair for the user; the previous key stops working at once."""
    check_may_act_on_user(caller, user)
    api_key, secret_key = new_api_key(), new_api_key()
    user.api_key = api_key
    user.secret_key = secrets.seal(secret_key)
    session.flush()
    return api_key, secret_key


def get_keys(*, caller: Caller, secrets: SecretBox, user: User) -> tuple[str | None, str | None]:
    """The user's API key and decrypted secret key (None, None when it has none)."""
    check_may_act_on_user(caller, user)
    if user.api_key is None or user.secret_key is None:
        return None, None
    return user.api_key, secrets.open(user.secret_key)
