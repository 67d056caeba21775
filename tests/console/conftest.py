"""Fixtures for the web console's end-to-end tests: Debian's Chromium driven by Playwright
against the session's `alto serve`, and the users who log in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.s3 import server_url
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = "ALTO_CONSOLE_SCREENSHOTS"
"""A folder to write the README's screenshots into (they go to a temporary one otherwise)."""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's: Playwright's own browser builds cannot be fetched here)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install chromium (.ci/run does)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def console_url(alto_server: AltoServer) -> str:
    return f"{server_url(alto_server)}/console/"


@pytest.fixture(scope="module")
def root_admin(admin: CloudStack, alto_server: AltoServer) -> Tenant:
    """A root administrator of the ROOT domain, with a password to log in with."""
    return new_account(admin, accounttype=1, endpoint=alto_server.endpoint)


@pytest.fixture
def user(admin: CloudStack, alto_server: AltoServer) -> Tenant:
    """A fresh user account in the ROOT domain."""
    return new_account(admin, endpoint=alto_server.endpoint)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get(SCREENSHOTS)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("screenshots")
