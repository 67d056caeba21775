"""A primary storage pool in a directory of KVM hosts, worked on through a host's libvirt,
as CloudStack's KVM agent works on its pools: the management server needs no access to
the host's filesystem.

Each directory the store uses (`volumes/`, `templates/`) is a libvirt `dir` storage pool
whose target is that directory: an active pool already there (an operator's) or a
transient one this driver starts, named `alto-` and a digest of the directory, building
the directory when it writes. An object is a libvirt volume, and libvirt on the host does
the work:
- `create` makes a sparse raw volume, `create_qcow2` an empty QCOW2 one; `write` uploads a sparse stream (zero chunks become
  holes), and libvirt then probes what was written, so a QCOW2 image is known as one;
- `clone` makes a QCOW2 volume with a `backingStore` named by its path relative to the
  volume's directory, as on a local store, so the pool can be mounted anywhere;
- `copy` is `createXMLFrom`, which folds a QCOW2 image's backing chain in;
- `copy_to` of an overlay first copies its bytes to a scratch volume with a plain read, which
  works while a running guest holds QEMU's lock on it, then flattens that scratch copy;
- `resize` is libvirt's, so a QCOW2 image's virtual size changes, and a raw file's size.

A failed write, copy or clone deletes what it made. A write that the management server
does not live to finish leaves its volume behind, unlike a local store's rename.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar
from xml.sax.saxutils import escape

import libvirt

from native.drivers.hypervisor.base import DriverError, HostAccess
from native.drivers.hypervisor.libvirt_connection import closing, open_connection
from native.drivers.storage.base import Progress, StorageDriver, StorageError, StoreStats

CHUNK = 1024 * 1024
POOL_PREFIX = "alto-"
SCRATCH_SUFFIXES = (".snap", ".flat")


class LibvirtPoolStore(StorageDriver):
    """Objects are volumes below the host directory `root`; paths may not leave it.
    `host` is the KVM host whose libvirt does the work."""

    scheme = "file"
    capabilities: ClassVar[dict[str, bool]] = {
        "snapshot": True,
        "resize": True,
        "sparse": True,
        "clone": True,
        "image_resize": True,
    }

    def __init__(self, *, host: HostAccess, root: str) -> None:
        self.host = host
        self.root = posixpath.normpath("/" + root.lstrip("/"))

    def _place(self, path: str) -> tuple[str, str]:
        """The directory and volume name of the object at `path`."""
        full = posixpath.normpath(posixpath.join(self.root, path.lstrip("/")))
        directory, name = posixpath.split(full)
        if not full.startswith(self.root.rstrip("/") + "/") or not name:
            raise StorageError(f"Path {path} leaves the store {self.root}")
        return directory, name

    @contextlib.contextmanager
    def _connection(self, action: str) -> Iterator[Any]:
        """A connection to the host's libvirt; its errors become StorageErrors."""
        conn = self._open(action)
        with closing(conn), _errors(action):
            yield conn

    def _open(self, action: str) -> Any:
        try:
            return open_connection(self.host)
        except (DriverError, libvirt.libvirtError) as error:
            raise StorageError(f"{action} failed: {_message(error)}") from None

    def stats(self) -> StoreStats:
        with self._connection(f"Reading the capacity of {self.root}") as conn:
            pool = _built_pool(conn, self.root)
            _state, capacity, allocation, _available = pool.info()
        return StoreStats(capacity=int(capacity), used=int(allocation))

    def create(self, *, path: str, size: int) -> None:
        directory, name = self._place(path)
        with self._connection(f"Creating {path}") as conn:
            pool = _built_pool(conn, directory)
            pool.createXML(_volume_xml(name, capacity=size, image_format="raw"), 0)

    def create_qcow2(self, *, path: str, size: int) -> None:
        directory, name = self._place(path)
        with self._connection(f"Creating {path}") as conn:
            pool = _built_pool(conn, directory)
            pool.createXML(_volume_xml(name, capacity=size, image_format="qcow2"), 0)

    def write(
        self,
        *,
        path: str,
        source: BinaryIO,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> int:
        directory, name = self._place(path)
        with self._connection(f"Writing {path}") as conn:
            pool = _built_pool(conn, directory)
            _delete(_volume(pool, name))
            volume = pool.createXML(_volume_xml(name, capacity=0, image_format="raw"), 0)
            try:
                return _upload(conn, volume, source=source, size=size, progress=progress)
            except BaseException:
                _delete(volume)
                raise

    def read(self, *, path: str) -> BinaryIO:
        """A stream of the volume's bytes, holding its own connection until closed."""
        directory, name = self._place(path)
        conn = self._open(f"Reading {path}")
        try:
            with _errors(f"Reading {path}"):
                volume = _existing(conn, directory, name, path=path)
                stream = conn.newStream(0)
                volume.download(stream, 0, 0, 0)
        except BaseException:
            with closing(conn):
                raise
        return io.BufferedReader(_VolumeReader(conn=conn, stream=stream, path=path), CHUNK)

    def copy(self, *, source: str, target: str) -> int:
        source_dir, source_name = self._place(source)
        target_dir, target_name = self._place(target)
        with self._connection(f"Copying {source} to {target}") as conn:
            origin = _existing(conn, source_dir, source_name, path=source)
            pool = _built_pool(conn, target_dir)
            return _copy_volume(pool, origin, name=target_name)

    def copy_to(self, *, source: str, target: StorageDriver, target_path: str) -> int:
        """Copies of an overlay are flattened on the host first (see the module docstring)."""
        directory, name = self._place(source)
        with self._connection(f"Reading {source}") as conn:
            overlay = _backing_path(_existing(conn, directory, name, path=source)) is not None
        if not overlay:
            return super().copy_to(source=source, target=target, target_path=target_path)
        snap, flat = (source + suffix for suffix in SCRATCH_SUFFIXES)
        try:
            with self.read(path=source) as stream:
                self.write(path=snap, source=stream)
            self.copy(source=snap, target=flat)
            return super().copy_to(source=flat, target=target, target_path=target_path)
        finally:
            for scratch in (snap, flat):
                with contextlib.suppress(StorageError):
                    self.delete(path=scratch)

    def clone(self, *, base: str, path: str) -> None:
        base_dir, base_name = self._place(base)
        directory, name = self._place(path)
        with self._connection(f"Creating copy-on-write image {path}") as conn:
            origin = _existing(conn, base_dir, base_name, path=base)
            pool = _built_pool(conn, directory)
            capacity = int(origin.info()[1])
            pool.createXML(
                _volume_xml(
                    name,
                    capacity=capacity,
                    image_format="qcow2",
                    backing=posixpath.relpath(posixpath.join(base_dir, base_name), directory),
                ),
                0,
            )

    def resize(self, *, path: str, size: int) -> None:
        """Set the size a VM sees: a raw file's size, a QCOW2 image's virtual size."""
        directory, name = self._place(path)
        with self._connection(f"Resizing {path}") as conn:
            volume = _existing(conn, directory, name, path=path)
            volume.resize(size, libvirt.VIR_STORAGE_VOL_RESIZE_SHRINK)

    def delete(self, *, path: str) -> None:
        directory, name = self._place(path)
        with self._connection(f"Deleting {path}") as conn:
            pool = _pool(conn, directory, build=False)
            if pool is not None:
                _delete(_volume(pool, name))

    def exists(self, *, path: str) -> bool:
        directory, name = self._place(path)
        with self._connection(f"Looking up {path}") as conn:
            pool = _pool(conn, directory, build=False)
            return pool is not None and _volume(pool, name) is not None

    def size(self, *, path: str) -> int:
        directory, name = self._place(path)
        with self._connection(f"Reading the size of {path}") as conn:
            volume = _existing(conn, directory, name, path=path)
            return int(volume.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2])


class _VolumeReader(io.RawIOBase):
    """The bytes of a libvirt download stream; closing it ends the stream and closes the
    connection it came on."""

    def __init__(self, *, conn: Any, stream: Any, path: str) -> None:
        self._conn = conn
        self._stream = stream
        self._path = path
        self._finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._finished:
            return 0
        view = memoryview(buffer).cast("B")
        try:
            data = self._stream.recv(len(view))
        except libvirt.libvirtError as error:
            raise StorageError(f"Reading {self._path} failed: {_message(error)}") from None
        if not data:
            self._finished = True
            return 0
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        with contextlib.suppress(libvirt.libvirtError):
            if self._finished:
                self._stream.finish()
            else:
                self._stream.abort()
        with closing(self._conn):
            super().close()


@contextlib.contextmanager
def _errors(action: str) -> Iterator[None]:
    try:
        yield
    except libvirt.libvirtError as error:
        raise StorageError(f"{action} failed: {_message(error)}") from None


def _message(error: Exception) -> str:
    if isinstance(error, libvirt.libvirtError):
        return str(error.get_error_message() or error)
    return str(error)


def _pool_name(directory: str) -> str:
    return POOL_PREFIX + hashlib.sha256(directory.encode()).hexdigest()[:16]


def _pool(conn: Any, directory: str, *, build: bool) -> Any | None:
    """The active `dir` pool on `directory`: found, or started (building the directory
    when `build`). None when it is not there and `build` is False."""
    name = _pool_name(directory)
    pool = _lookup(conn.storagePoolLookupByName, name, libvirt.VIR_ERR_NO_STORAGE_POOL)
    if pool is None:
        pool = _pool_on(conn, directory)
    if pool is None:
        return _start_pool(conn, directory, name=name, build=build)
    if not pool.isActive():
        pool.create(libvirt.VIR_STORAGE_POOL_CREATE_WITH_BUILD if build else 0)
    return pool


def _built_pool(conn: Any, directory: str) -> Any:
    """The active `dir` pool on `directory`, building the directory if need be."""
    pool = _pool(conn, directory, build=True)
    assert pool is not None
    return pool


def _pool_on(conn: Any, directory: str) -> Any | None:
    """A `dir` pool someone else defined on `directory`, if any."""
    for pool in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_DIR):
        target = ET.fromstring(pool.XMLDesc(0)).findtext("target/path")
        if target is not None and posixpath.normpath(target) == directory:
            return pool
    return None


def _start_pool(conn: Any, directory: str, *, name: str, build: bool) -> Any | None:
    """Start a transient pool on `directory`: on the directory as it is, else (`build`)
    building it. None when it cannot start and `build` is False."""
    pool_xml = (
        f"<pool type='dir'><name>{name}</name>"
        f"<target><path>{escape(directory)}</path></target></pool>"
    )
    attempts = (0, libvirt.VIR_STORAGE_POOL_CREATE_WITH_BUILD) if build else (0,)
    for flags in attempts:
        try:
            return conn.storagePoolCreateXML(pool_xml, flags)
        except libvirt.libvirtError as error:
            failure = error
            started = _lookup(conn.storagePoolLookupByName, name, libvirt.VIR_ERR_NO_STORAGE_POOL)
            if started is not None:
                return started
    if build:
        raise failure
    return None


def _lookup(find: Any, name: str, missing: int) -> Any | None:
    try:
        return find(name)
    except libvirt.libvirtError as error:
        if error.get_error_code() == missing:
            return None
        raise


def _volume(pool: Any, name: str) -> Any | None:
    """The pool's volume `name`; the pool is refreshed once before it is called absent."""
    missing = libvirt.VIR_ERR_NO_STORAGE_VOL
    volume = _lookup(pool.storageVolLookupByName, name, missing)
    if volume is None:
        with contextlib.suppress(libvirt.libvirtError):
            pool.refresh(0)
        volume = _lookup(pool.storageVolLookupByName, name, missing)
    return volume


def _existing(conn: Any, directory: str, name: str, *, path: str) -> Any:
    pool = _pool(conn, directory, build=False)
    volume = None if pool is None else _volume(pool, name)
    if volume is None:
        raise StorageError(f"No object at {path}")
    return volume


def _delete(volume: Any | None) -> None:
    if volume is not None:
        volume.delete(0)


def _volume_format(volume: Any) -> str:
    element = ET.fromstring(volume.XMLDesc(0)).find("target/format")
    return "raw" if element is None else element.get("type", "raw")


def _backing_path(volume: Any) -> str | None:
    return ET.fromstring(volume.XMLDesc(0)).findtext("backingStore/path")


def _volume_xml(name: str, *, capacity: int, image_format: str, backing: str | None = None) -> str:
    compat = "<compat>1.1</compat>" if image_format == "qcow2" else ""
    backing_xml = (
        ""
        if backing is None
        else f"<backingStore><path>{escape(backing)}</path><format type='qcow2'/></backingStore>"
    )
    return (
        f"<volume><name>{escape(name)}</name>"
        f"<capacity unit='bytes'>{capacity}</capacity><allocation>0</allocation>"
        f"<target><format type='{image_format}'/>{compat}</target>{backing_xml}</volume>"
    )


def _copy_volume(pool: Any, origin: Any, *, name: str) -> int:
    """Copy `origin` into `pool` as `name`, flattened; returns its size in bytes."""
    _delete(_volume(pool, name))
    image_format = _volume_format(origin)
    capacity = int(origin.info()[1])
    copied = pool.createXMLFrom(
        _volume_xml(name, capacity=capacity, image_format=image_format), origin, 0
    )
    return int(copied.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2])


def _upload(
    conn: Any, volume: Any, *, source: BinaryIO, size: int | None, progress: Progress | None
) -> int:
    """Send `source` into the volume as a sparse stream; returns the bytes sent."""
    stream = conn.newStream(0)
    volume.upload(stream, 0, 0, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM)
    done = 0
    try:
        while chunk := source.read(CHUNK):
            if chunk.count(0) == len(chunk):
                stream.sendHole(len(chunk), 0)
            else:
                _send(stream, chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, size)
        stream.finish()
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            stream.abort()
        raise
    return done


def _send(stream: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        sent = stream.send(view.tobytes())
        view = view[sent:]
