"""Stored VPC and tier attributes through `cs`: updateVPC `enablednssupport`,
`enablednshostnames`, `enablenetworkaddressusagemetrics`; updateNetwork `mappubliciponlaunch`."""

from __future__ import annotations

from tests.native.api.network.vpc_helpers import create_tier, create_vpc
from tests.support.api import api_error
from tests.support.tenants import Tenant
from tests.support.vms import succeeded
from tests.support.zones import SimZone


def test_vpc_attributes_default_then_update(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    assert vpc["enablednssupport"] is True
    assert "enablednshostnames" not in vpc
    assert vpc["enablenetworkaddressusagemetrics"] is False
    updated = succeeded(
        user,
        user.updateVPC(
            id=vpc["id"],
            enablednssupport=False,
            enablednshostnames=True,
            enablenetworkaddressusagemetrics=True,
        ),
    )["vpc"]
    assert (
        updated["enablednssupport"],
        updated["enablednshostnames"],
        updated["enablenetworkaddressusagemetrics"],
    ) == (False, True, True)
    [listed] = user.listVPCs(id=vpc["id"])["vpc"]
    assert (listed["enablednssupport"], listed["enablednshostnames"]) == (False, True)
    assert listed["name"] == vpc["name"]


def test_tier_map_public_ip_on_launch(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.11.0.0/16", start=False)
    tier = create_tier(user, zone, vpc, gateway="10.11.1.1")
    assert "mappubliciponlaunch" not in tier
    updated = succeeded(user, user.updateNetwork(id=tier["id"], mappubliciponlaunch=True))
    assert updated["network"]["mappubliciponlaunch"] is True
    [listed] = user.listNetworks(id=tier["id"])["network"]
    assert listed["mappubliciponlaunch"] is True
    error = api_error(user.updateNetwork, id=tier["id"], mappubliciponlaunch="maybe")
    assert error.errorcode == 430
