"""Image stores through the real `cs` client: addImageStore, listImageStores,
updateImageStore, deleteImageStore."""

from __future__ import annotations

from pathlib import Path

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import unique
from tests.support.zones import SimZone, build_zone


@pytest.fixture
def zone(admin: CloudStack, tmp_path: Path) -> SimZone:
    return build_zone(admin, root=tmp_path, hosts=1)


def store_ids(admin: CloudStack, zone: SimZone) -> set[str]:
    return {store["id"] for store in admin.listImageStores(zoneid=zone.id).get("imagestore", [])}


def test_local_image_store(admin: CloudStack, zone: SimZone, tmp_path: Path) -> None:
    name = unique("images")
    store = admin.addImageStore(
        name=name, provider="Local", zoneid=zone.id, url=f"file://{tmp_path}/more"
    )["imagestore"]
    assert store["name"] == name
    assert store["providername"] == "Local" and store["protocol"] == "file"
    assert store["scope"] == "ZONE" and store["zoneid"] == zone.id
    assert store["zonename"] == zone.zone["name"]
    assert store["readonly"] is False
    assert store["disksizetotal"] > 0 and store["disksizeused"] >= 0
    assert zone.image_store["providername"] == "NFS"


def test_list_image_stores_filters(admin: CloudStack, zone: SimZone, tmp_path: Path) -> None:
    local = admin.addImageStore(
        name=unique("images"), provider="Local", zoneid=zone.id, url=f"file://{tmp_path}/more"
    )["imagestore"]
    assert store_ids(admin, zone) == {local["id"], zone.image_store["id"]}
    [found] = admin.listImageStores(zoneid=zone.id, provider="Local")["imagestore"]
    assert found["id"] == local["id"]
    assert admin.listImageStores(name=local["name"])["count"] == 1
    assert admin.listImageStores(zoneid=zone.id, protocol="file")["count"] == 2


@pytest.mark.parametrize(
    ("provider", "url", "details", "code"),
    [
        ("NFS", "nfs://nfs.example.invalid/export/secondary", {}, 534),
        ("NFS", "ftp://example.com/images", {}, 431),
        ("S3", "nfs://nfs.example.invalid/export", {}, 431),
        ("Swift", "file:///tmp/x", {}, 431),
        ("S3", "s3://bucket", {"accesskey": "a"}, 431),
        (
            "S3",
            "s3://bucket",
            {"endpoint": "http://127.0.0.1:9", "accesskey": "a", "secretkey": "b"},
            534,
        ),
    ],
)
def test_unusable_stores_leave_nothing(
    admin: CloudStack, zone: SimZone, provider: str, url: str, details: dict[str, str], code: int
) -> None:
    before = store_ids(admin, zone)
    params = {"name": unique("bad"), "provider": provider, "zoneid": zone.id, "url": url}
    for index, (key, value) in enumerate(details.items()):
        params[f"details[{index}].key"] = key
        params[f"details[{index}].value"] = value
    error = api_error(admin.addImageStore, **params)
    assert error.errorcode == code, error
    assert store_ids(admin, zone) == before


def test_update_and_delete_image_store(admin: CloudStack, zone: SimZone) -> None:
    store_id = zone.image_store["id"]
    updated = admin.updateImageStore(id=store_id, readonly=True, name="renamed")["imagestore"]
    assert updated["readonly"] is True and updated["name"] == "renamed"
    assert admin.deleteImageStore(id=store_id)["success"] is True
    assert store_ids(admin, zone) == set()
