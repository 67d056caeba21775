"""Copy-on-write clones on a local store: the overlay's backing file, and copies of an
overlay that stand alone (flattened), within the store, to another local store and to a
store reached by streams."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import BinaryIO, ClassVar

import pytest

from native.drivers.storage import qcow2
from native.drivers.storage.base import Progress, StorageDriver, StorageError, StoreStats
from native.drivers.storage.local import LocalStore

MIB = 1 << 20

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-img") is None or shutil.which("qemu-io") is None,
    reason="needs qemu-img and qemu-io (qemu-utils)",
)


def _write(path: Path, *, offset: int, byte: int, length: int = 64 * 1024) -> None:
    subprocess.run(
        ["qemu-io", "-f", "qcow2", "-c", f"write -P {byte} {offset} {length}", str(path)],
        check=True,
        capture_output=True,
    )


def _reads(path: Path, *, offset: int, byte: int, length: int = 64 * 1024) -> bool:
    answer = subprocess.run(
        ["qemu-io", "-r", "-f", "qcow2", "-c", f"read -P {byte} {offset} {length}", str(path)],
        check=False,
        capture_output=True,
        text=True,
    )
    return answer.returncode == 0 and "Pattern verification failed" not in answer.stdout


def _info(path: Path) -> dict[str, object]:
    answer = subprocess.run(
        ["qemu-img", "info", "--output=json", str(path)], check=True, capture_output=True
    )
    return dict(json.loads(answer.stdout))


@pytest.fixture
def pool(tmp_path: Path) -> LocalStore:
    """A pool holding a 64 MiB template whose first 64 KiB are 0x11."""
    store = LocalStore(root=tmp_path / "pool")
    base = store.file("templates/t")
    base.parent.mkdir(parents=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "64M"], check=True)
    _write(base, offset=0, byte=0x11)
    return store


def test_a_clone_is_backed_by_the_template_through_a_relative_path(pool: LocalStore) -> None:
    pool.clone(base="templates/t", path="volumes/a")
    overlay = pool.file("volumes/a")
    info = _info(overlay)
    assert info["backing-filename"] == "../templates/t"
    assert info["backing-filename-format"] == "qcow2"
    assert info["virtual-size"] == 64 * MIB
    assert pool.size(path="volumes/a") < MIB
    header = qcow2.read_header(overlay)
    assert header is not None and header.has_backing_file

    _write(overlay, offset=MIB, byte=0x22)
    assert _reads(overlay, offset=0, byte=0x11) and _reads(overlay, offset=MIB, byte=0x22)
    assert _reads(pool.file("templates/t"), offset=MIB, byte=0)


def test_clones_of_one_template_do_not_see_each_other(pool: LocalStore) -> None:
    pool.clone(base="templates/t", path="volumes/a")
    pool.clone(base="templates/t", path="volumes/b")
    _write(pool.file("volumes/a"), offset=0, byte=0x33)
    assert _reads(pool.file("volumes/a"), offset=0, byte=0x33)
    assert _reads(pool.file("volumes/b"), offset=0, byte=0x11)


def test_copies_of_a_clone_stand_alone(pool: LocalStore, tmp_path: Path) -> None:
    pool.clone(base="templates/t", path="volumes/a")
    _write(pool.file("volumes/a"), offset=MIB, byte=0x22)
    other = LocalStore(root=tmp_path / "other")

    pool.copy(source="volumes/a", target="volumes/copy")
    pool.copy_to(source="volumes/a", target=other, target_path="volumes/moved")
    for copied in (pool.file("volumes/copy"), other.file("volumes/moved")):
        assert "backing-filename" not in _info(copied)
        assert _reads(copied, offset=0, byte=0x11) and _reads(copied, offset=MIB, byte=0x22)
    assert not list(pool.file("volumes").glob("*.flat")) and not list(
        pool.file("volumes").glob("*.part")
    )


class Streamed(StorageDriver):
    """A store that others reach only through `write`, as an S3 store (files in `inner`)."""

    scheme = "stream"
    capabilities: ClassVar[dict[str, bool]] = {}

    def __init__(self, inner: LocalStore) -> None:
        self.inner = inner
        self.sizes: list[int | None] = []

    def write(
        self,
        *,
        path: str,
        source: BinaryIO,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> int:
        self.sizes.append(size)
        return self.inner.write(path=path, source=source, size=size, progress=progress)

    def stats(self) -> StoreStats:
        return self.inner.stats()

    def create(self, *, path: str, size: int) -> None:
        self.inner.create(path=path, size=size)

    def read(self, *, path: str) -> BinaryIO:
        return self.inner.read(path=path)

    def copy(self, *, source: str, target: str) -> int:
        return self.inner.copy(source=source, target=target)

    def resize(self, *, path: str, size: int) -> None:
        self.inner.resize(path=path, size=size)

    def delete(self, *, path: str) -> None:
        self.inner.delete(path=path)

    def exists(self, *, path: str) -> bool:
        return self.inner.exists(path=path)

    def size(self, *, path: str) -> int:
        return self.inner.size(path=path)


def test_a_clone_streamed_to_another_kind_of_store_stands_alone(
    pool: LocalStore, tmp_path: Path
) -> None:
    pool.clone(base="templates/t", path="volumes/a")
    remote = Streamed(LocalStore(root=tmp_path / "remote"))
    size = pool.copy_to(source="volumes/a", target=remote, target_path="snap/1")
    assert remote.sizes == [size]
    copied = remote.inner.file("snap/1")
    assert "backing-filename" not in _info(copied)
    assert _reads(copied, offset=0, byte=0x11)
    assert not list(pool.file("volumes").glob("*.flat"))


def test_a_clone_of_something_that_is_not_qcow2_fails_and_leaves_nothing(
    pool: LocalStore,
) -> None:
    pool.write(path="templates/raw", source=io.BytesIO(b"\0" * 4096))
    with pytest.raises(StorageError, match="qemu-img could not create"):
        pool.clone(base="templates/raw", path="volumes/a")
    assert not pool.exists(path="volumes/a")
