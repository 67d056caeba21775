"""SSE-S3 through boto3 against a real server: bucket default encryption configuration,
PutObject with x-amz-server-side-encryption, data encrypted on the pool, plain reads and
ranged reads, SSE-KMS refused."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.translator.s3.conftest import bucket_name

AES256_RULES = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def bucket(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name


def stored_files(admin: CloudStack, bucket: str) -> list[bytes]:
    """The bytes of every file of the bucket's container on its (local) pool."""
    [row] = admin.listBuckets(name=bucket, listall=True)["bucket"]
    [pool] = admin.listObjectStoragePools(id=row["objectstorageid"])["objectstore"]
    container = Path(urlparse(pool["url"]).path) / row["id"]
    return [path.read_bytes() for path in container.rglob("*") if path.is_file()]


def test_bucket_encryption_configuration(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as none:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error_code(none) == "ServerSideEncryptionConfigurationNotFoundError"

    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=AES256_RULES)

    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert got == AES256_RULES
    s3.delete_bucket_encryption(Bucket=bucket)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error_code(deleted) == "ServerSideEncryptionConfigurationNotFoundError"


def test_kms_is_not_implemented(s3: Any, bucket: str) -> None:
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    assert error_code(refused) == "NotImplemented"
    assert "SSE-KMS is not supported" in str(refused.value)
    with pytest.raises(ClientError) as put:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    assert error_code(put) == "InvalidArgument"


def test_put_object_with_sse_header_is_encrypted_at_rest(
    s3: Any, bucket: str, admin: CloudStack
) -> None:
    marker = f"MARKER-{uuid.uuid4().hex}".encode()
    data = (marker + os.urandom(3000)) * 200

    put = s3.put_object(Bucket=bucket, Key="secret", Body=data, ServerSideEncryption="AES256")

    assert put["ServerSideEncryption"] == "AES256"
    [stored] = stored_files(admin, bucket)
    assert len(stored) == len(data) and stored != data and marker not in stored
    got = s3.get_object(Bucket=bucket, Key="secret")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="secret")["ServerSideEncryption"] == "AES256"
    ranged = s3.get_object(Bucket=bucket, Key="secret", Range="bytes=4095-70000")
    assert ranged["Body"].read() == data[4095:70001]
    assert ranged["ContentRange"] == f"bytes 4095-70000/{len(data)}"


def test_bucket_default_applies_to_new_objects(s3: Any, bucket: str, admin: CloudStack) -> None:
    marker = f"MARKER-{uuid.uuid4().hex}".encode()
    s3.put_object(Bucket=bucket, Key="plain", Body=marker)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=AES256_RULES)
    put = s3.put_object(Bucket=bucket, Key="sealed", Body=marker * 3)

    assert put["ServerSideEncryption"] == "AES256"
    assert "ServerSideEncryption" not in s3.head_object(Bucket=bucket, Key="plain")
    assert sorted(stored.count(marker) for stored in stored_files(admin, bucket)) == [0, 1]
    assert s3.get_object(Bucket=bucket, Key="sealed")["Body"].read() == marker * 3
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"})
    assert s3.head_object(Bucket=bucket, Key="copy")["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == marker
    assert sorted(stored.count(marker) for stored in stored_files(admin, bucket)) == [0, 0, 1]


def test_multipart_uploads_follow_the_bucket_default(
    s3: Any, bucket: str, admin: CloudStack
) -> None:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=AES256_RULES)
    marker = f"MARKER-{uuid.uuid4().hex}".encode()
    first, last = marker + os.urandom(5 * 1024 * 1024), marker + b"tail"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=n, Body=body)["ETag"]
        for n, body in ((1, first), (2, last))
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags)]},
    )

    assert s3.head_object(Bucket=bucket, Key="big")["ServerSideEncryption"] == "AES256"
    [stored] = stored_files(admin, bucket)
    assert len(stored) == len(first) + len(last) and marker not in stored
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == first + last
