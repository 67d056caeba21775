"""S3 listings: ListObjects, ListObjectsV2 and ListObjectVersions over native pages.

A V2 continuation token is the base64 of the key to continue after.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from gateway.s3 import errors as s3
from native.api.objects import BucketInfo, ObjectVersion
from translator.s3.context import Operation, Output, Params, S3Context, owner, text
from translator.s3.objects import NULL_VERSION

DEFAULT_MAX_KEYS = 1000


def _max_keys(params: Params) -> int:
    value = params.get("MaxKeys")
    if value is None:
        return DEFAULT_MAX_KEYS
    if not isinstance(value, int) or value < 0:
        raise s3.InvalidArgument(
            "Argument maxKeys must be an integer between 0 and 2147483647",
            ArgumentName="max-keys",
            ArgumentValue=str(value),
        )
    return value


def _encoding(params: Params) -> str | None:
    encoding = text(params, "EncodingType")
    if encoding not in (None, "url"):
        raise s3.InvalidArgument(
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=str(encoding),
        )
    return encoding


def _entry(version: ObjectVersion, holder: Output | None) -> Output:
    return {
        "Key": version.key,
        "LastModified": version.last_modified,
        "ETag": f'"{version.etag}"',
        "Size": version.size,
        "StorageClass": "STANDARD",
        "Owner": holder,
    }


def _holder(bucket: BucketInfo) -> Output:
    return owner(bucket.owner_id, bucket.owner_name)


def _common(params: Params, bucket: BucketInfo) -> Output:
    return {
        "Name": bucket.name,
        "Prefix": text(params, "Prefix") or "",
        "Delimiter": text(params, "Delimiter") or None,
        "MaxKeys": _max_keys(params),
        "EncodingType": _encoding(params),
    }


def list_objects(ctx: S3Context, params: Params) -> Output:
    bucket = ctx.api.head_bucket(ctx.caller, name=str(params["Bucket"]))
    output = _common(params, bucket)
    page = ctx.api.list_objects(
        ctx.caller,
        bucket=bucket.name,
        prefix=str(output["Prefix"]),
        delimiter=text(params, "Delimiter") or None,
        marker=text(params, "Marker") or None,
        max_keys=_max_keys(params),
    )
    holder = _holder(bucket)
    return {
        **output,
        "Marker": text(params, "Marker") or "",
        "IsTruncated": page.is_truncated,
        "NextMarker": page.next_marker if page.is_truncated and output["Delimiter"] else None,
        "Contents": [_entry(item, holder) for item in page.objects] or None,
        "CommonPrefixes": [{"Prefix": prefix} for prefix in page.common_prefixes] or None,
    }


def _token_marker(token: str) -> str:
    try:
        marker = base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True)
        if marker:
            return marker.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise s3.InvalidArgument(
        "The continuation token provided is incorrect",
        ArgumentName="continuation-token",
        ArgumentValue=token,
    )


def list_objects_v2(ctx: S3Context, params: Params) -> Output:
    bucket = ctx.api.head_bucket(ctx.caller, name=str(params["Bucket"]))
    output = _common(params, bucket)
    token = text(params, "ContinuationToken")
    start_after = text(params, "StartAfter") or None
    marker = _token_marker(token) if token else start_after
    page = ctx.api.list_objects(
        ctx.caller,
        bucket=bucket.name,
        prefix=str(output["Prefix"]),
        delimiter=text(params, "Delimiter") or None,
        marker=marker,
        max_keys=_max_keys(params),
    )
    holder = _holder(bucket) if params.get("FetchOwner") is True else None
    next_token = None
    if page.is_truncated and page.next_marker is not None:
        next_token = base64.urlsafe_b64encode(page.next_marker.encode("utf-8")).decode("ascii")
    return {
        **output,
        "ContinuationToken": token,
        "StartAfter": start_after,
        "KeyCount": len(page.objects) + len(page.common_prefixes),
        "IsTruncated": page.is_truncated,
        "NextContinuationToken": next_token,
        "Contents": [_entry(item, holder) for item in page.objects] or None,
        "CommonPrefixes": [{"Prefix": prefix} for prefix in page.common_prefixes] or None,
    }


def _version_entry(version: ObjectVersion, holder: Output) -> Output:
    common: Output = {
        "Key": version.key,
        "VersionId": version.version_id or NULL_VERSION,
        "IsLatest": version.is_latest,
        "LastModified": version.last_modified,
        "Owner": holder,
    }
    if version.delete_marker:
        return common
    return {**common, "ETag": f'"{version.etag}"', "Size": version.size, "StorageClass": "STANDARD"}


def list_object_versions(ctx: S3Context, params: Params) -> Output:
    bucket = ctx.api.head_bucket(ctx.caller, name=str(params["Bucket"]))
    output = _common(params, bucket)
    page = ctx.api.list_object_versions(
        ctx.caller,
        bucket=bucket.name,
        prefix=str(output["Prefix"]),
        delimiter=text(params, "Delimiter") or None,
        key_marker=text(params, "KeyMarker") or None,
        version_id_marker=text(params, "VersionIdMarker") or None,
        max_keys=_max_keys(params),
    )
    holder = _holder(bucket)
    versions = [_version_entry(item, holder) for item in page.versions if not item.delete_marker]
    markers = [_version_entry(item, holder) for item in page.versions if item.delete_marker]
    return {
        **output,
        "KeyMarker": text(params, "KeyMarker") or "",
        "VersionIdMarker": text(params, "VersionIdMarker") or "",
        "IsTruncated": page.is_truncated,
        "NextKeyMarker": page.next_key_marker if page.is_truncated else None,
        "NextVersionIdMarker": page.next_version_id_marker if page.is_truncated else None,
        "Versions": versions or None,
        "DeleteMarkers": markers or None,
        "CommonPrefixes": [{"Prefix": prefix} for prefix in page.common_prefixes] or None,
    }


OPERATIONS: Mapping[str, Operation] = {
    "ListObjects": list_objects,
    "ListObjectsV2": list_objects_v2,
    "ListObjectVersions": list_object_versions,
}
