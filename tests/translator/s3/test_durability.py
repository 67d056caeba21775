"""A server killed hard (SIGKILL of its process group) in the middle of a large PutObject or
UploadPart: after a restart nothing half-written is visible (no object, no part), and a retry
or the completion of the upload from its earlier parts works."""

from __future__ import annotations

import http.client
import os
import signal
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.support.s3 import MIB, Keys, s3_client, server_url
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import unique

DECLARED = 300 * MIB
SENT_BEFORE_KILL = 120 * MIB


def send_part_of(url: str, *, declared: int, sent: int) -> http.client.HTTPConnection:
    """Start a PUT of `declared` bytes to the presigned `url` and send only `sent` of them."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    connection.putrequest("PUT", f"{parts.path}?{parts.query}", skip_accept_encoding=True)
    connection.putheader("Content-Length", str(declared))
    connection.endheaders()
    block = os.urandom(MIB)
    for _ in range(sent // MIB):
        connection.send(block)
    return connection


def kill_hard(server: AltoServer) -> None:
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


@pytest.fixture
def server(start_alto_server: ServerFactory) -> AltoServer:
    return start_alto_server()


def test_put_interrupted_by_sigkill_leaves_no_object(server: AltoServer) -> None:
    s3 = s3_client(server_url(server), Keys.admin_of(server))
    bucket, key = unique("durable"), "big/upload.bin"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="before.txt", Body=b"kept")
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600
    )

    connection = send_part_of(url, declared=DECLARED, sent=SENT_BEFORE_KILL)
    kill_hard(server)
    with pytest.raises(OSError):
        connection.send(b"\0" * MIB)
        connection.getresponse()
    connection.close()
    server.start()

    s3 = s3_client(server_url(server), Keys.admin_of(server))
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key=key)
    assert excinfo.value.response["Error"]["Code"] == "404"
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in listed["Contents"]] == ["before.txt"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.get_object(Bucket=bucket, Key="before.txt")["Body"].read() == b"kept"

    data = os.urandom(3 * MIB)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]) == [
        "before.txt",
        key,
    ]


def test_part_interrupted_by_sigkill_is_not_listed_and_upload_completes(
    server: AltoServer,
) -> None:
    s3 = s3_client(server_url(server), Keys.admin_of(server))
    bucket, key = unique("durable-mp"), "assembled.bin"
    s3.create_bucket(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    first = os.urandom(5 * MIB)
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=first)["ETag"]
    url = s3.generate_presigned_url(
        "upload_part",
        Params={"Bucket": bucket, "Key": key, "UploadId": upload, "PartNumber": 2},
        ExpiresIn=600,
    )

    connection = send_part_of(url, declared=DECLARED, sent=SENT_BEFORE_KILL)
    kill_hard(server)
    connection.close()
    server.start()

    s3 = s3_client(server_url(server), Keys.admin_of(server))
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload).get("Parts", [])
    assert [(part["PartNumber"], part["Size"]) for part in parts] == [(1, len(first))]
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key=key)
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == first
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
