"""S3 listings through boto3: ListObjects, ListObjectsV2, ListObjectVersions."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.translator.s3.conftest import bucket_name
from tests.translator.s3.test_buckets import error_code

KEYS = ["a/1", "a/2", "a/b/3", "b/4", "c+d", "c d", "top"]


@pytest.fixture
def filled(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    for key in KEYS:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def test_list_v2_prefix_delimiter(s3: Any, filled: str) -> None:
    listed = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [item["Key"] for item in listed["Contents"]] == ["c d", "c+d", "top"]
    assert [item["Prefix"] for item in listed["CommonPrefixes"]] == ["a/", "b/"]
    assert listed["KeyCount"] == 5
    assert "Owner" not in listed["Contents"][0]
    nested = s3.list_objects_v2(Bucket=filled, Prefix="a/", Delimiter="/", FetchOwner=True)
    assert [item["Key"] for item in nested["Contents"]] == ["a/1", "a/2"]
    assert [item["Prefix"] for item in nested["CommonPrefixes"]] == ["a/b/"]
    assert nested["Contents"][0]["Owner"]["ID"]
    first = nested["Contents"][0]
    assert first["Size"] == 3
    assert first["StorageClass"] == "STANDARD"
    assert first["ETag"].startswith('"')


def test_list_v2_pages(s3: Any, filled: str) -> None:
    keys: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = s3.list_objects_v2(Bucket=filled, MaxKeys=3, **token)
        keys += [item["Key"] for item in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = {"ContinuationToken": page["NextContinuationToken"]}
    assert keys == sorted(KEYS)
    after = s3.list_objects_v2(Bucket=filled, StartAfter="b/4")
    assert [item["Key"] for item in after["Contents"]] == ["c d", "c+d", "top"]
    paginated = s3.get_paginator("list_objects_v2").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 2}
    )
    assert [item["Key"] for page in paginated for item in page["Contents"]] == sorted(KEYS)
    with pytest.raises(ClientError) as bad:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="!!!")
    assert error_code(bad) == "InvalidArgument"


def test_list_v2_url_encoding(s3: Any, filled: str) -> None:
    listed = s3.list_objects_v2(Bucket=filled, Prefix="c", EncodingType="url")
    # boto3 decodes only the encoding it asked for itself; an explicit one is left to the caller
    assert [item["Key"] for item in listed["Contents"]] == ["c%20d", "c%2Bd"]


def test_list_v1(s3: Any, filled: str) -> None:
    page = s3.list_objects(Bucket=filled, MaxKeys=2, Delimiter="/")
    assert page["IsTruncated"] is True
    assert [item["Prefix"] for item in page["CommonPrefixes"]] == ["a/", "b/"]
    rest = s3.list_objects(Bucket=filled, Marker=page["NextMarker"], Delimiter="/")
    assert [item["Key"] for item in rest["Contents"]] == ["c d", "c+d", "top"]
    assert rest["IsTruncated"] is False
    everything = s3.get_paginator("list_objects").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 3}
    )
    assert [item["Key"] for page in everything for item in page["Contents"]] == sorted(KEYS)


def test_list_versions_pages(s3: Any, filled: str) -> None:
    s3.put_bucket_versioning(Bucket=filled, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=filled, Key="top", Body=b"again")
    versions = [
        (item["Key"], item["VersionId"])
        for page in s3.get_paginator("list_object_versions").paginate(
            Bucket=filled, PaginationConfig={"PageSize": 2}
        )
        for item in page.get("Versions", [])
    ]
    assert [key for key, _ in versions] == [*sorted(KEYS), "top"]
    assert versions[-1][1] == "null"
