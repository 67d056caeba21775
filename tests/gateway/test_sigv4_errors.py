"""Malformed SigV4 authentication gets the code and status AWS answers, per endpoint family."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.sigv4 import Flavour, SigV4Error, verify_request
from gateway.sigv4.errors import ERROR_CODES, Problem

SECRETS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
TIME = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)
CREDENTIAL = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
SIGNATURE = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
GOOD_AUTHORIZATION = (
    f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host;x-amz-date, "
    f"Signature={SIGNATURE}"
)
HEADERS = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
PRESIGNED = {
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": CREDENTIAL.replace("/", "%2F"),
    "X-Amz-Date": "20150830T123600Z",
    "X-Amz-Expires": "60",
    "X-Amz-SignedHeaders": "host",
    "X-Amz-Signature": SIGNATURE,
}


def attempt(
    *, flavour: Flavour, headers: dict[str, str], query: str = ""
) -> tuple[str, int, str] | None:
    try:
        verify_request(
            method="GET",
            path="/",
            query=query,
            headers=headers,
            secrets=SECRETS.get,
            flavour=flavour,
            now=TIME,
        )
    except SigV4Error as error:
        return error.code, error.status, error.message
    return None


def with_authorization(value: str, **changes: str) -> dict[str, str]:
    return {**HEADERS, **changes, "Authorization": value}


def presigned(**changes: str | None) -> str:
    params = {**PRESIGNED, **changes}
    return "&".join(f"{name}={value}" for name, value in params.items() if value is not None)


MALFORMED_HEADERS = {
    "no signature": with_authorization(GOOD_AUTHORIZATION.partition(", Signature")[0]),
    "short credential": with_authorization(
        GOOD_AUTHORIZATION.replace(CREDENTIAL, "AKIDEXAMPLE/20150830/us-east-1/service")
    ),
    "wrong terminator": with_authorization(
        GOOD_AUTHORIZATION.replace("aws4_request", "aws5_request")
    ),
    "credential date": with_authorization(GOOD_AUTHORIZATION.replace("/20150830/", "/20150831/")),
    "host unsigned": with_authorization(GOOD_AUTHORIZATION.replace("host;", "")),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_HEADERS))
def test_malformed_authorization_header(case: str) -> None:
    headers = MALFORMED_HEADERS[case]
    s3 = attempt(flavour=Flavour.S3, headers=headers)
    query = attempt(flavour=Flavour.QUERY, headers=headers)
    assert s3 is not None and s3[:2] == ("AuthorizationHeaderMalformed", 400)
    assert query is not None and query[:2] == ("IncompleteSignature", 400)


MALFORMED_QUERIES = {
    "no expires": (presigned(**{"X-Amz-Expires": None}), "requires"),
    "expires not a number": (presigned(**{"X-Amz-Expires": "1e3"}), "number"),
    "expires zero": (presigned(**{"X-Amz-Expires": "0"}), "604800"),
    "expires over a week": (presigned(**{"X-Amz-Expires": "604801"}), "604800"),
    "algorithm": (presigned(**{"X-Amz-Algorithm": "AWS4-HMAC-SHA512"}), "X-Amz-Algorithm"),
    "date": (presigned(**{"X-Amz-Date": "2015-08-30T12:36:00Z"}), "ISO8601"),
    "credential": (presigned(**{"X-Amz-Credential": "AKIDEXAMPLE"}), "Credential"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_QUERIES))
def test_malformed_presigned_query(case: str) -> None:
    query, words = MALFORMED_QUERIES[case]
    outcome = attempt(flavour=Flavour.S3, headers={"Host": "example.amazonaws.com"}, query=query)
    assert outcome is not None
    code, status, message = outcome
    assert (code, status) == ("AuthorizationQueryParametersError", 400)
    assert words in message


def test_presigned_expires_window_is_one_second_to_a_week() -> None:
    host = {"Host": "example.amazonaws.com"}
    for seconds in ("1", "604800"):
        outcome = attempt(
            flavour=Flavour.S3, headers=host, query=presigned(**{"X-Amz-Expires": seconds})
        )
        assert outcome is not None and outcome[0] == "SignatureDoesNotMatch"


def test_time_problems() -> None:
    no_date = {"Host": "example.amazonaws.com", "Authorization": GOOD_AUTHORIZATION}
    assert attempt(flavour=Flavour.S3, headers=no_date) == (
        "AccessDenied",
        403,
        "AWS authentication requires a valid Date or x-amz-date header",
    )
    future = with_authorization(
        GOOD_AUTHORIZATION.replace("/20150830/", "/20150831/"), **{"X-Amz-Date": "20150831T000000Z"}
    )
    outcome = attempt(flavour=Flavour.QUERY, headers=future)
    assert outcome is not None and outcome[:2] == ("RequestExpired", 400)
    assert "not yet current" in outcome[2]
    skewed = attempt(flavour=Flavour.S3, headers=future)
    assert skewed is not None and skewed[:2] == ("RequestTimeTooSkewed", 403)


def test_requests_without_sigv4_are_anonymous() -> None:
    assert attempt(flavour=Flavour.S3, headers=HEADERS) is None
    assert attempt(flavour=Flavour.QUERY, headers=HEADERS, query="Action=X&Signature=a") is None


def test_both_mechanisms_at_once() -> None:
    headers = with_authorization(GOOD_AUTHORIZATION)
    s3 = attempt(flavour=Flavour.S3, headers=headers, query=presigned())
    query = attempt(flavour=Flavour.QUERY, headers=headers, query=presigned())
    assert s3 is not None and s3[:2] == ("InvalidArgument", 400)
    assert query is not None and query[:2] == ("InvalidParameterCombination", 400)


def test_date_header_signs_when_there_is_no_x_amz_date() -> None:
    request = AWSRequest(
        method="GET",
        url="https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        headers={"Date": "Sun, 30 Aug 2015 12:36:00 GMT"},
    )
    SigV4Auth(Credentials("AKIDEXAMPLE", SECRETS["AKIDEXAMPLE"]), "iam", "us-east-1").add_auth(
        request
    )
    headers = {name: str(value) for name, value in request.headers.items()}
    assert "X-Amz-Date" not in headers
    verified = verify_request(
        method="GET",
        path="/",
        query="Action=ListUsers&Version=2010-05-08",
        headers={**headers, "Host": "iam.amazonaws.com"},
        secrets=SECRETS.get,
        flavour=Flavour.QUERY,
    )
    assert verified is not None and verified.service == "iam"


EXPECTED_CODES = {
    Problem.UNKNOWN_ACCESS_KEY: (("InvalidAccessKeyId", 403), ("InvalidClientTokenId", 403)),
    Problem.BAD_SIGNATURE: (("SignatureDoesNotMatch", 403), ("SignatureDoesNotMatch", 403)),
    Problem.CLOCK_SKEW: (("RequestTimeTooSkewed", 403), ("RequestExpired", 400)),
    Problem.PRESIGN_EXPIRED: (("AccessDenied", 403), ("RequestExpired", 400)),
    Problem.MALFORMED_HEADER: (("AuthorizationHeaderMalformed", 400), ("IncompleteSignature", 400)),
    Problem.MALFORMED_QUERY: (
        ("AuthorizationQueryParametersError", 400),
        ("IncompleteSignature", 400),
    ),
    Problem.UNSUPPORTED_MECHANISM: (("InvalidRequest", 400), ("IncompleteSignature", 400)),
    Problem.CONFLICTING_AUTH: (("InvalidArgument", 400), ("InvalidParameterCombination", 400)),
    Problem.MISSING_DATE: (("AccessDenied", 403), ("IncompleteSignature", 400)),
    Problem.UNSIGNED_HEADERS: (("AccessDenied", 403), ("IncompleteSignature", 400)),
}


@pytest.mark.parametrize("problem", list(Problem))
def test_error_code_table(problem: Problem) -> None:
    for flavour, (code, status) in zip((Flavour.S3, Flavour.QUERY), EXPECTED_CODES[problem]):
        error = ERROR_CODES[(problem, flavour)]
        assert (error.code, error.status) == (code, status)


def test_a_non_hex_signature_is_a_mismatch() -> None:
    headers = with_authorization(GOOD_AUTHORIZATION.replace(SIGNATURE, "é" * 64))
    outcome = attempt(flavour=Flavour.S3, headers=headers)
    assert outcome is not None and outcome[:2] == ("SignatureDoesNotMatch", 403)
