"""The test guest (tests/support/guest_image.py) boots through the libvirt driver on the
local QEMU (TCG), from its template disk and by direct kernel boot, and sees its disks."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from native.drivers.hypervisor.base import DiskSpec, HostAccess, VmSpec
from native.drivers.hypervisor.libvirt import LibvirtDriver
from native.drivers.storage.nfs import NfsStore
from tests.support.guest_image import (
    DEFAULT_CACHE_DIR,
    GuestImage,
    GuestImageUnavailable,
    guest_image,
)
from tests.support.nfs_server import NfsServer, nfs_server_or_skip

libvirt = pytest.importorskip("libvirt")

HOST = HostAccess(url="qemu:///system")
BOOT_TIMEOUT = 120.0


def _local_qemu_answers() -> bool:
    try:
        libvirt.open(HOST.url).close()
    except libvirt.libvirtError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _local_qemu_answers(), reason="no libvirtd with QEMU on qemu:///system"
)


@pytest.fixture(scope="module")
def guest() -> GuestImage:
    try:
        return guest_image(cache_dir=DEFAULT_CACHE_DIR)
    except GuestImageUnavailable as error:
        pytest.skip(f"cannot build the test guest: {error}")


@pytest.fixture
def disk_dir() -> Iterator[Path]:
    """A directory QEMU (user libvirt-qemu) can reach, unlike pytest's private tmp_path."""
    path = Path(tempfile.mkdtemp(prefix="alto-guest-disks-", dir="/var/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def driver(tmp_path: Path) -> LibvirtDriver:
    return LibvirtDriver(state_dir=tmp_path, domain_type="qemu", shutdown_timeout=30.0)


def _disk(path: Path, *, device_id: int, backing: Path | None = None) -> DiskSpec:
    """A new qcow2 volume at `path`: an overlay of `backing`, or a blank 64 MiB disk."""
    if backing is None:
        command = ["qemu-img", "create", "-q", "-f", "qcow2", str(path), "64M"]
    else:
        command = ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2"]
        command += ["-b", str(backing), str(path)]
    subprocess.run(command, check=True)
    return DiskSpec(
        volume_uuid=str(uuid.uuid4()), path=str(path), device_id=device_id, size=64 << 20
    )


def _spec(
    *disks: DiskSpec, details: dict[str, str] | None = None, boot_args: str | None = None
) -> VmSpec:
    return VmSpec(
        name=f"alto-guest-{uuid.uuid4().hex[:8]}",
        uuid=str(uuid.uuid4()),
        cpu_number=1,
        cpu_speed=1000,
        memory=256,
        disks=disks,
        details=details or {},
        boot_args=boot_args,
    )


def _wait_for(
    driver: LibvirtDriver, name: str, line: bytes, *, after: bytes | None = None
) -> bytes:
    """The console output, with Unix line ends, once it holds `line` (after the first
    `after`, when given)."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        output = driver.console_output(HOST, name).replace(b"\r\n", b"\n")
        if line in (output if after is None else output.partition(after)[2]):
            return output
        if time.monotonic() > deadline:
            pytest.fail(f"no {line!r} on the console within {BOOT_TIMEOUT} s:\n{output.decode()}")
        time.sleep(0.2)


def test_the_template_boots_from_its_disk_sees_both_disks_and_powers_off_on_acpi(
    guest: GuestImage, driver: LibvirtDriver, disk_dir: Path, tmp_path: Path
) -> None:
    spec = _spec(
        _disk(disk_dir / "root.qcow2", device_id=0, backing=guest.template),
        _disk(disk_dir / "data.qcow2", device_id=1),
    )
    powered_on = time.monotonic()
    driver.start_vm(HOST, spec)
    try:
        _wait_for(driver, spec.name, b"ALTO-GUEST booted")
        booted = time.monotonic() - powered_on
        print(f"\nboot from disk: ALTO-GUEST booted {booted:.1f} s after power-on")
        output = _wait_for(driver, spec.name, b"ALTO-GUEST ready")
        assert b"ALTO-GUEST disks: vda vdb\n" in output
        assert b"ALTO-GUEST metadata unavailable" in output
        with (tmp_path / f"{spec.name}.log").open("rb") as console:
            stopping = time.monotonic()
            driver.stop_vm(HOST, spec.name)
            print(f"graceful stop: {time.monotonic() - stopping:.1f} s")
            assert b"ALTO-GUEST powering off" in console.read()
    finally:
        driver.stop_vm(HOST, spec.name, force=True)
    assert spec.name not in driver.vm_states(HOST)


def test_the_kernel_boots_directly_and_sees_a_disk_hot_plugged_and_unplugged(
    guest: GuestImage, driver: LibvirtDriver, disk_dir: Path
) -> None:
    spec = _spec(
        _disk(disk_dir / "data.qcow2", device_id=0),
        details={"kernel": str(guest.kernel), "initrd": str(guest.initrd)},
        boot_args=guest.boot_args,
    )
    powered_on = time.monotonic()
    driver.start_vm(HOST, spec)
    try:
        _wait_for(driver, spec.name, b"ALTO-GUEST booted")
        booted = time.monotonic() - powered_on
        print(f"\ndirect kernel boot: ALTO-GUEST booted {booted:.1f} s after power-on")
        output = _wait_for(driver, spec.name, b"ALTO-GUEST ready")
        assert b"ALTO-GUEST disks: vda\n" in output
        extra = _disk(disk_dir / "extra.qcow2", device_id=1)
        driver.attach_disk(HOST, spec.name, extra)
        _wait_for(driver, spec.name, b"ALTO-GUEST disks: vda vdb", after=b"ALTO-GUEST ready")
        driver.detach_disk(HOST, spec.name, extra)
        _wait_for(driver, spec.name, b"ALTO-GUEST disks: vda\n", after=b"disks: vda vdb")
    finally:
        driver.stop_vm(HOST, spec.name, force=True)
    assert spec.name not in driver.vm_states(HOST)


@pytest.fixture(scope="module")
def nfs() -> Iterator[NfsServer]:
    yield from nfs_server_or_skip()


def test_the_template_boots_from_a_copy_on_write_clone_on_nfs_and_sees_a_disk_there(
    guest: GuestImage, driver: LibvirtDriver, nfs: NfsServer
) -> None:
    store = NfsStore(url=nfs.url)
    with open(guest.template, "rb") as template:
        store.write(path="templates/t", source=template)
    store.clone(base="templates/t", path="volumes/root")
    store.create(path="volumes/data", size=64 << 20)
    spec = _spec(
        DiskSpec(
            volume_uuid=str(uuid.uuid4()),
            path=f"{nfs.export}/volumes/root",
            device_id=0,
            size=64 << 20,
            nfs_server=nfs.address,
        ),
        DiskSpec(
            volume_uuid=str(uuid.uuid4()),
            path=f"{nfs.export}/volumes/data",
            device_id=1,
            size=64 << 20,
            format="RAW",
            nfs_server=nfs.address,
        ),
    )
    driver.start_vm(HOST, spec)
    try:
        output = _wait_for(driver, spec.name, b"ALTO-GUEST ready")
        assert b"ALTO-GUEST disks: vda vdb\n" in output
    finally:
        driver.stop_vm(HOST, spec.name, force=True)
    assert spec.name not in driver.vm_states(HOST)
