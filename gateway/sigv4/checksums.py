"""The S3 flexible checksums (`x-amz-checksum-<algorithm>`): base64 of the big-endian digest."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Mapping
from typing import Protocol

import crc32c

from gateway.sigv4.errors import BadDigest, InvalidRequest

HEADER_PREFIX = "x-amz-checksum-"


class Checksum(Protocol):
    """An incremental digest, as hashlib's objects are."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    """A 32-bit CRC accumulated through `function(data, previous)`."""

    def __init__(self, function: Callable[[bytes, int], int]) -> None:
        self._function = function
        self._value = 0

    def update(self, data: bytes, /) -> None:
        self._value = self._function(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


def _crc32c(data: bytes, value: int) -> int:
    return crc32c.crc32c(data, value)


ALGORITHMS: Mapping[str, Callable[[], Checksum]] = {
    "crc32": lambda: _Crc(zlib.crc32),
    "crc32c": lambda: _Crc(_crc32c),
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
}


def algorithm_of(header: str) -> str | None:
    """`crc32` for `x-amz-checksum-crc32` (any case); None for other headers."""
    name = header.lower()
    return name[len(HEADER_PREFIX) :] if name.startswith(HEADER_PREFIX) else None


def new(algorithm: str) -> Checksum:
    """A fresh checksum; raises `InvalidRequest` for an algorithm S3 does not offer here."""
    factory = ALGORITHMS.get(algorithm)
    if factory is None:
        raise InvalidRequest(f"The algorithm {algorithm.upper()} is not supported.")
    return factory()


def encode(digest: bytes) -> str:
    """The header form of a digest."""
    return base64.b64encode(digest).decode()


def decode(*, header: str, value: str) -> bytes:
    """The digest a checksum header or trailer carries; `InvalidRequest` when not base64."""
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"Value for {header.lower()} header is invalid.") from None


def mismatch(algorithm: str) -> BadDigest:
    """The error S3 answers when a flexible checksum does not match the data."""
    return BadDigest(
        f"The {algorithm.upper()} you specified did not match the calculated checksum."
    )
