"""An NFS client in user space: libnfs (`libnfs.so.13`, Debian 12's libnfs 4.0) through ctypes.

Alto reaches NFS exports with this client rather than with a kernel mount, so a management
server needs no NFS support in its kernel, no mount privileges and no mount points, and the
path tested on a machine without kernel NFS is the path every appliance runs. QEMU reaches the
same exports with its own libnfs-based `nfs://` block driver.

An `NfsExport` is one mounted export. libnfs contexts are not thread-safe, so every call on an
export, and on the files opened from it, holds the export's lock. Every failure raises
`NfsError`, which carries the errno libnfs reported.
"""

from __future__ import annotations

import ctypes
import errno
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Self, cast
from urllib.parse import urlsplit

LIBRARY = "libnfs.so.13"
TIMEOUT_MS = 60_000
CHUNK = 1024 * 1024


class NfsError(OSError):
    """An NFS operation failed; `errno` is set when the server or libnfs named a cause."""


_STAT_FIELDS = "dev ino mode nlink uid gid rdev size blksize blocks atime mtime ctime"
_STATVFS_FIELDS = "bsize frsize blocks bfree bavail files ffree favail fsid flag namemax"


class _Stat64(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in [*_STAT_FIELDS.split(), "atime_nsec", "mtime_nsec", "ctime_nsec", "used"]
    ]


class _StatVfs64(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in _STATVFS_FIELDS.split()]


class _Url(ctypes.Structure):
    _fields_ = [("server", ctypes.c_char_p), ("path", ctypes.c_char_p), ("file", ctypes.c_char_p)]


class _DirEntry(ctypes.Structure):
    pass


_DirEntry._fields_ = [
    ("next", ctypes.POINTER(_DirEntry)),
    ("name", ctypes.c_char_p),
    ("inode", ctypes.c_uint64),
    ("type", ctypes.c_uint32),
    ("mode", ctypes.c_uint32),
    ("size", ctypes.c_uint64),
]

_P = ctypes.c_void_p
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "nfs_init_context": (_P, []),
    "nfs_destroy_context": (None, [_P]),
    "nfs_get_error": (ctypes.c_char_p, [_P]),
    "nfs_set_timeout": (None, [_P, ctypes.c_int]),
    "nfs_parse_url_dir": (ctypes.POINTER(_Url), [_P, ctypes.c_char_p]),
    "nfs_destroy_url": (None, [ctypes.POINTER(_Url)]),
    "nfs_mount": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "nfs_stat64": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(_Stat64)]),
    "nfs_statvfs64": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(_StatVfs64)]),
    "nfs_open": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_P)]),
    "nfs_create": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(_P)],
    ),
    "nfs_close": (ctypes.c_int, [_P, _P]),
    "nfs_pread": (ctypes.c_int, [_P, _P, ctypes.c_uint64, ctypes.c_uint64, _P]),
    "nfs_pwrite": (ctypes.c_int, [_P, _P, ctypes.c_uint64, ctypes.c_uint64, _P]),
    "nfs_fsync": (ctypes.c_int, [_P, _P]),
    "nfs_truncate": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_uint64]),
    "nfs_unlink": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "nfs_mkdir": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "nfs_rmdir": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "nfs_rename": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "nfs_opendir": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(_P)]),
    "nfs_readdir": (ctypes.POINTER(_DirEntry), [_P, _P]),
    "nfs_closedir": (None, [_P, _P]),
}
_library: ctypes.CDLL | None = None
_library_lock = threading.Lock()


def _lib() -> ctypes.CDLL:
    global _library
    with _library_lock:
        if _library is None:
            try:
                library = ctypes.CDLL(LIBRARY)
            except OSError:
                raise NfsError(
                    errno.ENOSYS, f"The NFS client library {LIBRARY} is not installed (libnfs13)"
                ) from None
            for name, (result, arguments) in _SIGNATURES.items():
                function = getattr(library, name)
                function.restype = result
                function.argtypes = arguments
            _library = library
        return _library


@dataclass(frozen=True, kw_only=True)
class NfsStat:
    """What `stat` tells of one path; `mtime` is the server's modification time (seconds
    since the epoch)."""

    size: int
    is_dir: bool
    mtime: float


@dataclass(frozen=True, kw_only=True)
class NfsUsage:
    """An export's capacity and free space, in bytes."""

    capacity: int
    free: int


class NfsExport:
    """The export `nfs://server/export[?options]`, mounted until `close`. Paths are absolute
    within the export (`/templates/x`). libnfs URL options (`version=4`, `nfsport=`,
    `mountport=`) apply. NfsError when it cannot be mounted."""

    def __init__(self, *, url: str, timeout_ms: int = TIMEOUT_MS) -> None:
        self.url = url
        self._lock = threading.RLock()
        lib = _lib()
        self._context: int | None = lib.nfs_init_context()
        if not self._context:
            raise NfsError(errno.ENOMEM, "Cannot create an NFS client context")
        try:
            lib.nfs_set_timeout(self._context, timeout_ms)
            parsed = lib.nfs_parse_url_dir(self._context, url.encode())
            if not parsed:
                raise NfsError(errno.EINVAL, f"Invalid NFS URL {url}: {self._error()}")
            try:
                server, export = parsed.contents.server, parsed.contents.path
                self._check(lib.nfs_mount(self._context, server, export), "mount")
            finally:
                lib.nfs_destroy_url(parsed)
        except BaseException:
            lib.nfs_destroy_context(self._context)
            self._context = None
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unmount and free the client; later calls fail."""
        with self._lock:
            if self._context:
                _lib().nfs_destroy_context(self._context)
                self._context = None

    def _error(self) -> str:
        message = _lib().nfs_get_error(self._context) if self._context else None
        return message.decode(errors="replace") if message else "unknown error"

    def _check(self, result: int, what: str) -> int:
        if result < 0:
            code = -result
            raise NfsError(code, f"{what}: {self._error()}")
        return result

    def _live(self) -> int:
        if not self._context:
            raise NfsError(errno.EBADF, f"NFS export {self.url} is closed")
        return self._context

    def stat(self, path: str) -> NfsStat | None:
        """The path's size and kind; None when nothing is there."""
        result = _Stat64()
        with self._lock:
            code = _lib().nfs_stat64(self._live(), path.encode(), ctypes.byref(result))
            if code == -errno.ENOENT:
                return None
            self._check(code, f"stat {path}")
        return NfsStat(
            size=result.size,
            is_dir=(result.mode & 0o170000) == 0o040000,
            mtime=result.mtime + result.mtime_nsec / 1e9,
        )

    def usage(self) -> NfsUsage:
        """The export's capacity and free space."""
        result = _StatVfs64()
        with self._lock:
            self._check(_lib().nfs_statvfs64(self._live(), b"/", ctypes.byref(result)), "statvfs")
        unit = result.frsize or result.bsize
        return NfsUsage(capacity=result.blocks * unit, free=result.bavail * unit)

    def makedirs(self, path: str) -> None:
        """Create the directory and its missing parents."""
        current = ""
        for part in [p for p in path.split("/") if p]:
            current += "/" + part
            with self._lock:
                code = _lib().nfs_mkdir(self._live(), current.encode())
                if code not in (0, -errno.EEXIST):
                    self._check(code, f"mkdir {current}")

    def listdir(self, path: str) -> Iterator[str]:
        """The names in a directory (without `.` and `..`)."""
        handle = ctypes.c_void_p()
        with self._lock:
            lib = _lib()
            self._check(
                lib.nfs_opendir(self._live(), path.encode(), ctypes.byref(handle)),
                f"opendir {path}",
            )
            names = []
            try:
                while entry := lib.nfs_readdir(self._context, handle):
                    name = entry.contents.name.decode(errors="surrogateescape")
                    if name not in (".", ".."):
                        names.append(name)
            finally:
                lib.nfs_closedir(self._context, handle)
        yield from names

    def truncate(self, path: str, size: int) -> None:
        """Set the file's size (a grown file reads as zeros)."""
        with self._lock:
            self._check(_lib().nfs_truncate(self._live(), path.encode(), size), f"truncate {path}")

    def unlink(self, path: str, *, missing_ok: bool = False) -> None:
        """Remove a file."""
        with self._lock:
            code = _lib().nfs_unlink(self._live(), path.encode())
            if missing_ok and code == -errno.ENOENT:
                return
            self._check(code, f"unlink {path}")

    def rmdir(self, path: str) -> None:
        """Remove an empty directory."""
        with self._lock:
            self._check(_lib().nfs_rmdir(self._live(), path.encode()), f"rmdir {path}")

    def remove_tree(self, path: str) -> None:
        """Remove the file, or the directory and everything below it; succeeds if absent."""
        found = self.stat(path)
        if found is None:
            return
        if not found.is_dir:
            self.unlink(path, missing_ok=True)
            return
        for name in self.listdir(path):
            self.remove_tree(f"{path.rstrip('/')}/{name}")
        self.rmdir(path)

    def rename(self, source: str, target: str) -> None:
        """Move a file, replacing what is at `target`."""
        with self._lock:
            self._check(
                _lib().nfs_rename(self._live(), source.encode(), target.encode()),
                f"rename {source} to {target}",
            )

    def open(self, path: str, *, write: bool = False) -> BinaryIO:
        """The file for reading, or created (or emptied) for writing."""
        handle = ctypes.c_void_p()
        with self._lock:
            lib = _lib()
            if write:
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                code = lib.nfs_create(
                    self._live(), path.encode(), flags, 0o644, ctypes.byref(handle)
                )
            else:
                code = lib.nfs_open(self._live(), path.encode(), os.O_RDONLY, ctypes.byref(handle))
            self._check(code, f"open {path}")
        raw = _NfsFile(export=self, handle=handle, name=path, writable=write)
        if write:
            return cast(BinaryIO, io.BufferedWriter(raw, buffer_size=CHUNK))
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=CHUNK))


class _NfsFile(io.RawIOBase):
    """An open NFS file; reads and writes go on from the current offset."""

    def __init__(
        self, *, export: NfsExport, handle: ctypes.c_void_p, name: str, writable: bool
    ) -> None:
        super().__init__()
        self._export = export
        self._handle = handle
        self._writable = writable
        self._offset = 0
        self.name = name

    def readable(self) -> bool:
        return not self._writable

    def writable(self) -> bool:
        return self._writable

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            self._offset = offset
        elif whence == os.SEEK_CUR:
            self._offset += offset
        else:
            raise io.UnsupportedOperation("NFS files seek from the start or the current offset")
        return self._offset

    def tell(self) -> int:
        return self._offset

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        count = min(len(view), CHUNK)
        target = (ctypes.c_char * count).from_buffer(view)
        with self._export._lock:
            done = self._export._check(
                _lib().nfs_pread(self._export._live(), self._handle, self._offset, count, target),
                f"read {self.name}",
            )
        self._offset += done
        return done

    def write(self, data: bytes) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        count = min(len(view), CHUNK)
        source = ctypes.c_char_p(bytes(view[:count]))
        with self._export._lock:
            done = self._export._check(
                _lib().nfs_pwrite(self._export._live(), self._handle, self._offset, count, source),
                f"write {self.name}",
            )
        self._offset += done
        return done

    def close(self) -> None:
        if not self.closed:
            try:
                with self._export._lock:
                    context = self._export._context
                    if context:
                        if self._writable:
                            self._export._check(
                                _lib().nfs_fsync(context, self._handle), f"fsync {self.name}"
                            )
                        _lib().nfs_close(context, self._handle)
            finally:
                super().close()


def split_url(url: str) -> tuple[str, str]:
    """`nfs://server/export?options` as (server, export path); ValueError when malformed."""
    parts = urlsplit(url)
    if parts.scheme != "nfs" or not parts.hostname or not parts.path.startswith("/"):
        raise ValueError(f"Invalid NFS location {url}: use nfs://server/export")
    return parts.hostname, parts.path.rstrip("/") or "/"
