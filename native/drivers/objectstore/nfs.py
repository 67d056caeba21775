"""An object store on an NFS export (`nfs://server/export`), reached with the user-space client
libnfs (see `native.drivers.storage.libnfs`): nothing is mounted on this machine.

The layout is `LocalObjectStore`'s, below the export's root: a container is a directory, an
object a file, and data being written go to a scratch file in the container's `SCRATCH_DIR`
that is renamed into place once complete (a rename is atomic on the server). Every operation
mounts the export for its own duration (a mount costs a few round trips); a stream from `get`
holds its own mount until it is closed.
"""

from __future__ import annotations

import contextlib
import errno
import posixpath
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import BinaryIO, ClassVar

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
from native.drivers.objectstore.local import SCRATCH_DIR, TEMP_PREFIX
from native.drivers.storage.libnfs import NfsError, NfsExport, NfsStat, split_url

_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR})
"""What the server answers when a path, or a directory on the way to it, is not there."""


def _lookup(export: NfsExport, path: str) -> NfsStat | None:
    """The path's stat, or None when it (or a directory on the way) is not there."""
    try:
        return export.stat(path)
    except NfsError as exc:
        if exc.errno in _MISSING:
            return None
        raise


def _sweep(export: NfsExport, scratch_dir: str, *, cutoff: float) -> int:
    """Remove the scratch files in `scratch_dir` last modified before `cutoff`; how many."""
    removed = 0
    for name in export.listdir(scratch_dir):
        if not name.startswith(TEMP_PREFIX):
            continue
        found = _lookup(export, f"{scratch_dir}/{name}")
        if found is not None and found.mtime < cutoff:
            export.unlink(f"{scratch_dir}/{name}", missing_ok=True)
            removed += 1
    return removed


class NfsChunks(ByteStream):
    """`length` bytes (or all the rest) of an NFS file from `offset`, a chunk at a time; closing
    the stream closes the file and unmounts the export it came from."""

    def __init__(
        self, *, export: NfsExport, handle: BinaryIO, offset: int, length: int | None
    ) -> None:
        self._export = export
        self._handle = handle
        self._left = length
        handle.seek(offset)

    def __next__(self) -> bytes:
        want = CHUNK if self._left is None else min(CHUNK, self._left)
        try:
            chunk = self._handle.read(want) if want else b""
        except NfsError as exc:
            self.close()
            raise ObjectStoreError(
                f"Cannot read {self._handle.name} on {self._export.url}: {exc.strerror}"
            ) from None
        if not chunk:
            self.close()
            raise StopIteration
        if self._left is not None:
            self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        try:
            self._handle.close()
        finally:
            self._export.close()


class NfsObjectStore(ObjectStore):
    """Containers are directories below the export's root; writes go to a scratch file in the
    container, fsynced on close and then renamed into place, so on any failure the object at
    the target path is unchanged and the scratch file is removed (or, after a crash, swept by
    `sweep_scratch`). Errors name the export's `nfs://` URL."""

    provider = "NFS"
    capabilities: ClassVar[dict[str, bool]] = {"atomic_put": True, "range_get": True}

    def __init__(self, *, url: str) -> None:
        """ObjectStoreError unless `url` is `nfs://server/export`; nothing is contacted yet."""
        try:
            server, export = split_url(url)
        except ValueError as exc:
            raise ObjectStoreError(str(exc)) from None
        self.url = f"nfs://{server}{export}"

    def _mount(self, what: str) -> NfsExport:
        try:
            return NfsExport(url=self.url)
        except NfsError as exc:
            raise ObjectStoreError(
                f"Cannot {what}: the NFS export {self.url} cannot be mounted: {exc.strerror}"
            ) from None

    def _failure(self, exc: NfsError, what: str) -> ObjectStoreError:
        kind = ObjectMissing if exc.errno in _MISSING else ObjectStoreError
        return kind(f"Cannot {what} on {self.url}: {exc.strerror}")

    @contextlib.contextmanager
    def _mounted(self, what: str) -> Iterator[NfsExport]:
        """The export, mounted for the block; NFS errors in it become ObjectStoreError (or
        ObjectMissing where a path is not there)."""
        with self._mount(what) as export:
            try:
                yield export
            except NfsError as exc:
                raise self._failure(exc, what) from None

    @staticmethod
    def _container(container: str) -> str:
        return "/" + checked_name(container)

    def _file(self, container: str, path: str) -> str:
        return f"{self._container(container)}/{checked_name(path)}"

    def _object(self, export: NfsExport, container: str, path: str) -> NfsStat:
        """The object's stat; ObjectMissing when no file is at `path`."""
        found = _lookup(export, self._file(container, path))
        if found is None or found.is_dir:
            raise ObjectMissing(f"No object {container}/{path} on {self.url}")
        return found

    def stats(self) -> StoreStats:
        with self._mounted("read the capacity") as export:
            usage = export.usage()
        return StoreStats(capacity=usage.capacity, used=usage.capacity - usage.free)

    def create_container(self, *, container: str) -> None:
        directory = self._container(container)
        with self._mounted(f"create container {container}") as export:
            export.makedirs(directory)

    def delete_container(self, *, container: str) -> None:
        directory = self._container(container)
        with self._mounted(f"delete container {container}") as export:
            export.remove_tree(directory)

    def put(
        self, *, container: str, path: str, source: Readable, size: int | None = None
    ) -> Stored:
        reader = HashingReader(source, size=size)
        try:
            with self._mount(f"write {container}/{path}") as export:
                self._store(export, container, path, reader.chunks())
        except NfsError as exc:
            if reader.source_failed:
                raise
            raise self._failure(exc, f"write {container}/{path}") from None
        return reader.stored()

    def copy(self, *, container: str, source: str, target_container: str, target: str) -> int:
        with self._mounted(f"copy {container}/{source}") as export:
            self._object(export, container, source)
            with export.open(self._file(container, source)) as handle:
                reader = HashingReader(handle, size=None)
                self._store(export, target_container, target, reader.chunks())
        return reader.count

    def concatenate(self, *, container: str, sources: Sequence[str], target: str) -> int:
        """Join the objects over one mount, reading each part and appending it to the
        scratch file (libnfs offers no copy on the server)."""
        with self._mounted(f"write {container}/{target}") as export:
            return self._store(export, container, target, self._joined(export, container, sources))

    def _joined(self, export: NfsExport, container: str, sources: Sequence[str]) -> Iterator[bytes]:
        for source in sources:
            self._object(export, container, source)
            with export.open(self._file(container, source)) as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

    def _store(self, export: NfsExport, container: str, path: str, chunks: Iterator[bytes]) -> int:
        """Write the chunks to a scratch file in the container, then rename it to `path`;
        the bytes written. On any failure the scratch file is removed and `path` is unchanged.
        """
        directory = self._container(container)
        target = self._file(container, path)
        found = _lookup(export, directory)
        if found is None or not found.is_dir:
            raise ObjectMissing(f"Container {container} does not exist on {self.url}")
        parent = posixpath.dirname(target)
        if parent != directory and _lookup(export, parent) is None:
            export.makedirs(parent)
        export.makedirs(f"{directory}/{SCRATCH_DIR}")
        scratch = f"{directory}/{SCRATCH_DIR}/{TEMP_PREFIX}{uuid.uuid4().hex}"
        written = 0
        try:
            with export.open(scratch, write=True) as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    written += len(chunk)
            export.rename(scratch, target)
        except BaseException:
            with contextlib.suppress(NfsError):
                export.unlink(scratch, missing_ok=True)
            raise
        return written

    def sweep_scratch(self, *, older_than: float) -> int:
        """Scratch files are judged by the server's modification time against this
        machine's clock."""
        cutoff = time.time() - older_than
        removed = 0
        with self._mounted("sweep scratch files") as export:
            for container in export.listdir("/"):
                try:
                    removed += _sweep(export, f"/{container}/{SCRATCH_DIR}", cutoff=cutoff)
                except NfsError as exc:
                    if exc.errno not in _MISSING:  # Not a container, or deleted meanwhile.
                        raise
        return removed

    def get(
        self, *, container: str, path: str, offset: int = 0, length: int | None = None
    ) -> ByteStream:
        what = f"read {container}/{path}"
        export = self._mount(what)
        try:
            self._object(export, container, path)
            handle = export.open(self._file(container, path))
        except BaseException as exc:
            export.close()
            if isinstance(exc, NfsError):
                raise self._failure(exc, what) from None
            raise
        return NfsChunks(export=export, handle=handle, offset=offset, length=length)

    def delete(self, *, container: str, path: str) -> None:
        name = self._file(container, path)
        with self._mounted(f"delete {container}/{path}") as export:
            try:
                export.unlink(name)
            except NfsError as exc:
                if exc.errno not in _MISSING:
                    raise

    def exists(self, *, container: str, path: str) -> bool:
        with self._mounted(f"look up {container}/{path}") as export:
            found = _lookup(export, self._file(container, path))
        return found is not None and not found.is_dir

    def size(self, *, container: str, path: str) -> int:
        with self._mounted(f"look up {container}/{path}") as export:
            return self._object(export, container, path).size
