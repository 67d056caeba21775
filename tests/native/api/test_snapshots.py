"""Volume snapshots through the real `cs` client: createSnapshot (to the zone's image store
directory), listSnapshots, deleteSnapshot, revertSnapshot, and createVolume from a snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.tenants import Tenant, unique
from tests.support.vms import failed, succeeded
from tests.support.volumes import (
    GIB,
    Lab,
    attach,
    build_lab,
    data_file,
    lab_vm,
    limit,
    listed,
    new_volume,
)

PATTERN = b"alto-snapshot-" * 4096


@pytest.fixture(scope="module")
def lab(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return build_lab(admin, tmp_path_factory.mktemp("snapshots"))


@pytest.fixture
def disk(tenant: Tenant, lab: Lab) -> tuple[dict[str, Any], dict[str, Any]]:
    """A running VM of the tenant and a 1 GB data volume attached to it, PATTERN written."""
    client = tenant.client()
    vm = lab_vm(client, lab)
    volume = attach(client, new_volume(client, lab, size=1), vm)
    with data_file(lab, volume["id"]).open("r+b") as handle:
        handle.write(PATTERN)
    return vm, volume


def snapshot_of(client: CloudStack, volume: dict[str, Any], **params: Any) -> dict[str, Any]:
    return dict(
        succeeded(client, client.createSnapshot(volumeid=volume["id"], **params))["snapshot"]
    )


def stored(lab: Lab, snapshot_id: str) -> list[Path]:
    return sorted((lab.secondary / "snapshots").glob(f"*/*/{snapshot_id}"))


def starts_with_pattern(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(PATTERN)) == PATTERN


def test_a_snapshot_is_a_copy_on_the_image_store(tenant: Tenant, lab: Lab, disk: Any) -> None:
    client = tenant.client()
    vm, volume = disk
    snapshot = snapshot_of(client, volume, name="before-upgrade")

    assert snapshot["name"] == "before-upgrade"
    assert snapshot["state"] == "BackedUp"
    assert snapshot["volumeid"] == volume["id"]
    assert snapshot["volumename"] == volume["name"]
    assert snapshot["volumetype"] == "DATADISK"
    assert snapshot["snapshottype"] == "MANUAL" and snapshot["intervaltype"] == "MANUAL"
    assert snapshot["virtualsize"] == GIB and snapshot["physicalsize"] == GIB
    assert snapshot["zoneid"] == lab.zone.id
    assert snapshot["account"] == tenant.name
    assert snapshot["revertable"] is True
    [path] = stored(lab, snapshot["id"])
    assert path.stat().st_size == GIB and starts_with_pattern(path)

    [entry] = client.listSnapshots(volumeid=volume["id"])["snapshot"]
    assert entry["id"] == snapshot["id"]
    assert client.listSnapshots(snapshottype="RECURRING").get("snapshot", []) == []
    assert client.listSnapshots(intervaltype="DAILY").get("snapshot", []) == []
    assert [s["id"] for s in client.listSnapshots(snapshottype="MANUAL")["snapshot"]] == [
        snapshot["id"]
    ]
    named = snapshot_of(client, volume)
    assert named["name"].startswith(f"{vm['displayname']}_{volume['name']}_")


def test_snapshot_of_a_root_volume_names_its_os(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    [root] = client.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    snapshot = snapshot_of(client, root)
    assert snapshot["volumetype"] == "ROOT"
    assert snapshot["osdisplayname"] == "Debian GNU/Linux 12 (64-bit)"


def test_snapshots_count_against_limits(
    admin: CloudStack, tenant: Tenant, lab: Lab, disk: Any
) -> None:
    client = tenant.client()
    _, volume = disk
    limit(admin, tenant, resourcetype=3, max=1)
    first = snapshot_of(client, volume)
    error = api_error(client.createSnapshot, volumeid=volume["id"])
    assert (error.errorcode, "snapshot" in error.errortext) == (532, True)

    succeeded(client, client.deleteSnapshot(id=first["id"]))
    assert stored(lab, first["id"]) == []
    limit(admin, tenant, resourcetype=3, max=5)
    limit(admin, tenant, resourcetype=11, max=1)
    snapshot_of(client, volume)
    error = api_error(client.createSnapshot, volumeid=volume["id"])
    assert (error.errorcode, "secondary_storage" in error.errortext) == (532, True)


def test_a_failed_snapshot_leaves_no_row_and_gives_limits_back(
    admin: CloudStack, tenant: Tenant, lab: Lab, disk: Any
) -> None:
    client = tenant.client()
    _, volume = disk
    limit(admin, tenant, resourcetype=3, max=1)
    data = data_file(lab, volume["id"])
    kept = data.rename(data.with_name(f"{volume['id']}.kept"))
    try:
        answer = client.createSnapshot(volumeid=volume["id"])
        error = failed(client, answer)
    finally:
        kept.rename(data)

    assert error["errorcode"] == 534
    assert client.listSnapshots(volumeid=volume["id"]).get("snapshot", []) == []
    assert listed(client, volume["id"])["state"] == "Ready"
    assert not list(lab.secondary.rglob(f"*{answer['id']}*"))
    assert snapshot_of(client, volume)["state"] == "BackedUp"


def test_revert_needs_a_stopped_vm_and_restores_the_data(
    tenant: Tenant, lab: Lab, disk: Any
) -> None:
    client = tenant.client()
    vm, volume = disk
    snapshot = snapshot_of(client, volume)
    path = data_file(lab, volume["id"])
    with path.open("r+b") as handle:
        handle.write(b"x" * len(PATTERN))

    error = failed(client, client.revertSnapshot(id=snapshot["id"]))
    assert (error["errorcode"], "Stopped" in error["errortext"]) == (431, True)

    succeeded(client, client.stopVirtualMachine(id=vm["id"]))
    reverted = succeeded(client, client.revertSnapshot(id=snapshot["id"]))["snapshot"]
    assert reverted["id"] == snapshot["id"]
    assert starts_with_pattern(path) and path.stat().st_size == GIB
    assert listed(client, volume["id"])["state"] == "Ready"


def test_delete_removes_the_file_and_the_entry(tenant: Tenant, lab: Lab, disk: Any) -> None:
    client = tenant.client()
    _, volume = disk
    snapshot = snapshot_of(client, volume)
    assert wait_for_job(client, client.deleteSnapshot(id=snapshot["id"])["jobid"])["jobstatus"] == 1
    assert stored(lab, snapshot["id"]) == []
    assert client.listSnapshots(volumeid=volume["id"]).get("snapshot", []) == []
    error = api_error(client.deleteSnapshot, id=snapshot["id"])
    assert error.errorcode == 431


def test_a_volume_from_a_snapshot_is_ready_with_its_data(
    admin: CloudStack, tenant: Tenant, lab: Lab, disk: Any
) -> None:
    client = tenant.client()
    vm, volume = disk
    snapshot = snapshot_of(client, volume)

    answer = client.createVolume(name=unique("restored"), snapshotid=snapshot["id"])
    restored = succeeded(client, answer)["volume"]
    assert restored["state"] == "Ready" and restored["size"] == GIB
    assert restored["diskofferingid"] == volume["diskofferingid"]
    assert restored["zoneid"] == lab.zone.id
    assert restored["storage"] == lab.zone.pool["name"]
    assert starts_with_pattern(data_file(lab, restored["id"]))

    answer = client.createVolume(snapshotid=snapshot["id"], virtualmachineid=vm["id"])
    plugged = succeeded(client, answer)["volume"]
    assert (plugged["state"], plugged["virtualmachineid"], plugged["deviceid"]) == (
        "Ready",
        vm["id"],
        2,
    )
    assert starts_with_pattern(data_file(lab, plugged["id"]))


def test_snapshots_are_listed_by_tag_and_hidden_from_others(
    admin: CloudStack, tenant: Tenant, lab: Lab, disk: Any, alto_server: Any
) -> None:
    from tests.support.tenants import new_account

    client = tenant.client()
    _, volume = disk
    tagged, plain = snapshot_of(client, volume), snapshot_of(client, volume)
    done = wait_for_job(
        client,
        client.createTags(
            resourcetype="Snapshot",
            resourceids=[tagged["id"]],
            tags=[{"key": "keep", "value": "yes"}],
        )["jobid"],
    )
    assert done["jobstatus"] == 1
    found = client.listSnapshots(tags=[{"key": "keep", "value": "yes"}])["snapshot"]
    assert [s["id"] for s in found] == [tagged["id"]]
    assert found[0]["tags"][0]["key"] == "keep"
    assert {
        s["id"] for s in client.listSnapshots(ids=f"{tagged['id']},{plain['id']}")["snapshot"]
    } == {
        tagged["id"],
        plain["id"],
    }
    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)
    assert other.client().listSnapshots().get("snapshot", []) == []
    error = api_error(other.client().createSnapshot, volumeid=volume["id"])
    assert error.errorcode == 431


def test_snapshotting_an_allocated_volume_creates_it_on_primary_storage(
    tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    volume = new_volume(client, lab, size=1)
    snapshot = snapshot_of(client, volume)
    ready = listed(client, volume["id"])
    assert (snapshot["state"], ready["state"], ready["size"]) == ("BackedUp", "Ready", GIB)
    assert len(stored(lab, snapshot["id"])) == 1
