"""Bucket lifecycle configuration through boto3 against a real server (the sweeper itself
is tested at service level with a given clock)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.tenants import new_account
from tests.translator.s3.conftest import S3Factory, bucket_name

RULES = [
    {
        "ID": "logs",
        "Filter": {"Prefix": "logs/"},
        "Status": "Enabled",
        "Expiration": {"Days": 30},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
    },
    {
        "ID": "archive",
        "Filter": {"Prefix": ""},
        "Status": "Disabled",
        "Expiration": {"Date": dt.datetime(2031, 1, 1, tzinfo=dt.UTC)},
    },
]


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def bucket(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name


def test_put_get_delete_lifecycle(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as none:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error_code(none) == "NoSuchLifecycleConfiguration"

    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": RULES})

    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == RULES
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error_code(deleted) == "NoSuchLifecycleConfiguration"


@pytest.mark.parametrize(
    "rule",
    [
        {"ID": "a", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 0}},
        {"ID": "a", "Filter": {"Prefix": ""}, "Status": "Enabled"},
        {
            "ID": "a" * 256,
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "Expiration": {"Days": 1},
        },
        {
            "ID": "a",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "Expiration": {"Date": dt.datetime(2031, 1, 1, 12, tzinfo=dt.UTC)},
        },
        {
            "ID": "a",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": -3},
        },
    ],
)
def test_invalid_rules_are_refused(s3: Any, bucket: str, rule: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [rule]}
        )
    assert error_code(refused) == "MalformedXML"
    with pytest.raises(ClientError):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


def test_other_accounts_cannot_read_or_set_it(
    s3: Any,
    bucket: str,
    make_s3: S3Factory,
    admin: CloudStack,
    alto_server: AltoServer,
    domain: dict[str, Any],
) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": RULES})
    stranger = make_s3(new_account(admin, domainid=domain["id"], endpoint=alto_server.endpoint))
    with pytest.raises(ClientError) as read:
        stranger.get_bucket_lifecycle_configuration(Bucket=bucket)
    with pytest.raises(ClientError) as written:
        stranger.delete_bucket_lifecycle(Bucket=bucket)
    assert error_code(read) == error_code(written) == "AccessDenied"
