"""The MinIO driver against a real S3-compatible server: skipped unless
ALTO_TEST_S3_ENDPOINT, ALTO_TEST_S3_ACCESS_KEY and ALTO_TEST_S3_SECRET_KEY name one (the
shared driver contract in test_objectstore_contract.py runs against it too then). Without a
server, only what needs none runs: configuration errors and an unreachable endpoint."""

from __future__ import annotations

import os

import pytest

from native.drivers.objectstore import ObjectStoreError, open_store

S3_ENV = ("ALTO_TEST_S3_ENDPOINT", "ALTO_TEST_S3_ACCESS_KEY", "ALTO_TEST_S3_SECRET_KEY")


@pytest.mark.parametrize(
    ("url", "details"),
    [
        ("http://127.0.0.1:9", {"accesskey": "a"}),
        ("s3://bucket", {"accesskey": "a", "secretkey": "b"}),
        ("http://", {"accesskey": "a", "secretkey": "b"}),
    ],
)
def test_bad_configuration(url: str, details: dict[str, str]) -> None:
    with pytest.raises(ObjectStoreError):
        open_store(provider="MinIO", url=url, details=details)


def test_an_unreachable_server_is_an_error() -> None:
    store = open_store(
        provider="MinIO",
        url="http://127.0.0.1:9",
        details={"accesskey": "a", "secretkey": "b"},
    )
    with pytest.raises(ObjectStoreError, match="127.0.0.1:9"):
        store.stats()


def test_wrong_credentials_are_an_error() -> None:
    if not all(os.environ.get(name) for name in S3_ENV):
        pytest.skip("no S3-compatible server to test against: set " + ", ".join(S3_ENV))
    store = open_store(
        provider="MinIO",
        url=os.environ["ALTO_TEST_S3_ENDPOINT"],
        details={"accesskey": os.environ["ALTO_TEST_S3_ACCESS_KEY"], "secretkey": "wrong"},
    )
    with pytest.raises(ObjectStoreError):
        store.stats()
