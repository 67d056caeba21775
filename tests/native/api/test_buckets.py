"""Buckets through the real `cs` client: createBucket, listBuckets, updateBucket, deleteBucket.

Objects have no native command (they are streams; the S3 API writes them), so the tests
that need objects write them with the in-process `ObjectApi` on the server's own database
and pool, then look at the result through the API.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from native.api.objects import ObjectApi, PermissionDenied
from native.services.errors import ResourceLimitExceeded
from tests.support.api import api_error, wait_for_job
from tests.support.objects import caller_of, object_api
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique


@pytest.fixture(scope="module")
def pool(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("bucket-pool")
    return dict(
        admin.addObjectStoragePool(name=unique("objects"), provider="Local", url=root.as_uri())[
            "objectstore"
        ]
    )


@pytest.fixture(scope="module")
def api(alto_server: AltoServer) -> Iterator[ObjectApi]:
    with object_api(alto_server) as made:
        yield made


def create_bucket(client: CloudStack, **params: Any) -> dict[str, Any]:
    submitted = client.createBucket(**params)
    job = wait_for_job(client, submitted["jobid"])
    assert job["jobstatus"] == 1, job
    bucket = dict(job["jobresult"]["bucket"])
    assert bucket["id"] == submitted["id"]
    return bucket


def bucket_name() -> str:
    return unique("bkt")


def test_bucket_crud(admin: CloudStack, tenant: Tenant, pool: dict[str, Any]) -> None:
    client = tenant.client()
    name = bucket_name()
    policy = '{"Version": "2012-10-17", "Statement": []}'
    bucket = create_bucket(
        client, name=name, objectstorageid=pool["id"], quota=2, versioning=True, policy=policy
    )
    assert bucket["name"] == name and bucket["state"] == "Created"
    assert (bucket["account"], bucket["domainid"]) == (tenant.name, tenant.domainid)
    assert bucket["quota"] == 2 and bucket["versioning"] is True
    assert bucket["encryption"] is False and bucket["objectlocking"] is False
    assert bucket["policy"] == policy and bucket["provider"] == "Local"
    assert bucket["size"] == 0 and bucket["objectcount"] == 0
    assert "objectstorageid" not in bucket

    [listed] = client.listBuckets(id=bucket["id"])["bucket"]
    assert listed == bucket
    assert client.listBuckets(name=name)["count"] == 1
    [seen_by_admin] = admin.listBuckets(id=bucket["id"], listall=True)["bucket"]
    assert seen_by_admin["objectstorageid"] == pool["id"]
    assert admin.listBuckets(objectstorageid=pool["id"], listall=True)["count"] >= 1

    assert client.updateBucket(id=bucket["id"], quota=5, encryption=True, versioning=False)[
        "success"
    ]
    client.updateBucket(id=bucket["id"], policy="")
    [updated] = client.listBuckets(id=bucket["id"])["bucket"]
    assert updated["quota"] == 5 and updated["encryption"] is True
    assert updated["versioning"] is False and "policy" not in updated

    assert client.deleteBucket(id=bucket["id"])["success"] is True
    assert "bucket" not in client.listBuckets(name=name)
    again = create_bucket(client, name=name, objectstorageid=pool["id"])
    client.deleteBucket(id=again["id"])


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper-case",
        "under_score",
        "-starts-with-hyphen",
        "ends-with-dot.",
        "two..dots",
        "192.168.5.4",
        "xn--reserved",
        "reserved-s3alias",
    ],
)
def test_bad_bucket_names(tenant: Tenant, pool: dict[str, Any], name: str) -> None:
    error = api_error(tenant.client().createBucket, name=name, objectstorageid=pool["id"])
    assert (error.errorcode, error.cserrorcode) == (431, 4350), error
    assert "Invalid bucket name" in error.errortext


def test_bad_settings_and_taken_names(
    admin: CloudStack, tenant: Tenant, pool: dict[str, Any]
) -> None:
    client = tenant.client()
    for params in ({"quota": 0}, {"policy": "not json"}, {"policy": "[1]"}):
        error = api_error(
            client.createBucket, name=bucket_name(), objectstorageid=pool["id"], **params
        )
        assert error.errorcode == 431, error
    bucket = create_bucket(client, name=bucket_name(), objectstorageid=pool["id"])
    error = api_error(admin.createBucket, name=bucket["name"], objectstorageid=pool["id"])
    assert error.errorcode == 536 and "already exists" in error.errortext
    assert api_error(client.updateBucket, id=bucket["id"], quota=-1).errorcode == 431
    assert api_error(admin.deleteObjectStoragePool, id=pool["id"]).errorcode == 536
    client.deleteBucket(id=bucket["id"])


def test_object_lock_implies_versioning(tenant: Tenant, pool: dict[str, Any]) -> None:
    client = tenant.client()
    bucket = create_bucket(
        client, name=bucket_name(), objectstorageid=pool["id"], objectlocking=True
    )
    assert bucket["objectlocking"] is True and bucket["versioning"] is True
    assert api_error(client.updateBucket, id=bucket["id"], versioning=False).errorcode == 431
    client.deleteBucket(id=bucket["id"])


def test_usage_limits_and_non_empty_buckets(
    admin: CloudStack, tenant: Tenant, pool: dict[str, Any], api: ObjectApi
) -> None:
    client = tenant.client()
    bucket = create_bucket(client, name=bucket_name(), objectstorageid=pool["id"])
    caller = caller_of(api, tenant)
    api.put_object(caller, bucket=bucket["name"], key="a.txt", source=io.BytesIO(b"12345"))
    api.put_object(caller, bucket=bucket["name"], key="b.txt", source=io.BytesIO(b"678"))
    [listed] = client.listBuckets(id=bucket["id"])["bucket"]
    assert (listed["size"], listed["objectcount"]) == (8, 2)
    [limit] = client.listResourceLimits(resourcetype=11)["resourcelimit"]
    assert limit["resourcetypename"] == "secondary_storage"

    error = api_error(client.deleteBucket, id=bucket["id"])
    assert (error.errorcode, error.cserrorcode) == (536, 4375)
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=11, max=0)
    with pytest.raises(ResourceLimitExceeded):
        api.put_object(caller, bucket=bucket["name"], key="c", source=io.BytesIO(b"x"))
    for key in ("a.txt", "b.txt"):
        api.delete_object(caller, bucket=bucket["name"], key=key)
    [emptied] = client.listBuckets(id=bucket["id"])["bucket"]
    assert (emptied["size"], emptied["objectcount"]) == (0, 0)
    client.deleteBucket(id=bucket["id"])


def test_tenants_are_isolated(
    admin: CloudStack,
    alto_server: AltoServer,
    tenant: Tenant,
    pool: dict[str, Any],
    api: ObjectApi,
) -> None:
    other = new_account(admin, endpoint=alto_server.endpoint)
    mine = create_bucket(tenant.client(), name=bucket_name(), objectstorageid=pool["id"])
    theirs = create_bucket(other.client(), name=bucket_name(), objectstorageid=pool["id"])
    assert [b["id"] for b in tenant.client().listBuckets()["bucket"]] == [mine["id"]]
    assert [b["id"] for b in other.client().listBuckets(listall=True)["bucket"]] == [theirs["id"]]
    for call, params in (
        (other.client().updateBucket, {"id": mine["id"], "quota": 1}),
        (other.client().deleteBucket, {"id": mine["id"]}),
        (other.client().listBuckets, {"id": mine["id"]}),
    ):
        assert api_error(call, **params).errorcode == 431
    intruder = caller_of(api, other)
    with pytest.raises(PermissionDenied):
        api.put_object(intruder, bucket=mine["name"], key="k", source=io.BytesIO(b"x"))
    with pytest.raises(PermissionDenied):
        api.list_objects(intruder, bucket=mine["name"])
    with pytest.raises(PermissionDenied):
        api.list_objects(None, bucket=mine["name"])
    assert api.list_objects(caller_of(api, tenant), bucket=mine["name"]).objects == []
    [seen] = admin.listBuckets(id=mine["id"], listall=True)["bucket"]
    assert seen["account"] == tenant.name
    tenant.client().deleteBucket(id=mine["id"])
    admin.deleteBucket(id=theirs["id"])


def test_buckets_live_in_their_pool(admin: CloudStack, tenant: Tenant, tmp_path: Path) -> None:
    root = tmp_path / "own-pool"
    pool = admin.addObjectStoragePool(name=unique("objects"), provider="Local", url=root.as_uri())[
        "objectstore"
    ]
    bucket = create_bucket(tenant.client(), name=bucket_name(), objectstorageid=pool["id"])
    assert (root / bucket["id"]).is_dir()
    tenant.client().deleteBucket(id=bucket["id"])
    assert not (root / bucket["id"]).exists()
    admin.deleteObjectStoragePool(id=pool["id"])
