"""S3 addressing: virtual-host and path style, keys decoded exactly once, bucket names."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder

from gateway.s3.addressing import (
    CopySource,
    S3Address,
    check_bucket_name,
    parse_copy_source,
    raw_path_of,
    resolve_address,
    virtual_host_bucket,
)
from gateway.s3.errors import InvalidArgument, InvalidBucketName, InvalidURI

DOMAIN = "s3.alto.local"


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        # path style
        ("s3.alto.local", "/", S3Address(bucket=None, key=None, virtual_host=False)),
        ("s3.alto.local:8080", "/bkt", S3Address(bucket="bkt", key=None, virtual_host=False)),
        ("s3.alto.local", "/bkt/", S3Address(bucket="bkt", key=None, virtual_host=False)),
        ("localhost:8080", "/bkt/a/b", S3Address(bucket="bkt", key="a/b", virtual_host=False)),
        ("127.0.0.1:8080", "/bkt/dir/", S3Address(bucket="bkt", key="dir/", virtual_host=False)),
        ("[::1]:8080", "/bkt/a//b", S3Address(bucket="bkt", key="a//b", virtual_host=False)),
        ("10.0.0.5", "/bkt//lead", S3Address(bucket="bkt", key="/lead", virtual_host=False)),
        ("other.example.com", "/bkt/k", S3Address(bucket="bkt", key="k", virtual_host=False)),
        # virtual-host style, port ignored, dots allowed in the bucket name
        ("bkt.s3.alto.local", "/", S3Address(bucket="bkt", key=None, virtual_host=True)),
        ("bkt.s3.alto.local:9000", "/a/b", S3Address(bucket="bkt", key="a/b", virtual_host=True)),
        ("my.bkt.s3.alto.local", "/k", S3Address(bucket="my.bkt", key="k", virtual_host=True)),
        ("BKT.S3.Alto.Local", "/k", S3Address(bucket="bkt", key="k", virtual_host=True)),
        ("bkt.localhost:8080", "//k", S3Address(bucket="bkt", key="/k", virtual_host=True)),
        ("bkt.localhost", "/dir/", S3Address(bucket="bkt", key="dir/", virtual_host=True)),
    ],
)
def test_resolve_address(host: str, path: str, expected: S3Address) -> None:
    assert resolve_address(host=host, raw_path=path, domain=DOMAIN) == expected


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("/bkt/a+b", "a+b"),  # a plus in a path is a plus
        ("/bkt/a%2Bb", "a+b"),
        ("/bkt/a%20b", "a b"),
        ("/bkt/a%252F", "a%2F"),  # decoded exactly once
        ("/bkt/a%2Fb", "a/b"),
        ("/bkt/%E2%82%AC/%F0%9F%98%80", "€/😀"),
        ("/bkt/%3Facl", "?acl"),
    ],
)
def test_keys_are_decoded_once(raw: str, key: str) -> None:
    assert resolve_address(host="127.0.0.1", raw_path=raw, domain=DOMAIN).key == key


def test_invalid_utf8_is_invalid_uri() -> None:
    with pytest.raises(InvalidURI) as caught:
        resolve_address(host="127.0.0.1", raw_path="/bkt/%FF%FE", domain=DOMAIN)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("host", "domain", "bucket"),
    [
        ("bkt.s3.alto.local", DOMAIN, "bkt"),
        ("bkt.s3.alto.local", None, None),
        ("bkt.localhost", None, "bkt"),
        ("s3.alto.local", DOMAIN, None),
        ("localhost", DOMAIN, None),
        (".localhost", DOMAIN, None),
        ("192.168.1.1:80", DOMAIN, None),
        ("bkt.s3.alto.local.", "s3.alto.local.", "bkt"),
        ("bkt.s3.alto.local.:8080", DOMAIN, "bkt"),
        ("a.s3.localhost", "s3.localhost", "a"),
        ("a.b.localhost", "s3.localhost", "a.b"),
    ],
)
def test_virtual_host_bucket(host: str, domain: str | None, bucket: str | None) -> None:
    assert virtual_host_bucket(host=host, domain=domain) == bucket


def test_raw_path_prefers_the_undecoded_uri() -> None:
    environ = EnvironBuilder(path="/bkt/a%2Fb%20c", query_string="acl").get_environ()
    assert raw_path_of(environ) == "/bkt/a%2Fb%20c"
    del environ["RAW_URI"]
    environ["REQUEST_URI"] = "http://s3.alto.local/bkt/x%2By?tagging"
    assert raw_path_of(environ) == "/bkt/x%2By"
    del environ["REQUEST_URI"]
    assert raw_path_of(environ) == "/bkt/a/b%20c"  # PATH_INFO cannot tell %2F from /


@pytest.mark.parametrize(
    "name",
    ["abc", "my-bucket.example", "a" * 63, "1bucket9", "b.1.2"],
)
def test_valid_bucket_names(name: str) -> None:
    check_bucket_name(name=name)


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper",
        "under_score",
        "-lead",
        "trail-",
        "two..dots",
        "192.168.5.4",
        "xn--punycode",
        "sthree-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "spa ce",
    ],
)
def test_invalid_bucket_names(name: str) -> None:
    with pytest.raises(InvalidBucketName) as caught:
        check_bucket_name(name=name)
    assert caught.value.details == {"BucketName": name}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("src/key", CopySource(bucket="src", key="key", version_id=None)),
        ("/src/dir/a%20b%2Bc", CopySource(bucket="src", key="dir/a b+c", version_id=None)),
        ("src/a%3Fb?versionId=v%2F1", CopySource(bucket="src", key="a?b", version_id="v/1")),
        ("src//lead/", CopySource(bucket="src", key="/lead/", version_id=None)),
        ("src/%E2%82%AC", CopySource(bucket="src", key="€", version_id=None)),
    ],
)
def test_copy_source(value: str, expected: CopySource) -> None:
    assert parse_copy_source(value=value) == expected


@pytest.mark.parametrize("value", ["", "src", "/src/", "src/k?partNumber=1", "src/%FF"])
def test_bad_copy_source(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_copy_source(value=value)
    assert caught.value.details["ArgumentName"] == "x-amz-copy-source"
