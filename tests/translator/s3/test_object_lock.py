"""Object lock through boto3 against a real server: bucket configuration with a default
retention, object retention and legal holds, deletes refused while locked, GOVERNANCE
bypass."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.translator.s3.conftest import bucket_name

GOVERNANCE_DAY = {
    "ObjectLockEnabled": "Enabled",
    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
}


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture
def locked_bucket(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def test_lock_configuration_and_default_retention(s3: Any, locked_bucket: str) -> None:
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled"
    }
    before = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"1")["VersionId"]
    with pytest.raises(ClientError) as no_retention:
        s3.get_object_retention(Bucket=locked_bucket, Key="k")
    assert error_code(no_retention) == "NoSuchObjectLockConfiguration"

    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=GOVERNANCE_DAY)
    version = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"2")["VersionId"]

    configuration = s3.get_object_lock_configuration(Bucket=locked_bucket)
    assert configuration["ObjectLockConfiguration"] == GOVERNANCE_DAY
    retention = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)
    assert retention["Retention"]["Mode"] == "GOVERNANCE"
    until = retention["Retention"]["RetainUntilDate"]
    assert now() + dt.timedelta(hours=23) < until < now() + dt.timedelta(hours=25)
    s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=before)


def test_retained_versions_resist_deletes_unless_governance_is_bypassed(
    s3: Any, locked_bucket: str
) -> None:
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration=GOVERNANCE_DAY)
    version = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")["VersionId"]

    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=version)
    assert error_code(refused) == "AccessDenied"
    marker = s3.delete_object(Bucket=locked_bucket, Key="k")
    assert marker["DeleteMarker"] is True
    s3.delete_object(
        Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
    )
    versions = s3.list_object_versions(Bucket=locked_bucket)
    assert "Versions" not in versions and len(versions["DeleteMarkers"]) == 1


def test_compliance_retention_cannot_be_shortened_or_bypassed(s3: Any, locked_bucket: str) -> None:
    version = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")["VersionId"]
    until = (now() + dt.timedelta(days=2)).replace(microsecond=0)
    s3.put_object_retention(
        Bucket=locked_bucket,
        Key="k",
        VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
    )

    got = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=version)
    assert got["Retention"] == {"Mode": "COMPLIANCE", "RetainUntilDate": until}
    with pytest.raises(ClientError) as bypassed:
        s3.delete_object(
            Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    assert error_code(bypassed) == "AccessDenied"
    with pytest.raises(ClientError) as shortened:
        s3.put_object_retention(
            Bucket=locked_bucket,
            Key="k",
            VersionId=version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - dt.timedelta(days=1)},
            BypassGovernanceRetention=True,
        )
    assert error_code(shortened) == "AccessDenied"
    s3.put_object_retention(
        Bucket=locked_bucket,
        Key="k",
        VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until + dt.timedelta(days=1)},
    )


def test_legal_hold_blocks_deletes_even_with_bypass(s3: Any, locked_bucket: str) -> None:
    version = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"x")["VersionId"]
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="k")["LegalHold"] == {"Status": "OFF"}

    s3.put_object_legal_hold(Bucket=locked_bucket, Key="k", LegalHold={"Status": "ON"})

    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="k", VersionId=version)[
        "LegalHold"
    ] == {"Status": "ON"}
    with pytest.raises(ClientError) as refused:
        s3.delete_object(
            Bucket=locked_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    assert error_code(refused) == "AccessDenied"
    s3.put_object_legal_hold(
        Bucket=locked_bucket, Key="k", VersionId=version, LegalHold={"Status": "OFF"}
    )
    s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=version)


def test_buckets_without_object_lock(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")

    with pytest.raises(ClientError) as missing:
        s3.get_object_lock_configuration(Bucket=name)
    assert error_code(missing) == "ObjectLockConfigurationNotFoundError"
    with pytest.raises(ClientError) as enable:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=GOVERNANCE_DAY)
    assert error_code(enable) == "InvalidBucketState"
    with pytest.raises(ClientError) as retention:
        s3.get_object_retention(Bucket=name, Key="k")
    assert error_code(retention) == "InvalidRequest"
    with pytest.raises(ClientError) as hold:
        s3.put_object_legal_hold(Bucket=name, Key="k", LegalHold={"Status": "ON"})
    assert error_code(hold) == "InvalidRequest"


@pytest.mark.parametrize(
    "retention",
    [
        {"Mode": "GOVERNANCE", "Days": 1, "Years": 1},
        {"Mode": "GOVERNANCE"},
        {"Mode": "GOVERNANCE", "Days": 0},
    ],
)
def test_invalid_default_retentions_are_refused(
    s3: Any, locked_bucket: str, retention: dict[str, Any]
) -> None:
    configuration = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}
    with pytest.raises(ClientError) as refused:
        s3.put_object_lock_configuration(
            Bucket=locked_bucket, ObjectLockConfiguration=configuration
        )
    assert error_code(refused) == "MalformedXML"
