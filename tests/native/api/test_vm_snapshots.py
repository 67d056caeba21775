"""VM snapshots through the real `cs` client: createVMSnapshot, listVMSnapshot,
revertToVMSnapshot, deleteVMSnapshot, and the volume operations they forbid."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account
from tests.support.vms import failed, succeeded
from tests.support.volumes import (
    Lab,
    attach,
    build_lab,
    lab_vm,
    new_volume,
)


@pytest.fixture(scope="module")
def lab(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return build_lab(admin, tmp_path_factory.mktemp("vmsnapshots"), hosts=1)


def take(client: CloudStack, vm: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer = client.createVMSnapshot(virtualmachineid=vm["id"], **params)
    return dict(succeeded(client, answer)["vmsnapshot"])


def snapshots(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listVMSnapshot(**params).get("vmSnapshot", []))


def vm_state(client: CloudStack, vm: dict[str, Any]) -> str:
    return str(client.listVirtualMachines(id=vm["id"])["virtualmachine"][0]["state"])


def host_memory_used(admin: CloudStack, host_id: str) -> int:
    return int(admin.listHosts(id=host_id)["host"][0]["memoryallocated"])


def test_snapshots_form_a_chain(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    disk = take(client, vm, name="disk-only", description="before")
    assert disk["displayname"] == "disk-only"
    assert disk["name"].split("_VS_")[1].isdigit()
    assert (disk["type"], disk["state"], disk["current"]) == ("Disk", "Ready", True)
    assert disk["virtualmachineid"] == vm["id"] and disk["description"] == "before"
    assert "parent" not in disk

    memory = take(client, vm, name="with-memory", snapshotmemory=True)
    assert (memory["type"], memory["parent"], memory["parentName"]) == (
        "DiskAndMemory",
        disk["id"],
        "disk-only",
    )
    listed = {s["id"]: s for s in snapshots(client, virtualmachineid=vm["id"])}
    assert set(listed) == {disk["id"], memory["id"]}
    assert listed[disk["id"]]["current"] is False and listed[memory["id"]]["current"] is True
    assert [s["id"] for s in snapshots(client, vmsnapshotid=disk["id"])] == [disk["id"]]
    assert [s["id"] for s in snapshots(client, name="with-memory")] == [memory["id"]]

    error = api_error(client.createVMSnapshot, virtualmachineid=vm["id"], name="disk-only")
    assert (error.errorcode, "already exists" in error.errortext) == (431, True)


def test_a_vm_with_snapshots_keeps_its_volumes(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    data = attach(client, new_volume(client, lab), vm)
    snapshot = take(client, vm)

    error = api_error(
        client.attachVolume, id=new_volume(client, lab)["id"], virtualmachineid=vm["id"]
    )
    assert (error.errorcode, "VM snapshots" in error.errortext) == (431, True)
    error = api_error(client.detachVolume, id=data["id"])
    assert (error.errorcode, "VM snapshots" in error.errortext) == (431, True)
    error = api_error(client.resizeVolume, id=data["id"], size=2)
    assert (error.errorcode, "VM snapshots" in error.errortext) == (431, True)

    succeeded(client, client.deleteVMSnapshot(vmsnapshotid=snapshot["id"]))
    assert snapshots(client, virtualmachineid=vm["id"]) == []
    assert succeeded(client, client.detachVolume(id=data["id"]))["volume"]["state"] == "Ready"


def test_revert_to_a_memory_snapshot_keeps_the_vm_running(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    memory = take(client, vm, snapshotmemory=True)
    take(client, vm)

    reverted = succeeded(client, client.revertToVMSnapshot(vmsnapshotid=memory["id"]))
    assert reverted["virtualmachine"]["id"] == vm["id"]
    assert reverted["virtualmachine"]["state"] == "Running"
    [entry] = snapshots(client, vmsnapshotid=memory["id"])
    assert entry["current"] is True and entry["state"] == "Ready"


def test_revert_to_a_disk_snapshot_leaves_the_vm_stopped(
    admin: CloudStack, tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    host_id = admin.listVirtualMachines(id=vm["id"])["virtualmachine"][0]["hostid"]
    disk = take(client, vm)
    running = host_memory_used(admin, host_id)

    reverted = succeeded(client, client.revertToVMSnapshot(vmsnapshotid=disk["id"]))

    assert reverted["virtualmachine"]["state"] == "Stopped"
    assert vm_state(client, vm) == "Stopped"
    assert host_memory_used(admin, host_id) == running - 256 * 1024 * 1024
    error = api_error(client.createVMSnapshot, virtualmachineid=vm["id"], snapshotmemory=True)
    assert (error.errorcode, "not in Running state" in error.errortext) == (431, True)
    succeeded(client, client.deleteVMSnapshot(vmsnapshotid=disk["id"]))
    assert snapshots(client, virtualmachineid=vm["id"]) == []


def test_a_failed_vm_snapshot_leaves_no_row(admin: CloudStack, tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    host_id = admin.listVirtualMachines(id=vm["id"])["virtualmachine"][0]["hostid"]
    admin.configureSimulator(hostid=host_id, name="create_vm_snapshot", value="fail")
    try:
        error = failed(client, client.createVMSnapshot(virtualmachineid=vm["id"]))
    finally:
        admin.configureSimulator(hostid=host_id, name="create_vm_snapshot", value="ok")
    assert error["errorcode"] == 534
    assert snapshots(client, virtualmachineid=vm["id"]) == []
    assert take(client, vm)["state"] == "Ready"


def test_vm_snapshots_are_private_to_their_account(
    admin: CloudStack, tenant: Tenant, lab: Lab, alto_server: Any
) -> None:
    client = tenant.client()
    vm = lab_vm(client, lab)
    snapshot = take(client, vm)
    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)

    assert snapshots(other.client()) == []
    error = api_error(other.client().deleteVMSnapshot, vmsnapshotid=snapshot["id"])
    assert error.errorcode == 431
    error = api_error(other.client().createVMSnapshot, virtualmachineid=vm["id"])
    assert error.errorcode == 431
    assert [s["id"] for s in snapshots(admin, vmsnapshotid=snapshot["id"])] == [snapshot["id"]]
