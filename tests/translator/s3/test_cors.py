"""Bucket CORS through boto3, preflight OPTIONS requests and CORS headers on actual
requests, against a real server."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.translator.s3.conftest import bucket_name

RULES = [
    {
        "ID": "app",
        "AllowedOrigins": ["https://app.example.com", "https://*.example.org"],
        "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["Content-Type", "x-amz-*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
]


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def bucket(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name


def test_put_get_delete_cors(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as none:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(none) == "NoSuchCORSConfiguration"

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})

    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(deleted) == "NoSuchCORSConfiguration"


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest"),
        ({"AllowedOrigins": ["*"], "AllowedMethods": []}, "MalformedXML"),
        ({"AllowedOrigins": ["*.*.example.com"], "AllowedMethods": ["GET"]}, "MalformedXML"),
    ],
)
def test_invalid_rules_are_refused(s3: Any, bucket: str, rule: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert error_code(refused) == code


def preflight(s3_url: str, bucket: str, **headers: str) -> requests.Response:
    return requests.options(f"{s3_url}/{bucket}/some/key", headers=headers, timeout=30)


def test_preflight_follows_the_rules(s3: Any, bucket: str, s3_url: str) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})

    allowed = preflight(
        s3_url,
        bucket,
        Origin="https://a.example.org",
        **{
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, x-amz-meta-a",
        },
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://a.example.org"
    assert allowed.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert allowed.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-meta-a"
    assert allowed.headers["Access-Control-Max-Age"] == "600"
    assert allowed.headers["Access-Control-Expose-Headers"] == "ETag"

    anyone = preflight(
        s3_url, bucket, Origin="https://else.net", **{"Access-Control-Request-Method": "HEAD"}
    )
    assert anyone.status_code == 200
    assert anyone.headers["Access-Control-Allow-Origin"] == "*"

    for origin, method, wanted in [
        ("https://evil.com", "GET", ""),
        ("https://app.example.com", "DELETE", ""),
        ("https://app.example.com", "GET", "authorization"),
    ]:
        headers = {"Access-Control-Request-Method": method}
        if wanted:
            headers["Access-Control-Request-Headers"] = wanted
        refused = preflight(s3_url, bucket, Origin=origin, **headers)
        assert refused.status_code == 403
        assert "<Code>CORSResponse</Code>" in refused.text
        assert "This CORS request is not allowed" in refused.text
        assert "Access-Control-Allow-Origin" not in refused.headers

    no_origin = preflight(s3_url, bucket, **{"Access-Control-Request-Method": "GET"})
    assert no_origin.status_code == 400


def test_preflight_without_configuration_is_refused(bucket: str, s3_url: str) -> None:
    response = preflight(
        s3_url, bucket, Origin="https://app.example.com", **{"Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 403
    assert "<Code>CORSResponse</Code>" in response.text


def test_actual_requests_get_cors_headers(s3: Any, bucket: str) -> None:
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    def with_origin(request: Any, **kwargs: Any) -> None:
        request.headers["Origin"] = origin

    s3.meta.events.register("before-sign.s3.GetObject", with_origin)
    origin = "https://app.example.com"
    matched = s3.get_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]
    origin = "https://evil.com"
    unmatched = s3.get_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]

    assert matched["access-control-allow-origin"] == "https://app.example.com"
    assert matched["access-control-expose-headers"] == "ETag"
    assert "access-control-allow-origin" not in unmatched
