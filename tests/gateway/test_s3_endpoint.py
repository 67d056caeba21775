"""Which endpoint answers a request (native API, S3), and the S3 endpoint's error shapes."""

from __future__ import annotations

import datetime as dt

import requests

from tests.support.server import AltoServer


def base_url(server: AltoServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def sigv4_authorization(service: str) -> dict[str, str]:
    today = dt.datetime.now(dt.UTC)
    return {
        "Authorization": "AWS4-HMAC-SHA256 "
        f"Credential=AKID/{today:%Y%m%d}/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "x-amz-date": f"{today:%Y%m%dT%H%M%SZ}",
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
    }


def test_client_api_stays_native(alto_server: AltoServer) -> None:
    answer = requests.get(
        f"{base_url(alto_server)}/client/api",
        params={"command": "listZones", "response": "json"},
        timeout=30,
    )
    assert answer.status_code == 401
    assert "errortext" in answer.text


def test_unsigned_requests_go_to_s3(alto_server: AltoServer) -> None:
    answer = requests.get(f"{base_url(alto_server)}/some-bucket/some/key", timeout=30)
    assert answer.status_code == 404
    assert "<Code>NoSuchBucket</Code>" in answer.text
    assert answer.headers["x-amz-request-id"]
    assert answer.headers["Content-Type"] == "application/xml"


def test_virtual_host_goes_to_s3_even_for_client_api(alto_server: AltoServer) -> None:
    answer = requests.get(
        f"{base_url(alto_server)}/client/api",
        headers={"Host": f"some-bucket.localhost:{alto_server.port}"},
        timeout=30,
    )
    assert answer.status_code == 404
    assert "<Code>NoSuchBucket</Code>" in answer.text


def test_sigv4_scope_selects_the_service(alto_server: AltoServer) -> None:
    s3 = requests.get(
        f"{base_url(alto_server)}/bucket", headers=sigv4_authorization("s3"), timeout=30
    )
    assert s3.status_code == 403
    assert "<Code>InvalidAccessKeyId</Code>" in s3.text
    ec2 = requests.get(f"{base_url(alto_server)}/", headers=sigv4_authorization("ec2"), timeout=30)
    assert ec2.status_code == 401
    assert "<Code>AuthFailure</Code>" in ec2.text
    unknown = requests.get(
        f"{base_url(alto_server)}/", headers=sigv4_authorization("lambda"), timeout=30
    )
    assert unknown.status_code == 404


def test_malformed_sigv4_goes_to_s3(alto_server: AltoServer) -> None:
    answer = requests.get(
        f"{base_url(alto_server)}/bucket",
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID, Signature=00"},
        timeout=30,
    )
    assert answer.status_code == 400
    assert "<Code>AuthorizationHeaderMalformed</Code>" in answer.text


def test_sigv2_authorization_header_is_refused(alto_server: AltoServer) -> None:
    answer = requests.get(
        f"{base_url(alto_server)}/bucket", headers={"Authorization": "AWS AKID:c2ln"}, timeout=30
    )
    assert answer.status_code == 400
    assert "<Code>InvalidRequest</Code>" in answer.text


def test_expired_sigv2_presigned_url(alto_server: AltoServer) -> None:
    answer = requests.get(
        f"{base_url(alto_server)}/bucket/key",
        params={"AWSAccessKeyId": alto_server.apikey, "Expires": "1000", "Signature": "x"},
        timeout=30,
    )
    assert answer.status_code == 403
    assert "<Code>AccessDenied</Code>" in answer.text
    assert "expired" in answer.text
