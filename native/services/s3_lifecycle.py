"""Buckets' lifecycle rules: validating S3's LifecycleConfiguration and the sweeper
enforcing them.

The stored document (Bucket.lifecycle) is the configuration as S3 exchanges it: {"Rules":
[{"ID", "Status", "Filter": {"Prefix"} | "Prefix", "Expiration": {"Days"|"Date"},
"NoncurrentVersionExpiration": {"NoncurrentDays"}, "AbortIncompleteMultipartUpload":
{"DaysAfterInitiation"}}]}. Every round of LIFECYCLE_TASK, `sweep` applies the Enabled rules
through the ordinary services: expired current versions are deleted (a delete marker when
versioned), noncurrent versions removed `NoncurrentDays` after a newer one replaced them
(unless object lock protects them), and uploads abandoned for `DaysAfterInitiation` aborted.
A round handles at most BATCH items per rule; the next round goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from native.model import Bucket, MultipartUpload, S3Object, utcnow
from native.services import multipart, objects, s3_lock
from native.services.errors import CloudError, InvalidParameterValue
from native.services.periodic import PeriodicTask
from native.services.runtime import Runtime

log = logging.getLogger(__name__)

INTERVAL = 3600.0
BATCH = 1000
MAX_RULES = 1000
_ACTIONS = ("Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")


def _days(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidParameterValue(f"'{name}' for lifecycle rules must be a positive integer")
    return value


def _prefix(rule: Mapping[str, object]) -> str:
    filtered = rule.get("Filter")
    if filtered is not None and rule.get("Prefix") is not None:
        raise InvalidParameterValue("A lifecycle rule cannot have both Filter and Prefix")
    if filtered is None:
        return str(rule.get("Prefix") or "")
    if not isinstance(filtered, Mapping) or set(filtered) - {"Prefix"}:
        raise InvalidParameterValue("Alto supports lifecycle filters on Prefix only")
    return str(filtered.get("Prefix") or "")


def _expiration(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidParameterValue("Expiration must be a structure")
    if value.get("ExpiredObjectDeleteMarker") is not None:
        raise InvalidParameterValue("Alto does not support ExpiredObjectDeleteMarker")
    days, date = value.get("Days"), value.get("Date")
    if (days is None) == (date is None):
        raise InvalidParameterValue("Expiration needs exactly one of Days and Date")
    if days is not None:
        return {"Days": _days(days, "Days")}
    if not isinstance(date, dt.datetime):
        raise InvalidParameterValue("Expiration Date must be a date")
    moment = date if date.tzinfo is not None else date.replace(tzinfo=dt.UTC)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise InvalidParameterValue("'Date' must be at midnight GMT")
    return {"Date": moment.isoformat()}


def _rule(rule: object) -> dict[str, object]:
    if not isinstance(rule, Mapping):
        raise InvalidParameterValue("A lifecycle rule must be a structure")
    if rule.get("Status") not in ("Enabled", "Disabled"):
        raise InvalidParameterValue("A lifecycle rule's Status must be Enabled or Disabled")
    rule_id = str(rule.get("ID") or "")
    if len(rule_id) > 255:
        raise InvalidParameterValue("ID length should not exceed allowed limit of 255")
    stored: dict[str, object] = {
        "ID": rule_id,
        "Status": rule["Status"],
        "Filter": {"Prefix": _prefix(rule)},
    }
    if rule.get("Expiration") is not None:
        stored["Expiration"] = _expiration(rule["Expiration"])
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent is not None:
        days = noncurrent.get("NoncurrentDays") if isinstance(noncurrent, Mapping) else None
        stored["NoncurrentVersionExpiration"] = {"NoncurrentDays": _days(days, "NoncurrentDays")}
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort is not None:
        days = abort.get("DaysAfterInitiation") if isinstance(abort, Mapping) else None
        stored["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": _days(days, "DaysAfterInitiation")
        }
    if not any(action in stored for action in _ACTIONS):
        raise InvalidParameterValue("At least one action needs to be specified in a rule")
    return stored


def parse_configuration(configuration: object) -> str:
    """The stored document of a LifecycleConfiguration: 1 to 1000 rules with unique IDs
    (one is made up when absent), each Enabled or Disabled with at least one action
    (431 otherwise)."""
    rules = configuration.get("Rules") if isinstance(configuration, Mapping) else None
    if not isinstance(rules, list) or not 1 <= len(rules) <= MAX_RULES:
        raise InvalidParameterValue(f"A lifecycle configuration holds 1 to {MAX_RULES} rules")
    stored = [_rule(rule) for rule in rules]
    for number, rule in enumerate(stored):
        rule["ID"] = rule["ID"] or f"rule-{number + 1}"
    if len({rule["ID"] for rule in stored}) != len(stored):
        raise InvalidParameterValue("Rule ID must be unique. Found same ID for more than one rule")
    return json.dumps({"Rules": stored})


@dataclass(frozen=True, kw_only=True)
class SweepResult:
    """What a sweep did: current versions expired, noncurrent versions removed, uploads
    aborted."""

    expired: int = 0
    noncurrent_removed: int = 0
    aborted: int = 0


def _expire_current(
    runtime: Runtime, bucket: Bucket, rule: Mapping[str, object], prefix: str, now: dt.datetime
) -> int:
    expiration = rule["Expiration"]
    assert isinstance(expiration, Mapping)
    query = select(S3Object.key).where(
        S3Object.bucket_id == bucket.id,
        S3Object.is_latest.is_(True),
        S3Object.delete_marker.is_(False),
        S3Object.key.startswith(prefix, autoescape=True),
    )
    if "Days" in expiration:
        query = query.where(S3Object.last_modified <= now - dt.timedelta(days=expiration["Days"]))
    elif dt.datetime.fromisoformat(str(expiration["Date"])) > now:
        return 0
    with runtime.db.session(write=False) as session:
        keys = list(session.scalars(query.order_by(S3Object.key).limit(BATCH)))
    for key in keys:
        objects.delete_object(runtime, bucket=bucket, key=key)
    return len(keys)


def _expire_noncurrent(
    runtime: Runtime, bucket: Bucket, days: int, prefix: str, now: dt.datetime
) -> int:
    """Remove noncurrent versions whose successor (the next newer version of the key)
    was written at least `days` days before `now`."""
    newer = aliased(S3Object)
    replaced_at = (
        select(func.min(newer.last_modified))
        .where(
            newer.bucket_id == S3Object.bucket_id, newer.key == S3Object.key, newer.id > S3Object.id
        )
        .scalar_subquery()
    )
    query = select(S3Object).where(
        S3Object.bucket_id == bucket.id,
        S3Object.is_latest.is_(False),
        S3Object.key.startswith(prefix, autoescape=True),
        replaced_at <= now - dt.timedelta(days=days),
    )
    with runtime.db.session(write=False) as session:
        rows = list(session.scalars(query.order_by(S3Object.id).limit(BATCH)))
    removed = 0
    for row in rows:
        if bucket.object_lock and s3_lock.is_locked(row, now):
            continue
        objects.delete_object(runtime, bucket=bucket, key=row.key, version_id=row.version_id)
        removed += 1
    return removed


def _abort_uploads(
    runtime: Runtime, bucket: Bucket, days: int, prefix: str, now: dt.datetime
) -> int:
    query = select(MultipartUpload.key, MultipartUpload.upload_id).where(
        MultipartUpload.bucket_id == bucket.id,
        MultipartUpload.key.startswith(prefix, autoescape=True),
        MultipartUpload.created <= now - dt.timedelta(days=days),
    )
    with runtime.db.session(write=False) as session:
        uploads = list(session.execute(query.order_by(MultipartUpload.id).limit(BATCH)))
    for key, upload_id in uploads:
        try:
            multipart.abort_upload(runtime, bucket=bucket, key=key, upload_id=upload_id)
        except multipart.NoSuchUpload:
            continue
    return len(uploads)


def sweep_bucket(runtime: Runtime, bucket: Bucket, *, now: dt.datetime) -> SweepResult:
    """Apply the bucket's Enabled lifecycle rules as of `now`."""
    expired = removed = aborted = 0
    for rule in json.loads(bucket.lifecycle or '{"Rules": []}')["Rules"]:
        if rule["Status"] != "Enabled":
            continue
        prefix = rule["Filter"]["Prefix"]
        if "Expiration" in rule:
            expired += _expire_current(runtime, bucket, rule, prefix, now)
        if "NoncurrentVersionExpiration" in rule:
            days = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
            removed += _expire_noncurrent(runtime, bucket, days, prefix, now)
        if "AbortIncompleteMultipartUpload" in rule:
            days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            aborted += _abort_uploads(runtime, bucket, days, prefix, now)
    return SweepResult(expired=expired, noncurrent_removed=removed, aborted=aborted)


def sweep(runtime: Runtime, *, now: dt.datetime) -> SweepResult:
    """Apply every live bucket's lifecycle rules as of `now`; a bucket that fails is
    logged and skipped."""
    totals = SweepResult()
    last_id = 0
    while True:
        with runtime.db.session(write=False) as session:
            batch = list(
                session.scalars(
                    select(Bucket)
                    .where(
                        Bucket.id > last_id,
                        Bucket.lifecycle.is_not(None),
                        Bucket.removed.is_(None),
                        Bucket.state == "Created",
                    )
                    .order_by(Bucket.id)
                    .limit(100)
                )
            )
        if not batch:
            return totals
        for bucket in batch:
            last_id = bucket.id
            try:
                done = sweep_bucket(runtime, bucket, now=now)
            except CloudError as exc:
                log.warning("lifecycle of bucket %s failed: %s", bucket.name, exc)
                continue
            totals = SweepResult(
                expired=totals.expired + done.expired,
                noncurrent_removed=totals.noncurrent_removed + done.noncurrent_removed,
                aborted=totals.aborted + done.aborted,
            )


def _sweep_now(runtime: Runtime) -> None:
    sweep(runtime, now=utcnow())


LIFECYCLE_TASK = PeriodicTask(
    name="s3-lifecycle", interval=lambda runtime: INTERVAL, run=_sweep_now
)
"""Enforces lifecycle rules every INTERVAL seconds."""
