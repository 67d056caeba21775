"""Suite-wide fixtures: real Alto servers (`alto_server`, `start_alto_server`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import AltoServer, ServerFactory


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
