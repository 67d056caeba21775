"""The VMware skeleton: it reads hosts and refuses, plainly, everything that would run a VM.
There is no vSphere on this machine: reaching one is tested only as far as failing to."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from native.drivers.catalog import DriverCatalog
from native.drivers.hypervisor.base import DiskSpec, DriverError, HostAccess, VmSpec

pytest.importorskip("pyVmomi")
from native.drivers.hypervisor.vmware import VmwareDriver, describe_host, vsphere_address

REFUSING = HostAccess(url="https://127.0.0.1:1", username="root", password="secret")


@pytest.fixture
def driver() -> VmwareDriver:
    return VmwareDriver()


def test_the_catalog_offers_it_with_no_capability(tmp_path: Path) -> None:
    driver = DriverCatalog(state_dir=tmp_path).hypervisor("vmware")
    assert isinstance(driver, VmwareDriver)
    assert driver.hypervisor_type == "VMware"
    assert not any(driver.capabilities.values())


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://vc.example", ("vc.example", 443, None)),
        ("http://10.0.0.9:8443/esx-1.example", ("10.0.0.9", 8443, "esx-1.example")),
        ("https://vc/", ("vc", 443, None)),
    ],
)
def test_host_urls_name_a_server_and_an_inventory_host(
    url: str, address: tuple[str, int, str | None]
) -> None:
    assert vsphere_address(HostAccess(url=url)) == address


@pytest.mark.parametrize("url", ["qemu:///system", "https://", "https://vc:port"])
def test_other_urls_are_refused_for_good(url: str) -> None:
    with pytest.raises(DriverError) as refused:
        vsphere_address(HostAccess(url=url))
    assert not refused.value.retryable


def test_a_host_that_does_not_answer_is_down(driver: VmwareDriver) -> None:
    assert not driver.ping(REFUSING)
    with pytest.raises(DriverError, match="Cannot reach VMware host 127.0.0.1:1") as failed:
        driver.connect(REFUSING)
    assert failed.value.retryable
    with pytest.raises(DriverError, match="Cannot reach"):
        driver.vm_states(REFUSING)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and closes them at once (no vSphere there)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    listener.close()


def test_a_server_that_is_no_vsphere_is_a_driver_error(
    driver: VmwareDriver, silent_server: int
) -> None:
    host = HostAccess(url=f"https://127.0.0.1:{silent_server}", username="u", password="p")
    with pytest.raises(DriverError, match="Cannot reach VMware host"):
        driver.connect(host)
    assert not driver.ping(host)


def test_every_operation_on_a_vm_is_refused_as_unsupported(driver: VmwareDriver) -> None:
    host = HostAccess(url="https://vc.example")
    spec = VmSpec(name="i-2-3-VM", uuid="u", cpu_number=1, cpu_speed=500, memory=256)
    disk = DiskSpec(volume_uuid="v", path="/p", device_id=1, size=1, format="QCOW2")
    refusals = [
        lambda: driver.start_vm(host, spec),
        lambda: driver.reboot_vm(host, spec.name),
        lambda: driver.migrate_vm(host, host, spec),
        lambda: driver.scale_vm(host, spec.name, cpu_number=2, memory=512),
        lambda: driver.attach_disk(host, spec.name, disk),
        lambda: driver.detach_disk(host, spec.name, disk),
        lambda: driver.attach_iso(host, spec.name, None),
        lambda: driver.create_vm_snapshot(host, spec.name, snapshot="s", memory=True),
        lambda: driver.revert_vm_snapshot(host, spec.name, reference="s"),
        lambda: driver.delete_vm_snapshot(host, spec.name, reference="s"),
    ]
    for refusal in refusals:
        with pytest.raises(DriverError, match="VMware driver is a skeleton") as refused:
            refusal()
        assert not refused.value.retryable


def test_a_host_summary_becomes_host_facts() -> None:
    hardware = SimpleNamespace(
        uuid="4c4c4544-0042", numCpuPkgs=2, numCpuCores=16, cpuMhz=2400, memorySize=64 << 30
    )
    system = SimpleNamespace(name="esx-1.example", summary=SimpleNamespace(hardware=hardware))
    info = describe_host(system, version="8.0.2")
    assert (info.guid, info.name, info.hypervisor_version) == (
        "vmware-4c4c4544-0042",
        "esx-1.example",
        "8.0.2",
    )
    assert (info.cpu_sockets, info.cpu_number, info.cpu_speed, info.memory) == (
        2,
        16,
        2400,
        64 << 30,
    )
