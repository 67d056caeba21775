"""S3 ACLs and bucket policies, enforced: two tenants and an anonymous client."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.translator.s3.conftest import S3Factory, bucket_name
from tests.translator.s3.test_buckets import error_code, status_of

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture
def other(admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]) -> Tenant:
    """A second account in the tenant's domain."""
    return new_account(admin, domainid=domain["id"], endpoint=alto_server.endpoint)


@pytest.fixture
def anonymous(s3_url: str, pool: dict[str, Any]) -> Any:
    """An unsigned S3 client."""
    return boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        config=Config(
            signature_version=UNSIGNED,
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
        ),
    )


def canonical(tenant: Tenant) -> str:
    return hashlib.sha256(tenant.id.encode("ascii")).hexdigest()


def _denied(call: Any, **params: Any) -> None:
    with pytest.raises(ClientError) as refused:
        call(**params)
    assert error_code(refused) == "AccessDenied"
    assert status_of(refused) == 403


def test_public_read_object_and_private_object(s3: Any, anonymous: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="public", Body=b"for all", ACL="public-read")
    s3.put_object(Bucket=name, Key="private", Body=b"mine")
    assert anonymous.get_object(Bucket=name, Key="public")["Body"].read() == b"for all"
    _denied(anonymous.get_object, Bucket=name, Key="private")
    _denied(anonymous.list_objects_v2, Bucket=name)
    _denied(anonymous.put_object, Bucket=name, Key="new", Body=b"x")
    s3.put_object_acl(Bucket=name, Key="public", ACL="private")
    _denied(anonymous.get_object, Bucket=name, Key="public")


def test_public_read_bucket_lists_and_public_read_write_writes(s3: Any, anonymous: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name, ACL="public-read")
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    keys = [o["Key"] for o in anonymous.list_objects_v2(Bucket=name)["Contents"]]
    assert keys == ["k"]
    _denied(anonymous.get_object, Bucket=name, Key="k")
    _denied(anonymous.put_object, Bucket=name, Key="new", Body=b"x")
    s3.put_bucket_acl(Bucket=name, ACL="public-read-write")
    anonymous.put_object(Bucket=name, Key="new", Body=b"anonymous data")
    assert s3.get_object(Bucket=name, Key="new")["Body"].read() == b"anonymous data"


def test_acl_xml_round_trip(s3: Any, tenant: Tenant, other: Tenant) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    acl = s3.get_bucket_acl(Bucket=name)
    me = {"ID": canonical(tenant), "DisplayName": tenant.name}
    assert acl["Owner"] == me
    assert acl["Grants"] == [
        {"Grantee": {**me, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    ]
    policy = {
        "Owner": me,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": canonical(tenant)},
             "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": canonical(other)}, "Permission": "READ"},
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ_ACP"},
        ],
    }  # fmt: skip
    s3.put_bucket_acl(Bucket=name, AccessControlPolicy=policy)
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert [
        (g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"]) for g in grants
    ] == [
        (canonical(tenant), "FULL_CONTROL"),
        (canonical(other), "READ"),
        (ALL_USERS, "READ_ACP"),
    ]
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    s3.put_object_acl(Bucket=name, Key="k", GrantRead=f'id="{canonical(other)}"')
    object_grants = s3.get_object_acl(Bucket=name, Key="k")["Grants"]
    assert {"Grantee": {"Type": "CanonicalUser", "ID": canonical(other)}, "Permission": "READ"} in (
        object_grants
    )


def test_malformed_acls(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as unknown_canned:
        s3.put_bucket_acl(Bucket=name, ACL="everyone-please")
    assert error_code(unknown_canned) == "InvalidArgument"
    with pytest.raises(ClientError) as both:
        s3.put_bucket_acl(Bucket=name, ACL="private", GrantRead=f'uri="{ALL_USERS}"')
    assert error_code(both) == "InvalidRequest"
    bad_grant = {
        "Owner": {"ID": "x"},
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "nobody"}, "Permission": "READ"}],
    }
    with pytest.raises(ClientError) as malformed:
        s3.put_bucket_acl(Bucket=name, AccessControlPolicy=bad_grant)
    assert error_code(malformed) == "MalformedACLError"


def test_cross_account_grants_by_canonical_id(
    s3: Any, make_s3: S3Factory, tenant: Tenant, other: Tenant
) -> None:
    theirs = make_s3(other)
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="shared", Body=b"shared data")
    _denied(theirs.get_object, Bucket=name, Key="shared")
    _denied(theirs.list_objects_v2, Bucket=name)
    s3.put_object_acl(Bucket=name, Key="shared", GrantRead=f'id="{canonical(other)}"')
    assert theirs.get_object(Bucket=name, Key="shared")["Body"].read() == b"shared data"
    _denied(theirs.get_object_acl, Bucket=name, Key="shared")
    s3.put_bucket_acl(
        Bucket=name,
        GrantRead=f'id="{canonical(other)}"',
        GrantWrite=f'id="{canonical(other)}"',
        GrantFullControl=f'id="{canonical(tenant)}"',
    )
    assert [o["Key"] for o in theirs.list_objects_v2(Bucket=name)["Contents"]] == ["shared"]
    theirs.put_object(
        Bucket=name, Key="from-other", Body=b"written by other", ACL="bucket-owner-full-control"
    )
    _denied(theirs.put_object, Bucket=name, Key="public", Body=b"x", ACL="public-read")
    assert s3.get_object(Bucket=name, Key="from-other")["Body"].read() == b"written by other"
    _denied(theirs.get_object, Bucket=name, Key="from-other")
    _denied(theirs.put_bucket_acl, Bucket=name, ACL="public-read")


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_bucket_policy_round_trip_and_validation(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as none:
        s3.get_bucket_policy(Bucket=name)
    assert error_code(none) == "NoSuchBucketPolicy"
    policy = _policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{name}/*"}
    )  # fmt: skip
    s3.put_bucket_policy(Bucket=name, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == json.loads(policy)
    for bad in (
        "not json",
        json.dumps({"Version": "2012-10-17"}),
        _policy({"Effect": "Maybe", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{name}/*"}),
        _policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::some-other-bucket/*"}),
    ):  # fmt: skip
        with pytest.raises(ClientError) as malformed:
            s3.put_bucket_policy(Bucket=name, Policy=bad)
        assert error_code(malformed) == "MalformedPolicy"
    s3.delete_bucket_policy(Bucket=name)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_policy(Bucket=name)
    assert error_code(deleted) == "NoSuchBucketPolicy"


def test_bucket_policy_anonymous_read_and_deny_overrides(s3: Any, anonymous: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="pub/a", Body=b"a")
    s3.put_object(Bucket=name, Key="secret/b", Body=b"b", ACL="public-read")
    allow = {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}  # fmt: skip
    s3.put_bucket_policy(Bucket=name, Policy=_policy(allow))
    assert anonymous.get_object(Bucket=name, Key="pub/a")["Body"].read() == b"a"
    listed = anonymous.list_objects_v2(Bucket=name)["Contents"]
    assert sorted(o["Key"] for o in listed) == ["pub/a", "secret/b"]
    _denied(anonymous.put_object, Bucket=name, Key="pub/new", Body=b"x")
    deny = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:Get*",
            "Resource": f"arn:aws:s3:::{name}/secret/*"}  # fmt: skip
    s3.put_bucket_policy(Bucket=name, Policy=_policy(allow, deny))
    assert anonymous.get_object(Bucket=name, Key="pub/a")["Body"].read() == b"a"
    _denied(anonymous.get_object, Bucket=name, Key="secret/b")
    assert s3.get_object(Bucket=name, Key="secret/b")["Body"].read() == b"b"


def test_bucket_policy_cross_account_principal(
    s3: Any, make_s3: S3Factory, other: Tenant, anonymous: Any
) -> None:
    theirs = make_s3(other)
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"for other")
    _denied(theirs.get_object, Bucket=name, Key="k")
    for principal in (canonical(other), f"arn:aws:iam::{other.id}:root"):
        statement = {"Effect": "Allow", "Principal": {"AWS": [principal]},
                     "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}  # fmt: skip
        s3.put_bucket_policy(Bucket=name, Policy=_policy(statement))
        assert theirs.get_object(Bucket=name, Key="k")["Body"].read() == b"for other"
        _denied(anonymous.get_object, Bucket=name, Key="k")
        _denied(theirs.delete_object, Bucket=name, Key="k")
