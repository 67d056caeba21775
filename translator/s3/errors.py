"""Native object-storage errors as the S3 errors clients expect."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gateway.s3 import errors as s3
from native.api import objects as native
from native.services.errors import (
    CloudError,
    InvalidParameterValue,
    ResourceLimitExceeded,
    ResourceUnavailable,
)


class QuotaExceeded(s3.S3Error, status=403, message="The bucket quota has been exceeded."): ...


def _no_such_key(error: CloudError) -> s3.S3Error:
    marker = error.delete_marker if isinstance(error, native.NoSuchKey) else None
    if marker is None:
        return s3.NoSuchKey()
    headers = {"x-amz-delete-marker": "true", "x-amz-version-id": marker.version_id}
    return s3.NoSuchKey(headers=headers)


def _delete_marker(error: CloudError) -> s3.S3Error:
    assert isinstance(error, native.DeleteMarkerVersion)
    headers = {
        "x-amz-delete-marker": "true",
        "x-amz-version-id": error.delete_marker.version_id,
        "Allow": "DELETE",
    }
    return s3.MethodNotAllowed(headers=headers, Method="GET", ResourceType="DeleteMarker")


def _invalid_range(error: CloudError) -> s3.S3Error:
    assert isinstance(error, native.InvalidRange)
    return s3.InvalidRange(
        headers={"Content-Range": f"bytes */{error.size}"}, ActualObjectSize=str(error.size)
    )


def _simple(cls: type[s3.S3Error]) -> Callable[[CloudError], s3.S3Error]:
    return lambda error: cls()


def _with_text(cls: type[s3.S3Error]) -> Callable[[CloudError], s3.S3Error]:
    return lambda error: cls(str(error) or None)


# Most specific first: the first class in an error's MRO found here decides.
_MAPPING: Mapping[type[CloudError], Callable[[CloudError], s3.S3Error]] = {
    native.NoSuchBucket: _simple(s3.NoSuchBucket),
    native.NoSuchKey: _no_such_key,
    native.NoSuchVersion: _simple(s3.NoSuchVersion),
    native.DeleteMarkerVersion: _delete_marker,
    native.InvalidRange: _invalid_range,
    native.InvalidKey: _simple(s3.KeyTooLongError),
    native.IncompleteBody: _simple(s3.IncompleteBody),
    native.QuotaExceeded: _simple(QuotaExceeded),
    native.BucketAlreadyExists: _simple(s3.BucketAlreadyExists),
    native.BucketNotEmpty: _simple(s3.BucketNotEmpty),
    native.InvalidBucketName: _simple(s3.InvalidBucketName),
    native.PermissionDenied: _simple(s3.AccessDenied),
    ResourceLimitExceeded: _with_text(s3.TooManyBuckets),
    ResourceUnavailable: _with_text(s3.ServiceUnavailable),
    InvalidParameterValue: _with_text(s3.InvalidArgument),
}


def s3_error(error: CloudError) -> s3.S3Error:
    """The S3 error for a native error (InternalError for one S3 has no word for)."""
    for cls in type(error).__mro__:
        convert = _MAPPING.get(cls)
        if convert is not None:
            return convert(error)
    return s3.InternalError()
