"""The libvirt driver against libvirt's built-in `test:///default` hypervisor."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from native.drivers.catalog import DriverCatalog
from native.drivers.hypervisor.base import DiskSpec, DriverError, HostAccess, PowerState, VmSpec
from native.drivers.hypervisor.libvirt import LibvirtDriver

libvirt = pytest.importorskip("libvirt")

HOST = HostAccess(url="test:///default")


@pytest.fixture(autouse=True)
def test_hypervisor() -> Iterator[Any]:
    """A connection held open: the test hypervisor forgets its domains when the last one
    closes, and the driver opens one per call."""
    conn = libvirt.open(HOST.url)
    yield conn
    conn.close()


@pytest.fixture
def driver(tmp_path: Path) -> LibvirtDriver:
    return LibvirtDriver(state_dir=tmp_path, shutdown_timeout=2.0)


def _spec(**details: str) -> VmSpec:
    name = f"i-2-{uuid.uuid4().hex[:8]}-VM"
    return VmSpec(
        name=name, uuid=str(uuid.uuid4()), cpu_number=1, cpu_speed=1000, memory=64, details=details
    )


def _names(conn: Any) -> set[str]:
    return {domain.name() for domain in conn.listAllDomains(0)}


def test_connect_describes_the_host(driver: LibvirtDriver) -> None:
    info = driver.connect(HOST)
    assert (info.cpu_number, info.cpu_speed, info.memory) == (16, 1400, 3 << 30)
    assert info.cpu_sockets >= 1 and info.hypervisor_version
    assert "vm_snapshot" in info.capabilities
    assert driver.connect(HOST).guid == info.guid
    assert driver.ping(HOST)


@pytest.mark.parametrize("url", ["ftp://h1", "qemu+tcp://127.0.0.1:1/system", "http://"])
def test_unreachable_or_invalid_hosts(driver: LibvirtDriver, url: str) -> None:
    assert not driver.ping(HostAccess(url=url))
    with pytest.raises(DriverError):
        driver.connect(HostAccess(url=url))


def test_catalog_offers_kvm(tmp_path: Path) -> None:
    assert isinstance(DriverCatalog(state_dir=tmp_path).hypervisor("KVM"), LibvirtDriver)


def test_start_list_and_stop(driver: LibvirtDriver, test_hypervisor: Any) -> None:
    graceful, forced = _spec(), _spec()
    driver.start_vm(HOST, graceful)
    driver.start_vm(HOST, forced)
    states = driver.vm_states(HOST)
    assert states[graceful.name] == states[forced.name] == PowerState.ON
    uuids = driver.vm_uuids(HOST)
    assert (uuids[graceful.name], uuids[forced.name]) == (graceful.uuid, forced.uuid)
    test_hypervisor.lookupByName(forced.name).suspend()
    assert driver.vm_states(HOST)[forced.name] == PowerState.ON
    with pytest.raises(DriverError, match="already runs"):
        driver.start_vm(HOST, graceful)

    driver.stop_vm(HOST, graceful.name)
    driver.stop_vm(HOST, forced.name, force=True)
    assert not _names(test_hypervisor) & {graceful.name, forced.name}
    driver.stop_vm(HOST, graceful.name)


def test_a_failed_start_leaves_no_domain(
    driver: LibvirtDriver, test_hypervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_uuid = VmSpec(name=_spec().name, uuid="not-a-uuid", cpu_number=1, cpu_speed=1, memory=64)
    bad_disk = _spec()
    bad_disk = VmSpec(
        name=bad_disk.name,
        uuid=bad_disk.uuid,
        cpu_number=1,
        cpu_speed=1,
        memory=64,
        disks=(DiskSpec(volume_uuid="v", path="/p", device_id=0, size=1, format="VHD"),),
    )
    for spec in (bad_uuid, bad_disk):
        with pytest.raises(DriverError) as caught:
            driver.start_vm(HOST, spec)
        assert not caught.value.retryable
        assert spec.name not in _names(test_hypervisor)

    def refuse(self: Any) -> int:
        raise libvirt.libvirtError("no room for it")

    monkeypatch.setattr(libvirt.virDomain, "create", refuse)
    spec = _spec()
    with pytest.raises(DriverError, match="no room for it"):
        driver.start_vm(HOST, spec)
    assert spec.name not in _names(test_hypervisor)


def test_reboot(driver: LibvirtDriver) -> None:
    spec = _spec()
    driver.start_vm(HOST, spec)
    driver.reboot_vm(HOST, spec.name)
    assert driver.vm_states(HOST)[spec.name] == PowerState.ON
    driver.stop_vm(HOST, spec.name, force=True)
    with pytest.raises(DriverError) as caught:
        driver.reboot_vm(HOST, spec.name)
    assert not caught.value.retryable


def test_scale_within_the_declared_maxima(driver: LibvirtDriver, test_hypervisor: Any) -> None:
    spec = _spec(max_cpu_number="4", max_memory="256")
    driver.start_vm(HOST, spec)
    domain = test_hypervisor.lookupByName(spec.name)
    driver.scale_vm(HOST, spec.name, cpu_number=3, memory=128)
    assert (domain.info()[3], domain.info()[2]) == (3, 128 * 1024)
    with pytest.raises(DriverError):
        driver.scale_vm(HOST, spec.name, cpu_number=2, memory=512)
    assert (domain.info()[3], domain.info()[2]) == (3, 128 * 1024)
    with pytest.raises(DriverError):
        driver.scale_vm(HOST, spec.name, cpu_number=8, memory=128)
    driver.stop_vm(HOST, spec.name, force=True)


def test_attach_and_detach_disk(driver: LibvirtDriver) -> None:
    spec = _spec()
    disk = DiskSpec(volume_uuid="data-1", path="/pool/data-1", device_id=1, size=1 << 30)
    driver.start_vm(HOST, spec)
    try:
        driver.detach_disk(HOST, spec.name, disk)
        try:
            driver.attach_disk(HOST, spec.name, disk)
        except DriverError as error:
            assert not error.retryable
            pytest.skip(f"libvirt's test driver cannot hot-plug: {error}")
        driver.detach_disk(HOST, spec.name, disk)
        driver.attach_iso(HOST, spec.name, "/isos/tools.iso")
        driver.attach_iso(HOST, spec.name, None)
    finally:
        driver.stop_vm(HOST, spec.name, force=True)


def test_failed_migration_leaves_the_vm_on_its_source(driver: LibvirtDriver) -> None:
    spec = _spec()
    driver.start_vm(HOST, spec)
    with pytest.raises(DriverError, match="Migrating"):
        driver.migrate_vm(HOST, HostAccess(url="test:///default"), spec)
    assert driver.vm_states(HOST)[spec.name] == PowerState.ON
    driver.stop_vm(HOST, spec.name, force=True)


def test_snapshots(driver: LibvirtDriver, test_hypervisor: Any) -> None:
    spec = _spec()
    driver.start_vm(HOST, spec)
    reference = driver.create_vm_snapshot(HOST, spec.name, snapshot="before", memory=True)
    assert reference.startswith("<domainsnapshot>") and "<name>before</name>" in reference
    assert driver.revert_vm_snapshot(HOST, spec.name, reference=reference) == PowerState.ON
    driver.delete_vm_snapshot(HOST, spec.name, reference=reference)
    driver.delete_vm_snapshot(HOST, spec.name, reference=reference)
    assert test_hypervisor.lookupByName(spec.name).snapshotListNames(0) == []
    with pytest.raises(DriverError) as caught:
        driver.revert_vm_snapshot(HOST, spec.name, reference="before")  # an old reference
    assert not caught.value.retryable
    with pytest.raises(DriverError, match="Invalid VM snapshot reference") as invalid:
        driver.revert_vm_snapshot(HOST, spec.name, reference="<domain/>")
    assert not invalid.value.retryable

    with pytest.raises(DriverError, match="without memory are not supported") as refused:
        driver.create_vm_snapshot(HOST, spec.name, snapshot="disk-only", memory=False)
    assert not refused.value.retryable
    driver.create_vm_snapshot(HOST, spec.name, snapshot="kept", memory=True)
    driver.stop_vm(HOST, spec.name)
    assert spec.name not in _names(test_hypervisor)
    with pytest.raises(DriverError):
        driver.create_vm_snapshot(HOST, spec.name, snapshot="late", memory=False)
    driver.delete_vm_snapshot(HOST, spec.name, reference="kept")


def _snapshot_names(conn: Any, name: str) -> list[str]:
    return sorted(conn.lookupByName(name).snapshotListNames(0))


def test_snapshots_outlive_a_stop_and_start(driver: LibvirtDriver, test_hypervisor: Any) -> None:
    """A stop makes libvirt forget the snapshots; their references bring them back."""
    spec = _spec()
    driver.start_vm(HOST, spec)
    first = driver.create_vm_snapshot(HOST, spec.name, snapshot="first", memory=True)
    second = driver.create_vm_snapshot(HOST, spec.name, snapshot="second", memory=True)
    assert "<parent>" in second
    driver.stop_vm(HOST, spec.name)
    driver.start_vm(HOST, spec)
    assert _snapshot_names(test_hypervisor, spec.name) == []

    assert driver.revert_vm_snapshot(HOST, spec.name, reference=second) == PowerState.ON
    assert _snapshot_names(test_hypervisor, spec.name) == ["second"]
    assert driver.vm_states(HOST)[spec.name] == PowerState.ON
    driver.delete_vm_snapshot(HOST, spec.name, reference=first)
    driver.delete_vm_snapshot(HOST, spec.name, reference=second)
    assert _snapshot_names(test_hypervisor, spec.name) == []
    driver.stop_vm(HOST, spec.name, force=True)


def test_a_failed_revert_forgets_the_redefined_snapshot(
    driver: LibvirtDriver, test_hypervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec()
    driver.start_vm(HOST, spec)
    reference = driver.create_vm_snapshot(HOST, spec.name, snapshot="s", memory=True)
    driver.stop_vm(HOST, spec.name)
    with pytest.raises(DriverError, match="not defined") as stopped:
        driver.revert_vm_snapshot(HOST, spec.name, reference=reference)
    assert not stopped.value.retryable
    assert spec.name not in _names(test_hypervisor)

    driver.start_vm(HOST, spec)

    def refuse(self: Any, snapshot: Any, flags: int = 0) -> int:
        raise libvirt.libvirtError("cannot load the VM state")

    deleted: list[int] = []
    delete = libvirt.virDomainSnapshot.delete

    def metadata_only(self: Any, flags: int = 0) -> int:
        """The test driver lacks DELETE_METADATA_ONLY; it keeps no disk data anyway."""
        deleted.append(flags)
        return int(delete(self, flags & ~libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY))

    monkeypatch.setattr(libvirt.virDomain, "revertToSnapshot", refuse)
    monkeypatch.setattr(libvirt.virDomainSnapshot, "delete", metadata_only)
    with pytest.raises(DriverError, match="cannot load the VM state"):
        driver.revert_vm_snapshot(HOST, spec.name, reference=reference)
    assert deleted == [libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY]
    assert _snapshot_names(test_hypervisor, spec.name) == []
    driver.stop_vm(HOST, spec.name, force=True)


def test_deleting_a_snapshot_of_a_stopped_vm(
    driver: LibvirtDriver, test_hypervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The domain is defined from the reference for the while, so that libvirt deletes
    the snapshot from its disks (qemu-img, on QEMU), and undefined again."""
    spec = _spec()
    driver.start_vm(HOST, spec)
    reference = driver.create_vm_snapshot(HOST, spec.name, snapshot="s", memory=True)
    driver.stop_vm(HOST, spec.name)
    deleted: list[tuple[str, bool, int]] = []
    delete = libvirt.virDomainSnapshot.delete

    def spy(self: Any, flags: int = 0) -> int:
        domain = self.getDomain()
        deleted.append((self.getName(), bool(domain.isPersistent()), flags))
        return int(delete(self, flags))

    monkeypatch.setattr(libvirt.virDomainSnapshot, "delete", spy)
    driver.delete_vm_snapshot(HOST, spec.name, reference=reference)
    assert deleted == [("s", True, 0)]
    assert spec.name not in _names(test_hypervisor)
    driver.delete_vm_snapshot(HOST, spec.name, reference="s")  # an old reference: nothing
    assert len(deleted) == 1 and spec.name not in _names(test_hypervisor)
    driver.start_vm(HOST, spec)
    assert _snapshot_names(test_hypervisor, spec.name) == []
    driver.stop_vm(HOST, spec.name, force=True)


def test_console_output_is_the_tail_of_the_serial_log(
    driver: LibvirtDriver, tmp_path: Path
) -> None:
    spec = _spec()
    assert driver.console_output(HOST, spec.name) == b""
    driver.start_vm(HOST, spec)
    (tmp_path / f"{spec.name}.log").write_bytes(b"x" * 100_000 + b"login: ")
    output = driver.console_output(HOST, spec.name)
    assert output.endswith(b"login: ") and len(output) == 64 * 1024
    driver.stop_vm(HOST, spec.name)
    assert driver.console_output(HOST, spec.name) == b""
