"""Object storage pools through the real `cs` client: addObjectStoragePool,
listObjectStoragePools, updateObjectStoragePool, deleteObjectStoragePool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack
from sqlalchemy import create_engine, select

from native.model import ObjectStoragePool
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique


def with_details(params: dict[str, Any], details: dict[str, str]) -> dict[str, Any]:
    for index, (key, value) in enumerate(details.items()):
        params[f"details[{index}].key"] = key
        params[f"details[{index}].value"] = value
    return params


def add_local(admin: CloudStack, root: Path, **extra: Any) -> dict[str, Any]:
    return dict(
        admin.addObjectStoragePool(
            name=unique("objects"), provider="Local", url=root.as_uri(), **extra
        )["objectstore"]
    )


def test_pool_crud(admin: CloudStack, tmp_path: Path) -> None:
    pool = add_local(admin, tmp_path / "pool", tags="fast")
    assert pool["providername"] == "Local" and pool["url"] == (tmp_path / "pool").as_uri()
    assert pool["storagetotal"] > 0 and pool["storageused"] == 0 and pool["tags"] == "fast"
    assert (tmp_path / "pool").is_dir()

    [listed] = admin.listObjectStoragePools(id=pool["id"])["objectstore"]
    assert listed == pool
    assert admin.listObjectStoragePools(name=pool["name"])["count"] == 1
    keyword = pool["name"].split("-")[1].upper()
    assert [p["id"] for p in admin.listObjectStoragePools(keyword=keyword)["objectstore"]] == [
        pool["id"]
    ]
    assert pool["id"] in {
        p["id"] for p in admin.listObjectStoragePools(provider="local")["objectstore"]
    }

    renamed = admin.updateObjectStoragePool(
        id=pool["id"], name="renamed-pool", url=(tmp_path / "moved").as_uri(), size=7
    )["objectstore"]
    assert renamed["name"] == "renamed-pool" and renamed["storagetotal"] == 7 * 1024**3
    assert renamed["url"] == (tmp_path / "moved").as_uri()

    assert admin.deleteObjectStoragePool(id=pool["id"])["success"] is True
    assert api_error(admin.listObjectStoragePools, id=pool["id"]).errorcode == 431
    assert "objectstore" not in admin.listObjectStoragePools(name="renamed-pool")


@pytest.mark.parametrize(
    ("provider", "url", "details", "code"),
    [
        ("Swift", "file:///tmp/x", {}, 431),
        ("Local", "nfs://server/export", {}, 431),
        ("Local", "relative/path", {}, 431),
        ("MinIO", "http://127.0.0.1:9", {"accesskey": "a"}, 431),
        ("MinIO", "ftp://127.0.0.1:9", {"accesskey": "a", "secretkey": "b"}, 431),
        ("MinIO", "http://127.0.0.1:9", {"accesskey": "a", "secretkey": "b"}, 534),
        ("NFS", "nfs://nfs.example.invalid/export/objects", {}, 534),
    ],
)
def test_unusable_pools_are_refused(
    admin: CloudStack, provider: str, url: str, details: dict[str, str], code: int
) -> None:
    name = unique("bad")
    params = with_details({"name": name, "provider": provider, "url": url}, details)
    error = api_error(admin.addObjectStoragePool, **params)
    assert error.errorcode == code, error
    assert "objectstore" not in admin.listObjectStoragePools(name=name)


def test_secret_details_are_sealed_at_rest(
    admin: CloudStack, alto_server: AltoServer, tmp_path: Path
) -> None:
    pool = add_local(admin, tmp_path / "pool", **with_details({}, {"accesskey": "key-a"}))
    admin.updateObjectStoragePool(id=pool["id"], **with_details({}, {"SecretKey": "s3cr3t-value"}))
    engine = create_engine(alto_server.db_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                select(ObjectStoragePool.details).where(ObjectStoragePool.uuid == pool["id"])
            ).scalar_one()
    finally:
        engine.dispose()
    details = json.loads(stored)
    assert details["accesskey"] == "key-a"
    assert "s3cr3t" not in stored and details["secretkey"].startswith("gAAAA")
    admin.deleteObjectStoragePool(id=pool["id"])


def test_users_list_pools_without_urls_and_change_none(
    admin: CloudStack, tenant: Tenant, tmp_path: Path
) -> None:
    pool = add_local(admin, tmp_path / "pool")
    client = tenant.client()
    [listed] = client.listObjectStoragePools(id=pool["id"])["objectstore"]
    assert listed["name"] == pool["name"] and "url" not in listed
    assert admin.listObjectStoragePools(id=pool["id"])["objectstore"][0]["url"] == pool["url"]
    for call, params in (
        (client.addObjectStoragePool, {"provider": "Local", "url": (tmp_path / "x").as_uri()}),
        (client.deleteObjectStoragePool, {"id": pool["id"]}),
    ):
        assert api_error(call, **params).errorcode == 401
    admin.deleteObjectStoragePool(id=pool["id"])
