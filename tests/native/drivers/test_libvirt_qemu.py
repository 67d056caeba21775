"""The libvirt driver against the local QEMU (TCG) through `qemu:///system`, where it runs."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from native.drivers.hypervisor import kvm_probe
from native.drivers.hypervisor.base import HostAccess, PowerState, VmSpec
from native.drivers.hypervisor.libvirt import LibvirtDriver

libvirt = pytest.importorskip("libvirt")

HOST = HostAccess(url="qemu:///system")


def _local_qemu_answers() -> bool:
    try:
        libvirt.open(HOST.url).close()
    except libvirt.libvirtError:
        return False
    return True


@pytest.mark.skipif(not _local_qemu_answers(), reason="no libvirtd with QEMU on qemu:///system")
def test_a_diskless_vm_runs_logs_its_console_and_is_gone_after_a_forced_stop(
    tmp_path: Path,
) -> None:
    driver = LibvirtDriver(state_dir=tmp_path, domain_type="qemu", shutdown_timeout=1.0)
    spec = VmSpec(
        name=f"alto-test-{uuid.uuid4().hex[:8]}",
        uuid=str(uuid.uuid4()),
        cpu_number=1,
        cpu_speed=1000,
        memory=64,
    )
    driver.start_vm(HOST, spec)
    try:
        assert driver.vm_states(HOST)[spec.name] == PowerState.ON
        log = tmp_path / f"{spec.name}.log"
        deadline = time.monotonic() + 10
        while not log.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert log.exists()
    finally:
        driver.stop_vm(HOST, spec.name, force=True)
    assert spec.name not in driver.vm_states(HOST)


@pytest.mark.skipif(not _local_qemu_answers(), reason="no libvirtd with QEMU on qemu:///system")
def test_the_kvm_probe_boots_its_guest_under_tcg() -> None:
    connection = libvirt.open("qemu:///system")
    try:
        assert kvm_probe.boots_a_guest(connection, domain_type="qemu", timeout=60)
        names = {domain.name() for domain in connection.listAllDomains()}
    finally:
        connection.close()
    assert not [name for name in names if name.startswith("alto-kvm-probe-")]
