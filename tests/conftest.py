"""Suite-wide fixtures: real Alto servers (`alto_server`, `start_alto_server`), the root
admin's client on the shared server (`admin`), and a fresh domain with an account in it
(`domain`, `tenant`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cs import CloudStack

from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import Tenant, admin_client, new_account, unique


@pytest.fixture(scope="session")
def alto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AltoServer]:
    """One server for the whole session; tests must not stop or restart it."""
    factory = ServerFactory(root=tmp_path_factory.mktemp("alto-session"))
    try:
        yield factory()
    finally:
        factory.close()


@pytest.fixture
def start_alto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """A factory for servers of the test's own (e.g. to restart them); all stopped after it."""
    factory = ServerFactory(root=tmp_path_factory.mktemp("alto"))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="module")
def admin(alto_server: AltoServer) -> CloudStack:
    """The root admin's `cs` client for `alto_server` (one per module)."""
    return admin_client(alto_server)


@pytest.fixture
def domain(admin: CloudStack) -> dict[str, Any]:
    """A fresh domain of the test's own, below ROOT."""
    return dict(admin.createDomain(name=unique("dom"))["domain"])


@pytest.fixture
def tenant(admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]) -> Tenant:
    """A fresh user account (accounttype 0) in `domain`, with its API keys."""
    return new_account(admin, domainid=domain["id"], endpoint=alto_server.endpoint)
