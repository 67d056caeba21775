"""Resource limits and counts per account and domain (CloudStack's ResourceLimitService).

Counts are kept per account and per domain (a domain's count covers its subtree) and
changed in the caller's transaction, so a failed operation that rolls back also gives its
resources back. An increment is a conditional update against the limit, so concurrent
consumers can never overshoot it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Account, Domain, ResourceCount, ResourceLimit
from native.services.caller import AccountType
from native.services.errors import ResourceLimitExceeded
from native.services.settings import Settings

GIB = 1024**3

ACCOUNT = "account"
DOMAIN = "domain"


class ResourceType(enum.Enum):
    """CloudStack's resource types: (number, name, setting suffix, bytes per unit of the limit)."""

    USER_VM = (0, "user_vm", "user.vms", 1)
    PUBLIC_IP = (1, "public_ip", "public.ips", 1)
    VOLUME = (2, "volume", "volumes", 1)
    SNAPSHOT = (3, "snapshot", "snapshots", 1)
    TEMPLATE = (4, "template", "templates", 1)
    PROJECT = (5, "project", "projects", 1)
    NETWORK = (6, "network", "networks", 1)
    VPC = (7, "vpc", "vpcs", 1)
    CPU = (8, "cpu", "cpus", 1)
    MEMORY = (9, "memory", "memory", 1)
    PRIMARY_STORAGE = (10, "primary_storage", "primary.storage", GIB)
    SECONDARY_STORAGE = (11, "secondary_storage", "secondary.storage", GIB)

    @property
    def number(self) -> int:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]

    @property
    def setting_suffix(self) -> str:
        return self.value[2]

    @property
    def unit(self) -> int:
        """Counts are kept in bytes for storage, limits in GiB; 1 for every other type."""
        return self.value[3]

    @classmethod
    def parse(cls, text: str) -> ResourceType:
        """By number (`0`) or name (`user_vm`); ValueError otherwise."""
        for member in cls:
            if text.strip() in (str(member.number), member.label):
                return member
        raise ValueError(text)


Counter = Callable[[Session, int], int]
COUNTERS: dict[ResourceType, Counter] = {}
"""How to recount a type for an account id from the resources themselves (by the areas
that own them); types without a counter keep their stored count on recount."""


def explicit_limit(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType
) -> int | None:
    return session.scalar(
        select(ResourceLimit.max).where(
            ResourceLimit.owner_type == owner_type,
            ResourceLimit.owner_id == owner_id,
            ResourceLimit.resource_type == resource.label,
        )
    )


def account_limit(
    session: Session, settings: Settings, *, account: Account, resource: ResourceType
) -> int:
    """The limit in force (-1 unlimited): an explicit one, else unlimited for admin
    accounts, else the `max.account.*` setting."""
    explicit = explicit_limit(session, owner_type=ACCOUNT, owner_id=account.id, resource=resource)
    if explicit is not None:
        return explicit
    if account.account_type == AccountType.ADMIN:
        return -1
    return int(settings.get(session, f"max.account.{resource.setting_suffix}"))


def domain_limit(
    session: Session, settings: Settings, *, domain: Domain, resource: ResourceType
) -> int:
    """The limit in force (-1 unlimited): an explicit one, else unlimited for ROOT, else the
    `max.domain.*` setting."""
    explicit = explicit_limit(session, owner_type=DOMAIN, owner_id=domain.id, resource=resource)
    if explicit is not None:
        return explicit
    if domain.parent_id is None:
        return -1
    return int(settings.get(session, f"max.domain.{resource.setting_suffix}"))


def stored_count(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType
) -> int:
    return (
        session.scalar(
            select(ResourceCount.count).where(
                ResourceCount.owner_type == owner_type,
                ResourceCount.owner_id == owner_id,
                ResourceCount.resource_type == resource.label,
            )
        )
        or 0
    )


def _ensure_count_row(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType
) -> None:
    exists = session.scalar(
        select(ResourceCount.id).where(
            ResourceCount.owner_type == owner_type,
            ResourceCount.owner_id == owner_id,
            ResourceCount.resource_type == resource.label,
        )
    )
    if exists is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                ResourceCount(
                    owner_type=owner_type, owner_id=owner_id, resource_type=resource.label, count=0
                )
            )
    except IntegrityError:
        pass


def _add(
    session: Session,
    *,
    owner_type: str,
    owner_id: int,
    resource: ResourceType,
    amount: int,
    limit: int,
) -> bool:
    _ensure_count_row(session, owner_type=owner_type, owner_id=owner_id, resource=resource)
    statement = update(ResourceCount).where(
        ResourceCount.owner_type == owner_type,
        ResourceCount.owner_id == owner_id,
        ResourceCount.resource_type == resource.label,
    )
    if limit >= 0 and amount > 0:
        statement = statement.where(ResourceCount.count + amount <= limit * resource.unit)
    result = session.execute(
        statement.values(count=ResourceCount.count + amount).execution_options(
            synchronize_session=False
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _ancestors(session: Session, domain: Domain) -> list[Domain]:
    chain = [domain]
    while chain[-1].parent_id is not None:
        parent = session.get(Domain, chain[-1].parent_id)
        assert parent is not None
        chain.append(parent)
    return chain


def consume(
    session: Session, settings: Settings, *, account: Account, resource: ResourceType, amount: int
) -> None:
    """Count `amount` more of the resource against the account and every domain above it.

    Raises ResourceLimitExceeded (532) naming the first owner whose limit it would pass;
    the caller's rollback then undoes any increments made so far.
    """
    if amount == 0:
        return
    limit = account_limit(session, settings, account=account, resource=resource)
    if not _add(
        session,
        owner_type=ACCOUNT,
        owner_id=account.id,
        resource=resource,
        amount=amount,
        limit=limit,
    ):
        raise ResourceLimitExceeded(
            f"Maximum number of resources of type '{resource.label}' for account "
            f"name={account.name} in domain id={account.domain.uuid} has been exceeded."
        )
    for domain in _ancestors(session, account.domain):
        limit = domain_limit(session, settings, domain=domain, resource=resource)
        if not _add(
            session,
            owner_type=DOMAIN,
            owner_id=domain.id,
            resource=resource,
            amount=amount,
            limit=limit,
        ):
            raise ResourceLimitExceeded(
                f"Maximum number of resources of type '{resource.label}' for domain "
                f"id={domain.uuid} has been exceeded."
            )


def release(session: Session, *, account: Account, resource: ResourceType, amount: int) -> None:
    """Give back what `consume` counted (for the account and every domain above it)."""
    if amount == 0:
        return
    _add(
        session,
        owner_type=ACCOUNT,
        owner_id=account.id,
        resource=resource,
        amount=-amount,
        limit=-1,
    )
    for domain in _ancestors(session, account.domain):
        _add(
            session,
            owner_type=DOMAIN,
            owner_id=domain.id,
            resource=resource,
            amount=-amount,
            limit=-1,
        )
