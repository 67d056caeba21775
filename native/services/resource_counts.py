"""Recounting resource usage from the resources themselves (`updateResourceCount`).

`COUNTERS` says, per resource type, how to measure an account's usage: one or more
`Counter`s, each a sum over the live rows of one table grouped by owning account. Types
without counters (until their areas add them here) keep their stored counts. A recount
sets the accounts' counts, then each domain's count to the sum over its subtree's
accounts, so `limits.consume` works from exact figures again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, update
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Bucket,
    Domain,
    Network,
    PublicIpAddress,
    ResourceCount,
    Snapshot,
    Template,
    TemplateStore,
    VirtualMachine,
    Volume,
    Vpc,
)
from native.services import limits
from native.services.limits import ACCOUNT, DOMAIN, ResourceType


@dataclass(frozen=True, kw_only=True)
class Counter:
    """Usage of one table: `amount` summed over rows meeting `condition`, per `account`.

    `joins` are (target, on clause) pairs needed by the condition or the owner column.
    """

    account: Any
    amount: Any
    condition: ColumnElement[bool]
    joins: tuple[tuple[Any, ColumnElement[bool]], ...] = ()

    def per_account(self, accounts: Select[Any]) -> Select[Any]:
        """(account id, amount) for each account among `accounts` with any usage."""
        query = select(self.account, func.sum(self.amount))
        for target, on in self.joins:
            query = query.join(target, on)
        return query.where(self.condition, self.account.in_(accounts)).group_by(self.account)


_LIVE_VM = VirtualMachine.removed.is_(None) & VirtualMachine.state.not_in(
    ("Destroyed", "Expunging", "Error")
)
_LIVE_VOLUME = Volume.removed.is_(None) & Volume.state.not_in(("Destroy", "Expunging", "Expunged"))
_LIVE_SNAPSHOT = Snapshot.removed.is_(None) & (Snapshot.state != "Destroyed")
_LIVE_TEMPLATE = Template.removed.is_(None)

COUNTERS: Mapping[ResourceType, Sequence[Counter]] = {
    ResourceType.USER_VM: (
        Counter(account=VirtualMachine.account_id, amount=literal(1), condition=_LIVE_VM),
    ),
    ResourceType.CPU: (
        Counter(
            account=VirtualMachine.account_id, amount=VirtualMachine.cpu_number, condition=_LIVE_VM
        ),
    ),
    ResourceType.MEMORY: (
        Counter(
            account=VirtualMachine.account_id, amount=VirtualMachine.memory, condition=_LIVE_VM
        ),
    ),
    ResourceType.VOLUME: (
        Counter(account=Volume.account_id, amount=literal(1), condition=_LIVE_VOLUME),
    ),
    ResourceType.PRIMARY_STORAGE: (
        Counter(account=Volume.account_id, amount=Volume.size, condition=_LIVE_VOLUME),
    ),
    ResourceType.SNAPSHOT: (
        Counter(account=Snapshot.account_id, amount=literal(1), condition=_LIVE_SNAPSHOT),
    ),
    ResourceType.SECONDARY_STORAGE: (
        Counter(
            account=Snapshot.account_id,
            amount=func.coalesce(Snapshot.physical_size, 0),
            condition=_LIVE_SNAPSHOT,
        ),
        Counter(
            account=Template.account_id,
            amount=func.coalesce(TemplateStore.physical_size, 0),
            condition=_LIVE_TEMPLATE,
            joins=((Template, TemplateStore.template_id == Template.id),),
        ),
        Counter(account=Bucket.account_id, amount=Bucket.size, condition=Bucket.removed.is_(None)),
    ),
    ResourceType.TEMPLATE: (
        Counter(account=Template.account_id, amount=literal(1), condition=_LIVE_TEMPLATE),
    ),
    ResourceType.PUBLIC_IP: (
        Counter(
            account=PublicIpAddress.account_id,
            amount=literal(1),
            condition=(PublicIpAddress.state == "Allocated") & PublicIpAddress.is_system.is_(False),
        ),
    ),
    ResourceType.NETWORK: (
        Counter(
            account=Network.account_id,
            amount=literal(1),
            condition=Network.removed.is_(None) & (Network.guest_type != "Shared"),
        ),
    ),
    ResourceType.VPC: (
        Counter(account=Vpc.account_id, amount=literal(1), condition=Vpc.removed.is_(None)),
    ),
}
"""How to measure each type's usage per account."""


@dataclass(frozen=True, kw_only=True)
class Recounted:
    """The count of one type for one account or domain after a recount."""

    owner_type: str
    owner_id: int
    resource: ResourceType
    count: int


def _measure(session: Session, resource: ResourceType, accounts: Select[Any]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for counter in COUNTERS[resource]:
        for row in session.execute(counter.per_account(accounts)):
            account_id, amount = int(row[0]), int(row[1] or 0)
            totals[account_id] = totals.get(account_id, 0) + amount
    return totals


def _store(
    session: Session, *, owner_type: str, owner_id: int, resource: ResourceType, count: int
) -> None:
    limits.ensure_count_row(session, owner_type=owner_type, owner_id=owner_id, resource=resource)
    session.execute(
        update(ResourceCount)
        .where(
            ResourceCount.owner_type == owner_type,
            ResourceCount.owner_id == owner_id,
            ResourceCount.resource_type == resource.label,
        )
        .values(count=count)
        .execution_options(synchronize_session=False)
    )


def _recount_accounts(session: Session, *, resource: ResourceType, accounts: Select[Any]) -> None:
    if resource not in COUNTERS:
        return
    measured = _measure(session, resource, accounts)
    for account_id in session.scalars(accounts):
        _store(
            session,
            owner_type=ACCOUNT,
            owner_id=account_id,
            resource=resource,
            count=measured.get(account_id, 0),
        )


def _sum_of_accounts(session: Session, *, resource: ResourceType, domain: Domain) -> int:
    subtree_accounts = (
        select(Account.id)
        .join(Domain, Account.domain_id == Domain.id)
        .where(Domain.path.startswith(domain.path, autoescape=True), Account.removed.is_(None))
    )
    total = session.scalar(
        select(func.coalesce(func.sum(ResourceCount.count), 0)).where(
            ResourceCount.owner_type == ACCOUNT,
            ResourceCount.resource_type == resource.label,
            ResourceCount.owner_id.in_(subtree_accounts),
        )
    )
    return int(total or 0)


def recount_account(
    session: Session, *, account: Account, resources: Sequence[ResourceType]
) -> list[Recounted]:
    """Recount the account's usage of each type; every domain above it moves by the change.

    Types without a counter keep their stored count. Returns the account's new counts.
    """
    result = []
    for resource in resources:
        before = limits.stored_count(
            session, owner_type=ACCOUNT, owner_id=account.id, resource=resource
        )
        _recount_accounts(
            session, resource=resource, accounts=select(Account.id).where(Account.id == account.id)
        )
        after = limits.stored_count(
            session, owner_type=ACCOUNT, owner_id=account.id, resource=resource
        )
        for domain in limits.ancestors(session, account.domain):
            limits.adjust(
                session,
                owner_type=DOMAIN,
                owner_id=domain.id,
                resource=resource,
                amount=after - before,
            )
        result.append(
            Recounted(owner_type=ACCOUNT, owner_id=account.id, resource=resource, count=after)
        )
    return result


def recount_domain(
    session: Session, *, domain: Domain, resources: Sequence[ResourceType]
) -> list[Recounted]:
    """Recount every account of the domain's subtree, then every domain of the subtree as
    the sum of its live accounts; the domains above move by the change. Returns the
    domain's own new counts."""
    subtree = session.scalars(
        select(Domain).where(
            Domain.path.startswith(domain.path, autoescape=True), Domain.removed.is_(None)
        )
    ).all()
    accounts = (
        select(Account.id)
        .join(Domain, Account.domain_id == Domain.id)
        .where(Domain.path.startswith(domain.path, autoescape=True), Account.removed.is_(None))
    )
    above = limits.ancestors(session, domain)[1:]
    result = []
    for resource in resources:
        before = limits.stored_count(
            session, owner_type=DOMAIN, owner_id=domain.id, resource=resource
        )
        _recount_accounts(session, resource=resource, accounts=accounts)
        for member in subtree:
            _store(
                session,
                owner_type=DOMAIN,
                owner_id=member.id,
                resource=resource,
                count=_sum_of_accounts(session, resource=resource, domain=member),
            )
        count = limits.stored_count(
            session, owner_type=DOMAIN, owner_id=domain.id, resource=resource
        )
        for parent in above:
            limits.adjust(
                session,
                owner_type=DOMAIN,
                owner_id=parent.id,
                resource=resource,
                amount=count - before,
            )
        result.append(
            Recounted(owner_type=DOMAIN, owner_id=domain.id, resource=resource, count=count)
        )
    return result
