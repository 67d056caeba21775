"""Disk images on a local store: virtual sizes and growing RAW and real QCOW2 images."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from native.drivers.storage import disk_images
from native.drivers.storage.base import StorageError
from native.drivers.storage.local import LocalStore

MIB = 1 << 20

needs_qemu_img = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="needs qemu-img")


def _qcow2(store: LocalStore, path: str, *, size: int) -> None:
    store.file(path).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", str(store.file(path)), str(size)], check=True
    )


def _qemu_virtual_size(path: Path) -> int:
    info = subprocess.run(
        ["qemu-img", "info", "--output=json", str(path)], check=True, capture_output=True
    )
    return int(json.loads(info.stdout)["virtual-size"])


def test_a_raw_image_grows_to_its_file_size(tmp_path: Path) -> None:
    store = LocalStore(root=tmp_path)
    store.create(path="v/raw", size=MIB)
    disk_images.grow(store, path="v/raw", image_format="RAW", size=4 * MIB)
    assert store.size(path="v/raw") == 4 * MIB
    disk_images.grow(store, path="v/raw", image_format="RAW", size=2 * MIB)
    assert disk_images.virtual_size(store, path="v/raw", image_format="RAW") == 4 * MIB


@needs_qemu_img
def test_a_qcow2_image_grows_its_disk_not_its_file(tmp_path: Path) -> None:
    store = LocalStore(root=tmp_path)
    _qcow2(store, "v/disk", size=16 * MIB)
    physical = store.size(path="v/disk")
    assert disk_images.virtual_size(store, path="v/disk", image_format="QCOW2") == 16 * MIB

    disk_images.grow(store, path="v/disk", image_format="QCOW2", size=64 * MIB)
    assert _qemu_virtual_size(store.file("v/disk")) == 64 * MIB
    assert disk_images.virtual_size(store, path="v/disk", image_format="QCOW2") == 64 * MIB
    assert store.size(path="v/disk") < 2 * physical + MIB

    disk_images.resize(store, path="v/disk", image_format="QCOW2", size=32 * MIB)
    assert _qemu_virtual_size(store.file("v/disk")) == 32 * MIB


@needs_qemu_img
def test_a_broken_qcow2_image_is_reported_and_left_alone(tmp_path: Path) -> None:
    store = LocalStore(root=tmp_path)
    store.create(path="v/not-qcow2", size=MIB)
    with pytest.raises(StorageError, match="not a valid QCOW2 image"):
        disk_images.grow(store, path="v/not-qcow2", image_format="QCOW2", size=2 * MIB)
    header = b"QFI\xfb" + bytes(20) + MIB.to_bytes(8, "big")
    store.file("v/header-only").write_bytes(header + bytes(512))
    with pytest.raises(StorageError, match="qemu-img could not resize"):
        disk_images.grow(store, path="v/header-only", image_format="QCOW2", size=2 * MIB)
    assert store.file("v/header-only").read_bytes()[:32] == header
