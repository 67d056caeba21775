"""Multipart uploads through boto3 against a running server: a managed 17 MiB upload and
download, part copies, listings, abort, and the completion errors."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique

MIB = 1024 * 1024


@pytest.fixture
def s3(alto_server: AltoServer, tenant: Tenant) -> Any:
    endpoint = urlsplit(alto_server.endpoint)
    return boto3.client(
        "s3",
        endpoint_url=f"{endpoint.scheme}://{endpoint.netloc}",
        aws_access_key_id=tenant.apikey,
        aws_secret_access_key=tenant.secretkey,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@pytest.fixture
def bucket(s3: Any) -> Iterator[str]:
    name = unique("mp")
    s3.create_bucket(Bucket=name)
    yield name


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_managed_upload_and_download_of_17_mib(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = os.urandom(17 * MIB)
    source, target = tmp_path / "source.bin", tmp_path / "target.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(str(source), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    chunks = [data[start : start + 5 * MIB] for start in range(0, len(data), 5 * MIB)]
    digests = b"".join(hashlib.md5(chunk, usedforsecurity=False).digest() for chunk in chunks)
    assert head["ETag"] == f'"{md5(digests)}-{len(chunks)}"'
    s3.download_file(bucket, "big.bin", str(target))
    assert target.read_bytes() == data
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_parts_listings_copy_and_abort(s3: Any, bucket: str) -> None:
    source = os.urandom(5 * MIB + 10)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="dir/assembled", ContentType="text/plain", Metadata={"colour": "red"}
    )
    upload_id = created["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dir/assembled",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"},
    )
    assert copied["CopyPartResult"]["ETag"] == f'"{md5(source)}"'
    ranged = s3.upload_part_copy(
        Bucket=bucket,
        Key="dir/assembled",
        UploadId=upload_id,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange=f"bytes=1-{5 * MIB}",
    )
    assert ranged["CopyPartResult"]["ETag"] == f'"{md5(source[1 : 5 * MIB + 1])}"'
    last = s3.upload_part(
        Bucket=bucket, Key="dir/assembled", UploadId=upload_id, PartNumber=3, Body=b"tail"
    )
    s3.upload_part(
        Bucket=bucket, Key="dir/assembled", UploadId=upload_id, PartNumber=4, Body=b"tail"
    )
    parts = s3.list_parts(Bucket=bucket, Key="dir/assembled", UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2]
    assert parts["IsTruncated"] and parts["NextPartNumberMarker"] == 2
    other = s3.create_multipart_upload(Bucket=bucket, Key="other")["UploadId"]
    uploads = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in uploads["Uploads"]] == ["other"]
    assert uploads["CommonPrefixes"] == [{"Prefix": "dir/"}]

    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="dir/assembled",
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]},
                    {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
                ]
            },
        )
    assert error_code(excinfo) == "InvalidPartOrder"
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="dir/assembled",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": f'"{md5(b"wrong")}"'}]},
        )
    assert error_code(excinfo) == "InvalidPart"
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="dir/assembled",
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": 3, "ETag": last["ETag"]},
                    {"PartNumber": 4, "ETag": last["ETag"]},
                ]
            },
        )
    assert error_code(excinfo) == "EntityTooSmall"

    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dir/assembled",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]},
                {"PartNumber": 3, "ETag": last["ETag"]},
            ]
        },
    )
    got = s3.get_object(Bucket=bucket, Key="dir/assembled")
    assert got["Body"].read() == source + source[1 : 5 * MIB + 1] + b"tail"
    assert (got["ContentType"], got["Metadata"]) == ("text/plain", {"colour": "red"})

    s3.abort_multipart_upload(Bucket=bucket, Key="other", UploadId=other)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(ClientError) as excinfo:
        s3.abort_multipart_upload(Bucket=bucket, Key="other", UploadId=other)
    assert error_code(excinfo) == "NoSuchUpload"
    with pytest.raises(ClientError) as excinfo:
        s3.upload_part(Bucket=bucket, Key="other", UploadId=other, PartNumber=1, Body=b"x")
    assert error_code(excinfo) == "NoSuchUpload"
