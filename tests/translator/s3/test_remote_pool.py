"""A MinIO-provider pool whose S3 server is a second Alto, or a Ceph RADOS Gateway when Ceph is
installed: objects put through the first Alto's S3 endpoint really live in a bucket there."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from tests.support.api import wait_for_job
from tests.support.s3 import (
    AWS_CLI_V2,
    MIB,
    CephRgw,
    Keys,
    aws,
    ceph_missing,
    cli_env,
    patterned_file,
    s3_client,
    server_url,
    sha256_of,
)
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import admin_client, new_account, unique


@dataclass(frozen=True)
class Backend:
    """The S3 server behind the pool: its endpoint and the keys the pool uses."""

    url: str
    keys: Keys


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    servers = ServerFactory(root=tmp_path_factory.mktemp("remote-pool"))
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="module")
def front(factory: ServerFactory) -> AltoServer:
    """The Alto whose pool is remote; tests talk S3 to it."""
    return factory()


@pytest.fixture(scope="module", params=["alto", "ceph"])
def backend(
    request: pytest.FixtureRequest,
    factory: ServerFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Backend]:
    """A second Alto (its admin's keys), or a throwaway Ceph RADOS Gateway if installed."""
    if request.param == "alto":
        server = factory()
        yield Backend(url=server_url(server), keys=Keys.admin_of(server))
        return
    missing = ceph_missing()
    if missing is not None:
        pytest.skip(
            f"Ceph is not installed ({missing} missing: apt-get install radosgw ceph-mon ceph-osd)"
        )
    ceph = CephRgw(root=tmp_path_factory.mktemp("ceph"))
    try:
        ceph.start()
        yield Backend(url=ceph.url, keys=ceph.keys)
    finally:
        ceph.stop()


@pytest.fixture(scope="module")
def prefix(backend: Backend) -> str:
    return unique("front").lower() + "-"


@pytest.fixture(scope="module")
def remote_pool(front: AltoServer, backend: Backend, prefix: str) -> dict[str, Any]:
    """The front's MinIO-provider pool on the backend's S3 endpoint."""
    details = {
        "accesskey": backend.keys.access,
        "secretkey": backend.keys.secret,
        "bucketprefix": prefix,
    }
    params: dict[str, str] = {}
    for index, (key, value) in enumerate(details.items()):
        params[f"details[{index}].key"] = key
        params[f"details[{index}].value"] = value
    pool = admin_client(front).addObjectStoragePool(
        name=unique("remote"), provider="MinIO", url=backend.url, **params
    )["objectstore"]
    return dict(pool)


@pytest.fixture(scope="module")
def bucket(front: AltoServer, remote_pool: dict[str, Any]) -> tuple[str, str, Keys]:
    """(name, uuid, tenant keys): a tenant's bucket of the front on the remote pool."""
    admin = admin_client(front)
    domain = admin.createDomain(name=unique("dom"))["domain"]
    tenant = new_account(admin, domainid=domain["id"], endpoint=front.endpoint)
    client = tenant.client()
    name = unique("rbkt")
    job = wait_for_job(
        client, client.createBucket(name=name, objectstorageid=remote_pool["id"])["jobid"]
    )
    return name, job["jobresult"]["bucket"]["id"], Keys(tenant.apikey, tenant.secretkey)


@pytest.fixture(scope="module")
def front_s3(front: AltoServer, bucket: tuple[str, str, Keys]) -> Any:
    return s3_client(server_url(front), bucket[2])


@pytest.fixture(scope="module")
def backend_s3(backend: Backend) -> Any:
    return s3_client(backend.url, backend.keys)


def backing_keys(backend_s3: Any, backing_bucket: str) -> dict[str, int]:
    listed = backend_s3.list_objects_v2(Bucket=backing_bucket).get("Contents", [])
    return {item["Key"]: item["Size"] for item in listed}


def test_pool_is_up_and_bucket_is_made_on_the_backend(
    remote_pool: dict[str, Any], bucket: tuple[str, str, Keys], backend_s3: Any, prefix: str
) -> None:
    assert remote_pool["providername"] == "MinIO"
    names = [item["Name"] for item in backend_s3.list_buckets()["Buckets"]]
    assert prefix + bucket[1] in names


def test_put_get_list_delete_through_the_front(
    front_s3: Any, backend_s3: Any, bucket: tuple[str, str, Keys], prefix: str
) -> None:
    name, backing = bucket[0], prefix + bucket[1]
    data = os.urandom(100_000)
    front_s3.put_object(Bucket=name, Key="dir/a.bin", Body=data, ContentType="x/y")
    front_s3.put_object(Bucket=name, Key="empty", Body=b"")

    got = front_s3.get_object(Bucket=name, Key="dir/a.bin")
    assert got["Body"].read() == data
    assert got["ContentType"] == "x/y"
    ranged = front_s3.get_object(Bucket=name, Key="dir/a.bin", Range="bytes=10-19")
    assert ranged["Body"].read() == data[10:20]
    assert front_s3.get_object(Bucket=name, Key="empty")["Body"].read() == b""
    listed = front_s3.list_objects_v2(Bucket=name, Prefix="dir/")["Contents"]
    assert [(item["Key"], item["Size"]) for item in listed] == [("dir/a.bin", len(data))]

    stored = backing_keys(backend_s3, backing)
    assert len(data) in stored.values()

    front_s3.copy_object(
        Bucket=name, Key="copy.bin", CopySource={"Bucket": name, "Key": "dir/a.bin"}
    )
    assert front_s3.get_object(Bucket=name, Key="copy.bin")["Body"].read() == data

    for key in ("dir/a.bin", "empty", "copy.bin"):
        front_s3.delete_object(Bucket=name, Key=key)
    with pytest.raises(ClientError) as excinfo:
        front_s3.head_object(Bucket=name, Key="dir/a.bin")
    assert excinfo.value.response["Error"]["Code"] == "404"
    assert "Contents" not in front_s3.list_objects_v2(Bucket=name)
    assert backing_keys(backend_s3, backing) == {}


def test_multipart_upload_of_12_mib_lives_on_the_backend(
    front_s3: Any, backend_s3: Any, bucket: tuple[str, str, Keys], prefix: str
) -> None:
    name, backing = bucket[0], prefix + bucket[1]
    data = os.urandom(12 * MIB)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    front_s3.upload_fileobj(io.BytesIO(data), name, "big.bin", Config=config)

    head = front_s3.head_object(Bucket=name, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")
    downloaded = io.BytesIO()
    front_s3.download_fileobj(name, "big.bin", downloaded, Config=config)
    assert hashlib.sha256(downloaded.getvalue()).digest() == hashlib.sha256(data).digest()
    assert len(data) in backing_keys(backend_s3, backing).values()

    front_s3.delete_object(Bucket=name, Key="big.bin")
    assert backing_keys(backend_s3, backing) == {}


def test_deleting_the_bucket_removes_the_backing_bucket(
    front: AltoServer, remote_pool: dict[str, Any], backend_s3: Any
) -> None:
    prefix_names = {item["Name"] for item in backend_s3.list_buckets()["Buckets"]}
    front_s3 = s3_client(server_url(front), Keys.admin_of(front))
    name = unique("gone")
    admin = admin_client(front)
    job = wait_for_job(
        admin, admin.createBucket(name=name, objectstorageid=remote_pool["id"])["jobid"]
    )
    front_s3.put_object(Bucket=name, Key="k", Body=b"v")
    created = {item["Name"] for item in backend_s3.list_buckets()["Buckets"]} - prefix_names
    assert len(created) == 1
    assert job["jobresult"]["bucket"]["id"] in created.pop()

    front_s3.delete_object(Bucket=name, Key="k")
    front_s3.delete_bucket(Bucket=name)
    remaining = {item["Name"] for item in backend_s3.list_buckets()["Buckets"]}
    assert remaining == prefix_names


def test_encrypted_object_round_trips_and_is_sealed_on_the_backend(
    front_s3: Any, backend_s3: Any, bucket: tuple[str, str, Keys], prefix: str
) -> None:
    name, backing = bucket[0], prefix + bucket[1]
    data = b"secret payload " * 70_000
    front_s3.put_object(Bucket=name, Key="sealed", Body=data, ServerSideEncryption="AES256")
    got = front_s3.get_object(Bucket=name, Key="sealed")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == data
    (stored,) = backing_keys(backend_s3, backing)
    raw = backend_s3.get_object(Bucket=backing, Key=stored)["Body"].read()
    assert b"secret payload" not in raw
    front_s3.delete_object(Bucket=name, Key="sealed")


@pytest.mark.skipif(not AWS_CLI_V2.exists(), reason="aws CLI v2 absent (Debian's awscli)")
def test_aws_cli_v2_chunked_and_streamed_uploads(
    front: AltoServer,
    bucket: tuple[str, str, Keys],
    backend_s3: Any,
    prefix: str,
    tmp_path: Path,
) -> None:
    name, backing, keys = bucket[0], prefix + bucket[1], bucket[2]
    url = server_url(front)
    source = patterned_file(tmp_path / "up.bin", size=20 * MIB)
    aws(AWS_CLI_V2, url, keys, "s3", "cp", str(source), f"s3://{name}/file.bin", cwd=tmp_path)
    with source.open("rb") as stdin:
        streamed = subprocess.run(
            [str(AWS_CLI_V2), "--endpoint-url", url, "s3", "cp", "-", f"s3://{name}/stream.bin"],
            stdin=stdin,
            env=cli_env(keys, home=tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert streamed.returncode == 0, streamed.stderr
    for key in ("file.bin", "stream.bin"):
        target = tmp_path / f"{key}.down"
        aws(AWS_CLI_V2, url, keys, "s3", "cp", f"s3://{name}/{key}", str(target), cwd=tmp_path)
        assert sha256_of(target) == sha256_of(source)
    assert sorted(backing_keys(backend_s3, backing).values()) == [20 * MIB, 20 * MIB]
    aws(AWS_CLI_V2, url, keys, "s3", "rm", f"s3://{name}/", "--recursive", cwd=tmp_path)
    assert backing_keys(backend_s3, backing) == {}


def test_upload_of_unknown_length_goes_up_in_parts(
    front_s3: Any, backend_s3: Any, bucket: tuple[str, str, Keys], prefix: str
) -> None:
    name, backing = bucket[0], prefix + bucket[1]
    url = urlsplit(
        front_s3.generate_presigned_url(
            "put_object", Params={"Bucket": name, "Key": "chunked"}, ExpiresIn=300
        )
    )
    block = os.urandom(MIB)
    connection = http.client.HTTPConnection(url.netloc, timeout=120)
    connection.request(
        "PUT", f"{url.path}?{url.query}", body=iter([block] * 20), encode_chunked=True
    )
    response = connection.getresponse()
    assert response.status == 200, response.read()
    connection.close()

    got = front_s3.get_object(Bucket=name, Key="chunked")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(block * 20).digest()
    assert list(backing_keys(backend_s3, backing).values()) == [20 * MIB]
    front_s3.delete_object(Bucket=name, Key="chunked")
