"""Object primitives: put/get/range, listing with delimiters and markers, versions, delete
markers, usage and limits, and atomicity of failed writes."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from native.model import Account, Bucket, Domain, ResourceCount, ResourceLimit, S3Object
from native.services import buckets, object_storage, objects
from native.services.caller import RoleType
from native.services.errors import ResourceLimitExceeded
from native.services.object_storage import NewPool
from native.services.runtime import Runtime
from native.services.seed import default_role
from tests.native.services.conftest import make_runtime


@dataclass
class World:
    runtime: Runtime
    root: Path
    account_id: int

    def bucket(self, *, versioning: bool = False) -> Bucket:
        with self.runtime.db.session() as session:
            pool = object_storage.default_pool(session)
            owner = session.get(Account, self.account_id)
            assert pool is not None and owner is not None
            spec = buckets.NewBucket(
                name=f"b-{uuid.uuid4().hex[:12]}", owner=owner, pool=pool, versioning=versioning
            )
            return buckets.create_bucket(session, self.runtime, spec=spec)

    def refreshed(self, bucket: Bucket) -> Bucket:
        with self.runtime.db.session(write=False) as session:
            row = session.get(Bucket, bucket.id)
            assert row is not None
            return row

    def secondary_count(self) -> int:
        with self.runtime.db.session(write=False) as session:
            return (
                session.scalar(
                    select(ResourceCount.count).where(
                        ResourceCount.owner_type == "account",
                        ResourceCount.owner_id == self.account_id,
                        ResourceCount.resource_type == "secondary_storage",
                    )
                )
                or 0
            )

    def files(self) -> list[Path]:
        return sorted(path for path in self.root.rglob("*") if path.is_file())


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    runtime = make_runtime(database_url, msid="ms-objects")
    root = tmp_path / "objects"
    with runtime.db.session() as session:
        object_storage.add_pool(
            session,
            runtime,
            new=NewPool(name="local", url=root.as_uri(), provider="local", details={}),
        )
        domain = session.scalars(select(Domain).where(Domain.parent_id.is_(None))).one()
        account = Account(
            name=f"user-{uuid.uuid4().hex[:6]}",
            account_type=0,
            role_id=default_role(session, RoleType.USER).id,
            domain_id=domain.id,
        )
        session.add(account)
        session.flush()
        account_id = account.id
    yield World(runtime=runtime, root=root, account_id=account_id)
    runtime.db.dispose()


def put(world: World, bucket: Bucket, key: str, data: bytes, **meta: str) -> objects.ObjectVersion:
    return objects.put_object(
        world.runtime,
        bucket=bucket,
        key=key,
        source=io.BytesIO(data),
        size=len(data),
        meta=objects.ObjectMeta(**meta),  # type: ignore[arg-type]
    )


def read(world: World, bucket: Bucket, key: str, **options: object) -> bytes:
    data = objects.get_object(world.runtime, bucket=bucket, key=key, **options)  # type: ignore[arg-type]
    with data.body as body:
        return b"".join(body)


def test_put_get_head_and_ranges(world: World) -> None:
    bucket = world.bucket()
    meta = objects.ObjectMeta(
        content_type="text/plain",
        content_encoding="gzip",
        content_disposition="attachment",
        cache_control="no-cache",
        expires="Wed, 21 Oct 2015 07:28:00 GMT",
        user={"colour": "blue"},
    )
    version = objects.put_object(
        world.runtime, bucket=bucket, key="a/b.txt", source=io.BytesIO(b"0123456789"), meta=meta
    )
    assert (version.size, version.etag) == (10, "781e5e245d69b566979b86e28d23f2c7")
    assert version.version_id == objects.NULL_VERSION
    head = objects.head_object(world.runtime, bucket=bucket, key="a/b.txt")
    assert head.meta == meta and head.size == 10
    assert read(world, bucket, "a/b.txt") == b"0123456789"
    ranges = {
        (2, 4): b"234",
        (7, None): b"789",
        (None, 3): b"789",
        (5, 100): b"56789",
    }
    for (first, last), expected in ranges.items():
        data = objects.get_object(
            world.runtime,
            bucket=bucket,
            key="a/b.txt",
            byte_range=objects.ByteRange(first=first, last=last),
        )
        with data.body as body:
            assert b"".join(body) == expected
        assert data.length == len(expected)
    for first, last in ((10, None), (None, 0), (5, 2)):
        with pytest.raises(objects.InvalidRange):
            objects.get_object(
                world.runtime,
                bucket=bucket,
                key="a/b.txt",
                byte_range=objects.ByteRange(first=first, last=last),
            )
    with pytest.raises(objects.NoSuchKey):
        objects.head_object(world.runtime, bucket=bucket, key="missing")
    with pytest.raises(objects.InvalidKey):
        put(world, bucket, "k" * 1025, b"")
    assert read(world, bucket, put(world, bucket, "empty", b"").key) == b""


def test_overwrite_replaces_data_and_usage(world: World) -> None:
    bucket = world.bucket()
    put(world, bucket, "k", b"x" * 100)
    put(world, bucket, "k", b"y" * 30)
    assert read(world, bucket, "k") == b"y" * 30
    usage = world.refreshed(bucket)
    assert (usage.size, usage.object_count) == (30, 1)
    assert world.secondary_count() == 30
    assert len(world.files()) == 1
    assert objects.delete_object(world.runtime, bucket=bucket, key="k") == objects.DeleteResult(
        version_id=None, delete_marker=False
    )
    assert world.files() == []
    assert world.secondary_count() == 0
    usage = world.refreshed(bucket)
    assert (usage.size, usage.object_count) == (0, 0)


def test_an_overwrite_is_charged_only_what_it_grows(world: World) -> None:
    bucket = world.bucket()
    put(world, bucket, "k", b"x" * 100)
    with world.runtime.db.session() as session:
        row = session.get(Bucket, bucket.id)
        assert row is not None
        row.quota = 100
    put(world, bucket, "k", b"y" * 100)
    with pytest.raises(objects.QuotaExceeded):
        put(world, bucket, "k", b"z" * 101)
    assert read(world, bucket, "k") == b"y" * 100
    usage = world.refreshed(bucket)
    assert (usage.size, usage.object_count) == (100, 1)
    assert world.secondary_count() == 100
    assert len(world.files()) == 1


def test_listing_with_prefix_delimiter_and_markers(world: World) -> None:
    bucket = world.bucket()
    keys = ["a", "a b", "a/1", "a/2", "a/x/3", "b/1", "b0", "c", "é", "ü/1", "Z", "a "]
    for key in keys:
        put(world, bucket, key, key.encode())

    def page(**options: object) -> objects.ListPage:
        return objects.list_objects(world.runtime, bucket=bucket, **options)  # type: ignore[arg-type]

    everything = page()
    assert [item.key for item in everything.objects] == sorted(keys, key=str.encode)
    assert not everything.is_truncated

    top = page(delimiter="/")
    assert [item.key for item in top.objects] == ["Z", "a", "a ", "a b", "b0", "c", "é"]
    assert top.common_prefixes == ["a/", "b/", "ü/"]

    under_a = page(prefix="a/", delimiter="/")
    assert [item.key for item in under_a.objects] == ["a/1", "a/2"]
    assert under_a.common_prefixes == ["a/x/"]

    assert [item.key for item in page(prefix="a ").objects] == ["a ", "a b"]
    assert [item.key for item in page(prefix="A").objects] == []

    seen: list[str] = []
    marker = None
    while True:
        part = page(delimiter="/", max_keys=2, marker=marker)
        seen += [item.key for item in part.objects] + part.common_prefixes
        if not part.is_truncated:
            break
        marker = part.next_marker
    assert seen == ["Z", "a", "a ", "a b", "a/", "b/", "b0", "c", "é", "ü/"]
    assert page(max_keys=0).objects == []


def test_versions_and_delete_markers(world: World) -> None:
    bucket = world.bucket(versioning=True)
    first = put(world, bucket, "doc", b"one")
    second = put(world, bucket, "doc", b"two!")
    assert first.version_id != second.version_id != objects.NULL_VERSION
    assert read(world, bucket, "doc") == b"two!"
    assert read(world, bucket, "doc", version_id=first.version_id) == b"one"

    removed = objects.delete_object(world.runtime, bucket=bucket, key="doc")
    assert removed.delete_marker and removed.version_id
    with pytest.raises(objects.NoSuchKey) as caught:
        objects.head_object(world.runtime, bucket=bucket, key="doc")
    assert caught.value.delete_marker is not None
    with pytest.raises(objects.DeleteMarkerVersion):
        objects.head_object(world.runtime, bucket=bucket, key="doc", version_id=removed.version_id)
    assert objects.list_objects(world.runtime, bucket=bucket).objects == []

    listed = objects.list_object_versions(world.runtime, bucket=bucket)
    assert [(v.version_id, v.is_latest, v.delete_marker) for v in listed.versions] == [
        (removed.version_id, True, True),
        (second.version_id, False, False),
        (first.version_id, False, False),
    ]
    usage = world.refreshed(bucket)
    assert (usage.size, usage.object_count) == (7, 2)

    paged = objects.list_object_versions(world.runtime, bucket=bucket, max_keys=1)
    assert paged.is_truncated and paged.next_version_id_marker == removed.version_id
    rest = objects.list_object_versions(
        world.runtime,
        bucket=bucket,
        key_marker=paged.next_key_marker,
        version_id_marker=paged.next_version_id_marker,
    )
    assert [v.version_id for v in rest.versions] == [second.version_id, first.version_id]

    objects.delete_object(world.runtime, bucket=bucket, key="doc", version_id=removed.version_id)
    assert read(world, bucket, "doc") == b"two!"
    with world.runtime.db.session() as session:
        row = session.get(Bucket, bucket.id)
        assert row is not None
        buckets.update_bucket(session, bucket=row, versioning=False)
    suspended = world.refreshed(bucket)
    null = put(world, suspended, "doc", b"three")
    assert null.version_id == objects.NULL_VERSION
    marker = objects.delete_object(world.runtime, bucket=suspended, key="doc")
    assert marker == objects.DeleteResult(version_id=objects.NULL_VERSION, delete_marker=True)
    versions = objects.list_object_versions(world.runtime, bucket=bucket).versions
    assert [(v.version_id, v.delete_marker) for v in versions] == [
        (objects.NULL_VERSION, True),
        (second.version_id, False),
        (first.version_id, False),
    ]
    assert len(world.files()) == 2


class FailingStream(io.RawIOBase):
    """Gives `good` bytes, then fails as a dropped connection would."""

    def __init__(self, good: int) -> None:
        self.left = good

    def read(self, size: int = -1, /) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        amount = min(self.left, size if size > 0 else self.left, 65536)
        self.left -= amount
        return b"z" * amount


def test_failed_writes_leave_nothing(world: World) -> None:
    bucket = world.bucket()
    put(world, bucket, "kept", b"old data")
    with pytest.raises(ConnectionResetError):
        objects.put_object(world.runtime, bucket=bucket, key="kept", source=FailingStream(300_000))
    with pytest.raises(objects.IncompleteBody):
        objects.put_object(
            world.runtime, bucket=bucket, key="short", source=io.BytesIO(b"abc"), size=10
        )
    assert read(world, bucket, "kept") == b"old data"
    assert [item.key for item in objects.list_objects(world.runtime, bucket=bucket).objects] == [
        "kept"
    ]
    assert len(world.files()) == 1

    with world.runtime.db.session() as session:
        session.add(
            ResourceLimit(
                owner_type="account",
                owner_id=world.account_id,
                resource_type="secondary_storage",
                max=0,
            )
        )
    with pytest.raises(ResourceLimitExceeded):
        put(world, bucket, "over-limit", b"data")
    with world.runtime.db.session() as session:
        row = session.get(Bucket, bucket.id)
        assert row is not None
        row.quota = 10
        limit = session.scalars(select(ResourceLimit)).one()
        limit.max = -1
    with pytest.raises(objects.QuotaExceeded):
        put(world, bucket, "over-quota", b"x" * 3)
    put(world, bucket, "fits", b"x" * 2)
    assert [item.key for item in objects.list_objects(world.runtime, bucket=bucket).objects] == [
        "fits",
        "kept",
    ]
    assert len(world.files()) == 2
    assert world.secondary_count() == 10
    with world.runtime.db.session(write=False) as session:
        assert session.scalar(select(S3Object.key).where(S3Object.key == "over-quota")) is None


def test_bucket_delete_needs_empty_bucket(world: World) -> None:
    bucket = world.bucket()
    put(world, bucket, "k", b"v")
    with world.runtime.db.session() as session, pytest.raises(buckets.BucketNotEmpty):
        buckets.delete_bucket(session, world.runtime, bucket=bucket)
    objects.delete_object(world.runtime, bucket=bucket, key="k")
    with world.runtime.db.session() as session:
        buckets.delete_bucket(session, world.runtime, bucket=bucket)
    assert not (world.root / bucket.uuid).exists()
    with pytest.raises(objects.NoSuchBucket):
        put(world, bucket, "k", b"v")
    assert world.files() == []


def test_default_pool_is_made_once(database_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(database_url, msid="ms-default-pool")
    with runtime.db.session() as session:
        made = object_storage.ensure_default_pool(session, root=tmp_path / "objectstore")
        assert made is not None and made.provider == "Local"
        assert made.url == (tmp_path / "objectstore").as_uri()
    with runtime.db.session() as session:
        assert object_storage.ensure_default_pool(session, root=tmp_path / "other") is None
    assert (tmp_path / "objectstore").is_dir()
    runtime.db.dispose()
