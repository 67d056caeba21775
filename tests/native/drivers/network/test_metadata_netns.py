"""The metadata service on real Linux networking: a router namespace serves it at its
gateway address, and at 169.254.169.254 through the nftables redirect the router renders;
guests in another namespace fetch with curl. The asking guest is told apart by its source
address alone. Needs root, iproute2, nftables and curl."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from native.drivers.network.render import nftables
from native.drivers.network.render.nftables import METADATA_ADDRESS
from tests.native.drivers.network.cases import ISOLATED

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("ip", "nft", "curl")),
    reason="needs root, iproute2, nftables and curl to build network namespaces",
)

GATEWAY = "198.18.7.1"
GUESTS = {
    "198.18.7.5": {
        "meta-data": {"instance-id": "i-00000000000000005", "local-ipv4": "198.18.7.5"},
        "public-keys": [["deploy", "ssh-ed25519 AAAAC3Nza deploy@example"]],
        "user-data": "aGVsbG8gZnJvbSB1c2VyIGRhdGEK",
    },
    "198.18.7.6": {
        "meta-data": {"instance-id": "i-00000000000000006", "local-ipv4": "198.18.7.6"},
        "public-keys": [],
        "user-data": None,
    },
}
SERVER = """
import sys
from pathlib import Path
from werkzeug.serving import make_server
from native.drivers.network.metadata_service import MetadataService
make_server("0.0.0.0", 80, MetadataService(vm_data=Path(sys.argv[1])), threaded=True).serve_forever()
"""


@dataclass(frozen=True)
class Namespaces:
    router: str
    guest: str


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _in(namespace: str, *args: str) -> None:
    _ip("netns", "exec", namespace, *args)


@pytest.fixture
def namespaces(tmp_path: Path) -> Iterator[Namespaces]:
    tag = secrets.token_hex(3)
    spaces = Namespaces(router=f"alto-md-r-{tag}", guest=f"alto-md-g-{tag}")
    _ip("netns", "add", spaces.router)
    _ip("netns", "add", spaces.guest)
    server = None
    try:
        _ip(
            "link",
            "add",
            f"mdr{tag}",
            "netns",
            spaces.router,
            "type",
            "veth",
            "peer",
            "name",
            f"mdg{tag}",
            "netns",
            spaces.guest,
        )
        _in(spaces.router, "ip", "addr", "add", f"{GATEWAY}/24", "dev", f"mdr{tag}")
        redirect = _metadata_redirect(f"mdr{tag}")
        subprocess.run(
            ["ip", "netns", "exec", spaces.router, "nft", "-f", "-"],
            input=redirect,
            text=True,
            check=True,
            capture_output=True,
        )
        _in(spaces.router, "ip", "link", "set", f"mdr{tag}", "up")
        for address in GUESTS:
            _in(spaces.guest, "ip", "addr", "add", f"{address}/24", "dev", f"mdg{tag}")
        _in(spaces.guest, "ip", "link", "set", f"mdg{tag}", "up")
        _in(spaces.guest, "ip", "route", "add", "169.254.169.254/32", "via", GATEWAY)
        vm_data = tmp_path / "vm-data.json"
        vm_data.write_text(json.dumps(GUESTS))
        server = subprocess.Popen(
            ["ip", "netns", "exec", spaces.router, sys.executable, "-c", SERVER, str(vm_data)],
            cwd=Path(__file__).resolve().parents[4],
            stderr=subprocess.PIPE,
        )
        yield spaces
    finally:
        if server is not None:
            server.kill()
            server.wait()
        _ip("netns", "del", spaces.router)
        _ip("netns", "del", spaces.guest)


def _metadata_redirect(interface: str) -> str:
    """The rendered router's redirect rule, in a table of its own with the guest interface."""
    rule = next(
        line.strip() for line in nftables.render(ISOLATED).splitlines() if METADATA_ADDRESS in line
    )
    return (
        "table ip alto {\n"
        f'  set guest_ifaces {{ type ifname; elements = {{ "{interface}" }} }}\n'
        "  chain nat_prerouting {\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        f"    {rule}\n"
        "  }\n"
        "}\n"
    )


def _curl(spaces: Namespaces, source: str, url: str, *options: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        answer = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                spaces.guest,
                "curl",
                "-sS",
                "--fail",
                "--interface",
                source,
                *options,
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if answer.returncode != 7 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answer.returncode == 0, answer.stderr
    return answer.stdout


def test_guests_fetch_their_own_data_at_both_addresses(namespaces: Namespaces) -> None:
    for host in ("169.254.169.254", GATEWAY):
        for address, guest in GUESTS.items():
            url = f"http://{host}/latest/meta-data/instance-id"
            assert _curl(namespaces, address, url) == guest["meta-data"]["instance-id"]
    user_data = _curl(namespaces, "198.18.7.5", "http://169.254.169.254/latest/user-data")
    assert user_data == "hello from user data\n"
    key = "http://169.254.169.254/latest/meta-data/public-keys/0/openssh-key"
    assert _curl(namespaces, "198.18.7.5", key).startswith("ssh-ed25519 ")


def test_imdsv2_from_a_guest(namespaces: Namespaces) -> None:
    token = _curl(
        namespaces,
        "198.18.7.6",
        "http://169.254.169.254/latest/api/token",
        "-X",
        "PUT",
        "-H",
        "X-aws-ec2-metadata-token-ttl-seconds: 300",
    )
    header = f"X-aws-ec2-metadata-token: {token}"
    url = "http://169.254.169.254/latest/meta-data/local-ipv4"
    assert _curl(namespaces, "198.18.7.6", url, "-H", header) == "198.18.7.6"
    stolen = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            namespaces.guest,
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--interface",
            "198.18.7.5",
            "-H",
            header,
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert stolen.stdout == "401"
