"""First-start defaults: the ROOT domain, the built-in roles, the admin, the local region."""

from __future__ import annotations

import secrets as random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Account, Domain, Region, Role, RolePermission, User
from native.services.caller import AccountType, RoleType
from native.services.limits import ensure_all_count_rows
from native.services.network.defaults import ensure_network_defaults
from native.services.network.security_groups import ensure_default_groups
from native.services.os_types import ensure_os_types
from native.services.rbac import ALLOW, DENY
from native.services.secrets import SecretBox, hash_password, new_api_key

ROOT_DOMAIN = "ROOT"
ADMIN_NAME = "admin"

BUILT_IN_ROLES: tuple[tuple[str, RoleType, str, tuple[tuple[str, str], ...]], ...] = (
    ("Root Admin", RoleType.ADMIN, "Default root admin role", (("*", ALLOW),)),
    ("Domain Admin", RoleType.DOMAIN_ADMIN, "Default domain admin role", (("*", ALLOW),)),
    ("User", RoleType.USER, "Default user role", (("*", ALLOW),)),
    (
        "Read-Only User - Default",
        RoleType.USER,
        "Default read-only user role",
        (("list*", ALLOW), ("queryAsyncJobResult", ALLOW), ("*", DENY)),
    ),
)


@dataclass(frozen=True)
class AdminCredentials:
    """What the operator needs once: the admin's API key pair and login password."""

    apikey: str
    secretkey: str
    password: str

    @classmethod
    def fresh(cls) -> AdminCredentials:
        """A new random key pair and password."""
        return cls(apikey=new_api_key(), secretkey=new_api_key(), password=random.token_urlsafe(12))


def default_role(session: Session, role_type: RoleType) -> Role:
    """The built-in role of a type (the one accounts of that type get by default)."""
    role = session.scalars(
        select(Role)
        .where(Role.role_type == role_type.value, Role.is_default.is_(True))
        .order_by(Role.id)
    ).first()
    if role is None:
        raise LookupError(f"no built-in role of type {role_type}; run the first-start seeding")
    return role


def _ensure_roles(session: Session) -> None:
    for name, role_type, description, rules in BUILT_IN_ROLES:
        if session.scalars(
            select(Role).where(Role.name == name, Role.is_default.is_(True))
        ).first():
            continue
        role = Role(name=name, role_type=role_type.value, description=description, is_default=True)
        session.add(role)
        session.flush()
        for order, (rule, permission) in enumerate(rules):
            session.add(
                RolePermission(role_id=role.id, rule=rule, permission=permission, sort_order=order)
            )


def _ensure_root_domain(session: Session) -> Domain:
    root = session.scalars(
        select(Domain).where(Domain.parent_id.is_(None), Domain.path == "/")
    ).first()
    if root is None:
        root = Domain(name=ROOT_DOMAIN, path="/", level=0)
        session.add(root)
        session.flush()
    return root


def _ensure_region(session: Session) -> None:
    if session.get(Region, 1) is None:
        session.add(Region(id=1, name="Local", endpoint="http://localhost:8080/client/"))


def ensure_defaults(session: Session, *, secrets: SecretBox) -> AdminCredentials | None:
    """Create whatever of the defaults is missing; safe to call on every start.

    Returns the admin's credentials when this call created the admin, else None.
    """
    _ensure_roles(session)
    root = _ensure_root_domain(session)
    _ensure_region(session)
    ensure_os_types(session)
    ensure_network_defaults(session)
    existing = session.scalars(
        select(Account).where(Account.name == ADMIN_NAME, Account.domain_id == root.id)
    ).first()
    if existing is not None:
        ensure_default_groups(session)
        ensure_all_count_rows(session)
        return None
    account = Account(
        name=ADMIN_NAME,
        account_type=AccountType.ADMIN,
        role_id=default_role(session, RoleType.ADMIN).id,
        domain_id=root.id,
        is_default=True,
    )
    session.add(account)
    session.flush()
    credentials = AdminCredentials.fresh()
    session.add(
        User(
            username=ADMIN_NAME,
            password_hash=hash_password(credentials.password),
            first_name="Admin",
            last_name="User",
            account_id=account.id,
            api_key=credentials.apikey,
            secret_key=secrets.seal(credentials.secretkey),
            is_default=True,
        )
    )
    session.flush()
    ensure_default_groups(session)
    ensure_all_count_rows(session)
    return credentials
