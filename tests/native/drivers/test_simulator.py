"""The simulator hypervisor: declared hosts, VM operations, injected faults, restart survival."""

from __future__ import annotations

from pathlib import Path

import pytest

from native.drivers.hypervisor.base import DiskSpec, DriverError, HostAccess, PowerState, VmSpec
from native.drivers.hypervisor.simulator import SimulatorDriver


def _spec(name: str = "i-2-1-VM") -> VmSpec:
    disk = DiskSpec(volume_uuid="root-1", path="volumes/root-1", device_id=0, size=1 << 30)
    return VmSpec(
        name=name, uuid=f"uuid-{name}", cpu_number=2, cpu_speed=1000, memory=512, disks=(disk,)
    )


@pytest.fixture
def driver(tmp_path: Path) -> SimulatorDriver:
    return SimulatorDriver(state_dir=tmp_path)


def test_connect_reports_the_declared_size(driver: SimulatorDriver) -> None:
    info = driver.connect(HostAccess(url="simulator://h1?cpu=16&speed=2400&mem=65536"))
    assert (info.name, info.cpu_number, info.cpu_speed, info.memory) == (
        "h1",
        16,
        2400,
        65536 << 20,
    )
    again = driver.connect(HostAccess(url="simulator://h1?cpu=16&speed=2400&mem=65536"))
    assert again.guid == info.guid


@pytest.mark.parametrize(
    "url",
    [
        "http://h1",
        "simulator://",
        "simulator://h1?cpu=lots",
        "simulator://h1?mem=0",
        "simulator://h1?fail=start",
    ],
)
def test_invalid_urls_are_refused_without_state(
    driver: SimulatorDriver, tmp_path: Path, url: str
) -> None:
    with pytest.raises(DriverError) as caught:
        driver.connect(HostAccess(url=url))
    assert not caught.value.retryable
    assert not list(tmp_path.glob("*.json"))


def test_vm_lifecycle_and_state_survive_a_new_driver(
    driver: SimulatorDriver, tmp_path: Path
) -> None:
    host = HostAccess(url="simulator://h1")
    driver.connect(host)
    driver.start_vm(host, _spec())
    driver.scale_vm(host, "i-2-1-VM", cpu_number=4, memory=1024)

    restarted = SimulatorDriver(state_dir=tmp_path)
    assert restarted.vm_states(host) == {"i-2-1-VM": PowerState.ON}
    restarted.stop_vm(host, "i-2-1-VM")
    assert restarted.vm_states(host) == {}
    restarted.stop_vm(host, "i-2-1-VM")


def test_migration_moves_the_vm_and_a_failure_leaves_it_on_the_source(
    driver: SimulatorDriver,
) -> None:
    source, target = HostAccess(url="simulator://a"), HostAccess(url="simulator://b")
    driver.connect(source)
    driver.connect(target)
    driver.start_vm(source, _spec())

    driver.configure(target, operation="migrate", value="fail")
    with pytest.raises(DriverError):
        driver.migrate_vm(source, target, _spec())
    assert driver.vm_states(source) == {"i-2-1-VM": PowerState.ON}
    assert driver.vm_states(target) == {}

    driver.configure(target, operation="migrate", value="ok")
    driver.migrate_vm(source, target, _spec())
    assert (driver.vm_states(source), driver.vm_states(target)) == ({}, {"i-2-1-VM": PowerState.ON})


def test_injected_failures_from_the_url_and_at_run_time(driver: SimulatorDriver) -> None:
    host = HostAccess(url="simulator://h1?fail=start:1")
    driver.connect(host)
    with pytest.raises(DriverError):
        driver.start_vm(host, _spec())
    assert driver.vm_states(host) == {}

    driver.configure(host, operation="start", value="ok")
    driver.start_vm(host, _spec())
    driver.configure(host, operation="all", value="fail:1")
    with pytest.raises(DriverError):
        driver.reboot_vm(host, "i-2-1-VM")
    with pytest.raises(DriverError):
        driver.configure(host, operation="start", value="sometimes")


def test_a_down_host_does_not_answer_until_it_is_up(driver: SimulatorDriver) -> None:
    host = HostAccess(url="simulator://h1")
    driver.connect(host)
    assert driver.ping(host)
    driver.configure(host, operation="host", value="down")
    assert not driver.ping(host)
    with pytest.raises(DriverError):
        driver.start_vm(host, _spec())
    driver.configure(host, operation="host", value="up")
    assert driver.ping(host)
    assert not driver.ping(HostAccess(url="simulator://never-connected"))


def test_disks_and_snapshots(driver: SimulatorDriver) -> None:
    host = HostAccess(url="simulator://h1")
    driver.connect(host)
    driver.start_vm(host, _spec())
    data = DiskSpec(volume_uuid="data-1", path="volumes/data-1", device_id=1, size=1 << 30)
    driver.attach_disk(host, "i-2-1-VM", data)
    with pytest.raises(DriverError):
        driver.attach_disk(
            host, "i-2-1-VM", DiskSpec(volume_uuid="x", path="x", device_id=1, size=1)
        )
    driver.detach_disk(host, "i-2-1-VM", data)

    with_memory = driver.create_vm_snapshot(host, "i-2-1-VM", snapshot="s1", memory=True)
    disk_only = driver.create_vm_snapshot(host, "i-2-1-VM", snapshot="s2", memory=False)
    assert driver.revert_vm_snapshot(host, "i-2-1-VM", reference=with_memory) == PowerState.ON
    assert driver.revert_vm_snapshot(host, "i-2-1-VM", reference=disk_only) == PowerState.OFF
    assert driver.vm_states(host) == {}
    driver.delete_vm_snapshot(host, "i-2-1-VM", reference=disk_only)
    with pytest.raises(DriverError):
        driver.revert_vm_snapshot(host, "i-2-1-VM", reference=disk_only)


def test_snapshots_of_a_stopped_vm_outlive_a_stop_and_start(driver: SimulatorDriver) -> None:
    host = HostAccess(url="simulator://h1")
    driver.connect(host)
    driver.start_vm(host, _spec())
    running = driver.create_vm_snapshot(host, "i-2-1-VM", snapshot="s1", memory=False)
    driver.stop_vm(host, "i-2-1-VM")
    with pytest.raises(DriverError):
        driver.create_vm_snapshot(host, "i-2-1-VM", snapshot="s2", memory=True)
    stopped = driver.create_vm_snapshot(host, "i-2-1-VM", snapshot="s2", memory=False)
    driver.start_vm(host, _spec())
    assert driver.revert_vm_snapshot(host, "i-2-1-VM", reference=running) == PowerState.OFF
    assert driver.revert_vm_snapshot(host, "i-2-1-VM", reference=stopped) == PowerState.OFF


def test_disconnect_refuses_a_host_with_vms(driver: SimulatorDriver, tmp_path: Path) -> None:
    host = HostAccess(url="simulator://h1")
    driver.connect(host)
    driver.start_vm(host, _spec())
    with pytest.raises(DriverError):
        driver.disconnect(host)
    driver.stop_vm(host, "i-2-1-VM")
    driver.disconnect(host)
    assert not list(tmp_path.glob("h1.*"))
