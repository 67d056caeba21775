"""Bucket and object sub-resources in the in-process object API: ACLs, the bucket policy,
tags, the bucket configuration documents (CORS, lifecycle, encryption, object lock) and
object retention and legal holds."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from sqlalchemy import select

from native.api.object_base import Action, ObjectApiBase, _owner
from native.model import Bucket, utcnow
from native.services import (
    buckets,
    objects,
    s3_access,
    s3_cors,
    s3_encryption,
    s3_lifecycle,
    s3_lock,
    s3_tagging,
)
from native.services.caller import Caller
from native.services.s3_access import Acl, AclSpec
from native.services.s3_cors import CorsRequest
from native.services.s3_lock import LockNotEnabled, LockState, Retention
from native.services.s3_tagging import MAX_BUCKET_TAGS, MAX_OBJECT_TAGS


class BucketDocument(enum.Enum):
    """A bucket configuration document: its column and the actions reading and writing it
    (`parse` validates S3's configuration into the stored document)."""

    CORS = ("cors", Action.GET_BUCKET_CORS, Action.PUT_BUCKET_CORS)
    LIFECYCLE = (
        "lifecycle",
        Action.GET_LIFECYCLE_CONFIGURATION,
        Action.PUT_LIFECYCLE_CONFIGURATION,
    )
    ENCRYPTION = (
        "encryption_config",
        Action.GET_ENCRYPTION_CONFIGURATION,
        Action.PUT_ENCRYPTION_CONFIGURATION,
    )
    OBJECT_LOCK = (
        "object_lock_config",
        Action.GET_BUCKET_OBJECT_LOCK_CONFIGURATION,
        Action.PUT_BUCKET_OBJECT_LOCK_CONFIGURATION,
    )

    def __init__(self, column: str, read: Action, write: Action) -> None:
        self.column = column
        self.read = read
        self.write = write

    def parse(self, configuration: object) -> str:
        parsers: dict[str, Callable[[object], str]] = {
            "cors": s3_cors.parse_configuration,
            "lifecycle": s3_lifecycle.parse_configuration,
            "encryption_config": s3_encryption.parse_configuration,
            "object_lock_config": s3_lock.parse_configuration,
        }
        return parsers[self.column](configuration)


class SubresourceApi(ObjectApiBase):
    """Sub-resources of buckets and objects, for callers."""

    def _build_acl(self, bucket: Bucket, spec: AclSpec) -> Acl:
        with self.runtime.db.session(write=False) as session:
            owner = _owner(session, bucket)
        return spec.build(owner_id=s3_access.canonical_id(owner.uuid), owner_name=owner.name)

    def _loaded_acl(self, bucket: Bucket, document: str | None) -> Acl:
        with self.runtime.db.session(write=False) as session:
            owner = _owner(session, bucket)
        owner_id = s3_access.canonical_id(owner.uuid)
        return s3_access.load_acl(document, owner_id=owner_id, owner_name=owner.name)

    def get_bucket_acl(self, caller: Caller | None, *, name: str) -> Acl:
        """The bucket's ACL (private when never set)."""
        bucket = self._bucket(caller, name, Action.GET_BUCKET_ACL)
        return self._loaded_acl(bucket, bucket.acl)

    def put_bucket_acl(self, caller: Caller | None, *, name: str, acl: AclSpec) -> None:
        """Replace the bucket's ACL (MalformedAcl)."""
        bucket = self._bucket(caller, name, Action.PUT_BUCKET_ACL)
        document = self._build_acl(bucket, acl).to_json()
        with self.runtime.db.session() as session:
            locked = session.scalars(
                select(Bucket).where(Bucket.id == bucket.id).with_for_update()
            ).one()
            locked.acl = document

    def get_object_acl(
        self, caller: Caller | None, *, bucket: str, key: str, version_id: str | None = None
    ) -> tuple[str, Acl]:
        """The object version's id and ACL (its owner is the bucket's owner)."""
        action = Action.GET_OBJECT_ACL if version_id is None else Action.GET_OBJECT_VERSION_ACL
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        with self.runtime.db.session(write=False) as session:
            stored = s3_access.object_row(session, row, key, version_id)
            found, document = stored.version_id, stored.acl
        return found, self._loaded_acl(row, document)

    def put_object_acl(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        acl: AclSpec,
        version_id: str | None = None,
    ) -> str:
        """Replace the object version's ACL; its version id."""
        action = Action.PUT_OBJECT_ACL if version_id is None else Action.PUT_OBJECT_VERSION_ACL
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        document = self._build_acl(row, acl).to_json()
        with self.runtime.db.session() as session:
            stored = s3_access.object_row(session, row, key, version_id)
            stored.acl = document
            return stored.version_id

    def get_bucket_policy(self, caller: Caller | None, *, name: str) -> str | None:
        """The bucket policy document, None when there is none."""
        return self._bucket(caller, name, Action.GET_BUCKET_POLICY).policy

    def put_bucket_policy(self, caller: Caller | None, *, name: str, policy: str | None) -> None:
        """Replace the bucket policy (MalformedPolicy unless `s3_access.parse_policy`
        accepts it) or remove it (None)."""
        action = Action.DELETE_BUCKET_POLICY if policy is None else Action.PUT_BUCKET_POLICY
        bucket = self._bucket(caller, name, action)
        if policy is not None:
            s3_access.parse_policy(policy, bucket=bucket.name)
        with self.runtime.db.session() as session:
            locked = session.scalars(
                select(Bucket).where(Bucket.id == bucket.id).with_for_update()
            ).one()
            locked.policy = policy

    def get_bucket_tagging(self, caller: Caller | None, *, name: str) -> dict[str, str]:
        """The bucket's tag set (empty when none)."""
        return s3_tagging.load_tags(self._bucket(caller, name, Action.GET_BUCKET_TAGGING).tags)

    def put_bucket_tagging(
        self, caller: Caller | None, *, name: str, tags: Sequence[tuple[str, str]]
    ) -> None:
        """Replace the bucket's tag set (InvalidTag; empty removes it)."""
        bucket = self._bucket(caller, name, Action.PUT_BUCKET_TAGGING)
        document = s3_tagging.dump_tags(s3_tagging.check_tags(tags, limit=MAX_BUCKET_TAGS))
        with self.runtime.db.session() as session:
            locked = session.scalars(
                select(Bucket).where(Bucket.id == bucket.id).with_for_update()
            ).one()
            locked.tags = document

    def get_object_tagging(
        self, caller: Caller | None, *, bucket: str, key: str, version_id: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """The object version's id and tag set."""
        action = (
            Action.GET_OBJECT_TAGGING if version_id is None else Action.GET_OBJECT_VERSION_TAGGING
        )
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        with self.runtime.db.session(write=False) as session:
            stored = s3_access.object_row(session, row, key, version_id)
            return stored.version_id, s3_tagging.load_tags(stored.tags)

    def object_tag_count(
        self, caller: Caller | None, *, bucket: str, key: str, version_id: str
    ) -> int:
        """How many tags the object version has, for callers who may read it."""
        row = self._bucket(caller, bucket, Action.GET_OBJECT, key=key, version_id=version_id)
        with self.runtime.db.session(write=False) as session:
            stored = s3_access.object_row(session, row, key, version_id)
            return len(s3_tagging.load_tags(stored.tags))

    def put_object_tagging(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        tags: Sequence[tuple[str, str]],
        version_id: str | None = None,
    ) -> str:
        """Replace the object version's tag set (InvalidTag; empty removes it); its id."""
        action = (
            Action.PUT_OBJECT_TAGGING if version_id is None else Action.PUT_OBJECT_VERSION_TAGGING
        )
        if not tags:
            action = (
                Action.DELETE_OBJECT_TAGGING
                if version_id is None
                else Action.DELETE_OBJECT_VERSION_TAGGING
            )
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        document = s3_tagging.dump_tags(s3_tagging.check_tags(tags, limit=MAX_OBJECT_TAGS))
        with self.runtime.db.session() as session:
            stored = s3_access.object_row(session, row, key, version_id)
            stored.tags = document
            return stored.version_id

    def get_bucket_document(
        self, caller: Caller | None, *, name: str, document: BucketDocument
    ) -> str | None:
        """The bucket's stored configuration document (None when it has none)."""
        value = getattr(self._bucket(caller, name, document.read), document.column)
        return None if value is None else str(value)

    def put_bucket_document(
        self,
        caller: Caller | None,
        *,
        name: str,
        document: BucketDocument,
        configuration: object | None,
    ) -> None:
        """Validate S3's `configuration` and store it (None removes the document). The
        object lock configuration needs a bucket created with object lock (LockNotEnabled)."""
        bucket = self._bucket(caller, name, document.write)
        value = None if configuration is None else document.parse(configuration)
        if document is BucketDocument.OBJECT_LOCK and not bucket.object_lock:
            raise LockNotEnabled("Object Lock configuration cannot be enabled on existing buckets")
        with self.runtime.db.session() as session:
            locked = objects.locked_bucket(session, bucket.id)
            setattr(locked, document.column, value)
            if document is BucketDocument.ENCRYPTION:
                locked.encryption = value is not None

    def cors_headers(
        self, *, name: str, request: CorsRequest, preflight: bool
    ) -> dict[str, str] | None:
        """The Access-Control-* headers the bucket's CORS rules give a cross-origin request,
        whoever sends it; None when no rule allows it (or there is no such bucket)."""
        with self.runtime.db.session(write=False) as session:
            bucket = buckets.find_bucket(session, name=name)
            document = None if bucket is None or bucket.state != "Created" else bucket.cors
        return s3_cors.response_headers(document, request, preflight=preflight)

    def get_object_lock(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        version_id: str | None = None,
        legal_hold: bool = False,
    ) -> LockState:
        """The version's retention and legal hold (s3:GetObjectLegalHold when `legal_hold`,
        else s3:GetObjectRetention). LockNotEnabled, NoSuchKey, NoSuchVersion."""
        action = Action.GET_OBJECT_LEGAL_HOLD if legal_hold else Action.GET_OBJECT_RETENTION
        row = self._bucket(caller, bucket, action, key=key, version_id=version_id)
        return s3_lock.lock_state(self.runtime, bucket=row, key=key, version_id=version_id)

    def put_object_retention(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        version_id: str | None,
        retention: Retention | None,
        bypass_governance: bool = False,
    ) -> None:
        """`s3_lock.set_retention` for the caller."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT_RETENTION, key=key)
        if bypass_governance:
            self.authorize(caller, row, Action.BYPASS_GOVERNANCE_RETENTION, key=key)
        s3_lock.set_retention(
            self.runtime,
            bucket=row,
            key=key,
            version_id=version_id,
            retention=retention,
            bypass_governance=bypass_governance,
            now=utcnow(),
        )

    def put_object_legal_hold(
        self, caller: Caller | None, *, bucket: str, key: str, version_id: str | None, on: bool
    ) -> None:
        """`s3_lock.set_legal_hold` for the caller."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT_LEGAL_HOLD, key=key)
        s3_lock.set_legal_hold(self.runtime, bucket=row, key=key, version_id=version_id, on=on)
