"""Live migration of the test guest (tests/support/guest_image.py) between two real libvirt
hosts: the system's `qemu:///system` and a second libvirtd in a network and mount namespace
of its own (tests/support/libvirt_netns.py), reached at `qemu+tcp://ADDRESS/system`. The
guest's disk and the driver's `state_dir` (its console log) are under /var/tmp, which both
hosts see (shared storage). Migrations that fail (the target's libvirtd is down; the
migration stream cannot reach the target) leave the guest running on its source; one that
succeeds leaves it running, persistent, on the target only, where it answers a disk
hot-plug on the same console and powers off gracefully.

Needs root, `libvirtd`, `virtlogd`, `unshare` and `ip`, the system libvirtd running, and
what the test guest is built with; skipped otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from native.drivers.hypervisor import libvirt as libvirt_driver
from native.drivers.hypervisor.base import DiskSpec, DriverError, HostAccess, PowerState, VmSpec
from native.drivers.hypervisor.libvirt import LibvirtDriver
from tests.support.guest_image import (
    DEFAULT_CACHE_DIR,
    GuestImage,
    GuestImageUnavailable,
    guest_image,
)
from tests.support.libvirt_netns import (
    LIBVIRTD_PORT,
    NamespaceHost,
    libvirt_host_or_skip,
)

libvirt = pytest.importorskip("libvirt")

SOURCE = HostAccess(url="qemu:///system")
BOOT_TIMEOUT = 120.0


def _why_not() -> str | None:
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root for network and mount namespaces"
    missing = [tool for tool in ("libvirtd", "virtlogd", "unshare", "ip") if not shutil.which(tool)]
    if missing:
        return f"missing {', '.join(missing)}"
    try:
        libvirt.open(SOURCE.url).close()
    except libvirt.libvirtError:
        return "the system libvirtd does not answer on qemu:///system"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


@pytest.fixture(scope="module")
def guest() -> GuestImage:
    try:
        return guest_image(cache_dir=DEFAULT_CACHE_DIR)
    except GuestImageUnavailable as error:
        pytest.skip(f"cannot build the test guest: {error}")


@pytest.fixture(scope="module")
def target_host() -> Iterator[NamespaceHost]:
    yield from libvirt_host_or_skip()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """Shared storage: seen by both hosts, and reachable by QEMU (user libvirt-qemu). It
    holds the disks and the serial console logs (the driver's `state_dir`)."""
    path = Path(tempfile.mkdtemp(prefix="alto-migration-", dir="/var/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def driver(shared_dir: Path) -> LibvirtDriver:
    return LibvirtDriver(state_dir=shared_dir / "state", domain_type="qemu", shutdown_timeout=30.0)


def _disk(path: Path, *, device_id: int, backing: Path | None = None) -> DiskSpec:
    command = ["qemu-img", "create", "-q", "-f", "qcow2"]
    if backing is None:
        command += [str(path), "64M"]
    else:
        command += ["-F", "qcow2", "-b", str(backing), str(path)]
    subprocess.run(command, check=True)
    return DiskSpec(
        volume_uuid=str(uuid.uuid4()), path=str(path), device_id=device_id, size=64 << 20
    )


def _console(driver: LibvirtDriver, name: str) -> bytes:
    return driver.console_output(SOURCE, name).replace(b"\r\n", b"\n")


def _wait_for(driver: LibvirtDriver, name: str, line: bytes, *, after: bytes = b"") -> bytes:
    """The console output once it holds `line` after the first `after`."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        output = _console(driver, name)
        start = output.find(after)
        if start >= 0 and line in output[start + len(after) :]:
            return output
        if time.monotonic() > deadline:
            pytest.fail(f"no {line!r} on the console within {BOOT_TIMEOUT} s:\n{output.decode()}")
        time.sleep(0.2)


def _domains(uri: str) -> list[str]:
    """Every domain of the host at `uri`, running or only defined."""
    conn = libvirt.open(uri)
    try:
        return sorted(str(domain.name()) for domain in conn.listAllDomains(0))
    finally:
        conn.close()


def _persistent(uri: str, name: str) -> bool:
    conn = libvirt.open(uri)
    try:
        return bool(conn.lookupByName(name).isPersistent())
    finally:
        conn.close()


def _failed_migrations_leave_the_guest_on_its_source(
    driver: LibvirtDriver, target_host: NamespaceHost, spec: VmSpec
) -> None:
    target = HostAccess(url=target_host.uri)
    down = HostAccess(url=f"qemu+tcp://{target_host.address}:{LIBVIRTD_PORT + 1}/system")
    with pytest.raises(DriverError, match="Connecting to"):
        driver.migrate_vm(SOURCE, down, spec)
    assert driver.vm_states(SOURCE)[spec.name] == PowerState.ON

    # A failure half-way, once the target has started its QEMU: without the migration URI
    # the driver derives from the target's address, libvirt sends the migration stream to
    # the hostname the target reports, which is this machine's (the namespace shares it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(libvirt_driver, "_migration_uri", lambda _target: None)
        with pytest.raises(DriverError, match="Migrating VM"):
            driver.migrate_vm(SOURCE, target, spec)
    assert driver.vm_states(SOURCE)[spec.name] == PowerState.ON
    assert _persistent(SOURCE.url, spec.name)
    assert _domains(target_host.uri) == []


def test_a_running_guest_live_migrates_to_the_second_host_and_keeps_running(
    guest: GuestImage, driver: LibvirtDriver, shared_dir: Path, target_host: NamespaceHost
) -> None:
    target = HostAccess(url=target_host.uri)
    spec = VmSpec(
        name=f"alto-migrate-{uuid.uuid4().hex[:8]}",
        uuid=str(uuid.uuid4()),
        cpu_number=1,
        cpu_speed=1000,
        memory=256,
        disks=(_disk(shared_dir / "root.qcow2", device_id=0, backing=guest.template),),
    )
    driver.start_vm(SOURCE, spec)
    try:
        _wait_for(driver, spec.name, b"ALTO-GUEST ready")
        _failed_migrations_leave_the_guest_on_its_source(driver, target_host, spec)

        started = time.monotonic()
        try:
            driver.migrate_vm(SOURCE, target, spec)
        except DriverError:
            print(target_host.daemon_log())
            raise
        print(f"\nlive migration: {time.monotonic() - started:.1f} s")
        assert spec.name not in driver.vm_states(SOURCE)
        assert driver.vm_states(target) == {spec.name: PowerState.ON}
        assert driver.vm_uuids(target)[spec.name] == spec.uuid
        assert _persistent(target_host.uri, spec.name)

        # The guest kept running: it sees a disk plugged in on the target and says so on
        # its console, which goes on in the same log; it did not boot again.
        extra = _disk(shared_dir / "extra.qcow2", device_id=1)
        driver.attach_disk(target, spec.name, extra)
        output = _wait_for(driver, spec.name, b"ALTO-GUEST disks: vda vdb", after=b"ready")
        assert output.count(b"ALTO-GUEST booted") == 1, output.decode()

        with (driver.state_dir / f"{spec.name}.log").open("rb") as console:
            driver.stop_vm(target, spec.name)
            assert b"ALTO-GUEST powering off" in console.read()  # a graceful stop
        assert spec.name not in _domains(SOURCE.url)
        assert _domains(target_host.uri) == []
    finally:
        driver.stop_vm(target, spec.name, force=True)
        driver.stop_vm(SOURCE, spec.name, force=True)
