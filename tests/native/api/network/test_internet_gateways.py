"""Internet gateways through `cs` (Alto extension): create detached, attach to one VPC of
the account, detach, delete; a deleted VPC leaves its gateway detached."""

from __future__ import annotations

from cs import CloudStack

from tests.native.api.network.vpc_helpers import create_vpc
from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account
from tests.support.vms import succeeded
from tests.support.zones import SimZone


def test_attach_detach_delete(zone: SimZone, tenant: Tenant, admin: CloudStack) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.12.0.0/16", start=False)
    other = create_vpc(user, zone, cidr="10.13.0.0/16", start=False)
    gateway = user.createInternetGateway()["internetgateway"]
    assert gateway["state"] == "Detached" and "vpcid" not in gateway
    assert gateway["account"] == tenant.name
    attached = user.attachInternetGateway(id=gateway["id"], vpcid=vpc["id"])["internetgateway"]
    assert (attached["state"], attached["vpcid"]) == ("Attached", vpc["id"])
    [listed] = user.listInternetGateways(vpcid=vpc["id"])["internetgateway"]
    assert listed["id"] == gateway["id"]
    second = user.createInternetGateway()["internetgateway"]
    assert api_error(user.attachInternetGateway, id=second["id"], vpcid=vpc["id"]).errorcode == 431
    assert api_error(user.attachInternetGateway, id=gateway["id"], vpcid=other["id"]).errorcode == (
        431
    )
    assert api_error(user.deleteInternetGateway, id=gateway["id"]).errorcode == 536
    assert api_error(user.detachInternetGateway, id=gateway["id"], vpcid=other["id"]).errorcode == (
        431
    )
    user.detachInternetGateway(id=gateway["id"], vpcid=vpc["id"])
    user.deleteInternetGateway(id=gateway["id"])
    assert user.listInternetGateways(id=second["id"])["internetgateway"][0]["state"] == "Detached"
    assert "internetgateway" not in user.listInternetGateways(vpcid=vpc["id"])

    user.attachInternetGateway(id=second["id"], vpcid=other["id"])
    succeeded(user, user.deleteVPC(id=other["id"]))
    [left] = user.listInternetGateways(id=second["id"])["internetgateway"]
    assert left["state"] == "Detached"


def test_gateways_are_private_to_their_account(
    zone: SimZone, tenant: Tenant, admin: CloudStack
) -> None:
    user = tenant.client()
    gateway = user.createInternetGateway()["internetgateway"]
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    assert "internetgateway" not in stranger.listInternetGateways(listall=True)
    assert api_error(stranger.deleteInternetGateway, id=gateway["id"]).errorcode in (431, 531)
    other_vpc = create_vpc(stranger, zone, cidr="10.14.0.0/16", start=False)
    assert api_error(
        stranger.attachInternetGateway, id=gateway["id"], vpcid=other_vpc["id"]
    ).errorcode in (
        431,
        531,
    )
