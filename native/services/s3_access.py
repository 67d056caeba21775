"""S3 access control: ACL documents, bucket policies and their evaluation.

ACLs are stored (in `Bucket.acl` / `S3Object.acl`) as `{"owner": {"id", "name"}, "grants":
[{"type": "CanonicalUser", "id": …, "permission": …} | {"type": "Group", "uri": …,
"permission": …}]}`; None means private. Owners are accounts, named by their canonical id
(sha256 of the account uuid, as ListBuckets shows it). An object's owner is always its
bucket's owner, whoever wrote it.

Bucket policies are the JSON documents S3 exchanges, kept verbatim in `Bucket.policy`.
Supported: Effect Allow/Deny; Principal "*", {"AWS": "*" | id | [ids]} or
{"CanonicalUser": id | [ids]}, where an id is an account's canonical id, its uuid, or
`arn:aws:iam::<canonical id or uuid>:root` (account names are not accepted: they are unique
only within a domain); Action and Resource as strings or lists with `*` and `?` wildcards.
Conditions are not evaluated and fail closed: an Allow statement with a Condition never
applies, a Deny statement with a Condition always does. NotPrincipal, NotAction and
NotResource are rejected as MalformedPolicy.
"""

from __future__ import annotations

import enum
import fnmatch
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Bucket, S3Object
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.objects import NoSuchKey, NoSuchVersion

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY)
MAX_POLICY_SIZE = 20 * 1024


class MalformedPolicy(InvalidParameterValue):
    """A bucket policy that is not valid JSON or not a supported policy."""


class MalformedAcl(InvalidParameterValue):
    """An ACL (canned name, grant header or AccessControlPolicy) that cannot be used."""


class Permission(enum.StrEnum):
    """ACL permissions."""

    READ = "READ"
    WRITE = "WRITE"
    READ_ACP = "READ_ACP"
    WRITE_ACP = "WRITE_ACP"
    FULL_CONTROL = "FULL_CONTROL"


def canonical_id(account_uuid: str) -> str:
    """The S3 canonical user id of an account (the same as the translator's)."""
    return hashlib.sha256(account_uuid.encode("ascii")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Grant:
    """One ACL grant: to a canonical user id, or to a group uri."""

    permission: Permission
    user_id: str | None = None
    group: str | None = None

    def to_json(self) -> dict[str, str]:
        if self.user_id is not None:
            return {"type": "CanonicalUser", "id": self.user_id, "permission": self.permission}
        assert self.group is not None
        return {"type": "Group", "uri": self.group, "permission": self.permission}

    def covers(self, caller: Caller | None) -> bool:
        """Whether the grantee includes the caller (None: anonymous)."""
        if self.group == ALL_USERS:
            return True
        if self.group == AUTHENTICATED_USERS:
            return caller is not None
        return caller is not None and self.user_id == canonical_id(caller.account_uuid)


@dataclass(frozen=True, kw_only=True)
class Acl:
    """An access control list: its owner and grants."""

    owner_id: str
    owner_name: str
    grants: tuple[Grant, ...]

    def to_json(self) -> str:
        owner = {"id": self.owner_id, "name": self.owner_name}
        return json.dumps({"owner": owner, "grants": [g.to_json() for g in self.grants]})

    def permissions_of(self, caller: Caller | None) -> set[Permission]:
        """The permissions the grants give the caller (FULL_CONTROL implies all)."""
        found = {grant.permission for grant in self.grants if grant.covers(caller)}
        return set(Permission) if Permission.FULL_CONTROL in found else found


def private_acl(owner_id: str, owner_name: str) -> Acl:
    """The default ACL: the owner has FULL_CONTROL."""
    owner_grant = Grant(permission=Permission.FULL_CONTROL, user_id=owner_id)
    return Acl(owner_id=owner_id, owner_name=owner_name, grants=(owner_grant,))


def load_acl(document: str | None, *, owner_id: str, owner_name: str) -> Acl:
    """The stored ACL (the private one when None); the owner is always the one given."""
    if document is None:
        return private_acl(owner_id, owner_name)
    grants = tuple(
        Grant(
            permission=Permission(item["permission"]),
            user_id=item.get("id") if item["type"] == "CanonicalUser" else None,
            group=item.get("uri") if item["type"] == "Group" else None,
        )
        for item in json.loads(document)["grants"]
    )
    return Acl(owner_id=owner_id, owner_name=owner_name, grants=grants)


_CANNED: Mapping[str, tuple[tuple[str, Permission], ...]] = {
    "private": (),
    "public-read": ((ALL_USERS, Permission.READ),),
    "public-read-write": ((ALL_USERS, Permission.READ), (ALL_USERS, Permission.WRITE)),
    "authenticated-read": ((AUTHENTICATED_USERS, Permission.READ),),
    "bucket-owner-read": (),
    "bucket-owner-full-control": (),
    "log-delivery-write": ((LOG_DELIVERY, Permission.WRITE), (LOG_DELIVERY, Permission.READ_ACP)),
}


def canned_acl(name: str, *, owner_id: str, owner_name: str) -> Acl:
    """The ACL of a canned ACL name. Objects belong to their bucket's owner, so
    bucket-owner-read and bucket-owner-full-control are the same as private."""
    if name not in _CANNED:
        raise MalformedAcl(f"Unknown canned ACL {name}")
    extra = tuple(Grant(permission=p, group=group) for group, p in _CANNED[name])
    base = private_acl(owner_id, owner_name)
    return Acl(owner_id=owner_id, owner_name=owner_name, grants=base.grants + extra)


_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]*)"?\s*(?:,|$)', re.IGNORECASE)


def grant_header_acl(headers: Mapping[Permission, str], *, owner_id: str, owner_name: str) -> Acl:
    """The ACL of `x-amz-grant-*` header values (`id="…", uri="…"` lists) by permission.
    Email grantees are not supported (MalformedAcl)."""
    grants: list[Grant] = []
    for permission, value in headers.items():
        position = 0
        while position < len(value):
            match = _GRANTEE.match(value, position)
            if match is None or match.end() == position:
                raise MalformedAcl(f"Invalid grant header value: {value}")
            grants.append(_grant(match.group(1).lower(), match.group(2), permission))
            position = match.end()
    return Acl(owner_id=owner_id, owner_name=owner_name, grants=tuple(grants))


def _grant(kind: str, value: str, permission: Permission) -> Grant:
    if kind == "id" and re.fullmatch(r"[0-9a-f]{64}", value):
        return Grant(permission=permission, user_id=value)
    if kind == "uri" and value in GROUPS:
        return Grant(permission=permission, group=value)
    raise MalformedAcl(f"Unsupported grantee {kind}={value}")


def explicit_acl(grants: Sequence[tuple[str, str, str]], *, owner_id: str, owner_name: str) -> Acl:
    """The ACL of an AccessControlPolicy body: (grantee type, id or uri, permission)
    triples, type CanonicalUser or Group."""
    parsed: list[Grant] = []
    for kind, value, permission in grants:
        if permission not in Permission.__members__:
            raise MalformedAcl(f"Invalid permission {permission}")
        name = {"CanonicalUser": "id", "Group": "uri"}.get(kind, kind)
        parsed.append(_grant(name, value, Permission(permission)))
    return Acl(owner_id=owner_id, owner_name=owner_name, grants=tuple(parsed))


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One parsed policy statement."""

    allow: bool
    principals: tuple[str, ...]
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditional: bool

    def matches(self, caller: Caller | None, action: str, resource: str) -> bool:
        return (
            _principal_matches(self.principals, caller)
            and any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions)
            and any(fnmatch.fnmatchcase(resource, r) for r in self.resources)
        )


def _principal_matches(principals: Sequence[str], caller: Caller | None) -> bool:
    if "*" in principals:
        return True
    if caller is None:
        return False
    names = {caller.account_uuid, canonical_id(caller.account_uuid)}
    names |= {f"arn:aws:iam::{name}:root" for name in set(names)}
    return any(principal in names for principal in principals)


def _strings(value: object, what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise MalformedPolicy(f"Policy has an invalid {what}")
    return tuple(items)


def _principals(value: object) -> tuple[str, ...]:
    if value == "*":
        return ("*",)
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy("Policy has an invalid principal")
    found: list[str] = []
    for kind, names in value.items():
        if kind not in ("AWS", "CanonicalUser"):
            raise MalformedPolicy(f"Unsupported principal type {kind}")
        found += _strings(names, "principal")
    return tuple(found)


def _statement(item: object, bucket: str) -> Statement:
    if not isinstance(item, dict):
        raise MalformedPolicy("Policy statements must be objects")
    unsupported = {"NotPrincipal", "NotAction", "NotResource"} & item.keys()
    if unsupported:
        raise MalformedPolicy(f"Unsupported policy element {min(unsupported)}")
    if item.get("Effect") not in ("Allow", "Deny"):
        raise MalformedPolicy("Policy has an invalid effect")
    if "Principal" not in item:
        raise MalformedPolicy("Policy statements must have a Principal")
    actions = _strings(item.get("Action"), "action")
    if not all(a == "*" or a.lower().startswith("s3:") for a in actions):
        raise MalformedPolicy("Policy has invalid action")
    resources = _strings(item.get("Resource"), "resource")
    arn = f"arn:aws:s3:::{bucket}"
    if not all(r == arn or r.startswith(arn + "/") for r in resources):
        raise MalformedPolicy("Policy has invalid resource")
    return Statement(
        allow=item["Effect"] == "Allow",
        principals=_principals(item["Principal"]),
        actions=actions,
        resources=resources,
        conditional="Condition" in item,
    )


def parse_policy(document: str, *, bucket: str) -> tuple[Statement, ...]:
    """The statements of a bucket policy for `bucket` (MalformedPolicy when invalid)."""
    if len(document.encode("utf-8")) > MAX_POLICY_SIZE:
        raise MalformedPolicy("Policies must be less than 20 KB")
    try:
        parsed = json.loads(document)
    except ValueError:
        raise MalformedPolicy("Policies must be valid JSON") from None
    if not isinstance(parsed, dict) or "Statement" not in parsed:
        raise MalformedPolicy("Missing required field Statement")
    items = parsed["Statement"]
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not items:
        raise MalformedPolicy("Missing required field Statement")
    return tuple(_statement(item, bucket) for item in items)


class Decision(enum.Enum):
    """A policy's answer: explicitly denied, allowed, or silent."""

    DENY = "deny"
    ALLOW = "allow"
    NONE = "none"


def evaluate_policy(
    statements: Sequence[Statement], *, caller: Caller | None, action: str, resource: str
) -> Decision:
    """Deny if any matching statement denies (conditional Denies included), else Allow
    if a matching unconditional statement allows, else NONE."""
    matching = [s for s in statements if s.matches(caller, action, resource)]
    if any(not s.allow for s in matching):
        return Decision.DENY
    if any(s.allow and not s.conditional for s in matching):
        return Decision.ALLOW
    return Decision.NONE


def resource_arn(bucket: str, key: str | None) -> str:
    """The ARN of a bucket, or of an object when `key` is given."""
    return f"arn:aws:s3:::{bucket}" if key is None else f"arn:aws:s3:::{bucket}/{key}"


_BUCKET_GRANTS: Mapping[Permission, frozenset[str]] = {
    Permission.READ: frozenset(
        {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}
    ),
    Permission.WRITE: frozenset(
        {
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        }
    ),
    Permission.READ_ACP: frozenset({"s3:GetBucketAcl"}),
    Permission.WRITE_ACP: frozenset({"s3:PutBucketAcl"}),
}
_OBJECT_GRANTS: Mapping[Permission, frozenset[str]] = {
    Permission.READ: frozenset({"s3:GetObject", "s3:GetObjectVersion"}),
    Permission.READ_ACP: frozenset({"s3:GetObjectAcl", "s3:GetObjectVersionAcl"}),
    Permission.WRITE_ACP: frozenset({"s3:PutObjectAcl", "s3:PutObjectVersionAcl"}),
}
OBJECT_ACL_ACTIONS = frozenset().union(*_OBJECT_GRANTS.values())
"""The actions an object's own ACL can grant (the bucket ACL grants the others)."""


def acl_allows(acl: Acl, *, caller: Caller | None, action: str, on_object: bool) -> bool:
    """Whether a bucket ACL (`on_object` False) or an object ACL grants the caller the
    action: READ lists a bucket or reads an object, WRITE on a bucket writes and deletes
    its objects, READ_ACP / WRITE_ACP read and write the ACL itself."""
    table = _OBJECT_GRANTS if on_object else _BUCKET_GRANTS
    return any(action in table.get(p, frozenset()) for p in acl.permissions_of(caller))


@dataclass(frozen=True, kw_only=True)
class AclSpec:
    """An ACL as a request states it: a canned ACL name, `x-amz-grant-*` header values by
    permission, or AccessControlPolicy grants (grantee type, id or uri, permission)."""

    canned: str | None = None
    headers: Mapping[Permission, str] | None = None
    grants: Sequence[tuple[str, str, str]] | None = None

    @property
    def is_private(self) -> bool:
        """Whether this is a canned ACL equal to the default (owner-only) one."""
        return self.canned in ("private", "bucket-owner-read", "bucket-owner-full-control")

    def build(self, *, owner_id: str, owner_name: str) -> Acl:
        """The ACL for that owner (MalformedAcl when invalid or ambiguous)."""
        given = [x for x in (self.canned, self.headers, self.grants) if x is not None]
        if len(given) != 1:
            raise MalformedAcl("Specifying both Canned ACLs and Header Grants is not allowed")
        if self.canned is not None:
            return canned_acl(self.canned, owner_id=owner_id, owner_name=owner_name)
        if self.headers is not None:
            return grant_header_acl(self.headers, owner_id=owner_id, owner_name=owner_name)
        assert self.grants is not None
        return explicit_acl(self.grants, owner_id=owner_id, owner_name=owner_name)


def object_row(session: Session, bucket: Bucket, key: str, version_id: str | None) -> S3Object:
    """The object version (the current one by default) holding data: NoSuchKey or
    NoSuchVersion otherwise (a delete marker has no ACL or tags)."""
    query = select(S3Object).where(S3Object.bucket_id == bucket.id, S3Object.key == key)
    if version_id is None:
        row = session.scalars(query.where(S3Object.is_latest.is_(True))).first()
        if row is None or row.delete_marker:
            raise NoSuchKey("The specified key does not exist.")
        return row
    row = session.scalars(query.where(S3Object.version_id == version_id)).first()
    if row is None or row.delete_marker:
        raise NoSuchVersion("The specified version does not exist.")
    return row


@dataclass(frozen=True, kw_only=True)
class Request:
    """What a caller who does not own a bucket asks: an action on the bucket or on one
    of its objects (`key`, optionally a version)."""

    caller: Caller | None
    action: str
    key: str | None = None
    version_id: str | None = None


def allowed(session: Session, *, bucket: Bucket, owner_uuid: str, request: Request) -> bool:
    """Whether the bucket's policy or ACLs let a caller other than the owner act: an
    explicit policy Deny refuses, a policy Allow grants, else the object's ACL (for
    object reads and ACL access) or the bucket's ACL decides. A stored policy this
    module cannot read grants nothing."""
    caller, action = request.caller, request.action
    if bucket.policy is not None:
        try:
            statements = parse_policy(bucket.policy, bucket=bucket.name)
        except MalformedPolicy:
            return False
        resource = resource_arn(bucket.name, request.key)
        decision = evaluate_policy(statements, caller=caller, action=action, resource=resource)
        if decision is not Decision.NONE:
            return decision is Decision.ALLOW
    owner_id = canonical_id(owner_uuid)
    if action not in OBJECT_ACL_ACTIONS:
        acl = load_acl(bucket.acl, owner_id=owner_id, owner_name="")
        return acl_allows(acl, caller=caller, action=action, on_object=False)
    if request.key is None:
        return False
    try:
        row = object_row(session, bucket, request.key, request.version_id)
    except (NoSuchKey, NoSuchVersion):
        return False
    acl = load_acl(row.acl, owner_id=owner_id, owner_name="")
    return acl_allows(acl, caller=caller, action=action, on_object=True)
