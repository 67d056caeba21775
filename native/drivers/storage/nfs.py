"""A store on an NFS export (`nfs://server/export`), reached with the user-space client libnfs.

Nothing is mounted: the management server talks NFS itself (see `libnfs`), and `qemu-img`
works on the same files through QEMU's `nfs://` block driver. A QCOW2 overlay (see `clone`)
names its backing file by its `nfs://` URL, since QEMU cannot follow a relative name with
`..` over NFS, and is flattened whenever it is copied. Every operation mounts the export for its own duration.
"""

from __future__ import annotations

import contextlib
import posixpath
import uuid
from collections.abc import Iterator
from typing import BinaryIO, ClassVar, Self

from native.drivers.storage import qcow2
from native.drivers.storage.base import Progress, StorageDriver, StorageError, StoreStats
from native.drivers.storage.libnfs import CHUNK, NfsError, NfsExport, split_url


class NfsStore(StorageDriver):
    """Objects are files below the export's root; paths may not leave it."""

    scheme = "nfs"
    capabilities: ClassVar[dict[str, bool]] = {
        "snapshot": True,
        "resize": True,
        "sparse": True,
        "clone": True,
    }

    def __init__(self, *, url: str) -> None:
        try:
            self.server, self.export = split_url(url)
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        self.url = f"nfs://{self.server}{self.export}"

    @contextlib.contextmanager
    def _mounted(self, what: str) -> Iterator[NfsExport]:
        try:
            with NfsExport(url=self.url) as export:
                yield export
        except NfsError as exc:
            raise StorageError(f"Cannot {what} on {self.url}: {exc.strerror}") from None

    @staticmethod
    def _path(path: str) -> str:
        relative = posixpath.normpath(path.lstrip("/"))
        if relative in (".", "..") or relative.startswith("../"):
            raise StorageError(f"Path {path} leaves the store")
        return "/" + relative

    def image_url(self, path: str) -> str:
        """The object's `nfs://` URL, for QEMU and `qemu-img`."""
        return self.url.rstrip("/") + self._path(path)

    def stats(self) -> StoreStats:
        with self._mounted("read the capacity") as export:
            usage = export.usage()
        return StoreStats(capacity=usage.capacity, used=usage.capacity - usage.free)

    def create(self, *, path: str, size: int) -> None:
        target = self._path(path)
        with self._mounted(f"create {path}") as export:
            if export.stat(target) is not None:
                raise StorageError(f"Cannot create {path}: it exists")
            export.makedirs(posixpath.dirname(target))
            export.open(target, write=True).close()
            export.truncate(target, size)

    def write(
        self,
        *,
        path: str,
        source: BinaryIO,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> int:
        target = self._path(path)
        scratch = f"{target}.part-{uuid.uuid4().hex[:8]}"
        with self._mounted(f"write {path}") as export:
            export.makedirs(posixpath.dirname(target))
            try:
                done = _copy_stream(export, source=source, target=scratch, progress=progress,
                                    size=size)  # fmt: skip
                export.rename(scratch, target)
            except BaseException:
                with contextlib.suppress(NfsError):
                    export.unlink(scratch, missing_ok=True)
                raise
        return done

    def read(self, *, path: str) -> BinaryIO:
        target = self._path(path)
        try:
            export = NfsExport(url=self.url)
        except NfsError as exc:
            raise StorageError(f"Cannot read {path} on {self.url}: {exc.strerror}") from None
        try:
            stream = export.open(target)
        except NfsError as exc:
            export.close()
            raise StorageError(f"Cannot read {path}: {exc.strerror}") from None
        return _Closing(stream, export)  # type: ignore[return-value]

    def copy(self, *, source: str, target: str) -> int:
        origin, destination = self._path(source), self._path(target)
        scratch = f"{destination}.part-{uuid.uuid4().hex[:8]}"
        with self._mounted(f"copy {source} to {target}") as export:
            export.makedirs(posixpath.dirname(destination))
            try:
                if self._is_overlay(export, origin):
                    qcow2.flatten(source=self.url + origin, target=self.url + scratch)
                else:
                    with export.open(origin) as stream:
                        _copy_stream(export, source=stream, target=scratch)
                export.rename(scratch, destination)
            except BaseException:
                with contextlib.suppress(NfsError):
                    export.unlink(scratch, missing_ok=True)
                raise
            found = export.stat(destination)
        assert found is not None
        return found.size

    def copy_to(self, *, source: str, target: StorageDriver, target_path: str) -> int:
        """A QCOW2 overlay is flattened first, so the copy stands alone."""
        origin = self._path(source)
        with self._mounted(f"copy {source}") as export:
            overlay = self._is_overlay(export, origin)
        if not overlay:
            return super().copy_to(source=source, target=target, target_path=target_path)
        flat = f"{origin}.flat-{uuid.uuid4().hex[:8]}"
        qcow2.flatten(source=self.url + origin, target=self.url + flat)
        try:
            return super().copy_to(source=flat, target=target, target_path=target_path)
        finally:
            with contextlib.suppress(StorageError):
                self.delete(path=flat)

    def create_qcow2(self, *, path: str, size: int) -> None:
        image = self._path(path)
        with self._mounted(f"create {path}") as export:
            if export.stat(image) is not None:
                raise StorageError(f"Cannot create {path}: it exists")
            export.makedirs(posixpath.dirname(image))
        try:
            qcow2.create_image(path=self.url + image, size=size)
        except StorageError:
            with contextlib.suppress(StorageError):
                self.delete(path=path)
            raise

    def clone(self, *, base: str, path: str) -> None:
        """Make `path` a copy-on-write QCOW2 overlay of the QCOW2 image at `base`."""
        overlay = self._path(path)
        with self._mounted(f"create {path}") as export:
            export.makedirs(posixpath.dirname(overlay))
        qcow2.create_overlay(
            base=self.url + self._path(base),
            overlay=self.url + overlay,
            backing=self.image_url(base),
        )

    def resize(self, *, path: str, size: int) -> None:
        with self._mounted(f"resize {path}") as export:
            export.truncate(self._path(path), size)

    def delete(self, *, path: str) -> None:
        with self._mounted(f"delete {path}") as export:
            export.unlink(self._path(path), missing_ok=True)

    def exists(self, *, path: str) -> bool:
        with self._mounted(f"look up {path}") as export:
            found = export.stat(self._path(path))
        return found is not None and not found.is_dir

    def size(self, *, path: str) -> int:
        with self._mounted(f"look up {path}") as export:
            found = export.stat(self._path(path))
        if found is None:
            raise StorageError(f"Cannot stat {path}: No such file or directory")
        return found.size

    @staticmethod
    def _is_overlay(export: NfsExport, path: str) -> bool:
        with export.open(path) as stream:
            header = qcow2.parse_header(stream.read(qcow2.HEADER_SIZE))
        return header is not None and header.has_backing_file


class _Closing:
    """A read stream that unmounts its export when closed."""

    def __init__(self, stream: BinaryIO, export: NfsExport) -> None:
        self._stream = stream
        self._export = export

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except NfsError as exc:
            raise StorageError(f"Cannot read {self._stream.name}: {exc.strerror}") from None

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._export.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _copy_stream(
    export: NfsExport,
    *,
    source: BinaryIO,
    target: str,
    size: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the stream to `target` on the export, leaving holes where it has zero chunks."""
    done = 0
    zero = bytes(CHUNK)
    with export.open(target, write=True) as stream:
        while chunk := source.read(CHUNK):
            if chunk == zero[: len(chunk)]:
                stream.seek(len(chunk), 1)
            else:
                stream.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, size)
    export.truncate(target, done)
    return done
