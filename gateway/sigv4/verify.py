"""Verification of AWS Signature Version 4: the `Authorization` header and presigned query strings.

`verify_request` takes the request as received (raw path and query, headers, and for the Query
APIs the body), recomputes the signature the client must have sent (`canonical.compute`) and
returns who signed it, or raises the `errors.SigV4Error` the endpoint family reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from gateway.sigv4.canonical import (
    ALGORITHM,
    TERMINATOR,
    Computation,
    CredentialScope,
    ReceivedRequest,
    compute,
)
from gateway.sigv4.errors import Flavour, InvalidArgument, InvalidRequest, Problem, error_for

SecretLookup = Callable[[str], str | None]
"""Access key id → secret access key, or None when the key is unknown (or disabled)."""

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]]
"""A mapping of header names to values, or (name, value) pairs with repeated names."""

MAX_SKEW = dt.timedelta(minutes=15)
MAX_EXPIRES = 604800
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PAYLOADS = frozenset(
    {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }
)
SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_QUERY_AUTH = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")
_QUERY_REQUIRED = (
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)
_HEADER_COMPONENTS = (
    "The authorization header requires three components: Credential, SignedHeaders, and Signature."
)
_CREDENTIAL_FORM = (
    'The Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
)


@dataclass(frozen=True, kw_only=True)
class Verified:
    """A request whose signature checked out.

    `region` and `service` come from the credential scope (`s3`, `ec2`, `sts`, `iam`...); the
    endpoint decides whether it accepts them. `signing_key`, `seed_signature`, `timestamp` and
    `scope` chain the per-chunk signatures of a streaming upload. `payload_hash` is the payload
    line the signature covers (a hex SHA-256, `UNSIGNED-PAYLOAD` or a `STREAMING-*` value).
    `security_token` is the `X-Amz-Security-Token` sent, for the caller to check.
    """

    access_key: str
    region: str
    service: str
    date: dt.datetime
    timestamp: str
    scope: str
    signing_key: bytes = field(repr=False)
    seed_signature: str
    payload_hash: str
    signed_headers: tuple[str, ...]
    presigned: bool
    expires: dt.datetime | None
    security_token: str | None


@dataclass(frozen=True, kw_only=True)
class _Claim:
    """What the client says it signed, before any check against a secret."""

    scope: CredentialScope
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str
    date: dt.datetime
    expires: dt.datetime | None
    security_token: str | None

    @property
    def presigned(self) -> bool:
        return self.expires is not None


def collect_headers(headers: HeadersInput) -> dict[str, list[str]]:
    """Headers by lower-cased name, each with its values in the order received."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    collected: dict[str, list[str]] = {}
    for name, value in pairs:
        collected.setdefault(name.lower(), []).append(value)
    return collected


def query_parameters(query: str) -> dict[str, str]:
    """The raw query's parameters, percent-decoded (`+` stays a plus); the first of a name wins."""
    params: dict[str, str] = {}
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            params.setdefault(unquote(name), unquote(value))
    return params


def verify_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: HeadersInput,
    secrets: SecretLookup,
    flavour: Flavour,
    payload: bytes = b"",
    now: dt.datetime | None = None,
) -> Verified | None:
    """Check the SigV4 signature of a received request; None when it carries no SigV4 auth.

    An S3 request signed with Signature Version 2 (`Authorization: AWS ...`, or the
    `AWSAccessKeyId`/`Signature` query of a presigned URL) raises `InvalidRequest`; on the Query
    flavour a SigV2 query (`SignatureVersion=2`) yields None, for the caller to check.

    `path` and `query` are the raw request target as sent (query without `?`). `payload` is the
    body, used only outside S3 (the Query APIs sign the body's hash); S3 signs the
    `x-amz-content-sha256` header instead, and its body is checked while streamed
    (`payload.s3_payload_reader`). Checks run in AWS's order: form, access key, time, signature.
    Raises the `SigV4Error` subclass that `flavour` uses for each failure.
    """
    received = ReceivedRequest(
        method=method, path=path, query=query, headers=collect_headers(headers)
    )
    claim = _claim(received, flavour=flavour)
    if claim is None:
        return None
    secret = secrets(claim.scope.access_key)
    if secret is None:
        raise error_for(problem=Problem.UNKNOWN_ACCESS_KEY, flavour=flavour)
    _check_time(claim, flavour=flavour, now=now or dt.datetime.now(dt.UTC))
    payload_hash = _payload_hash(claim, received=received, payload=payload)
    if claim.scope.service == "s3" and not claim.presigned:
        _check_amz_headers_signed(claim, received=received)
    computation = compute(
        received=received,
        scope=claim.scope,
        secret_key=secret,
        timestamp=claim.timestamp,
        signed_headers=claim.signed_headers,
        payload_hash=payload_hash,
        omit_query=("X-Amz-Signature",) if claim.presigned else (),
    )
    if not hmac.compare_digest(computation.signature.encode(), claim.signature.lower().encode()):
        raise _mismatch(claim, computation, flavour=flavour)
    return Verified(
        access_key=claim.scope.access_key,
        region=claim.scope.region,
        service=claim.scope.service,
        date=claim.date,
        timestamp=claim.timestamp,
        scope=claim.scope.scope,
        signing_key=computation.signing_key,
        seed_signature=computation.signature,
        payload_hash=payload_hash,
        signed_headers=claim.signed_headers,
        presigned=claim.presigned,
        expires=claim.expires,
        security_token=claim.security_token,
    )


def _claim(received: ReceivedRequest, *, flavour: Flavour) -> _Claim | None:
    """The signature claim of the one auth mechanism used; None for an unsigned request."""
    params = query_parameters(received.query)
    authorization = received.header("authorization")
    in_query = any(name in params for name in _QUERY_AUTH)
    if authorization is not None and in_query:
        raise error_for(
            problem=Problem.CONFLICTING_AUTH,
            flavour=flavour,
            message="Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
        )
    if authorization is not None:
        return _claim_from_header(authorization, received=received, flavour=flavour)
    if in_query:
        return _claim_from_query(params, flavour=flavour)
    if flavour is Flavour.S3 and "AWSAccessKeyId" in params and "Signature" in params:
        raise _unsupported(flavour)
    return None


def _mismatch(claim: _Claim, computation: Computation, *, flavour: Flavour) -> Exception:
    details = {
        "AWSAccessKeyId": claim.scope.access_key,
        "StringToSign": computation.string_to_sign,
        "SignatureProvided": claim.signature,
        "CanonicalRequest": computation.canonical_request,
    }
    return error_for(problem=Problem.BAD_SIGNATURE, flavour=flavour, details=details)


def _unsupported(flavour: Flavour) -> Exception:
    return error_for(
        problem=Problem.UNSUPPORTED_MECHANISM,
        flavour=flavour,
        message="The authorization mechanism you have provided is not supported. "
        f"Please use {ALGORITHM}.",
    )


def _claim_from_header(
    authorization: str, *, received: ReceivedRequest, flavour: Flavour
) -> _Claim:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _unsupported(flavour)
    components: dict[str, str] = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        components[name] = value
    if not all(components.get(name) for name in ("Credential", "SignedHeaders", "Signature")):
        raise error_for(
            problem=Problem.MALFORMED_HEADER,
            flavour=flavour,
            message=f"The authorization header is malformed; {_HEADER_COMPONENTS}",
        )
    scope = _parse_credential(
        components["Credential"], problem=Problem.MALFORMED_HEADER, flavour=flavour
    )
    timestamp, date = _header_time(received, flavour=flavour)
    if scope.date != timestamp[:8]:
        raise error_for(
            problem=Problem.MALFORMED_HEADER,
            flavour=flavour,
            message="The authorization header is malformed; Invalid credential date. "
            "Date is not the same as X-Amz-Date.",
        )
    return _Claim(
        scope=scope,
        signed_headers=_parse_signed_headers(
            components["SignedHeaders"], problem=Problem.MALFORMED_HEADER, flavour=flavour
        ),
        signature=components["Signature"],
        timestamp=timestamp,
        date=date,
        expires=None,
        security_token=received.header("x-amz-security-token"),
    )


def _claim_from_query(params: Mapping[str, str], *, flavour: Flavour) -> _Claim:
    required = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date"]
    required += ["X-Amz-SignedHeaders"]
    if flavour is Flavour.S3:
        required.append("X-Amz-Expires")
    if not all(params.get(name) for name in required):
        raise error_for(problem=Problem.MALFORMED_QUERY, flavour=flavour, message=_QUERY_REQUIRED)
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise error_for(
            problem=Problem.MALFORMED_QUERY,
            flavour=flavour,
            message=f'X-Amz-Algorithm only supports "{ALGORITHM}"',
        )
    scope = _parse_credential(
        params["X-Amz-Credential"], problem=Problem.MALFORMED_QUERY, flavour=flavour
    )
    timestamp = params["X-Amz-Date"]
    date = _parse_timestamp(timestamp)
    if date is None:
        raise error_for(
            problem=Problem.MALFORMED_QUERY,
            flavour=flavour,
            message="X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        )
    if scope.date != timestamp[:8]:
        raise error_for(
            problem=Problem.MALFORMED_QUERY,
            flavour=flavour,
            message="Invalid credential date. Date is not the same as X-Amz-Date.",
        )
    expires = params.get("X-Amz-Expires")
    return _Claim(
        scope=scope,
        signed_headers=_parse_signed_headers(
            params["X-Amz-SignedHeaders"], problem=Problem.MALFORMED_QUERY, flavour=flavour
        ),
        signature=params["X-Amz-Signature"],
        timestamp=timestamp,
        date=date,
        expires=None if expires is None else date + _parse_expires(expires, flavour=flavour),
        security_token=params.get("X-Amz-Security-Token"),
    )


def _parse_credential(value: str, *, problem: Problem, flavour: Flavour) -> CredentialScope:
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != TERMINATOR or not all(parts[:4]):
        raise error_for(problem=problem, flavour=flavour, message=_CREDENTIAL_FORM)
    access_key, date, region, service, _ = parts
    return CredentialScope(access_key=access_key, date=date, region=region, service=service)


def _parse_signed_headers(value: str, *, problem: Problem, flavour: Flavour) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in value.split(";"))
    if "host" not in names or not all(names):
        raise error_for(
            problem=problem, flavour=flavour, message="SignedHeaders must include the host header."
        )
    return names


def _parse_expires(value: str, *, flavour: Flavour) -> dt.timedelta:
    if not value.isdigit():
        raise error_for(
            problem=Problem.MALFORMED_QUERY,
            flavour=flavour,
            message="X-Amz-Expires should be a number",
        )
    seconds = int(value)
    if not 1 <= seconds <= MAX_EXPIRES:
        raise error_for(
            problem=Problem.MALFORMED_QUERY,
            flavour=flavour,
            message="X-Amz-Expires must be between 1 and a week (in seconds), "
            f"that is {MAX_EXPIRES}",
        )
    return dt.timedelta(seconds=seconds)


def _parse_timestamp(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _header_time(received: ReceivedRequest, *, flavour: Flavour) -> tuple[str, dt.datetime]:
    """The signing timestamp: `X-Amz-Date` if sent, else the `Date` header."""
    amz_date = received.header("x-amz-date")
    date = None
    if amz_date is not None:
        date = _parse_timestamp(amz_date.strip())
    elif (http_date := received.header("date")) is not None:
        try:
            date = parsedate_to_datetime(http_date).astimezone(dt.UTC)
        except (TypeError, ValueError):
            date = None
    if date is None:
        raise error_for(
            problem=Problem.MISSING_DATE,
            flavour=flavour,
            message="AWS authentication requires a valid Date or x-amz-date header",
        )
    return date.strftime(TIMESTAMP_FORMAT), date


def _check_time(claim: _Claim, *, flavour: Flavour, now: dt.datetime) -> None:
    if claim.expires is not None:
        if now > claim.expires:
            raise error_for(
                problem=Problem.PRESIGN_EXPIRED,
                flavour=flavour,
                message="Request has expired",
                details={
                    "X-Amz-Expires": str(int((claim.expires - claim.date).total_seconds())),
                    "Expires": _iso(claim.expires),
                    "ServerTime": _iso(now),
                },
            )
        if claim.date - now > MAX_SKEW:
            raise error_for(
                problem=Problem.PRESIGN_EXPIRED, flavour=flavour, message="Request is not valid yet"
            )
        return
    if abs(now - claim.date) > MAX_SKEW:
        raise error_for(
            problem=Problem.CLOCK_SKEW,
            flavour=flavour,
            message=_skew_message(claim, flavour=flavour, now=now),
            details={
                "RequestTime": claim.timestamp,
                "ServerTime": _iso(now),
                "MaxAllowedSkewMilliseconds": str(int(MAX_SKEW.total_seconds() * 1000)),
            },
        )


def _skew_message(claim: _Claim, *, flavour: Flavour, now: dt.datetime) -> str | None:
    if flavour is Flavour.S3:
        return None
    stamp = now.strftime(TIMESTAMP_FORMAT)
    if claim.date < now:
        limit = (now - MAX_SKEW).strftime(TIMESTAMP_FORMAT)
        return (
            f"Signature expired: {claim.timestamp} is now earlier than {limit} ({stamp} - 15 min.)"
        )
    limit = (now + MAX_SKEW).strftime(TIMESTAMP_FORMAT)
    return f"Signature not yet current: {claim.timestamp} is still later than {limit} ({stamp} + 15 min.)"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _payload_hash(claim: _Claim, *, received: ReceivedRequest, payload: bytes) -> str:
    """The payload line of the canonical request, as the client's signer chose it."""
    if claim.scope.service != "s3":
        return hashlib.sha256(payload).hexdigest()
    declared = received.header("x-amz-content-sha256")
    if claim.presigned:
        signed = declared is not None and "x-amz-content-sha256" in claim.signed_headers
        return declared if signed and declared is not None else UNSIGNED_PAYLOAD
    if declared is None:
        raise InvalidRequest("Missing required header for this request: x-amz-content-sha256")
    known = declared in STREAMING_PAYLOADS or declared == UNSIGNED_PAYLOAD
    if not known and not SHA256_HEX.fullmatch(declared):
        raise InvalidArgument(
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
            + ", ".join(sorted(STREAMING_PAYLOADS))
            + " or a valid sha256 value."
        )
    return declared


def _check_amz_headers_signed(claim: _Claim, *, received: ReceivedRequest) -> None:
    """S3 refuses `x-amz-*` headers that the Authorization header does not sign."""
    unsigned = sorted(
        name
        for name in received.headers
        if name.startswith("x-amz-") and name not in claim.signed_headers
    )
    if unsigned:
        raise error_for(
            problem=Problem.UNSIGNED_HEADERS,
            flavour=Flavour.S3,
            message="There were headers present in the request which were not signed",
            details={"HeadersNotSigned": ", ".join(unsigned)},
        )
