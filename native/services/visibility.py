"""Who may see what: root admins see everything, domain admins their subtree, users their account."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.orm import Session

from native.model import Account, Domain, Role, User
from native.services.caller import Caller, RoleType

_ROLE_RANK = {RoleType.ADMIN: 0, RoleType.DOMAIN_ADMIN: 1, RoleType.USER: 2}


def domain_path_in_scope(caller: Caller, path: str) -> bool:
    """Whether a domain with this path is the caller's domain or below it (for admins)."""
    if caller.is_root_admin:
        return True
    if caller.is_domain_admin:
        return path.startswith(caller.domain_path)
    return path == caller.domain_path


def can_see_account(caller: Caller, account: Account) -> bool:
    """Users see their own account; admins every account of the domains they manage."""
    if caller.is_root_admin:
        return True
    if caller.is_domain_admin:
        return account.domain.path.startswith(caller.domain_path)
    return account.id == caller.account_id


def can_see_role(caller: Caller, role: Role) -> bool:
    """A role is visible to callers at or above its privilege (Admin sees all roles)."""
    return _ROLE_RANK[RoleType(role.role_type)] >= _ROLE_RANK[caller.role_type]


def can_see(caller: Caller, entity: object, session: Session) -> bool:
    """Whether the caller may see (and so name) this row.

    Identity rows follow their own rules; any other row with an `account_id` is visible
    when its owner account is (one without an owner to root admins only). Rows of other
    kinds are admin-only.
    """
    if isinstance(entity, Domain):
        return domain_path_in_scope(caller, entity.path)
    if isinstance(entity, Account):
        return can_see_account(caller, entity)
    if isinstance(entity, User):
        return can_see_account(caller, entity.account)
    if isinstance(entity, Role):
        return can_see_role(caller, entity)
    if hasattr(entity, "account_id"):
        return _can_see_owner(caller, entity.account_id, session)
    return caller.is_root_admin


def _can_see_owner(caller: Caller, account_id: int | None, session: Session) -> bool:
    """As `can_see_account` of the owner, loading it only when the caller is a domain admin
    (whose answer depends on the owner's domain)."""
    if account_id is None or caller.is_root_admin:
        return caller.is_root_admin
    if not caller.is_domain_admin:
        return account_id == caller.account_id
    owner = session.get(Account, account_id)
    return owner is not None and can_see_account(caller, owner)


def accounts_clause(caller: Caller) -> ColumnElement[bool]:
    """A SQL condition on `Account` (joined with its `Domain`) selecting the visible accounts."""
    if caller.is_root_admin:
        return true()
    if caller.is_domain_admin:
        return Domain.path.startswith(caller.domain_path, autoescape=True)
    return Account.id == caller.account_id


def owned_clause(
    *,
    caller: Caller,
    account: Account | None,
    domain: Domain | None,
    is_recursive: bool,
    list_all: bool,
) -> ColumnElement[bool]:
    """CloudStack's list scoping for account-owned resources, as a condition on Account/Domain.

    `account` (already checked visible) restricts to that account; `domain` to that domain,
    or its subtree when `is_recursive`. Otherwise a user sees its own account, and an admin
    its own account unless `list_all`, which widens to everything it may see.
    """
    if account is not None:
        return Account.id == account.id
    if domain is not None:
        if is_recursive:
            return and_(
                Domain.path.startswith(domain.path, autoescape=True), accounts_clause(caller)
            )
        return and_(Domain.id == domain.id, accounts_clause(caller))
    if list_all and caller.role_type is not RoleType.USER:
        return accounts_clause(caller)
    return Account.id == caller.account_id
