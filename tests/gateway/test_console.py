"""`/console`: the web console's built files, with security headers, beside the APIs."""

from __future__ import annotations

import http.client
import re

import pytest
import requests
from cs import CloudStack

from gateway.console import ASSETS
from tests.support.s3 import Keys, s3_client, server_url
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique


def test_the_console_page_is_served_with_security_headers(alto_server: AltoServer) -> None:
    redirected = requests.get(
        f"{server_url(alto_server)}/console", allow_redirects=False, timeout=10
    )
    assert redirected.status_code == 308
    assert redirected.headers["Location"].endswith("/console/")
    page = requests.get(f"{server_url(alto_server)}/console/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert '<div id="app">' in page.text


def test_hashed_assets_are_cached_for_good(alto_server: AltoServer) -> None:
    page = (ASSETS / "index.html").read_text()
    script = re.search(r'src="/console/(assets/[^"]+\.js)"', page)
    assert script is not None, page
    asset = requests.get(f"{server_url(alto_server)}/console/{script.group(1)}", timeout=10)
    assert asset.status_code == 200
    assert "javascript" in asset.headers["Content-Type"]
    assert "immutable" in asset.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/console/missing.js",
        "/console/../pyproject.toml",
        "/console/assets/../../app.py",
        "/console/..%2f..%2fapp.py",
    ],
)
def test_nothing_but_the_built_files_is_served(alto_server: AltoServer, path: str) -> None:
    """The path goes out as written (requests would resolve the dot segments itself)."""
    connection = http.client.HTTPConnection("127.0.0.1", alto_server.port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    assert answer.status == 404, body[:200]
    assert b"import" not in body and b"[project]" not in body


def test_the_console_takes_no_writes(alto_server: AltoServer) -> None:
    answer = requests.post(f"{server_url(alto_server)}/console/", data={"a": "b"}, timeout=10)
    assert answer.status_code == 405


def test_a_bucket_named_console_is_still_reached_with_signed_s3_requests(
    alto_server: AltoServer,
    admin: CloudStack,
    tenant: Tenant,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.mktemp("console-bucket-pool")
    admin.addObjectStoragePool(name=unique("objects"), provider="Local", url=root.as_uri())
    s3 = s3_client(server_url(alto_server), Keys(access=tenant.apikey, secret=tenant.secretkey))
    s3.create_bucket(Bucket="console")
    try:
        s3.put_object(Bucket="console", Key="assets/a.js", Body=b"mine")
        assert s3.get_object(Bucket="console", Key="assets/a.js")["Body"].read() == b"mine"
        s3.head_bucket(Bucket="console")
    finally:
        s3.delete_object(Bucket="console", Key="assets/a.js")
        s3.delete_bucket(Bucket="console")
