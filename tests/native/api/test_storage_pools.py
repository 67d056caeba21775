"""Primary storage through the real `cs` client: createStoragePool, listStoragePools,
updateStoragePool, deleteStoragePool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import unique
from tests.support.zones import SimZone, build_zone

GIB = 1024**3


@pytest.fixture
def zone(admin: CloudStack, tmp_path: Path) -> SimZone:
    return build_zone(admin, root=tmp_path, hosts=1)


def pool_names(admin: CloudStack, zone: SimZone) -> set[str]:
    return {pool["name"] for pool in admin.listStoragePools(zoneid=zone.id).get("storagepool", [])}


def test_zone_wide_pool_with_declared_capacity(
    admin: CloudStack, zone: SimZone, tmp_path: Path
) -> None:
    name = unique("zonewide")
    pool = admin.createStoragePool(
        zoneid=zone.id,
        name=name,
        url=f"file://{tmp_path}/zonewide",
        capacitybytes=20 * GIB,
        tags="fast,ssd",
    )["storagepool"]

    assert pool["name"] == name
    assert pool["scope"] == "ZONE" and "clusterid" not in pool and "podid" not in pool
    assert pool["type"] == "Filesystem" and pool["path"] == f"{tmp_path}/zonewide"
    assert pool["state"] == "Up"
    assert pool["disksizetotal"] == 20 * GIB and pool["disksizeallocated"] == 0
    assert pool["tags"] == "fast,ssd"
    assert pool["provider"] == "DefaultPrimary"
    assert pool["overprovisionfactor"] == "2.0"
    assert (tmp_path / "zonewide").is_dir()


def test_cluster_pool_takes_its_capacity_from_the_store(admin: CloudStack, zone: SimZone) -> None:
    pool = zone.pool
    assert pool["scope"] == "CLUSTER"
    assert pool["clusterid"] == zone.cluster["id"] and pool["podid"] == zone.pod["id"]
    assert pool["disksizetotal"] > 0
    assert pool["hypervisor"] == "Simulator"


def test_list_storage_pools_filters(admin: CloudStack, zone: SimZone, tmp_path: Path) -> None:
    other = admin.createStoragePool(
        zoneid=zone.id, name=unique("other"), url=f"file://{tmp_path}/other"
    )["storagepool"]
    assert admin.listStoragePools(zoneid=zone.id)["count"] == 2
    [found] = admin.listStoragePools(clusterid=zone.cluster["id"])["storagepool"]
    assert found["id"] == zone.pool["id"]
    [found] = admin.listStoragePools(zoneid=zone.id, scope="zone")["storagepool"]
    assert found["id"] == other["id"]
    assert admin.listStoragePools(id=other["id"], name=other["name"])["count"] == 1
    assert admin.listStoragePools(zoneid=zone.id, keyword=other["name"])["count"] == 1


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("nfs://nfs.example.invalid/export/primary", 534),
        ("iscsi://10.0.0.1/iqn", 431),
        ("s3://bucket/primary", 431),
        ("file://relative/path", 431),
        ("nfs:///export", 431),
    ],
)
def test_unusable_urls_leave_nothing(admin: CloudStack, zone: SimZone, url: str, code: int) -> None:
    before = pool_names(admin, zone)
    error = api_error(admin.createStoragePool, zoneid=zone.id, name=unique("bad"), url=url)
    assert error.errorcode == code, error
    assert pool_names(admin, zone) == before


def test_bad_parameters(admin: CloudStack, zone: SimZone, tmp_path: Path) -> None:
    base: dict[str, Any] = {"zoneid": zone.id, "url": f"file://{tmp_path}/p"}
    for extra in (
        {"scope": "cluster"},
        {"scope": "region"},
        {"capacitybytes": 0},
        {"hypervisor": "XenServer"},
        {"provider": "SolidFire"},
        {"name": zone.pool["name"]},
    ):
        params = {"name": unique("p"), **base, **extra}
        assert api_error(admin.createStoragePool, **params).errorcode == 431, extra


def test_update_storage_pool(admin: CloudStack, zone: SimZone) -> None:
    pool_id = zone.pool["id"]
    updated = admin.updateStoragePool(
        id=pool_id, tags="gold", capacitybytes=5 * GIB, enabled=False
    )["storagepool"]
    assert updated["tags"] == "gold"
    assert updated["disksizetotal"] == 5 * GIB
    assert updated["state"] == "Disabled"
    assert admin.updateStoragePool(id=pool_id, enabled=True)["storagepool"]["state"] == "Up"
    assert api_error(admin.updateStoragePool, id=pool_id, capacitybytes=0).errorcode == 431


def test_delete_storage_pool(admin: CloudStack, zone: SimZone) -> None:
    assert admin.deleteStoragePool(id=zone.pool["id"])["success"] is True
    assert admin.listStoragePools(zoneid=zone.id) == {}
    assert api_error(admin.deleteStoragePool, id=zone.pool["id"]).errorcode == 431
