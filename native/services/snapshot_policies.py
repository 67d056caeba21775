"""Recurring snapshot policies and the scheduler that runs them (CloudStack's
SnapshotSchedulerImpl).

A policy snapshots one volume HOURLY (`MM`), DAILY (`MM:HH`), WEEKLY (`MM:HH:DD`, DD the
weekday 1-7 with 1 Sunday) or MONTHLY (`MM:HH:DD`, DD the day 1-28), in its time zone,
and keeps its `max_snaps` newest snapshots. The scheduler is a periodic task: each due
policy's `next_run` is moved forward compare-and-swap, so one management server takes
each scheduled snapshot however many run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from native.model import Snapshot, SnapshotPolicy, Volume, utcnow
from native.services.errors import CloudError, InvalidParameterValue
from native.services.events import record_event
from native.services.periodic import PeriodicTask
from native.services.runtime import Runtime
from native.services.snapshots import SnapshotState, allocate_snapshot, back_up, delete_snapshot
from native.services.steps import Steps
from native.services.tags import remove_tags_of
from native.services.volumes import VolumeState

log = logging.getLogger(__name__)

INTERVAL_TYPES = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")
"""CloudStack's `IntervalType`; the index is the number the API shows."""
_PARTS = {"HOURLY": 1, "DAILY": 2, "WEEKLY": 3, "MONTHLY": 3}
BATCH = 100


def interval_number(interval_type: str) -> int:
    """The API number of an interval type (HOURLY 0 … MONTHLY 3)."""
    return INTERVAL_TYPES.index(interval_type)


def parse_interval_type(text: str) -> str:
    """HOURLY, DAILY, WEEKLY or MONTHLY, by name (any case) or number; 431 otherwise."""
    value = text.strip().upper()
    if value.isdigit() and int(value) < len(INTERVAL_TYPES):
        return INTERVAL_TYPES[int(value)]
    if value not in INTERVAL_TYPES:
        raise InvalidParameterValue(f"Unsupported interval type {text}")
    return value


def parse_timezone(name: str) -> ZoneInfo:
    """The time zone of that IANA name; 431 for an unknown one."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameterValue(f"Invalid timezone: {name}") from None


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When in its interval a policy runs (local time)."""

    minute: int
    hour: int = 0
    day: int = 0


def parse_schedule(interval_type: str, text: str) -> Schedule:
    """The schedule of an interval type; 431 naming what is wrong."""
    parts = text.strip().split(":")
    needed = _PARTS[interval_type]
    try:
        numbers = [int(part, 10) for part in parts[:needed]]
    except ValueError:
        numbers = []
    if len(numbers) < needed:
        raise InvalidParameterValue(
            f"Incorrect schedule format: {text} for interval type: {interval_type}"
        )
    schedule = Schedule(
        minute=numbers[0],
        hour=numbers[1] if needed > 1 else 0,
        day=numbers[2] if needed > 2 else 0,
    )
    if not 0 <= schedule.minute <= 59:
        raise InvalidParameterValue(f"Invalid parameter minute:{schedule.minute}")
    if not 0 <= schedule.hour <= 23:
        raise InvalidParameterValue(f"Invalid parameter hour:{schedule.hour}")
    if interval_type == "WEEKLY" and not 1 <= schedule.day <= 7:
        raise InvalidParameterValue(f"Invalid day of week: {schedule.day}; use 1 (Sunday) to 7")
    if interval_type == "MONTHLY" and not 1 <= schedule.day <= 28:
        raise InvalidParameterValue(
            f"Incorrect day: {schedule.day}. Day of month should be between 1 and 28"
        )
    return schedule


def _at(day: dt.date, schedule: Schedule, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(schedule.hour, schedule.minute), tzinfo=zone)


def next_run_after(
    *, interval_type: str, schedule: str, timezone: str, after: dt.datetime
) -> dt.datetime:
    """The first time strictly after `after` the policy is due, in UTC."""
    zone = parse_timezone(timezone)
    when = parse_schedule(interval_type, schedule)
    local = after.astimezone(zone)
    if interval_type == "HOURLY":
        candidate = local.replace(minute=when.minute, second=0, microsecond=0)
        if candidate <= local:
            candidate = (candidate.astimezone(dt.UTC) + dt.timedelta(hours=1)).astimezone(zone)
    elif interval_type == "DAILY":
        candidate = _at(local.date(), when, zone)
        if candidate <= local:
            candidate = _at(local.date() + dt.timedelta(days=1), when, zone)
    elif interval_type == "WEEKLY":
        weekday = (when.day - 2) % 7
        day = local.date() + dt.timedelta(days=(weekday - local.weekday()) % 7)
        candidate = _at(day, when, zone)
        if candidate <= local:
            candidate = _at(day + dt.timedelta(days=7), when, zone)
    else:
        candidate = _at(local.date().replace(day=when.day), when, zone)
        if candidate <= local:
            year, month = divmod(local.year * 12 + local.month, 12)
            candidate = _at(dt.date(year, month + 1, when.day), when, zone)
    return candidate.astimezone(dt.UTC)


@dataclass(frozen=True, kw_only=True)
class PolicySpec:
    """What createSnapshotPolicy asks for (`interval_type` already parsed)."""

    interval_type: str
    schedule: str
    timezone: str
    max_snaps: int
    display: bool = True


def _check_max_snaps(max_snaps: int) -> None:
    if max_snaps < 1:
        raise InvalidParameterValue("maxSnaps should be greater than 0")


def create_policy(session: Session, *, volume: Volume, spec: PolicySpec) -> SnapshotPolicy:
    """Add the volume's policy of that interval type, or update it if it has one
    (CloudStack keeps one per interval). 431 unless the volume is Ready."""
    if volume.state != VolumeState.READY:
        raise InvalidParameterValue(
            f"VolumeId: {volume.uuid} is not in Ready state but {volume.state}. Cannot take "
            "snapshot."
        )
    _check_max_snaps(spec.max_snaps)
    first = next_run_after(
        interval_type=spec.interval_type,
        schedule=spec.schedule,
        timezone=spec.timezone,
        after=utcnow(),
    )
    policy = session.scalars(
        select(SnapshotPolicy).where(
            SnapshotPolicy.volume_id == volume.id,
            SnapshotPolicy.interval_type == spec.interval_type,
        )
    ).first()
    if policy is None:
        policy = SnapshotPolicy(volume_id=volume.id, interval_type=spec.interval_type)
        session.add(policy)
    policy.schedule = spec.schedule.strip()
    policy.timezone = spec.timezone.strip()
    policy.max_snaps = spec.max_snaps
    policy.next_run = first
    policy.display = spec.display
    policy.active = True
    session.flush()
    return policy


def update_policy(
    session: Session,
    *,
    policy: SnapshotPolicy,
    schedule: str | None,
    timezone: str | None,
    max_snaps: int | None,
    display: bool | None,
) -> SnapshotPolicy:
    """Change a policy; a new schedule or time zone moves its next run accordingly."""
    if max_snaps is not None:
        _check_max_snaps(max_snaps)
        policy.max_snaps = max_snaps
    if display is not None:
        policy.display = display
    if schedule is not None or timezone is not None:
        new_schedule = policy.schedule if schedule is None else schedule.strip()
        new_timezone = policy.timezone if timezone is None else timezone.strip()
        policy.next_run = next_run_after(
            interval_type=policy.interval_type,
            schedule=new_schedule,
            timezone=new_timezone,
            after=utcnow(),
        )
        policy.schedule, policy.timezone = new_schedule, new_timezone
    session.flush()
    return policy


def delete_policies(session: Session, *, policies: Sequence[SnapshotPolicy]) -> None:
    """Remove the policies and their tags (their snapshots stay)."""
    ids = [policy.id for policy in policies]
    for policy_id in ids:
        remove_tags_of(session, resource_type="SnapshotPolicy", resource_id=policy_id)
    session.execute(
        update(Snapshot)
        .where(Snapshot.policy_id.in_(ids))
        .values(policy_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(SnapshotPolicy)
        .where(SnapshotPolicy.id.in_(ids))
        .execution_options(synchronize_session=False)
    )


def _claim_due(session: Session, policy: SnapshotPolicy, now: dt.datetime) -> bool:
    """Move a due policy's next run past `now`; whether this server won it."""
    following = next_run_after(
        interval_type=policy.interval_type,
        schedule=policy.schedule,
        timezone=policy.timezone,
        after=now,
    )
    result = session.execute(
        update(SnapshotPolicy)
        .where(SnapshotPolicy.id == policy.id, SnapshotPolicy.next_run <= now)
        .values(next_run=following)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _take(runtime: Runtime, policy_id: int, now: dt.datetime) -> None:
    with runtime.db.session() as session:
        policy = session.get(SnapshotPolicy, policy_id)
        if policy is None or not policy.active or not _claim_due(session, policy, now):
            return
        session.commit()
        volume = session.get(Volume, policy.volume_id)
        if volume is None or volume.removed is not None:
            return
        try:
            with Steps(session) as steps:
                snapshot = allocate_snapshot(
                    session, runtime.settings, volume=volume, name=None, policy=policy
                )
                steps.commit()
                back_up(session, runtime, steps=steps, snapshot=snapshot)
        except CloudError as error:
            _record(
                session,
                volume,
                f"Scheduled snapshot of volume {volume.name} failed: {error.text}",
                level="ERROR",
            )
            return
        _record(session, volume, f"Scheduled snapshot {snapshot.name} of volume {volume.name}")
        session.commit()
        prune(session, runtime, policy=policy)


def _record(session: Session, volume: Volume, description: str, *, level: str = "INFO") -> None:
    record_event(
        session,
        caller=None,
        event_type="SNAPSHOT.CREATE",
        level=level,
        description=description,
        resource_type="Volume",
        resource_id=volume.uuid,
    )
    session.commit()


def prune(session: Session, runtime: Runtime, *, policy: SnapshotPolicy) -> int:
    """Delete the policy's oldest backed-up snapshots beyond `max_snaps`; how many."""
    extra = session.scalars(
        select(Snapshot)
        .where(
            Snapshot.policy_id == policy.id,
            Snapshot.volume_id == policy.volume_id,
            Snapshot.removed.is_(None),
            Snapshot.state == SnapshotState.BACKED_UP,
        )
        .order_by(Snapshot.created.desc(), Snapshot.id.desc())
        .offset(policy.max_snaps)
    ).all()
    deleted = 0
    for snapshot in extra:
        try:
            with Steps(session) as steps:
                delete_snapshot(session, runtime, steps=steps, snapshot=snapshot)
                steps.commit()
            deleted += 1
        except CloudError:
            log.exception(
                "could not delete old snapshot %s of policy %s", snapshot.uuid, policy.uuid
            )
    return deleted


def run_due_policies(runtime: Runtime) -> None:
    """One scheduler round: take every due policy's snapshot and prune its old ones."""
    now = utcnow()
    with runtime.db.session(write=False) as session:
        due = session.scalars(
            select(SnapshotPolicy.id)
            .where(SnapshotPolicy.active.is_(True), SnapshotPolicy.next_run <= now)
            .order_by(SnapshotPolicy.next_run)
            .limit(BATCH)
        ).all()
    for policy_id in due:
        try:
            _take(runtime, policy_id, now)
        except Exception:
            log.exception("scheduled snapshot of policy %s failed", policy_id)


def _poll_interval(runtime: Runtime) -> float:
    with runtime.db.session(write=False) as session:
        return float(runtime.settings.get(session, "snapshot.poll.interval"))


SNAPSHOT_SCHEDULER = PeriodicTask(
    name="snapshot-scheduler", interval=_poll_interval, run=run_due_policies
)
