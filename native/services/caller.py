"""Who is calling: the identity every command runs under."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from native.model import User


class RoleType(enum.StrEnum):
    """CloudStack's role types, from most to least privileged."""

    ADMIN = "Admin"
    DOMAIN_ADMIN = "DomainAdmin"
    USER = "User"


class AccountType(enum.IntEnum):
    """CloudStack's `accounttype` numbers."""

    USER = 0
    ADMIN = 1
    DOMAIN_ADMIN = 2


ROLE_TYPE_OF_ACCOUNT_TYPE = {
    AccountType.USER: RoleType.USER,
    AccountType.ADMIN: RoleType.ADMIN,
    AccountType.DOMAIN_ADMIN: RoleType.DOMAIN_ADMIN,
}
ACCOUNT_TYPE_OF_ROLE_TYPE = {role: account for account, role in ROLE_TYPE_OF_ACCOUNT_TYPE.items()}


@dataclass(frozen=True, kw_only=True)
class Caller:
    """A snapshot of an authenticated user, its account, domain and role."""

    user_id: int
    user_uuid: str
    username: str
    account_id: int
    account_uuid: str
    account_name: str
    domain_id: int
    domain_uuid: str
    domain_path: str
    role_id: int
    role_type: RoleType

    @classmethod
    def of(cls, user: User) -> Caller:
        """The caller for a loaded user row (its account, domain and role are joined)."""
        account = user.account
        return cls(
            user_id=user.id,
            user_uuid=user.uuid,
            username=user.username,
            account_id=account.id,
            account_uuid=account.uuid,
            account_name=account.name,
            domain_id=account.domain_id,
            domain_uuid=account.domain.uuid,
            domain_path=account.domain.path,
            role_id=account.role_id,
            role_type=RoleType(account.role.role_type),
        )

    @property
    def is_root_admin(self) -> bool:
        return self.role_type is RoleType.ADMIN

    @property
    def is_domain_admin(self) -> bool:
        return self.role_type is RoleType.DOMAIN_ADMIN
