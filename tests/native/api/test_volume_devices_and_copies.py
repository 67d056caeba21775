"""Alto's native additions for the EC2 volume actions, through the real `cs` client:
attachVolume `devicename`, the last resize on listVolumes, and copySnapshot."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.vms import succeeded
from tests.support.volumes import GIB, Lab, build_lab, detach, lab_vm, listed, new_volume


@pytest.fixture(scope="module")
def lab(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return build_lab(admin, tmp_path_factory.mktemp("volume_devices"))


def attach_as(
    client: CloudStack, volume: dict[str, Any], vm: dict[str, Any], name: str
) -> dict[str, Any]:
    answer = client.attachVolume(id=volume["id"], virtualmachineid=vm["id"], devicename=name)
    return dict(succeeded(client, answer)["volume"])


def test_the_device_name_stays_with_the_attachment(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    volume = attach_as(client, new_volume(client, lab), vm, "/dev/sdf")
    assert (volume["devicename"], volume["deviceid"]) == ("/dev/sdf", 1)
    assert listed(client, volume["id"])["devicename"] == "/dev/sdf"
    detached = detach(client, volume)
    assert "devicename" not in detached and "devicename" not in listed(client, volume["id"])


def test_a_device_name_is_used_by_one_volume_of_a_vm(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    attach_as(client, new_volume(client, lab), vm, "/dev/xvdf")
    second = new_volume(client, lab)
    error = api_error(
        client.attachVolume, id=second["id"], virtualmachineid=vm["id"], devicename="/dev/xvdf"
    )
    assert (error.errorcode, "/dev/xvdf" in error.errortext) == (431, True)
    assert "virtualmachineid" not in listed(client, second["id"])


def test_list_volumes_shows_the_last_resize(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    volume = new_volume(client, lab, size=1)
    assert "lastresized" not in volume
    resized = dict(succeeded(client, client.resizeVolume(id=volume["id"], size=3))["volume"])
    assert (resized["size"], resized["sizebeforeresize"]) == (3 * GIB, GIB)
    assert resized["diskofferingidbeforeresize"] == lab.custom["id"]
    assert resized["lastresized"] >= volume["created"]


def test_copy_snapshot_makes_a_new_snapshot_with_the_same_data(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    volume = new_volume(client, lab, size=1)
    source = succeeded(client, client.createSnapshot(volumeid=volume["id"]))["snapshot"]
    copy = succeeded(client, client.copySnapshot(id=source["id"], name="the copy"))["snapshot"]
    assert copy["id"] != source["id"]
    assert (copy["name"], copy["state"], copy["volumeid"], copy["zoneid"]) == (
        "the copy",
        "BackedUp",
        volume["id"],
        lab.zone.id,
    )
    files = {
        snapshot["id"]: next((lab.secondary / "snapshots").glob(f"*/*/{snapshot['id']}"))
        for snapshot in (source, copy)
    }
    assert files[copy["id"]].read_bytes() == files[source["id"]].read_bytes()
    assert {row["id"] for row in client.listSnapshots(volumeid=volume["id"])["snapshot"]} == {
        source["id"],
        copy["id"],
    }


def test_a_volume_made_from_a_snapshot_names_it(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    volume = new_volume(client, lab)
    assert "snapshotid" not in volume
    snapshot = succeeded(client, client.createSnapshot(volumeid=volume["id"]))["snapshot"]
    made = succeeded(client, client.createVolume(snapshotid=snapshot["id"]))["volume"]
    assert listed(client, made["id"])["snapshotid"] == snapshot["id"]


def test_copy_snapshot_of_another_account_is_refused(
    tenant: Tenant, lab: Lab, admin: CloudStack, alto_server: AltoServer
) -> None:
    client = tenant.client()
    source = succeeded(client, client.createSnapshot(volumeid=new_volume(client, lab)["id"]))
    other = new_account(admin, endpoint=alto_server.endpoint)
    error = api_error(other.client().copySnapshot, id=source["snapshot"]["id"])
    assert error.errorcode == 431
    assert len(client.listSnapshots()["snapshot"]) == 1
