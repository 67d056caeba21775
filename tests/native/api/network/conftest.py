"""What the networking tests share: per module, an Advanced simulator zone with one host
(tests/support/zones.py builds its physical network and public range), a ready template
and a service offering; and where the test server's simulated routers keep their files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.vms import offering, ready_template
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    return tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])


@pytest.fixture(scope="module")
def zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root, hosts=1)


@pytest.fixture(scope="module")
def template(admin: CloudStack, zone: SimZone, root: Path) -> dict[str, Any]:
    return ready_template(admin, zone, root=root)


@pytest.fixture(scope="module")
def so(admin: CloudStack) -> dict[str, Any]:
    return offering(admin)


@pytest.fixture
def network_dir(alto_server: AltoServer) -> Path:
    return alto_server.data_dir / "drivers" / "network"
