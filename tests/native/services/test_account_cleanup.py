"""Account cleanup: counts released exactly once however many servers run it, and an
account whose resources cannot all be released yet is retried."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Domain,
    Event,
    ResourceTag,
    Snapshot,
    SshKeyPair,
    UserData,
    Volume,
    Zone,
)
from native.services import limits
from native.services.account_cleanup import cleanup_account, cleanup_round
from native.services.accounts import remove_account
from native.services.caller import AccountType, RoleType
from native.services.limits import ACCOUNT, DOMAIN, ResourceType
from native.services.runtime import Runtime
from native.services.seed import default_role
from tests.native.services.conftest import make_runtime

SIZE = 5 * 1024**3


@dataclass(frozen=True)
class Owners:
    account_id: int
    domain_id: int
    root_id: int


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    runtime = make_runtime(database_url, msid="ms-cleanup")
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def owners(runtime: Runtime) -> Owners:
    """A user account in a sub-domain of ROOT, holding 2 VMs and 4 CPUs in its counts."""
    with runtime.db.session() as session:
        root = session.scalars(select(Domain).where(Domain.parent_id.is_(None))).one()
        domain = Domain(name="sub", parent_id=root.id, path="/sub/", level=1)
        session.add(domain)
        session.flush()
        account = Account(
            name="leaving",
            account_type=AccountType.USER,
            role_id=default_role(session, RoleType.USER).id,
            domain_id=domain.id,
        )
        session.add(account)
        session.flush()
        for resource, amount in ((ResourceType.USER_VM, 2), (ResourceType.CPU, 4)):
            limits.consume(
                session, runtime.settings, account=account, resource=resource, amount=amount
            )
        return Owners(account_id=account.id, domain_id=domain.id, root_id=root.id)


def _counts(session: Session, owners: Owners, resource: ResourceType) -> tuple[int, ...]:
    """The stored counts of the account, its domain and ROOT."""
    return tuple(
        limits.stored_count(session, owner_type=kind, owner_id=owner, resource=resource)
        for kind, owner in (
            (ACCOUNT, owners.account_id),
            (DOMAIN, owners.domain_id),
            (DOMAIN, owners.root_id),
        )
    )


def _remove(runtime: Runtime, owners: Owners) -> None:
    with runtime.db.session() as session:
        account = session.get(Account, owners.account_id)
        assert account is not None
        remove_account(session, account=account)


def _cleanup_needed(runtime: Runtime, owners: Owners) -> bool:
    with runtime.db.session(write=False) as session:
        account = session.get(Account, owners.account_id)
        assert account is not None
        return account.cleanup_needed


def _events(runtime: Runtime, owners: Owners, level: str) -> list[str]:
    with runtime.db.session(write=False) as session:
        uuid = session.scalar(select(Account.uuid).where(Account.id == owners.account_id))
        return list(
            session.scalars(
                select(Event.description).where(
                    Event.event_type == "ACCOUNT.DELETE",
                    Event.resource_id == uuid,
                    Event.level == level,
                )
            )
        )


def test_two_servers_release_the_counts_once(
    database_url: str, runtime: Runtime, owners: Owners
) -> None:
    with runtime.db.session() as session:
        session.add(SshKeyPair(name="k", fingerprint="f", public_key="p", **_owned(owners)))
        session.add(UserData(name="u", user_data="aGk=", **_owned(owners)))
        session.add(
            ResourceTag(
                key="k", value="v", resource_type="UserVm", resource_id=1, resource_uuid="x",
                **_owned(owners),
            )
        )  # fmt: skip
    _remove(runtime, owners)
    assert _cleanup_needed(runtime, owners)

    servers = [make_runtime(database_url, msid=f"ms-{n}") for n in range(2)]
    barrier = threading.Barrier(len(servers))
    results: list[bool] = []

    def run(server: Runtime) -> None:
        barrier.wait()
        results.append(cleanup_account(server, account_id=owners.account_id))

    threads = [threading.Thread(target=run, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for server in servers:
        server.db.dispose()

    assert sorted(results) == [False, True]
    assert not _cleanup_needed(runtime, owners)
    cleanup_round(runtime)
    with runtime.db.session(write=False) as session:
        assert _counts(session, owners, ResourceType.USER_VM) == (0, 0, 0)
        assert _counts(session, owners, ResourceType.CPU) == (0, 0, 0)
        for model in (SshKeyPair, UserData, ResourceTag):
            assert (
                session.scalar(select(model.id).where(model.account_id == owners.account_id))
                is None
            )
    assert len(_events(runtime, owners, "INFO")) == 1


def _owned(owners: Owners) -> dict[str, int]:
    return {"account_id": owners.account_id, "domain_id": owners.domain_id}


def _snapshot_in_progress(runtime: Runtime, owners: Owners) -> int:
    """A detached volume of the account (on no pool) and a snapshot of it still Creating,
    both counted."""
    with runtime.db.session() as session:
        zone = Zone(name="z", network_type="Advanced")
        session.add(zone)
        session.flush()
        volume = Volume(
            name="data", volume_type="DATADISK", state="Ready", zone_id=zone.id, size=SIZE,
            **_owned(owners),
        )  # fmt: skip
        session.add(volume)
        session.flush()
        snapshot = Snapshot(
            name="snap", snapshot_type="MANUAL", state="Creating", zone_id=zone.id,
            volume_id=volume.id, size=SIZE, physical_size=SIZE, **_owned(owners),
        )  # fmt: skip
        session.add(snapshot)
        session.flush()
        account = session.get(Account, owners.account_id)
        assert account is not None
        for resource, amount in (
            (ResourceType.VOLUME, 1),
            (ResourceType.PRIMARY_STORAGE, SIZE),
            (ResourceType.SNAPSHOT, 1),
            (ResourceType.SECONDARY_STORAGE, SIZE),
        ):
            limits.consume(
                session, runtime.settings, account=account, resource=resource, amount=amount
            )
        return snapshot.id


def test_an_account_with_a_busy_resource_is_retried(runtime: Runtime, owners: Owners) -> None:
    snapshot_id = _snapshot_in_progress(runtime, owners)
    _remove(runtime, owners)

    cleanup_round(runtime)
    assert _cleanup_needed(runtime, owners)
    [failure] = _events(runtime, owners, "ERROR")
    assert "snapshot" in failure and "Creating" in failure
    with runtime.db.session(write=False) as session:
        assert _counts(session, owners, ResourceType.VOLUME) == (0, 0, 0)
        assert _counts(session, owners, ResourceType.SNAPSHOT) == (1, 1, 1)
        assert _counts(session, owners, ResourceType.USER_VM) == (2, 2, 2)

    with runtime.db.session() as session:
        session.execute(update(Snapshot).where(Snapshot.id == snapshot_id).values(state="BackedUp"))
    cleanup_round(runtime)
    assert not _cleanup_needed(runtime, owners)
    with runtime.db.session(write=False) as session:
        for resource in ResourceType:
            assert _counts(session, owners, resource) == (0, 0, 0), resource
