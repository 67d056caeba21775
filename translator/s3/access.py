"""S3 ACL and bucket policy operations, and the ACL a request states in its headers.

Grantees are accounts by canonical id (`id="…"` in grant headers, CanonicalUser in
AccessControlPolicy documents) and the AllUsers, AuthenticatedUsers and LogDelivery groups;
grants by e-mail address are refused. Which policy forms are evaluated is described in
`native.services.s3_access`.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.s3 import errors as s3
from native.api.objects import Acl, AclSpec, MalformedAcl, MalformedPolicy, Permission
from translator.s3.context import Operation, Output, Params, S3Context, text

_GRANT_HEADERS: Mapping[str, Permission] = {
    "GrantRead": Permission.READ,
    "GrantWrite": Permission.WRITE,
    "GrantReadACP": Permission.READ_ACP,
    "GrantWriteACP": Permission.WRITE_ACP,
    "GrantFullControl": Permission.FULL_CONTROL,
}


def acl_spec(params: Params) -> AclSpec | None:
    """The ACL stated by `x-amz-acl` or `x-amz-grant-*` headers, None when neither is;
    InvalidRequest when both are."""
    canned = text(params, "ACL")
    headers = {p: v for member, p in _GRANT_HEADERS.items() if (v := text(params, member))}
    if canned is not None and headers:
        raise s3.InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
    if canned is not None:
        return AclSpec(canned=canned)
    return AclSpec(headers=headers) if headers else None


def _body_spec(params: Params) -> AclSpec | None:
    document = params.get("AccessControlPolicy")
    if not isinstance(document, Mapping):
        return None
    grants = document.get("Grants") or []
    if not isinstance(grants, list):
        raise s3.MalformedACLError()
    triples: list[tuple[str, str, str]] = []
    for grant in grants:
        grantee = grant.get("Grantee") if isinstance(grant, Mapping) else None
        if not isinstance(grantee, Mapping):
            raise s3.MalformedACLError()
        kind = str(grantee.get("Type") or "")
        value = grantee.get("ID") if kind == "CanonicalUser" else grantee.get("URI")
        triples.append((kind, str(value or ""), str(grant.get("Permission") or "")))
    return AclSpec(grants=triples)


def _request_spec(params: Params) -> AclSpec:
    headers, body = acl_spec(params), _body_spec(params)
    if headers is not None and body is not None:
        raise s3.UnexpectedContent("This request does not support content")
    spec = headers or body
    if spec is None:
        raise s3.MalformedACLError()
    return spec


def _rendered(acl: Acl) -> Output:
    grants = []
    names = {acl.owner_id: acl.owner_name}
    for grant in acl.grants:
        if grant.user_id is not None:
            grantee: Output = {"Type": "CanonicalUser", "ID": grant.user_id}
            if grant.user_id in names:
                grantee["DisplayName"] = names[grant.user_id]
        else:
            grantee = {"Type": "Group", "URI": grant.group}
        grants.append({"Grantee": grantee, "Permission": str(grant.permission)})
    return {"Owner": {"ID": acl.owner_id, "DisplayName": acl.owner_name}, "Grants": grants}


def _acl_error(exc: MalformedAcl, spec: AclSpec) -> s3.S3Error:
    if spec.grants is not None:
        return s3.MalformedACLError(str(exc))
    return s3.InvalidArgument(str(exc))


def get_bucket_acl(ctx: S3Context, params: Params) -> Output:
    return _rendered(ctx.api.get_bucket_acl(ctx.caller, name=str(params["Bucket"])))


def put_bucket_acl(ctx: S3Context, params: Params) -> Output:
    spec = _request_spec(params)
    try:
        ctx.api.put_bucket_acl(ctx.caller, name=str(params["Bucket"]), acl=spec)
    except MalformedAcl as exc:
        raise _acl_error(exc, spec) from None
    return {}


def get_object_acl(ctx: S3Context, params: Params) -> Output:
    _, acl = ctx.api.get_object_acl(
        ctx.caller,
        bucket=str(params["Bucket"]),
        key=str(params["Key"]),
        version_id=text(params, "VersionId"),
    )
    return _rendered(acl)


def put_object_acl(ctx: S3Context, params: Params) -> Output:
    spec = _request_spec(params)
    try:
        ctx.api.put_object_acl(
            ctx.caller,
            bucket=str(params["Bucket"]),
            key=str(params["Key"]),
            version_id=text(params, "VersionId"),
            acl=spec,
        )
    except MalformedAcl as exc:
        raise _acl_error(exc, spec) from None
    return {}


def get_bucket_policy(ctx: S3Context, params: Params) -> Output:
    name = str(params["Bucket"])
    policy = ctx.api.get_bucket_policy(ctx.caller, name=name)
    if policy is None:
        raise s3.NoSuchBucketPolicy(BucketName=name)
    return {"Policy": policy}


def put_bucket_policy(ctx: S3Context, params: Params) -> Output:
    policy = text(params, "Policy")
    if policy is None:
        raise s3.MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    try:
        ctx.api.put_bucket_policy(ctx.caller, name=str(params["Bucket"]), policy=policy)
    except MalformedPolicy as exc:
        raise s3.MalformedPolicy(str(exc)) from None
    return {}


def delete_bucket_policy(ctx: S3Context, params: Params) -> Output:
    ctx.api.put_bucket_policy(ctx.caller, name=str(params["Bucket"]), policy=None)
    return {}


OPERATIONS: Mapping[str, Operation] = {
    "GetBucketAcl": get_bucket_acl,
    "PutBucketAcl": put_bucket_acl,
    "GetObjectAcl": get_object_acl,
    "PutObjectAcl": put_object_acl,
    "GetBucketPolicy": get_bucket_policy,
    "PutBucketPolicy": put_bucket_policy,
    "DeleteBucketPolicy": delete_bucket_policy,
}
