"""S3 bucket operations on native buckets: one function per operation, named after it.

Alto keeps no bucket website or replication configuration yet: their GETs answer what S3
answers for a bucket without one, which is what Terraform's bucket refresh expects. CORS,
lifecycle, default encryption and object lock are in `configuration`. ACLs, policies and tagging are in `access` and `tagging`; CreateBucket
takes the ACL of its `x-amz-acl` / `x-amz-grant-*` headers.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.s3 import errors as s3
from gateway.s3.addressing import check_bucket_name
from native.api.objects import BucketAlreadyExists, BucketInfo
from native.services.caller import Caller
from translator.s3.access import acl_spec
from translator.s3.context import Operation, Output, Params, S3Context, owner, text


def _caller(ctx: S3Context) -> Caller:
    if ctx.caller is None:
        raise s3.AccessDenied()
    return ctx.caller


def _bucket(ctx: S3Context, params: Params) -> BucketInfo:
    return ctx.api.head_bucket(ctx.caller, name=str(params["Bucket"]))


def list_buckets(ctx: S3Context, params: Params) -> Output:
    caller = _caller(ctx)
    buckets = ctx.api.list_buckets(caller)
    prefix = text(params, "Prefix") or ""
    return {
        "Owner": owner(caller.account_uuid, caller.account_name),
        "Buckets": [
            {"Name": bucket.name, "CreationDate": bucket.created, "BucketRegion": ctx.region}
            for bucket in buckets
            if bucket.name.startswith(prefix)
        ],
        "Prefix": prefix or None,
    }


def create_bucket(ctx: S3Context, params: Params) -> Output:
    caller = _caller(ctx)
    name = str(params["Bucket"])
    check_bucket_name(name=name)
    try:
        ctx.api.create_bucket(
            caller,
            name=name,
            object_lock=params.get("ObjectLockEnabledForBucket") is True,
            acl=acl_spec(params),
        )
    except BucketAlreadyExists as exc:
        if exc.owner_account_id == caller.account_id:
            raise s3.BucketAlreadyOwnedByYou(BucketName=name) from None
        raise s3.BucketAlreadyExists(BucketName=name) from None
    return {"Location": "/" + name}


def head_bucket(ctx: S3Context, params: Params) -> Output:
    _bucket(ctx, params)
    return {"BucketRegion": ctx.region}


def delete_bucket(ctx: S3Context, params: Params) -> Output:
    ctx.api.delete_bucket(ctx.caller, name=str(params["Bucket"]))
    return {}


def get_bucket_location(ctx: S3Context, params: Params) -> Output:
    _bucket(ctx, params)
    return {"LocationConstraint": None if ctx.region == "us-east-1" else ctx.region}


def get_bucket_versioning(ctx: S3Context, params: Params) -> Output:
    return {"Status": _bucket(ctx, params).versioning}


def put_bucket_versioning(ctx: S3Context, params: Params) -> Output:
    configuration = params.get("VersioningConfiguration")
    status = configuration.get("Status") if isinstance(configuration, Mapping) else None
    if status not in ("Enabled", "Suspended"):
        raise s3.MalformedXML()
    ctx.api.set_versioning(ctx.caller, name=str(params["Bucket"]), status=str(status))
    return {}


def get_bucket_accelerate_configuration(ctx: S3Context, params: Params) -> Output:
    _bucket(ctx, params)
    return {}


def get_bucket_request_payment(ctx: S3Context, params: Params) -> Output:
    _bucket(ctx, params)
    return {"Payer": "BucketOwner"}


def get_bucket_logging(ctx: S3Context, params: Params) -> Output:
    _bucket(ctx, params)
    return {}


def _not_configured(error: type[s3.S3Error]) -> Operation:
    """An operation reading a configuration no Alto bucket has: `error` once the bucket
    is found and the caller may see it."""

    def operation(ctx: S3Context, params: Params) -> Output:
        _bucket(ctx, params)
        raise error(BucketName=str(params["Bucket"]))

    return operation


OPERATIONS: Mapping[str, Operation] = {
    "ListBuckets": list_buckets,
    "CreateBucket": create_bucket,
    "HeadBucket": head_bucket,
    "DeleteBucket": delete_bucket,
    "GetBucketLocation": get_bucket_location,
    "GetBucketVersioning": get_bucket_versioning,
    "PutBucketVersioning": put_bucket_versioning,
    "GetBucketAccelerateConfiguration": get_bucket_accelerate_configuration,
    "GetBucketRequestPayment": get_bucket_request_payment,
    "GetBucketLogging": get_bucket_logging,
    "GetBucketWebsite": _not_configured(s3.NoSuchWebsiteConfiguration),
    "GetBucketReplication": _not_configured(s3.ReplicationConfigurationNotFoundError),
}
