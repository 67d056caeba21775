"""S3 request bodies checked while they stream: `x-amz-content-sha256`, aws-chunked, checksums.

`s3_payload_reader` turns a raw body into the object data, decoded and verified according to the
payload line the signature covers (`Verified.payload_hash`):

| payload line                                   | body                                     |
| ---------------------------------------------- | ---------------------------------------- |
| hex SHA-256                                    | raw; `XAmzContentSHA256Mismatch` at end  |
| `UNSIGNED-PAYLOAD`                             | raw                                      |
| `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`           | aws-chunked, each chunk signed           |
| `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`   | aws-chunked, chunks and trailer signed   |
| `STREAMING-UNSIGNED-PAYLOAD-TRAILER`           | aws-chunked, unsigned, trailing checksum |

On top, `Content-MD5` and an `x-amz-checksum-*` header are checked against the decoded data.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Mapping, Sequence

from gateway.sigv4 import checksums
from gateway.sigv4.chunked import AwsChunkedReader, ChunkSigning
from gateway.sigv4.errors import (
    BadDigest,
    InvalidArgument,
    InvalidDigest,
    InvalidRequest,
    XAmzContentSHA256Mismatch,
)
from gateway.sigv4.streams import DigestCheck, DigestCheckingReader, Readable, StreamingReader
from gateway.sigv4.verify import (
    SHA256_HEX,
    STREAMING_PAYLOADS,
    UNSIGNED_PAYLOAD,
    HeadersInput,
    Verified,
    collect_headers,
)

SIGNED_STREAMING = frozenset(
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}
)
TRAILER_STREAMING = frozenset(
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}
)
NOT_DIGESTS = frozenset({"algorithm", "mode", "type"})
"""`x-amz-checksum-<word>` headers that carry no digest (`x-amz-checksum-type: COMPOSITE`)."""


def _single(headers: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = headers.get(name)
    return ",".join(values).strip() if values else None


def content_md5(*, headers: HeadersInput) -> bytes | None:
    """The MD5 digest a `Content-MD5` header announces; None without the header.

    Raises `InvalidDigest` when the value is not base64 of 16 bytes.
    """
    return _md5_of(_single(collect_headers(headers), "content-md5"))


def _md5_of(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidDigest() from None
    if len(digest) != 16:
        raise InvalidDigest()
    return digest


def payload_length(*, headers: HeadersInput) -> int | None:
    """The length of the object data: `x-amz-decoded-content-length` if sent, else
    `Content-Length`; None when neither is sent. Raises `InvalidArgument` if not a number."""
    collected = collect_headers(headers)
    for name in ("x-amz-decoded-content-length", "content-length"):
        value = _single(collected, name)
        if value is not None:
            if not value.isdigit():
                raise InvalidArgument(f"The {name} header is not a valid length.")
            return int(value)
    return None


def s3_payload_reader(
    *, verified: Verified | None, headers: HeadersInput, body: Readable
) -> StreamingReader:
    """The object data of an S3 request body, verified while it is read with `read(n)`.

    `verified` is the result of `verify_request` (None for an anonymous request, whose
    `x-amz-content-sha256`, if any, is then taken as sent). Failures raise from `read`, at the
    latest by the read that reaches the end: a caller must discard what it read when one raises.
    Header problems (bad `Content-MD5`, unsupported checksum, signed streaming without a
    signature) raise here, before any read.
    """
    collected = collect_headers(headers)
    mode = verified.payload_hash if verified else _single(collected, "x-amz-content-sha256")
    mode = mode or UNSIGNED_PAYLOAD
    checks = []
    source: Readable = body
    if mode in STREAMING_PAYLOADS:
        source = _chunked(mode, verified=verified, headers=collected, body=body)
    elif SHA256_HEX.fullmatch(mode):
        checks.append(
            DigestCheck(
                checksum=hashlib.sha256(),
                expected=bytes.fromhex(mode),
                error=XAmzContentSHA256Mismatch,
            )
        )
    elif mode != UNSIGNED_PAYLOAD:
        raise InvalidArgument(f"x-amz-content-sha256 {mode} is not supported.")
    checks += _header_checks(collected)
    return DigestCheckingReader(source=source, checks=checks)


def _chunked(
    mode: str, *, verified: Verified | None, headers: Mapping[str, Sequence[str]], body: Readable
) -> AwsChunkedReader:
    signing = None
    if mode in SIGNED_STREAMING:
        if verified is None:
            raise InvalidRequest(f"{mode} requires a request signed in the Authorization header.")
        signing = ChunkSigning(
            signing_key=verified.signing_key,
            timestamp=verified.timestamp,
            scope=verified.scope,
            seed_signature=verified.seed_signature,
        )
    trailer = _single(headers, "x-amz-trailer") if mode in TRAILER_STREAMING else None
    decoded = _single(headers, "x-amz-decoded-content-length")
    if decoded is not None and not decoded.isdigit():
        raise InvalidArgument("The x-amz-decoded-content-length header is not a valid length.")
    return AwsChunkedReader(
        source=body,
        signing=signing,
        trailers=[name.strip() for name in trailer.split(",") if name.strip()] if trailer else [],
        decoded_length=int(decoded) if decoded is not None else None,
    )


def _header_checks(headers: Mapping[str, Sequence[str]]) -> list[DigestCheck]:
    checks = []
    md5 = _md5_of(_single(headers, "content-md5"))
    if md5 is not None:
        checks.append(DigestCheck(checksum=hashlib.md5(), expected=md5, error=BadDigest))
    for name in headers:
        algorithm = checksums.algorithm_of(name)
        if algorithm is None or algorithm in NOT_DIGESTS:
            continue
        value = _single(headers, name) or ""
        checks.append(
            DigestCheck(
                checksum=checksums.new(algorithm),
                expected=checksums.decode(header=name, value=value),
                error=functools.partial(checksums.mismatch, algorithm),
            )
        )
    return checks
