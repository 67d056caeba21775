"""S3 authentication and addressing: keys, presigned URLs, virtual hosts, the aws CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.tenants import Tenant
from tests.translator.s3.conftest import S3Factory, bucket_name
from tests.translator.s3.test_buckets import error_code, status_of

AWS = Path(sys.executable).parent / "aws"


def test_wrong_secret(make_s3: S3Factory, tenant: Tenant) -> None:
    with pytest.raises(ClientError) as refused:
        make_s3(tenant, secret="not-the-secret").list_buckets()
    assert error_code(refused) == "SignatureDoesNotMatch"
    assert status_of(refused) == 403


def test_unknown_and_disabled_keys(make_s3: S3Factory, tenant: Tenant, admin: CloudStack) -> None:
    stranger = Tenant(**{**vars(tenant), "apikey": "AKIDUNKNOWN"})
    with pytest.raises(ClientError) as unknown:
        make_s3(stranger).list_buckets()
    assert error_code(unknown) == "InvalidAccessKeyId"
    s3 = make_s3(tenant)
    s3.list_buckets()
    assert admin.disableUser(id=tenant.user_id, fetch_result=True)["user"]["state"] == "disabled"
    with pytest.raises(ClientError) as disabled:
        s3.list_buckets()
    assert error_code(disabled) == "InvalidAccessKeyId"


def test_anonymous_requests_are_denied(s3: Any, s3_url: str) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"private")
    for url in (f"{s3_url}/{name}/k", f"{s3_url}/{name}", f"{s3_url}/"):
        answer = requests.get(url, timeout=30)
        assert answer.status_code == 403
        assert b"<Code>AccessDenied</Code>" in answer.content


def test_presigned_get_sigv4(make_s3: S3Factory, tenant: Tenant) -> None:
    s3 = make_s3(tenant, signature_version="s3v4")
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="dir/presigned v4", Body=b"v4 data")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": name, "Key": "dir/presigned v4"}, ExpiresIn=300
    )
    assert "X-Amz-Signature=" in url
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200
    assert answer.content == b"v4 data"
    tampered = requests.get(url.replace("presigned%20v4", "other"), timeout=30)
    assert tampered.status_code == 403


def test_presigned_get_default_sigv2(s3: Any) -> None:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="v2 key", Body=b"v2 data")
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": name, "Key": "v2 key", "ResponseContentType": "text/v2"},
        ExpiresIn=300,
    )
    assert "AWSAccessKeyId=" in url
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200
    assert answer.content == b"v2 data"
    assert answer.headers["Content-Type"] == "text/v2"
    tampered = requests.get(url.replace("text%2Fv2", "text%2Fv3"), timeout=30)
    assert tampered.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in tampered.content


def test_virtual_host_addressing(make_s3: S3Factory, tenant: Tenant, s3_url: str) -> None:
    """`<bucket>.localhost` addresses the bucket; the test sends the requests to 127.0.0.1
    with the virtual host in the Host header, as `*.localhost` need not resolve here."""
    port = s3_url.rsplit(":", 1)[1]
    s3 = make_s3(tenant, endpoint=f"http://localhost:{port}", s3={"addressing_style": "virtual"})

    def to_loopback(request: Any, **_: Any) -> None:
        host = request.url.split("/")[2]
        request.headers["Host"] = host
        request.url = request.url.replace(host, f"127.0.0.1:{port}", 1)

    s3.meta.events.register_last("before-send.s3", to_loopback)
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="client/api", Body=b"virtual")
    assert s3.get_object(Bucket=name, Key="client/api")["Body"].read() == b"virtual"
    listed = s3.list_objects_v2(Bucket=name)
    assert [item["Key"] for item in listed["Contents"]] == ["client/api"]


@pytest.mark.skipif(not AWS.exists(), reason="the aws CLI is not installed")
def test_aws_cli(tenant: Tenant, s3_url: str, pool: dict[str, Any], tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": tenant.apikey,
        "AWS_SECRET_ACCESS_KEY": tenant.secretkey,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    def aws(*args: str) -> str:
        done = subprocess.run(
            [str(AWS), "--endpoint-url", s3_url, "s3", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    name = bucket_name()
    source = tmp_path / "upload.bin"
    source.write_bytes(os.urandom(300_000))
    aws("mb", f"s3://{name}")
    aws("cp", str(source), f"s3://{name}/dir/upload.bin")
    assert "upload.bin" in aws("ls", f"s3://{name}/dir/")
    assert name in aws("ls")
    aws("cp", f"s3://{name}/dir/upload.bin", str(tmp_path / "download.bin"))
    assert (tmp_path / "download.bin").read_bytes() == source.read_bytes()
    aws("rm", f"s3://{name}/dir/upload.bin")
    aws("rb", f"s3://{name}")
    assert name not in aws("ls")
