"""S3 object operations on native objects: one function per operation, named after it.

Object data stream both ways: PutObject hands the verified request body to the object
store, GetObject hands the store's chunks to the response, CopyObject pipes one into the
other. Unversioned buckets hold the "null" version, which responses do not name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from email.utils import format_datetime, parsedate_to_datetime
from typing import cast

from gateway.s3 import errors as s3
from gateway.s3.addressing import CopySource, parse_copy_source
from native.api.objects import InvalidRange, ObjectData, ObjectMeta, ObjectVersion, Readable
from native.services.errors import CloudError
from translator.s3.access import acl_spec
from translator.s3.conditions import Preconditions, byte_range
from translator.s3.context import Operation, Output, Params, S3Context, text
from translator.s3.errors import s3_error
from translator.s3.tagging import copy_tags, header_tags

NULL_VERSION = "null"
_META_MEMBERS = {
    "ContentType": "content_type",
    "ContentEncoding": "content_encoding",
    "ContentDisposition": "content_disposition",
    "ContentLanguage": "content_language",
    "CacheControl": "cache_control",
}


def _version_id(version_id: str | None) -> str | None:
    return None if version_id in (None, NULL_VERSION) else version_id


def _etag(etag: str) -> str:
    return f'"{etag}"'


def meta_of(params: Params) -> ObjectMeta:
    """The stored metadata of a PutObject or CopyObject (REPLACE) request; `aws-chunked`
    is a transfer detail and is dropped from Content-Encoding."""
    values = {field: text(params, member) for member, field in _META_MEMBERS.items()}
    encoding = values["content_encoding"]
    if encoding is not None:
        kept = [part.strip() for part in encoding.split(",") if part.strip() != "aws-chunked"]
        values["content_encoding"] = ", ".join(kept) or None
    expires = params.get("Expires")
    user = params.get("Metadata")
    return ObjectMeta(
        **values,
        expires=format_datetime(expires, usegmt=True) if isinstance(expires, dt.datetime) else None,
        user={str(k): str(v) for k, v in user.items()} if isinstance(user, Mapping) else {},
    )


def _expires(value: str | None) -> dt.datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def _described(version: ObjectVersion, params: Params) -> Output:
    """The headers GetObject and HeadObject send, with the `response-*` overrides."""
    meta = version.meta
    output: Output = {
        "ETag": _etag(version.etag),
        "LastModified": version.last_modified,
        "ContentLength": version.size,
        "AcceptRanges": "bytes",
        "VersionId": _version_id(version.version_id),
        "Metadata": dict(meta.user) or None,
        "Expires": _expires(meta.expires),
        "ServerSideEncryption": version.encryption,
    }
    for member, field in _META_MEMBERS.items():
        output[member] = text(params, "Response" + member) or getattr(meta, field)
    if isinstance(params.get("ResponseExpires"), dt.datetime):
        output["Expires"] = params["ResponseExpires"]
    return output


def _head(ctx: S3Context, bucket: str, key: str, version_id: str | None) -> ObjectVersion:
    return ctx.api.head_object(ctx.caller, bucket=bucket, key=key, version_id=version_id)


def put_object(ctx: S3Context, params: Params) -> Output:
    version = ctx.api.put_object(
        ctx.caller,
        bucket=str(params["Bucket"]),
        key=str(params["Key"]),
        source=cast(Readable, params["Body"]),
        meta=meta_of(params),
        tags=header_tags(params),
        acl=acl_spec(params),
        encryption=text(params, "ServerSideEncryption"),
    )
    return {
        "ETag": _etag(version.etag),
        "VersionId": _version_id(version.version_id),
        "ServerSideEncryption": version.encryption,
    }


def _chunks(data: ObjectData) -> Iterator[bytes]:
    with data.body as stream:
        yield from stream


def get_object(ctx: S3Context, params: Params) -> Output:
    """One read of the version and its bytes; the preconditions are checked on what was
    read (before an unsatisfiable range, as RFC 9110 orders them)."""
    bucket, key, asked = str(params["Bucket"]), str(params["Key"]), text(params, "VersionId")
    preconditions = Preconditions.of(params)
    try:
        data = ctx.api.get_object(
            ctx.caller,
            bucket=bucket,
            key=key,
            version_id=asked,
            byte_range=byte_range(text(params, "Range")),
            current=asked is None,
        )
    except InvalidRange:
        preconditions.check(_head(ctx, bucket, key, asked), not_modified=s3.NotModified)
        raise
    try:
        preconditions.check(data.version, not_modified=s3.NotModified)
    except s3.S3Error:
        data.body.close()
        raise
    output = _described(data.version, params)
    output["ContentLength"] = data.length
    output["TagCount"] = data.version.tag_count or None
    if text(params, "Range") is not None and byte_range(text(params, "Range")) is not None:
        output["ContentRange"] = f"bytes {data.start}-{data.end}/{data.version.size}"
    output["Body"] = _chunks(data)
    return output


def head_object(ctx: S3Context, params: Params) -> Output:
    version = _head(ctx, str(params["Bucket"]), str(params["Key"]), text(params, "VersionId"))
    Preconditions.of(params).check(version, not_modified=s3.NotModified)
    return _described(version, params)


def delete_object(ctx: S3Context, params: Params) -> Output:
    result = ctx.api.delete_object(
        ctx.caller,
        bucket=str(params["Bucket"]),
        key=str(params["Key"]),
        version_id=text(params, "VersionId"),
        bypass_governance=params.get("BypassGovernanceRetention") is True,
    )
    return {
        "DeleteMarker": True if result.delete_marker else None,
        "VersionId": _version_id(result.version_id),
    }


def _delete_one(ctx: S3Context, bucket: str, item: Mapping[str, object]) -> Output:
    key, version_id = str(item.get("Key") or ""), text(item, "VersionId")
    try:
        result = ctx.api.delete_object(ctx.caller, bucket=bucket, key=key, version_id=version_id)
    except CloudError as exc:
        error = s3_error(exc)
        return {"Error": {"Key": key, "VersionId": version_id, "Code": error.code,
                          "Message": error.message}}  # fmt: skip
    deleted: Output = {"Key": key, "VersionId": version_id}
    if result.delete_marker:
        deleted["DeleteMarker"] = True
        if version_id is None:
            deleted["DeleteMarkerVersionId"] = _version_id(result.version_id)
    return {"Deleted": deleted}


def delete_objects(ctx: S3Context, params: Params) -> Output:
    bucket = str(params["Bucket"])
    request = params.get("Delete")
    if not isinstance(request, Mapping) or not isinstance(request.get("Objects"), list):
        raise s3.MalformedXML()
    items = request["Objects"]
    if len(items) > 1000:
        raise s3.MalformedXML()
    ctx.api.head_bucket(ctx.caller, name=bucket)
    results = [_delete_one(ctx, bucket, item) for item in items]
    quiet = request.get("Quiet") is True
    return {
        "Deleted": [r["Deleted"] for r in results if "Deleted" in r and not quiet] or None,
        "Errors": [r["Error"] for r in results if "Error" in r] or None,
    }


def _copy_source(ctx: S3Context, params: Params, source: CopySource) -> ObjectVersion:
    version = _head(ctx, source.bucket, source.key, source.version_id)
    Preconditions.of(params, prefix="CopySource").check(version, not_modified=s3.PreconditionFailed)
    return version


def copy_object(ctx: S3Context, params: Params) -> Output:
    source = parse_copy_source(value=str(params["CopySource"]))
    version = _copy_source(ctx, params, source)
    directive = text(params, "MetadataDirective") or "COPY"
    if directive not in ("COPY", "REPLACE"):
        raise s3.InvalidArgument(ArgumentName="x-amz-metadata-directive")
    same = (source.bucket, source.key) == (params["Bucket"], params["Key"])
    if same and directive == "COPY":
        raise s3.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes."
        )
    meta = version.meta if directive == "COPY" else meta_of(params)
    tags = copy_tags(
        ctx, params, bucket=source.bucket, key=source.key, version_id=version.version_id
    )
    data = ctx.api.get_object(
        ctx.caller,
        bucket=source.bucket,
        key=source.key,
        version_id=version.version_id,
        current=source.version_id is None,
    )
    with data.body as stream:
        copied = ctx.api.put_object(
            ctx.caller,
            bucket=str(params["Bucket"]),
            key=str(params["Key"]),
            source=_StreamReader(stream),
            size=version.size,
            meta=meta,
            tags=tags,
            acl=acl_spec(params),
        )
    return {
        "CopyObjectResult": {"ETag": _etag(copied.etag), "LastModified": copied.last_modified},
        "VersionId": _version_id(copied.version_id),
        "CopySourceVersionId": _version_id(version.version_id),
    }


class _StreamReader:
    """A `read(n)` file over a stream of chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


OPERATIONS: Mapping[str, Operation] = {
    "PutObject": put_object,
    "GetObject": get_object,
    "HeadObject": head_object,
    "DeleteObject": delete_object,
    "DeleteObjects": delete_objects,
    "CopyObject": copy_object,
}
