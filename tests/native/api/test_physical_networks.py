"""Physical networks, their traffic types and service providers, through `cs`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, offering, ready_template, succeeded
from tests.support.zones import SimZone, build_zone

ROUTER_SERVICES = [
    "Vpn",
    "Dhcp",
    "Dns",
    "Gateway",
    "Firewall",
    "Lb",
    "UserData",
    "SourceNat",
    "StaticNat",
    "PortForwarding",
]


@pytest.fixture
def zone(admin: CloudStack, tmp_path: Path) -> SimZone:
    return build_zone(admin, root=tmp_path, hosts=1)


def _physical_network(admin: CloudStack, zone_id: str, **extra: Any) -> dict[str, Any]:
    answer = admin.createPhysicalNetwork(zoneid=zone_id, name=unique("physnet"), **extra)
    return dict(succeeded(admin, answer)["physicalnetwork"])


def test_list_and_update_a_physical_network(admin: CloudStack, zone: SimZone) -> None:
    physical = zone.physical_network
    [listed] = admin.listPhysicalNetworks(zoneid=zone.id)["physicalnetwork"]
    assert listed["id"] == physical["id"]
    assert (listed["vlan"], listed["zonename"], listed["isolationmethods"]) == (
        "100-299",
        zone.zone["name"],
        "VLAN",
    )
    assert admin.listPhysicalNetworks(id=physical["id"])["count"] == 1
    [named] = admin.listPhysicalNetworks(name=physical["name"])["physicalnetwork"]
    assert named["id"] == physical["id"]
    assert admin.listPhysicalNetworks(zoneid=zone.id, keyword="no-such-name") == {}

    for state in ("Disabled", "Enabled"):
        answer = admin.updatePhysicalNetwork(id=physical["id"], state=state.lower())
        assert succeeded(admin, answer)["physicalnetwork"]["state"] == state
    updated = succeeded(
        admin,
        admin.updatePhysicalNetwork(
            id=physical["id"], vlan="100-399", tags="fast,ssd", networkspeed="10G"
        ),
    )["physicalnetwork"]
    assert (updated["state"], updated["vlan"], updated["tags"], updated["networkspeed"]) == (
        "Enabled",
        "100-399",
        "fast,ssd",
        "10G",
    )
    [again] = admin.listPhysicalNetworks(id=physical["id"])["physicalnetwork"]
    assert (again["state"], again["vlan"]) == ("Enabled", "100-399")
    events = admin.listEvents(type="PHYSICAL.NETWORK.UPDATE", listall=True)["event"]
    assert any(physical["name"] in event["description"] for event in events)


def test_bad_updates_fail_at_once(admin: CloudStack, zone: SimZone) -> None:
    physical_id = zone.physical_network["id"]
    [before] = admin.listPhysicalNetworks(id=physical_id)["physicalnetwork"]
    for params, field in (
        ({"state": "Sleeping"}, "state"),
        ({"vlan": "300-200"}, "VLAN range"),
        ({"vlan": "1-5000"}, "VLAN range"),
        ({"vlan": "a-b"}, "VLAN range"),
    ):
        error = api_error(admin.updatePhysicalNetwork, id=physical_id, **params)
        assert (error.status, error.errorcode) == (431, 431), error
        assert field in error.errortext
    [after] = admin.listPhysicalNetworks(id=physical_id)["physicalnetwork"]
    assert after == before


def test_vlans_in_use_cannot_be_dropped_nor_the_network_deleted(
    admin: CloudStack, zone: SimZone, tenant: Tenant, tmp_path: Path
) -> None:
    deploy(tenant.client(), zone, offering(admin), ready_template(admin, zone, root=tmp_path))
    physical_id = zone.physical_network["id"]
    taken = 100  # the lowest free guest VLAN, which the VM's default network took

    error = api_error(admin.updatePhysicalNetwork, id=physical_id, vlan=f"{taken + 1}-299")
    assert (error.status, error.errorcode) == (536, 536)
    assert f"VLAN {taken}" in error.errortext
    assert api_error(admin.deletePhysicalNetwork, id=physical_id).errorcode == 536
    [guest] = [
        t
        for t in admin.listTrafficTypes(physicalnetworkid=physical_id)["traffictype"]
        if t["traffictype"] == "Guest"
    ]
    error = api_error(admin.deleteTrafficType, id=guest["id"])
    assert (error.errorcode, "Guest" in error.errortext) == (536, True)

    kept = succeeded(admin, admin.updatePhysicalNetwork(id=physical_id, vlan=f"{taken}-{taken}"))
    assert kept["physicalnetwork"]["vlan"] == f"{taken}-{taken}"


def test_delete_a_physical_network(admin: CloudStack, zone: SimZone) -> None:
    error = api_error(admin.deletePhysicalNetwork, id=zone.physical_network["id"])
    assert (error.errorcode, "public IP ranges" in error.errortext) == (536, True)

    spare = _physical_network(admin, zone.id, vlan="500-509")
    succeeded(admin, admin.addTrafficType(physicalnetworkid=spare["id"], traffictype="Storage"))
    assert admin.listNetworkServiceProviders(physicalnetworkid=spare["id"])["count"] == 4
    assert succeeded(admin, admin.deletePhysicalNetwork(id=spare["id"])) == {"success": True}
    assert admin.listPhysicalNetworks(zoneid=zone.id)["count"] == 1
    for call, params in (
        (admin.listTrafficTypes, {"physicalnetworkid": spare["id"]}),
        (admin.listNetworkServiceProviders, {"physicalnetworkid": spare["id"]}),
        (admin.deletePhysicalNetwork, {"id": spare["id"]}),
    ):
        error = api_error(call, **params)
        assert (error.errorcode, "physicalnetwork" in error.errortext) == (431, True)
    assert all(
        provider["physicalnetworkid"] != spare["id"]
        for provider in admin.listNetworkServiceProviders(name="InternalLbVm")[
            "networkserviceprovider"
        ]
    )


def test_traffic_types(admin: CloudStack, zone: SimZone) -> None:
    physical_id = zone.physical_network["id"]
    listed = admin.listTrafficTypes(physicalnetworkid=physical_id)
    assert listed["count"] == 3
    assert [t["traffictype"] for t in listed["traffictype"]] == ["Guest", "Public", "Management"]
    assert {t["physicalnetworkid"] for t in listed["traffictype"]} == {physical_id}

    guest = listed["traffictype"][0]
    updated = succeeded(admin, admin.updateTrafficType(id=guest["id"], kvmnetworklabel="cloudbr1"))
    assert updated["traffictype"]["kvmnetworklabel"] == "cloudbr1"

    error = api_error(admin.addTrafficType, physicalnetworkid=physical_id, traffictype="Guest")
    assert (error.errorcode, "already carries Guest" in error.errortext) == (431, True)
    error = api_error(admin.addTrafficType, physicalnetworkid=physical_id, traffictype="Bogus")
    assert (error.errorcode, "traffic type" in error.errortext) == (431, True)

    [public] = [t for t in listed["traffictype"] if t["traffictype"] == "Public"]
    assert api_error(admin.deleteTrafficType, id=public["id"]).errorcode == 536
    [management] = [t for t in listed["traffictype"] if t["traffictype"] == "Management"]
    assert succeeded(admin, admin.deleteTrafficType(id=management["id"])) == {"success": True}
    assert admin.listTrafficTypes(physicalnetworkid=physical_id)["count"] == 2
    added = succeeded(
        admin, admin.addTrafficType(physicalnetworkid=physical_id, traffictype="management")
    )
    assert added["traffictype"]["traffictype"] == "Management"


def test_service_providers(admin: CloudStack, zone: SimZone) -> None:
    physical_id = zone.physical_network["id"]
    providers = admin.listNetworkServiceProviders(physicalnetworkid=physical_id)
    by_name = {p["name"]: p for p in providers["networkserviceprovider"]}
    assert set(by_name) == {
        "VirtualRouter",
        "VpcVirtualRouter",
        "SecurityGroupProvider",
        "InternalLbVm",
    }
    router = by_name["VirtualRouter"]
    assert (router["state"], router["physicalnetworkid"]) == ("Enabled", physical_id)
    assert router["servicelist"] == ROUTER_SERVICES
    assert "NetworkACL" in by_name["VpcVirtualRouter"]["servicelist"]
    assert by_name["SecurityGroupProvider"]["servicelist"] == ["SecurityGroup"]

    answer = admin.updateNetworkServiceProvider(id=router["id"], state="Disabled")
    assert succeeded(admin, answer)["networkserviceprovider"]["state"] == "Disabled"
    disabled = admin.listNetworkServiceProviders(physicalnetworkid=physical_id, state="Disabled")
    assert [p["name"] for p in disabled["networkserviceprovider"]] == ["VirtualRouter"]
    error = api_error(admin.updateNetworkServiceProvider, id=router["id"], state="Shutdown")
    assert (error.errorcode, "state" in error.errortext) == (431, True)
    answer = admin.updateNetworkServiceProvider(id=router["id"], state="Enabled")
    assert succeeded(admin, answer)["networkserviceprovider"]["state"] == "Enabled"


def test_supported_network_services(admin: CloudStack) -> None:
    services = {s["name"]: s for s in admin.listSupportedNetworkServices()["networkservice"]}
    assert "Gateway" not in services
    assert {"Dhcp", "SourceNat", "Lb", "NetworkACL", "SecurityGroup"} <= set(services)
    source_nat = services["SourceNat"]
    assert [p["name"] for p in source_nat["provider"]] == ["VirtualRouter", "VpcVirtualRouter"]
    assert source_nat["capability"] == [
        {"name": "SupportedSourceNatTypes", "canchooseservicecapability": True},
        {"name": "RedundantRouter", "canchooseservicecapability": True},
    ]
    lb = {c["name"]: c["canchooseservicecapability"] for c in services["Lb"]["capability"]}
    assert lb["SupportedLBIsolation"] is True and lb["SupportedLBAlgorithms"] is False
    assert [p["name"] for p in services["Lb"]["provider"]] == [
        "VirtualRouter",
        "VpcVirtualRouter",
        "InternalLbVm",
    ]

    only = admin.listSupportedNetworkServices(provider="securitygroupprovider")
    assert [s["name"] for s in only["networkservice"]] == ["SecurityGroup"]
    assert admin.listSupportedNetworkServices(service="dhcp")["networkservice"][0]["name"] == "Dhcp"
    for params, field in (
        ({"provider": "Nicira"}, "Provider=Nicira"),
        ({"service": "Teleport"}, "Service=Teleport"),
    ):
        error = api_error(admin.listSupportedNetworkServices, **params)
        assert (error.errorcode, field in error.errortext) == (431, True)


def test_only_root_admins_manage_physical_networks(
    admin: CloudStack, alto_server: AltoServer, zone: SimZone, tenant: Tenant
) -> None:
    domain_admin = new_account(
        admin, accounttype=2, domainid=tenant.domainid, endpoint=alto_server.endpoint
    ).client()
    physical_id = zone.physical_network["id"]
    for client in (tenant.client(), domain_admin):
        for call, params in (
            (client.createPhysicalNetwork, {"zoneid": zone.id, "name": unique("p")}),
            (client.listPhysicalNetworks, {}),
            (client.updatePhysicalNetwork, {"id": physical_id, "state": "Enabled"}),
            (client.deletePhysicalNetwork, {"id": physical_id}),
            (client.listTrafficTypes, {"physicalnetworkid": physical_id}),
            (client.listNetworkServiceProviders, {}),
            (client.listSupportedNetworkServices, {}),
        ):
            assert api_error(call, **params).errorcode == 401
