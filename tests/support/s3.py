"""S3 clients on a test server: boto3 and the aws CLI (v1 from the virtualenv, v2 from Debian);
a throwaway Ceph RADOS Gateway (`CephRgw`) as another S3 server.

s3 = s3_client(server_url(server), server.apikey, server.secretkey)
result = aws(AWS_CLI_V2, server_url(server), keys, "s3", "ls")
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from tests.support.server import AltoServer, free_port

AWS_CLI_V1 = Path(sys.executable).with_name("aws")
AWS_CLI_V2 = Path("/usr/bin/aws")
CLI_TIMEOUT = 300.0
MIB = 1024 * 1024


@dataclass(frozen=True)
class Keys:
    """An access key pair."""

    access: str
    secret: str

    @classmethod
    def admin_of(cls, server: AltoServer) -> Keys:
        """The root admin's keys of a running server."""
        return cls(access=server.apikey, secret=server.secretkey)


def server_url(server: AltoServer) -> str:
    """The server's S3 endpoint: its base URL."""
    return f"http://127.0.0.1:{server.port}"


def s3_client(url: str, keys: Keys, **config: Any) -> Any:
    """A boto3 S3 client on `url` (path style, no retries unless `config` says otherwise)."""
    config.setdefault("s3", {"addressing_style": "path"})
    config.setdefault("retries", {"max_attempts": 1})
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=keys.access,
        aws_secret_access_key=keys.secret,
        config=Config(**config),
    )


def cli_env(keys: Keys, *, home: Path) -> dict[str, str]:
    """The environment of an aws CLI run with `keys`, isolated from the user's configuration."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": keys.access,
        "AWS_SECRET_ACCESS_KEY": keys.secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
    }


def aws(cli: Path, url: str, keys: Keys, *args: str, cwd: Path) -> str:
    """Run `cli --endpoint-url url args...` with `keys` in `cwd` (also its HOME); its stdout.
    AssertionError, with stderr, if it exits non-zero."""
    result = subprocess.run(
        [str(cli), "--endpoint-url", url, *args],
        env=cli_env(keys, home=cwd),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (
        f"{cli.name} {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}"
    )
    return result.stdout


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file, read a MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def patterned_file(path: Path, *, size: int) -> Path:
    """Write `size` bytes quickly: a random MiB repeated with a counter, so that parts differ
    and a misplaced part changes the hash."""
    block = os.urandom(MIB)
    with path.open("wb") as file:
        written = 0
        while written < size:
            chunk = (written.to_bytes(8, "big") + block)[: min(MIB, size - written)]
            file.write(chunk)
            written += len(chunk)
    return path


CEPH_TOOLS = (
    "ceph",
    "ceph-authtool",
    "ceph-mon",
    "ceph-osd",
    "monmaptool",
    "radosgw",
    "radosgw-admin",
)
CEPH_STARTUP_TIMEOUT = 120.0
CEPH_CONF = """\
[global]
fsid = {fsid}
mon host = v2:127.0.0.1:{mon_port}
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms client mode = crc
ms mon client mode = crc
ms cluster mode = crc
ms service mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms bind ipv6 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush chooseleaf type = 0
run dir = {root}/run
log file = {root}/$name.log
admin socket = {root}/run/$name.asok
keyring = {root}/keyring
[mon.a]
mon data = {root}/mon
public addr = 127.0.0.1
[osd.0]
osd data = {root}/osd
[client.admin]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw data = {root}/rgw
"""


def ceph_missing() -> str | None:
    """The first Ceph tool not on PATH (Debian packages radosgw, ceph-mon, ceph-osd), or None."""
    return next((tool for tool in CEPH_TOOLS if shutil.which(tool) is None), None)


class CephRgw:
    """A throwaway single-node Ceph (one monitor, one in-memory OSD, no auth) and its RADOS
    Gateway on 127.0.0.1; `url` and `keys` (an RGW user's) once `start()` returned."""

    def __init__(self, *, root: Path) -> None:
        self.root = root
        self.conf = root / "ceph.conf"
        self.url = f"http://127.0.0.1:{free_port()}"
        self.keys = Keys(access=uuid.uuid4().hex[:20].upper(), secret=uuid.uuid4().hex)
        self._processes: list[subprocess.Popen[bytes]] = []

    def _tool(self, *args: str) -> str:
        result = subprocess.run(
            [*args[:1], "-c", str(self.conf), *args[1:]],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr[-2000:]}")
        return result.stdout

    def _daemon(self, *args: str) -> None:
        with (self.root / "daemons.log").open("ab") as log:
            self._processes.append(
                subprocess.Popen(
                    [*args[:1], "-f", "-c", str(self.conf), *args[1:]],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )

    def start(self) -> None:
        """Make and start the cluster, wait for the gateway, create its user. RuntimeError
        (with the gateway's log tail) if it is not serving within CEPH_STARTUP_TIMEOUT s."""
        for name in ("mon", "osd", "rgw", "run"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        fsid, mon_port = str(uuid.uuid4()), free_port()
        self.conf.write_text(
            CEPH_CONF.format(
                fsid=fsid, mon_port=mon_port, root=self.root, rgw_port=urlsplit(self.url).port
            )
        )
        monmap = str(self.root / "monmap")
        subprocess.run(
            ["ceph-authtool", "--create-keyring", str(self.root / "keyring"), "--gen-key",
             "-n", "mon.", "--cap", "mon", "allow *"],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
        subprocess.run(
            ["monmaptool", "--create", "--fsid", fsid, "--addv", "a",
             f"[v2:127.0.0.1:{mon_port}]", monmap],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
        self._tool("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap)
        self._daemon("ceph-mon", "-i", "a")
        osd = self._tool("ceph", "--connect-timeout", "30", "osd", "create").strip()
        self._tool("ceph-osd", "-i", osd, "--mkfs")
        self._daemon("ceph-osd", "-i", osd)
        self._daemon("radosgw", "-n", "client.admin")
        self._wait_for_gateway()
        self._tool(
            "radosgw-admin", "user", "create", "--uid", "alto", "--display-name", "alto",
            "--access-key", self.keys.access, "--secret-key", self.keys.secret,
        )  # fmt: skip

    def _wait_for_gateway(self) -> None:
        deadline = time.monotonic() + CEPH_STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=5):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.5)
        log = (self.root / "client.admin.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"radosgw did not answer on {self.url}:\n{log}")

    def stop(self) -> None:
        """Stop the daemons (SIGTERM, then SIGKILL after 20 s), gateway first."""
        for process in reversed(self._processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
