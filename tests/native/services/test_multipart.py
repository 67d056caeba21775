"""Multipart uploads: parts, completion and its checks, abort, listings, usage and
atomicity of a failed completion."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import select

from native.drivers.objectstore import local as local_objectstore
from native.model import Account, Bucket, Domain, S3Object
from native.services import buckets, multipart, object_storage, objects
from native.services.caller import RoleType
from native.services.errors import InvalidParameterValue, ResourceUnavailable
from native.services.multipart import CompletedPart
from native.services.object_storage import NewPool
from native.services.seed import default_role
from tests.native.services.conftest import make_runtime
from tests.native.services.test_objects import World, read

MIB = 1024 * 1024


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    runtime = make_runtime(database_url, msid="ms-multipart")
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


def start(world: World, bucket: Bucket, key: str, **meta: object) -> str:
    info = multipart.create_upload(
        world.runtime,
        bucket=bucket,
        key=key,
        account_id=world.account_id,
        meta=objects.ObjectMeta(**meta),  # type: ignore[arg-type]
    )
    return info.upload_id


def part(
    world: World, bucket: Bucket, key: str, upload_id: str, number: int, data: bytes
) -> multipart.PartInfo:
    return multipart.upload_part(
        world.runtime,
        bucket=bucket,
        key=key,
        upload_id=upload_id,
        part_number=number,
        source=io.BytesIO(data),
        size=len(data),
    )


def complete(
    world: World, bucket: Bucket, key: str, upload_id: str, parts: list[tuple[int, str]]
) -> objects.ObjectVersion:
    return multipart.complete_upload(
        world.runtime,
        bucket=bucket,
        key=key,
        upload_id=upload_id,
        parts=[CompletedPart(part_number=number, etag=etag) for number, etag in parts],
    )


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def expected_etag(*chunks: bytes) -> str:
    joined = b"".join(hashlib.md5(chunk, usedforsecurity=False).digest() for chunk in chunks)
    return f"{hashlib.md5(joined, usedforsecurity=False).hexdigest()}-{len(chunks)}"


def test_three_parts_make_one_object_counted_once(world: World) -> None:
    bucket = world.bucket()
    first, second, last = os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail" * 250
    upload_id = start(world, bucket, "big/file", content_type="video/mp4", user={"a": "b"})
    assert upload_id.replace("-", "").replace("_", "").isalnum() and len(upload_id) >= 32
    part(world, bucket, "big/file", upload_id, 1, first)
    part(world, bucket, "big/file", upload_id, 2, os.urandom(5 * MIB + 7))
    replaced = part(world, bucket, "big/file", upload_id, 2, second)
    final = part(world, bucket, "big/file", upload_id, 3, last)
    assert (replaced.etag, replaced.size) == (md5(second), 5 * MIB)
    assert len(world.files()) == 3
    listed = multipart.list_parts(world.runtime, bucket=bucket, key="big/file", upload_id=upload_id)
    assert [(p.part_number, p.etag) for p in listed.parts] == [
        (1, md5(first)),
        (2, md5(second)),
        (3, md5(last)),
    ]
    assert world.refreshed(bucket).size == 0 and world.secondary_count() == 0

    version = complete(
        world,
        bucket,
        "big/file",
        upload_id,
        [(1, f'"{md5(first)}"'), (2, md5(second)), (3, final.etag)],
    )
    total = len(first) + len(second) + len(last)
    assert version.etag == expected_etag(first, second, last)
    assert version.size == total
    assert read(world, bucket, "big/file") == first + second + last
    head = objects.head_object(world.runtime, bucket=bucket, key="big/file")
    assert head.meta == objects.ObjectMeta(content_type="video/mp4", user={"a": "b"})
    assert head.etag == version.etag
    refreshed = world.refreshed(bucket)
    assert (refreshed.size, refreshed.object_count) == (total, 1)
    assert world.secondary_count() == total
    assert len(world.files()) == 1
    assert multipart.list_uploads(world.runtime, bucket=bucket).uploads == []
    with pytest.raises(multipart.NoSuchUpload):
        complete(world, bucket, "big/file", upload_id, [(1, md5(first))])


def test_completion_checks_and_bad_uploads(world: World) -> None:
    bucket = world.bucket()
    small, big = b"small part", os.urandom(5 * MIB)
    upload_id = start(world, bucket, "k")
    part(world, bucket, "k", upload_id, 1, small)
    part(world, bucket, "k", upload_id, 2, big)
    part(world, bucket, "k", upload_id, 4, big)
    with pytest.raises(multipart.InvalidPartOrder):
        complete(world, bucket, "k", upload_id, [(2, md5(big)), (1, md5(small))])
    with pytest.raises(multipart.InvalidPartOrder):
        complete(world, bucket, "k", upload_id, [(2, md5(big)), (2, md5(big))])
    with pytest.raises(multipart.InvalidPart):
        complete(world, bucket, "k", upload_id, [(2, md5(small)), (4, md5(big))])
    with pytest.raises(multipart.InvalidPart):
        complete(world, bucket, "k", upload_id, [(2, md5(big)), (3, md5(big))])
    with pytest.raises(multipart.EntityTooSmall):
        complete(world, bucket, "k", upload_id, [(1, md5(small)), (2, md5(big))])
    with pytest.raises(InvalidParameterValue):
        complete(world, bucket, "k", upload_id, [])
    for number in (0, 10_001):
        with pytest.raises(multipart.InvalidPartNumber):
            part(world, bucket, "k", upload_id, number, small)
    for wrong_key, wrong_id in (("k", "no-such-upload"), ("other", upload_id)):
        with pytest.raises(multipart.NoSuchUpload):
            part(world, bucket, wrong_key, wrong_id, 1, small)
        with pytest.raises(multipart.NoSuchUpload):
            multipart.list_parts(world.runtime, bucket=bucket, key=wrong_key, upload_id=wrong_id)
        with pytest.raises(multipart.NoSuchUpload):
            multipart.abort_upload(world.runtime, bucket=bucket, key=wrong_key, upload_id=wrong_id)
    assert objects.list_objects(world.runtime, bucket=bucket).objects == []
    assert len(world.files()) == 3

    version = complete(world, bucket, "k", upload_id, [(2, md5(big)), (4, md5(big))])
    assert version.etag == expected_etag(big, big)
    assert read(world, bucket, "k") == big + big
    assert len(world.files()) == 1, "unused part 1 is removed with the upload"


def test_abort_removes_parts_and_their_data(world: World) -> None:
    bucket = world.bucket()
    upload_id = start(world, bucket, "doomed")
    part(world, bucket, "doomed", upload_id, 1, b"one")
    part(world, bucket, "doomed", upload_id, 2, b"two")
    assert len(world.files()) == 2
    multipart.abort_upload(world.runtime, bucket=bucket, key="doomed", upload_id=upload_id)
    assert world.files() == []
    assert multipart.list_uploads(world.runtime, bucket=bucket).uploads == []
    with pytest.raises(multipart.NoSuchUpload):
        multipart.abort_upload(world.runtime, bucket=bucket, key="doomed", upload_id=upload_id)
    with pytest.raises(multipart.NoSuchUpload):
        part(world, bucket, "doomed", upload_id, 3, b"three")
    assert world.files() == []
    with world.runtime.db.session() as session:
        buckets.delete_bucket(session, world.runtime, bucket=bucket)


def broken_append(source: BinaryIO, target: BinaryIO) -> int:
    """Some bytes of a part, then a failing disk."""
    os.write(target.fileno(), source.read(4096))
    raise OSError(errno.EIO, "Input/output error")


def test_failed_completion_leaves_no_object_and_no_data(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = world.bucket()
    objects.put_object(world.runtime, bucket=bucket, key="k", source=io.BytesIO(b"old"), size=3)
    data = os.urandom(5 * MIB), b"end"
    upload_id = start(world, bucket, "k")
    chosen = [(n, part(world, bucket, "k", upload_id, n, d).etag) for n, d in enumerate(data, 1)]
    total = sum(len(d) for d in data)

    monkeypatch.setattr(local_objectstore, "_append", broken_append)
    with pytest.raises(ResourceUnavailable):
        complete(world, bucket, "k", upload_id, chosen)
    monkeypatch.undo()
    assert read(world, bucket, "k") == b"old"
    assert len(world.files()) == 3

    with world.runtime.db.session() as session:
        row = session.get(Bucket, bucket.id)
        assert row is not None
        row.quota = total - 1
    with pytest.raises(objects.QuotaExceeded):
        complete(world, bucket, "k", upload_id, chosen)
    assert read(world, bucket, "k") == b"old"
    assert len(world.files()) == 3
    assert (world.refreshed(bucket).size, world.secondary_count()) == (3, 3)

    with world.runtime.db.session() as session:
        row = session.get(Bucket, bucket.id)
        assert row is not None
        row.quota = total
    version = complete(world, bucket, "k", upload_id, chosen)
    assert read(world, bucket, "k") == b"".join(data)
    assert len(world.files()) == 1
    assert (world.refreshed(bucket).size, world.secondary_count()) == (total, total)
    with world.runtime.db.session(write=False) as session:
        assert session.scalars(select(S3Object.etag)).all() == [version.etag]


def test_upload_part_copy_whole_and_range(world: World) -> None:
    bucket, other = world.bucket(), world.bucket()
    source = os.urandom(6 * MIB)
    objects.put_object(world.runtime, bucket=other, key="src", source=io.BytesIO(source))
    upload_id = start(world, bucket, "copy")
    whole = multipart.upload_part_copy(
        world.runtime,
        bucket=bucket,
        key="copy",
        upload_id=upload_id,
        part_number=1,
        source_bucket=other,
        source_key="src",
    )
    ranged = multipart.upload_part_copy(
        world.runtime,
        bucket=bucket,
        key="copy",
        upload_id=upload_id,
        part_number=2,
        source_bucket=other,
        source_key="src",
        byte_range=objects.ByteRange(first=100, last=199),
    )
    assert (whole.etag, ranged.etag) == (md5(source), md5(source[100:200]))
    with pytest.raises(objects.NoSuchKey):
        multipart.upload_part_copy(
            world.runtime,
            bucket=bucket,
            key="copy",
            upload_id=upload_id,
            part_number=3,
            source_bucket=other,
            source_key="missing",
        )
    complete(world, bucket, "copy", upload_id, [(1, whole.etag), (2, ranged.etag)])
    assert read(world, bucket, "copy") == source + source[100:200]


def test_listing_uploads_and_parts(world: World) -> None:
    bucket = world.bucket()
    ids = {key: start(world, bucket, key) for key in ("a/1", "a/2", "b", "c")}
    second_b = start(world, bucket, "b")
    listed = multipart.list_uploads(world.runtime, bucket=bucket)
    assert [(u.key, u.upload_id) for u in listed.uploads] == [
        ("a/1", ids["a/1"]),
        ("a/2", ids["a/2"]),
        ("b", ids["b"]),
        ("b", second_b),
        ("c", ids["c"]),
    ]
    assert not listed.is_truncated

    page = multipart.list_uploads(world.runtime, bucket=bucket, max_uploads=3)
    assert [u.key for u in page.uploads] == ["a/1", "a/2", "b"]
    assert page.is_truncated
    assert (page.next_key_marker, page.next_upload_id_marker) == ("b", ids["b"])
    rest = multipart.list_uploads(
        world.runtime,
        bucket=bucket,
        key_marker=page.next_key_marker,
        upload_id_marker=page.next_upload_id_marker,
    )
    assert [u.upload_id for u in rest.uploads] == [second_b, ids["c"]]
    after_b = multipart.list_uploads(world.runtime, bucket=bucket, key_marker="b")
    assert [u.key for u in after_b.uploads] == ["c"]

    rolled = multipart.list_uploads(world.runtime, bucket=bucket, delimiter="/")
    assert rolled.common_prefixes == ["a/"]
    assert [u.key for u in rolled.uploads] == ["b", "b", "c"]
    short = multipart.list_uploads(world.runtime, bucket=bucket, delimiter="/", max_uploads=2)
    assert (short.common_prefixes, [u.key for u in short.uploads]) == (["a/"], ["b"])
    assert short.is_truncated and short.next_key_marker == "b"
    within = multipart.list_uploads(world.runtime, bucket=bucket, prefix="a/", delimiter="/")
    assert [u.key for u in within.uploads] == ["a/1", "a/2"] and within.common_prefixes == []

    for number in (3, 1, 2):
        part(world, bucket, "c", ids["c"], number, bytes([number]) * number)
    first = multipart.list_parts(
        world.runtime, bucket=bucket, key="c", upload_id=ids["c"], max_parts=2
    )
    assert [p.part_number for p in first.parts] == [1, 2]
    assert first.is_truncated and first.next_part_number_marker == 2
    assert first.upload.key == "c" and first.upload.owner_name.startswith("user-")
    second = multipart.list_parts(
        world.runtime, bucket=bucket, key="c", upload_id=ids["c"], part_number_marker=2
    )
    assert [(p.part_number, p.size) for p in second.parts] == [(3, 3)]
    assert not second.is_truncated
