"""The NFS store against a real user-space NFS server (nfs-ganesha in a network namespace),
reached with libnfs from this process and with QEMU's `nfs://` driver from `qemu-img`."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from native.drivers.catalog import DriverCatalog
from native.drivers.storage import disk_images
from native.drivers.storage.base import StorageError
from native.drivers.storage.local import LocalStore
from native.drivers.storage.nfs import NfsStore
from tests.support.nfs_server import NfsServer, nfs_server_or_skip
from tests.support.streams import Exploding

MIB = 1 << 20


@pytest.fixture(scope="module")
def server() -> Iterator[NfsServer]:
    yield from nfs_server_or_skip()


@pytest.fixture
def store(server: NfsServer, tmp_path: Path) -> Iterator[NfsStore]:
    driver = DriverCatalog(state_dir=tmp_path).storage(server.url)
    assert isinstance(driver, NfsStore)
    yield driver
    for child in server.directory.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def _needs_qemu_nfs() -> None:
    if shutil.which("qemu-img") is None:
        pytest.skip("needs qemu-img (qemu-utils)")
    formats = subprocess.run(
        ["qemu-img", "--help"], check=False, capture_output=True, text=True
    ).stdout
    if " nfs" not in formats:
        pytest.skip("qemu-img has no nfs driver (qemu-block-extra)")


def test_objects_written_over_nfs_land_in_the_export(server: NfsServer, store: NfsStore) -> None:
    data = os.urandom(3 * MIB + 5)
    seen: list[int] = []
    written = store.write(
        path="template/tmpl/1/a.qcow2",
        source=io.BytesIO(data),
        size=len(data),
        progress=lambda done, total: seen.append(done),
    )
    assert written == len(data) and seen[-1] == len(data)
    assert (server.directory / "template/tmpl/1/a.qcow2").read_bytes() == data
    assert [p.name for p in (server.directory / "template/tmpl/1").iterdir()] == ["a.qcow2"]
    assert store.exists(path="template/tmpl/1/a.qcow2")
    assert store.size(path="template/tmpl/1/a.qcow2") == len(data)
    with store.read(path="template/tmpl/1/a.qcow2") as stream:
        assert stream.read() == data
    stats = store.stats()
    assert 0 < stats.used <= stats.capacity


def test_create_copy_resize_delete(server: NfsServer, store: NfsStore) -> None:
    store.create(path="volumes/a", size=64 * MIB)
    with pytest.raises(StorageError, match="exists"):
        store.create(path="volumes/a", size=1)
    assert store.copy(source="volumes/a", target="volumes/b") == 64 * MIB
    local = server.directory / "volumes" / "b"
    assert local.stat().st_size == 64 * MIB
    assert local.stat().st_blocks * 512 < MIB
    store.resize(path="volumes/b", size=128 * MIB)
    assert store.size(path="volumes/b") == 128 * MIB
    store.delete(path="volumes/b")
    store.delete(path="volumes/b")
    assert not store.exists(path="volumes/b") and not local.exists()


def test_streams_between_a_local_store_and_nfs(store: NfsStore, tmp_path: Path) -> None:
    pool = LocalStore(root=tmp_path / "pool")
    data = os.urandom(2 * MIB) + bytes(4 * MIB) + b"end"
    store.write(path="t/img.raw", source=io.BytesIO(data))
    assert store.copy_to(source="t/img.raw", target=pool, target_path="volumes/v") == len(data)
    assert (tmp_path / "pool/volumes/v").read_bytes() == data
    assert pool.copy_to(source="volumes/v", target=store, target_path="back/v") == len(data)
    with store.read(path="back/v") as stream:
        assert stream.read() == data


def test_a_failed_write_leaves_nothing(server: NfsServer, store: NfsStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.write(path="t/broken", source=Exploding(3 * MIB))  # type: ignore[arg-type]
    assert not store.exists(path="t/broken")
    assert list((server.directory / "t").iterdir()) == []


def test_paths_cannot_leave_the_export(store: NfsStore) -> None:
    with pytest.raises(StorageError, match="leaves the store"):
        store.create(path="../escape", size=1)


def test_qcow2_clones_resize_and_flattened_copies(
    server: NfsServer, store: NfsStore, tmp_path: Path
) -> None:
    _needs_qemu_nfs()
    template = tmp_path / "t.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(template), "64M"], check=True)
    subprocess.run(
        ["qemu-io", "-f", "qcow2", "-c", "write -P 17 0 64k", str(template)],
        check=True,
        capture_output=True,
    )
    with open(template, "rb") as stream:
        store.write(path="templates/t", source=stream)
    store.clone(base="templates/t", path="volumes/root")
    info = json.loads(
        subprocess.run(
            ["qemu-img", "info", "--output=json", str(server.directory / "volumes/root")],
            check=True,
            capture_output=True,
        ).stdout
    )
    assert info["backing-filename"] == f"{server.url}/templates/t"
    disk_images.grow(store, path="volumes/root", image_format="QCOW2", size=128 * MIB)
    assert disk_images.virtual_size(store, path="volumes/root", image_format="QCOW2") == 128 * MIB

    pool = LocalStore(root=tmp_path / "pool")
    store.copy_to(source="volumes/root", target=pool, target_path="volumes/copy")
    store.copy(source="volumes/root", target="snapshots/s")
    for copy in (pool.file("volumes/copy"), server.directory / "snapshots/s"):
        flat = json.loads(
            subprocess.run(
                ["qemu-img", "info", "--output=json", str(copy)], check=True, capture_output=True
            ).stdout
        )
        assert "backing-filename" not in flat and flat["virtual-size"] == 128 * MIB
        read = subprocess.run(
            ["qemu-io", "-r", "-f", "qcow2", "-c", "read -P 17 0 64k", str(copy)],
            check=False,
            capture_output=True,
            text=True,
        )
        assert read.returncode == 0 and "verification failed" not in read.stdout
    assert sorted(p.name for p in (server.directory / "volumes").iterdir()) == ["root"]


def test_empty_qcow2_images(server: NfsServer, store: NfsStore) -> None:
    _needs_qemu_nfs()
    store.create_qcow2(path="volumes/q", size=48 * MIB)
    assert (server.directory / "volumes" / "q").is_file()
    assert disk_images.virtual_size(store, path="volumes/q", image_format="QCOW2") == 48 * MIB
    with pytest.raises(StorageError, match="it exists"):
        store.create_qcow2(path="volumes/q", size=MIB)
