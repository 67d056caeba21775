"""S3 tagging operations on buckets and object versions, and the `x-amz-tagging` header
of PutObject and CopyObject. Tag limits are `native.services.s3_tagging`'s."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.s3 import errors as s3
from native.api.objects import InvalidTag
from native.services import s3_tagging
from native.services.objects import NULL_VERSION
from translator.s3.context import Operation, Output, Params, S3Context, text


def _version_id(version_id: str) -> str | None:
    return None if version_id == NULL_VERSION else version_id


def header_tags(params: Params) -> list[tuple[str, str]] | None:
    """The tags of an `x-amz-tagging` header (InvalidTag when malformed), None without."""
    value = text(params, "Tagging")
    if value is None:
        return None
    try:
        pairs = s3_tagging.parse_tagging_header(value)
        s3_tagging.check_tags(pairs, limit=s3_tagging.MAX_OBJECT_TAGS)
    except InvalidTag as exc:
        raise s3.InvalidTag(str(exc)) from None
    return pairs


def _tag_set(params: Params) -> list[tuple[str, str]]:
    document = params.get("Tagging")
    tag_set = document.get("TagSet") if isinstance(document, Mapping) else None
    if not isinstance(tag_set, list):
        raise s3.MalformedXML()
    pairs: list[tuple[str, str]] = []
    for tag in tag_set:
        if not isinstance(tag, Mapping) or not isinstance(tag.get("Key"), str):
            raise s3.MalformedXML()
        pairs.append((str(tag["Key"]), str(tag.get("Value") or "")))
    return pairs


def _rendered(tags: Mapping[str, str]) -> list[Output]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def get_bucket_tagging(ctx: S3Context, params: Params) -> Output:
    name = str(params["Bucket"])
    tags = ctx.api.get_bucket_tagging(ctx.caller, name=name)
    if not tags:
        raise s3.NoSuchTagSet(BucketName=name)
    return {"TagSet": _rendered(tags)}


def put_bucket_tagging(ctx: S3Context, params: Params) -> Output:
    try:
        ctx.api.put_bucket_tagging(ctx.caller, name=str(params["Bucket"]), tags=_tag_set(params))
    except InvalidTag as exc:
        raise s3.InvalidTag(str(exc)) from None
    return {}


def delete_bucket_tagging(ctx: S3Context, params: Params) -> Output:
    ctx.api.put_bucket_tagging(ctx.caller, name=str(params["Bucket"]), tags=[])
    return {}


def get_object_tagging(ctx: S3Context, params: Params) -> Output:
    version_id, tags = ctx.api.get_object_tagging(
        ctx.caller,
        bucket=str(params["Bucket"]),
        key=str(params["Key"]),
        version_id=text(params, "VersionId"),
    )
    return {"VersionId": _version_id(version_id), "TagSet": _rendered(tags)}


def _set_object_tags(ctx: S3Context, params: Params, tags: list[tuple[str, str]]) -> Output:
    try:
        version_id = ctx.api.put_object_tagging(
            ctx.caller,
            bucket=str(params["Bucket"]),
            key=str(params["Key"]),
            version_id=text(params, "VersionId"),
            tags=tags,
        )
    except InvalidTag as exc:
        raise s3.InvalidTag(str(exc)) from None
    return {"VersionId": _version_id(version_id)}


def put_object_tagging(ctx: S3Context, params: Params) -> Output:
    return _set_object_tags(ctx, params, _tag_set(params))


def delete_object_tagging(ctx: S3Context, params: Params) -> Output:
    return _set_object_tags(ctx, params, [])


OPERATIONS: Mapping[str, Operation] = {
    "GetBucketTagging": get_bucket_tagging,
    "PutBucketTagging": put_bucket_tagging,
    "DeleteBucketTagging": delete_bucket_tagging,
    "GetObjectTagging": get_object_tagging,
    "PutObjectTagging": put_object_tagging,
    "DeleteObjectTagging": delete_object_tagging,
}


def copy_tags(
    ctx: S3Context, params: Params, *, bucket: str, key: str, version_id: str
) -> list[tuple[str, str]] | None:
    """The tags of a CopyObject's new object: the source version's (TaggingDirective COPY,
    the default; reading them needs s3:GetObjectTagging when there are any) or the
    `x-amz-tagging` header's (REPLACE)."""
    directive = text(params, "TaggingDirective") or "COPY"
    if directive == "REPLACE":
        return header_tags(params)
    if directive != "COPY":
        raise s3.InvalidArgument(ArgumentName="x-amz-tagging-directive")
    if not ctx.api.object_tag_count(ctx.caller, bucket=bucket, key=key, version_id=version_id):
        return None
    _, tags = ctx.api.get_object_tagging(ctx.caller, bucket=bucket, key=key, version_id=version_id)
    return list(tags.items())
