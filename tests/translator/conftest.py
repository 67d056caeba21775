"""What the EC2 and Terraform tests share: one Advanced simulator zone (with networking, two
hosts), a ready template and a service offering, built once per session on the shared server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.tenants import admin_client
from tests.support.vms import offering, ready_template
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="session")
def ec2_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ec2")


@pytest.fixture(scope="session")
def ec2_admin(alto_server: AltoServer) -> CloudStack:
    return admin_client(alto_server)


@pytest.fixture(scope="session")
def ec2_zone(ec2_admin: CloudStack, ec2_root: Path) -> SimZone:
    """The zone EC2 tests launch into (its availability-zone name: `az_names` of a client)."""
    return build_zone(ec2_admin, root=ec2_root, hosts=2)


@pytest.fixture(scope="session")
def ec2_template(ec2_admin: CloudStack, ec2_zone: SimZone, ec2_root: Path) -> dict[str, Any]:
    """A public, ready template in `ec2_zone` (an AMI to every account)."""
    return ready_template(ec2_admin, ec2_zone, root=ec2_root)


@pytest.fixture(scope="session")
def ec2_offering(ec2_admin: CloudStack) -> dict[str, Any]:
    """A small fixed service offering (an instance type named after the offering)."""
    return offering(ec2_admin, cpu=1, mem=512)
