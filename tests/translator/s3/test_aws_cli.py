"""The aws CLI against a running server, v1 (the virtualenv's awscli) and v2 (Debian's
/usr/bin/aws, which uploads aws-chunked bodies with trailing checksums)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.s3 import AWS_CLI_V1, AWS_CLI_V2, MIB, Keys, aws, patterned_file, sha256_of
from tests.support.tenants import Tenant
from tests.translator.s3.conftest import bucket_name


@pytest.fixture(
    params=[
        pytest.param(AWS_CLI_V1, id="v1"),
        pytest.param(
            AWS_CLI_V2,
            id="v2",
            marks=pytest.mark.skipif(
                not AWS_CLI_V2.exists(),
                reason="aws CLI v2 absent: install Debian's awscli (apt-get install awscli)",
            ),
        ),
    ]
)
def cli(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    if not path.exists():
        pytest.fail(f"{path} is missing: the virtualenv should have awscli")
    return path


class Cli:
    """`run(*args)`: the CLI as the tenant, in a scratch directory."""

    def __init__(self, cli: Path, url: str, keys: Keys, home: Path) -> None:
        self.cli, self.url, self.keys, self.home = cli, url, keys, home

    def run(self, *args: str) -> str:
        return aws(self.cli, self.url, self.keys, *args, cwd=self.home)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--output", "json"))


@pytest.fixture
def run(cli: Path, s3_url: str, tenant: Tenant, pool: dict[str, Any], tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir()
    return Cli(cli, s3_url, Keys(tenant.apikey, tenant.secretkey), home)


@pytest.fixture
def bucket(run: Cli) -> str:
    name = bucket_name()
    assert f"make_bucket: {name}" in run.run("s3", "mb", f"s3://{name}")
    return name


def test_mb_cp_up_and_down_ls_rm(run: Cli, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from the aws cli\n" * 1000)
    run.run("s3", "cp", str(source), f"s3://{bucket}/docs/hello.txt")
    target = tmp_path / "back.txt"
    run.run("s3", "cp", f"s3://{bucket}/docs/hello.txt", str(target))
    assert target.read_bytes() == source.read_bytes()

    listing = run.run("s3", "ls", f"s3://{bucket}/docs/")
    assert "hello.txt" in listing
    assert str(source.stat().st_size) in listing
    assert bucket in run.run("s3", "ls")

    run.run("s3", "rm", f"s3://{bucket}/docs/hello.txt")
    assert run.run("s3", "ls", f"s3://{bucket}/", "--recursive") == ""
    run.run("s3", "rb", f"s3://{bucket}")
    assert bucket not in run.run("s3", "ls")


def test_sync_ls_recursive_rm_recursive(run: Cli, bucket: str, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    files = {"a.txt": b"a", "sub/b.txt": b"bb" * 100, "sub/deeper/c.bin": bytes(range(256))}
    for name, data in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    run.run("s3", "sync", str(tree), f"s3://{bucket}/tree")

    listing = run.run("s3", "ls", f"s3://{bucket}/", "--recursive")
    listed = {line.split()[-1]: int(line.split()[-2]) for line in listing.splitlines()}
    assert listed == {f"tree/{name}": len(data) for name, data in files.items()}
    assert "upload:" not in run.run("s3", "sync", str(tree), f"s3://{bucket}/tree")

    copy = tmp_path / "copy"
    run.run("s3", "sync", f"s3://{bucket}/tree", str(copy))
    assert {name: (copy / name).read_bytes() for name in files} == files

    run.run("s3", "rm", f"s3://{bucket}/tree", "--recursive")
    assert run.run("s3", "ls", f"s3://{bucket}/", "--recursive") == ""


def test_presigned_url_fetches_the_object(run: Cli, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "shared.txt"
    source.write_bytes(b"presigned content")
    run.run("s3", "cp", str(source), f"s3://{bucket}/shared.txt")
    url = run.run("s3", "presign", f"s3://{bucket}/shared.txt", "--expires-in", "300").strip()
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"presigned content"


def test_s3api_put_head_list(run: Cli, bucket: str, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(b'{"k": 1}')
    put = run.json(
        "s3api", "put-object", "--bucket", bucket, "--key", "data/one.json",
        "--body", str(body), "--content-type", "application/json",
        "--metadata", "color=blue",
    )  # fmt: skip
    head = run.json("s3api", "head-object", "--bucket", bucket, "--key", "data/one.json")
    assert head["ETag"] == put["ETag"]
    assert head["ContentLength"] == 8
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"color": "blue"}

    listed = run.json(
        "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "data/", "--no-paginate"
    )
    assert [(item["Key"], item["Size"]) for item in listed["Contents"]] == [("data/one.json", 8)]
    assert listed["KeyCount"] == 1


def test_multipart_copy_of_200_mib_up_and_down(run: Cli, bucket: str, tmp_path: Path) -> None:
    source = patterned_file(tmp_path / "big.bin", size=200 * MIB)
    run.run("s3", "cp", str(source), f"s3://{bucket}/big.bin")
    head = run.json("s3api", "head-object", "--bucket", bucket, "--key", "big.bin")
    assert head["ContentLength"] == 200 * MIB
    assert "-" in head["ETag"]

    target = tmp_path / "back.bin"
    run.run("s3", "cp", f"s3://{bucket}/big.bin", str(target))
    assert sha256_of(target) == sha256_of(source)
