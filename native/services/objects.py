"""Objects in buckets: writing, reading, deleting and listing versions.

Data go to the bucket's pool first, outside any transaction; the version row (with the
bucket's usage and the owner's secondary storage count) is committed only once the data
are durable, so a reader never sees a partial object, and a failed write leaves neither a
row nor data. Data a committed change made unreachable (an overwritten "null" version, a
deleted version) are removed after the commit.

Functions here open their own short transactions on `runtime.db`: never call them with a
write transaction open.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import logging
import uuid as uuidlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, delete, or_, select, true, update
from sqlalchemy.orm import Session

from native.drivers.objectstore.base import (
    ByteStream,
    IncompleteStream,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
    Readable,
)
from native.model import Account, Bucket, ObjectStoragePool, S3Object, utcnow
from native.services import limits, s3_encryption, s3_lock, s3_tagging
from native.services.buckets import ENABLED, SUSPENDED
from native.services.errors import (
    InvalidParameterValue,
    ResourceLimitExceeded,
    ResourceUnavailable,
)
from native.services.object_storage import pool_store
from native.services.runtime import Runtime

log = logging.getLogger(__name__)

NULL_VERSION = "null"
MAX_KEYS = 1000
KEY_BYTES = 1024
READ_ATTEMPTS = 3


class NoSuchBucket(InvalidParameterValue):
    """The bucket does not exist (any more)."""


class NoSuchKey(InvalidParameterValue):
    """No current version of the key; `delete_marker` is the marker that hides it, if any."""

    def __init__(self, text: str, *, delete_marker: ObjectVersion | None = None) -> None:
        super().__init__(text)
        self.delete_marker = delete_marker


class NoSuchVersion(InvalidParameterValue):
    """The key has no version with that id."""


class DeleteMarkerVersion(InvalidParameterValue):
    """The version asked for is a delete marker, which has no data (S3's 405)."""

    def __init__(self, text: str, *, delete_marker: ObjectVersion) -> None:
        super().__init__(text)
        self.delete_marker = delete_marker


class InvalidRange(InvalidParameterValue):
    """The byte range does not overlap the object (`size` bytes)."""

    def __init__(self, text: str, *, size: int) -> None:
        super().__init__(text)
        self.size = size


class InvalidKey(InvalidParameterValue):
    """The key is empty or longer than 1024 bytes of UTF-8."""


class IncompleteBody(InvalidParameterValue):
    """The data ended before the size announced for them."""


class QuotaExceeded(ResourceLimitExceeded):
    """The write would take the bucket past its quota."""


@dataclass(frozen=True, kw_only=True)
class ObjectMeta:
    """What is stored with an object and given back on reads (`user` is x-amz-meta-*)."""

    content_type: str | None = None
    content_encoding: str | None = None
    content_disposition: str | None = None
    content_language: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    user: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {name: value for name, value in vars(self).items() if value}, sort_keys=True
        )

    @classmethod
    def from_json(cls, text: str) -> ObjectMeta:
        values = json.loads(text or "{}")
        return cls(**{name: values[name] for name in cls.__dataclass_fields__ if name in values})


@dataclass(frozen=True, kw_only=True)
class ObjectVersion:
    """One version of an object, or a delete marker (size 0, no etag)."""

    key: str
    version_id: str
    is_latest: bool
    delete_marker: bool
    size: int
    etag: str
    last_modified: dt.datetime
    meta: ObjectMeta
    encryption: str | None = None
    tag_count: int = 0

    @classmethod
    def of(cls, row: S3Object) -> ObjectVersion:
        return cls(
            key=row.key,
            version_id=row.version_id,
            is_latest=row.is_latest,
            delete_marker=row.delete_marker,
            size=row.size,
            etag=row.etag,
            last_modified=row.last_modified,
            meta=ObjectMeta.from_json(row.meta),
            encryption=s3_encryption.algorithm_of(row.encryption),
            tag_count=len(s3_tagging.load_tags(row.tags)),
        )


@dataclass(frozen=True, kw_only=True)
class ByteRange:
    """An HTTP byte range: `first`-`last` inclusive; `last` None means to the end, `first`
    None means the final `last` bytes."""

    first: int | None
    last: int | None

    def resolve(self, size: int) -> tuple[int, int]:
        """(start, end inclusive) within an object of `size` bytes; InvalidRange if none."""
        if self.first is None:
            if self.last is None or self.last <= 0 or size == 0:
                raise _invalid_range(size)
            return max(size - self.last, 0), size - 1
        if self.first >= size or (self.last is not None and self.last < self.first):
            raise _invalid_range(size)
        last = size - 1 if self.last is None else min(self.last, size - 1)
        return self.first, last


def _invalid_range(size: int) -> InvalidRange:
    return InvalidRange("The requested range is not satisfiable", size=size)


@dataclass(frozen=True, kw_only=True)
class ObjectData:
    """An object's version and its bytes `start`..`end` (inclusive) as a stream to close."""

    version: ObjectVersion
    start: int
    end: int
    body: ByteStream

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, kw_only=True)
class DeleteResult:
    """What a delete did: the version removed or the delete marker added (`version_id`
    None for an unversioned bucket), and whether that version is a delete marker."""

    version_id: str | None
    delete_marker: bool


@dataclass(frozen=True, kw_only=True)
class ListPage:
    """One page of current objects and common prefixes, in byte order.

    `next_marker` is the last key or common prefix given (set when `is_truncated`).
    """

    objects: list[ObjectVersion]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str | None


@dataclass(frozen=True, kw_only=True)
class VersionPage:
    """One page of versions and delete markers (keys in byte order, newest first within
    a key) and common prefixes."""

    versions: list[ObjectVersion]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_version_id_marker: str | None


def check_key(key: str) -> None:
    """InvalidKey (431) for an empty key or one over 1024 bytes of UTF-8."""
    if not key or len(key.encode()) > KEY_BYTES:
        raise InvalidKey("Object keys must be 1 to 1024 bytes of UTF-8")


def _new_version_id() -> str:
    return uuidlib.uuid4().hex


def new_storage_path() -> str:
    """A fresh path for object data on a pool, spread over 256 directories."""
    name = uuidlib.uuid4().hex
    return f"{name[:2]}/{name}"


def pool_of(runtime: Runtime, bucket: Bucket) -> ObjectStoragePool:
    """The pool holding the bucket's data."""
    with runtime.db.session(write=False) as session:
        pool = session.get(ObjectStoragePool, bucket.pool_id)
    assert pool is not None
    return pool


def locked_bucket(session: Session, bucket_id: int) -> Bucket:
    """The bucket's row, locked until the transaction ends; NoSuchBucket if it is gone."""
    bucket = session.scalars(
        select(Bucket).where(Bucket.id == bucket_id).with_for_update()
    ).one_or_none()
    if bucket is None or bucket.removed is not None or bucket.state != "Created":
        raise NoSuchBucket("The specified bucket does not exist")
    return bucket


def _charge(session: Session, runtime: Runtime, bucket: Bucket, *, delta: int, count: int) -> None:
    """Add `delta` bytes and `count` versions to the bucket's usage and the owner's count
    (quota and limits checked for growth)."""
    if delta > 0 and bucket.quota is not None and bucket.size + delta > bucket.quota:
        raise QuotaExceeded(f"The write would exceed the quota of bucket {bucket.name}")
    if delta != 0:
        owner = session.get(Account, bucket.account_id)
        assert owner is not None
        resource = limits.ResourceType.SECONDARY_STORAGE
        if delta > 0:
            limits.consume(
                session, runtime.settings, account=owner, resource=resource, amount=delta
            )
        else:
            limits.release(session, account=owner, resource=resource, amount=-delta)
        bucket.size += delta
    bucket.object_count += count


def _version_row(session: Session, bucket_id: int, key: str, version_id: str) -> S3Object | None:
    return session.scalars(
        select(S3Object).where(
            S3Object.bucket_id == bucket_id,
            S3Object.key == key,
            S3Object.version_id == version_id,
        )
    ).one_or_none()


def _latest_row(session: Session, bucket_id: int, key: str) -> S3Object | None:
    return session.scalars(
        select(S3Object).where(
            S3Object.bucket_id == bucket_id, S3Object.key == key, S3Object.is_latest.is_(True)
        )
    ).first()


def _remove_row(session: Session, runtime: Runtime, bucket: Bucket, row: S3Object) -> str | None:
    """Delete a version row (promoting the next newest if it was latest); its data path."""
    if not row.delete_marker:
        _charge(session, runtime, bucket, delta=-row.size, count=-1)
    session.execute(delete(S3Object).where(S3Object.id == row.id))
    if row.is_latest:
        newest = session.scalar(
            select(S3Object.id)
            .where(S3Object.bucket_id == bucket.id, S3Object.key == row.key)
            .order_by(S3Object.id.desc())
            .limit(1)
        )
        if newest is not None:
            session.execute(update(S3Object).where(S3Object.id == newest).values(is_latest=True))
    return row.storage_path


def _add_version(session: Session, bucket: Bucket, row: S3Object) -> None:
    """Make `row` the key's latest version."""
    session.execute(
        update(S3Object)
        .where(
            S3Object.bucket_id == bucket.id,
            S3Object.key == row.key,
            S3Object.is_latest.is_(True),
        )
        .values(is_latest=False)
    )
    session.add(row)
    session.flush()


def discard_data(runtime: Runtime, bucket: Bucket, paths: Sequence[str | None]) -> None:
    """Remove data no row points to any more (best effort: a leftover is garbage, never
    visible)."""
    wanted = [path for path in paths if path]
    if not wanted:
        return
    try:
        store = pool_store(runtime, pool_of(runtime, bucket))
        for path in wanted:
            store.delete(container=bucket.uuid, path=path)
    except (ObjectStoreError, ResourceUnavailable, InvalidParameterValue) as exc:
        log.warning("could not remove unreferenced data of bucket %s: %s", bucket.name, exc)


def put_object(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    source: Readable,
    size: int | None = None,
    meta: ObjectMeta | None = None,
    encryption: str | None = None,
) -> ObjectVersion:
    """Store `source` (exactly `size` bytes when given, else to its end) as the key's new
    current version and return it (its etag is the data's MD5).

    The data are encrypted at rest with `encryption` (AES256; UnsupportedEncryption for
    SSE-KMS) or else the bucket's default encryption (see `s3_encryption`).

    A versioning-Enabled bucket gets a new version; otherwise the "null" version is
    replaced. The bucket's usage, quota (QuotaExceeded) and the owner's secondary storage
    limit (532) are checked and updated in the transaction that adds the row. On any failure
    nothing is visible and the written data are removed.
    """
    check_key(key)
    store = pool_store(runtime, pool_of(runtime, bucket))
    path = new_storage_path()
    reader, sealed = None, None
    if s3_encryption.wanted(bucket, encryption) is not None:
        reader, sealed = s3_encryption.encrypting(runtime, source)
    try:
        stored = store.put(container=bucket.uuid, path=path, source=reader or source, size=size)
    except IncompleteStream as exc:
        raise IncompleteBody(str(exc)) from None
    except ObjectMissing:
        raise NoSuchBucket("The specified bucket does not exist") from None
    except ObjectStoreError as exc:
        raise ResourceUnavailable(f"Cannot store {key} in bucket {bucket.name}: {exc}") from None
    try:
        with runtime.db.session() as session:
            version, freed = commit_put(
                session, runtime, bucket.id, key=key, size=stored.size,
                etag=stored.md5 if reader is None else reader.md5(),
                path=path, meta=meta or ObjectMeta(), encryption=sealed,
            )  # fmt: skip
    except BaseException:
        discard_data(runtime, bucket, [path])
        raise
    discard_data(runtime, bucket, [freed])
    return version


def commit_put(
    session: Session,
    runtime: Runtime,
    bucket_id: int,
    *,
    key: str,
    size: int,
    etag: str,
    path: str,
    meta: ObjectMeta,
    encryption: str | None = None,
) -> tuple[ObjectVersion, str | None]:
    """Add the version row of data stored at `path` (`encryption` its sealed key document),
    with the bucket's default object-lock retention; the data path it made unreachable."""
    bucket = locked_bucket(session, bucket_id)
    freed = None
    delta, count = size, 1
    version_id = _new_version_id() if bucket.versioning == ENABLED else NULL_VERSION
    if version_id == NULL_VERSION:
        replaced = _version_row(session, bucket.id, key, NULL_VERSION)
        if replaced is not None:
            session.execute(delete(S3Object).where(S3Object.id == replaced.id))
            freed = replaced.storage_path
            if not replaced.delete_marker:
                delta, count = size - replaced.size, 0
    _charge(session, runtime, bucket, delta=delta, count=count)
    row = S3Object(
        bucket_id=bucket.id,
        key=key,
        version_id=version_id,
        is_latest=True,
        delete_marker=False,
        size=size,
        etag=etag,
        meta=meta.to_json(),
        storage_path=path,
        last_modified=utcnow(),
        encryption=encryption,
    )
    row.retention = s3_lock.default_retention(bucket, row.last_modified)
    _add_version(session, bucket, row)
    return ObjectVersion.of(row), freed


def _find(session: Session, bucket: Bucket, key: str, version_id: str | None) -> S3Object:
    """The version asked for (the current one by default), which must hold data."""
    if version_id is None:
        row = _latest_row(session, bucket.id, key)
        if row is None or row.delete_marker:
            marker = None if row is None else ObjectVersion.of(row)
            raise NoSuchKey("The specified key does not exist.", delete_marker=marker)
        return row
    row = _version_row(session, bucket.id, key, version_id)
    if row is None:
        raise NoSuchVersion("The specified version does not exist.")
    if row.delete_marker:
        raise DeleteMarkerVersion(
            "The specified method is not allowed against this resource.",
            delete_marker=ObjectVersion.of(row),
        )
    return row


def head_object(
    runtime: Runtime, *, bucket: Bucket, key: str, version_id: str | None = None
) -> ObjectVersion:
    """The current version of the key (or the one named). NoSuchKey when there is none or
    it is a delete marker; NoSuchVersion / DeleteMarkerVersion for a named version."""
    with runtime.db.session(write=False) as session:
        return ObjectVersion.of(_find(session, bucket, key, version_id))


def get_object(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    version_id: str | None = None,
    byte_range: ByteRange | None = None,
) -> ObjectData:
    """The version (as `head_object`) with its bytes, all or `byte_range` (InvalidRange when
    it does not overlap). The caller must close `body`."""
    store = pool_store(runtime, pool_of(runtime, bucket))
    for _ in range(READ_ATTEMPTS):
        data = _open_version(runtime, store, bucket, key, version_id, byte_range)
        if data is not None:
            return data
    raise ResourceUnavailable(f"The data of {key} are missing from its pool")


def _open_version(
    runtime: Runtime,
    store: ObjectStore,
    bucket: Bucket,
    key: str,
    version_id: str | None,
    byte_range: ByteRange | None,
) -> ObjectData | None:
    """The version and its stream; None if its data vanished (a concurrent overwrite or
    delete removed them after the row was read), so that the caller looks again."""
    with runtime.db.session(write=False) as session:
        row = _find(session, bucket, key, version_id)
    start, end = (0, row.size - 1) if byte_range is None else byte_range.resolve(row.size)
    assert row.storage_path is not None
    try:
        body = store.get(
            container=bucket.uuid, path=row.storage_path, offset=start, length=end - start + 1
        )
    except ObjectMissing:
        return None
    except ObjectStoreError as exc:
        raise ResourceUnavailable(f"Cannot read {key}: {exc}") from None
    if row.encryption:
        full = start == 0 and end == row.size - 1 and "-" not in row.etag
        body = s3_encryption.decrypting(
            runtime, row.encryption, body, offset=start, etag=row.etag if full else None
        )
    return ObjectData(version=ObjectVersion.of(row), start=start, end=end, body=body)


def delete_object(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    version_id: str | None = None,
    bypass_governance: bool = False,
) -> DeleteResult:
    """Delete as S3 does. A named version is removed for good (deleting one that does not
    exist succeeds) unless its object lock protects it (`s3_lock.ObjectLocked`; a
    GOVERNANCE retention yields to `bypass_governance`). Otherwise: an unversioned bucket
    loses the object; an Enabled one gets a delete marker; a Suspended one gets a "null"
    delete marker replacing the "null" version."""
    with runtime.db.session() as session:
        locked = locked_bucket(session, bucket.id)
        if version_id is not None:
            row = _version_row(session, locked.id, key, version_id)
            if row is None:
                return DeleteResult(version_id=version_id, delete_marker=False)
            if locked.object_lock:
                s3_lock.check_delete(row, bypass_governance=bypass_governance, now=utcnow())
            result = DeleteResult(version_id=version_id, delete_marker=row.delete_marker)
            freed = _remove_row(session, runtime, locked, row)
        elif locked.versioning is None:
            row = _latest_row(session, locked.id, key)
            freed = None if row is None else _remove_row(session, runtime, locked, row)
            result = DeleteResult(version_id=None, delete_marker=False)
        else:
            result, freed = _add_delete_marker(session, runtime, locked, key)
    discard_data(runtime, bucket, [freed])
    return result


def _add_delete_marker(
    session: Session, runtime: Runtime, bucket: Bucket, key: str
) -> tuple[DeleteResult, str | None]:
    freed = None
    version_id = _new_version_id()
    if bucket.versioning == SUSPENDED:
        version_id = NULL_VERSION
        replaced = _version_row(session, bucket.id, key, NULL_VERSION)
        if replaced is not None:
            freed = _remove_row(session, runtime, bucket, replaced)
    marker = S3Object(
        bucket_id=bucket.id,
        key=key,
        version_id=version_id,
        is_latest=True,
        delete_marker=True,
        size=0,
        etag="",
        meta="{}",
        storage_path=None,
        last_modified=utcnow(),
    )
    _add_version(session, bucket, marker)
    return DeleteResult(version_id=version_id, delete_marker=True), freed


def after_prefix(prefix: str) -> str | None:
    """The least string above every string starting with `prefix` (None if there is none),
    in code point order, which is UTF-8 byte order."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if code == 0xD800:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def _common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]


Fetch = Callable[[ColumnElement[bool], int], Sequence[S3Object]]


@dataclass
class _Walk(abc.ABC):
    """Listing state: rows and common prefixes taken so far, and where to go on."""

    prefix: str
    delimiter: str | None
    marker: str | None
    limit: int
    rows: list[S3Object] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    floor: str | None = None
    after: ColumnElement[bool] | None = None
    truncated: bool = False
    done: bool = False

    @property
    def taken(self) -> int:
        return len(self.rows) + len(self.prefixes)

    def bounds(self) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if self.floor:
            conditions.append(S3Object.key >= self.floor)
        upper = after_prefix(self.prefix) if self.prefix else None
        if upper is not None:
            conditions.append(S3Object.key < upper)
        if self.after is not None:
            conditions.append(self.after)
        return and_(true(), *conditions)

    def take(self, row: S3Object, after: ColumnElement[bool]) -> bool:
        """Take one row; False when the walk must query again (a prefix was skipped)."""
        common = _common_prefix(row.key, self.prefix, self.delimiter)
        if common is not None and self.marker is not None and self.marker.startswith(common):
            return self._skip(common)
        if self.taken == self.limit:
            self.truncated = self.done = True
            return False
        if common is None:
            self.rows.append(row)
            self.after = after
            return True
        self.prefixes.append(common)
        return self._skip(common)

    def _skip(self, common: str) -> bool:
        self.floor = after_prefix(common)
        self.done = self.floor is None
        return False

    def run(self, fetch: Fetch) -> None:
        while not self.done:
            want = self.limit - self.taken + 1
            batch = fetch(self.bounds(), want)
            for row in batch:
                if not self.take(row, self.row_after(row)):
                    break
            else:
                self.done = len(batch) < want or self.done

    @abc.abstractmethod
    def row_after(self, row: S3Object) -> ColumnElement[bool]:
        """The condition selecting what comes after `row` in the walk's order."""

    def last_name(self) -> str | None:
        candidates = [self.rows[-1].key] if self.rows else []
        candidates += self.prefixes[-1:]
        return max(candidates) if candidates else None


class _KeyWalk(_Walk):
    def row_after(self, row: S3Object) -> ColumnElement[bool]:
        return S3Object.key > row.key


class _VersionWalk(_Walk):
    def row_after(self, row: S3Object) -> ColumnElement[bool]:
        return or_(S3Object.key > row.key, and_(S3Object.key == row.key, S3Object.id < row.id))


def _limit(max_keys: int) -> int:
    if max_keys < 0:
        raise InvalidParameterValue("max-keys must not be negative")
    return min(max_keys, MAX_KEYS)


def list_objects(
    runtime: Runtime,
    *,
    bucket: Bucket,
    prefix: str = "",
    delimiter: str | None = None,
    marker: str | None = None,
    max_keys: int = MAX_KEYS,
) -> ListPage:
    """Current objects whose key starts with `prefix` and comes after `marker` (S3's marker
    or start-after), in byte order, at most `max_keys` (capped at 1000) entries counting
    each common prefix (keys with `delimiter` after the prefix roll up to one) as one."""
    walk = _KeyWalk(prefix=prefix, delimiter=delimiter, marker=marker, limit=_limit(max_keys))
    walk.floor = prefix or None
    if marker is not None:
        walk.after = S3Object.key > marker
    with runtime.db.session(write=False) as session:

        def fetch(bounds: ColumnElement[bool], limit: int) -> Sequence[S3Object]:
            query = select(S3Object).where(
                S3Object.bucket_id == bucket.id,
                S3Object.is_latest.is_(True),
                S3Object.delete_marker.is_(False),
                bounds,
            )
            return session.scalars(query.order_by(S3Object.key).limit(limit)).all()

        walk.run(fetch)
    return ListPage(
        objects=[ObjectVersion.of(row) for row in walk.rows],
        common_prefixes=walk.prefixes,
        is_truncated=walk.truncated,
        next_marker=walk.last_name() if walk.truncated else None,
    )


def list_object_versions(
    runtime: Runtime,
    *,
    bucket: Bucket,
    prefix: str = "",
    delimiter: str | None = None,
    key_marker: str | None = None,
    version_id_marker: str | None = None,
    max_keys: int = MAX_KEYS,
) -> VersionPage:
    """Every version and delete marker, as `list_objects` lists keys; within a key newest
    first. Listing starts after `key_marker`, or after its version `version_id_marker`
    (NoSuchVersion if the key has no such version)."""
    walk = _VersionWalk(
        prefix=prefix, delimiter=delimiter, marker=key_marker, limit=_limit(max_keys)
    )
    walk.floor = prefix or None
    with runtime.db.session(write=False) as session:
        if key_marker is not None:
            walk.after = S3Object.key > key_marker
            if version_id_marker is not None:
                row = _version_row(session, bucket.id, key_marker, version_id_marker)
                if row is None:
                    raise NoSuchVersion("The specified version-id-marker does not exist.")
                walk.after = walk.row_after(row)

        def fetch(bounds: ColumnElement[bool], limit: int) -> Sequence[S3Object]:
            query = select(S3Object).where(S3Object.bucket_id == bucket.id, bounds)
            order = (S3Object.key, S3Object.id.desc())
            return session.scalars(query.order_by(*order).limit(limit)).all()

        walk.run(fetch)
    last_row = walk.rows[-1] if walk.rows else None
    next_key = walk.last_name() if walk.truncated else None
    return VersionPage(
        versions=[ObjectVersion.of(row) for row in walk.rows],
        common_prefixes=walk.prefixes,
        is_truncated=walk.truncated,
        next_key_marker=next_key,
        next_version_id_marker=(
            last_row.version_id
            if walk.truncated and last_row is not None and last_row.key == next_key
            else None
        ),
    )
