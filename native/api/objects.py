"""The in-process object API the S3 translator calls: buckets and objects by name, for a
caller, with object data as streams (which string-parameter commands cannot carry).

    api = ObjectApi(runtime)
    api.put_object(caller, bucket="photos", key="a.jpg", source=body, size=length)
    with api.get_object(caller, bucket="photos", key="a.jpg").body as chunks: ...

Every method authorizes the caller on the bucket first, through `authorize` (the single
place where bucket policies and ACLs will be evaluated), and raises the error classes
re-exported here: NoSuchBucket, NoSuchKey, PermissionDenied (access denied)…
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.objectstore.base import Readable
from native.model import Account, Bucket, ObjectStoragePool
from native.services import buckets, multipart, objects
from native.services.buckets import BucketAlreadyExists, BucketNotEmpty, InvalidBucketName
from native.services.caller import Caller, RoleType
from native.services.errors import InvalidParameterValue, PermissionDenied, ResourceUnavailable
from native.services.multipart import (
    CompletedPart,
    EntityTooSmall,
    InvalidPart,
    InvalidPartNumber,
    InvalidPartOrder,
    NoSuchUpload,
    PartInfo,
    PartPage,
    UploadInfo,
    UploadPage,
)
from native.services.object_storage import default_pool
from native.services.objects import (
    ByteRange,
    DeleteMarkerVersion,
    DeleteResult,
    IncompleteBody,
    InvalidKey,
    InvalidRange,
    ListPage,
    NoSuchBucket,
    NoSuchKey,
    NoSuchVersion,
    ObjectData,
    ObjectMeta,
    ObjectVersion,
    QuotaExceeded,
    VersionPage,
)
from native.services.runtime import Runtime
from native.services.visibility import can_see_account


class Action(enum.StrEnum):
    """What a caller asks to do with a bucket, named as in S3 bucket policies."""

    LIST_BUCKET = "s3:ListBucket"
    LIST_BUCKET_VERSIONS = "s3:ListBucketVersions"
    DELETE_BUCKET = "s3:DeleteBucket"
    GET_BUCKET_VERSIONING = "s3:GetBucketVersioning"
    PUT_BUCKET_VERSIONING = "s3:PutBucketVersioning"
    GET_OBJECT = "s3:GetObject"
    GET_OBJECT_VERSION = "s3:GetObjectVersion"
    PUT_OBJECT = "s3:PutObject"
    DELETE_OBJECT = "s3:DeleteObject"
    DELETE_OBJECT_VERSION = "s3:DeleteObjectVersion"
    ABORT_MULTIPART_UPLOAD = "s3:AbortMultipartUpload"
    LIST_MULTIPART_UPLOAD_PARTS = "s3:ListMultipartUploadParts"
    LIST_BUCKET_MULTIPART_UPLOADS = "s3:ListBucketMultipartUploads"


@dataclass(frozen=True, kw_only=True)
class BucketInfo:
    """A bucket as S3 shows it (`id` is the native uuid; `quota` in bytes or None)."""

    id: str
    name: str
    owner_id: str
    owner_name: str
    created: dt.datetime
    versioning: str | None
    object_lock: bool
    encryption: bool
    policy: str | None
    quota: int | None
    size: int
    object_count: int

    @classmethod
    def of(cls, bucket: Bucket, owner: Account) -> BucketInfo:
        return cls(
            id=bucket.uuid,
            name=bucket.name,
            owner_id=owner.uuid,
            owner_name=owner.name,
            created=bucket.created,
            versioning=bucket.versioning,
            object_lock=bucket.object_lock,
            encryption=bucket.encryption,
            policy=bucket.policy,
            quota=bucket.quota,
            size=bucket.size,
            object_count=bucket.object_count,
        )


def _owner(session: Session, bucket: Bucket) -> Account:
    owner = session.get(Account, bucket.account_id)
    assert owner is not None
    return owner


class ObjectApi:
    """Buckets and objects for callers of one management server process."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def authorize(self, caller: Caller | None, bucket: Bucket, action: Action) -> None:
        """Allow the bucket owner's account, and admins over it (root admins, domain admins
        of its domain subtree); PermissionDenied (531) for anyone else, anonymous callers
        (None) included. Bucket policies and ACLs will widen this here."""
        if caller is not None and caller.account_id == bucket.account_id:
            return
        if caller is not None and caller.role_type is not RoleType.USER:
            with self.runtime.db.session(write=False) as session:
                if can_see_account(caller, _owner(session, bucket)):
                    return
        raise PermissionDenied(f"Access Denied ({action.value} on bucket {bucket.name})")

    def _bucket(self, caller: Caller | None, name: str, action: Action) -> Bucket:
        with self.runtime.db.session(write=False) as session:
            bucket = buckets.find_bucket(session, name=name)
        if bucket is None or bucket.state != "Created":
            raise NoSuchBucket("The specified bucket does not exist")
        self.authorize(caller, bucket, action)
        return bucket

    def list_buckets(self, caller: Caller) -> list[BucketInfo]:
        """The caller's own account's buckets, by name."""
        with self.runtime.db.session(write=False) as session:
            owner = session.get(Account, caller.account_id)
            assert owner is not None
            rows = session.scalars(
                select(Bucket)
                .where(
                    Bucket.account_id == caller.account_id,
                    Bucket.removed.is_(None),
                    Bucket.state == "Created",
                )
                .order_by(Bucket.name)
            )
            return [BucketInfo.of(row, owner) for row in rows]

    def head_bucket(self, caller: Caller | None, *, name: str) -> BucketInfo:
        """The bucket if the caller may list it (NoSuchBucket, PermissionDenied)."""
        bucket = self._bucket(caller, name, Action.LIST_BUCKET)
        with self.runtime.db.session(write=False) as session:
            return BucketInfo.of(bucket, _owner(session, bucket))

    def create_bucket(
        self,
        caller: Caller,
        *,
        name: str,
        pool_id: str | None = None,
        versioning: bool = False,
        object_lock: bool = False,
    ) -> BucketInfo:
        """A bucket of the caller's account on the pool with uuid `pool_id` (the default
        pool if None). InvalidBucketName, BucketAlreadyExists, 534 with no pool."""
        with self.runtime.db.session() as session:
            owner = session.get(Account, caller.account_id)
            assert owner is not None
            pool = self._pool(session, pool_id)
            spec = buckets.NewBucket(
                name=name, owner=owner, pool=pool, versioning=versioning, object_lock=object_lock
            )
            bucket = buckets.create_bucket(session, self.runtime, spec=spec)
            return BucketInfo.of(bucket, owner)

    @staticmethod
    def _pool(session: Session, pool_id: str | None) -> ObjectStoragePool:
        if pool_id is None:
            pool = default_pool(session)
            if pool is None:
                raise ResourceUnavailable("No object storage pool is available for new buckets")
            return pool
        pool = session.scalars(
            select(ObjectStoragePool).where(
                ObjectStoragePool.uuid == pool_id, ObjectStoragePool.removed.is_(None)
            )
        ).first()
        if pool is None:
            raise InvalidParameterValue(f"No object storage pool with id {pool_id}")
        return pool

    def delete_bucket(self, caller: Caller | None, *, name: str) -> None:
        """Delete an empty bucket (BucketNotEmpty otherwise)."""
        bucket = self._bucket(caller, name, Action.DELETE_BUCKET)
        with self.runtime.db.session() as session:
            buckets.delete_bucket(session, self.runtime, bucket=bucket)

    def set_versioning(self, caller: Caller | None, *, name: str, status: str) -> BucketInfo:
        """Set versioning to Enabled or Suspended."""
        bucket = self._bucket(caller, name, Action.PUT_BUCKET_VERSIONING)
        with self.runtime.db.session() as session:
            locked = session.scalars(
                select(Bucket).where(Bucket.id == bucket.id).with_for_update()
            ).one()
            buckets.set_versioning(locked, status=status)
            return BucketInfo.of(locked, _owner(session, locked))

    def put_object(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        source: Readable,
        size: int | None = None,
        meta: ObjectMeta | None = None,
    ) -> ObjectVersion:
        """`objects.put_object` for the caller."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT)
        return objects.put_object(
            self.runtime, bucket=row, key=key, source=source, size=size, meta=meta
        )

    def get_object(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        version_id: str | None = None,
        byte_range: ByteRange | None = None,
    ) -> ObjectData:
        """`objects.get_object` for the caller; close the returned body."""
        action = Action.GET_OBJECT if version_id is None else Action.GET_OBJECT_VERSION
        row = self._bucket(caller, bucket, action)
        return objects.get_object(
            self.runtime, bucket=row, key=key, version_id=version_id, byte_range=byte_range
        )

    def head_object(
        self, caller: Caller | None, *, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectVersion:
        """`objects.head_object` for the caller."""
        action = Action.GET_OBJECT if version_id is None else Action.GET_OBJECT_VERSION
        row = self._bucket(caller, bucket, action)
        return objects.head_object(self.runtime, bucket=row, key=key, version_id=version_id)

    def delete_object(
        self, caller: Caller | None, *, bucket: str, key: str, version_id: str | None = None
    ) -> DeleteResult:
        """`objects.delete_object` for the caller."""
        action = Action.DELETE_OBJECT if version_id is None else Action.DELETE_OBJECT_VERSION
        row = self._bucket(caller, bucket, action)
        return objects.delete_object(self.runtime, bucket=row, key=key, version_id=version_id)

    def list_objects(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        marker: str | None = None,
        max_keys: int = objects.MAX_KEYS,
    ) -> ListPage:
        """`objects.list_objects` for the caller."""
        row = self._bucket(caller, bucket, Action.LIST_BUCKET)
        return objects.list_objects(
            self.runtime,
            bucket=row,
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            max_keys=max_keys,
        )

    def list_object_versions(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        key_marker: str | None = None,
        version_id_marker: str | None = None,
        max_keys: int = objects.MAX_KEYS,
    ) -> VersionPage:
        """`objects.list_object_versions` for the caller."""
        row = self._bucket(caller, bucket, Action.LIST_BUCKET_VERSIONS)
        return objects.list_object_versions(
            self.runtime,
            bucket=row,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            version_id_marker=version_id_marker,
            max_keys=max_keys,
        )

    def create_multipart_upload(
        self, caller: Caller, *, bucket: str, key: str, meta: ObjectMeta | None = None
    ) -> UploadInfo:
        """`multipart.create_upload` for the caller (its account initiates the upload)."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT)
        return multipart.create_upload(
            self.runtime, bucket=row, key=key, account_id=caller.account_id, meta=meta
        )

    def upload_part(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        source: Readable,
        size: int | None = None,
    ) -> PartInfo:
        """`multipart.upload_part` for the caller."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT)
        return multipart.upload_part(
            self.runtime,
            bucket=row,
            key=key,
            upload_id=upload_id,
            part_number=part_number,
            source=source,
            size=size,
        )

    def upload_part_copy(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        source_bucket: str,
        source_key: str,
        source_version_id: str | None = None,
        byte_range: ByteRange | None = None,
    ) -> PartInfo:
        """`multipart.upload_part_copy` for the caller, who must be allowed to read the
        source (s3:GetObject, or s3:GetObjectVersion for a named version)."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT)
        read = Action.GET_OBJECT if source_version_id is None else Action.GET_OBJECT_VERSION
        source = self._bucket(caller, source_bucket, read)
        return multipart.upload_part_copy(
            self.runtime,
            bucket=row,
            key=key,
            upload_id=upload_id,
            part_number=part_number,
            source_bucket=source,
            source_key=source_key,
            source_version_id=source_version_id,
            byte_range=byte_range,
        )

    def complete_multipart_upload(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        parts: list[CompletedPart],
    ) -> ObjectVersion:
        """`multipart.complete_upload` for the caller."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT)
        return multipart.complete_upload(
            self.runtime, bucket=row, key=key, upload_id=upload_id, parts=parts
        )

    def abort_multipart_upload(
        self, caller: Caller | None, *, bucket: str, key: str, upload_id: str
    ) -> None:
        """`multipart.abort_upload` for the caller."""
        row = self._bucket(caller, bucket, Action.ABORT_MULTIPART_UPLOAD)
        multipart.abort_upload(self.runtime, bucket=row, key=key, upload_id=upload_id)

    def list_parts(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_number_marker: int = 0,
        max_parts: int = multipart.MAX_LISTED,
    ) -> PartPage:
        """`multipart.list_parts` for the caller."""
        row = self._bucket(caller, bucket, Action.LIST_MULTIPART_UPLOAD_PARTS)
        return multipart.list_parts(
            self.runtime,
            bucket=row,
            key=key,
            upload_id=upload_id,
            part_number_marker=part_number_marker,
            max_parts=max_parts,
        )

    def list_multipart_uploads(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
        max_uploads: int = multipart.MAX_LISTED,
    ) -> UploadPage:
        """`multipart.list_uploads` for the caller."""
        row = self._bucket(caller, bucket, Action.LIST_BUCKET_MULTIPART_UPLOADS)
        return multipart.list_uploads(
            self.runtime,
            bucket=row,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
        )


__all__ = [
    "Action",
    "BucketAlreadyExists",
    "BucketInfo",
    "BucketNotEmpty",
    "ByteRange",
    "Caller",
    "CompletedPart",
    "DeleteMarkerVersion",
    "DeleteResult",
    "EntityTooSmall",
    "IncompleteBody",
    "InvalidBucketName",
    "InvalidKey",
    "InvalidPart",
    "InvalidPartNumber",
    "InvalidPartOrder",
    "InvalidRange",
    "ListPage",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "NoSuchVersion",
    "ObjectApi",
    "ObjectData",
    "ObjectMeta",
    "ObjectVersion",
    "PartInfo",
    "PartPage",
    "PermissionDenied",
    "QuotaExceeded",
    "Readable",
    "UploadInfo",
    "UploadPage",
    "VersionPage",
]
