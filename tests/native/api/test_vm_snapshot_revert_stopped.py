"""revertToVMSnapshot of a Stopped VM to a DiskAndMemory snapshot, through the `cs`
client: as CloudStack does, the VM is started first (its host capacity reserved), then
reverted, and ends Running; if the revert fails it is Stopped again."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.support.tenants import Tenant
from tests.support.vms import failed, succeeded
from tests.support.volumes import Lab, build_lab, lab_vm


@pytest.fixture(scope="module")
def lab(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return build_lab(admin, tmp_path_factory.mktemp("vmsnapshotrevert"), hosts=1)


def _listed(client: CloudStack, vm: dict[str, Any]) -> dict[str, Any]:
    return dict(client.listVirtualMachines(id=vm["id"])["virtualmachine"][0])


def _memory_used(admin: CloudStack, host_id: str) -> int:
    return int(admin.listHosts(id=host_id)["host"][0]["memoryallocated"])


def _stopped_with_a_memory_snapshot(
    admin: CloudStack, client: CloudStack, lab: Lab
) -> tuple[dict[str, Any], dict[str, Any], str]:
    vm = lab_vm(client, lab)
    host_id = str(admin.listVirtualMachines(id=vm["id"])["virtualmachine"][0]["hostid"])
    answer = client.createVMSnapshot(virtualmachineid=vm["id"], snapshotmemory=True)
    snapshot = dict(succeeded(client, answer)["vmsnapshot"])
    succeeded(client, client.stopVirtualMachine(id=vm["id"]))
    return vm, snapshot, host_id


def test_a_stopped_vm_reverted_to_a_memory_snapshot_runs(
    admin: CloudStack, tenant: Tenant, lab: Lab
) -> None:
    client = tenant.client()
    vm, snapshot, host_id = _stopped_with_a_memory_snapshot(admin, client, lab)
    stopped = _memory_used(admin, host_id)

    answer = client.revertToVMSnapshot(vmsnapshotid=snapshot["id"])
    reverted = succeeded(client, answer)["virtualmachine"]

    assert reverted["state"] == "Running"
    listed = _listed(admin, vm)
    assert (listed["state"], listed["hostid"]) == ("Running", host_id)
    assert _memory_used(admin, host_id) == stopped + 256 * 1024 * 1024
    [entry] = client.listVMSnapshot(vmsnapshotid=snapshot["id"])["vmSnapshot"]
    assert (entry["state"], entry["current"]) == ("Ready", True)
    succeeded(client, client.stopVirtualMachine(id=vm["id"]))
    assert _memory_used(admin, host_id) == stopped


def test_a_failed_revert_leaves_the_vm_stopped(admin: CloudStack, tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    vm, snapshot, host_id = _stopped_with_a_memory_snapshot(admin, client, lab)
    stopped = _memory_used(admin, host_id)

    admin.configureSimulator(hostid=host_id, name="revert_vm_snapshot", value="fail")
    try:
        error = failed(client, client.revertToVMSnapshot(vmsnapshotid=snapshot["id"]))
    finally:
        admin.configureSimulator(hostid=host_id, name="revert_vm_snapshot", value="ok")

    assert error["errorcode"] == 534
    assert _listed(client, vm)["state"] == "Stopped"
    assert _memory_used(admin, host_id) == stopped
    [entry] = client.listVMSnapshot(vmsnapshotid=snapshot["id"])["vmSnapshot"]
    assert entry["state"] == "Ready"
    answer = client.revertToVMSnapshot(vmsnapshotid=snapshot["id"])
    assert succeeded(client, answer)["virtualmachine"]["state"] == "Running"
