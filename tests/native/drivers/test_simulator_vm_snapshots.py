"""The simulator keeps the VM snapshot contract of `HypervisorDriver`: a snapshot with
memory is reverted to on a running VM only; a stopped VM's snapshots are deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from native.drivers.hypervisor.base import DriverError, HostAccess, PowerState, VmSpec
from native.drivers.hypervisor.simulator import SimulatorDriver

HOST = HostAccess(url="simulator://h1")
SPEC = VmSpec(name="i-2-1-VM", uuid="uuid-1", cpu_number=1, cpu_speed=1000, memory=256)


def test_a_memory_snapshot_is_reverted_to_on_a_running_vm_only(tmp_path: Path) -> None:
    driver = SimulatorDriver(state_dir=tmp_path)
    driver.connect(HOST)
    driver.start_vm(HOST, SPEC)
    memory = driver.create_vm_snapshot(HOST, SPEC.name, snapshot="s1", memory=True)
    driver.stop_vm(HOST, SPEC.name)

    with pytest.raises(DriverError, match="not running") as refused:
        driver.revert_vm_snapshot(HOST, SPEC.name, reference=memory)
    assert not refused.value.retryable
    assert driver.vm_states(HOST) == {}

    driver.start_vm(HOST, SPEC)
    assert driver.revert_vm_snapshot(HOST, SPEC.name, reference=memory) == PowerState.ON
    driver.stop_vm(HOST, SPEC.name)
    driver.delete_vm_snapshot(HOST, SPEC.name, reference=memory)
    driver.start_vm(HOST, SPEC)
    with pytest.raises(DriverError, match="does not exist"):
        driver.revert_vm_snapshot(HOST, SPEC.name, reference=memory)
