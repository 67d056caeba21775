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
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.object_base import Action, ObjectApiBase, _owner
from native.api.object_multipart import MultipartApi
from native.api.object_subresources import BucketDocument, SubresourceApi
from native.drivers.objectstore.base import Readable
from native.model import Account, Bucket, ObjectStoragePool
from native.services import (
    buckets,
    objects,
    s3_access,
    s3_tagging,
)
from native.services.buckets import BucketAlreadyExists, BucketNotEmpty, InvalidBucketName
from native.services.caller import Caller
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
from native.services.s3_access import (
    Acl,
    AclSpec,
    MalformedAcl,
    MalformedPolicy,
    Permission,
    canonical_id,
)
from native.services.s3_cors import CorsRequest
from native.services.s3_lock import LockNotEnabled, LockState, ObjectLocked, Retention
from native.services.s3_tagging import MAX_OBJECT_TAGS, InvalidTag


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


class ObjectApi(MultipartApi, SubresourceApi, ObjectApiBase):
    """Buckets and objects for callers of one management server process."""

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
        acl: AclSpec | None = None,
    ) -> BucketInfo:
        """A bucket of the caller's account on the pool with uuid `pool_id` (the default
        pool if None), with the ACL `acl` (private by default; MalformedAcl is raised before
        anything is made). InvalidBucketName, BucketAlreadyExists, 534 with no pool."""
        built = None
        if acl is not None:
            built = acl.build(
                owner_id=s3_access.canonical_id(caller.account_uuid),
                owner_name=caller.account_name,
            )
        with self.runtime.db.session() as session:
            owner = session.get(Account, caller.account_id)
            assert owner is not None
            pool = self._pool(session, pool_id)
            spec = buckets.NewBucket(
                name=name, owner=owner, pool=pool, versioning=versioning, object_lock=object_lock
            )
            bucket = buckets.create_bucket(session, self.runtime, spec=spec)
            if built is not None:
                bucket.acl = built.to_json()
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
        tags: Sequence[tuple[str, str]] | None = None,
        acl: AclSpec | None = None,
        encryption: str | None = None,
    ) -> ObjectVersion:
        """`objects.put_object` for the caller; `tags` (InvalidTag) and `acl` (MalformedAcl)
        are checked first and need s3:PutObjectTagging / s3:PutObjectAcl too (not canned ACLs
        equal to the default: objects belong to the bucket's owner, so that
        bucket-owner-full-control is private). They are set on the new version just after
        it is stored. `encryption` is the SSE asked for."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT, key=key)
        tag_set = None if tags is None else s3_tagging.check_tags(tags, limit=MAX_OBJECT_TAGS)
        built = None if acl is None else self._build_acl(row, acl)
        if tag_set is not None:
            self.authorize(caller, row, Action.PUT_OBJECT_TAGGING, key=key)
        if acl is not None and not acl.is_private:
            self.authorize(caller, row, Action.PUT_OBJECT_ACL, key=key)
        version = objects.put_object(
            self.runtime,
            bucket=row,
            key=key,
            source=source,
            size=size,
            meta=meta,
            encryption=encryption,
        )
        if tag_set or built is not None:
            with self.runtime.db.session() as session:
                stored = s3_access.object_row(session, row, key, version.version_id)
                stored.tags = s3_tagging.dump_tags(tag_set or {})
                stored.acl = None if built is None else built.to_json()
        return version

    def get_object(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        version_id: str | None = None,
        byte_range: ByteRange | None = None,
        current: bool = False,
    ) -> ObjectData:
        """`objects.get_object` for the caller; close the returned body. `current` says
        that the caller asked for the current version, which `version_id` pins (as found
        by `head_object`): it is authorized as s3:GetObject, not s3:GetObjectVersion."""
        versioned = version_id is not None and not current
        action = Action.GET_OBJECT_VERSION if versioned else Action.GET_OBJECT
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        return objects.get_object(
            self.runtime, bucket=row, key=key, version_id=version_id, byte_range=byte_range
        )

    def head_object(
        self, caller: Caller | None, *, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectVersion:
        """`objects.head_object` for the caller."""
        action = Action.GET_OBJECT if version_id is None else Action.GET_OBJECT_VERSION
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        return objects.head_object(self.runtime, bucket=row, key=key, version_id=version_id)

    def delete_object(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        version_id: str | None = None,
        bypass_governance: bool = False,
    ) -> DeleteResult:
        """`objects.delete_object` for the caller (who needs s3:BypassGovernanceRetention
        to bypass a GOVERNANCE retention)."""
        action = Action.DELETE_OBJECT if version_id is None else Action.DELETE_OBJECT_VERSION
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        if bypass_governance:
            self.authorize(caller, row, Action.BYPASS_GOVERNANCE_RETENTION, key=key)
        return objects.delete_object(
            self.runtime,
            bucket=row,
            key=key,
            version_id=version_id,
            bypass_governance=bypass_governance,
        )

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


__all__ = [
    "Acl",
    "AclSpec",
    "Action",
    "BucketAlreadyExists",
    "BucketDocument",
    "BucketInfo",
    "BucketNotEmpty",
    "ByteRange",
    "Caller",
    "CompletedPart",
    "CorsRequest",
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
    "InvalidTag",
    "ListPage",
    "LockNotEnabled",
    "LockState",
    "MalformedAcl",
    "MalformedPolicy",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "NoSuchVersion",
    "ObjectApi",
    "ObjectData",
    "ObjectLocked",
    "ObjectMeta",
    "ObjectVersion",
    "PartInfo",
    "PartPage",
    "Permission",
    "PermissionDenied",
    "QuotaExceeded",
    "Readable",
    "Retention",
    "UploadInfo",
    "UploadPage",
    "VersionPage",
    "canonical_id",
]
