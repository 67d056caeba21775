"""Fixtures shared by the EC2 translator tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.ec2_instances import Ec2Site, ec2_site
from tests.support.server import AltoServer
from tests.support.tenants import Tenant
from tests.support.zones import SimZone


@pytest.fixture
def site(
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> Ec2Site:
    """The tenant's EC2 client on the shared server, with the zone, template and offering
    instances are run from (modules that need another kind of site define their own)."""
    return ec2_site(alto_server, tenant, ec2_zone, ec2_template, ec2_offering)
