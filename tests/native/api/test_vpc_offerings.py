"""VPC offerings through `cs`: the default one as CloudStack lists it, creating, listing,
updating and deleting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from native.services.network.defaults import DEFAULT_VPC, VPC_SERVICES
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import succeeded
from tests.support.zones import build_zone


def _providers(offering: dict[str, Any]) -> dict[str, list[str]]:
    return {
        service["name"]: [provider["name"] for provider in service["provider"]]
        for service in offering["service"]
    }


def _create(admin: CloudStack, **params: Any) -> dict[str, Any]:
    params.setdefault("name", unique("vpcoff"))
    params.setdefault("displaytext", "test VPC offering")
    answer = admin.createVPCOffering(**params)
    offering = succeeded(admin, answer)["vpcoffering"]
    assert answer["id"] == offering["id"]
    return dict(offering)


def test_the_default_vpc_offering(admin: CloudStack) -> None:
    [offering] = admin.listVPCOfferings(name=DEFAULT_VPC)["vpcoffering"]
    expected = {
        "name": DEFAULT_VPC,
        "displaytext": "Default VPC offering",
        "isdefault": True,
        "state": "Enabled",
        "distributedvpcrouter": False,
        "supportsregionLevelvpc": False,
    }
    assert {key: offering[key] for key in expected} == expected
    assert _providers(offering) == {
        service: ["VpcVirtualRouter"] for service in VPC_SERVICES if service != "Gateway"
    }
    assert all("capability" not in service for service in offering["service"])
    assert admin.listVPCOfferings(isdefault=True)["count"] == 1


def test_create_list_update_delete(admin: CloudStack) -> None:
    offering = _create(admin, supportedservices="dhcp,Dns,StaticNat,PortForwarding,Lb")
    assert offering["state"] == "Disabled" and offering["isdefault"] is False
    providers = _providers(offering)
    assert set(providers) == {
        "Dhcp",
        "Dns",
        "StaticNat",
        "PortForwarding",
        "Lb",
        "SourceNat",
        "NetworkACL",
    }
    assert {p for names in providers.values() for p in names} == {"VpcVirtualRouter"}
    [listed] = admin.listVPCOfferings(id=offering["id"])["vpcoffering"]
    assert listed == offering
    assert admin.listVPCOfferings(keyword=offering["name"])["count"] == 1
    with_lb = {o["id"] for o in admin.listVPCOfferings(supportedservices="Lb")["vpcoffering"]}
    assert offering["id"] in with_lb
    assert admin.listVPCOfferings(id=offering["id"], supportedservices="Vpn") == {}

    renamed = unique("renamed")
    updated = succeeded(
        admin,
        admin.updateVPCOffering(
            id=offering["id"], name=renamed, displaytext="renamed", state="Enabled"
        ),
    )["vpcoffering"]
    assert (updated["name"], updated["displaytext"], updated["state"]) == (
        renamed,
        "renamed",
        "Enabled",
    )
    error = api_error(admin.updateVPCOffering, id=offering["id"], state="Gone")
    assert (error.errorcode, "state" in error.errortext) == (431, True)

    assert succeeded(admin, admin.deleteVPCOffering(id=offering["id"])) == {"success": True}
    assert api_error(admin.listVPCOfferings, id=offering["id"]).errorcode == 431
    again = _create(admin, name=renamed, supportedservices="Dhcp", enable=True)
    assert (again["state"], again["id"] != offering["id"]) == ("Enabled", True)


def test_internal_lb_provider(admin: CloudStack) -> None:
    offering = _create(
        admin,
        supportedservices="Dhcp,Dns,Lb",
        **{
            "serviceproviderlist[0].service": "Lb",
            "serviceproviderlist[0].provider": "InternalLbVm",
        },
    )
    assert _providers(offering)["Lb"] == ["InternalLbVm"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "supportedservices"),
        ({"supportedservices": "Dhcp,Firewall"}, "Firewall is not supported in VPC"),
        ({"supportedservices": "SecurityGroup"}, "SecurityGroup is not supported in VPC"),
        ({"supportedservices": "Dhcp,Warp"}, "supportedservices"),
        (
            {
                "supportedservices": "Dhcp",
                "serviceproviderlist[0].service": "Dhcp",
                "serviceproviderlist[0].provider": "VirtualRouter",
            },
            "VpcVirtualRouter",
        ),
        (
            {
                "supportedservices": "Dhcp",
                "serviceproviderlist[0].service": "Dhcp",
                "serviceproviderlist[0].provider": "Nowhere",
            },
            "serviceproviderlist",
        ),
        (
            {
                "supportedservices": "Dhcp",
                "servicecapabilitylist[0].service": "SourceNat",
                "servicecapabilitylist[0].capabilitytype": "RedundantRouter",
                "servicecapabilitylist[0].capabilityvalue": "true",
            },
            "servicecapabilitylist",
        ),
        ({"supportedservices": "Dhcp", "name": DEFAULT_VPC}, "already exists"),
    ],
)
def test_bad_offerings_are_refused(admin: CloudStack, params: dict[str, Any], field: str) -> None:
    request = {"name": unique("bad"), "displaytext": "x", **params}
    error = api_error(admin.createVPCOffering, **request)
    assert (error.status, error.errorcode) == (431, 431), error
    assert field in error.errortext, error.errortext


def test_the_default_cannot_be_deleted(admin: CloudStack) -> None:
    [default] = admin.listVPCOfferings(name=DEFAULT_VPC)["vpcoffering"]
    error = api_error(admin.deleteVPCOffering, id=default["id"])
    assert (error.status, error.errorcode, "Default" in error.errortext) == (431, 431, True)


def test_an_offering_in_use_cannot_be_deleted(
    admin: CloudStack, tenant: Tenant, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    offering = _create(admin, supportedservices="Dhcp,Dns", enable=True)
    succeeded(
        admin,
        admin.createVPC(
            zoneid=zone.id,
            vpcofferingid=offering["id"],
            name=unique("vpc"),
            displaytext="v",
            cidr="10.10.0.0/16",
            account=tenant.name,
            domainid=tenant.domainid,
        ),
    )
    error = api_error(admin.deleteVPCOffering, id=offering["id"])
    assert (error.status, error.errorcode, "1 vpcs" in error.errortext) == (536, 536, True)


def test_users_see_enabled_offerings_and_cannot_manage_them(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant
) -> None:
    disabled = _create(admin, supportedservices="Dhcp")
    domain_admin = new_account(
        admin, accounttype=2, domainid=tenant.domainid, endpoint=alto_server.endpoint
    ).client()
    for client in (tenant.client(), domain_admin):
        seen = client.listVPCOfferings()["vpcoffering"]
        assert DEFAULT_VPC in {o["name"] for o in seen}
        assert disabled["id"] not in {o["id"] for o in seen}
        assert api_error(client.listVPCOfferings, id=disabled["id"]).errorcode == 431
        for call, params in (
            (client.createVPCOffering, {"name": unique("x"), "supportedservices": "Dhcp"}),
            (client.updateVPCOffering, {"id": disabled["id"], "state": "Enabled"}),
            (client.deleteVPCOffering, {"id": disabled["id"]}),
        ):
            assert api_error(call, **params).errorcode == 401
