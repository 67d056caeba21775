"""Disk images on a store: the size a VM sees, and growing it, by image format.

A RAW image's virtual size is its file size, so it grows with the store's `resize`. A QCOW2
image's virtual size is in its header; it grows with `qemu-img resize`, which needs the file
on a filesystem this server reaches (a `LocalStore`) or on an NFS export (an `NfsStore`);
a store with the `image_resize` capability (a KVM host's pool, through libvirt) sets it in
its own `resize`.
"""

from __future__ import annotations

from native.drivers.storage import qcow2
from native.drivers.storage.base import StorageDriver, StorageError
from native.drivers.storage.local import LocalStore
from native.drivers.storage.nfs import NfsStore

QCOW2 = "QCOW2"
RAW = "RAW"


def virtual_size(store: StorageDriver, *, path: str, image_format: str) -> int:
    """The size of the disk a VM sees in the image at `path`; StorageError for a QCOW2
    image without a qcow2 header."""
    if image_format != QCOW2:
        return store.size(path=path)
    with store.read(path=path) as stream:
        header = qcow2.parse_header(stream.read(qcow2.HEADER_SIZE))
    if header is None:
        raise StorageError(f"{path} is not a valid QCOW2 image (no qcow2 header)")
    return header.virtual_size


def grow(store: StorageDriver, *, path: str, image_format: str, size: int) -> None:
    """Make the disk in the image at `path` at least `size` bytes (a larger one is left as
    it is). StorageError when it cannot: a QCOW2 image on a store that cannot resize one, or
    no `qemu-img` on this server."""
    if virtual_size(store, path=path, image_format=image_format) >= size:
        return
    resize(store, path=path, image_format=image_format, size=size)


def resize(store: StorageDriver, *, path: str, image_format: str, size: int) -> None:
    """Set the disk in the image at `path` to `size` bytes (the caller checked that a
    shrink is allowed); StorageError as `grow`."""
    if image_format != QCOW2 or store.capabilities.get("image_resize"):
        store.resize(path=path, size=size)
        return
    if isinstance(store, LocalStore):
        qcow2.resize(path=store.file(path), size=size)
    elif isinstance(store, NfsStore):
        qcow2.resize(path=store.image_url(path), size=size)
    else:
        raise StorageError(f"A QCOW2 image on a {store.scheme}:// store cannot be resized")
