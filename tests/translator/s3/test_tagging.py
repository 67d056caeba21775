"""S3 tagging of buckets and objects: round trips, versions, headers and limits."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.translator.s3.conftest import bucket_name
from tests.translator.s3.test_buckets import error_code, status_of


def _tags(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs]}


def test_bucket_tagging_round_trip(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as none:
        s3.get_bucket_tagging(Bucket=name)
    assert error_code(none) == "NoSuchTagSet"
    assert status_of(none) == 404
    s3.put_bucket_tagging(Bucket=name, Tagging=_tags(("env", "prod"), ("team", "a b")))
    tag_set = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tag_set} == {"env": "prod", "team": "a b"}
    s3.delete_bucket_tagging(Bucket=name)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_tagging(Bucket=name)
    assert error_code(deleted) == "NoSuchTagSet"


def test_object_tagging_round_trip_and_count(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"data", Tagging="a=1&b=two%20words")
    assert s3.get_object(Bucket=name, Key="k")["TagCount"] == 2
    tag_set = s3.get_object_tagging(Bucket=name, Key="k")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tag_set} == {"a": "1", "b": "two words"}
    s3.put_object_tagging(Bucket=name, Key="k", Tagging=_tags(("only", "")))
    assert s3.get_object_tagging(Bucket=name, Key="k")["TagSet"] == [{"Key": "only", "Value": ""}]
    s3.delete_object_tagging(Bucket=name, Key="k")
    assert s3.get_object_tagging(Bucket=name, Key="k")["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=name, Key="k")
    with pytest.raises(ClientError) as missing:
        s3.get_object_tagging(Bucket=name, Key="missing")
    assert error_code(missing) == "NoSuchKey"


def test_object_tagging_by_version(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=name, Key="k", Body=b"1", Tagging="v=1")["VersionId"]
    second = s3.put_object(Bucket=name, Key="k", Body=b"2", Tagging="v=2")["VersionId"]
    answer = s3.put_object_tagging(
        Bucket=name, Key="k", VersionId=first, Tagging=_tags(("v", "first"))
    )
    assert answer["VersionId"] == first
    old = s3.get_object_tagging(Bucket=name, Key="k", VersionId=first)
    assert (old["VersionId"], old["TagSet"]) == (first, [{"Key": "v", "Value": "first"}])
    current = s3.get_object_tagging(Bucket=name, Key="k")
    assert (current["VersionId"], current["TagSet"]) == (second, [{"Key": "v", "Value": "2"}])
    with pytest.raises(ClientError) as unknown:
        s3.get_object_tagging(Bucket=name, Key="k", VersionId="nope")
    assert error_code(unknown) == "NoSuchVersion"


def test_copy_object_tagging_directive(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="src", Body=b"x", Tagging="a=1")
    s3.copy_object(Bucket=name, Key="copied", CopySource={"Bucket": name, "Key": "src"})
    assert s3.get_object_tagging(Bucket=name, Key="copied")["TagSet"] == [
        {"Key": "a", "Value": "1"}
    ]
    s3.copy_object(
        Bucket=name,
        Key="replaced",
        CopySource={"Bucket": name, "Key": "src"},
        TaggingDirective="REPLACE",
        Tagging="b=2",
    )
    assert s3.get_object_tagging(Bucket=name, Key="replaced")["TagSet"] == [
        {"Key": "b", "Value": "2"}
    ]


@pytest.mark.parametrize(
    "tags",
    [
        [(f"k{i}", "v") for i in range(11)],
        [("k" * 129, "v")],
        [("k", "v" * 257)],
        [("aws:reserved", "v")],
    ],
)
def test_invalid_object_tags(s3: Any, tags: list[tuple[str, str]]) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as refused:
        s3.put_object_tagging(Bucket=name, Key="k", Tagging=_tags(*tags))
    assert error_code(refused) == "InvalidTag"
    assert status_of(refused) == 400


def test_tag_limits_on_buckets_and_headers(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    fifty = [(f"k{i}", "v") for i in range(50)]
    s3.put_bucket_tagging(Bucket=name, Tagging=_tags(*fifty))
    assert len(s3.get_bucket_tagging(Bucket=name)["TagSet"]) == 50
    with pytest.raises(ClientError) as too_many:
        s3.put_bucket_tagging(Bucket=name, Tagging=_tags(*fifty, ("k50", "v")))
    assert error_code(too_many) == "InvalidTag"
    with pytest.raises(ClientError) as duplicate:
        s3.put_bucket_tagging(Bucket=name, Tagging=_tags(("a", "1"), ("a", "2")))
    assert error_code(duplicate) == "InvalidTag"
    header = "&".join(f"k{i}=v" for i in range(11))
    with pytest.raises(ClientError) as header_refused:
        s3.put_object(Bucket=name, Key="k", Body=b"x", Tagging=header)
    assert error_code(header_refused) == "InvalidTag"
    with pytest.raises(ClientError) as not_written:
        s3.head_object(Bucket=name, Key="k")
    assert status_of(not_written) == 404
