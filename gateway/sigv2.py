"""S3 presigned URLs signed with Signature Version 2 (`AWSAccessKeyId`, `Expires`, `Signature`).

botocore presigns S3 URLs this way unless told `signature_version="s3v4"`. The string to
sign is botocore's `HmacV1QueryAuth` one: method, Content-MD5, Content-Type, Expires, the
`x-amz-*` headers, then the resource (`/bucket/key` plus the sub-resources of interest).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from botocore.auth import HmacV1Auth

from gateway.s3.errors import AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch
from gateway.sigv4 import SecretLookup

_SUBRESOURCES = frozenset(HmacV1Auth.QSAOfInterest)


@dataclass(frozen=True, kw_only=True)
class SigV2Query:
    """The SigV2 parameters of a presigned URL."""

    access_key: str
    expires: int
    signature: str

    @classmethod
    def of(cls, params: Mapping[str, str]) -> SigV2Query | None:
        """The SigV2 query auth of a request's decoded query parameters, or None."""
        if "AWSAccessKeyId" not in params or "Signature" not in params:
            return None
        expires = params.get("Expires", "")
        if not expires.isdigit():
            raise AccessDenied("Query-string authentication requires the Expires parameter")
        return cls(
            access_key=params["AWSAccessKeyId"],
            expires=int(expires),
            signature=params["Signature"],
        )


def string_to_sign(
    *, method: str, resource: str, query: str, headers: Mapping[str, str], expires: int
) -> str:
    """What the client signed: `resource` is `/bucket/key` as sent (percent-encoded), `query`
    the raw query string, `headers` keyed by lower-case name."""
    lines = [method.upper(), headers.get("content-md5", ""), headers.get("content-type", "")]
    lines.append(str(expires))
    amz = sorted(
        (name, value.strip()) for name, value in headers.items() if name.startswith("x-amz-")
    )
    lines += [f"{name}:{value}" for name, value in amz]
    pairs = [item.split("=", 1) for item in query.split("&") if item]
    kept = sorted(
        (pair[0], *(unquote(value) for value in pair[1:]))
        for pair in pairs
        if pair[0] in _SUBRESOURCES
    )
    if kept:
        resource += "?" + "&".join("=".join(pair) for pair in kept)
    return "\n".join([*lines, resource])


def verify_presigned_v2(
    *,
    query_auth: SigV2Query,
    method: str,
    resource: str,
    query: str,
    headers: Mapping[str, str],
    secrets: SecretLookup,
    now: dt.datetime | None = None,
) -> str:
    """Check a SigV2 presigned request and return its access key id. Raises
    InvalidAccessKeyId, AccessDenied (expired) or SignatureDoesNotMatch."""
    secret = secrets(query_auth.access_key)
    if secret is None:
        raise InvalidAccessKeyId(AWSAccessKeyId=query_auth.access_key)
    moment = now or dt.datetime.now(dt.UTC)
    if query_auth.expires < moment.timestamp():
        raise AccessDenied("Request has expired")
    text = string_to_sign(
        method=method, resource=resource, query=query, headers=headers, expires=query_auth.expires
    )
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    expected = base64.b64encode(digest).decode("ascii")
    if not hmac.compare_digest(expected.encode(), query_auth.signature.encode()):
        raise SignatureDoesNotMatch(
            AWSAccessKeyId=query_auth.access_key,
            StringToSign=text,
            SignatureProvided=query_auth.signature,
        )
    return query_auth.access_key
