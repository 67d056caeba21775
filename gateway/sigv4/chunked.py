"""Decoding of `aws-chunked` bodies: signed chunks, unsigned chunks, and trailing checksums.

Layout (after any HTTP `Transfer-Encoding: chunked` framing has been removed by the server):

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n   ... repeated ...
    0[;chunk-signature=<sig>]\\r\\n
    <trailer name>:<value>\\r\\n ...  [x-amz-trailer-signature:<sig>\\r\\n]
    \\r\\n

Signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`) each carry a signature chained
from the previous one, starting from the seed signature of the request; the final, empty chunk is
signed too, and so is the trailer section in the `-TRAILER` variant. botocore only produces the
unsigned variant, so the chunk and trailer signatures are computed here, following "Signature
Calculations for the Authorization Header: Transferring Payload in Multiple Chunks" and
"... Including Trailing Headers" of the S3 API reference.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from gateway.sigv4 import checksums
from gateway.sigv4.checksums import Checksum
from gateway.sigv4.errors import (
    IncompleteBody,
    InvalidArgument,
    MalformedTrailerError,
    SignatureDoesNotMatch,
    SigV4Error,
)
from gateway.sigv4.streams import LineInput, Readable, StreamingReader

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TRAILER_SIGNATURE = "x-amz-trailer-signature"
MAX_HEADER_LINE = 4096
_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")
_SIGNATURE_EXTENSION = re.compile(rb"chunk-signature=([0-9a-f]{64})")


@dataclass(frozen=True, kw_only=True)
class ChunkSigning:
    """What chains chunk signatures: the request's signing key, time, scope and signature."""

    signing_key: bytes = field(repr=False)
    timestamp: str
    scope: str
    seed_signature: str

    def sign(self, *, kind: str, previous: str, digest: str, empty_line: bool) -> str:
        """The signature of one chunk (`kind` PAYLOAD) or of the trailer section (TRAILER)."""
        lines = [f"AWS4-HMAC-SHA256-{kind}", self.timestamp, self.scope, previous]
        if empty_line:
            lines.append(EMPTY_SHA256)
        lines.append(digest)
        return hmac.new(self.signing_key, "\n".join(lines).encode(), hashlib.sha256).hexdigest()


def _truncated() -> SigV4Error:
    return IncompleteBody("The request body terminated unexpectedly")


class AwsChunkedReader(StreamingReader):
    """The decoded data of an aws-chunked body, verified while it is read.

    `signing` is None for unsigned chunks. `trailers` are the names the `x-amz-trailer` header
    announced; each must be a flexible checksum (`x-amz-checksum-crc32`...), computed over the
    decoded data and compared with the trailer's value. `decoded_length` is
    `x-amz-decoded-content-length` when sent. Memory stays bounded whatever the chunk sizes.

    A chunk's data is returned before its signature (sent ahead of it) can be checked, which
    happens when the chunk ends; errors raise from `read`: `SignatureDoesNotMatch`,
    `IncompleteBody` (truncated, malformed framing, wrong decoded length), `BadDigest`,
    `MalformedTrailerError`. A caller must discard everything read once a read raises.
    """

    def __init__(
        self,
        *,
        source: Readable,
        signing: ChunkSigning | None,
        trailers: Collection[str],
        decoded_length: int | None,
    ) -> None:
        super().__init__()
        self._input = LineInput(source, max_line=MAX_HEADER_LINE)
        self._signing = signing
        self._previous = signing.seed_signature if signing else ""
        self._trailers = {name.lower() for name in trailers}
        self._checksums = {name: self._new_checksum(name) for name in self._trailers}
        self._decoded_length = decoded_length
        self._decoded = 0
        self._left = 0
        self._chunk_signature = ""
        self._chunk_hash = hashlib.sha256()
        self._finished = False

    @staticmethod
    def _new_checksum(name: str) -> Checksum:
        algorithm = checksums.algorithm_of(name)
        if algorithm is None:
            raise InvalidArgument(f"The trailer {name} in x-amz-trailer is not supported.")
        return checksums.new(algorithm)

    def _read(self, size: int) -> bytes:
        while self._left == 0:
            if self._finished:
                return b""
            self._start_chunk()
        data = self._input.read(min(size, self._left))
        if not data:
            raise _truncated()
        self._left -= len(data)
        if self._signing:
            self._chunk_hash.update(data)
        for checksum in self._checksums.values():
            checksum.update(data)
        if self._left == 0:
            self._end_chunk()
        return data

    def _start_chunk(self) -> None:
        line = self._input.line(truncated=_truncated)
        if line is None:
            raise _truncated()
        size_field, _, extension = line.partition(b";")
        if not _SIZE.fullmatch(size_field.strip()):
            raise IncompleteBody("The chunk size of an aws-chunked body is malformed.")
        size = int(size_field, 16)
        if self._signing:
            match = _SIGNATURE_EXTENSION.fullmatch(extension.strip())
            if match is None:
                raise IncompleteBody("A chunk of a signed aws-chunked body has no chunk-signature.")
            self._chunk_signature = match.group(1).decode()
        self._decoded += size
        if self._decoded_length is not None and self._decoded > self._decoded_length:
            raise self._length_error()
        if size:
            self._left = size
            return
        self._check_chunk_signature()
        self._finish()

    def _end_chunk(self) -> None:
        if self._input.line(truncated=_truncated) != b"":
            raise IncompleteBody("A chunk of an aws-chunked body is longer than its size.")
        self._check_chunk_signature()

    def _check_chunk_signature(self) -> None:
        if self._signing is None:
            return
        expected = self._signing.sign(
            kind="PAYLOAD",
            previous=self._previous,
            digest=self._chunk_hash.hexdigest(),
            empty_line=True,
        )
        if not hmac.compare_digest(expected, self._chunk_signature):
            raise SignatureDoesNotMatch(
                "The chunk signature we calculated does not match the signature you provided.",
                details={"ChunkSignatureProvided": self._chunk_signature},
            )
        self._previous = expected
        self._chunk_hash = hashlib.sha256()

    def _finish(self) -> None:
        received = self._read_trailer_section()
        if self._decoded_length is not None and self._decoded != self._decoded_length:
            raise self._length_error()
        for name, checksum in self._checksums.items():
            expected = checksums.decode(header=name, value=received[name])
            if not hmac.compare_digest(checksum.digest(), expected):
                raise checksums.mismatch(checksums.algorithm_of(name) or name)
        self._finished = True

    def _read_trailer_section(self) -> dict[str, str]:
        received: dict[str, str] = {}
        signature = None
        while line := self._input.line(truncated=_truncated):
            name, colon, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if not colon or not name or name in received:
                raise MalformedTrailerError()
            if name == TRAILER_SIGNATURE and self._signing:
                signature = value.strip()
            else:
                received[name] = value.strip()
        if set(received) != self._trailers:
            raise MalformedTrailerError(
                "The trailers received do not match those announced in x-amz-trailer."
            )
        if self._signing is not None and self._trailers:
            self._check_trailer_signature(self._signing, received, signature)
        return received

    def _check_trailer_signature(
        self, signing: ChunkSigning, received: dict[str, str], signature: str | None
    ) -> None:
        canonical = "".join(f"{name}:{received[name]}\n" for name in sorted(received))
        expected = signing.sign(
            kind="TRAILER",
            previous=self._previous,
            digest=hashlib.sha256(canonical.encode()).hexdigest(),
            empty_line=False,
        )
        if signature is None or not hmac.compare_digest(expected.encode(), signature.encode()):
            raise SignatureDoesNotMatch(
                "The trailer signature we calculated does not match the signature you provided."
            )

    def _length_error(self) -> SigV4Error:
        return IncompleteBody(
            "You did not provide the number of bytes specified by the "
            "x-amz-decoded-content-length HTTP header"
        )
