"""The S3 access evaluator: ACL documents, grants, bucket policies, and tag checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from native.services import s3_access, s3_tagging
from native.services.caller import Caller, RoleType
from native.services.s3_access import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    AclSpec,
    Decision,
    MalformedAcl,
    MalformedPolicy,
    Permission,
)

OWNER = s3_access.canonical_id("owner-uuid")


def caller(account_uuid: str) -> Caller:
    return Caller(
        user_id=1, user_uuid="u", username="u", account_id=1, account_uuid=account_uuid,
        account_name="acct", domain_id=1, domain_uuid="d", domain_path="/", role_id=1,
        role_type=RoleType.USER,
    )  # fmt: skip


ALICE = caller("alice-uuid")
ALICE_ID = s3_access.canonical_id("alice-uuid")
BOB = caller("bob-uuid")


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def decide(document: str, who: Caller | None, action: str, key: str | None = None) -> Decision:
    statements = s3_access.parse_policy(document, bucket="b")
    resource = s3_access.resource_arn("b", key)
    return s3_access.evaluate_policy(statements, caller=who, action=action, resource=resource)


def test_canned_acls_grant_groups() -> None:
    public = s3_access.canned_acl("public-read", owner_id=OWNER, owner_name="o")
    assert public.permissions_of(None) == {Permission.READ}
    assert s3_access.acl_allows(public, caller=None, action="s3:GetObject", on_object=True)
    assert not s3_access.acl_allows(public, caller=None, action="s3:PutObject", on_object=False)
    authenticated = s3_access.canned_acl("authenticated-read", owner_id=OWNER, owner_name="o")
    assert authenticated.permissions_of(None) == set()
    assert authenticated.permissions_of(ALICE) == {Permission.READ}
    private = s3_access.canned_acl("bucket-owner-full-control", owner_id=OWNER, owner_name="o")
    assert private.grants == s3_access.private_acl(OWNER, "o").grants
    with pytest.raises(MalformedAcl):
        s3_access.canned_acl("nobody-knows", owner_id=OWNER, owner_name="o")
    assert AclSpec(canned="bucket-owner-full-control").is_private
    assert not AclSpec(canned="public-read").is_private


def test_grant_headers_and_round_trip() -> None:
    headers = {
        Permission.READ: f'id="{ALICE_ID}", uri="{AUTHENTICATED_USERS}"',
        Permission.WRITE_ACP: f"uri={ALL_USERS}",
    }
    acl = AclSpec(headers=headers).build(owner_id=OWNER, owner_name="o")
    assert acl.permissions_of(ALICE) == {Permission.READ, Permission.WRITE_ACP}
    assert acl.permissions_of(None) == {Permission.WRITE_ACP}
    loaded = s3_access.load_acl(acl.to_json(), owner_id=OWNER, owner_name="o")
    assert loaded == acl
    for bad in ('emailAddress="a@example.com"', 'id="short"', 'uri="http://elsewhere"', "junk"):
        with pytest.raises(MalformedAcl):
            AclSpec(headers={Permission.READ: bad}).build(owner_id=OWNER, owner_name="o")
    with pytest.raises(MalformedAcl):
        AclSpec(canned="private", headers=headers).build(owner_id=OWNER, owner_name="o")


def test_explicit_grants_and_acl_actions() -> None:
    acl = AclSpec(grants=[("CanonicalUser", ALICE_ID, "FULL_CONTROL")]).build(
        owner_id=OWNER, owner_name="o"
    )
    for action in ("s3:ListBucket", "s3:PutObject", "s3:GetBucketAcl", "s3:PutBucketAcl"):
        assert s3_access.acl_allows(acl, caller=ALICE, action=action, on_object=False)
    assert not s3_access.acl_allows(acl, caller=ALICE, action="s3:DeleteBucket", on_object=False)
    assert not s3_access.acl_allows(acl, caller=BOB, action="s3:ListBucket", on_object=False)
    with pytest.raises(MalformedAcl):
        AclSpec(grants=[("CanonicalUser", ALICE_ID, "EVERYTHING")]).build(
            owner_id=OWNER, owner_name="o"
        )


def test_policy_principals_actions_and_resources() -> None:
    document = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/pub/*"},
        {"Effect": "Allow", "Principal": {"AWS": [ALICE_ID, "arn:aws:iam::bob-uuid:root"]},
         "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::b"},
    )  # fmt: skip
    assert decide(document, None, "s3:GetObject", "pub/x") is Decision.ALLOW
    assert decide(document, None, "s3:GetObject", "private/x") is Decision.NONE
    assert decide(document, None, "s3:PutObject", "pub/x") is Decision.NONE
    assert decide(document, ALICE, "s3:ListBucket") is Decision.ALLOW
    assert decide(document, BOB, "s3:ListBucket") is Decision.ALLOW
    assert decide(document, caller("carol-uuid"), "s3:ListBucket") is Decision.NONE
    assert decide(document, None, "s3:ListBucket") is Decision.NONE


def test_deny_overrides_and_conditions_fail_closed() -> None:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}
    deny = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/secret?"}  # fmt: skip
    assert decide(policy(allow, deny), ALICE, "s3:GetObject", "secret1") is Decision.DENY
    assert decide(policy(allow, deny), ALICE, "s3:GetObject", "secret12") is Decision.ALLOW
    conditional = {**allow, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    assert decide(policy(conditional), ALICE, "s3:GetObject", "x") is Decision.NONE
    conditional_deny = {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert decide(policy(allow, conditional_deny), ALICE, "s3:GetObject", "secret1") is (
        Decision.DENY
    )


@pytest.mark.parametrize(
    "document",
    [
        "{not json",
        "[]",
        json.dumps({"Statement": []}),
        policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}),
        policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
        policy({"Effect": "Allow", "Principal": "*", "Action": "ec2:RunInstances",
                "Resource": "arn:aws:s3:::b/*"}),
        policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::other/*"}),
        policy({"Effect": "Allow", "Principal": {"Federated": "x"}, "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*"}),
        policy({"Effect": "Allow", "NotPrincipal": "*", "Principal": "*",
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
    ],
)  # fmt: skip
def test_malformed_policies(document: str) -> None:
    with pytest.raises(MalformedPolicy):
        s3_access.parse_policy(document, bucket="b")


def test_tag_checks() -> None:
    pairs = s3_tagging.parse_tagging_header("a=1&b=x%20y&empty=")
    assert s3_tagging.check_tags(pairs, limit=10) == {"a": "1", "b": "x y", "empty": ""}
    assert s3_tagging.parse_tagging_header("") == []
    for bad in ([("k", "v")] * 2, [("aws:x", "v")], [("k" * 129, "")], [("k", "v" * 257)]):
        with pytest.raises(s3_tagging.InvalidTag):
            s3_tagging.check_tags(bad, limit=10)
    with pytest.raises(s3_tagging.InvalidTag):
        s3_tagging.check_tags([(f"k{i}", "") for i in range(11)], limit=10)
    assert s3_tagging.load_tags(s3_tagging.dump_tags({"k": "v"})) == {"k": "v"}
    assert s3_tagging.dump_tags({}) is None
