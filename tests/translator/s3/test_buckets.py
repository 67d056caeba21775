"""S3 bucket operations through boto3 against a real server."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.translator.s3.conftest import S3Factory, bucket_name


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def status_of(excinfo: pytest.ExceptionInfo[ClientError]) -> int:
    return int(excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_bucket_lifecycle(s3: Any, tenant: Tenant) -> None:
    name = bucket_name()
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == "/" + name
    listed = s3.list_buckets()
    assert [bucket["Name"] for bucket in listed["Buckets"]] == [name]
    assert listed["Owner"] == {
        "ID": hashlib.sha256(tenant.id.encode()).hexdigest(),
        "DisplayName": tenant.name,
    }
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name).get("LocationConstraint") is None
    with pytest.raises(ClientError) as again:
        s3.create_bucket(Bucket=name)
    assert error_code(again) == "BucketAlreadyOwnedByYou"
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as not_empty:
        s3.delete_bucket(Bucket=name)
    assert error_code(not_empty) == "BucketNotEmpty"
    s3.delete_object(Bucket=name, Key="k")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as gone:
        s3.head_bucket(Bucket=name)
    assert status_of(gone) == 404
    with pytest.raises(ClientError) as missing:
        s3.list_objects_v2(Bucket=name)
    assert error_code(missing) == "NoSuchBucket"


def test_create_bucket_options(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(
        Bucket=name,
        ACL="private",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    assert name in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as bad:
        s3.create_bucket(Bucket="Bad_Name")
    assert error_code(bad) == "InvalidBucketName"


def test_object_lock_bucket(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"


def test_versioning_configuration(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("get_bucket_cors", "NoSuchCORSConfiguration"),
        ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
        ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
        ("get_bucket_policy", "NoSuchBucketPolicy"),
        ("get_bucket_tagging", "NoSuchTagSet"),
        ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
        ("get_bucket_website", "NoSuchWebsiteConfiguration"),
        ("get_bucket_replication", "ReplicationConfigurationNotFoundError"),
    ],
)
def test_missing_configurations(s3: Any, method: str, code: str) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as missing:
        getattr(s3, method)(Bucket=name)
    assert error_code(missing) == code
    assert status_of(missing) == 404


def test_default_configurations(s3: Any, tenant: Tenant) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    acl = s3.get_bucket_acl(Bucket=name)
    owner_id = hashlib.sha256(tenant.id.encode()).hexdigest()
    assert acl["Owner"]["ID"] == owner_id
    [grant] = acl["Grants"]
    assert grant["Permission"] == "FULL_CONTROL"
    assert grant["Grantee"]["Type"] == "CanonicalUser"
    assert grant["Grantee"]["ID"] == owner_id
    assert s3.get_bucket_request_payment(Bucket=name)["Payer"] == "BucketOwner"
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=name)
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=name)


def test_unimplemented_operation(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as refused:
        s3.get_bucket_analytics_configuration(Bucket=name, Id="analytics")
    assert error_code(refused) == "NotImplemented"
    assert status_of(refused) == 501


def test_other_accounts_are_denied(
    make_s3: S3Factory, tenant: Tenant, admin: CloudStack, alto_server: AltoServer
) -> None:
    other = new_account(admin, endpoint=alto_server.endpoint)
    mine, theirs = make_s3(tenant), make_s3(other)
    name = bucket_name()
    mine.create_bucket(Bucket=name)
    mine.put_object(Bucket=name, Key="secret", Body=b"s")
    for call in (
        lambda: theirs.list_objects_v2(Bucket=name),
        lambda: theirs.get_object(Bucket=name, Key="secret"),
        lambda: theirs.put_object(Bucket=name, Key="x", Body=b"x"),
        lambda: theirs.delete_bucket(Bucket=name),
    ):
        with pytest.raises(ClientError) as denied:
            call()
        assert error_code(denied) == "AccessDenied"
        assert status_of(denied) == 403
    with pytest.raises(ClientError) as taken:
        theirs.create_bucket(Bucket=name)
    assert error_code(taken) == "BucketAlreadyExists"
    assert name not in [bucket["Name"] for bucket in theirs.list_buckets()["Buckets"]]
