"""The router's metadata service over a rendered vm-data.json: EC2's paths, each guest
seeing only its own data, and IMDSv2 tokens."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from werkzeug.test import Client, TestResponse

from native.drivers.network.metadata_service import MetadataService
from native.drivers.network.render.metadata import render
from tests.native.drivers.network.cases import ISOLATED

WEB_1 = "10.1.1.5"
WEB_2 = "10.1.1.6"


@pytest.fixture
def service(tmp_path: Path) -> MetadataService:
    path = tmp_path / "vm-data.json"
    path.write_text(render(ISOLATED))
    return MetadataService(vm_data=path)


def _get(service: MetadataService, path: str, *, source: str, **headers: str) -> TestResponse:
    client = Client(service)
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": source})


def _token(
    service: MetadataService, *, source: str, ttl: str = "60", **headers: str
) -> TestResponse:
    client = Client(service)
    return client.put(
        "/latest/api/token",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl, **headers},
        environ_base={"REMOTE_ADDR": source},
    )


def test_each_guest_reads_its_own_items(service: MetadataService) -> None:
    assert (
        _get(service, "/latest/meta-data/instance-id", source=WEB_1).text == "i-0a1b2c3d4e5f60718"
    )
    assert (
        _get(service, "/latest/meta-data/instance-id", source=WEB_2).text == "i-0a1b2c3d4e5f60719"
    )
    assert _get(service, "/latest/meta-data/local-ipv4", source=WEB_2).text == WEB_2
    zone = _get(service, "/2009-04-04/meta-data/placement/availability-zone", source=WEB_1)
    assert zone.text == "us-east-1a"


def test_listings(service: MetadataService) -> None:
    assert _get(service, "/", source=WEB_1).text == "latest"
    assert _get(service, "/latest/", source=WEB_1).text.split("\n") == ["meta-data", "user-data"]
    assert _get(service, "/latest/", source=WEB_2).text.split("\n") == ["meta-data"]
    top = _get(service, "/latest/meta-data/", source=WEB_1).text.split("\n")
    assert top == ["instance-id", "local-ipv4", "placement/", "public-ipv4", "public-keys/"]
    assert _get(service, "/latest/meta-data/placement/", source=WEB_1).text == "availability-zone"


def test_public_keys_and_user_data(service: MetadataService) -> None:
    assert _get(service, "/latest/meta-data/public-keys/", source=WEB_1).text == "0=deploy"
    assert _get(service, "/latest/meta-data/public-keys/0/", source=WEB_1).text == "openssh-key"
    key = _get(service, "/latest/meta-data/public-keys/0/openssh-key", source=WEB_1)
    assert key.text.startswith("ssh-ed25519 ")
    assert _get(service, "/latest/user-data", source=WEB_1).data == b"#!/bin/sh\necho hello\n"
    assert _get(service, "/latest/user-data", source=WEB_2).status_code == 404
    assert _get(service, "/latest/meta-data/public-keys/", source=WEB_2).status_code == 404
    assert (
        _get(service, "/latest/meta-data/public-keys/1/openssh-key", source=WEB_1).status_code
        == 404
    )


def test_unknown_addresses_and_paths_get_404(service: MetadataService) -> None:
    assert _get(service, "/latest/meta-data/instance-id", source="10.1.1.99").status_code == 404
    assert _get(service, "/latest/meta-data/no-such-item", source=WEB_1).status_code == 404
    assert _get(service, "/latest/meta-data/instance-id/", source=WEB_1).status_code == 404
    assert _get(service, "/not-a-version/meta-data/", source=WEB_1).status_code == 404


def test_imdsv2_tokens_are_bound_to_their_guest(service: MetadataService) -> None:
    answer = _token(service, source=WEB_1, ttl="21600")
    assert answer.status_code == 200
    assert answer.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
    token = answer.text
    own = _get(
        service,
        "/latest/meta-data/instance-id",
        source=WEB_1,
        **{"X-aws-ec2-metadata-token": token},
    )
    assert own.text == "i-0a1b2c3d4e5f60718"
    stolen = _get(
        service,
        "/latest/meta-data/instance-id",
        source=WEB_2,
        **{"X-aws-ec2-metadata-token": token},
    )
    assert stolen.status_code == 401
    forged = _get(
        service,
        "/latest/meta-data/",
        source=WEB_1,
        **{"X-aws-ec2-metadata-token": token[:-4] + "AAAA"},
    )
    assert forged.status_code == 401


def test_token_requests_are_checked(service: MetadataService) -> None:
    for ttl in ("0", "21601", "soon", ""):
        assert _token(service, source=WEB_1, ttl=ttl).status_code == 400
    proxied = _token(service, source=WEB_1, **{"X-Forwarded-For": "10.1.1.6"})
    assert proxied.status_code == 403
    assert (
        Client(service).put("/latest/meta-data/", environ_base={"REMOTE_ADDR": WEB_1}).status_code
        == 403
    )
    assert (
        Client(service).post("/latest/meta-data/", environ_base={"REMOTE_ADDR": WEB_1}).status_code
        == 405
    )


def test_expired_tokens_are_refused(
    service: MetadataService, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token(service, source=WEB_1, ttl="1").text
    later = time.time() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    answer = _get(
        service, "/latest/meta-data/", source=WEB_1, **{"X-aws-ec2-metadata-token": token}
    )
    assert answer.status_code == 401


def test_a_new_configuration_is_served_at_once(service: MetadataService, tmp_path: Path) -> None:
    assert _get(service, "/latest/meta-data/instance-id", source=WEB_1).status_code == 200
    path = tmp_path / "vm-data.json"
    path.write_text("{}\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _get(service, "/latest/meta-data/instance-id", source=WEB_1).status_code == 404
