"""Signature V4 failures: one exception class per AWS error code, with the HTTP status AWS uses.

S3 and the Query APIs (EC2, STS, IAM) report the same failure under different codes: an unknown
access key is `InvalidAccessKeyId` for S3 and `InvalidClientTokenId` for the Query APIs. The
verifier names the failure (`Problem`) and `error_for` picks the class from the `ERROR_CODES`
table for the endpoint's `Flavour`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import ClassVar


class Flavour(enum.Enum):
    """Which family of AWS endpoints is verifying: decides the error codes."""

    S3 = "s3"
    QUERY = "query"


class SigV4Error(Exception):
    """A request that failed authentication or payload verification.

    `code` and `status` are what AWS answers; `message` is the human text; `details` holds the
    extra elements AWS adds to some error bodies (`RequestTime`, `StringToSign`, ...).
    """

    code: ClassVar[str] = ""
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None, *, details: Mapping[str, str] | None = None):
        self.message = message or self.default_message
        self.details: dict[str, str] = dict(details or {})
        super().__init__(self.message)


class InvalidAccessKeyId(SigV4Error):
    code = "InvalidAccessKeyId"
    status = 403
    default_message = "The AWS Access Key Id you provided does not exist in our records."


class InvalidClientTokenId(SigV4Error):
    code = "InvalidClientTokenId"
    status = 403
    default_message = "The security token included in the request is invalid."


class SignatureDoesNotMatch(SigV4Error):
    code = "SignatureDoesNotMatch"
    status = 403
    default_message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )


class RequestTimeTooSkewed(SigV4Error):
    code = "RequestTimeTooSkewed"
    status = 403
    default_message = "The difference between the request time and the current time is too large."


class RequestExpired(SigV4Error):
    code = "RequestExpired"
    status = 400
    default_message = "Request has expired."


class AccessDenied(SigV4Error):
    code = "AccessDenied"
    status = 403
    default_message = "Access Denied"


class AuthorizationHeaderMalformed(SigV4Error):
    code = "AuthorizationHeaderMalformed"
    status = 400
    default_message = "The authorization header is malformed."


class AuthorizationQueryParametersError(SigV4Error):
    code = "AuthorizationQueryParametersError"
    status = 400
    default_message = "Error parsing the X-Amz-Credential parameter."


class IncompleteSignature(SigV4Error):
    code = "IncompleteSignature"
    status = 400
    default_message = "The request signature does not conform to AWS standards."


class InvalidParameterCombination(SigV4Error):
    code = "InvalidParameterCombination"
    status = 400
    default_message = "Parameters that must not be used together were used together."


class InvalidArgument(SigV4Error):
    code = "InvalidArgument"
    status = 400
    default_message = "Invalid Argument"


class InvalidRequest(SigV4Error):
    code = "InvalidRequest"
    status = 400
    default_message = "Invalid Request"


class XAmzContentSHA256Mismatch(SigV4Error):
    code = "XAmzContentSHA256Mismatch"
    status = 400
    default_message = "The provided 'x-amz-content-sha256' header does not match what was computed."


class BadDigest(SigV4Error):
    code = "BadDigest"
    status = 400
    default_message = "The Content-MD5 you specified did not match what we received."


class InvalidDigest(SigV4Error):
    code = "InvalidDigest"
    status = 400
    default_message = "The Content-MD5 you specified is not valid."


class IncompleteBody(SigV4Error):
    code = "IncompleteBody"
    status = 400
    default_message = "The request body terminated unexpectedly"


class MalformedTrailerError(SigV4Error):
    code = "MalformedTrailerError"
    status = 400
    default_message = (
        "The request contained trailing data that was not well-formed or did not conform to our "
        "published schema."
    )


class Problem(enum.Enum):
    """What went wrong, independently of how the endpoint family names it."""

    UNKNOWN_ACCESS_KEY = "unknown access key"
    BAD_SIGNATURE = "bad signature"
    CLOCK_SKEW = "clock skew"
    PRESIGN_EXPIRED = "presigned request expired"
    MALFORMED_HEADER = "malformed Authorization header"
    MALFORMED_QUERY = "malformed presigned query"
    UNSUPPORTED_MECHANISM = "unsupported authorization mechanism"
    CONFLICTING_AUTH = "header and query authorization together"
    MISSING_DATE = "no date"
    UNSIGNED_HEADERS = "x-amz-* headers left unsigned"


ERROR_CODES: Mapping[tuple[Problem, Flavour], type[SigV4Error]] = {
    (Problem.UNKNOWN_ACCESS_KEY, Flavour.S3): InvalidAccessKeyId,
    (Problem.UNKNOWN_ACCESS_KEY, Flavour.QUERY): InvalidClientTokenId,
    (Problem.BAD_SIGNATURE, Flavour.S3): SignatureDoesNotMatch,
    (Problem.BAD_SIGNATURE, Flavour.QUERY): SignatureDoesNotMatch,
    (Problem.CLOCK_SKEW, Flavour.S3): RequestTimeTooSkewed,
    (Problem.CLOCK_SKEW, Flavour.QUERY): RequestExpired,
    (Problem.PRESIGN_EXPIRED, Flavour.S3): AccessDenied,
    (Problem.PRESIGN_EXPIRED, Flavour.QUERY): RequestExpired,
    (Problem.MALFORMED_HEADER, Flavour.S3): AuthorizationHeaderMalformed,
    (Problem.MALFORMED_HEADER, Flavour.QUERY): IncompleteSignature,
    (Problem.MALFORMED_QUERY, Flavour.S3): AuthorizationQueryParametersError,
    (Problem.MALFORMED_QUERY, Flavour.QUERY): IncompleteSignature,
    (Problem.UNSUPPORTED_MECHANISM, Flavour.S3): InvalidRequest,
    (Problem.UNSUPPORTED_MECHANISM, Flavour.QUERY): IncompleteSignature,
    (Problem.CONFLICTING_AUTH, Flavour.S3): InvalidArgument,
    (Problem.CONFLICTING_AUTH, Flavour.QUERY): InvalidParameterCombination,
    (Problem.MISSING_DATE, Flavour.S3): AccessDenied,
    (Problem.MISSING_DATE, Flavour.QUERY): IncompleteSignature,
    (Problem.UNSIGNED_HEADERS, Flavour.S3): AccessDenied,
    (Problem.UNSIGNED_HEADERS, Flavour.QUERY): IncompleteSignature,
}


def error_for(
    *,
    problem: Problem,
    flavour: Flavour,
    message: str | None = None,
    details: Mapping[str, str] | None = None,
) -> SigV4Error:
    """The exception the endpoint family `flavour` raises for `problem` (not raised here)."""
    return ERROR_CODES[(problem, flavour)](message, details=details)
