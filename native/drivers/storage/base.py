"""The storage driver interface (CloudStack's DataStoreDriver): one store, reached by URL.

Paths passed in and returned are relative to the store's root, so a store can move
(another mount point, another management server) without rewriting rows.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, ClassVar


class StorageError(Exception):
    """A storage operation failed. Post-condition: no partial object is left behind."""


@dataclass(frozen=True, kw_only=True)
class StoreStats:
    """Capacity and use of a store, in bytes."""

    capacity: int
    used: int


Progress = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes if known) while data is copied."""


class StorageDriver(abc.ABC):
    """One store. `capabilities` names optional features (`snapshot`, `resize`, `sparse`,
    `clone`: copy-on-write images, see `clone`; `image_resize`: `resize` sets the size a VM
    sees in a QCOW2 image too, its virtual size)."""

    scheme: str
    capabilities: ClassVar[dict[str, bool]]

    @abc.abstractmethod
    def stats(self) -> StoreStats:
        """Capacity and use as the store reports them."""

    @abc.abstractmethod
    def create(self, *, path: str, size: int) -> None:
        """Create an empty (sparse where possible) object of `size` bytes at `path`."""

    @abc.abstractmethod
    def write(
        self,
        *,
        path: str,
        source: BinaryIO,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> int:
        """Store the stream at `path`; returns the bytes written. On failure `path` is absent."""

    @abc.abstractmethod
    def read(self, *, path: str) -> BinaryIO:
        """Open the object at `path` for reading."""

    @abc.abstractmethod
    def copy(self, *, source: str, target: str) -> int:
        """Copy an object within the store; returns its size. On failure `target` is absent."""

    @abc.abstractmethod
    def resize(self, *, path: str, size: int) -> None:
        """Grow (or shrink) the object to `size` bytes."""

    @abc.abstractmethod
    def delete(self, *, path: str) -> None:
        """Remove the object. Removing an absent object succeeds."""

    @abc.abstractmethod
    def exists(self, *, path: str) -> bool:
        """Whether an object is at `path`."""

    @abc.abstractmethod
    def size(self, *, path: str) -> int:
        """The object's size in bytes."""

    def create_qcow2(self, *, path: str, size: int) -> None:
        """Create an empty QCOW2 image of `size` virtual bytes at `path`. StorageError on a
        store without the `clone` capability."""
        del size
        raise StorageError(f"A {self.scheme}:// store cannot make QCOW2 image {path}")

    def clone(self, *, base: str, path: str) -> None:
        """Create `path` as a copy-on-write image of the QCOW2 image at `base`, which must
        then stay unchanged while `path` exists; copies of `path` made by `copy` or
        `copy_to` stand alone. StorageError on a store without the `clone` capability."""
        del base
        raise StorageError(f"A {self.scheme}:// store cannot make copy-on-write image {path}")

    def copy_to(self, *, source: str, target: StorageDriver, target_path: str) -> int:
        """Copy an object to another store (any pair of drivers); returns its size."""
        with self.read(path=source) as stream:
            return target.write(path=target_path, source=stream, size=self.size(path=source))
