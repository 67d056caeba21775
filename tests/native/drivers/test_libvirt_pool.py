"""The KVM host pool store: objects as volumes of libvirt `dir` pools. What libvirt's test
driver implements (pools, creating and deleting volumes) runs against `test:///default`;
data, clones, copies and resizes against the machine's libvirtd (`qemu:///system`)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from native.drivers.hypervisor.base import HostAccess
from native.drivers.storage import disk_images
from native.drivers.storage.base import StorageError
from native.drivers.storage.local import LocalStore
from tests.support.kvm_zone import libvirt_answers, stop_pools_below
from tests.support.streams import Exploding

libvirt = pytest.importorskip("libvirt")
from native.drivers.storage.libvirt_pool import LibvirtPoolStore

MIB = 1 << 20
TEST_URI = "test:///default"
SYSTEM = "qemu:///system"


@pytest.fixture
def test_driver() -> Iterator[Any]:
    """A connection that keeps the test driver's state for the test (it resets when its
    last connection closes)."""
    conn = libvirt.open(TEST_URI)
    yield conn
    conn.close()


def test_objects_are_volumes_of_a_pool_on_their_directory(test_driver: Any) -> None:
    store = LibvirtPoolStore(host=HostAccess(url=TEST_URI), root="/pools/one")
    store.create(path="volumes/a", size=MIB)
    assert store.exists(path="volumes/a")
    assert not store.exists(path="volumes/b")
    assert not store.exists(path="templates/a")
    pool = test_driver.storagePoolLookupByName(store_pool_name(test_driver, "/pools/one/volumes"))
    assert pool.storageVolLookupByName("a").info()[1] == MIB
    with pytest.raises(StorageError, match="already exists"):
        store.create(path="volumes/a", size=MIB)
    store.delete(path="volumes/a")
    store.delete(path="volumes/a")
    store.delete(path="never/made")
    assert not store.exists(path="volumes/a")
    assert store.stats().capacity > 0


def store_pool_name(conn: Any, directory: str) -> str:
    for pool in conn.listAllStoragePools(0):
        if f"<path>{directory}</path>" in pool.XMLDesc(0):
            return str(pool.name())
    raise AssertionError(f"no pool on {directory}")


def test_a_pool_already_on_the_directory_is_used(test_driver: Any) -> None:
    store = LibvirtPoolStore(host=HostAccess(url=TEST_URI), root="/")
    before = {pool.name() for pool in test_driver.listAllStoragePools(0)}
    store.create(path="default-pool/mine", size=MIB)
    assert {pool.name() for pool in test_driver.listAllStoragePools(0)} == before
    assert test_driver.storagePoolLookupByName("default-pool").storageVolLookupByName("mine")


def test_paths_cannot_leave_the_store(test_driver: Any) -> None:
    store = LibvirtPoolStore(host=HostAccess(url=TEST_URI), root="/pools/one")
    for path in ("../two/x", "volumes/../../x", "", "/"):
        with pytest.raises(StorageError, match="leaves the store"):
            store.create(path=path, size=MIB)


def test_an_unreachable_host_is_a_storage_error() -> None:
    store = LibvirtPoolStore(host=HostAccess(url="qemu+tcp://127.0.0.1:1/system"), root="/p")
    with pytest.raises(StorageError, match="Looking up x failed"):
        store.exists(path="x")


@pytest.fixture
def pool_dir() -> Iterator[Path]:
    if os.geteuid() != 0 or not libvirt_answers(SYSTEM):
        pytest.skip("needs root and a running libvirtd (qemu:///system)")
    if shutil.which("qemu-img") is None or shutil.which("qemu-io") is None:
        pytest.skip("needs qemu-img and qemu-io (qemu-utils)")
    root = Path(tempfile.mkdtemp(prefix="alto-lvpool-", dir="/var/tmp"))
    yield root
    stop_pools_below(SYSTEM, root)
    shutil.rmtree(root)


@pytest.fixture
def store(pool_dir: Path) -> LibvirtPoolStore:
    return LibvirtPoolStore(host=HostAccess(url=SYSTEM), root=str(pool_dir))


def _info(path: Path) -> dict[str, Any]:
    answer = subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", str(path)], check=True, capture_output=True
    )
    return dict(json.loads(answer.stdout))


def _write(path: Path, *, offset: int, byte: int) -> None:
    subprocess.run(
        ["qemu-io", "-f", "qcow2", "-c", f"write -P {byte} {offset} 64k", str(path)],
        check=True,
        capture_output=True,
    )


def _reads(path: Path, *, offset: int, byte: int) -> bool:
    answer = subprocess.run(
        ["qemu-io", "-r", "-f", "qcow2", "-c", f"read -P {byte} {offset} 64k", str(path)],
        check=False,
        capture_output=True,
        text=True,
    )
    return answer.returncode == 0 and "Pattern verification failed" not in answer.stdout


def test_data_goes_through_libvirt_streams_and_keeps_its_holes(
    store: LibvirtPoolStore, pool_dir: Path
) -> None:
    data = os.urandom(MIB) + bytes(6 * MIB) + b"tail"
    seen: list[int] = []
    written = store.write(
        path="templates/t",
        source=io.BytesIO(data),
        size=len(data),
        progress=lambda done, _total: seen.append(done),
    )
    assert written == len(data) and seen[-1] == len(data)
    on_disk = (pool_dir / "templates" / "t").stat()
    assert on_disk.st_size == len(data)
    assert on_disk.st_blocks * 512 < 3 * MIB
    assert store.size(path="templates/t") == len(data)
    with store.read(path="templates/t") as stream:
        assert stream.read() == data
    with store.read(path="templates/t") as stream:
        assert stream.read(4) == data[:4]
    store.write(path="templates/t", source=io.BytesIO(b"again"))
    with store.read(path="templates/t") as stream:
        assert stream.read() == b"again"


def test_a_failed_write_leaves_nothing(store: LibvirtPoolStore, pool_dir: Path) -> None:
    with pytest.raises(ConnectionResetError):
        store.write(path="volumes/v", source=Exploding(3 * MIB))  # type: ignore[arg-type]
    assert not store.exists(path="volumes/v")
    assert list((pool_dir / "volumes").iterdir()) == []
    with pytest.raises(StorageError, match="No object at volumes/v"):
        store.read(path="volumes/v")


def test_raw_volumes_are_sparse_and_resize(store: LibvirtPoolStore, pool_dir: Path) -> None:
    store.create(path="volumes/d", size=64 * MIB)
    assert (pool_dir / "volumes" / "d").stat().st_blocks == 0
    disk_images.grow(store, path="volumes/d", image_format="RAW", size=96 * MIB)
    assert store.size(path="volumes/d") == 96 * MIB
    store.copy(source="volumes/d", target="volumes/e")
    assert store.size(path="volumes/e") == 96 * MIB


@pytest.fixture
def template(store: LibvirtPoolStore, tmp_path: Path) -> str:
    """A 64 MiB QCOW2 template uploaded to the pool, its first 64 KiB 0x11."""
    image = tmp_path / "t.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "64M"], check=True)
    _write(image, offset=0, byte=0x11)
    with open(image, "rb") as stream:
        store.write(path="templates/t", source=stream)
    return "templates/t"


def test_clones_are_overlays_of_the_pool_copy_and_copies_stand_alone(
    store: LibvirtPoolStore, pool_dir: Path, template: str, tmp_path: Path
) -> None:
    store.clone(base=template, path="volumes/v")
    overlay = pool_dir / "volumes" / "v"
    info = _info(overlay)
    assert info["format"] == "qcow2" and info["virtual-size"] == 64 * MIB
    assert info["backing-filename"] == "../templates/t"
    _write(overlay, offset=MIB, byte=0x22)

    store.copy(source="volumes/v", target="volumes/w")
    local = LocalStore(root=tmp_path / "secondary")
    store.copy_to(source="volumes/v", target=local, target_path="snap")
    for copy in (pool_dir / "volumes" / "w", local.file("snap")):
        assert "backing-filename" not in _info(copy)
        assert _reads(copy, offset=0, byte=0x11) and _reads(copy, offset=MIB, byte=0x22)
    assert sorted(path.name for path in (pool_dir / "volumes").iterdir()) == ["v", "w"]

    disk_images.grow(store, path="volumes/v", image_format="QCOW2", size=128 * MIB)
    assert _info(overlay)["virtual-size"] == 128 * MIB
    disk_images.resize(store, path="volumes/v", image_format="QCOW2", size=32 * MIB)
    assert disk_images.virtual_size(store, path="volumes/v", image_format="QCOW2") == 32 * MIB


def test_an_overlay_in_use_by_a_guest_is_copied_off_the_pool(
    store: LibvirtPoolStore, pool_dir: Path, template: str, tmp_path: Path
) -> None:
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("needs qemu-system-x86 to hold the image open")
    store.clone(base=template, path="volumes/v")
    overlay = pool_dir / "volumes" / "v"
    _write(overlay, offset=MIB, byte=0x33)
    guest = subprocess.Popen(
        [
            "qemu-system-x86_64",
            "-S",
            "-display",
            "none",
            "-nodefaults",
            "-drive",
            f"file={overlay},format=qcow2,if=virtio",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _until_locked(overlay)
        local = LocalStore(root=tmp_path / "secondary")
        store.copy_to(source="volumes/v", target=local, target_path="snap")
    finally:
        guest.kill()
        guest.wait()
    assert _reads(local.file("snap"), offset=0, byte=0x11)
    assert _reads(local.file("snap"), offset=MIB, byte=0x33)
    assert [path.name for path in (pool_dir / "volumes").iterdir()] == ["v"]


def _until_locked(image: Path) -> None:
    """Wait until a QEMU holds its write lock on the image."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["qemu-img", "info", str(image)], check=False, capture_output=True, text=True
        )
        if "lock" in probe.stderr:
            return
        time.sleep(0.1)
    raise AssertionError(f"no QEMU locked {image}")


def test_empty_qcow2_volumes(store: LibvirtPoolStore, pool_dir: Path) -> None:
    store.create_qcow2(path="volumes/q", size=48 * MIB)
    info = _info(pool_dir / "volumes" / "q")
    assert (info["format"], info["virtual-size"]) == ("qcow2", 48 * MIB)
    disk_images.grow(store, path="volumes/q", image_format="QCOW2", size=64 * MIB)
    assert _info(pool_dir / "volumes" / "q")["virtual-size"] == 64 * MIB
    with pytest.raises(StorageError, match="exists"):
        store.create_qcow2(path="volumes/q", size=MIB)
