"""The local object store: atomic writes (no temporary file survives a failure, the old
object stays whole) and memory that stays flat while a large stream goes through."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from native.drivers.objectstore.base import ObjectMissing
from native.drivers.objectstore.local import SCRATCH_DIR, TEMP_PREFIX, LocalObjectStore
from tests.support.streams import Exploding

GIB = 1024**3


def test_a_failed_write_keeps_the_old_object_and_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalObjectStore(root=tmp_path)
    container = str(uuid.uuid4())
    store.create_container(container=container)
    store.put(container=container, path="aa/obj", source=io.BytesIO(b"old"))
    with pytest.raises(ConnectionResetError):
        store.put(container=container, path="aa/obj", source=Exploding(3 * 1024 * 1024))
    with store.get(container=container, path="aa/obj") as stream:
        assert b"".join(stream) == b"old"
    assert [path.name for path in (tmp_path / container).rglob("*") if path.is_file()] == ["obj"]


def test_sweep_removes_only_abandoned_scratch_files(tmp_path: Path) -> None:
    store = LocalObjectStore(root=tmp_path)
    container = str(uuid.uuid4())
    store.create_container(container=container)
    store.put(container=container, path="aa/obj", source=io.BytesIO(b"kept"))
    scratch = tmp_path / container / SCRATCH_DIR
    abandoned, fresh = scratch / f"{TEMP_PREFIX}crashed", scratch / f"{TEMP_PREFIX}writing"
    abandoned.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    an_hour_ago = time.time() - 3601
    os.utime(abandoned, (an_hour_ago, an_hour_ago))

    assert store.sweep_scratch(older_than=3600) == 1

    assert (abandoned.exists(), fresh.exists()) == (False, True)
    with store.get(container=container, path="aa/obj") as stream:
        assert b"".join(stream) == b"kept"


def test_writing_needs_the_container(tmp_path: Path) -> None:
    store = LocalObjectStore(root=tmp_path)
    with pytest.raises(ObjectMissing):
        store.put(container="nope", path="obj", source=io.BytesIO(b"x"))
    assert list(tmp_path.iterdir()) == []


def test_delete_container_removes_everything(tmp_path: Path) -> None:
    store = LocalObjectStore(root=tmp_path)
    store.create_container(container="c")
    store.put(container="c", path="x/y", source=io.BytesIO(b"z"))
    store.delete_container(container="c")
    store.delete_container(container="c")
    assert not (tmp_path / "c").exists()


RSS_PROBE = textwrap.dedent(
    """
    import hashlib, resource, sys
    from pathlib import Path
    from native.drivers.objectstore.local import SCRATCH_DIR, TEMP_PREFIX, LocalObjectStore

    class Zeros:
        def __init__(self, size):
            self.left = size
            self.block = bytes(1024 * 1024)
        def read(self, size=-1):
            amount = min(self.left, len(self.block) if size < 0 else size)
            self.left -= amount
            return self.block[:amount]

    size = int(sys.argv[2])
    store = LocalObjectStore(root=Path(sys.argv[1]))
    store.create_container(container="big")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stored = store.put(container="big", path="obj", source=Zeros(size), size=size)
    digest = hashlib.md5(usedforsecurity=False)
    with store.get(container="big", path="obj") as stream:
        for chunk in stream:
            digest.update(chunk)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(stored.size, stored.md5 == digest.hexdigest(), (after - before) // 1024)
    """
)


def test_memory_stays_flat_for_a_gibibyte(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(tmp_path), str(GIB)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    size, digests_match, grown_mib = done.stdout.split()
    assert int(size) == GIB and digests_match == "True"
    assert int(grown_mib) < 200, f"peak RSS grew by {grown_mib} MiB"
