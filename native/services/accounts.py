"""Accounts: lifecycle of the resource owners inside a domain."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.model import Account, Domain, Role, SettingValue, User, utcnow
from native.services import limits
from native.services.authentication import close_sessions_of_user
from native.services.caller import (
    ACCOUNT_TYPE_OF_ROLE_TYPE,
    ROLE_TYPE_OF_ACCOUNT_TYPE,
    AccountType,
    Caller,
    RoleType,
)
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.locks import lock_domain
from native.services.network.security_groups import default_group
from native.services.seed import default_role
from native.services.settings import Settings
from native.services.users import (
    NewUser,
    check_may_manage,
    check_new_user,
    check_uuid_free,
    insert_user,
    live_users,
)
from native.services.visibility import can_see_account, domain_path_in_scope

ACCOUNT_STATES = ("enabled", "disabled", "locked")
ACCOUNT_SCOPE = "account"


def remove_account(session: Session, *, account: Account) -> None:
    """Soft-delete an account and its users; their keys stop working and sessions end.

    The account is marked `cleanup_needed`: its resources are released afterwards by the
    periodic `account_cleanup.CLEANUP_TASK`.
    """
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
    account.cleanup_needed = True


# --- lookups and checks ----------------------------------------------------------------


def find_account(
    session: Session,
    *,
    caller: Caller,
    account: Account | None,
    name: str | None,
    domain: Domain | None,
) -> Account:
    """The account named by `id`, or by `account` + `domainid` (the caller's domain by default)."""
    if account is not None:
        return account
    if name is None:
        raise InvalidParameterValue(
            "Either parameter id or parameter account (with domainid) must be given"
        )
    domain_id = caller.domain_id if domain is None else domain.id
    found = session.scalars(
        select(Account).where(
            func.lower(Account.name) == name.lower(),
            Account.domain_id == domain_id,
            Account.removed.is_(None),
        )
    ).first()
    if found is None or not can_see_account(caller, found):
        where = caller.domain_uuid if domain is None else domain.uuid
        raise InvalidParameterValue(
            f"Unable to find account by name {name} in domain {where} (parameter account)"
        )
    return found


def check_name_free(
    session: Session, *, domain: Domain, name: str, exclude_id: int | None = None, param: str
) -> None:
    """Account names are unique, case-insensitively, among the live accounts of a domain (431)."""
    if not name.strip():
        raise InvalidParameterValue(
            f"Invalid parameter {param}: the account name must not be empty"
        )
    lock_domain(session, domain_id=domain.id)
    clash = select(Account.id).where(
        Account.domain_id == domain.id,
        Account.removed.is_(None),
        func.lower(Account.name) == name.lower(),
    )
    if exclude_id is not None:
        clash = clash.where(Account.id != exclude_id)
    if session.scalars(clash).first() is not None:
        raise InvalidParameterValue(
            f"Invalid parameter {param}: the account {name} already exists in domain {domain.uuid}"
        )


def resolve_role(
    session: Session, *, account_type: int | None, role: Role | None
) -> tuple[AccountType, Role]:
    """The account type and role of a new account from `accounttype` and/or `roleid` (431)."""
    if account_type is None and role is None:
        raise InvalidParameterValue(
            "Either parameter accounttype or parameter roleid must be given"
        )
    kind = None
    if account_type is not None:
        try:
            kind = AccountType(account_type)
        except ValueError:
            raise InvalidParameterValue(
                f"Invalid parameter accounttype value={account_type}: use 0 (user), 1 (admin) or 2 (domain admin)"
            ) from None
    if role is None:
        assert kind is not None
        return kind, default_role(session, ROLE_TYPE_OF_ACCOUNT_TYPE[kind])
    role_kind = ACCOUNT_TYPE_OF_ROLE_TYPE[RoleType(role.role_type)]
    if kind is not None and kind is not role_kind:
        raise InvalidParameterValue(
            f"Invalid parameter roleid value={role.uuid}: role {role.name} of type {role.role_type} "
            f"does not match accounttype {int(kind)}"
        )
    return role_kind, role


def _check_may_create(caller: Caller, *, domain: Domain, role: Role) -> None:
    """Root admins create anything anywhere; domain admins user and domain-admin accounts below them."""
    if caller.is_root_admin:
        return
    if not caller.is_domain_admin or not domain_path_in_scope(caller, domain.path):
        raise PermissionDenied(
            f"Account {caller.account_name} does not have permission to create accounts in domain {domain.uuid}"
        )
    if RoleType(role.role_type) is RoleType.ADMIN:
        raise PermissionDenied(f"Account {caller.account_name} may not create root admin accounts")


# --- details (CloudStack's account_details: arbitrary keys and account-scope settings) ---


def account_details(session: Session, account: Account) -> dict[str, str]:
    rows = session.scalars(
        select(SettingValue).where(
            SettingValue.scope == ACCOUNT_SCOPE, SettingValue.scope_id == account.id
        )
    )
    return {row.name: row.value or "" for row in rows}


def set_account_details(
    session: Session,
    *,
    settings: Settings,
    account: Account,
    details: Mapping[str, str],
    param: str,
) -> None:
    """Upsert details. A key naming a setting is validated as that setting at account scope."""
    for name, value in details.items():
        if not name.strip():
            raise InvalidParameterValue(
                f"Invalid parameter {param}: a detail name must not be empty"
            )
        if name in settings.definitions:
            settings.set(session, name, value, scope=ACCOUNT_SCOPE, scope_id=account.id)
            continue
        row = session.scalars(
            select(SettingValue).where(
                SettingValue.name == name,
                SettingValue.scope == ACCOUNT_SCOPE,
                SettingValue.scope_id == account.id,
            )
        ).first()
        if row is None:
            session.add(
                SettingValue(name=name, scope=ACCOUNT_SCOPE, scope_id=account.id, value=value)
            )
        else:
            row.value = value
            row.updated = utcnow()
    session.flush()


def flatten_details(entries: list[dict[str, str]] | None) -> dict[str, str]:
    """`details[0].key=value` entries as one dict (later entries win)."""
    merged: dict[str, str] = {}
    for entry in entries or []:
        merged.update(entry)
    return merged


# --- lifecycle ---------------------------------------------------------------------


def create_account(
    session: Session,
    *,
    caller: Caller,
    settings: Settings,
    name: str,
    account_type: int | None,
    role: Role | None,
    domain: Domain,
    network_domain: str | None,
    details: Mapping[str, str],
    account_uuid: str | None,
    user: NewUser,
) -> Account:
    """A new account with its first user. Everything is checked before anything is written."""
    kind, role = resolve_role(session, account_type=account_type, role=role)
    _check_may_create(caller, domain=domain, role=role)
    check_name_free(session, domain=domain, name=name, param="account")
    if account_uuid is not None:
        check_uuid_free(session, entity=Account, value=account_uuid, param="accountid")
    check_new_user(session, settings=settings, domain=domain, spec=user)
    account = Account(
        name=name,
        account_type=int(kind),
        role_id=role.id,
        domain_id=domain.id,
        network_domain=network_domain or None,
    )
    if account_uuid is not None:
        account.uuid = account_uuid
    session.add(account)
    session.flush()
    if details:
        set_account_details(
            session, settings=settings, account=account, details=details, param="accountdetails"
        )
    insert_user(session, account=account, spec=user)
    default_group(session, account=account)
    limits.create_count_rows(session, owner_type=limits.ACCOUNT, owner_id=account.id)
    session.refresh(account)
    return account


def update_account(
    session: Session,
    *,
    caller: Caller,
    settings: Settings,
    account: Account,
    new_name: str | None,
    network_domain: str | None,
    role: Role | None,
    details: Mapping[str, str],
) -> Account:
    """Rename, change the network domain, the role (of the same type) or the details."""
    check_may_manage(caller, account)
    if new_name is not None and new_name != account.name:
        check_name_free(
            session, domain=account.domain, name=new_name, exclude_id=account.id, param="newname"
        )
        account.name = new_name
    if network_domain is not None:
        account.network_domain = network_domain or None
    if role is not None and role.id != account.role_id:
        if role.role_type != account.role.role_type:
            raise InvalidParameterValue(
                f"Invalid parameter roleid value={role.uuid}: the role type {role.role_type} differs from "
                f"the account's role type {account.role.role_type}; only a role of the same type may be set"
            )
        account.role_id = role.id
    if details:
        set_account_details(
            session, settings=settings, account=account, details=details, param="accountdetails"
        )
    session.flush()
    session.refresh(account)
    return account


def check_account_alterable(caller: Caller, account: Account, *, action: str) -> None:
    """Nobody may disable, lock or delete the default admin account or its own account (531)."""
    check_may_manage(caller, account)
    if account.is_default:
        raise PermissionDenied(
            f"The account {account.name} ({account.uuid}) is a default account and cannot be {action}d"
        )
    if account.id == caller.account_id:
        raise PermissionDenied(f"You cannot {action} your own account {account.uuid}")


def delete_account(session: Session, *, caller: Caller, account: Account) -> None:
    """Soft-delete an account and its users (keys stop working, sessions end)."""
    check_account_alterable(caller, account, action="delete")
    remove_account(session, account=account)
    session.flush()


def set_account_state(session: Session, *, caller: Caller, account: Account, state: str) -> Account:
    """Enable, disable or lock an account; disabling or locking ends its users' web sessions."""
    assert state in ACCOUNT_STATES
    if state == "enabled":
        check_may_manage(caller, account)
    else:
        check_account_alterable(
            caller, account, action="disable" if state == "disabled" else "lock"
        )
        for user in live_users(session, account):
            close_sessions_of_user(session, user_id=user.id)
    account.state = state
    session.flush()
    return account
