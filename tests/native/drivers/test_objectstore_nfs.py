"""The NFS object store against a real user-space NFS server (nfs-ganesha in a network
namespace), reached with libnfs: what it writes lands in the export, a failed write leaves
nothing behind, streams hold their own mount, and an export it cannot reach is a clear error
that writes nothing on this machine."""

from __future__ import annotations

import io
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from native.drivers.objectstore import ObjectStoreError, open_store
from native.drivers.objectstore.base import ObjectMissing, ObjectStore
from native.drivers.objectstore.local import SCRATCH_DIR, TEMP_PREFIX
from tests.support.nfs_server import NfsServer, nfs_server_or_skip
from tests.support.streams import Exploding

MIB = 1 << 20


@pytest.fixture(scope="module")
def server() -> Iterator[NfsServer]:
    yield from nfs_server_or_skip()


@pytest.fixture
def export_dir(server: NfsServer) -> Iterator[Path]:
    """A fresh subdirectory of the export (it must exist before it can be mounted)."""
    directory = server.directory / uuid.uuid4().hex
    directory.mkdir()
    yield directory
    shutil.rmtree(directory)


@pytest.fixture
def store(server: NfsServer, export_dir: Path) -> ObjectStore:
    url = f"{server.url}/{export_dir.name}"
    return open_store(provider="NFS", url=url, details={})


def test_objects_land_in_the_export(store: ObjectStore, export_dir: Path) -> None:
    store.create_container(container="c")
    data = os.urandom(2 * MIB + 7)
    stored = store.put(container="c", path="ab/obj", source=io.BytesIO(data))
    assert stored.size == len(data)
    assert (export_dir / "c" / "ab" / "obj").read_bytes() == data
    assert list((export_dir / "c" / SCRATCH_DIR).iterdir()) == []
    store.delete_container(container="c")
    store.delete_container(container="c")
    assert list(export_dir.iterdir()) == []


def test_a_failed_write_keeps_the_old_object_and_leaves_no_scratch_file(
    store: ObjectStore, export_dir: Path
) -> None:
    store.create_container(container="c")
    store.put(container="c", path="aa/obj", source=io.BytesIO(b"old"))
    with pytest.raises(ConnectionResetError):
        store.put(container="c", path="aa/obj", source=Exploding(3 * MIB))
    assert (export_dir / "c" / "aa" / "obj").read_bytes() == b"old"
    assert [p.name for p in (export_dir / "c").rglob("*") if p.is_file()] == ["obj"]


def test_writing_needs_the_container(store: ObjectStore, export_dir: Path) -> None:
    with pytest.raises(ObjectMissing, match="Container nope does not exist on nfs://"):
        store.put(container="nope", path="obj", source=io.BytesIO(b"x"))
    assert list(export_dir.iterdir()) == []


def test_a_stream_outlives_get_and_directories_are_not_objects(store: ObjectStore) -> None:
    store.create_container(container="c")
    store.put(container="c", path="ab/obj", source=io.BytesIO(b"0123456789"))
    stream = store.get(container="c", path="ab/obj", offset=2, length=5)
    store.delete(container="c", path="ab/other")
    assert b"".join(stream) == b"23456"
    stream.close()
    stream.close()
    for lookup in (store.get, store.size):
        with pytest.raises(ObjectMissing, match="No object c/ab on nfs://"):
            lookup(container="c", path="ab")
    assert not store.exists(container="c", path="ab")
    assert not store.exists(container="c", path="ab/obj/deeper")


def test_sweep_removes_only_abandoned_scratch_files(store: ObjectStore, export_dir: Path) -> None:
    store.create_container(container="c")
    store.put(container="c", path="aa/obj", source=io.BytesIO(b"kept"))
    scratch = export_dir / "c" / SCRATCH_DIR
    abandoned, fresh = scratch / f"{TEMP_PREFIX}crashed", scratch / f"{TEMP_PREFIX}writing"
    abandoned.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    (export_dir / "not-a-container").write_bytes(b"")
    an_hour_ago = time.time() - 3601
    os.utime(abandoned, (an_hour_ago, an_hour_ago))

    assert store.sweep_scratch(older_than=3600) == 1

    assert (abandoned.exists(), fresh.exists()) == (False, True)
    assert (export_dir / "c" / "aa" / "obj").read_bytes() == b"kept"


def test_a_missing_export_directory_is_a_clear_error(server: NfsServer) -> None:
    url = f"{server.url}/{uuid.uuid4().hex}"
    store = open_store(provider="NFS", url=url, details={})
    with pytest.raises(ObjectStoreError, match=f"the NFS export {url} cannot be mounted"):
        store.stats()


def test_an_unmountable_export_is_a_clear_error(tmp_path: Path) -> None:
    store = open_store(
        provider="NFS",
        url="nfs://nfs.example.invalid/export/objects",
        details={},
    )
    for operation in (
        store.stats,
        lambda: store.create_container(container="c"),
        lambda: store.put(container="c", path="p", source=io.BytesIO(b"x")),
        lambda: store.get(container="c", path="p"),
        lambda: store.exists(container="c", path="p"),
    ):
        with pytest.raises(
            ObjectStoreError,
            match="the NFS export nfs://nfs.example.invalid/export/objects cannot be mounted",
        ):
            operation()
    assert list(tmp_path.rglob("*")) == []


@pytest.mark.parametrize("url", ["nfs:///export", "nfs://server", "nfs://:2049/export"])
def test_bad_nfs_urls(tmp_path: Path, url: str) -> None:
    with pytest.raises(ObjectStoreError):
        open_store(provider="NFS", url=url, details={})
