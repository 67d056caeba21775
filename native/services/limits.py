"""Resource limits and counts per account and domain (CloudStack's ResourceLimitService).

Counts are kept per account and per domain (a domain's count covers its subtree) and
changed in the caller's transaction, so a failed operation that rolls back also gives its
resources back. An increment is a conditional update against the limit, so concurrent
consumers can never overshoot it. `resource_counts` recounts them from the resources.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Account, Domain, ResourceCount, ResourceLimit
from native.services.caller import AccountType, Caller
from native.services.errors import InvalidParameterValue, PermissionDenied, ResourceLimitExceeded
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


_EXPLICIT_LIMIT = select(ResourceLimit.max).where(
    ResourceLimit.owner_type == bindparam("owner_type"),
    ResourceLimit.owner_id == bindparam("owner_id"),
    ResourceLimit.resource_type == bindparam("resource"),
)


def explicit_limit(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType
) -> int | None:
    return session.scalar(
        _EXPLICIT_LIMIT,
        {"owner_type": owner_type, "owner_id": owner_id, "resource": resource.label},
    )


def account_limit(
    session: Session, settings: Settings, *, account: Account, resource: ResourceType
) -> int:
    """The limit in force (-1 unlimited): an explicit one, else unlimited for admin
    accounts, else the `max.account.*` setting."""
    explicit = explicit_limit(session, owner_type=ACCOUNT, owner_id=account.id, resource=resource)
    if explicit is not None:
        return explicit
    return _account_default(session, settings, account=account, resource=resource)


def _account_default(
    session: Session, settings: Settings, *, account: Account, resource: ResourceType
) -> int:
    """The limit of an account without an explicit one."""
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


@dataclass(frozen=True)
class Standing:
    """One resource of an account: its limit in force (-1 unlimited) and its count, both in
    the limit's unit (GiB for storage)."""

    limit: int
    count: int

    @property
    def available(self) -> int:
        """What is left under the limit (-1 when unlimited)."""
        return -1 if self.limit < 0 else max(0, self.limit - self.count)


def account_standing(
    session: Session, settings: Settings, *, account: Account
) -> dict[ResourceType, Standing]:
    """Every resource type's limit and count for `account`: two queries, and the settings
    behind the limits it has no explicit row for."""
    limits = dict(
        session.execute(
            select(ResourceLimit.resource_type, ResourceLimit.max).where(
                ResourceLimit.owner_type == ACCOUNT, ResourceLimit.owner_id == account.id
            )
        ).all()
    )
    counts = dict(
        session.execute(
            select(ResourceCount.resource_type, ResourceCount.count).where(
                ResourceCount.owner_type == ACCOUNT, ResourceCount.owner_id == account.id
            )
        ).all()
    )
    standing = {}
    for resource in ResourceType:
        limit = limits.get(resource.label)
        if limit is None:
            limit = _account_default(session, settings, account=account, resource=resource)
        count = int(counts.get(resource.label) or 0)
        standing[resource] = Standing(limit=int(limit), count=-(-count // resource.unit))
    return standing


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


def ensure_count_row(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType
) -> None:
    """Create the owner's count row of this type (at 0) unless it exists; race-safe."""
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


def create_count_rows(session: Session, *, owner_type: str, owner_id: int) -> None:
    """Give a new account or domain its count rows of every type (at 0), so that its
    first users only ever update them: concurrent first inserts of one row deadlock on
    MariaDB."""
    session.add_all(
        ResourceCount(owner_type=owner_type, owner_id=owner_id, resource_type=r.label, count=0)
        for r in ResourceType
    )
    session.flush()


def ensure_all_count_rows(session: Session) -> None:
    """Add the count rows any live account or domain lacks (see `create_count_rows`)."""
    existing = {
        (owner_type, owner_id, resource_type)
        for owner_type, owner_id, resource_type in session.execute(
            select(ResourceCount.owner_type, ResourceCount.owner_id, ResourceCount.resource_type)
        )
    }
    owners = [
        *(
            (ACCOUNT, i)
            for i in session.scalars(select(Account.id).where(Account.removed.is_(None)))
        ),
        *((DOMAIN, i) for i in session.scalars(select(Domain.id).where(Domain.removed.is_(None)))),
    ]
    session.add_all(
        ResourceCount(owner_type=kind, owner_id=owner, resource_type=r.label, count=0)
        for kind, owner in owners
        for r in ResourceType
        if (kind, owner, r.label) not in existing
    )
    session.flush()


_ADD = (
    update(ResourceCount)
    .where(
        ResourceCount.owner_type == bindparam("the_owner_type"),
        ResourceCount.owner_id == bindparam("the_owner_id"),
        ResourceCount.resource_type == bindparam("the_resource"),
    )
    .values(count=ResourceCount.count + bindparam("amount"))
    .execution_options(synchronize_session=False)
)
_ADD_WITHIN = _ADD.where(ResourceCount.count + bindparam("amount") <= bindparam("ceiling"))


def _add(
    session: Session,
    *,
    owner_type: str,
    owner_id: int,
    resource: ResourceType,
    amount: int,
    limit: int,
) -> bool:
    """Move the owner's count by `amount` unless that passes `limit` (-1: none); whether it
    moved. The count row is made only when the update finds none, so the usual case is one
    statement."""
    within = limit >= 0 and amount > 0
    statement = _ADD_WITHIN if within else _ADD
    binds = {
        "the_owner_type": owner_type,
        "the_owner_id": owner_id,
        "the_resource": resource.label,
        "amount": amount,
        "ceiling": limit * resource.unit,
    }
    if session.execute(statement, binds).rowcount == 1:  # type: ignore[attr-defined]
        return True
    ensure_count_row(session, owner_type=owner_type, owner_id=owner_id, resource=resource)
    return bool(session.execute(statement, binds).rowcount == 1)  # type: ignore[attr-defined]


def ancestors(session: Session, domain: Domain) -> list[Domain]:
    """The domain and every domain above it, nearest first."""
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
    for domain in ancestors(session, account.domain):
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


def adjust(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType, amount: int
) -> None:
    """Move one owner's count by `amount` (either sign), whatever its limit."""
    if amount != 0:
        _add(
            session,
            owner_type=owner_type,
            owner_id=owner_id,
            resource=resource,
            amount=amount,
            limit=-1,
        )


def release(session: Session, *, account: Account, resource: ResourceType, amount: int) -> None:
    """Give back what `consume` counted (for the account and every domain above it)."""
    adjust(session, owner_type=ACCOUNT, owner_id=account.id, resource=resource, amount=-amount)
    for domain in ancestors(session, account.domain):
        adjust(session, owner_type=DOMAIN, owner_id=domain.id, resource=resource, amount=-amount)


def resource_type(*, number: int | None, name: str | None) -> ResourceType | None:
    """The type named by `resourcetypename`, else by the `resourcetype` number; 431 if
    unknown; None when neither is given."""
    text = name if name is not None else None if number is None else str(number)
    if text is None:
        return None
    try:
        return ResourceType.parse(text)
    except ValueError:
        raise InvalidParameterValue("Please specify valid resource type") from None


def _check_max(maximum: int) -> None:
    if maximum < -1:
        raise InvalidParameterValue(
            "Please specify either '-1' for an infinite limit, or a limit that is at least '0'."
        )


def _save_limit(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType, maximum: int
) -> None:
    statement = update(ResourceLimit).where(
        ResourceLimit.owner_type == owner_type,
        ResourceLimit.owner_id == owner_id,
        ResourceLimit.resource_type == resource.label,
    )
    values = statement.values(max=maximum).execution_options(synchronize_session=False)
    if session.execute(values).rowcount == 1:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(
                ResourceLimit(
                    owner_type=owner_type,
                    owner_id=owner_id,
                    resource_type=resource.label,
                    max=maximum,
                )
            )
    except IntegrityError:
        session.execute(values)


def set_account_limit(
    session: Session, *, caller: Caller, account: Account, resource: ResourceType, maximum: int
) -> None:
    """Set an account's explicit limit (`maximum` -1 for unlimited; storage in GiB).

    431 for a bad maximum or a limit on a root admin account; 531 for a domain admin
    setting its own account's limit. The caller must already be allowed to see `account`.
    """
    _check_max(maximum)
    if account.account_type == AccountType.ADMIN and maximum != -1:
        raise InvalidParameterValue("Only -1 limit is supported for Root Admin accounts")
    if caller.is_domain_admin and caller.account_id == account.id:
        raise PermissionDenied(
            f"Unable to update resource limit for their own account {account.uuid}, "
            "permission denied"
        )
    _save_limit(
        session, owner_type=ACCOUNT, owner_id=account.id, resource=resource, maximum=maximum
    )


def set_domain_limit(
    session: Session,
    settings: Settings,
    *,
    caller: Caller,
    domain: Domain,
    resource: ResourceType,
    maximum: int,
) -> None:
    """Set a domain's explicit limit, at most its parent's (431 otherwise).

    Nobody sets ROOT's limits, nor a domain admin those of its own domain (531).
    """
    _check_max(maximum)
    if domain.parent_id is None:
        raise PermissionDenied(
            f"Cannot update resource limit for ROOT domain {domain.uuid}, permission denied"
        )
    if caller.is_domain_admin and caller.domain_id == domain.id:
        raise PermissionDenied(
            f"Unable to update resource limit for domain {domain.uuid}, permission denied"
        )
    parent = session.get(Domain, domain.parent_id)
    assert parent is not None
    parent_max = domain_limit(session, settings, domain=parent, resource=resource)
    if parent_max >= 0 and maximum > parent_max:
        raise InvalidParameterValue(
            f"Domain {domain.name}(id: {parent.uuid}) has maximum allowed resource limit "
            f"{parent_max} for {resource.label}, please specify a value less than or equal "
            f"to {parent_max}"
        )
    _save_limit(session, owner_type=DOMAIN, owner_id=domain.id, resource=resource, maximum=maximum)
