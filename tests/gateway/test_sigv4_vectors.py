"""SigV4 verification against AWS's published vectors: the SigV4 test suite and the S3
documentation's presigned URL and chunked upload examples."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.sigv4 import Flavour, Verified, s3_payload_reader, verify_request
from gateway.sigv4.errors import (
    AccessDenied,
    IncompleteBody,
    SignatureDoesNotMatch,
    SigV4Error,
)

VECTORS = Path(__file__).parent / "sigv4_vectors"
SUITE_SECRETS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
NO_SECRETS: dict[str, str] = {}
SUITE_TIME = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)

# The S3 API reference's examples ("Authenticating Requests: Using Query Parameters" and
# "Signature Calculations for the Authorization Header: Transferring Payload in Multiple
# Chunks"): its example key differs from the suite's by a `/` for the `+`.
S3_SECRETS = {"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
S3_TIME = dt.datetime(2013, 5, 24, tzinfo=dt.UTC)
PRESIGNED_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
)
SEED_SIGNATURE = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNK_SIGNATURES = [
    (65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
    (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
    (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
]
CHUNKED_HEADERS = {
    "Host": "s3.amazonaws.com",
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    "Authorization": "AWS4-HMAC-SHA256 "
    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
    "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    f"x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED_SIGNATURE}",
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "Content-Encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "Content-Length": "66824",
}


@dataclass(frozen=True)
class RawRequest:
    """A request parsed from a suite file: raw target, header pairs in order, body."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes


def parse_request(text: str) -> RawRequest:
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, _, rest = request_line.partition(" ")
    target = rest[: rest.rindex(" HTTP/")]
    path, _, query = target.partition("?")
    headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.append((name, value))
    return RawRequest(method, path, query, headers, body.encode())


def verify_suite(request: RawRequest) -> Verified | None:
    return verify_request(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        secrets=SUITE_SECRETS.get,
        flavour=Flavour.QUERY,
        payload=request.body,
        now=SUITE_TIME,
    )


def suite_cases() -> list[str]:
    return sorted(path.name for path in VECTORS.iterdir() if path.is_dir())


def read_vector(name: str, extension: str) -> str:
    return (VECTORS / name / f"{name}.{extension}").read_text(encoding="utf-8")


def test_the_suite_is_pinned() -> None:
    assert len(suite_cases()) == 29
    assert "get-vanilla" in suite_cases() and "post-x-www-form-urlencoded" in suite_cases()


@pytest.mark.parametrize("name", suite_cases())
def test_suite_signed_request_verifies(name: str) -> None:
    verified = verify_suite(parse_request(read_vector(name, "sreq")))
    assert verified is not None
    assert verified.access_key == "AKIDEXAMPLE"
    assert (verified.region, verified.service) == ("us-east-1", "service")
    assert verified.seed_signature == read_vector(name, "authz").rpartition("Signature=")[2]
    assert verified.date == SUITE_TIME and not verified.presigned


@pytest.mark.parametrize("name", suite_cases())
def test_suite_canonical_request_and_string_to_sign(name: str) -> None:
    request = parse_request(read_vector(name, "sreq"))
    wrong = [
        (header, value.replace("Signature=", "Signature=0") if header == "Authorization" else value)
        for header, value in request.headers
    ]
    with pytest.raises(SignatureDoesNotMatch) as raised:
        verify_suite(RawRequest(request.method, request.path, request.query, wrong, request.body))
    assert raised.value.details["CanonicalRequest"] == read_vector(name, "creq")
    assert raised.value.details["StringToSign"] == read_vector(name, "sts")


def one_byte_changes(text: str) -> list[str]:
    """The signed request with one byte changed, in turn, in each part the signature covers:
    the request target, each signed header's value, the signature and the body."""
    head, separator, body = text.partition("\n\n")
    lines = head.split("\n")
    signed = head.partition("SignedHeaders=")[2].partition(",")[0].split(";")
    targets = [(0, lines[0].rindex(" HTTP/") - 1)]
    for number, line in enumerate(lines[1:], start=1):
        name = line.partition(":")[0].lower()
        if name in signed or name == "authorization":
            targets.append((number, len(line) - 2))
    changed = []
    for number, position in targets:
        line = lines[number]
        replacement = "2" if line[position] == "1" else "1"
        mutated = [*lines[:number], line[:position] + replacement + line[position + 1 :]]
        changed.append("\n".join(mutated + lines[number + 1 :]) + separator + body)
    if body:
        changed.append(head + separator + "X" + body[1:])
    return changed


@pytest.mark.parametrize("name", suite_cases())
def test_suite_rejects_every_one_byte_change(name: str) -> None:
    original = read_vector(name, "sreq")
    for changed in one_byte_changes(original):
        assert changed != original
        with pytest.raises(SigV4Error):
            verify_suite(parse_request(changed))


def test_suite_unknown_key_and_skew_are_told_apart_by_flavour() -> None:
    request = parse_request(read_vector("get-vanilla", "sreq"))
    for flavour, unknown_code, skew_code in (
        (Flavour.S3, "InvalidAccessKeyId", "RequestTimeTooSkewed"),
        (Flavour.QUERY, "InvalidClientTokenId", "RequestExpired"),
    ):
        with pytest.raises(SigV4Error) as unknown:
            verify_request(
                method=request.method,
                path=request.path,
                query=request.query,
                headers=request.headers,
                secrets=NO_SECRETS.get,
                flavour=flavour,
                now=SUITE_TIME,
            )
        assert (unknown.value.code, unknown.value.status) == (unknown_code, 403)
        with pytest.raises(SigV4Error) as skewed:
            verify_request(
                method=request.method,
                path=request.path,
                query=request.query,
                headers=request.headers,
                secrets=SUITE_SECRETS.get,
                flavour=flavour,
                now=SUITE_TIME + dt.timedelta(minutes=15, seconds=1),
            )
        assert skewed.value.code == skew_code
    # Within 15 minutes either way the clock difference is tolerated.
    for minutes in (-15, 15):
        verify_request(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=request.headers,
            secrets=SUITE_SECRETS.get,
            flavour=Flavour.QUERY,
            now=SUITE_TIME + dt.timedelta(minutes=minutes),
        )


def verify_presigned_example(*, query: str, now: dt.datetime) -> Verified | None:
    return verify_request(
        method="GET",
        path="/test.txt",
        query=query,
        headers={"Host": "examplebucket.s3.amazonaws.com"},
        secrets=S3_SECRETS.get,
        flavour=Flavour.S3,
        now=now,
    )


def test_s3_presigned_url_example() -> None:
    verified = verify_presigned_example(query=PRESIGNED_QUERY, now=S3_TIME + dt.timedelta(hours=23))
    assert verified is not None and verified.presigned
    assert (verified.access_key, verified.region, verified.service) == (
        "AKIAIOSFODNN7EXAMPLE",
        "us-east-1",
        "s3",
    )
    assert verified.expires == S3_TIME + dt.timedelta(seconds=86400)
    assert verified.payload_hash == "UNSIGNED-PAYLOAD"


def test_s3_presigned_url_example_expires() -> None:
    with pytest.raises(AccessDenied) as raised:
        verify_presigned_example(query=PRESIGNED_QUERY, now=S3_TIME + dt.timedelta(seconds=86401))
    assert raised.value.message == "Request has expired"
    assert raised.value.status == 403
    assert raised.value.details["X-Amz-Expires"] == "86400"


def test_s3_presigned_url_example_tampered() -> None:
    for tampered in (
        PRESIGNED_QUERY.replace("X-Amz-Expires=86400", "X-Amz-Expires=86401"),
        PRESIGNED_QUERY.replace("Signature=aeee", "Signature=aeef"),
    ):
        with pytest.raises(SignatureDoesNotMatch):
            verify_presigned_example(query=tampered, now=S3_TIME)


def chunked_example_body(*, data: bytes = b"a" * 66560) -> bytes:
    body = io.BytesIO()
    offset = 0
    for size, signature in CHUNK_SIGNATURES:
        body.write(f"{size:x};chunk-signature={signature}\r\n".encode())
        body.write(data[offset : offset + size] + b"\r\n")
        offset += size
    return body.getvalue()


def verify_chunked_example() -> Verified:
    verified = verify_request(
        method="PUT",
        path="/examplebucket/chunkObject.txt",
        query="",
        headers=CHUNKED_HEADERS,
        secrets=S3_SECRETS.get,
        flavour=Flavour.S3,
        now=S3_TIME,
    )
    assert verified is not None
    return verified


def decode_chunked_example(body: bytes, *, piece: int = 8192) -> bytes:
    reader = s3_payload_reader(
        verified=verify_chunked_example(), headers=CHUNKED_HEADERS, body=io.BytesIO(body)
    )
    decoded = bytearray()
    while data := reader.read(piece):
        decoded += data
    return bytes(decoded)


def test_s3_chunked_upload_example_seed_signature() -> None:
    verified = verify_chunked_example()
    assert verified.seed_signature == SEED_SIGNATURE
    assert verified.payload_hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    assert verified.scope == "20130524/us-east-1/s3/aws4_request"


@pytest.mark.parametrize("piece", [1, 1000, 8192, 70000])
def test_s3_chunked_upload_example_decodes(piece: int) -> None:
    body = chunked_example_body()
    assert len(body) == 66824
    assert decode_chunked_example(body, piece=piece) == b"a" * 66560


def test_s3_chunked_upload_example_tampered() -> None:
    body = chunked_example_body()
    data_change = chunked_example_body(data=b"a" * 66000 + b"b" + b"a" * 559)
    signature_change = body.replace(b"=0055627c", b"=1055627c")
    final_change = body.replace(b"=b6c6ea8a", b"=b6c6ea8b")
    for tampered in (data_change, signature_change, final_change):
        with pytest.raises(SignatureDoesNotMatch):
            decode_chunked_example(tampered)
    with pytest.raises(IncompleteBody):
        decode_chunked_example(body[: body.index(b"0;chunk-signature")])
    with pytest.raises(IncompleteBody):
        decode_chunked_example(body[:1000])
