"""The object store interface: where the bytes of buckets' objects live.

A store holds containers (one per bucket), each holding objects at relative paths. Data
move in fixed-size chunks in both directions, so memory stays flat whatever the size.
"""

from __future__ import annotations

import abc
import collections
import hashlib
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Protocol, Self

CHUNK = 1024 * 1024

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


class ObjectStoreError(Exception):
    """A store operation failed. Post-condition: no partial object is left behind."""


class ObjectMissing(ObjectStoreError):
    """The object (or its container) does not exist."""


def checked_name(name: str) -> str:
    """`name` if it is a safe relative container or object path (segments of letters,
    digits, `.`, `_` and `-`, none starting with `.`); ObjectStoreError otherwise."""
    if not name or not all(_SEGMENT.match(segment) for segment in name.split("/")):
        raise ObjectStoreError(f"Invalid object store path {name!r}")
    return name


class IncompleteStream(ObjectStoreError):
    """The source ended before the size announced for it."""


class Readable(Protocol):
    """Anything with `read(n)`: a file, a socket stream, a request body."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, kw_only=True)
class Stored:
    """What `put` wrote: the size in bytes and the MD5 of the data (hex)."""

    size: int
    md5: str


@dataclass(frozen=True, kw_only=True)
class StoreStats:
    """Capacity and use in bytes, where the store can tell (None where it cannot)."""

    capacity: int | None
    used: int | None


class ByteStream(abc.ABC, Iterator[bytes]):
    """The bytes of an object (or a range of it) as chunks of at most CHUNK bytes.

    Close it (or use it as a context manager) when done, read to the end or not.
    """

    def __iter__(self) -> Self:
        return self

    @abc.abstractmethod
    def __next__(self) -> bytes: ...

    @abc.abstractmethod
    def close(self) -> None:
        """Release the file or connection behind the stream; safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ChunkReader:
    """`read(n)` over an iterator of byte chunks (a ByteStream, or several in turn)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer = chunk
        if size is None or size < 0 or size >= len(self._buffer):
            chunk, self._buffer = self._buffer, b""
            return chunk
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="object-md5")
"""Hashes the chunks of large streams while their readers go on receiving and writing
(hashlib lets go of the GIL on large buffers). One thread: each stream's chunks are hashed
in the order they were read."""

_HASHING_AHEAD = 4
"""At most this many chunks of one stream wait to be hashed; the reader then waits, so
memory stays flat when hashing is the slower side."""


class HashingReader:
    """Reads `source` for a writer, counting and hashing what passes.

    With `size` given, it gives exactly that many bytes and raises IncompleteStream if the
    source ends early; without it, it reads to the end. An error of the source itself
    propagates unchanged, and `source_failed` tells the writer it was not its own.

    The first chunk is hashed as it passes; later ones on a hashing thread, alongside the
    reading and writing, and `stored` waits for them.
    """

    def __init__(self, source: Readable, *, size: int | None) -> None:
        self.source = source
        self.expected = size
        self.count = 0
        self.source_failed = False
        self.digest = hashlib.md5(usedforsecurity=False)
        self._hashing: collections.deque[Future[None]] = collections.deque()

    def read(self, size: int = -1, /) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        if self.expected is not None:
            want = min(want, self.expected - self.count)
            if want == 0:
                return b""
        try:
            chunk = self.source.read(want)
        except BaseException:
            self.source_failed = True
            raise
        if not chunk and self.expected is not None and self.count < self.expected:
            raise IncompleteStream(f"The stream ended after {self.count} of {self.expected} bytes")
        if self.count == 0:
            self.digest.update(chunk)
        elif chunk:
            if len(self._hashing) >= _HASHING_AHEAD:
                self._hashing.popleft().result()
            self._hashing.append(_HASHER.submit(self.digest.update, chunk))
        self.count += len(chunk)
        return chunk

    def chunks(self) -> Iterator[bytes]:
        """The rest of the data in chunks of at most CHUNK bytes."""
        while chunk := self.read(CHUNK):
            yield chunk

    def stored(self) -> Stored:
        """The size and MD5 of everything read, once every chunk is hashed."""
        while self._hashing:
            self._hashing.popleft().result()
        return Stored(size=self.count, md5=self.digest.hexdigest())


class ObjectStore(abc.ABC):
    """One object store. Containers and paths are plain relative names chosen by the
    caller (`container` a bucket's uuid; `path` segments of letters, digits, `-` and `/`).

    `capabilities` names optional features (`atomic_put`, `range_get`).
    """

    provider: ClassVar[str]
    capabilities: ClassVar[dict[str, bool]]

    @abc.abstractmethod
    def stats(self) -> StoreStats:
        """Capacity and use; ObjectStoreError if the store cannot be reached."""

    @abc.abstractmethod
    def create_container(self, *, container: str) -> None:
        """Make the container; succeeds if it exists already."""

    @abc.abstractmethod
    def delete_container(self, *, container: str) -> None:
        """Remove the container and everything in it; succeeds if it is absent."""

    @abc.abstractmethod
    def put(
        self, *, container: str, path: str, source: Readable, size: int | None = None
    ) -> Stored:
        """Store the stream at `path`, replacing what was there, and return its size and MD5.

        Atomic: the data are durable before they become visible at `path`, and on any
        failure (the source raising or ending early included) `path` is unchanged and no
        temporary data remain.
        """

    @abc.abstractmethod
    def get(
        self, *, container: str, path: str, offset: int = 0, length: int | None = None
    ) -> ByteStream:
        """The bytes from `offset`, `length` of them (to the end if None).

        ObjectMissing if there is no object at `path`.
        """

    @abc.abstractmethod
    def delete(self, *, container: str, path: str) -> None:
        """Remove the object; removing an absent object succeeds."""

    @abc.abstractmethod
    def exists(self, *, container: str, path: str) -> bool:
        """Whether an object is at `path`."""

    @abc.abstractmethod
    def size(self, *, container: str, path: str) -> int:
        """The object's size in bytes; ObjectMissing if it is absent."""

    def sweep_scratch(self, *, older_than: float) -> int:
        """Remove what interrupted writes left behind (a crash mid-upload) and was last
        touched more than `older_than` seconds ago; how many were removed. Stores that
        write nothing aside have nothing to sweep."""
        return 0

    @abc.abstractmethod
    def copy(self, *, container: str, source: str, target_container: str, target: str) -> int:
        """Copy an object within the store (atomically, as `put`); returns its size."""

    def concatenate(self, *, container: str, sources: Sequence[str], target: str) -> int:
        """Store the objects at `sources`, one after the other, at `target` (atomically, as
        `put`); returns its size. ObjectMissing if a source is absent. Stores that can
        join files without passing the bytes through this process override it."""
        return self.put(
            container=container,
            path=target,
            source=ChunkReader(self.joined(container=container, sources=sources)),
        ).size

    def joined(self, *, container: str, sources: Sequence[str]) -> Iterator[bytes]:
        """The bytes of the objects at `sources`, one after the other, in chunks;
        ObjectMissing (when reached) if a source is absent."""
        for source in sources:
            with self.get(container=container, path=source) as stream:
                yield from stream
