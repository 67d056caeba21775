"""The base of the in-process object API: the S3 actions, and the one access check every
method goes through (`ObjectApiBase.authorize`)."""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from native.model import Account, Bucket
from native.services import (
    buckets,
    s3_access,
)
from native.services.caller import Caller, RoleType
from native.services.errors import PermissionDenied
from native.services.objects import (
    NoSuchBucket,
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
    GET_BUCKET_ACL = "s3:GetBucketAcl"
    PUT_BUCKET_ACL = "s3:PutBucketAcl"
    GET_OBJECT_ACL = "s3:GetObjectAcl"
    GET_OBJECT_VERSION_ACL = "s3:GetObjectVersionAcl"
    PUT_OBJECT_ACL = "s3:PutObjectAcl"
    PUT_OBJECT_VERSION_ACL = "s3:PutObjectVersionAcl"
    GET_BUCKET_POLICY = "s3:GetBucketPolicy"
    PUT_BUCKET_POLICY = "s3:PutBucketPolicy"
    DELETE_BUCKET_POLICY = "s3:DeleteBucketPolicy"
    GET_BUCKET_TAGGING = "s3:GetBucketTagging"
    PUT_BUCKET_TAGGING = "s3:PutBucketTagging"
    GET_OBJECT_TAGGING = "s3:GetObjectTagging"
    GET_OBJECT_VERSION_TAGGING = "s3:GetObjectVersionTagging"
    PUT_OBJECT_TAGGING = "s3:PutObjectTagging"
    PUT_OBJECT_VERSION_TAGGING = "s3:PutObjectVersionTagging"
    DELETE_OBJECT_TAGGING = "s3:DeleteObjectTagging"
    DELETE_OBJECT_VERSION_TAGGING = "s3:DeleteObjectVersionTagging"
    GET_BUCKET_CORS = "s3:GetBucketCORS"
    PUT_BUCKET_CORS = "s3:PutBucketCORS"
    GET_LIFECYCLE_CONFIGURATION = "s3:GetLifecycleConfiguration"
    PUT_LIFECYCLE_CONFIGURATION = "s3:PutLifecycleConfiguration"
    GET_ENCRYPTION_CONFIGURATION = "s3:GetEncryptionConfiguration"
    PUT_ENCRYPTION_CONFIGURATION = "s3:PutEncryptionConfiguration"
    GET_BUCKET_OBJECT_LOCK_CONFIGURATION = "s3:GetBucketObjectLockConfiguration"
    PUT_BUCKET_OBJECT_LOCK_CONFIGURATION = "s3:PutBucketObjectLockConfiguration"
    GET_OBJECT_RETENTION = "s3:GetObjectRetention"
    PUT_OBJECT_RETENTION = "s3:PutObjectRetention"
    GET_OBJECT_LEGAL_HOLD = "s3:GetObjectLegalHold"
    PUT_OBJECT_LEGAL_HOLD = "s3:PutObjectLegalHold"
    BYPASS_GOVERNANCE_RETENTION = "s3:BypassGovernanceRetention"


def _owner(session: Session, bucket: Bucket) -> Account:
    owner = session.get(Account, bucket.account_id)
    assert owner is not None
    return owner


class ObjectApiBase:
    """What every part of the object API shares: the runtime, the access check, and
    looking a bucket up by name for a caller."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def authorize(
        self,
        caller: Caller | None,
        bucket: Bucket,
        action: Action,
        *,
        key: str | None = None,
        version_id: str | None = None,
    ) -> None:
        """Allow the bucket owner's account, and admins over it (root admins, domain admins
        of its domain subtree). Anyone else, anonymous callers (None) included, is allowed
        only by the bucket policy or an ACL grant (`s3_access.allowed`: an explicit Deny
        wins; object actions name the object by `key`); PermissionDenied (531) otherwise."""
        if caller is not None and caller.account_id == bucket.account_id:
            return
        with self.runtime.db.session(write=False) as session:
            owner = _owner(session, bucket)
            if (
                caller is not None
                and caller.role_type is not RoleType.USER
                and can_see_account(caller, owner)
            ):
                return
            request = s3_access.Request(
                caller=caller, action=action.value, key=key, version_id=version_id
            )
            if s3_access.allowed(session, bucket=bucket, owner_uuid=owner.uuid, request=request):
                return
        raise PermissionDenied(f"Access Denied ({action.value} on bucket {bucket.name})")

    def _bucket(
        self,
        caller: Caller | None,
        name: str,
        action: Action,
        *,
        key: str | None = None,
        version_id: str | None = None,
    ) -> Bucket:
        with self.runtime.db.session(write=False) as session:
            bucket = buckets.find_bucket(session, name=name)
        if bucket is None or bucket.state != "Created":
            raise NoSuchBucket("The specified bucket does not exist")
        self.authorize(caller, bucket, action, key=key, version_id=version_id)
        return bucket
