"""Streaming readers: a body is read in pieces and checked as it goes, never held whole."""

from __future__ import annotations

import abc
import hmac
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gateway.sigv4.checksums import Checksum
from gateway.sigv4.errors import SigV4Error

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

BLOCK = 64 * 1024


class Readable(Protocol):
    """A binary stream: `read(n)` returns up to n bytes, `b""` at the end."""

    def read(self, size: int = -1, /) -> bytes: ...


class StreamingReader(io.RawIOBase):
    """A readable binary stream whose subclasses produce data through `_read(size)`.

    `read(n)` returns at most n bytes and `b""` at the end; `read()` (no size) reads to the end,
    which holds the whole body in memory: stream with `read(n)` instead.
    """

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            return self.readall()
        return self._read(size) if size else b""

    def readall(self) -> bytes:
        pieces = []
        while piece := self._read(BLOCK):
            pieces.append(piece)
        return b"".join(pieces)

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self._read(len(view))
        view[: len(data)] = data
        return len(data)

    @abc.abstractmethod
    def _read(self, size: int) -> bytes:
        """Up to `size` (> 0) bytes; `b""` only at the end."""


@dataclass(frozen=True, kw_only=True)
class DigestCheck:
    """A digest to compute over a stream and compare, at its end, with `expected`."""

    checksum: Checksum
    expected: bytes
    error: Callable[[], SigV4Error]


class DigestCheckingReader(StreamingReader):
    """Passes `source` through and raises a check's error at the end if its digest differs.

    The error is raised by the read that reaches the end, so a caller that writes what it reads
    must discard it all when a read raises.
    """

    def __init__(self, *, source: Readable, checks: Sequence[DigestCheck]) -> None:
        super().__init__()
        self._source = source
        self._checks = checks
        self._done = False

    def _read(self, size: int) -> bytes:
        if self._done:
            return b""
        data = self._source.read(size)
        if data:
            for check in self._checks:
                check.checksum.update(data)
            return data
        self._done = True
        for check in self._checks:
            if not hmac.compare_digest(check.checksum.digest(), check.expected):
                raise check.error()
        return b""


class LineInput:
    """Buffered access to a raw stream for a line-framed format: lines, then raw bytes."""

    def __init__(self, source: Readable, *, max_line: int) -> None:
        self._source = source
        self._max_line = max_line
        self._buffer = b""
        self._offset = 0

    def _fill(self) -> bool:
        data = self._source.read(BLOCK)
        if not data:
            return False
        self._buffer = self._buffer[self._offset :] + data
        self._offset = 0
        return True

    def line(self, *, truncated: Callable[[], SigV4Error]) -> bytes | None:
        """The next CRLF-terminated line without its CRLF; None at the very end of the stream.

        Raises `truncated()` when the stream ends inside a line or a line is over `max_line`.
        """
        while True:
            end = self._buffer.find(b"\r\n", self._offset)
            if end >= 0:
                line = self._buffer[self._offset : end]
                self._offset = end + 2
                return line
            if len(self._buffer) - self._offset > self._max_line:
                raise truncated()
            if not self._fill():
                if self._offset >= len(self._buffer):
                    return None
                raise truncated()

    def read(self, size: int) -> bytes:
        """Up to `size` bytes; `b""` at the end of the stream."""
        if self._offset >= len(self._buffer):
            if size >= BLOCK:
                return self._source.read(size)
            if not self._fill():
                return b""
        data = self._buffer[self._offset : self._offset + size]
        self._offset += len(data)
        return data
