"""A store in a local directory (`file:///path`): sparse files, copied with their holes.

It can clone a QCOW2 image as a copy-on-write overlay (see `qcow2`); such an overlay is
flattened whenever it is copied, so that a copy never depends on the store's other files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO, ClassVar

from native.drivers.storage import qcow2
from native.drivers.storage.base import Progress, StorageDriver, StorageError, StoreStats

CHUNK = 1024 * 1024


class LocalStore(StorageDriver):
    """Objects are files below `root`; paths may not leave it."""

    scheme = "file"
    capabilities: ClassVar[dict[str, bool]] = {
        "snapshot": True,
        "resize": True,
        "sparse": True,
        "clone": True,
    }

    def __init__(self, *, root: Path) -> None:
        self.root = root

    def _file(self, path: str) -> Path:
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise StorageError(f"Path {path} leaves the store {self.root}")
        return target

    def file(self, path: str) -> Path:
        """The local file of the object at `path` (for tools that work on files)."""
        return self._file(path)

    def stats(self) -> StoreStats:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            usage = shutil.disk_usage(self.root)
        except OSError as exc:
            raise StorageError(f"Store {self.root} is not usable: {exc.strerror}") from None
        return StoreStats(capacity=usage.total, used=usage.used)

    def create(self, *, path: str, size: int) -> None:
        target = self._file(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:
                handle.truncate(size)
        except OSError as exc:
            raise StorageError(f"Cannot create {path}: {exc.strerror}") from None

    def write(
        self,
        *,
        path: str,
        source: BinaryIO,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> int:
        target = self._file(path)
        scratch = target.with_name(target.name + ".part")
        done = 0
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(scratch, "wb") as handle:
                while chunk := source.read(CHUNK):
                    handle.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, size)
            os.replace(scratch, target)
        except OSError as exc:
            _discard(scratch)
            raise StorageError(f"Cannot write {path}: {exc.strerror}") from None
        except BaseException:
            _discard(scratch)
            raise
        return done

    def read(self, *, path: str) -> BinaryIO:
        try:
            return open(self._file(path), "rb")
        except OSError as exc:
            raise StorageError(f"Cannot read {path}: {exc.strerror}") from None

    def copy(self, *, source: str, target: str) -> int:
        return self._copy_file(self._file(source), self._file(target), source, target)

    def copy_to(self, *, source: str, target: StorageDriver, target_path: str) -> int:
        """Between local directories, copy data extents only (holes stay holes)."""
        if isinstance(target, LocalStore):
            return self._copy_file(
                self._file(source), target._file(target_path), source, target_path
            )
        origin = self._file(source)
        if not _is_overlay(origin):
            return super().copy_to(source=source, target=target, target_path=target_path)
        flat = origin.with_name(origin.name + ".flat")
        try:
            qcow2.flatten(source=origin, target=flat)
            with open(flat, "rb") as stream:
                return target.write(
                    path=target_path, source=stream, size=os.fstat(stream.fileno()).st_size
                )
        except OSError as exc:
            raise StorageError(f"Cannot copy {source}: {exc.strerror}") from None
        finally:
            _discard(flat)

    def create_qcow2(self, *, path: str, size: int) -> None:
        image = self._file(path)
        if image.exists():
            raise StorageError(f"Cannot create {path}: it exists")
        try:
            image.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create {path}: {exc.strerror}") from None
        qcow2.create_image(path=image, size=size)

    def clone(self, *, base: str, path: str) -> None:
        """Make `path` a copy-on-write QCOW2 overlay of the QCOW2 image at `base`."""
        overlay = self._file(path)
        try:
            overlay.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create {path}: {exc.strerror}") from None
        qcow2.create_overlay(base=self._file(base), overlay=overlay)

    @staticmethod
    def _copy_file(origin: Path, destination: Path, source: str, target: str) -> int:
        """Copy `origin` (flattened if it is an overlay) through a scratch file."""
        scratch = destination.with_name(destination.name + ".part")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            if _is_overlay(origin):
                qcow2.flatten(source=origin, target=scratch)
            else:
                _sparse_copy(origin, scratch)
            os.replace(scratch, destination)
        except OSError as exc:
            _discard(scratch)
            raise StorageError(f"Cannot copy {source} to {target}: {exc.strerror}") from None
        return destination.stat().st_size

    def resize(self, *, path: str, size: int) -> None:
        try:
            os.truncate(self._file(path), size)
        except OSError as exc:
            raise StorageError(f"Cannot resize {path}: {exc.strerror}") from None

    def delete(self, *, path: str) -> None:
        try:
            self._file(path).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot delete {path}: {exc.strerror}") from None

    def exists(self, *, path: str) -> bool:
        return self._file(path).is_file()

    def size(self, *, path: str) -> int:
        try:
            return self._file(path).stat().st_size
        except OSError as exc:
            raise StorageError(f"Cannot stat {path}: {exc.strerror}") from None


def _is_overlay(path: Path) -> bool:
    """Whether the file is a qcow2 image with a backing file."""
    header = qcow2.read_header(path)
    return header is not None and header.has_backing_file


def _discard(path: Path) -> None:
    """Remove a scratch file if it exists (its directory may not)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _sparse_copy(origin: Path, destination: Path) -> None:
    """Copy data extents only, so a sparse file stays sparse."""
    with open(origin, "rb") as source, open(destination, "wb") as target:
        size = os.fstat(source.fileno()).st_size
        offset = 0
        while offset < size:
            try:
                data = os.lseek(source.fileno(), offset, os.SEEK_DATA)
            except OSError:
                break
            hole = os.lseek(source.fileno(), data, os.SEEK_HOLE)
            source.seek(data)
            target.seek(data)
            remaining = hole - data
            while remaining:
                chunk = source.read(min(CHUNK, remaining))
                target.write(chunk)
                remaining -= len(chunk)
            offset = hole
        target.truncate(size)
