"""libcloud's CloudStack driver against a real server: its signing, errors and job polling."""

from __future__ import annotations

import uuid

import pytest
from libcloud.common.types import InvalidCredsError, ProviderError
from libcloud.compute.providers import Provider, get_driver

from tests.support.server import AltoServer
from tests.support.tenants import unique


def driver_for(server: AltoServer, *, secret: str | None = None) -> object:
    driver_class = get_driver(Provider.CLOUDSTACK)
    driver = driver_class(
        key=server.apikey, secret=secret or server.secretkey, url=server.endpoint, secure=False
    )
    driver.connection.poll_interval = 0.1
    return driver


def test_sync_and_async_requests(alto_server: AltoServer) -> None:
    connection = driver_for(alto_server).connection  # type: ignore[attr-defined]
    name = unique("libcloud")
    created = connection._sync_request("createDomain", params={"name": name})
    domain = created["domain"]
    assert domain["name"] == name
    listed = connection._sync_request("listDomains", params={"id": domain["id"]})
    assert listed["count"] == 1
    result = connection._async_request("deleteDomain", params={"id": domain["id"]})
    assert result == {"success": True}


def test_parameter_errors_surface_with_their_code_and_text(alto_server: AltoServer) -> None:
    connection = driver_for(alto_server).connection  # type: ignore[attr-defined]
    with pytest.raises(ProviderError) as excinfo:
        connection._sync_request("listDomains", params={"id": str(uuid.uuid4())})
    assert excinfo.value.http_code == 431
    assert "Invalid parameter id" in str(excinfo.value)


def test_bad_credentials_are_invalid_creds(alto_server: AltoServer) -> None:
    connection = driver_for(alto_server, secret="wrong").connection  # type: ignore[attr-defined]
    with pytest.raises(InvalidCredsError):
        connection._sync_request("listDomains")
