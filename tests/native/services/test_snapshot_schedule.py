"""The snapshot scheduler: next-run times in the policy's time zone, and due policies taking
snapshots on the image store and pruning the oldest beyond `maxsnaps`."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from native.model import (
    Account,
    Cluster,
    Event,
    ImageStore,
    Pod,
    Snapshot,
    SnapshotPolicy,
    StoragePool,
    User,
    Volume,
    Zone,
    utcnow,
)
from native.services.errors import InvalidParameterValue
from native.services.runtime import Runtime
from native.services.snapshot_policies import (
    PolicySpec,
    create_policy,
    next_run_after,
    run_due_policies,
)
from tests.native.services.conftest import make_runtime

UTC = dt.UTC


def at(text: str, zone: str = "UTC") -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("interval", "schedule", "timezone", "after", "expected"),
    [
        ("HOURLY", "30", "UTC", at("2026-03-10 10:15"), at("2026-03-10 10:30")),
        ("HOURLY", "30", "UTC", at("2026-03-10 10:30"), at("2026-03-10 11:30")),
        ("HOURLY", "0", "UTC", at("2026-12-31 23:59"), at("2027-01-01 00:00")),
        ("DAILY", "15:02", "UTC", at("2026-03-10 01:00"), at("2026-03-10 02:15")),
        ("DAILY", "15:02", "UTC", at("2026-03-10 03:00"), at("2026-03-11 02:15")),
        (
            "DAILY",
            "00:09",
            "Europe/Paris",
            at("2026-03-10 07:30"),
            at("2026-03-10 09:00", "Europe/Paris"),
        ),
        (
            "DAILY",
            "00:09",
            "America/New_York",
            at("2026-03-07 15:00"),
            at("2026-03-08 09:00", "America/New_York"),
        ),
        # 1 is Sunday (Java's Calendar): 2026-03-10 is a Tuesday
        ("WEEKLY", "00:12:1", "UTC", at("2026-03-10 00:00"), at("2026-03-15 12:00")),
        ("WEEKLY", "00:12:3", "UTC", at("2026-03-10 11:00"), at("2026-03-10 12:00")),
        ("WEEKLY", "00:12:3", "UTC", at("2026-03-10 13:00"), at("2026-03-17 12:00")),
        ("MONTHLY", "45:06:28", "UTC", at("2026-02-28 07:00"), at("2026-03-28 06:45")),
        ("MONTHLY", "45:06:1", "UTC", at("2026-12-15 00:00"), at("2027-01-01 06:45")),
        (
            "MONTHLY",
            "00:00:1",
            "Asia/Tokyo",
            at("2026-05-31 14:00"),
            at("2026-06-01 00:00", "Asia/Tokyo"),
        ),
    ],
)
def test_next_run_is_the_first_scheduled_time_after_now_in_the_policy_time_zone(
    interval: str, schedule: str, timezone: str, after: dt.datetime, expected: dt.datetime
) -> None:
    found = next_run_after(
        interval_type=interval, schedule=schedule, timezone=timezone, after=after
    )
    assert found == expected
    assert found.tzinfo == UTC


@pytest.mark.parametrize(
    ("interval", "schedule", "timezone", "message"),
    [
        ("HOURLY", "60", "UTC", "minute"),
        ("HOURLY", "x", "UTC", "Incorrect schedule format"),
        ("DAILY", "10", "UTC", "Incorrect schedule format"),
        ("DAILY", "10:24", "UTC", "hour"),
        ("WEEKLY", "10:10:8", "UTC", "day of week"),
        ("MONTHLY", "10:10:29", "UTC", "between 1 and 28"),
        ("DAILY", "10:10", "Mars/Olympus", "timezone"),
    ],
)
def test_bad_schedules_are_refused(
    interval: str, schedule: str, timezone: str, message: str
) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        next_run_after(interval_type=interval, schedule=schedule, timezone=timezone, after=utcnow())
    assert message in caught.value.text


def _volume(runtime: Runtime, root: Path) -> int:
    """A Ready 64 KiB volume on a file pool of a zone with a file image store."""
    with runtime.db.session() as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        account = session.get(Account, admin.account_id)
        assert account is not None
        zone = Zone(name="z", network_type="Advanced", allocation_state="Enabled")
        session.add(zone)
        session.flush()
        pod = Pod(name="p", zone_id=zone.id)
        session.add(pod)
        session.flush()
        cluster = Cluster(name="c", zone_id=zone.id, pod_id=pod.id, hypervisor_type="Simulator")
        session.add(cluster)
        session.flush()
        pool = StoragePool(
            name="primary",
            zone_id=zone.id,
            pod_id=pod.id,
            cluster_id=cluster.id,
            scope="CLUSTER",
            url=f"file://{root}/primary",
            pool_type="Filesystem",
            path=f"{root}/primary",
            capacity_bytes=1 << 30,
            used_bytes=1 << 16,
        )
        session.add(pool)
        session.add(
            ImageStore(
                name="secondary",
                zone_id=zone.id,
                provider="NFS",
                protocol="file",
                url=f"file://{root}/secondary",
            )
        )
        session.flush()
        volume = Volume(
            name="data",
            volume_type="DATADISK",
            state="Ready",
            account_id=account.id,
            domain_id=account.domain_id,
            zone_id=zone.id,
            pool_id=pool.id,
            size=1 << 16,
        )
        session.add(volume)
        session.flush()
        volume.path = f"volumes/{volume.uuid}"
        data = root / "primary" / volume.path
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_bytes(b"alto" * (1 << 14))
        return volume.id


def _policy(runtime: Runtime, volume_id: int, *, max_snaps: int) -> int:
    with runtime.db.session() as session:
        volume = session.get(Volume, volume_id)
        assert volume is not None
        spec = PolicySpec(interval_type="HOURLY", schedule="0", timezone="UTC", max_snaps=max_snaps)
        return create_policy(session, volume=volume, spec=spec).id


def _make_due(runtime: Runtime, policy_id: int) -> None:
    with runtime.db.session() as session:
        session.execute(
            update(SnapshotPolicy)
            .where(SnapshotPolicy.id == policy_id)
            .values(next_run=utcnow() - dt.timedelta(minutes=1))
        )


def _snapshots(runtime: Runtime, volume_id: int) -> list[Snapshot]:
    with runtime.db.session(write=False) as session:
        return list(
            session.scalars(
                select(Snapshot).where(Snapshot.volume_id == volume_id).order_by(Snapshot.id)
            )
        )


def _next_run(runtime: Runtime, policy_id: int) -> dt.datetime:
    with runtime.db.session(write=False) as session:
        policy = session.get(SnapshotPolicy, policy_id)
        assert policy is not None
        return policy.next_run


def test_a_due_policy_takes_a_snapshot_and_keeps_only_maxsnaps(
    database_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime(database_url, msid="ms-1")
    volume_id = _volume(runtime, tmp_path)
    policy_id = _policy(runtime, volume_id, max_snaps=2)
    assert _next_run(runtime, policy_id) > utcnow()

    run_due_policies(runtime)
    assert _snapshots(runtime, volume_id) == []

    taken = []
    for _ in range(3):
        _make_due(runtime, policy_id)
        run_due_policies(runtime)
        assert _next_run(runtime, policy_id) > utcnow()
        taken.append(_snapshots(runtime, volume_id)[-1])

    assert len({snapshot.id for snapshot in taken}) == 3
    for snapshot in taken:
        assert snapshot.snapshot_type == "HOURLY"
        assert snapshot.policy_id == policy_id
    live = [s for s in _snapshots(runtime, volume_id) if s.removed is None]
    assert [s.id for s in live] == [taken[1].id, taken[2].id]
    assert all(s.state == "BackedUp" for s in live)
    oldest = next(s for s in _snapshots(runtime, volume_id) if s.id == taken[0].id)
    assert oldest.state == "Destroyed" and oldest.removed is not None
    secondary = tmp_path / "secondary"
    for snapshot in live:
        stored = secondary / f"snapshots/{snapshot.account_id}/{volume_id}/{snapshot.uuid}"
        assert stored.read_bytes() == b"alto" * (1 << 14)
    assert not (secondary / f"snapshots/{oldest.account_id}/{volume_id}/{oldest.uuid}").exists()


def test_two_servers_take_a_due_snapshot_once(database_url: str, tmp_path: Path) -> None:
    runtimes = [make_runtime(database_url, msid=f"ms-{n}") for n in range(2)]
    volume_id = _volume(runtimes[0], tmp_path)
    policy_id = _policy(runtimes[0], volume_id, max_snaps=5)
    _make_due(runtimes[0], policy_id)

    threads = [threading.Thread(target=run_due_policies, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(_snapshots(runtimes[0], volume_id)) == 1


def test_a_failed_scheduled_snapshot_leaves_no_row_and_still_moves_on(
    database_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime(database_url, msid="ms-1")
    volume_id = _volume(runtime, tmp_path)
    policy_id = _policy(runtime, volume_id, max_snaps=2)
    with runtime.db.session() as session:
        volume = session.get(Volume, volume_id)
        assert volume is not None
        (tmp_path / "primary" / str(volume.path)).unlink()
    _make_due(runtime, policy_id)

    run_due_policies(runtime)

    assert _snapshots(runtime, volume_id) == []
    assert _next_run(runtime, policy_id) > utcnow()
    assert not list((tmp_path / "secondary").rglob("*.part"))


def test_without_an_image_store_a_scheduled_snapshot_is_an_error_event_and_no_row(
    database_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime(database_url, msid="ms-1")
    volume_id = _volume(runtime, tmp_path)
    policy_id = _policy(runtime, volume_id, max_snaps=2)
    with runtime.db.session() as session:
        session.execute(update(ImageStore).values(removed=utcnow()))
    _make_due(runtime, policy_id)

    run_due_policies(runtime)

    assert _snapshots(runtime, volume_id) == []
    with runtime.db.session(write=False) as session:
        event = session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert event is not None
    assert (event.event_type, event.level) == ("SNAPSHOT.CREATE", "ERROR")
    assert "image store" in event.description
