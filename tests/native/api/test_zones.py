"""Zones through the real `cs` client: createZone, listZones, updateZone, deleteZone, and a
whole simulator zone built from nothing."""

from __future__ import annotations

from pathlib import Path

from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, unique
from tests.support.zones import build_zone


def test_build_a_zone_from_nothing(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=2, cpu=4, mem=8192)

    assert zone.zone["allocationstate"] == "Enabled"
    assert zone.zone["networktype"] == "Advanced"
    hosts = admin.listHosts(zoneid=zone.id)["host"]
    assert {host["id"] for host in hosts} == {host["id"] for host in zone.hosts}
    assert all(host["state"] == "Up" and host["resourcestate"] == "Enabled" for host in hosts)
    assert all(host["cpunumber"] == 4 and host["memorytotal"] == 8192 * 1024**2 for host in hosts)
    [pool] = admin.listStoragePools(zoneid=zone.id)["storagepool"]
    assert pool["state"] == "Up" and pool["scope"] == "CLUSTER"
    assert pool["clusterid"] == zone.cluster["id"]
    [store] = admin.listImageStores(zoneid=zone.id)["imagestore"]
    assert store["url"] == f"file://{tmp_path}/secondary"
    assert (tmp_path / "primary").is_dir() and (tmp_path / "secondary").is_dir()


def test_create_zone_starts_disabled_and_defaults_internal_dns(admin: CloudStack) -> None:
    name = unique("zone")
    zone = admin.createZone(name=name, networktype="basic", dns1="1.1.1.1")["zone"]
    assert zone["name"] == name
    assert zone["networktype"] == "Basic"
    assert zone["allocationstate"] == "Disabled"
    assert zone["dns1"] == zone["internaldns1"] == "1.1.1.1"
    assert zone["zonetoken"]
    admin.deleteZone(id=zone["id"])


def test_create_zone_refuses_bad_input(admin: CloudStack) -> None:
    assert (
        api_error(admin.createZone, name=unique("z"), networktype="Fancy", dns1="1.1.1.1").errorcode
        == 431
    )
    assert (
        api_error(admin.createZone, name=unique("z"), networktype="Basic", dns1="nope").errorcode
        == 431
    )
    assert api_error(admin.createZone, name=unique("z"), networktype="Basic").errorcode == 431
    name = unique("z")
    zone = admin.createZone(name=name, networktype="Basic", dns1="1.1.1.1")["zone"]
    error = api_error(admin.createZone, name=name, networktype="Basic", dns1="1.1.1.1")
    assert error.errorcode == 431 and "already exists" in error.errortext
    admin.deleteZone(id=zone["id"])


def test_update_zone_changes_fields_and_enables_it(admin: CloudStack) -> None:
    zone = admin.createZone(name=unique("zone"), networktype="Advanced", dns1="1.1.1.1")["zone"]
    new_name = unique("renamed")
    updated = admin.updateZone(
        id=zone["id"],
        name=new_name,
        dns2="9.9.9.9",
        guestcidraddress="10.1.0.0/16",
        allocationstate="Enabled",
    )["zone"]
    assert updated["name"] == new_name
    assert updated["dns2"] == "9.9.9.9"
    assert updated["guestcidraddress"] == "10.1.0.0/16"
    assert updated["allocationstate"] == "Enabled"
    assert api_error(admin.updateZone, id=zone["id"], allocationstate="Maybe").errorcode == 431
    [listed] = admin.listZones(id=zone["id"])["zone"]
    assert listed["name"] == new_name
    admin.deleteZone(id=zone["id"])
    assert api_error(admin.listZones, id=zone["id"]).errorcode == 431


def test_list_zones_filters(admin: CloudStack) -> None:
    basic = admin.createZone(name=unique("kwzone"), networktype="Basic", dns1="1.1.1.1")["zone"]
    advanced = admin.createZone(name=unique("kwzone"), networktype="Advanced", dns1="1.1.1.1")[
        "zone"
    ]
    listed = {z["id"] for z in admin.listZones(keyword="kwzone", networktype="Basic")["zone"]}
    assert basic["id"] in listed and advanced["id"] not in listed
    assert admin.listZones(name=advanced["name"])["count"] == 1
    available = {z["id"] for z in admin.listZones(available=True).get("zone", [])}
    assert basic["id"] not in available
    for zone in (basic, advanced):
        admin.deleteZone(id=zone["id"])


def test_users_list_only_enabled_zones_and_cannot_change_them(
    admin: CloudStack, tenant: Tenant, tmp_path: Path
) -> None:
    enabled = build_zone(admin, root=tmp_path, hosts=1)
    disabled = admin.createZone(name=unique("zone"), networktype="Basic", dns1="1.1.1.1")["zone"]
    user = tenant.client()
    seen = {zone["id"] for zone in user.listZones()["zone"]}
    assert enabled.id in seen and disabled["id"] not in seen
    [mine] = [zone for zone in user.listZones()["zone"] if zone["id"] == enabled.id]
    assert "zonetoken" not in mine and "internaldns1" not in mine
    for call, params in (
        (user.createZone, {"name": unique("z"), "networktype": "Basic", "dns1": "1.1.1.1"}),
        (user.updateZone, {"id": enabled.id, "name": "mine"}),
        (user.deleteZone, {"id": disabled["id"]}),
        (user.listHosts, {}),
        (user.listCapacity, {}),
    ):
        assert api_error(call, **params).errorcode == 401
    admin.deleteZone(id=disabled["id"])


def test_show_capacities_on_list_zones(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=2, cpu=4, mem=4096)
    [listed] = admin.listZones(id=zone.id, showcapacities=True)["zone"]
    by_type = {capacity["type"]: capacity for capacity in listed["capacity"]}
    assert by_type[0]["capacitytotal"] == 2 * 4096 * 1024**2
    assert by_type[1]["capacitytotal"] == 2 * 4 * 2000
    assert "capacity" not in admin.listZones(id=zone.id)["zone"][0]


def test_delete_zone_waits_for_its_contents(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    steps = (
        (admin.deleteZone, zone.id),
        (admin.deletePod, zone.pod["id"]),
        (admin.deleteCluster, zone.cluster["id"]),
    )
    for delete, target in steps:
        error = api_error(delete, id=target)
        assert error.errorcode == 536, error
    admin.deleteHost(id=zone.hosts[0]["id"])
    assert api_error(admin.deleteCluster, id=zone.cluster["id"]).errorcode == 536
    admin.deleteStoragePool(id=zone.pool["id"])
    admin.deleteCluster(id=zone.cluster["id"])
    admin.deletePod(id=zone.pod["id"])
    error = api_error(admin.deleteZone, id=zone.id)
    assert error.errorcode == 536 and "image stores" in error.errortext
    admin.deleteImageStore(id=zone.image_store["id"])
    assert admin.deleteZone(id=zone.id)["success"] is True
    assert api_error(admin.listZones, id=zone.id).errorcode == 431


def test_users_name_enabled_zones_by_id(admin: CloudStack, tenant: Tenant, tmp_path: Path) -> None:
    enabled = build_zone(admin, root=tmp_path, hosts=1)
    disabled = admin.createZone(name=unique("zone"), networktype="Basic", dns1="1.1.1.1")["zone"]
    user = tenant.client()
    assert [zone["id"] for zone in user.listZones(id=enabled.id)["zone"]] == [enabled.id]
    assert api_error(user.listZones, id=disabled["id"]).errorcode == 431
    admin.deleteZone(id=disabled["id"])
