"""S3 multipart uploads on native multipart uploads: one function per operation, named
after it, `(S3Context, params) -> output` as `translator.s3.objects`.

Part data stream from the request body (or a copy source) to the object store; the native
multipart errors become their S3 errors here (NoSuchUpload, InvalidPart, InvalidPartOrder,
EntityTooSmall); the rest go through `translator.s3.errors.s3_error` at the gateway.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import cast
from urllib.parse import quote

from gateway.s3 import errors as s3
from gateway.s3.addressing import parse_copy_source
from native.api import objects as native
from native.api.objects import CompletedPart, Readable, UploadInfo
from native.services.errors import CloudError
from native.services.multipart import MAX_LISTED
from translator.s3.conditions import Preconditions, byte_range
from translator.s3.context import Operation, Output, Params, S3Context, owner, text
from translator.s3.objects import meta_of

NULL_VERSION = "null"

_ERRORS: Mapping[type[CloudError], type[s3.S3Error]] = {
    native.NoSuchUpload: s3.NoSuchUpload,
    native.InvalidPart: s3.InvalidPart,
    native.InvalidPartOrder: s3.InvalidPartOrder,
    native.EntityTooSmall: s3.EntityTooSmall,
}


def _s3_errors(operation: Operation) -> Operation:
    """`operation` raising the S3 error of each native multipart error."""

    @functools.wraps(operation)
    def translated(ctx: S3Context, params: Params) -> Output:
        try:
            return operation(ctx, params)
        except tuple(_ERRORS) as exc:
            raise _ERRORS[type(exc)](str(exc) or None) from None
        except native.InvalidPartNumber as exc:
            raise s3.InvalidArgument(
                str(exc), ArgumentName="partNumber", ArgumentValue=str(params.get("PartNumber"))
            ) from None

    return translated


def _etag(etag: str) -> str:
    return f'"{etag}"'


def _version_id(version_id: str) -> str | None:
    return None if version_id == NULL_VERSION else version_id


def _names(params: Params) -> tuple[str, str, str]:
    return str(params["Bucket"]), str(params["Key"]), str(params["UploadId"])


def _count(params: Params, name: str, argument: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or value < 0:
        raise s3.InvalidArgument(
            f"Argument {argument} must be an integer between 0 and 2147483647",
            ArgumentName=argument,
            ArgumentValue=str(value),
        )
    return value


def _part_number(params: Params) -> int:
    value = params.get("PartNumber")
    if not isinstance(value, int):
        raise s3.InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=str(value),
        )
    return value


@_s3_errors
def create_multipart_upload(ctx: S3Context, params: Params) -> Output:
    if ctx.caller is None:
        raise s3.AccessDenied()
    bucket, key = str(params["Bucket"]), str(params["Key"])
    upload = ctx.api.create_multipart_upload(
        ctx.caller, bucket=bucket, key=key, meta=meta_of(params)
    )
    return {"Bucket": bucket, "Key": key, "UploadId": upload.upload_id}


@_s3_errors
def upload_part(ctx: S3Context, params: Params) -> Output:
    bucket, key, upload_id = _names(params)
    part = ctx.api.upload_part(
        ctx.caller,
        bucket=bucket,
        key=key,
        upload_id=upload_id,
        part_number=_part_number(params),
        source=cast(Readable, params["Body"]),
    )
    return {"ETag": _etag(part.etag)}


@_s3_errors
def upload_part_copy(ctx: S3Context, params: Params) -> Output:
    bucket, key, upload_id = _names(params)
    source = parse_copy_source(value=str(params["CopySource"]))
    version = ctx.api.head_object(
        ctx.caller, bucket=source.bucket, key=source.key, version_id=source.version_id
    )
    Preconditions.of(params, prefix="CopySource").check(version, not_modified=s3.PreconditionFailed)
    header = text(params, "CopySourceRange")
    selected = byte_range(header)
    if header is not None and (selected is None or selected.first is None):
        raise s3.InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=header,
        )
    part = ctx.api.upload_part_copy(
        ctx.caller,
        bucket=bucket,
        key=key,
        upload_id=upload_id,
        part_number=_part_number(params),
        source_bucket=source.bucket,
        source_key=source.key,
        source_version_id=version.version_id,
        byte_range=selected,
    )
    return {
        "CopySourceVersionId": _version_id(version.version_id),
        "CopyPartResult": {"ETag": _etag(part.etag), "LastModified": part.last_modified},
    }


def _completed_parts(params: Params) -> list[CompletedPart]:
    request = params.get("MultipartUpload")
    items = request.get("Parts") if isinstance(request, Mapping) else None
    if not isinstance(items, list) or not items:
        raise s3.MalformedXML()
    parts = []
    for item in items:
        number, etag = item.get("PartNumber"), item.get("ETag")
        if not isinstance(number, int) or not isinstance(etag, str):
            raise s3.MalformedXML()
        parts.append(CompletedPart(part_number=number, etag=etag))
    return parts


@_s3_errors
def complete_multipart_upload(ctx: S3Context, params: Params) -> Output:
    bucket, key, upload_id = _names(params)
    version = ctx.api.complete_multipart_upload(
        ctx.caller, bucket=bucket, key=key, upload_id=upload_id, parts=_completed_parts(params)
    )
    return {
        "Location": f"/{bucket}/{quote(key)}",
        "Bucket": bucket,
        "Key": key,
        "ETag": _etag(version.etag),
        "VersionId": _version_id(version.version_id),
    }


@_s3_errors
def abort_multipart_upload(ctx: S3Context, params: Params) -> Output:
    bucket, key, upload_id = _names(params)
    ctx.api.abort_multipart_upload(ctx.caller, bucket=bucket, key=key, upload_id=upload_id)
    return {}


@_s3_errors
def list_parts(ctx: S3Context, params: Params) -> Output:
    bucket, key, upload_id = _names(params)
    marker = _count(params, "PartNumberMarker", "part-number-marker", 0)
    max_parts = _count(params, "MaxParts", "max-parts", MAX_LISTED)
    page = ctx.api.list_parts(
        ctx.caller,
        bucket=bucket,
        key=key,
        upload_id=upload_id,
        part_number_marker=marker,
        max_parts=max_parts,
    )
    initiator = owner(page.upload.owner_id, page.upload.owner_name)
    return {
        "Bucket": bucket,
        "Key": key,
        "UploadId": upload_id,
        "PartNumberMarker": marker,
        "NextPartNumberMarker": page.next_part_number_marker,
        "MaxParts": max_parts,
        "IsTruncated": page.is_truncated,
        "Parts": [
            {
                "PartNumber": part.part_number,
                "LastModified": part.last_modified,
                "ETag": _etag(part.etag),
                "Size": part.size,
            }
            for part in page.parts
        ]
        or None,
        "Initiator": initiator,
        "Owner": initiator,
        "StorageClass": "STANDARD",
    }


def _upload_entry(upload: UploadInfo) -> Output:
    holder = owner(upload.owner_id, upload.owner_name)
    return {
        "UploadId": upload.upload_id,
        "Key": upload.key,
        "Initiated": upload.initiated,
        "StorageClass": "STANDARD",
        "Owner": holder,
        "Initiator": holder,
    }


@_s3_errors
def list_multipart_uploads(ctx: S3Context, params: Params) -> Output:
    bucket = str(params["Bucket"])
    encoding = text(params, "EncodingType")
    if encoding not in (None, "url"):
        raise s3.InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=str(encoding),
        )
    max_uploads = _count(params, "MaxUploads", "max-uploads", MAX_LISTED)
    page = ctx.api.list_multipart_uploads(
        ctx.caller,
        bucket=bucket,
        prefix=text(params, "Prefix") or "",
        delimiter=text(params, "Delimiter") or None,
        key_marker=text(params, "KeyMarker") or None,
        upload_id_marker=text(params, "UploadIdMarker") or None,
        max_uploads=max_uploads,
    )
    return {
        "Bucket": bucket,
        "KeyMarker": text(params, "KeyMarker") or "",
        "UploadIdMarker": text(params, "UploadIdMarker") or "",
        "NextKeyMarker": page.next_key_marker,
        "NextUploadIdMarker": page.next_upload_id_marker,
        "Prefix": text(params, "Prefix") or None,
        "Delimiter": text(params, "Delimiter") or None,
        "MaxUploads": max_uploads,
        "IsTruncated": page.is_truncated,
        "Uploads": [_upload_entry(upload) for upload in page.uploads] or None,
        "CommonPrefixes": [{"Prefix": prefix} for prefix in page.common_prefixes] or None,
        "EncodingType": encoding,
    }


OPERATIONS: Mapping[str, Callable[[S3Context, Params], Output]] = {
    "CreateMultipartUpload": create_multipart_upload,
    "UploadPart": upload_part,
    "UploadPartCopy": upload_part_copy,
    "CompleteMultipartUpload": complete_multipart_upload,
    "AbortMultipartUpload": abort_multipart_upload,
    "ListParts": list_parts,
    "ListMultipartUploads": list_multipart_uploads,
}
