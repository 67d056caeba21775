"""Fixtures for S3 tests: boto3 clients on a real `alto serve`, keyed by tenants' API keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique

S3Factory = Callable[..., Any]


@pytest.fixture(scope="module")
def pool(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A local object storage pool, so that tenants can create buckets."""
    root = tmp_path_factory.mktemp("s3-pool")
    return dict(
        admin.addObjectStoragePool(name=unique("objects"), provider="Local", url=root.as_uri())[
            "objectstore"
        ]
    )


@pytest.fixture(scope="module")
def s3_url(alto_server: AltoServer) -> str:
    """The server's base URL: the S3 endpoint."""
    return f"http://127.0.0.1:{alto_server.port}"


@pytest.fixture
def make_s3(s3_url: str, pool: dict[str, Any]) -> S3Factory:
    """`make_s3(tenant, **config)`: a boto3 S3 client with the tenant's keys (path style)."""

    def make(
        tenant: Tenant, *, secret: str | None = None, endpoint: str | None = None, **config: Any
    ) -> Any:
        config.setdefault("s3", {"addressing_style": "path"})
        return boto3.client(
            "s3",
            endpoint_url=endpoint or s3_url,
            region_name="us-east-1",
            aws_access_key_id=tenant.apikey,
            aws_secret_access_key=secret or tenant.secretkey,
            config=Config(retries={"max_attempts": 1}, **config),
        )

    return make


@pytest.fixture
def s3(make_s3: S3Factory, tenant: Tenant) -> Any:
    """The tenant's S3 client."""
    return make_s3(tenant)


def bucket_name() -> str:
    """A fresh valid bucket name."""
    return unique("bkt").lower().replace("_", "-")
