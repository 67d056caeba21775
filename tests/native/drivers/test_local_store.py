"""The local-directory store: sparse objects, atomic writes, confinement to its root."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from native.drivers.catalog import DriverCatalog
from native.drivers.storage import disk_images
from native.drivers.storage.base import StorageError
from native.drivers.storage.local import LocalStore

MIB = 1 << 20


def test_create_is_sparse_and_copy_keeps_it_sparse(tmp_path: Path) -> None:
    store = LocalStore(root=tmp_path / "pool")
    store.create(path="volumes/a", size=1 << 30)
    store.copy(source="volumes/a", target="volumes/b")
    copied = tmp_path / "pool" / "volumes" / "b"
    assert store.size(path="volumes/b") == 1 << 30
    assert os.stat(copied).st_blocks * 512 < 1 << 20
    with pytest.raises(StorageError):
        store.create(path="volumes/a", size=1)


def test_copy_between_local_stores_keeps_holes(tmp_path: Path) -> None:
    images, pool = LocalStore(root=tmp_path / "images"), LocalStore(root=tmp_path / "pool")
    images.create(path="t/big.raw", size=10 << 30)
    assert images.copy_to(source="t/big.raw", target=pool, target_path="volumes/v") == 10 << 30
    assert os.stat(tmp_path / "pool" / "volumes" / "v").st_blocks * 512 < 1 << 20


def test_write_reports_progress_and_copies_between_stores(tmp_path: Path) -> None:
    images, pool = LocalStore(root=tmp_path / "images"), LocalStore(root=tmp_path / "pool")
    seen: list[tuple[int, int | None]] = []
    data = os.urandom(3 * 1024 * 1024 + 5)
    written = images.write(
        path="t/1.qcow2",
        source=io.BytesIO(data),
        size=len(data),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert written == len(data) and seen[-1] == (len(data), len(data)) and len(seen) == 4
    images.copy_to(source="t/1.qcow2", target=pool, target_path="volumes/v")
    with pool.read(path="volumes/v") as stream:
        assert stream.read() == data


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    store = LocalStore(root=tmp_path)

    class Broken(io.RawIOBase):
        def readinto(self, buffer: object) -> int:
            raise OSError(5, "Input/output error")

    with pytest.raises(StorageError):
        store.write(path="t/x", source=Broken())  # type: ignore[arg-type]
    assert not store.exists(path="t/x")
    assert not list((tmp_path / "t").iterdir())


def test_paths_cannot_leave_the_store(tmp_path: Path) -> None:
    store = LocalStore(root=tmp_path / "pool")
    with pytest.raises(StorageError):
        store.create(path="../escape", size=1)
    assert not (tmp_path / "escape").exists()


def test_catalog_chooses_drivers_by_scheme(tmp_path: Path) -> None:
    catalog = DriverCatalog(state_dir=tmp_path)
    assert isinstance(catalog.storage(f"file://{tmp_path}/p"), LocalStore)
    assert catalog.hypervisor("simulator").hypervisor_type == "Simulator"
    with pytest.raises(StorageError):
        catalog.storage("ftp://example/x")


def test_nfs_that_cannot_be_mounted_is_a_clear_error(tmp_path: Path) -> None:
    store = DriverCatalog(state_dir=tmp_path).storage("nfs://127.0.0.1/export/none")
    with pytest.raises(StorageError, match="on nfs://127.0.0.1/export/none: mount"):
        store.stats()


def test_empty_qcow2_images(tmp_path: Path) -> None:
    if shutil.which("qemu-img") is None:
        pytest.skip("needs qemu-img (qemu-utils)")
    store = LocalStore(root=tmp_path)
    store.create_qcow2(path="volumes/q", size=48 * MIB)
    assert disk_images.virtual_size(store, path="volumes/q", image_format="QCOW2") == 48 * MIB
    with pytest.raises(StorageError, match="it exists"):
        store.create_qcow2(path="volumes/q", size=MIB)
