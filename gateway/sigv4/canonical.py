"""The signature a correct client computed for a request, recomputed from the request as received.

botocore's `SigV4Auth` does the work: canonical headers (lower-cased names, values trimmed and
inner spaces collapsed, repeated headers joined by commas), the canonical request layout, the
string to sign, the HMAC helper and, outside S3, path normalisation. A signer prepares a request
before signing it, so three of its inputs are overridden to come from the received request:

- the signed headers are exactly those listed by the client, with the values it sent (botocore
  would choose them itself and skip some, such as `user-agent`);
- the query string is canonicalised from the raw query (see `canonical_query`);
- the S3 path is canonicalised from the raw path (see `canonical_s3_path`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNRESERVED = "-_.~"


@dataclass(frozen=True, kw_only=True)
class ReceivedRequest:
    """An HTTP request as it arrived: raw path and query, headers by lower-cased name."""

    method: str
    path: str
    query: str
    headers: Mapping[str, Sequence[str]]

    def header(self, name: str) -> str | None:
        """The header's values joined by commas (as a WSGI server joins them), or None."""
        values = self.headers.get(name.lower())
        return ",".join(values) if values else None


@dataclass(frozen=True, kw_only=True)
class CredentialScope:
    """The `Credential=AKID/DATE/REGION/SERVICE/aws4_request` of a signature."""

    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


@dataclass(frozen=True, kw_only=True)
class Computation:
    """The intermediate strings and the result of signing; the strings go in error details."""

    canonical_request: str
    string_to_sign: str
    signing_key: bytes
    signature: str


def canonical_query(raw: str, *, omit: Collection[str] = ()) -> str:
    """The canonical query string for a raw query string, leaving out the names in `omit`.

    Every name and value is percent-decoded and encoded again with only the unreserved
    characters left bare, then the pairs are sorted: a client that encoded its query differently
    from the canonical form (lower-case escapes, bare `/` or `:`, raw UTF-8) still verifies.
    botocore cannot do this: its URL variant sorts the raw pairs without re-encoding them and its
    parameter variant needs text values, which cannot hold escapes of non-UTF-8 octets. A `+` is
    a literal plus, not a space, as in every SigV4 signer.
    """
    pairs = []
    for item in raw.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        decoded_name = unquote_to_bytes(name)
        if decoded_name.decode("utf-8", "replace") in omit:
            continue
        pairs.append(
            (quote(decoded_name, safe=UNRESERVED), quote(unquote_to_bytes(value), safe=UNRESERVED))
        )
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_s3_path(raw: str) -> str:
    """The canonical URI of an S3 request: the raw path with each segment re-encoded.

    S3 does not normalise paths (`//` and `..` are part of object keys), so segments are kept as
    sent; each is decoded and encoded again with only the unreserved characters bare, which turns
    whatever encoding the client chose into the one it signed. An encoded slash (`%2F`) stays
    encoded, a bare one stays a separator.
    """
    segments = raw.split("/")
    return "/".join(quote(unquote_to_bytes(segment), safe=UNRESERVED) for segment in segments)


class _ReceivedRequestSigner(SigV4Auth):  # type: ignore[misc]
    """botocore's signer fed from a received request instead of preparing one to send."""

    def __init__(
        self,
        *,
        received: ReceivedRequest,
        scope: CredentialScope,
        secret_key: str,
        signed_headers: Sequence[str],
        payload_hash: str,
        omit_query: Collection[str],
    ) -> None:
        super().__init__(Credentials(scope.access_key, secret_key), scope.service, scope.region)
        self._received = received
        self._signed_headers = signed_headers
        self._payload_hash = payload_hash
        self._omit_query = omit_query

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed_headers:
            for value in self._received.headers.get(name, [""]):
                headers[name] = value
        return headers

    def canonical_query_string(self, request: AWSRequest) -> str:
        return canonical_query(self._received.query, omit=self._omit_query)

    def _normalize_url_path(self, path: str) -> str:
        if self._service_name == "s3":
            return canonical_s3_path(self._received.path)
        normalized: str = super()._normalize_url_path(self._received.path)
        return normalized

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash

    def signing_key(self, date: str) -> bytes:
        """The derived key; botocore's `signature()` derives it too but does not expose it."""
        key: bytes = f"AWS4{self.credentials.secret_key}".encode()
        for part in (date, self._region_name, self._service_name, TERMINATOR):
            key = self._sign(key, part)
        return key


def compute(
    *,
    received: ReceivedRequest,
    scope: CredentialScope,
    secret_key: str,
    timestamp: str,
    signed_headers: Sequence[str],
    payload_hash: str,
    omit_query: Collection[str] = (),
) -> Computation:
    """Sign `received` as its client did, with the headers it listed and the given payload hash.

    `timestamp` is the request time in `YYYYMMDDTHHMMSSZ` form; `omit_query` names query
    parameters left out of the canonical query (`X-Amz-Signature` for presigned requests).
    """
    signer = _ReceivedRequestSigner(
        received=received,
        scope=scope,
        secret_key=secret_key,
        signed_headers=signed_headers,
        payload_hash=payload_hash,
        omit_query=omit_query,
    )
    request = AWSRequest(method=received.method, url="http://signed.invalid/")
    request.context["timestamp"] = timestamp
    canonical_request: str = signer.canonical_request(request)
    string_to_sign: str = signer.string_to_sign(request, canonical_request)
    key = signer.signing_key(scope.date)
    return Computation(
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
        signing_key=key,
        signature=signer._sign(key, string_to_sign, hex=True),
    )
