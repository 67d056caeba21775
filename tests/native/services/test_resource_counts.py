"""Resource counts: exact limits under concurrent consumers, and recounts that correct
drifted counts from the resources themselves."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Domain,
    GuestOsCategory,
    GuestOsType,
    ImageStore,
    Template,
    TemplateStore,
    User,
    Volume,
    Zone,
    new_uuid,
    utcnow,
)
from native.services import limits, resource_counts
from native.services.caller import AccountType, Caller, RoleType
from native.services.errors import ResourceLimitExceeded
from native.services.limits import ACCOUNT, DOMAIN, ResourceType
from native.services.runtime import Runtime
from native.services.seed import default_role
from tests.native.services.conftest import make_runtime

GIB = 1024**3


@dataclass(frozen=True)
class Owners:
    account_id: int
    domain_id: int
    root_id: int


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    runtime = make_runtime(database_url, msid="ms-counts")
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def owners(runtime: Runtime) -> Owners:
    """A user account in a sub-domain of ROOT."""
    with runtime.db.session() as session:
        root = session.scalars(select(Domain).where(Domain.parent_id.is_(None))).one()
        domain = Domain(name="sub", parent_id=root.id, path="/sub/", level=1)
        session.add(domain)
        session.flush()
        account = Account(
            name="counted",
            account_type=AccountType.USER,
            role_id=default_role(session, RoleType.USER).id,
            domain_id=domain.id,
        )
        session.add(account)
        session.flush()
        return Owners(account_id=account.id, domain_id=domain.id, root_id=root.id)


def _count(session: Session, owner_type: str, owner_id: int, resource: ResourceType) -> int:
    return limits.stored_count(session, owner_type=owner_type, owner_id=owner_id, resource=resource)


def _consume(runtime: Runtime, account_id: int, resource: ResourceType, amount: int) -> None:
    with runtime.db.session() as session:
        account = session.get(Account, account_id)
        assert account is not None
        limits.consume(session, runtime.settings, account=account, resource=resource, amount=amount)


def _race(runtimes: list[Runtime], account_id: int, resource: ResourceType) -> list[str]:
    barrier = threading.Barrier(len(runtimes))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(runtime: Runtime) -> None:
        barrier.wait()
        try:
            _consume(runtime, account_id, resource, 1)
            outcome = "won"
        except ResourceLimitExceeded:
            outcome = "limited"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_two_consumers_racing_for_the_last_unit(
    database_url: str, runtime: Runtime, owners: Owners
) -> None:
    with runtime.db.session() as session:
        account = session.get(Account, owners.account_id)
        assert account is not None
        limits.set_account_limit(
            session,
            caller=_root_caller(session),
            account=account,
            resource=ResourceType.VOLUME,
            maximum=3,
        )
    _consume(runtime, owners.account_id, ResourceType.VOLUME, 2)
    others = [make_runtime(database_url, msid=f"ms-race-{n}") for n in range(2)]
    try:
        for _ in range(3):
            assert _race(others, owners.account_id, ResourceType.VOLUME) == ["limited", "won"]
            with runtime.db.session() as session:
                assert _count(session, ACCOUNT, owners.account_id, ResourceType.VOLUME) == 3
                account = session.get(Account, owners.account_id)
                assert account is not None
                limits.release(session, account=account, resource=ResourceType.VOLUME, amount=1)
        _consume(runtime, owners.account_id, ResourceType.VOLUME, 1)
        with runtime.db.session() as session:
            assert _count(session, ACCOUNT, owners.account_id, ResourceType.VOLUME) == 3
            assert _count(session, DOMAIN, owners.domain_id, ResourceType.VOLUME) == 3
    finally:
        for other in others:
            other.db.dispose()


def test_a_domain_limit_binds_every_account_below(runtime: Runtime, owners: Owners) -> None:
    with runtime.db.session() as session:
        domain = session.get(Domain, owners.domain_id)
        assert domain is not None
        limits.set_domain_limit(
            session,
            runtime.settings,
            caller=_root_caller(session),
            domain=domain,
            resource=ResourceType.CPU,
            maximum=4,
        )
    _consume(runtime, owners.account_id, ResourceType.CPU, 4)
    with pytest.raises(ResourceLimitExceeded, match="for domain id="):
        _consume(runtime, owners.account_id, ResourceType.CPU, 1)
    with runtime.db.session() as session:
        assert _count(session, ACCOUNT, owners.account_id, ResourceType.CPU) == 4
        assert _count(session, DOMAIN, owners.root_id, ResourceType.CPU) == 4


def _root_caller(session: Session) -> Caller:
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    return Caller.of(admin)


def _add_resources(session: Session, owners: Owners) -> None:
    zone = Zone(name="z", network_type="Advanced")
    category = GuestOsCategory(name=f"Counted {new_uuid()}")
    session.add_all([zone, category])
    session.flush()
    os_type = GuestOsType(category_id=category.id, description=f"Counted {new_uuid()}")
    store = ImageStore(name="s", zone_id=zone.id, provider="NFS", protocol="nfs", url="nfs://x/y")
    session.add_all([os_type, store])
    session.flush()
    common = {"account_id": owners.account_id, "domain_id": owners.domain_id, "zone_id": zone.id}
    session.add_all(
        [
            Volume(name="a", volume_type="DATADISK", state="Ready", size=2 * GIB, **common),
            Volume(name="b", volume_type="DATADISK", state="Allocated", size=GIB, **common),
            Volume(name="c", volume_type="DATADISK", state="Destroy", size=8 * GIB, **common),
            Volume(
                name="d", volume_type="ROOT", state="Expunged", size=GIB, removed=utcnow(), **common
            ),
        ]
    )
    template = Template(
        name="t",
        display_text="t",
        format="QCOW2",
        account_id=owners.account_id,
        domain_id=owners.domain_id,
        os_type_id=os_type.id,
        hypervisor_type="Simulator",
    )
    gone = Template(
        name="old",
        display_text="old",
        format="ISO",
        account_id=owners.account_id,
        domain_id=owners.domain_id,
        os_type_id=os_type.id,
        hypervisor_type="Simulator",
        removed=utcnow(),
    )
    session.add_all([template, gone])
    session.flush()
    session.add(TemplateStore(template_id=template.id, store_id=store.id, physical_size=GIB // 2))


def test_recount_corrects_drifted_counts(runtime: Runtime, owners: Owners) -> None:
    _consume(runtime, owners.account_id, ResourceType.VOLUME, 7)
    _consume(runtime, owners.account_id, ResourceType.TEMPLATE, 5)
    _consume(runtime, owners.account_id, ResourceType.PUBLIC_IP, 2)
    _consume(runtime, owners.account_id, ResourceType.PROJECT, 3)
    with runtime.db.session() as session:
        _add_resources(session, owners)

    with runtime.db.session() as session:
        domain = session.get(Domain, owners.domain_id)
        assert domain is not None
        everything = list(ResourceType)
        recounted = resource_counts.recount_domain(session, domain=domain, resources=everything)
        assert {entry.owner_id for entry in recounted} == {owners.domain_id}

    expected = {
        ResourceType.VOLUME: 2,
        ResourceType.PRIMARY_STORAGE: 3 * GIB,
        ResourceType.TEMPLATE: 1,
        ResourceType.SECONDARY_STORAGE: GIB // 2,
        ResourceType.USER_VM: 0,
        ResourceType.PUBLIC_IP: 0,
        ResourceType.PROJECT: 3,
    }
    with runtime.db.session() as session:
        for resource, count in expected.items():
            assert _count(session, ACCOUNT, owners.account_id, resource) == count, resource
            assert _count(session, DOMAIN, owners.domain_id, resource) == count, resource
            assert _count(session, DOMAIN, owners.root_id, resource) == count, resource


def test_recounting_one_account_moves_its_domains_by_the_change(
    runtime: Runtime, owners: Owners
) -> None:
    _consume(runtime, owners.account_id, ResourceType.VOLUME, 5)
    with runtime.db.session() as session:
        _add_resources(session, owners)
    with runtime.db.session() as session:
        account = session.get(Account, owners.account_id)
        assert account is not None
        [entry] = resource_counts.recount_account(
            session, account=account, resources=[ResourceType.VOLUME]
        )
        assert (entry.owner_type, entry.count) == (ACCOUNT, 2)
    with runtime.db.session() as session:
        assert _count(session, DOMAIN, owners.domain_id, ResourceType.VOLUME) == 2
        assert _count(session, DOMAIN, owners.root_id, ResourceType.VOLUME) == 2
