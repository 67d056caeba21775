"""An object store in a local directory: a container is a directory, an object a file."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, ClassVar

from native.drivers.durable_files import fsync_directory
from native.drivers.objectstore.base import (
    CHUNK,
    ByteStream,
    HashingReader,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
    Readable,
    Stored,
    StoreStats,
    checked_name,
)

_NO_KERNEL_COPY = frozenset({errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL})
TEMP_PREFIX = ".tmp-"
SCRATCH_DIR = ".scratch"
"""Each container's directory for data being written; an interrupted write leaves its file
there (never visible as an object) until `sweep_scratch` removes it."""


class FileChunks(ByteStream):
    """`length` bytes (or all the rest) of an open file from `offset`, a chunk at a time."""

    def __init__(self, handle: BinaryIO, *, offset: int, length: int | None) -> None:
        self._handle = handle
        self._left = length
        handle.seek(offset)

    def __next__(self) -> bytes:
        want = CHUNK if self._left is None else min(CHUNK, self._left)
        chunk = self._handle.read(want) if want else b""
        if not chunk:
            self.close()
            raise StopIteration
        if self._left is not None:
            self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        self._handle.close()


def _append(source: BinaryIO, target: BinaryIO) -> int:
    """Copy all of `source` to the end of `target`'s descriptor in the kernel, or through
    this process where the filesystem cannot; the bytes copied."""
    size = os.fstat(source.fileno()).st_size
    done = 0
    while done < size:
        try:
            copied = os.copy_file_range(source.fileno(), target.fileno(), size - done, done)
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
            source.seek(done)
            with os.fdopen(os.dup(target.fileno()), "ab", closefd=True) as appending:
                shutil.copyfileobj(source, appending, CHUNK)
            return size
        if copied == 0:
            break
        done += copied
    return done


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


class LocalObjectStore(ObjectStore):
    """Containers are directories below `root`; writes go to a temporary file in the target's
    directory, are fsynced, then renamed into place (and the directory fsynced)."""

    provider = "Local"
    capabilities: ClassVar[dict[str, bool]] = {"atomic_put": True, "range_get": True}

    def __init__(self, *, root: Path) -> None:
        self.root = root

    def _base(self) -> Path:
        """The directory holding the containers (subclasses check it is usable first)."""
        return self.root

    def _container(self, container: str) -> Path:
        return self._base() / checked_name(container)

    def _file(self, container: str, path: str) -> Path:
        return self._container(container) / checked_name(path)

    def stats(self) -> StoreStats:
        try:
            base = self._base()
            base.mkdir(parents=True, exist_ok=True)
            usage = shutil.disk_usage(base)
        except OSError as exc:
            raise ObjectStoreError(f"Object store {self.root} is not usable: {exc}") from None
        return StoreStats(capacity=usage.total, used=usage.used)

    def create_container(self, *, container: str) -> None:
        try:
            made = self._container(container)
            made.mkdir(parents=True, exist_ok=True)
            fsync_directory(made.parent)
        except OSError as exc:
            raise ObjectStoreError(f"Cannot create container {container}: {exc}") from None

    def delete_container(self, *, container: str) -> None:
        try:
            shutil.rmtree(self._container(container))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ObjectStoreError(f"Cannot delete container {container}: {exc}") from None

    def put(
        self, *, container: str, path: str, source: Readable, size: int | None = None
    ) -> Stored:
        reader = HashingReader(source, size=size)
        try:
            with self._replacing(container, path) as handle:
                for chunk in reader.chunks():
                    handle.write(chunk)
        except OSError as exc:
            if reader.source_failed:
                raise
            raise ObjectStoreError(f"Cannot write {container}/{path}: {exc}") from None
        return reader.stored()

    def concatenate(self, *, container: str, sources: Sequence[str], target: str) -> int:
        """Join the files in the kernel (`copy_file_range`), without reading them here."""
        size = 0
        try:
            with self._replacing(container, target) as handle:
                handle.flush()
                for source in sources:
                    with open(self._file(container, source), "rb") as part:
                        size += _append(part, handle)
        except FileNotFoundError as exc:
            raise ObjectMissing(f"No object {container}/{Path(exc.filename).name}") from None
        except OSError as exc:
            raise ObjectStoreError(f"Cannot write {container}/{target}: {exc}") from None
        return size

    @contextlib.contextmanager
    def _replacing(self, container: str, path: str) -> Iterator[BinaryIO]:
        """A scratch file to fill; when the block ends it is fsynced and renamed to `path`
        (and the directory fsynced), or removed if the block raised."""
        target = self._file(container, path)
        if not self._container(container).is_dir():
            raise ObjectMissing(f"Container {container} does not exist")
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            fsync_directory(target.parent.parent)
        scratch_dir = self._container(container) / SCRATCH_DIR
        scratch_dir.mkdir(exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=scratch_dir, prefix=TEMP_PREFIX)
        scratch: Path | None = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(name, target)
            scratch = None
            fsync_directory(target.parent)
        finally:
            if scratch is not None:
                _discard(scratch)

    def sweep_scratch(self, *, older_than: float) -> int:
        removed = 0
        cutoff = time.time() - older_than
        for scratch in self._base().glob(f"*/{SCRATCH_DIR}/{TEMP_PREFIX}*"):
            try:
                if scratch.stat().st_mtime < cutoff:
                    scratch.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ObjectStoreError(f"Cannot remove scratch file {scratch}: {exc}") from None
        return removed

    def get(
        self, *, container: str, path: str, offset: int = 0, length: int | None = None
    ) -> ByteStream:
        try:
            handle = open(self._file(container, path), "rb")  # noqa: SIM115 - FileChunks closes it
        except FileNotFoundError:
            raise ObjectMissing(f"No object {container}/{path}") from None
        except OSError as exc:
            raise ObjectStoreError(f"Cannot read {container}/{path}: {exc}") from None
        return FileChunks(handle, offset=offset, length=length)

    def delete(self, *, container: str, path: str) -> None:
        try:
            self._file(container, path).unlink(missing_ok=True)
        except OSError as exc:
            raise ObjectStoreError(f"Cannot delete {container}/{path}: {exc}") from None

    def exists(self, *, container: str, path: str) -> bool:
        return self._file(container, path).is_file()

    def size(self, *, container: str, path: str) -> int:
        try:
            return self._file(container, path).stat().st_size
        except FileNotFoundError:
            raise ObjectMissing(f"No object {container}/{path}") from None
        except OSError as exc:
            raise ObjectStoreError(f"Cannot stat {container}/{path}: {exc}") from None

    def copy(self, *, container: str, source: str, target_container: str, target: str) -> int:
        try:
            with open(self._file(container, source), "rb") as handle:
                return self.put(container=target_container, path=target, source=handle).size
        except FileNotFoundError:
            raise ObjectMissing(f"No object {container}/{source}") from None
