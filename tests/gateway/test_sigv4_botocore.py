"""Round trips with botocore: requests it signs (header, presigned, aws-chunked with trailing
checksums, Query APIs) verify, and tampered ones fail with the code AWS would answer."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import botocore.httpchecksum
import botocore.session
import crc32c
import pytest
from botocore.config import Config

from gateway.sigv4 import Flavour, Verified, s3_payload_reader, verify_request
from gateway.sigv4.errors import (
    AccessDenied,
    AuthorizationQueryParametersError,
    BadDigest,
    IncompleteBody,
    InvalidAccessKeyId,
    InvalidArgument,
    InvalidClientTokenId,
    InvalidDigest,
    InvalidRequest,
    MalformedTrailerError,
    RequestExpired,
    SignatureDoesNotMatch,
    XAmzContentSHA256Mismatch,
)

ACCESS_KEY = "AKIAALTOTEST00000001"
SECRET_KEY = "alto/Secret+Key/for-tests"
SECRETS = {ACCESS_KEY: SECRET_KEY}
NO_SECRETS: dict[str, str] = {}
TRICKY_KEY = "dir/ünï cødé+~!'()*&$@=;:,?[] .txt"


class Captured(Exception):
    """Raised instead of sending, carrying the prepared request."""

    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def _capture(request: Any, **_: Any) -> None:
    raise Captured(request)


@dataclass(frozen=True)
class Sent:
    """A prepared request as the server would receive it."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes


def make_client(service: str, *, endpoint: str | None = None, **config: Any) -> Any:
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(request_checksum_calculation="when_supported", **config),
    )
    client.meta.events.register("before-send", _capture)
    return client


def sent_by(call: Callable[[], object]) -> Sent:
    with pytest.raises(Captured) as captured:
        call()
    request = captured.value.request
    url = urlsplit(request.url)
    headers = [("Host", url.netloc)]
    for name, value in request.headers.items():
        headers.append((name, value.decode() if isinstance(value, bytes) else value))
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return Sent(request.method, url.path, url.query, headers, body or b"")


def verify(sent: Sent, *, flavour: Flavour = Flavour.S3, **kwargs: Any) -> Verified:
    verified = verify_request(
        method=sent.method,
        path=sent.path,
        query=sent.query,
        headers=sent.headers,
        secrets=SECRETS.get,
        flavour=flavour,
        payload=b"" if flavour is Flavour.S3 else sent.body,
        **kwargs,
    )
    assert verified is not None
    return verified


def decode(sent: Sent, verified: Verified, *, piece: int = 65536) -> bytes:
    from io import BytesIO

    reader = s3_payload_reader(verified=verified, headers=sent.headers, body=BytesIO(sent.body))
    decoded = bytearray()
    while data := reader.read(piece):
        decoded += data
    return bytes(decoded)


def md5_of(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def with_header(sent: Sent, name: str, value: str) -> Sent:
    kept = [(key, old) for key, old in sent.headers if key.lower() != name.lower()]
    return replace(sent, headers=[*kept, (name, value)])


S3_CALLS: dict[str, Callable[[Any], object]] = {
    "put_object": lambda s3: s3.put_object(
        Bucket="bucket",
        Key=TRICKY_KEY,
        Body=b"hello world",
        ContentType="text/plain; charset=utf-8",
        Metadata={"colour": "blue  and   green", "owner": "ann"},
    ),
    "get_object": lambda s3: s3.get_object(
        Bucket="bucket",
        Key=TRICKY_KEY,
        Range="bytes=0-9",
        ResponseContentDisposition='attachment; filename="a b+c.txt"',
        VersionId="3/L4kqtJl40Nr8X8gdRQBpUMLUo",
    ),
    "list_objects_v2": lambda s3: s3.list_objects_v2(
        Bucket="bucket",
        Prefix="a b/ü+",
        Delimiter="/",
        StartAfter="a b/ü+~x",
        EncodingType="url",
        MaxKeys=7,
    ),
    "delete_objects": lambda s3: s3.delete_objects(
        Bucket="bucket", Delete={"Objects": [{"Key": TRICKY_KEY}, {"Key": "x"}]}
    ),
    "copy_object": lambda s3: s3.copy_object(
        Bucket="bucket",
        Key="copy",
        CopySource={"Bucket": "other", "Key": TRICKY_KEY},
        MetadataDirective="REPLACE",
    ),
    "put_bucket_tagging": lambda s3: s3.put_bucket_tagging(
        Bucket="bucket", Tagging={"TagSet": [{"Key": "k", "Value": "v w"}]}
    ),
}


@pytest.mark.parametrize("style", ["path", "virtual"])
@pytest.mark.parametrize("operation", sorted(S3_CALLS))
def test_s3_header_signed_requests_verify(operation: str, style: str) -> None:
    s3 = make_client("s3", endpoint="http://s3.alto.test:8080", s3={"addressing_style": style})
    sent = sent_by(lambda: S3_CALLS[operation](s3))
    verified = verify(sent)
    assert (verified.access_key, verified.region, verified.service) == (
        ACCESS_KEY,
        "us-east-1",
        "s3",
    )
    assert not verified.presigned
    assert decode(sent, verified) == sent.body


def test_s3_tampered_header_signed_requests_fail() -> None:
    s3 = make_client("s3", endpoint="http://s3.alto.test:8080")
    sent = sent_by(lambda: S3_CALLS["put_object"](s3))
    verified = verify(sent)
    with pytest.raises(SignatureDoesNotMatch):
        verify(with_header(sent, "x-amz-meta-owner", "bob"))
    with pytest.raises(SignatureDoesNotMatch):
        verify(replace(sent, path=sent.path.replace("txt", "txT")))
    with pytest.raises(AccessDenied) as unsigned:
        verify(with_header(sent, "x-amz-acl", "public-read"))
    assert unsigned.value.details["HeadersNotSigned"] == "x-amz-acl"
    with pytest.raises(XAmzContentSHA256Mismatch):
        decode(replace(sent, body=b"hello World"), verified)
    assert decode(with_header(sent, "Content-MD5", md5_of(b"hello world")), verified)
    with pytest.raises(BadDigest, match="Content-MD5"):
        decode(with_header(sent, "Content-MD5", md5_of(b"hello World")), verified)
    with pytest.raises(InvalidDigest):
        decode(with_header(sent, "Content-MD5", "not base64!"), verified)
    with pytest.raises(InvalidAccessKeyId):
        verify_request(
            method=sent.method,
            path=sent.path,
            query=sent.query,
            headers=sent.headers,
            secrets=NO_SECRETS.get,
            flavour=Flavour.S3,
        )
    with pytest.raises(SignatureDoesNotMatch):
        verify_request(
            method=sent.method,
            path=sent.path,
            query=sent.query,
            headers=sent.headers,
            secrets={ACCESS_KEY: "wrong"}.get,
            flavour=Flavour.S3,
        )


def test_s3_header_checksum_is_checked_on_plain_http() -> None:
    s3 = make_client("s3", endpoint="http://s3.alto.test:8080")
    sent = sent_by(lambda: S3_CALLS["put_object"](s3))
    assert dict(sent.headers)["x-amz-checksum-crc32"]
    verified = verify(sent)
    # A body matching x-amz-content-sha256 but not the checksum: signed as the client sent it.
    forged = with_header(sent, "x-amz-checksum-crc32", "AAAAAA==")
    with pytest.raises(BadDigest, match="CRC32"):
        decode(forged, verified)


class Crc32cChecksum(botocore.httpchecksum.BaseChecksum):  # type: ignore[misc]
    """CRC32C for botocore without awscrt (which botocore otherwise requires for it)."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, chunk: bytes) -> None:
        self._value = crc32c.crc32c(chunk, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


@pytest.fixture
def botocore_crc32c(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    algorithms = dict(botocore.httpchecksum._CHECKSUM_CLS)
    algorithms.setdefault("crc32c", Crc32cChecksum)
    monkeypatch.setattr(botocore.httpchecksum, "_CHECKSUM_CLS", algorithms)
    monkeypatch.setattr(botocore.httpchecksum, "_SUPPORTED_CHECKSUM_ALGORITHMS", list(algorithms))
    yield


def chunked_put(algorithm: str | None, data: bytes) -> Sent:
    s3 = make_client("s3", endpoint="https://s3.alto.test")
    extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    return sent_by(lambda: s3.put_object(Bucket="bucket", Key=TRICKY_KEY, Body=data, **extra))


DATA = random.Random(6).randbytes(2 * 1024 * 1024 + 12345)


@pytest.mark.usefixtures("botocore_crc32c")
@pytest.mark.parametrize("algorithm", [None, "CRC32", "CRC32C", "SHA1", "SHA256"])
def test_s3_aws_chunked_upload_with_trailing_checksum(algorithm: str | None) -> None:
    sent = chunked_put(algorithm, DATA)
    headers = dict(sent.headers)
    trailer = f"x-amz-checksum-{(algorithm or 'crc32').lower()}"
    assert headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["X-Amz-Trailer"] == trailer
    assert sent.body.endswith(b"\r\n\r\n") and trailer.encode() in sent.body[-200:]
    verified = verify(sent)
    assert verified.payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    for piece in (1000, 65536, 5_000_000):
        assert decode(sent, verified, piece=piece) == DATA


def test_s3_aws_chunked_trailer_crc32c_value() -> None:
    # The CRC32C check value of the iSCSI standard (RFC 3720), big-endian, base64.
    from gateway.sigv4 import checksums

    checksum = checksums.new("crc32c")
    checksum.update(b"123456789")
    assert checksum.digest() == bytes.fromhex("e3069283")
    crc = checksums.new("crc32")
    crc.update(b"123456789")
    assert crc.digest() == zlib.crc32(b"123456789").to_bytes(4, "big")


def test_s3_aws_chunked_tampered() -> None:
    sent = chunked_put("CRC32", DATA)
    verified = verify(sent)
    body = sent.body
    middle = len(body) // 2
    flipped = body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1 :]
    trailer_at = body.rindex(b"x-amz-checksum-crc32:")
    value_at = trailer_at + len(b"x-amz-checksum-crc32:")
    wrong_trailer = body[:value_at] + b"AAAAAA==" + body[value_at + 8 :]
    no_trailer = body[:trailer_at] + b"\r\n"
    with pytest.raises(BadDigest, match="CRC32"):
        decode(replace(sent, body=flipped), verified)
    with pytest.raises(BadDigest):
        decode(replace(sent, body=wrong_trailer), verified)
    with pytest.raises(MalformedTrailerError):
        decode(replace(sent, body=no_trailer), verified)
    with pytest.raises(IncompleteBody):
        decode(replace(sent, body=body[: len(body) // 3]), verified)
    with pytest.raises(IncompleteBody):
        decode(with_header(sent, "X-Amz-Decoded-Content-Length", str(len(DATA) + 1)), verified)


def test_s3_presigned_urls_verify_and_expire() -> None:
    s3 = make_client("s3", endpoint="http://127.0.0.1:8080", signature_version="s3v4")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "bucket", "Key": TRICKY_KEY}, ExpiresIn=600
    )
    parts = urlsplit(url)
    sent = Sent("GET", parts.path, parts.query, [("Host", parts.netloc)], b"")
    verified = verify(sent)
    assert verified.presigned and verified.payload_hash == "UNSIGNED-PAYLOAD"
    assert verified.expires == verified.date + dt.timedelta(seconds=600)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=700)
    with pytest.raises(AccessDenied, match="Request has expired"):
        verify(sent, now=later)
    with pytest.raises(AuthorizationQueryParametersError):
        verify(replace(sent, query=sent.query.replace("X-Amz-Expires=600", "X-Amz-Expires=604801")))
    with pytest.raises(SignatureDoesNotMatch):
        verify(replace(sent, query=sent.query.replace("X-Amz-Expires=600", "X-Amz-Expires=601")))
    with pytest.raises(InvalidArgument):
        verify(with_header(sent, "Authorization", "AWS4-HMAC-SHA256 Credential=x"))


def test_s3_presigned_put_signs_its_headers() -> None:
    s3 = make_client("s3", endpoint="http://127.0.0.1:8080", signature_version="s3v4")
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": "bucket", "Key": "k", "ContentType": "text/plain"},
        ExpiresIn=604800,
    )
    parts = urlsplit(url)
    assert "X-Amz-SignedHeaders=content-type%3Bhost" in parts.query
    sent = Sent("PUT", parts.path, parts.query, [("Host", parts.netloc)], b"data")
    verified = verify(with_header(sent, "Content-Type", "text/plain"))
    assert verified.signed_headers == ("content-type", "host")
    assert decode(sent, verified) == b"data"
    with pytest.raises(SignatureDoesNotMatch):
        verify(with_header(sent, "Content-Type", "text/html"))


def test_s3_presigned_with_session_token() -> None:
    session = botocore.session.get_session()
    s3 = session.create_client(
        "s3",
        region_name="eu-west-3",
        endpoint_url="http://127.0.0.1:8080",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token="token/with+specials==",
        config=Config(signature_version="s3v4"),
    )
    url = s3.generate_presigned_url("list_buckets", ExpiresIn=60)
    parts = urlsplit(url)
    verified = verify(Sent("GET", parts.path, parts.query, [("Host", parts.netloc)], b""))
    assert verified.security_token == "token/with+specials=="
    assert verified.region == "eu-west-3"


def test_s3_signature_version_2_is_refused() -> None:
    # botocore presigns with SigV2 in us-east-1 unless told `signature_version="s3v4"`.
    s3 = make_client("s3", endpoint="http://127.0.0.1:8080")
    parts = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}))
    assert "AWSAccessKeyId=" in parts.query
    with pytest.raises(InvalidRequest, match="AWS4-HMAC-SHA256"):
        verify(Sent("GET", parts.path, parts.query, [("Host", parts.netloc)], b""))
    header_v2 = Sent("GET", "/b/k", "", [("Host", "h"), ("Authorization", "AWS AK:c2ln")], b"")
    with pytest.raises(InvalidRequest):
        verify(header_v2)


QUERY_CALLS: dict[str, Callable[[Any], object]] = {
    "ec2": lambda ec2: ec2.describe_instances(
        Filters=[{"Name": "tag:Name", "Values": ["web server*", "ü+db"]}], MaxResults=5
    ),
    "sts": lambda sts: sts.get_caller_identity(),
    "iam": lambda iam: iam.list_users(PathPrefix="/division_abc/subdivision_xyz/"),
}


@pytest.mark.parametrize("service", sorted(QUERY_CALLS))
def test_query_api_requests_verify(service: str) -> None:
    client = make_client(service, endpoint="http://alto.test:8080/")
    sent = sent_by(lambda: QUERY_CALLS[service](client))
    verified = verify(sent, flavour=Flavour.QUERY)
    assert verified.service == service
    with pytest.raises(SignatureDoesNotMatch):
        verify(replace(sent, body=sent.body + b"&Extra=1"), flavour=Flavour.QUERY)
    with pytest.raises(InvalidClientTokenId):
        verify_request(
            method=sent.method,
            path=sent.path,
            query=sent.query,
            headers=sent.headers,
            secrets=NO_SECRETS.get,
            flavour=Flavour.QUERY,
            payload=sent.body,
        )
    with pytest.raises(RequestExpired, match="Signature expired"):
        verify(sent, flavour=Flavour.QUERY, now=verified.date + dt.timedelta(minutes=16))


def test_query_api_presigned_url_verifies() -> None:
    sts = make_client("sts", endpoint="http://alto.test:8080/")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=900, HttpMethod="GET")
    parts = urlsplit(url)
    sent = Sent("GET", parts.path, parts.query, [("Host", parts.netloc)], b"")
    verified = verify(sent, flavour=Flavour.QUERY)
    assert verified.presigned and verified.service == "sts"
    with pytest.raises(RequestExpired):
        verify(sent, flavour=Flavour.QUERY, now=verified.date + dt.timedelta(seconds=901))
