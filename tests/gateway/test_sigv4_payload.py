"""S3 payload verification: signed aws-chunked uploads (with and without a signed trailer),
malformed framing, payload headers, and a 1 GiB upload decoded in flat memory."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.sigv4 import (
    Flavour,
    Verified,
    content_md5,
    payload_length,
    s3_payload_reader,
    verify_request,
)
from gateway.sigv4.errors import (
    BadDigest,
    IncompleteBody,
    InvalidArgument,
    InvalidDigest,
    InvalidRequest,
    MalformedTrailerError,
    SignatureDoesNotMatch,
)

ACCESS_KEY = "AKIAALTOPAYLOAD00001"
SECRET_KEY = "payload/secret+key"
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY = hashlib.sha256(b"").hexdigest()
ROOT = Path(__file__).resolve().parents[2]


def signed_headers(mode: str, *, length: int, trailer: str | None = None) -> list[tuple[str, str]]:
    """Headers of a PUT signed by botocore's SigV4 signer with `mode` as the payload line."""
    headers = {
        "Host": "s3.alto.test",
        "X-Amz-Content-SHA256": mode,
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(length),
    }
    if trailer:
        headers["X-Amz-Trailer"] = trailer
    request = AWSRequest(method="PUT", url="http://s3.alto.test/bucket/key", headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(request)
    return [(name, str(value)) for name, value in request.headers.items()]


def verify_put(headers: list[tuple[str, str]]) -> Verified:
    verified = verify_request(
        method="PUT",
        path="/bucket/key",
        query="",
        headers=headers,
        secrets={ACCESS_KEY: SECRET_KEY}.get,
        flavour=Flavour.S3,
    )
    assert verified is not None
    return verified


class ChunkSigner:
    """The chunk signature chain of the S3 API reference, written out independently."""

    def __init__(self, verified: Verified) -> None:
        date, region, service, _ = verified.scope.split("/")
        key = f"AWS4{SECRET_KEY}".encode()
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self.key = key
        self.prefix = f"{verified.timestamp}\n{verified.scope}\n"
        self.previous = verified.seed_signature

    def chunk(self, digest: str) -> str:
        text = f"AWS4-HMAC-SHA256-PAYLOAD\n{self.prefix}{self.previous}\n{EMPTY}\n{digest}"
        self.previous = hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()
        return self.previous

    def trailer(self, canonical: bytes) -> str:
        digest = hashlib.sha256(canonical).hexdigest()
        text = f"AWS4-HMAC-SHA256-TRAILER\n{self.prefix}{self.previous}\n{digest}"
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()


def signed_body(
    verified: Verified, chunks: list[bytes], *, trailer: tuple[str, str] | None = None
) -> bytes:
    signer = ChunkSigner(verified)
    body = io.BytesIO()
    for chunk in [*chunks, b""]:
        signature = signer.chunk(hashlib.sha256(chunk).hexdigest())
        body.write(f"{len(chunk):x};chunk-signature={signature}\r\n".encode())
        body.write(chunk + b"\r\n" if chunk else b"")
    if trailer:
        line = f"{trailer[0]}:{trailer[1]}\n".encode()
        body.write(line.replace(b"\n", b"\r\n"))
        body.write(f"x-amz-trailer-signature:{signer.trailer(line)}\r\n".encode())
    body.write(b"\r\n")
    return body.getvalue()


def read_all(verified: Verified | None, headers: list[tuple[str, str]], body: bytes) -> bytes:
    reader = s3_payload_reader(verified=verified, headers=headers, body=io.BytesIO(body))
    decoded = bytearray()
    while data := reader.read(10_000):
        decoded += data
    return bytes(decoded)


CHUNKS = [b"x" * 70_000, bytes(range(256)) * 100, b"tail"]
DATA = b"".join(CHUNKS)


def crc32_of(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_signed_chunks_round_trip() -> None:
    headers = signed_headers(SIGNED, length=len(DATA))
    verified = verify_put(headers)
    assert read_all(verified, headers, signed_body(verified, CHUNKS)) == DATA


def test_signed_chunks_out_of_order_fail() -> None:
    headers = signed_headers(SIGNED, length=len(DATA))
    verified = verify_put(headers)
    swapped = signed_body(verified, [CHUNKS[1], CHUNKS[0], CHUNKS[2]])
    with pytest.raises(SignatureDoesNotMatch):
        read_all(verified, headers, swapped.replace(b"x" * 70_000, b"y" * 70_000))
    with pytest.raises(IncompleteBody):
        read_all(verified, headers, signed_body(verified, CHUNKS[:2]))


def test_signed_chunks_with_signed_trailer() -> None:
    headers = signed_headers(SIGNED_TRAILER, length=len(DATA), trailer="x-amz-checksum-crc32")
    verified = verify_put(headers)
    good = ("x-amz-checksum-crc32", crc32_of(DATA))
    assert read_all(verified, headers, signed_body(verified, CHUNKS, trailer=good)) == DATA
    wrong_value = ("x-amz-checksum-crc32", crc32_of(b"other"))
    with pytest.raises(BadDigest):
        read_all(verified, headers, signed_body(verified, CHUNKS, trailer=wrong_value))
    forged = signed_body(verified, CHUNKS, trailer=good).replace(
        good[1].encode(), crc32_of(b"other").encode()
    )
    with pytest.raises(SignatureDoesNotMatch, match="trailer"):
        read_all(verified, headers, forged)
    with pytest.raises(MalformedTrailerError):
        read_all(verified, headers, signed_body(verified, CHUNKS))


def unsigned_body(chunks: list[bytes], trailers: str = "") -> bytes:
    framed = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for chunk in chunks)
    return framed + b"0\r\n" + trailers.encode() + b"\r\n"


def unsigned_headers(trailer: str | None) -> list[tuple[str, str]]:
    headers = [("X-Amz-Content-SHA256", UNSIGNED_TRAILER), ("Content-Encoding", "aws-chunked")]
    return headers + ([("X-Amz-Trailer", trailer)] if trailer else [])


def test_unsigned_chunks_without_trailer() -> None:
    assert read_all(None, unsigned_headers(None), unsigned_body(CHUNKS)) == DATA


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nab\r\n0\r\n\r\n",
        b"2\r\nabc\r\n0\r\n\r\n",
        b"5\r\nab",
        b"2\r\nab\r\n",
        b"2\r\nab\r\n0\r\nx-amz-checksum-crc32:" + crc32_of(b"ab").encode() + b"\r\n\r\n",
    ],
)
def test_malformed_unsigned_chunks(body: bytes) -> None:
    with pytest.raises((IncompleteBody, MalformedTrailerError)):
        read_all(None, unsigned_headers(None), body)


def test_trailer_problems() -> None:
    headers = unsigned_headers("x-amz-checksum-crc32")
    good = f"x-amz-checksum-crc32:{crc32_of(DATA)}\r\n"
    assert read_all(None, headers, unsigned_body(CHUNKS, good)) == DATA
    with pytest.raises(MalformedTrailerError):
        read_all(None, headers, unsigned_body(CHUNKS, good + "x-amz-checksum-sha1:AAAA\r\n"))
    with pytest.raises(InvalidRequest, match="x-amz-checksum-crc32"):
        read_all(None, headers, unsigned_body(CHUNKS, "x-amz-checksum-crc32:***\r\n"))
    with pytest.raises(InvalidRequest, match="CRC64NVME"):
        read_all(None, unsigned_headers("x-amz-checksum-crc64nvme"), unsigned_body(CHUNKS))
    with pytest.raises(InvalidArgument):
        read_all(None, unsigned_headers("x-amz-meta-colour"), unsigned_body(CHUNKS))


def test_signed_streaming_needs_a_signature() -> None:
    headers = [("X-Amz-Content-SHA256", SIGNED)]
    with pytest.raises(InvalidRequest):
        s3_payload_reader(verified=None, headers=headers, body=io.BytesIO(b""))


def test_payload_header_values() -> None:
    base = signed_headers("UNSIGNED-PAYLOAD", length=1)
    without = [(name, value) for name, value in base if name != "X-Amz-Content-SHA256"]
    bad = [*without, ("X-Amz-Content-SHA256", "not-a-hash")]
    with pytest.raises(InvalidRequest, match="x-amz-content-sha256"):
        verify_put(without)
    with pytest.raises(InvalidArgument, match="x-amz-content-sha256"):
        verify_put(bad)
    md5 = hashlib.md5(b"abc").digest()
    assert content_md5(headers={"Content-MD5": base64.b64encode(md5).decode()}) == md5
    assert content_md5(headers={}) is None
    for invalid in ("***", base64.b64encode(b"short").decode()):
        with pytest.raises(InvalidDigest):
            content_md5(headers={"Content-MD5": invalid})
    assert payload_length(headers={"Content-Length": "10"}) == 10
    assert (
        payload_length(headers={"Content-Length": "99", "x-amz-decoded-content-length": "7"}) == 7
    )
    assert payload_length(headers={}) is None


class GeneratedBody:
    """A signed aws-chunked body of `count` chunks of `chunk`, produced as it is read."""

    def __init__(self, verified: Verified, *, chunk: bytes, count: int) -> None:
        self._pieces = self._generate(ChunkSigner(verified), chunk, count)
        self._current = b""

    @staticmethod
    def _generate(signer: ChunkSigner, chunk: bytes, count: int) -> Iterator[bytes]:
        digest = hashlib.sha256(chunk).hexdigest()
        for _ in range(count):
            yield f"{len(chunk):x};chunk-signature={signer.chunk(digest)}\r\n".encode()
            yield chunk
            yield b"\r\n"
        yield f"0;chunk-signature={signer.chunk(EMPTY)}\r\n\r\n".encode()

    def read(self, size: int = -1, /) -> bytes:
        if not self._current:
            self._current = next(self._pieces, b"")
        piece, self._current = self._current[:size], self._current[size:]
        return piece


MEMORY_SCRIPT = """
import resource, sys
sys.path.insert(0, sys.argv[1])
from tests.gateway.test_sigv4_payload import GeneratedBody, signed_headers, verify_put, SIGNED
from gateway.sigv4 import s3_payload_reader
chunk, count = b"a" * (1 << 20), 1024
headers = signed_headers(SIGNED, length=len(chunk) * count)
verified = verify_put(headers)
body = GeneratedBody(verified, chunk=chunk, count=count)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reader = s3_payload_reader(verified=verified, headers=headers, body=body)
total = 0
while data := reader.read(1 << 20):
    total += len(data)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(total, (after - before) * 1024)
"""


def test_one_gib_signed_upload_decodes_in_flat_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    total, peak_growth = map(int, result.stdout.split())
    assert total == 1 << 30
    assert peak_growth < 100 * 1024 * 1024
