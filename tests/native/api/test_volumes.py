"""Volumes through the real `cs` client on a simulator zone: createVolume, attachVolume,
detachVolume, resizeVolume, migrateVolume, deleteVolume, listVolumes.

The helpers (`Lab`, `lab_vm`…) live in `tests.support.volumes`.
"""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, unique
from tests.support.vms import failed, succeeded
from tests.support.volumes import (
    GIB,
    Lab,
    attach,
    build_lab,
    data_file,
    detach,
    lab_vm,
    limit,
    listed,
    new_volume,
    pool_allocated,
)


@pytest.fixture(scope="module")
def lab(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return build_lab(admin, tmp_path_factory.mktemp("volumes"))


# --- createVolume ------------------------------------------------------------------------


def test_a_new_volume_is_allocated_on_no_storage(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    volume = new_volume(client, lab, size=2)

    assert volume["state"] == "Allocated"
    assert volume["type"] == "DATADISK"
    assert volume["size"] == 2 * GIB
    assert volume["zoneid"] == lab.zone.id
    assert volume["diskofferingid"] == lab.custom["id"]
    assert volume["account"] == tenant.name
    assert volume["destroyed"] is False
    assert "storage" not in volume and "virtualmachineid" not in volume
    assert listed(client, volume["id"])["state"] == "Allocated"


def test_a_fixed_offering_gives_its_size(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    answer = client.createVolume(zoneid=lab.zone.id, diskofferingid=lab.fixed["id"])
    volume = succeeded(client, answer)["volume"]
    assert volume["size"] == GIB
    assert volume["name"] == volume["id"]


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"size": None}, "requires a custom size"),
        ({"size": 5000}, "out of allowed range"),
        ({"diskofferingid": None}, "disk Offering ID or snapshot ID"),
        ({"zoneid": None}, "zone"),
    ],
)
def test_bad_create_requests_fail_at_once(
    tenant: Tenant, lab: Lab, params: dict[str, Any], text: str
) -> None:
    values = {"zoneid": lab.zone.id, "diskofferingid": lab.custom["id"], "size": 1, **params}
    error = api_error(
        tenant.client().createVolume, **{k: v for k, v in values.items() if v is not None}
    )
    assert error.errorcode == 431
    assert text in error.errortext


def test_volume_limits_count_volumes_and_primary_storage(
    admin: CloudStack, tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    limit(admin, tenant, resourcetype=2, max=2)
    limit(admin, tenant, resourcetype=10, max=3)

    first = new_volume(client, lab, size=2)
    error = api_error(
        client.createVolume, zoneid=lab.zone.id, diskofferingid=lab.custom["id"], size=2
    )
    assert error.errorcode == 532
    assert "primary_storage" in error.errortext
    second = new_volume(client, lab, size=1)
    error = api_error(
        client.createVolume, zoneid=lab.zone.id, diskofferingid=lab.custom["id"], size=1
    )
    assert (error.errorcode, "volume" in error.errortext) == (532, True)

    assert client.deleteVolume(id=first["id"])["success"] is True
    new_volume(client, lab, size=2)
    assert {v["id"] for v in client.listVolumes()["volume"]} >= {second["id"]}


def test_users_cannot_see_or_use_each_others_volumes(
    admin: CloudStack, tenant: Tenant, lab: Lab, alto_server: Any
) -> None:
    from tests.support.tenants import new_account

    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)
    volume = new_volume(tenant.client(), lab)

    assert other.client().listVolumes().get("volume", []) == []
    error = api_error(other.client().deleteVolume, id=volume["id"])
    assert error.errorcode == 431
    assert [v["id"] for v in admin.listVolumes(id=volume["id"])["volume"]] == [volume["id"]]
    assert volume["id"] in {
        v["id"]
        for v in admin.listVolumes(listall=True, account=tenant.name, domainid=tenant.domainid)[
            "volume"
        ]
    }


# --- attachVolume / detachVolume -----------------------------------------------------------


def test_attach_creates_the_volume_on_the_vm_pool_and_detach_keeps_it(
    admin: CloudStack, tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    volume = new_volume(client, lab, size=1)
    before = pool_allocated(admin, lab.zone.pool["id"])

    attached = attach(client, volume, vm)

    assert attached["state"] == "Ready"
    assert attached["virtualmachineid"] == vm["id"]
    assert attached["deviceid"] == 1
    assert attached["vmstate"] == "Running"
    assert attached["storage"] == lab.zone.pool["name"]
    assert attached["attached"].endswith("+0000")
    assert pool_allocated(admin, lab.zone.pool["id"]) == before + GIB
    assert data_file(lab, volume["id"]).stat().st_size == GIB
    assert listed(admin, volume["id"])["storageid"] == lab.zone.pool["id"]
    assert "storageid" not in listed(client, volume["id"])
    vm_volumes = client.listVolumes(virtualmachineid=vm["id"])["volume"]
    assert sorted((v["type"], v["deviceid"]) for v in vm_volumes) == [("DATADISK", 1), ("ROOT", 0)]

    detached = detach(client, attached)
    assert detached["state"] == "Ready"
    assert "virtualmachineid" not in detached and "deviceid" not in detached
    assert pool_allocated(admin, lab.zone.pool["id"]) == before + GIB

    assert client.deleteVolume(id=volume["id"])["success"] is True
    assert pool_allocated(admin, lab.zone.pool["id"]) == before
    assert not data_file(lab, volume["id"]).exists()
    assert volume["id"] not in {v["id"] for v in client.listVolumes().get("volume", [])}


def test_device_ids_follow_cloudstack(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    for deviceid in (0, 3, 8):
        volume = new_volume(client, lab)
        error = api_error(
            client.attachVolume, id=volume["id"], virtualmachineid=vm["id"], deviceid=deviceid
        )
        assert (error.errorcode, "deviceId should be 1,2,4-7" in error.errortext) == (431, True)

    chosen = attach(client, new_volume(client, lab), vm, deviceid=5)
    assert chosen["deviceid"] == 5
    taken = api_error(
        client.attachVolume, id=new_volume(client, lab)["id"], virtualmachineid=vm["id"], deviceid=5
    )
    assert (taken.errorcode, "is used by vm" in taken.errortext) == (431, True)

    devices = [attach(client, new_volume(client, lab), vm)["deviceid"] for _ in range(5)]
    assert devices == [1, 2, 4, 6, 7]
    error = api_error(
        client.attachVolume, id=new_volume(client, lab)["id"], virtualmachineid=vm["id"]
    )
    assert error.errorcode == 431
    assert "maximum number of data disks (6)" in error.errortext


def test_detach_by_vm_and_device_and_root_stays(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    volume = attach(client, new_volume(client, lab), vm, deviceid=2)
    [root] = client.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]

    error = api_error(client.detachVolume, id=root["id"])
    assert error.errorcode == 431
    error = api_error(client.deleteVolume, id=volume["id"])
    assert (error.errorcode, "not attached" in error.errortext) == (431, True)
    error = api_error(client.deleteVolume, id=root["id"])
    assert error.errorcode == 431

    answer = client.detachVolume(virtualmachineid=vm["id"], deviceid=2)
    assert succeeded(client, answer)["volume"]["id"] == volume["id"]
    error = api_error(client.detachVolume, id=volume["id"])
    assert error.errorcode == 431


def test_attach_to_a_stopped_vm_then_start(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    succeeded(client, client.stopVirtualMachine(id=vm["id"]))
    volume = attach(client, new_volume(client, lab), vm)
    assert (volume["state"], volume["vmstate"]) == ("Ready", "Stopped")
    started = succeeded(client, client.startVirtualMachine(id=vm["id"]))["virtualmachine"]
    assert started["state"] == "Running"
    assert detach(client, volume)["state"] == "Ready"


def test_a_failed_hot_plug_leaves_the_volume_as_it_was(
    admin: CloudStack, tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    host_id = admin.listVirtualMachines(id=vm["id"])["virtualmachine"][0]["hostid"]
    volume = new_volume(client, lab, size=2)
    before = pool_allocated(admin, lab.zone.pool["id"])
    admin.configureSimulator(hostid=host_id, name="attach_disk", value="fail")
    try:
        error = failed(client, client.attachVolume(id=volume["id"], virtualmachineid=vm["id"]))
    finally:
        admin.configureSimulator(hostid=host_id, name="attach_disk", value="ok")

    assert error["errorcode"] == 534
    again = listed(client, volume["id"])
    assert again["state"] == "Allocated"
    assert "storage" not in again and "virtualmachineid" not in again
    assert pool_allocated(admin, lab.zone.pool["id"]) == before
    assert not data_file(lab, volume["id"]).exists()
    assert attach(client, volume, vm)["deviceid"] == 1


def test_no_pool_with_the_offering_tags_means_533(
    admin: CloudStack, tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    tagged = admin.createDiskOffering(
        name=unique("tagged"), displaytext="ssd", disksize=1, tags="ssd"
    )["diskoffering"]
    vm = lab_vm(client, lab)
    volume = succeeded(
        client, client.createVolume(zoneid=lab.zone.id, diskofferingid=tagged["id"])
    )["volume"]
    error = failed(client, client.attachVolume(id=volume["id"], virtualmachineid=vm["id"]))
    assert error["errorcode"] == 533
    assert listed(client, volume["id"])["state"] == "Allocated"


# --- resizeVolume ------------------------------------------------------------------------


def test_resize_charges_pool_and_limits_exactly(
    admin: CloudStack, tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    volume = attach(client, new_volume(client, lab, size=1), vm)
    before = pool_allocated(admin, lab.zone.pool["id"])

    grown = succeeded(client, client.resizeVolume(id=volume["id"], size=3))["volume"]
    assert grown["size"] == 3 * GIB
    assert pool_allocated(admin, lab.zone.pool["id"]) == before + 2 * GIB
    assert data_file(lab, volume["id"]).stat().st_size == 3 * GIB

    error = api_error(client.resizeVolume, id=volume["id"], size=2)
    assert (error.errorcode, "shrinkok" in error.errortext) == (431, True)

    shrunk = succeeded(client, client.resizeVolume(id=volume["id"], size=2, shrinkok=True))[
        "volume"
    ]
    assert shrunk["size"] == 2 * GIB
    assert pool_allocated(admin, lab.zone.pool["id"]) == before + GIB

    limit(admin, tenant, resourcetype=10, max=4)
    error = failed(client, client.resizeVolume(id=volume["id"], size=20))
    assert error["errorcode"] == 532
    assert listed(client, volume["id"])["size"] == 2 * GIB
    assert pool_allocated(admin, lab.zone.pool["id"]) == before + GIB


def test_a_fixed_size_volume_resizes_only_to_another_offering(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    volume = succeeded(
        client, client.createVolume(zoneid=lab.zone.id, diskofferingid=lab.fixed["id"])
    )["volume"]
    error = api_error(client.resizeVolume, id=volume["id"], size=5)
    assert (error.errorcode, "customizable" in error.errortext) == (431, True)
    resized = succeeded(
        client, client.resizeVolume(id=volume["id"], diskofferingid=lab.custom["id"], size=4)
    )["volume"]
    assert (resized["size"], resized["diskofferingid"], resized["state"]) == (
        4 * GIB,
        lab.custom["id"],
        "Allocated",
    )


# --- migrateVolume -----------------------------------------------------------------------


def test_migrate_moves_data_and_capacity(admin: CloudStack, tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    second = admin.createStoragePool(
        zoneid=lab.zone.id,
        name=unique("zonewide"),
        url=f"file://{lab.root}/primary2",
        scope="zone",
        hypervisor="Simulator",
    )["storagepool"]
    vm = lab_vm(client, lab)
    volume = attach(client, new_volume(client, lab, size=1), vm)
    first_before = pool_allocated(admin, lab.zone.pool["id"])

    error = api_error(admin.migrateVolume, volumeid=volume["id"], storageid=second["id"])
    assert (error.errorcode, "livemigrate" in error.errortext) == (431, True)

    moved = succeeded(
        admin, admin.migrateVolume(volumeid=volume["id"], storageid=second["id"], livemigrate=True)
    )["volume"]
    assert moved["storageid"] == second["id"] and moved["state"] == "Ready"
    assert pool_allocated(admin, second["id"]) == GIB
    assert pool_allocated(admin, lab.zone.pool["id"]) == first_before - GIB
    assert (lab.root / "primary2" / "volumes" / volume["id"]).exists()
    assert not data_file(lab, volume["id"]).exists()

    detached = detach(client, moved)
    back = succeeded(
        admin, admin.migrateVolume(volumeid=detached["id"], storageid=lab.zone.pool["id"])
    )["volume"]
    assert back["storageid"] == lab.zone.pool["id"]
    assert pool_allocated(admin, second["id"]) == 0
    error = api_error(admin.migrateVolume, volumeid=volume["id"], storageid=lab.zone.pool["id"])
    assert (error.errorcode, "already on" in error.errortext) == (431, True)


def test_create_with_a_vm_attaches_at_once(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    answer = client.createVolume(
        zoneid=lab.zone.id, diskofferingid=lab.fixed["id"], virtualmachineid=vm["id"]
    )
    volume = succeeded(client, answer)["volume"]
    assert (volume["state"], volume["virtualmachineid"], volume["deviceid"]) == (
        "Ready",
        vm["id"],
        1,
    )
    assert data_file(lab, volume["id"]).stat().st_size == GIB


def test_list_filters(admin: CloudStack, tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    host_id = admin.listVirtualMachines(id=vm["id"])["virtualmachine"][0]["hostid"]
    data = attach(client, new_volume(client, lab, name=unique("findme")), vm)
    spare = new_volume(client, lab)

    def ids(who: CloudStack, **params: Any) -> set[str]:
        return {v["id"] for v in who.listVolumes(**params).get("volume", [])}

    assert ids(client, type="DATADISK") >= {data["id"], spare["id"]}
    assert data["id"] not in ids(client, type="ROOT")
    assert ids(client, keyword="findme") == {data["id"]}
    assert ids(client, name=data["name"]) == {data["id"]}
    assert ids(client, state="Allocated") >= {spare["id"]}
    assert data["id"] not in ids(client, state="Allocated")
    assert ids(client, ids=f"{data['id']},{spare['id']}") == {data["id"], spare["id"]}
    assert data["id"] in ids(admin, storageid=lab.zone.pool["id"], listall=True)
    assert spare["id"] not in ids(admin, storageid=lab.zone.pool["id"], listall=True)
    assert data["id"] in ids(admin, hostid=host_id, listall=True)
    assert data["id"] in ids(admin, podid=lab.zone.pod["id"], listall=True)
    assert ids(admin, listall=True, account=tenant.name, domainid=tenant.domainid) >= {
        data["id"],
        spare["id"],
    }
    assert data["id"] not in ids(admin)
    error = api_error(client.listVolumes, storageid=lab.zone.pool["id"])
    assert error.errorcode == 431
