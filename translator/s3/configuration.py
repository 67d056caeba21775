"""S3 bucket configurations kept as documents (CORS, lifecycle, default encryption, object
lock) and object lock on versions (retention, legal hold): one function per operation.

The services validate S3's configuration structures and store them as given (see
`native.services.s3_cors`, `s3_lifecycle`, `s3_encryption`, `s3_lock`); a configuration
they refuse is MalformedXML (an unsupported CORS method InvalidRequest, SSE-KMS
NotImplemented), as S3 answers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from gateway.s3 import errors as s3
from native.api.objects import BucketDocument, CorsRequest, LockNotEnabled, ObjectApi, Retention
from native.services.errors import InvalidParameterValue
from native.services.s3_encryption import UnsupportedEncryption
from translator.s3.context import Operation, Output, Params, S3Context, text


class CORSResponse(
    s3.S3Error,
    status=403,
    message="This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
    "are not whitelisted by the resource's CORS spec.",
): ...


def preflight(api: ObjectApi, *, bucket: str | None, headers: Mapping[str, str]) -> dict[str, str]:
    """The headers answering a CORS preflight (OPTIONS) request on the bucket: BadRequest
    without Origin or Access-Control-Request-Method, CORSResponse when no rule allows it."""
    origin = headers.get("Origin")
    method = headers.get("Access-Control-Request-Method")
    if not origin:
        raise s3.BadRequest("Insufficient information. Origin request header needed.")
    if not method:
        raise s3.BadRequest(f"Invalid Access-Control-Request-Method: {method}")
    requested = headers.get("Access-Control-Request-Headers", "")
    request = CorsRequest(
        origin=origin,
        method=method,
        headers=[name.strip() for name in requested.split(",") if name.strip()],
    )
    allowed = (
        None if bucket is None else api.cors_headers(name=bucket, request=request, preflight=True)
    )
    if allowed is None:
        raise CORSResponse()
    return dict(allowed)


def cors_headers(
    api: ObjectApi, *, bucket: str | None, method: str, headers: Mapping[str, str]
) -> dict[str, str]:
    """The CORS headers of a request with an Origin that a rule of the bucket allows
    (none otherwise)."""
    origin = headers.get("Origin")
    if bucket is None or not origin:
        return {}
    request = CorsRequest(origin=origin, method=method)
    return api.cors_headers(name=bucket, request=request, preflight=False) or {}


_MISSING: Mapping[BucketDocument, type[s3.S3Error]] = {
    BucketDocument.CORS: s3.NoSuchCORSConfiguration,
    BucketDocument.LIFECYCLE: s3.NoSuchLifecycleConfiguration,
    BucketDocument.ENCRYPTION: s3.ServerSideEncryptionConfigurationNotFoundError,
    BucketDocument.OBJECT_LOCK: s3.ObjectLockConfigurationNotFoundError,
}


def _document(ctx: S3Context, params: Params, document: BucketDocument) -> dict[str, object]:
    name = str(params["Bucket"])
    stored = ctx.api.get_bucket_document(ctx.caller, name=name, document=document)
    if stored is None:
        raise _MISSING[document](BucketName=name)
    loaded: dict[str, object] = json.loads(stored)
    return loaded


def _put(ctx: S3Context, params: Params, document: BucketDocument, member: str | None) -> Output:
    configuration = None if member is None else params.get(member)
    if member is not None and configuration is None:
        raise s3.MalformedXML()
    try:
        ctx.api.put_bucket_document(
            ctx.caller, name=str(params["Bucket"]), document=document, configuration=configuration
        )
    except UnsupportedEncryption as exc:
        raise s3.S3NotImplemented(str(exc)) from None
    except LockNotEnabled as exc:
        raise s3.InvalidBucketState(str(exc)) from None
    except InvalidParameterValue as exc:
        if str(exc).startswith("Found unsupported HTTP method"):
            raise s3.InvalidRequest(str(exc)) from None
        raise s3.MalformedXML(str(exc)) from None
    return {}


def get_bucket_cors(ctx: S3Context, params: Params) -> Output:
    return _document(ctx, params, BucketDocument.CORS)


def put_bucket_cors(ctx: S3Context, params: Params) -> Output:
    return _put(ctx, params, BucketDocument.CORS, "CORSConfiguration")


def delete_bucket_cors(ctx: S3Context, params: Params) -> Output:
    return _put(ctx, params, BucketDocument.CORS, None)


def get_bucket_lifecycle_configuration(ctx: S3Context, params: Params) -> Output:
    stored = _document(ctx, params, BucketDocument.LIFECYCLE)
    rules = stored["Rules"]
    assert isinstance(rules, list)
    for rule in rules:
        expiration = rule.get("Expiration", {})
        if "Date" in expiration:
            expiration["Date"] = dt.datetime.fromisoformat(expiration["Date"])
    return {"Rules": rules}


def put_bucket_lifecycle_configuration(ctx: S3Context, params: Params) -> Output:
    return _put(ctx, params, BucketDocument.LIFECYCLE, "LifecycleConfiguration")


def delete_bucket_lifecycle(ctx: S3Context, params: Params) -> Output:
    return _put(ctx, params, BucketDocument.LIFECYCLE, None)


def get_bucket_encryption(ctx: S3Context, params: Params) -> Output:
    return {"ServerSideEncryptionConfiguration": _document(ctx, params, BucketDocument.ENCRYPTION)}


def put_bucket_encryption(ctx: S3Context, params: Params) -> Output:
    return _put(ctx, params, BucketDocument.ENCRYPTION, "ServerSideEncryptionConfiguration")


def delete_bucket_encryption(ctx: S3Context, params: Params) -> Output:
    return _put(ctx, params, BucketDocument.ENCRYPTION, None)


def get_object_lock_configuration(ctx: S3Context, params: Params) -> Output:
    name = str(params["Bucket"])
    if not ctx.api.head_bucket(ctx.caller, name=name).object_lock:
        raise s3.ObjectLockConfigurationNotFoundError(BucketName=name)
    stored = ctx.api.get_bucket_document(ctx.caller, name=name, document=BucketDocument.OBJECT_LOCK)
    configuration = json.loads(stored) if stored else {"ObjectLockEnabled": "Enabled"}
    return {"ObjectLockConfiguration": configuration}


def put_object_lock_configuration(ctx: S3Context, params: Params) -> Output:
    return _put(ctx, params, BucketDocument.OBJECT_LOCK, "ObjectLockConfiguration")


def _target(params: Params) -> tuple[str, str, str | None]:
    return str(params["Bucket"]), str(params["Key"]), text(params, "VersionId")


def _retention(params: Params) -> Retention | None:
    """The retention asked for; None (an empty Retention) removes it."""
    given = params.get("Retention")
    if not isinstance(given, Mapping) or not (given.get("Mode") or given.get("RetainUntilDate")):
        return None
    until = given.get("RetainUntilDate")
    if given.get("Mode") not in ("GOVERNANCE", "COMPLIANCE") or not isinstance(until, dt.datetime):
        raise s3.MalformedXML()
    return Retention(mode=str(given["Mode"]), until=until)


def get_object_retention(ctx: S3Context, params: Params) -> Output:
    bucket, key, version_id = _target(params)
    try:
        state = ctx.api.get_object_lock(ctx.caller, bucket=bucket, key=key, version_id=version_id)
    except LockNotEnabled as exc:
        raise s3.InvalidRequest(str(exc)) from None
    if state.retention is None:
        raise s3.NoSuchObjectLockConfiguration()
    retention = state.retention
    return {"Retention": {"Mode": retention.mode, "RetainUntilDate": retention.until}}


def put_object_retention(ctx: S3Context, params: Params) -> Output:
    bucket, key, version_id = _target(params)
    try:
        ctx.api.put_object_retention(
            ctx.caller,
            bucket=bucket,
            key=key,
            version_id=version_id,
            retention=_retention(params),
            bypass_governance=params.get("BypassGovernanceRetention") is True,
        )
    except LockNotEnabled as exc:
        raise s3.InvalidRequest(str(exc)) from None
    return {}


def get_object_legal_hold(ctx: S3Context, params: Params) -> Output:
    bucket, key, version_id = _target(params)
    try:
        state = ctx.api.get_object_lock(
            ctx.caller, bucket=bucket, key=key, version_id=version_id, legal_hold=True
        )
    except LockNotEnabled as exc:
        raise s3.InvalidRequest(str(exc)) from None
    return {"LegalHold": {"Status": "ON" if state.legal_hold else "OFF"}}


def put_object_legal_hold(ctx: S3Context, params: Params) -> Output:
    bucket, key, version_id = _target(params)
    given = params.get("LegalHold")
    status = given.get("Status") if isinstance(given, Mapping) else None
    if status not in ("ON", "OFF"):
        raise s3.MalformedXML()
    try:
        ctx.api.put_object_legal_hold(
            ctx.caller, bucket=bucket, key=key, version_id=version_id, on=status == "ON"
        )
    except LockNotEnabled as exc:
        raise s3.InvalidRequest(str(exc)) from None
    return {}


OPERATIONS: Mapping[str, Operation] = {
    "GetBucketCors": get_bucket_cors,
    "PutBucketCors": put_bucket_cors,
    "DeleteBucketCors": delete_bucket_cors,
    "GetBucketLifecycleConfiguration": get_bucket_lifecycle_configuration,
    "PutBucketLifecycleConfiguration": put_bucket_lifecycle_configuration,
    "DeleteBucketLifecycle": delete_bucket_lifecycle,
    "GetBucketEncryption": get_bucket_encryption,
    "PutBucketEncryption": put_bucket_encryption,
    "DeleteBucketEncryption": delete_bucket_encryption,
    "GetObjectLockConfiguration": get_object_lock_configuration,
    "PutObjectLockConfiguration": put_object_lock_configuration,
    "GetObjectRetention": get_object_retention,
    "PutObjectRetention": put_object_retention,
    "GetObjectLegalHold": get_object_legal_hold,
    "PutObjectLegalHold": put_object_legal_hold,
}
