"""ACL changes reach the VPC's router: every item change and list replacement re-applies
it (the rendered nftables rules follow), and a failed apply leaves the database and the
router as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.vpc_helpers import (
    acl_lines,
    create_tier,
    create_vpc,
    failing_applies,
    generation,
    new_router,
    routers_in,
)
from tests.support.api import api_error
from tests.support.tenants import Tenant
from tests.support.vms import failed, succeeded
from tests.support.zones import SimZone


class Setup:
    """A started VPC with one tier that uses list `acl`, and the VPC's router."""

    def __init__(self, client: CloudStack, zone: SimZone, network_dir: Path) -> None:
        before = routers_in(network_dir)
        self.vpc = create_vpc(client, zone, cidr="10.80.0.0/16")
        self.router = new_router(network_dir, before)
        answer = client.createNetworkACLList(name="web", vpcid=self.vpc["id"])
        self.acl = succeeded(client, answer)["networkacllist"]
        self.tier = create_tier(client, zone, self.vpc, gateway="10.80.1.1", aclid=self.acl["id"])

    def nft(self) -> str:
        return (self.router / "nftables.conf").read_text()

    def mine(self, number: int) -> list[str]:
        """The rendered rules of item `number` of the tier's list (the VPC's other lists
        are the defaults, whose items are numbered 1 and 2)."""
        return [line for line in acl_lines(self.nft(), number) if "dport" in line]


@pytest.fixture
def setup(zone: SimZone, tenant: Tenant, network_dir: Path) -> Setup:
    return Setup(tenant.client(), zone, network_dir)


def items_of(client: CloudStack, acl: dict[str, Any]) -> list[dict[str, Any]]:
    return list(client.listNetworkACLs(aclid=acl["id"]).get("networkacl", []))


def test_every_change_reapplies_the_router(tenant: Tenant, setup: Setup) -> None:
    user = tenant.client()
    start = generation(setup.router)
    answer = user.createNetworkACL(aclid=setup.acl["id"], protocol="tcp", startport=443, number=3)
    item = succeeded(user, answer)["networkacl"]
    created = generation(setup.router)
    assert created > start
    [line] = setup.mine(3)
    assert line.startswith("tcp dport 443 ")

    answer = user.updateNetworkACLItem(id=item["id"], startport=8443, endport=8443, action="deny")
    succeeded(user, answer)
    assert generation(setup.router) > created
    [line] = setup.mine(3)
    assert line.startswith("tcp dport 8443 drop")

    updated = generation(setup.router)
    succeeded(user, user.deleteNetworkACL(id=item["id"]))
    assert generation(setup.router) > updated
    assert setup.mine(3) == []


def test_failed_create_leaves_nothing(tenant: Tenant, setup: Setup, network_dir: Path) -> None:
    user = tenant.client()
    applied = generation(setup.router)
    with failing_applies(network_dir, setup.router):
        answer = user.createNetworkACL(aclid=setup.acl["id"], protocol="tcp", startport=25)
        error = failed(user, answer)
    assert error["errorcode"] == 534 and setup.router.name in error["errortext"]
    assert items_of(user, setup.acl) == []
    assert generation(setup.router) == applied and "dport 25" not in setup.nft()
    answer = user.createNetworkACL(aclid=setup.acl["id"], protocol="tcp", startport=26)
    item = succeeded(user, answer)["networkacl"]
    assert item["number"] == 1
    assert "dport 26" in setup.nft() and "dport 25" not in setup.nft()


def test_failed_update_and_delete_put_the_item_back(
    tenant: Tenant, setup: Setup, network_dir: Path
) -> None:
    user = tenant.client()
    answer = user.createNetworkACL(aclid=setup.acl["id"], protocol="tcp", startport=22)
    item = succeeded(user, answer)["networkacl"]
    with failing_applies(network_dir, setup.router):
        error = failed(user, user.updateNetworkACLItem(id=item["id"], startport=2222, endport=2222))
        assert error["errorcode"] == 534
        error = failed(user, user.deleteNetworkACL(id=item["id"]))
        assert error["errorcode"] == 534
    [kept] = items_of(user, setup.acl)
    assert (kept["id"], kept["startport"], kept["state"]) == (item["id"], "22", "Active")
    [line] = setup.mine(1)
    assert line.startswith("tcp dport 22 ")


def test_replace_list_of_a_tier(
    tenant: Tenant, admin: CloudStack, setup: Setup, network_dir: Path, zone: SimZone
) -> None:
    user = tenant.client()
    answer = user.createNetworkACL(aclid=setup.acl["id"], protocol="tcp", startport=22)
    succeeded(user, answer)
    [allow] = user.listNetworkACLLists(name="default_allow")["networkacllist"]
    with failing_applies(network_dir, setup.router):
        answer = user.replaceNetworkACLList(aclid=allow["id"], networkid=setup.tier["id"])
        assert failed(user, answer)["errorcode"] == 534
    [tier] = user.listNetworks(id=setup.tier["id"])["network"]
    assert tier["aclid"] == setup.acl["id"]
    assert setup.mine(1)

    applied = generation(setup.router)
    answer = user.replaceNetworkACLList(aclid=allow["id"], networkid=setup.tier["id"])
    assert succeeded(user, answer) == {"success": True}
    assert generation(setup.router) > applied
    [tier] = user.listNetworks(id=setup.tier["id"])["network"]
    assert tier["aclid"] == allow["id"]
    assert setup.mine(1) == []

    elsewhere = create_vpc(user, zone, cidr="10.81.0.0/16", start=False)
    answer = user.createNetworkACLList(name="far", vpcid=elsewhere["id"])
    far = succeeded(user, answer)["networkacllist"]
    error = api_error(user.replaceNetworkACLList, aclid=far["id"], networkid=setup.tier["id"])
    assert error.errorcode == 431 and "do not belong to the same VPC" in error.errortext
    error = api_error(user.replaceNetworkACLList, aclid=allow["id"])
    assert error.errorcode == 431 and "networkid" in error.errortext
    isolated = admin.listNetworkOfferings(name="DefaultIsolatedNetworkOfferingWithSourceNatService")
    [offering] = isolated["networkoffering"]
    plain = user.createNetwork(name="plain", zoneid=zone.id, networkofferingid=offering["id"])
    error = api_error(
        user.replaceNetworkACLList, aclid=allow["id"], networkid=plain["network"]["id"]
    )
    assert error.errorcode == 431 and "not part of a VPC" in error.errortext
