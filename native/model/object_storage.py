"""Object storage: pools, buckets, object versions and multipart uploads (CloudStack 4.19's
object storage, as the S3 API sees it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from native.model.base import Base, Identified, Lifetime, UTCDateTime, utcnow

KEY_BYTES = 1024


class ObjectKey(TypeDecorator[str]):
    """An S3 object key (at most 1024 bytes of UTF-8), compared and ordered byte by byte.

    SQLite compares TEXT with memcmp already. On MySQL/MariaDB the key is a VARBINARY:
    byte order (which is S3's listing order), no PAD SPACE collation making `a` equal `a `,
    and a whole-key index within InnoDB's 3072-byte limit.
    """

    impl = String(KEY_BYTES)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.VARBINARY(KEY_BYTES))
        return dialect.type_descriptor(String(KEY_BYTES))

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | bytes | None:
        if value is not None and dialect.name in ("mysql", "mariadb"):
            return value.encode()
        return value

    def process_result_value(self, value: object, dialect: Dialect) -> str | None:
        if isinstance(value, bytes | bytearray):
            return bytes(value).decode()
        return None if value is None else str(value)


class ObjectStoragePool(Identified, Lifetime, Base):
    """A place where bucket data lives: `provider` Local (a directory), MinIO (any
    S3-compatible server) or NFS (an NFS export).

    `details` is a JSON object of strings; secrets in it (`secretkey`) are sealed with the
    server's key. `total_size` is the capacity in bytes the operator declared (None if not).
    """

    __tablename__ = "object_storage_pool"

    name: Mapped[str] = mapped_column(String(255), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2048))
    details: Mapped[str] = mapped_column(Text, default="{}")
    tags: Mapped[str | None] = mapped_column(String(1024), default=None)
    total_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    state: Mapped[str] = mapped_column(String(16), default="Up")


class Bucket(Identified, Lifetime, Base):
    """A bucket of one account on one pool. Its data sit in the pool's container named by
    the bucket's uuid.

    `live_name` is the name while the bucket is live and None once removed, so names are
    unique among live buckets only. `state` is Allocated until the container exists, then
    Created. `versioning` is None (never enabled), Enabled or Suspended. `size` is the bytes
    of every stored version, `object_count` the number of stored versions (delete markers
    excluded); both change in the transaction that adds or removes a version.

    The S3 sub-resources are stored as the JSON documents S3 exchanges, None when not set:
    `tags` (a {key: value} object), `acl` ({"owner": …, "grants": [...]}; None is private),
    `cors`, `lifecycle` (rule lists), `encryption_config` (the default SSE rule) and
    `object_lock_config` (the default retention).
    """

    __tablename__ = "bucket"
    __table_args__ = (Index("ix_bucket_account_id_removed", "account_id", "removed"),)

    name: Mapped[str] = mapped_column(String(63), index=True)
    live_name: Mapped[str | None] = mapped_column(String(63), unique=True, default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("object_storage_pool.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="Allocated")
    quota: Mapped[int | None] = mapped_column(BigInteger, default=None)
    versioning: Mapped[str | None] = mapped_column(String(16), default=None)
    encryption: Mapped[bool] = mapped_column(Boolean, default=False)
    object_lock: Mapped[bool] = mapped_column(Boolean, default=False)
    policy: Mapped[str | None] = mapped_column(Text, default=None)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    object_count: Mapped[int] = mapped_column(BigInteger, default=0)
    tags: Mapped[str | None] = mapped_column(Text, default=None)
    acl: Mapped[str | None] = mapped_column(Text, default=None)
    cors: Mapped[str | None] = mapped_column(Text, default=None)
    lifecycle: Mapped[str | None] = mapped_column(Text, default=None)
    encryption_config: Mapped[str | None] = mapped_column(Text, default=None)
    object_lock_config: Mapped[str | None] = mapped_column(Text, default=None)


class S3Object(Base):
    """One version of an object, or a delete marker.

    `version_id` is "null" for versions written while versioning was not Enabled. Exactly
    one row per (bucket, key) is `is_latest` while the key has any version. `storage_path`
    is where the data sit in the bucket's container (None for delete markers); the row is
    written only once the data are durable there. `meta` is a JSON object: content_type,
    content_encoding, content_disposition, cache_control, expires and user (a dict).
    `tags` and `acl` are JSON as on buckets; `encryption` describes how the data are
    encrypted at rest (None: not encrypted); `retention` is the object-lock retention
    ({"mode": …, "until": ISO-8601}); `legal_hold` the object-lock legal hold.
    """

    __tablename__ = "s3_object"
    __table_args__ = (
        UniqueConstraint("bucket_id", "key", "version_id"),
        Index("ix_s3_object_bucket_id_is_latest_key", "bucket_id", "is_latest", "key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    bucket_id: Mapped[int] = mapped_column(ForeignKey("bucket.id"))
    key: Mapped[str] = mapped_column(ObjectKey())
    version_id: Mapped[str] = mapped_column(String(64))
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    delete_marker: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    etag: Mapped[str] = mapped_column(String(64), default="")
    meta: Mapped[str] = mapped_column(Text, default="{}")
    storage_path: Mapped[str | None] = mapped_column(String(255), default=None)
    last_modified: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    tags: Mapped[str | None] = mapped_column(Text, default=None)
    acl: Mapped[str | None] = mapped_column(Text, default=None)
    encryption: Mapped[str | None] = mapped_column(Text, default=None)
    retention: Mapped[str | None] = mapped_column(Text, default=None)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)


class MultipartUpload(Base):
    """A multipart upload in progress (`upload_id` is what S3 clients see)."""

    __tablename__ = "multipart_upload"
    __table_args__ = (Index("ix_multipart_upload_bucket_id_key", "bucket_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upload_id: Mapped[str] = mapped_column(String(64), unique=True)
    bucket_id: Mapped[int] = mapped_column(ForeignKey("bucket.id"))
    key: Mapped[str] = mapped_column(ObjectKey())
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    meta: Mapped[str] = mapped_column(Text, default="{}")
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MultipartPart(Base):
    """One uploaded part of a multipart upload; a re-upload of a part number replaces it."""

    __tablename__ = "multipart_part"
    __table_args__ = (UniqueConstraint("upload_id", "part_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("multipart_upload.id"))
    part_number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(255))
    last_modified: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
