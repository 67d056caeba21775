"""S3 object lock: default retention of buckets, retention and legal holds of versions.

A bucket created with object lock has versioning Enabled for good. Its `object_lock_config`
is S3's ObjectLockConfiguration document; a default retention there gives each new version
a `retention` ({"mode": GOVERNANCE|COMPLIANCE, "until": ISO-8601}). A version under an
unexpired retention or a legal hold cannot be deleted (ObjectLocked), except a GOVERNANCE
retention by a caller who asks to bypass it. Deleting without a version id only adds a
delete marker, which locks never prevent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Bucket, S3Object
from native.services import objects
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.runtime import Runtime

GOVERNANCE = "GOVERNANCE"
COMPLIANCE = "COMPLIANCE"
MODES = (GOVERNANCE, COMPLIANCE)


class ObjectLocked(PermissionDenied):
    """The version is protected by its retention or legal hold."""


class LockNotEnabled(InvalidParameterValue):
    """The bucket was not created with object lock."""


class NoSuchLockConfiguration(InvalidParameterValue):
    """The version has no retention (or the bucket no object lock configuration)."""


@dataclass(frozen=True, kw_only=True)
class Retention:
    """A version's retention: its mode and the instant it ends."""

    mode: str
    until: dt.datetime

    def to_json(self) -> str:
        return json.dumps({"mode": self.mode, "until": self.until.isoformat()})

    @classmethod
    def from_json(cls, text: str | None) -> Retention | None:
        if not text:
            return None
        values = json.loads(text)
        until = dt.datetime.fromisoformat(values["until"])
        return cls(mode=values["mode"], until=_aware(until))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidParameterValue(f"{name} must be a positive integer")
    return value


def parse_configuration(configuration: object) -> str:
    """The stored ObjectLockConfiguration: ObjectLockEnabled "Enabled" and an optional
    DefaultRetention with a Mode and exactly one of Days and Years (431 otherwise)."""
    if not isinstance(configuration, Mapping):
        raise InvalidParameterValue("The object lock configuration is missing")
    if configuration.get("ObjectLockEnabled") != "Enabled":
        raise InvalidParameterValue("ObjectLockEnabled must be Enabled")
    stored: dict[str, object] = {"ObjectLockEnabled": "Enabled"}
    rule = configuration.get("Rule")
    if rule is not None:
        default = rule.get("DefaultRetention") if isinstance(rule, Mapping) else None
        if not isinstance(default, Mapping) or default.get("Mode") not in MODES:
            raise InvalidParameterValue("DefaultRetention needs a Mode: GOVERNANCE or COMPLIANCE")
        periods = [name for name in ("Days", "Years") if default.get(name) is not None]
        if len(periods) != 1:
            raise InvalidParameterValue("DefaultRetention needs exactly one of Days and Years")
        period = periods[0]
        retention = {"Mode": default["Mode"], period: _positive(default[period], period)}
        stored["Rule"] = {"DefaultRetention": retention}
    return json.dumps(stored)


def default_retention(bucket: Bucket, now: dt.datetime) -> str | None:
    """The `retention` a new version of the bucket gets from its default (None if none)."""
    if not bucket.object_lock or not bucket.object_lock_config:
        return None
    rule = json.loads(bucket.object_lock_config).get("Rule")
    if not rule:
        return None
    default = rule["DefaultRetention"]
    days = default.get("Days") or 365 * default.get("Years", 0)
    return Retention(mode=default["Mode"], until=now + dt.timedelta(days=days)).to_json()


def check_delete(row: S3Object, *, bypass_governance: bool, now: dt.datetime) -> None:
    """ObjectLocked unless the version may be removed for good now."""
    if row.legal_hold:
        raise ObjectLocked(f"Access Denied: version {row.version_id} is under a legal hold")
    retention = Retention.from_json(row.retention)
    if retention is None or retention.until <= now:
        return
    if retention.mode == GOVERNANCE and bypass_governance:
        return
    raise ObjectLocked(
        f"Access Denied: version {row.version_id} is retained in {retention.mode} mode "
        f"until {retention.until.isoformat()}"
    )


def is_locked(row: S3Object, now: dt.datetime) -> bool:
    """Whether `check_delete` without bypass would refuse."""
    try:
        check_delete(row, bypass_governance=False, now=now)
    except ObjectLocked:
        return True
    return False


def _version(session: Session, bucket: Bucket, key: str, version_id: str | None) -> S3Object:
    if not bucket.object_lock:
        raise LockNotEnabled("Bucket is missing Object Lock Configuration")
    query = select(S3Object).where(S3Object.bucket_id == bucket.id, S3Object.key == key)
    if version_id is None:
        query = query.where(S3Object.is_latest.is_(True))
    else:
        query = query.where(S3Object.version_id == version_id)
    row = session.scalars(query.with_for_update()).one_or_none()
    if row is None or row.delete_marker:
        if version_id is None:
            raise objects.NoSuchKey("The specified key does not exist.")
        raise objects.NoSuchVersion("The specified version does not exist.")
    return row


@dataclass(frozen=True, kw_only=True)
class LockState:
    """A version's retention (None if it has none) and legal hold."""

    version_id: str
    retention: Retention | None
    legal_hold: bool


def lock_state(
    runtime: Runtime, *, bucket: Bucket, key: str, version_id: str | None = None
) -> LockState:
    """The version's (the current one by default) retention and legal hold."""
    with runtime.db.session() as session:
        row = _version(session, bucket, key, version_id)
        return LockState(
            version_id=row.version_id,
            retention=Retention.from_json(row.retention),
            legal_hold=row.legal_hold,
        )


def set_retention(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    version_id: str | None,
    retention: Retention | None,
    bypass_governance: bool,
    now: dt.datetime,
) -> None:
    """Set (or with None remove) the version's retention. A COMPLIANCE retention in force
    can only be extended; a GOVERNANCE one only be extended unless bypassing it
    (ObjectLocked). The new date must be in the future (431)."""
    if retention is not None:
        if retention.mode not in MODES:
            raise InvalidParameterValue("The retention mode must be GOVERNANCE or COMPLIANCE")
        if retention.until <= now:
            raise InvalidParameterValue("The retain until date must be in the future")
    with runtime.db.session() as session:
        row = _version(session, bucket, key, version_id)
        current = Retention.from_json(row.retention)
        weakened = (
            current is not None
            and current.until > now
            and (
                retention is None
                or retention.until < current.until
                or (current.mode == COMPLIANCE and retention.mode != COMPLIANCE)
            )
        )
        if (
            weakened
            and current is not None
            and (current.mode == COMPLIANCE or not bypass_governance)
        ):
            raise ObjectLocked(
                f"Access Denied: the {current.mode} retention of version "
                f"{row.version_id} cannot be shortened or removed"
            )
        row.retention = None if retention is None else retention.to_json()


def set_legal_hold(
    runtime: Runtime, *, bucket: Bucket, key: str, version_id: str | None, on: bool
) -> None:
    """Put the version under a legal hold or release it."""
    with runtime.db.session() as session:
        _version(session, bucket, key, version_id).legal_hold = on
