"""S3 object operations through boto3 against a real server."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import botocore.httpchecksum
import pytest
from botocore.exceptions import ClientError

from tests.translator.s3.conftest import bucket_name
from tests.translator.s3.test_buckets import error_code, status_of


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.fixture
def bucket(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name


def test_put_get_round_trip(s3: Any, bucket: str) -> None:
    data = b"hello, object"
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/a b+c.txt",
        Body=data,
        ContentType="text/plain",
        ContentEncoding="identity",
        ContentDisposition="attachment",
        CacheControl="no-cache",
        ContentLanguage="en",
        Expires=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        Metadata={"colour": "blue"},
    )
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dir/a b+c.txt")
    assert got["Body"].read() == data
    assert got["ETag"] == put["ETag"]
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "text/plain"
    assert got["ContentEncoding"] == "identity"
    assert got["ContentDisposition"] == "attachment"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "en"
    assert got["Expires"] == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert got["Metadata"] == {"colour": "blue"}
    assert "VersionId" not in got
    head = s3.head_object(Bucket=bucket, Key="dir/a b+c.txt")
    assert head["ContentLength"] == len(data)
    assert head["Metadata"] == {"colour": "blue"}
    overridden = s3.get_object(
        Bucket=bucket,
        Key="dir/a b+c.txt",
        ResponseContentType="application/x-test",
        ResponseCacheControl="max-age=5",
    )
    assert overridden["ContentType"] == "application/x-test"
    assert overridden["CacheControl"] == "max-age=5"


def test_missing_objects(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="nope")
    assert error_code(missing) == "NoSuchKey"
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket=bucket, Key="nope")
    assert status_of(head) == 404
    with pytest.raises(ClientError) as no_bucket:
        s3.get_object(Bucket=bucket_name(), Key="k")
    assert error_code(no_bucket) == "NoSuchBucket"


def test_ranges(s3: Any, bucket: str) -> None:
    data = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    part = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == f"bytes 10-19/{len(data)}"
    assert part["Body"].read() == data[10:20]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")["Body"].read() == data[-5:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=1000-")["Body"].read() == data[1000:]
    with pytest.raises(ClientError) as unsatisfiable:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=5000-6000")
    assert error_code(unsatisfiable) == "InvalidRange"
    assert status_of(unsatisfiable) == 416
    etag = s3.head_object(Bucket=bucket, Key="r")["ETag"]
    with pytest.raises(ClientError) as unchanged:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=5000-6000", IfNoneMatch=etag)
    assert status_of(unchanged) == 304
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=5000-6000", IfMatch='"0000"')
    assert status_of(failed) == 412


def test_conditional_reads(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"data")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"data"
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert error_code(failed) == "PreconditionFailed"
    assert status_of(failed) == 412
    with pytest.raises(ClientError) as unchanged:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status_of(unchanged) == 304
    with pytest.raises(ClientError) as not_modified:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=modified)
    assert status_of(not_modified) == 304
    earlier = modified - dt.timedelta(days=1)
    with pytest.raises(ClientError) as too_old:
        s3.head_object(Bucket=bucket, Key="c", IfUnmodifiedSince=earlier)
    assert status_of(too_old) == 412
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=earlier)["ContentLength"] == 4


def test_bad_digest(s3: Any, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as bad:
        s3.put_object(Bucket=bucket, Key="d", Body=b"data", ContentMD5=wrong)
    assert error_code(bad) == "BadDigest"
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="d")
    assert status_of(missing) == 404
    right = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    s3.put_object(Bucket=bucket, Key="d", Body=b"data", ContentMD5=right)


def test_large_streaming_upload(
    s3: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3's default upload: aws-chunked with a CRC32 trailer (which botocore sends only
    over TLS: the test makes it believe the plain-HTTP endpoint is https)."""
    real_urlparse = botocore.httpchecksum.urlparse
    monkeypatch.setattr(
        botocore.httpchecksum, "urlparse", lambda url: real_urlparse(url)._replace(scheme="https")
    )
    sent: list[dict[str, str]] = []

    def capture(request: Any, **_: Any) -> None:
        sent.append({name.lower(): _text(value) for name, value in request.headers.items()})

    s3.meta.events.register("before-send.s3.PutObject", capture)
    source = tmp_path / "big.bin"
    data = os.urandom(20 * 1024 * 1024)
    source.write_bytes(data)
    with source.open("rb") as body:
        s3.put_object(Bucket=bucket, Key="big", Body=body, ContentEncoding="gzip")
    [headers] = sent
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert headers["content-encoding"] == "gzip,aws-chunked"
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["ContentLength"] == len(data)
    assert got["ContentEncoding"] == "gzip"
    assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    received = hashlib.sha256()
    for chunk in got["Body"].iter_chunks(1024 * 1024):
        received.update(chunk)
    assert received.digest() == hashlib.sha256(data).digest()


def test_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    deleted = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "missing"}]}
    )
    assert sorted(item["Key"] for item in deleted["Deleted"]) == ["b", "missing"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object(s3: Any, bucket: str) -> None:
    put = s3.put_object(
        Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/x", Metadata={"m": "1"}
    )
    other = bucket_name()
    s3.create_bucket(Bucket=other)
    copied = s3.copy_object(Bucket=other, Key="dst", CopySource=f"{bucket}/src")
    assert copied["CopyObjectResult"]["ETag"] == put["ETag"]
    got = s3.get_object(Bucket=other, Key="dst")
    assert got["Body"].read() == b"copy me"
    assert got["ContentType"] == "text/x"
    assert got["Metadata"] == {"m": "1"}
    s3.copy_object(
        Bucket=bucket,
        Key="src",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        ContentType="text/y",
        Metadata={"n": "2"},
    )
    replaced = s3.head_object(Bucket=bucket, Key="src")
    assert (replaced["ContentType"], replaced["Metadata"]) == ("text/y", {"n": "2"})
    with pytest.raises(ClientError) as to_itself:
        s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert error_code(to_itself) == "InvalidRequest"
    with pytest.raises(ClientError) as failed:
        s3.copy_object(
            Bucket=other, Key="x", CopySource=f"{bucket}/src", CopySourceIfMatch='"0000"'
        )
    assert status_of(failed) == 412
    with pytest.raises(ClientError) as missing:
        s3.copy_object(Bucket=other, Key="x", CopySource=f"{bucket}/nope")
    assert error_code(missing) == "NoSuchKey"


def test_versioned_objects(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="v", Body=b"two")["VersionId"]
    assert first != second
    old = s3.get_object(Bucket=bucket, Key="v", VersionId=first)
    assert old["Body"].read() == b"one"
    assert old["VersionId"] == first
    deleted = s3.delete_object(Bucket=bucket, Key="v")
    assert deleted["DeleteMarker"] is True
    with pytest.raises(ClientError) as hidden:
        s3.get_object(Bucket=bucket, Key="v")
    assert error_code(hidden) == "NoSuchKey"
    assert hidden.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == (
        "true"
    )
    versions = s3.list_object_versions(Bucket=bucket)
    assert [item["VersionId"] for item in versions["Versions"]] == [second, first]
    [marker] = versions["DeleteMarkers"]
    assert marker["VersionId"] == deleted["VersionId"]
    assert marker["IsLatest"] is True
    with pytest.raises(ClientError) as marker_read:
        s3.get_object(Bucket=bucket, Key="v", VersionId=deleted["VersionId"])
    assert error_code(marker_read) == "MethodNotAllowed"
    assert status_of(marker_read) == 405
    with pytest.raises(ClientError) as unknown:
        s3.get_object(Bucket=bucket, Key="v", VersionId="no-such-version")
    assert error_code(unknown) == "NoSuchVersion"
    s3.delete_object(Bucket=bucket, Key="v", VersionId=deleted["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"two"


def test_unversioned_versions_are_null(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="n", Body=b"x")
    [version] = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert version["VersionId"] == "null"
    assert version["IsLatest"] is True
