"""Buckets: creating them on a pool, changing their settings, deleting them once empty.

A bucket's data live in its pool's container named by the bucket's uuid. Its usage
(`size`, `object_count`) is kept by `objects`, and its bytes count against the owner's
secondary storage limit.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.drivers.objectstore import ObjectStoreError
from native.model import Account, Bucket, MultipartUpload, ObjectStoragePool, S3Object, utcnow
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceUnavailable
from native.services.limits import GIB
from native.services.object_storage import pool_store
from native.services.runtime import Runtime
from native.services.steps import Steps

log = logging.getLogger(__name__)

ENABLED = "Enabled"
SUSPENDED = "Suspended"

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")


class BucketAlreadyExists(ResourceInUse):
    """A live bucket has that name already (`owner_account_id` says whose)."""

    def __init__(self, text: str, *, owner_account_id: int) -> None:
        super().__init__(text)
        self.owner_account_id = owner_account_id


class BucketNotEmpty(ResourceInUse):
    """The bucket still holds object versions, delete markers or multipart uploads."""


class InvalidBucketName(InvalidParameterValue):
    """The name breaks S3's bucket naming rules."""


def check_bucket_name(name: str) -> None:
    """S3's rules for general purpose buckets: 3-63 lowercase letters, digits, dots and
    hyphens, starting and ending with a letter or digit, no `..`, not an IPv4 address, no
    reserved prefix or suffix. InvalidBucketName (431) says which rule is broken."""
    why = None
    if not _NAME.match(name):
        why = (
            "it must be 3 to 63 characters of lowercase letters, digits, dots and hyphens, "
            "beginning and ending with a letter or digit"
        )
    elif ".." in name:
        why = "it must not contain two adjacent periods"
    elif _is_ipv4(name):
        why = "it must not be formatted as an IP address"
    elif name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        why = "it uses a reserved prefix or suffix"
    if why is not None:
        raise InvalidBucketName(f"Invalid bucket name {name}: {why}")


def _is_ipv4(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def check_policy(policy: str) -> None:
    """A bucket policy must be a JSON object (431 otherwise); its statements are evaluated
    when objects are accessed."""
    try:
        parsed = json.loads(policy)
    except ValueError:
        raise InvalidParameterValue("The bucket policy is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise InvalidParameterValue("The bucket policy must be a JSON object")


def _quota_bytes(quota_gb: int) -> int:
    if quota_gb < 1:
        raise InvalidParameterValue("The bucket quota must be at least 1 GB")
    return quota_gb * GIB


@dataclass(frozen=True, kw_only=True)
class NewBucket:
    """What createBucket asks for. Object lock implies versioning, as on S3."""

    name: str
    owner: Account
    pool: ObjectStoragePool
    quota_gb: int | None = None
    encryption: bool = False
    versioning: bool = False
    object_lock: bool = False
    policy: str | None = None


def find_bucket(session: Session, *, name: str) -> Bucket | None:
    """The live bucket of that name."""
    return session.scalars(select(Bucket).where(Bucket.live_name == name)).first()


def allocate_bucket(session: Session, *, spec: NewBucket) -> Bucket:
    """The bucket's row, in state Allocated (its container is made by `provision_bucket`).

    431 for a bad name, quota or policy, or a pool that is not live; BucketAlreadyExists
    (536) when a live bucket has the name."""
    check_bucket_name(spec.name)
    if spec.policy is not None:
        check_policy(spec.policy)
    if spec.pool.removed is not None or spec.pool.state != "Up":
        raise InvalidParameterValue(f"Object storage {spec.pool.name} is not available")
    taken = find_bucket(session, name=spec.name)
    if taken is not None:
        raise _already_exists(spec.name, taken)
    bucket = Bucket(
        name=spec.name,
        live_name=spec.name,
        account_id=spec.owner.id,
        domain_id=spec.owner.domain_id,
        pool_id=spec.pool.id,
        quota=None if spec.quota_gb is None else _quota_bytes(spec.quota_gb),
        encryption=spec.encryption,
        versioning=ENABLED if spec.versioning or spec.object_lock else None,
        object_lock=spec.object_lock,
        policy=spec.policy,
    )
    try:
        with session.begin_nested():
            session.add(bucket)
    except IntegrityError:
        taken = find_bucket(session, name=spec.name)
        if taken is None:
            raise
        raise _already_exists(spec.name, taken) from None
    return bucket


def _already_exists(name: str, taken: Bucket) -> BucketAlreadyExists:
    return BucketAlreadyExists(
        f"A bucket named {name} already exists", owner_account_id=taken.account_id
    )


def provision_bucket(session: Session, runtime: Runtime, *, bucket: Bucket) -> Bucket:
    """Make the bucket's container on its pool and mark it Created.

    The allocation is committed before the driver is called; if the container cannot be
    made the bucket is removed again (its name freed) and 534 is raised."""
    pool = session.get(ObjectStoragePool, bucket.pool_id)
    assert pool is not None
    with Steps(session) as steps:
        steps.on_undo(lambda undo_session: _forget(undo_session, bucket.id))
        steps.commit()
        try:
            pool_store(runtime, pool).create_container(container=bucket.uuid)
        except ObjectStoreError as exc:
            raise ResourceUnavailable(
                f"Cannot create bucket {bucket.name} on object storage {pool.name}: {exc}"
            ) from None
        bucket.state = "Created"
        session.flush()
    return bucket


def _forget(session: Session, bucket_id: int) -> None:
    bucket = session.get(Bucket, bucket_id)
    if bucket is not None:
        bucket.live_name = None
        bucket.removed = utcnow()


def create_bucket(session: Session, runtime: Runtime, *, spec: NewBucket) -> Bucket:
    """`allocate_bucket` then `provision_bucket`; commits as it goes."""
    return provision_bucket(session, runtime, bucket=allocate_bucket(session, spec=spec))


def update_bucket(
    session: Session,
    *,
    bucket: Bucket,
    quota_gb: int | None = None,
    encryption: bool | None = None,
    versioning: bool | None = None,
    policy: str | None = None,
) -> Bucket:
    """Change what is given. Versioning, once enabled, can only be suspended (and not at
    all on an object-lock bucket); an empty policy removes the policy."""
    if quota_gb is not None:
        bucket.quota = _quota_bytes(quota_gb)
    if encryption is not None:
        bucket.encryption = encryption
    if versioning is not None:
        set_versioning(bucket, status=ENABLED if versioning else SUSPENDED)
    if policy is not None:
        if policy.strip():
            check_policy(policy)
        bucket.policy = policy if policy.strip() else None
    session.flush()
    return bucket


def set_versioning(bucket: Bucket, *, status: str) -> None:
    """Enable or suspend versioning; suspending a never-versioned bucket leaves it so."""
    if status not in (ENABLED, SUSPENDED):
        raise InvalidParameterValue(f"Invalid versioning status {status}")
    if status == SUSPENDED and bucket.object_lock:
        raise InvalidParameterValue(
            f"Versioning cannot be suspended on bucket {bucket.name}: object lock is enabled"
        )
    if status == SUSPENDED and bucket.versioning is None:
        return
    bucket.versioning = status


def _holds_anything(session: Session, bucket: Bucket) -> bool:
    for model in (S3Object, MultipartUpload):
        if session.scalar(select(model.id).where(model.bucket_id == bucket.id).limit(1)):
            return True
    return False


def delete_bucket(session: Session, runtime: Runtime, *, bucket: Bucket) -> None:
    """Delete an empty bucket and its container (BucketNotEmpty, 536, otherwise).

    The bucket row is locked first, so no write can slip in between the check and the
    removal; if the container cannot be removed the bucket is restored and 534 raised."""
    locked = session.scalars(select(Bucket).where(Bucket.id == bucket.id).with_for_update()).one()
    if _holds_anything(session, locked):
        raise BucketNotEmpty(f"Bucket {locked.name} is not empty; delete its objects first")
    pool = session.get(ObjectStoragePool, locked.pool_id)
    assert pool is not None
    name = locked.name
    with Steps(session) as steps:
        locked.live_name = None
        locked.removed = utcnow()
        steps.on_undo(lambda undo_session: _restore(undo_session, locked.id, name))
        steps.commit()
        try:
            pool_store(runtime, pool).delete_container(container=locked.uuid)
        except ObjectStoreError as exc:
            raise ResourceUnavailable(f"Cannot delete bucket {name}: {exc}") from None


def _restore(session: Session, bucket_id: int, name: str) -> None:
    bucket = session.get(Bucket, bucket_id)
    if bucket is not None:
        bucket.live_name = name
        bucket.removed = None
