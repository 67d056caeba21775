"""Network offerings through `cs`: the built-in ones as CloudStack lists them, creating,
listing, updating and deleting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from native.services.network.defaults import (
    DEFAULT_ISOLATED,
    DEFAULT_L2,
    DEFAULT_SHARED,
    DEFAULT_SHARED_SG,
    DEFAULT_VPC_TIER,
    DEFAULT_VPC_TIER_NO_LB,
    ISOLATED_SERVICES,
    VPC_TIER_SERVICES,
)
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import succeeded
from tests.support.zones import build_zone

SOURCE_NAT_CAPABILITIES = [
    {"name": "SupportedSourceNatTypes", "value": "peraccount"},
    {"name": "RedundantRouter", "value": "false"},
]
LB_CAPABILITIES = [
    {"name": "SupportedLBIsolation", "value": "dedicated"},
    {"name": "ElasticLb", "value": "false"},
    {"name": "InlineMode", "value": "false"},
]
STATIC_NAT_CAPABILITIES = [
    {"name": "ElasticIp", "value": "false"},
    {"name": "AssociatePublicIP", "value": "false"},
]


def _by_name(client: CloudStack, name: str) -> dict[str, Any]:
    [offering] = client.listNetworkOfferings(name=name)["networkoffering"]
    return dict(offering)


def _services(offering: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {service["name"]: service for service in offering["service"]}


def _providers(offering: dict[str, Any]) -> dict[str, list[str]]:
    return {
        service["name"]: [provider["name"] for provider in service["provider"]]
        for service in offering["service"]
    }


def _create(admin: CloudStack, **params: Any) -> dict[str, Any]:
    params.setdefault("name", unique("netoff"))
    params.setdefault("displaytext", "test offering")
    params.setdefault("traffictype", "GUEST")
    params.setdefault("guestiptype", "Isolated")
    return dict(admin.createNetworkOffering(**params)["networkoffering"])


def _provider_map(**providers: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for index, (service, provider) in enumerate(providers.items()):
        params[f"serviceproviderlist[{index}].service"] = service
        params[f"serviceproviderlist[{index}].provider"] = provider
    return params


def test_the_default_isolated_offering_lists_as_in_cloudstack(admin: CloudStack) -> None:
    offering = _by_name(admin, DEFAULT_ISOLATED)
    expected = {
        "name": DEFAULT_ISOLATED,
        "displaytext": "Offering for Isolated networks with Source Nat service enabled",
        "traffictype": "Guest",
        "isdefault": True,
        "specifyvlan": False,
        "conservemode": True,
        "specifyipranges": False,
        "availability": "Required",
        "networkrate": 200,
        "state": "Enabled",
        "guestiptype": "Isolated",
        "forvpc": False,
        "ispersistent": False,
        "egressdefaultpolicy": True,
        "supportsstrechedl2subnet": False,
        "supportspublicaccess": False,
    }
    assert {key: offering[key] for key in expected} == expected
    assert offering["created"].endswith("+0000")
    providers = _providers(offering)
    assert set(providers) == set(ISOLATED_SERVICES) - {"Gateway"}
    assert set(map(tuple, providers.values())) == {("VirtualRouter",)}
    services = _services(offering)
    assert services["SourceNat"]["capability"] == SOURCE_NAT_CAPABILITIES
    assert services["Lb"]["capability"] == LB_CAPABILITIES
    assert services["StaticNat"]["capability"] == STATIC_NAT_CAPABILITIES
    assert "capability" not in services["Dhcp"]


def test_the_other_defaults(admin: CloudStack) -> None:
    shared = _by_name(admin, DEFAULT_SHARED)
    assert (shared["guestiptype"], shared["specifyvlan"], shared["specifyipranges"]) == (
        "Shared",
        True,
        True,
    )
    assert _providers(shared) == {
        "Dhcp": ["VirtualRouter"],
        "Dns": ["VirtualRouter"],
        "UserData": ["VirtualRouter"],
    }
    assert _providers(_by_name(admin, DEFAULT_SHARED_SG))["SecurityGroup"] == [
        "SecurityGroupProvider"
    ]
    l2 = _by_name(admin, DEFAULT_L2)
    assert (l2["guestiptype"], l2["service"], l2["availability"]) == ("L2", [], "Optional")
    tier = _by_name(admin, DEFAULT_VPC_TIER)
    assert tier["forvpc"] is True
    assert _providers(tier) == {
        service: ["VpcVirtualRouter"] for service in VPC_TIER_SERVICES if service != "Gateway"
    }
    assert "Lb" not in _providers(_by_name(admin, DEFAULT_VPC_TIER_NO_LB))
    defaults = admin.listNetworkOfferings(isdefault=True)["networkoffering"]
    assert len(defaults) == 6
    assert {o["name"] for o in admin.listNetworkOfferings(forvpc=True)["networkoffering"]} >= {
        DEFAULT_VPC_TIER,
        DEFAULT_VPC_TIER_NO_LB,
    }


def test_create_an_isolated_offering(admin: CloudStack) -> None:
    created = _create(
        admin,
        supportedservices="dhcp,Dns,SourceNat,Firewall,StaticNat,PortForwarding,Lb,UserData",
        **_provider_map(Dhcp="VirtualRouter"),
        **{
            "servicecapabilitylist[0].service": "SourceNat",
            "servicecapabilitylist[0].capabilitytype": "SupportedSourceNatTypes",
            "servicecapabilitylist[0].capabilityvalue": "peraccount",
        },
        egressdefaultpolicy=False,
        networkrate=100,
        maxconnections=5000,
        tags="fast",
    )
    assert (created["state"], created["isdefault"], created["availability"]) == (
        "Disabled",
        False,
        "Optional",
    )
    assert (created["egressdefaultpolicy"], created["networkrate"], created["maxconnections"]) == (
        False,
        100,
        5000,
    )
    assert (created["tags"], created["forvpc"], created["traffictype"]) == ("fast", False, "Guest")
    providers = _providers(created)
    assert set(providers) == {
        "Dhcp",
        "Dns",
        "SourceNat",
        "Firewall",
        "StaticNat",
        "PortForwarding",
        "Lb",
        "UserData",
    }
    assert {p for names in providers.values() for p in names} == {"VirtualRouter"}
    assert _services(created)["SourceNat"]["capability"] == SOURCE_NAT_CAPABILITIES
    [listed] = admin.listNetworkOfferings(id=created["id"])["networkoffering"]
    assert listed == created


def test_create_a_vpc_tier_offering(admin: CloudStack) -> None:
    tier = _create(admin, supportedservices="Dhcp,Dns,SourceNat,NetworkACL,Lb", enable=True)
    assert (tier["forvpc"], tier["state"]) == (True, "Enabled")
    assert set(map(tuple, _providers(tier).values())) == {("VpcVirtualRouter",)}
    grouped = _create(admin, supportedservices="Dhcp,Dns,NetworkACL,SecurityGroup", forvpc=True)
    assert _providers(grouped)["SecurityGroup"] == ["SecurityGroupProvider"]
    shared = _create(
        admin,
        guestiptype="Shared",
        supportedservices="Dhcp,Dns,UserData,SecurityGroup",
        specifyvlan=True,
        specifyipranges=True,
    )
    assert (shared["guestiptype"], shared["forvpc"]) == ("Shared", False)
    l2 = _create(admin, guestiptype="L2")
    assert l2["service"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"supportedservices": "Dhcp,Teleport"}, "supportedservices"),
        ({"supportedservices": "Gateway"}, "Invalid service Gateway"),
        (
            {"supportedservices": "Dhcp", **_provider_map(Dhcp="NiciraNvp")},
            "serviceproviderlist",
        ),
        ({"supportedservices": "Dhcp", **_provider_map(Dns="VirtualRouter")}, "Dns"),
        (
            {"supportedservices": "Firewall", **_provider_map(Firewall="SecurityGroupProvider")},
            "does not support service Firewall",
        ),
        ({"supportedservices": "Dhcp,SourceNat", "guestiptype": "Shared"}, "guestiptype"),
        ({"supportedservices": "Dhcp,SecurityGroup"}, "SecurityGroup"),
        ({"supportedservices": "Dhcp,Firewall,NetworkACL"}, "forvpc"),
        ({"supportedservices": "Dhcp,NetworkACL", "forvpc": False}, "forvpc"),
        (
            {"supportedservices": "Dhcp,NetworkACL", **_provider_map(Dhcp="VirtualRouter")},
            "VpcVirtualRouter",
        ),
        ({"supportedservices": "Dhcp", "guestiptype": "L2"}, "supportedservices"),
        ({"traffictype": "Public"}, "traffictype"),
        ({"guestiptype": "Routed"}, "guestiptype"),
        ({"availability": "Sometimes"}, "availability"),
        ({"supportedservices": "Dhcp,SourceNat", "availability": "Required"}, "Required"),
        ({"supportedservices": "Dhcp", "availability": "Required"}, "availability"),
        ({"guestiptype": "Shared", "specifyvlan": True}, "specifyipranges"),
        ({"guestiptype": "Shared", "specifyipranges": True}, "specifyvlan"),
        ({"supportedservices": "SourceNat", "specifyipranges": True}, "specifyipranges"),
        ({"networkrate": -1}, "networkrate"),
        (
            {
                "supportedservices": "SourceNat",
                "servicecapabilitylist[0].service": "SourceNat",
                "servicecapabilitylist[0].capabilitytype": "RedundantRouter",
                "servicecapabilitylist[0].capabilityvalue": "maybe",
            },
            "servicecapabilitylist",
        ),
        (
            {
                "supportedservices": "Dhcp",
                "servicecapabilitylist[0].service": "Lb",
                "servicecapabilitylist[0].capabilitytype": "ElasticLb",
                "servicecapabilitylist[0].capabilityvalue": "false",
            },
            "servicecapabilitylist",
        ),
        ({"name": DEFAULT_ISOLATED}, "already exists"),
        ({"name": None}, "name"),
    ],
)
def test_bad_offerings_are_refused(admin: CloudStack, params: dict[str, Any], field: str) -> None:
    if "name" in params and params["name"] is None:
        request = {"displaytext": "x", "traffictype": "Guest", "guestiptype": "Isolated"}
    else:
        request = {
            "name": unique("bad"),
            "displaytext": "x",
            "traffictype": "Guest",
            "guestiptype": "Isolated",
            **params,
        }
    error = api_error(admin.createNetworkOffering, **request)
    assert (error.status, error.errorcode) == (431, 431), error
    assert field in error.errortext, error.errortext


def test_list_filters(admin: CloudStack, alto_server: AltoServer, tmp_path: Path) -> None:
    tag = unique("tag")
    enabled = _create(admin, supportedservices="Dhcp,Dns,SourceNat", tags=tag, enable=True)
    disabled = _create(admin, supportedservices="Dhcp,Dns", tags=tag)
    mine = {o["id"] for o in admin.listNetworkOfferings(tags=tag)["networkoffering"]}
    assert mine == {enabled["id"], disabled["id"]}
    with_nat = admin.listNetworkOfferings(tags=tag, supportedservices="sourcenat")
    assert [o["id"] for o in with_nat["networkoffering"]] == [enabled["id"]]
    assert [
        o["id"]
        for o in admin.listNetworkOfferings(tags=tag, sourcenatsupported=False)["networkoffering"]
    ] == [disabled["id"]]
    assert [
        o["id"] for o in admin.listNetworkOfferings(tags=tag, state="Disabled")["networkoffering"]
    ] == [disabled["id"]]
    assert admin.listNetworkOfferings(keyword=enabled["name"])["count"] == 1
    assert admin.listNetworkOfferings(tags=tag, istagged=False) == {}
    error = api_error(admin.listNetworkOfferings, supportedservices="Teleport")
    assert (error.errorcode, "supportedservices" in error.errortext) == (431, True)

    zone = build_zone(admin, root=tmp_path, hosts=1)
    in_zone = {o["name"] for o in admin.listNetworkOfferings(zoneid=zone.id)["networkoffering"]}
    assert {DEFAULT_ISOLATED, DEFAULT_VPC_TIER, DEFAULT_L2} <= in_zone
    router = admin.listNetworkServiceProviders(
        physicalnetworkid=zone.physical_network["id"], name="VpcVirtualRouter"
    )["networkserviceprovider"][0]
    succeeded(admin, admin.updateNetworkServiceProvider(id=router["id"], state="Disabled"))
    in_zone = {o["name"] for o in admin.listNetworkOfferings(zoneid=zone.id)["networkoffering"]}
    assert DEFAULT_ISOLATED in in_zone and DEFAULT_VPC_TIER not in in_zone

    user = new_account(admin, endpoint=alto_server.endpoint).client()
    seen = {o["id"] for o in user.listNetworkOfferings()["networkoffering"]}
    assert enabled["id"] in seen and disabled["id"] not in seen
    assert all(o["state"] == "Enabled" for o in user.listNetworkOfferings()["networkoffering"])
    assert api_error(user.listNetworkOfferings, id=disabled["id"]).errorcode == 431


def test_update_an_offering(admin: CloudStack) -> None:
    offering = _create(admin, supportedservices="Dhcp,Dns,SourceNat")
    updated = admin.updateNetworkOffering(
        id=offering["id"],
        name=unique("renamed"),
        displaytext="renamed offering",
        state="enabled",
        tags="gold",
        maxconnections=100,
    )["networkoffering"]
    assert (updated["displaytext"], updated["state"], updated["tags"]) == (
        "renamed offering",
        "Enabled",
        "gold",
    )
    assert updated["maxconnections"] == 100
    assert _by_name(admin, updated["name"])["id"] == offering["id"]
    for params, field in (
        ({"state": "Inactive"}, "state"),
        ({"availability": "Required"}, "Required"),
        ({"availability": "Never"}, "availability"),
        ({"name": DEFAULT_ISOLATED}, "already exists"),
    ):
        error = api_error(admin.updateNetworkOffering, id=offering["id"], **params)
        assert (error.errorcode, field in error.errortext) == (431, True), error
    default = _by_name(admin, DEFAULT_SHARED)
    again = admin.updateNetworkOffering(id=default["id"], displaytext=default["displaytext"])
    assert again["networkoffering"]["isdefault"] is True


def test_delete_an_offering(admin: CloudStack) -> None:
    offering = _create(admin, supportedservices="Dhcp")
    assert admin.deleteNetworkOffering(id=offering["id"]) == {"success": True}
    assert api_error(admin.listNetworkOfferings, id=offering["id"]).errorcode == 431
    again = _create(admin, name=offering["name"])
    assert again["id"] != offering["id"]
    error = api_error(admin.deleteNetworkOffering, id=offering["id"])
    assert (error.errorcode, "no networkoffering with that id" in error.errortext) == (431, True)
    default = _by_name(admin, DEFAULT_ISOLATED)
    error = api_error(admin.deleteNetworkOffering, id=default["id"])
    assert (error.errorcode, "Default" in error.errortext) == (431, True)


def test_an_offering_in_use_cannot_be_deleted(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    offering = _create(admin, supportedservices="Dhcp,Dns,SourceNat", enable=True)
    network = admin.createNetwork(
        zoneid=zone.id, networkofferingid=offering["id"], name=unique("net"), displaytext="n"
    )["network"]
    error = api_error(admin.deleteNetworkOffering, id=offering["id"])
    assert (error.status, error.errorcode) == (536, 536)
    assert "1 networks" in error.errortext
    assert network["networkofferingid"] == offering["id"]


def test_only_root_admins_manage_offerings(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant
) -> None:
    domain_admin = new_account(
        admin, accounttype=2, domainid=tenant.domainid, endpoint=alto_server.endpoint
    ).client()
    offering = _by_name(admin, DEFAULT_ISOLATED)
    for client in (tenant.client(), domain_admin):
        assert _by_name(client, DEFAULT_ISOLATED)["id"] == offering["id"]
        for call, params in (
            (
                client.createNetworkOffering,
                {
                    "name": unique("x"),
                    "displaytext": "x",
                    "traffictype": "Guest",
                    "guestiptype": "Isolated",
                },
            ),
            (client.updateNetworkOffering, {"id": offering["id"], "state": "Disabled"}),
            (client.deleteNetworkOffering, {"id": offering["id"]}),
        ):
            assert api_error(call, **params).errorcode == 401
