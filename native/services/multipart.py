"""Multipart uploads: create, upload (or copy) parts, complete into an object, abort, list.

Each part's data go to the bucket's pool atomically, outside any transaction, and its row
(size, MD5, where the data are) is committed afterwards; a re-uploaded part number replaces
the earlier part, whose data are removed after the commit. Parts do not count against the
bucket's usage: completing assembles them (streamed, part after part) into the data of a new
object version, and the version row, the usage, quota and the owner's secondary storage
limit change in the transaction that removes the upload, exactly as `objects.put_object`
does. A failure before that commit leaves the upload as it was and no assembled data.

Functions here open their own short transactions on `runtime.db`: never call them with a
write transaction open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, or_, select, true
from sqlalchemy.orm import Session

from native.drivers.objectstore.base import (
    ChunkReader,
    IncompleteStream,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
    Readable,
)
from native.model import Account, Bucket, MultipartPart, MultipartUpload, utcnow
from native.services import objects, s3_encryption
from native.services.errors import InvalidParameterValue, ResourceUnavailable
from native.services.object_storage import pool_store
from native.services.objects import ByteRange, IncompleteBody, NoSuchBucket, ObjectMeta
from native.services.runtime import Runtime

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
MAX_LISTED = 1000


class NoSuchUpload(InvalidParameterValue):
    """No multipart upload with that id for that bucket and key (aborted or completed)."""


class InvalidPart(InvalidParameterValue):
    """A part named in a completion was not uploaded, or its ETag does not match."""


class InvalidPartOrder(InvalidParameterValue):
    """The parts named in a completion are not in ascending part number order."""


class EntityTooSmall(InvalidParameterValue):
    """A part other than the last is smaller than 5 MiB."""


class InvalidPartNumber(InvalidParameterValue):
    """A part number outside 1..10000."""


@dataclass(frozen=True, kw_only=True)
class UploadInfo:
    """A multipart upload in progress; `owner_id`/`owner_name` are the initiating account's
    uuid and name."""

    upload_id: str
    key: str
    initiated: dt.datetime
    owner_id: str
    owner_name: str
    meta: ObjectMeta


@dataclass(frozen=True, kw_only=True)
class PartInfo:
    """One uploaded part (`etag` is its MD5 in hex, without quotes)."""

    part_number: int
    size: int
    etag: str
    last_modified: dt.datetime

    @classmethod
    def of(cls, row: MultipartPart) -> PartInfo:
        return cls(
            part_number=row.part_number,
            size=row.size,
            etag=row.etag,
            last_modified=row.last_modified,
        )


@dataclass(frozen=True, kw_only=True)
class CompletedPart:
    """A part as the client names it in a completion (the ETag with or without quotes)."""

    part_number: int
    etag: str


@dataclass(frozen=True, kw_only=True)
class PartPage:
    """One page of an upload's parts by part number (`next_part_number_marker` is the last
    part given, 0 if none)."""

    upload: UploadInfo
    parts: list[PartInfo]
    is_truncated: bool
    next_part_number_marker: int


@dataclass(frozen=True, kw_only=True)
class UploadPage:
    """One page of uploads in progress (by key, then oldest first) and common prefixes."""

    uploads: list[UploadInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


def multipart_etag(md5s: Sequence[str]) -> str:
    """S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-N`."""
    digest = hashlib.md5(usedforsecurity=False)
    for md5 in md5s:
        digest.update(bytes.fromhex(md5))
    return f"{digest.hexdigest()}-{len(md5s)}"


def _upload_info(session: Session, row: MultipartUpload) -> UploadInfo:
    owner = session.get(Account, row.account_id)
    assert owner is not None
    return UploadInfo(
        upload_id=row.upload_id,
        key=row.key,
        initiated=row.created,
        owner_id=owner.uuid,
        owner_name=owner.name,
        meta=ObjectMeta.from_json(row.meta),
    )


def _find_upload(
    session: Session, bucket: Bucket, key: str, upload_id: str, *, lock: bool = False
) -> MultipartUpload:
    query = select(MultipartUpload).where(
        MultipartUpload.upload_id == upload_id,
        MultipartUpload.bucket_id == bucket.id,
        MultipartUpload.key == key,
    )
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NoSuchUpload(
            "The specified upload does not exist. The upload ID may be invalid, "
            "or the upload may have been aborted or completed."
        )
    return row


def _store(runtime: Runtime, bucket: Bucket) -> ObjectStore:
    return pool_store(runtime, objects.pool_of(runtime, bucket))


def create_upload(
    runtime: Runtime, *, bucket: Bucket, key: str, account_id: int, meta: ObjectMeta | None = None
) -> UploadInfo:
    """Start an upload of `key` by the account `account_id`; `meta` is kept for the object
    the completion makes. Its id is a random URL-safe string."""
    objects.check_key(key)
    with runtime.db.session() as session:
        objects.locked_bucket(session, bucket.id)
        row = MultipartUpload(
            upload_id=secrets.token_urlsafe(32),
            bucket_id=bucket.id,
            key=key,
            account_id=account_id,
            meta=(meta or ObjectMeta()).to_json(),
            created=utcnow(),
        )
        session.add(row)
        session.flush()
        return _upload_info(session, row)


def _check_part_number(part_number: int) -> None:
    if not 1 <= part_number <= MAX_PART_NUMBER:
        raise InvalidPartNumber(
            f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
        )


def upload_part(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    upload_id: str,
    part_number: int,
    source: Readable,
    size: int | None = None,
) -> PartInfo:
    """Store `source` (exactly `size` bytes when given) as part `part_number` (1..10000,
    InvalidPartNumber otherwise) of the upload, replacing an earlier part of that number.
    NoSuchUpload if the upload is gone (before or while the data were written: then the
    data are removed); IncompleteBody if the source ends short."""
    _check_part_number(part_number)
    with runtime.db.session(write=False) as session:
        _find_upload(session, bucket, key, upload_id)
    store = _store(runtime, bucket)
    path = objects.new_storage_path()
    try:
        stored = store.put(container=bucket.uuid, path=path, source=source, size=size)
    except IncompleteStream as exc:
        raise IncompleteBody(str(exc)) from None
    except ObjectMissing:
        raise NoSuchBucket("The specified bucket does not exist") from None
    except ObjectStoreError as exc:
        raise ResourceUnavailable(f"Cannot store a part of {key}: {exc}") from None
    try:
        with runtime.db.session() as session:
            upload = _find_upload(session, bucket, key, upload_id, lock=True)
            replaced = session.scalars(
                select(MultipartPart).where(
                    MultipartPart.upload_id == upload.id,
                    MultipartPart.part_number == part_number,
                )
            ).one_or_none()
            freed = None
            if replaced is not None:
                freed = replaced.storage_path
                session.delete(replaced)
                session.flush()
            row = MultipartPart(
                upload_id=upload.id,
                part_number=part_number,
                size=stored.size,
                etag=stored.md5,
                storage_path=path,
                last_modified=utcnow(),
            )
            session.add(row)
            session.flush()
            part = PartInfo.of(row)
    except BaseException:
        objects.discard_data(runtime, bucket, [path])
        raise
    objects.discard_data(runtime, bucket, [freed])
    return part


def upload_part_copy(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    upload_id: str,
    part_number: int,
    source_bucket: Bucket,
    source_key: str,
    source_version_id: str | None = None,
    byte_range: ByteRange | None = None,
) -> PartInfo:
    """`upload_part` with the data of an existing object version (the current one by
    default), all of it or `byte_range`. Errors of `objects.get_object` for the source
    (NoSuchKey, NoSuchVersion, InvalidRange) and of `upload_part`."""
    _check_part_number(part_number)
    with runtime.db.session(write=False) as session:
        _find_upload(session, bucket, key, upload_id)
    data = objects.get_object(
        runtime,
        bucket=source_bucket,
        key=source_key,
        version_id=source_version_id,
        byte_range=byte_range,
    )
    with data.body as body:
        return upload_part(
            runtime,
            bucket=bucket,
            key=key,
            upload_id=upload_id,
            part_number=part_number,
            source=ChunkReader(body),
            size=data.length,
        )


def _chosen_parts(
    session: Session, upload: MultipartUpload, wanted: Sequence[CompletedPart]
) -> list[MultipartPart]:
    """The upload's rows for the parts the client names, checked as S3 checks them."""
    if not wanted:
        raise InvalidParameterValue("You must specify at least one part")
    numbers = [part.part_number for part in wanted]
    if any(later <= earlier for earlier, later in itertools.pairwise(numbers)):
        raise InvalidPartOrder("The list of parts was not in ascending order.")
    rows = {
        row.part_number: row
        for row in session.scalars(
            select(MultipartPart).where(
                MultipartPart.upload_id == upload.id, MultipartPart.part_number.in_(numbers)
            )
        )
    }
    chosen: list[MultipartPart] = []
    for part in wanted:
        row = rows.get(part.part_number)
        if row is None or row.etag != part.etag.strip().strip('"').lower():
            raise InvalidPart(
                f"Part {part.part_number} could not be found or its ETag does not match."
            )
        chosen.append(row)
    for row in chosen[:-1]:
        if row.size < MIN_PART_SIZE:
            raise EntityTooSmall(
                f"Part {row.part_number} is smaller than the minimum allowed size of 5 MiB."
            )
    return chosen


def complete_upload(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    upload_id: str,
    parts: Sequence[CompletedPart],
) -> objects.ObjectVersion:
    """Assemble the named parts (ascending, InvalidPartOrder; each uploaded with that ETag,
    InvalidPart; all but the last at least 5 MiB, EntityTooSmall) into the key's new current
    version, as `objects.put_object` stores one (encrypted at rest when the bucket has
    default encryption), with the upload's metadata and the ETag `multipart_etag`. The upload and all its parts' data are then removed. On any failure
    (QuotaExceeded and the 532 limit included) the upload is unchanged and no object is
    visible; NoSuchUpload if it was aborted or completed meanwhile."""
    with runtime.db.session(write=False) as session:
        upload = _find_upload(session, bucket, key, upload_id)
        chosen = _chosen_parts(session, upload, parts)
        meta = ObjectMeta.from_json(upload.meta)
    paths = [row.storage_path for row in chosen]
    total = sum(row.size for row in chosen)
    store = _store(runtime, bucket)
    path = objects.new_storage_path()
    sealed = None
    try:
        if s3_encryption.wanted(bucket, None) is None:
            size = store.concatenate(container=bucket.uuid, sources=paths, target=path)
        else:
            reader, sealed = s3_encryption.encrypting(
                runtime, ChunkReader(store.joined(container=bucket.uuid, sources=paths))
            )
            size = store.put(container=bucket.uuid, path=path, source=reader, size=total).size
    except (ObjectMissing, IncompleteStream):
        raise NoSuchUpload("The upload's parts changed while it was being completed") from None
    except ObjectStoreError as exc:
        raise ResourceUnavailable(f"Cannot assemble {key}: {exc}") from None
    if size != total:
        objects.discard_data(runtime, bucket, [path])
        raise NoSuchUpload("The upload's parts changed while it was being completed")
    etag = multipart_etag([row.etag for row in chosen])
    try:
        with runtime.db.session() as session:
            version, freed = _commit_complete(
                session, runtime, bucket, key=key, upload_id=upload_id, paths=paths,
                size=size, etag=etag, path=path, meta=meta, encryption=sealed,
            )  # fmt: skip
    except BaseException:
        objects.discard_data(runtime, bucket, [path])
        raise
    objects.discard_data(runtime, bucket, freed)
    return version


def _commit_complete(
    session: Session,
    runtime: Runtime,
    bucket: Bucket,
    *,
    key: str,
    upload_id: str,
    paths: Sequence[str],
    size: int,
    etag: str,
    path: str,
    meta: ObjectMeta,
    encryption: str | None,
) -> tuple[objects.ObjectVersion, list[str | None]]:
    """Add the version and drop the upload; the data paths no row points to any more."""
    objects.locked_bucket(session, bucket.id)
    upload = _find_upload(session, bucket, key, upload_id, lock=True)
    part_paths = _drop_upload(session, upload)
    if not set(paths) <= set(part_paths):
        raise InvalidPart("A part was uploaded again while the upload was being completed")
    version, replaced = objects.commit_put(
        session,
        runtime,
        bucket.id,
        key=key,
        size=size,
        etag=etag,
        path=path,
        meta=meta,
        encryption=encryption,
    )
    return version, [*part_paths, replaced]


def _drop_upload(session: Session, upload: MultipartUpload) -> list[str]:
    """Delete the upload's rows; the paths of its parts' data."""
    part_paths = list(
        session.scalars(
            select(MultipartPart.storage_path).where(MultipartPart.upload_id == upload.id)
        )
    )
    session.execute(delete(MultipartPart).where(MultipartPart.upload_id == upload.id))
    session.execute(delete(MultipartUpload).where(MultipartUpload.id == upload.id))
    return part_paths


def abort_upload(runtime: Runtime, *, bucket: Bucket, key: str, upload_id: str) -> None:
    """Remove the upload, its parts and their data (NoSuchUpload if there is none)."""
    with runtime.db.session() as session:
        upload = _find_upload(session, bucket, key, upload_id, lock=True)
        freed = _drop_upload(session, upload)
    objects.discard_data(runtime, bucket, list(freed))


def _limit(value: int, name: str) -> int:
    if value < 0:
        raise InvalidParameterValue(f"{name} must not be negative")
    return min(value, MAX_LISTED)


def list_parts(
    runtime: Runtime,
    *,
    bucket: Bucket,
    key: str,
    upload_id: str,
    part_number_marker: int = 0,
    max_parts: int = MAX_LISTED,
) -> PartPage:
    """The upload's parts numbered above `part_number_marker`, at most `max_parts` (capped
    at 1000). NoSuchUpload if there is no such upload."""
    limit = _limit(max_parts, "max-parts")
    with runtime.db.session(write=False) as session:
        upload = _find_upload(session, bucket, key, upload_id)
        rows = session.scalars(
            select(MultipartPart)
            .where(
                MultipartPart.upload_id == upload.id,
                MultipartPart.part_number > part_number_marker,
            )
            .order_by(MultipartPart.part_number)
            .limit(limit + 1)
        ).all()
        info = _upload_info(session, upload)
    parts = [PartInfo.of(row) for row in rows[:limit]]
    return PartPage(
        upload=info,
        parts=parts,
        is_truncated=len(rows) > limit,
        next_part_number_marker=parts[-1].part_number if parts else 0,
    )


def _common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]


def _start_after(
    session: Session, bucket: Bucket, key_marker: str | None, upload_id_marker: str | None
) -> ColumnElement[bool]:
    if key_marker is None:
        return true()
    after_key = MultipartUpload.key > key_marker
    if upload_id_marker is None:
        return after_key
    marker_id = session.scalar(
        select(MultipartUpload.id).where(
            MultipartUpload.bucket_id == bucket.id,
            MultipartUpload.key == key_marker,
            MultipartUpload.upload_id == upload_id_marker,
        )
    )
    if marker_id is None:
        return after_key
    return or_(after_key, and_(MultipartUpload.key == key_marker, MultipartUpload.id > marker_id))


def list_uploads(
    runtime: Runtime,
    *,
    bucket: Bucket,
    prefix: str = "",
    delimiter: str | None = None,
    key_marker: str | None = None,
    upload_id_marker: str | None = None,
    max_uploads: int = MAX_LISTED,
) -> UploadPage:
    """Uploads in progress whose key starts with `prefix`, after `key_marker` (or after its
    upload `upload_id_marker`), by key then oldest first, at most `max_uploads` (capped at
    1000) entries counting each common prefix (keys with `delimiter` after the prefix roll
    up to one) as one."""
    limit = _limit(max_uploads, "max-uploads")
    uploads: list[UploadInfo] = []
    prefixes: list[str] = []
    truncated = False
    with runtime.db.session(write=False) as session:
        bounds = [
            MultipartUpload.bucket_id == bucket.id,
            _start_after(session, bucket, key_marker, upload_id_marker),
        ]
        if prefix:
            bounds.append(MultipartUpload.key >= prefix)
            upper = objects.after_prefix(prefix)
            if upper is not None:
                bounds.append(MultipartUpload.key < upper)
        floor: str | None = None
        while True:
            query = select(MultipartUpload).where(*bounds)
            if floor is not None:
                query = query.where(MultipartUpload.key >= floor)
            rows = session.scalars(
                query.order_by(MultipartUpload.key, MultipartUpload.id).limit(limit + 1)
            ).all()
            floor = None
            for row in rows:
                if len(uploads) + len(prefixes) == limit:
                    truncated = True
                    break
                common = _common_prefix(row.key, prefix, delimiter)
                if common is None:
                    uploads.append(_upload_info(session, row))
                    continue
                if key_marker is None or not key_marker.startswith(common):
                    prefixes.append(common)
                floor = objects.after_prefix(common)
                break
            if floor is None or truncated:
                break
    return _upload_page(uploads, prefixes, truncated=truncated)


def _upload_page(uploads: list[UploadInfo], prefixes: list[str], *, truncated: bool) -> UploadPage:
    last_upload = uploads[-1] if uploads else None
    last_prefix = prefixes[-1] if prefixes else None
    next_key = None
    next_upload_id = None
    if truncated:
        if last_upload is not None and (last_prefix is None or last_upload.key > last_prefix):
            next_key, next_upload_id = last_upload.key, last_upload.upload_id
        else:
            next_key = last_prefix
    return UploadPage(
        uploads=uploads,
        common_prefixes=prefixes,
        is_truncated=truncated,
        next_key_marker=next_key,
        next_upload_id_marker=next_upload_id,
    )
