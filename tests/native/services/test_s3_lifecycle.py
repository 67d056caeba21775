"""The lifecycle sweeper, driven by a `now` given to it: expiring current versions (delete
markers in versioned buckets), removing noncurrent versions, aborting old uploads, honouring
prefixes, disabled rules and object lock."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from native.model import Account, Bucket, Domain, S3Object, utcnow
from native.services import buckets, multipart, object_storage, objects, s3_lifecycle, s3_lock
from native.services.caller import RoleType
from native.services.errors import InvalidParameterValue
from native.services.object_storage import NewPool
from native.services.runtime import Runtime
from native.services.seed import default_role
from tests.native.services.conftest import make_runtime

DAY = dt.timedelta(days=1)


@dataclass
class World:
    runtime: Runtime
    account_id: int

    def bucket(self, *, lifecycle: object, versioning: bool = False, lock: bool = False) -> Bucket:
        with self.runtime.db.session() as session:
            pool = object_storage.default_pool(session)
            owner = session.get(Account, self.account_id)
            assert pool is not None and owner is not None
            spec = buckets.NewBucket(
                name=f"b-{uuid.uuid4().hex[:12]}",
                owner=owner,
                pool=pool,
                versioning=versioning,
                object_lock=lock,
            )
            bucket = buckets.create_bucket(session, self.runtime, spec=spec)
            bucket.lifecycle = s3_lifecycle.parse_configuration(lifecycle)
            session.flush()
            return bucket

    def put(self, bucket: Bucket, key: str) -> objects.ObjectVersion:
        return objects.put_object(
            self.runtime, bucket=bucket, key=key, source=io.BytesIO(b"data"), size=4
        )

    def versions(self, bucket: Bucket) -> list[tuple[str, bool, bool]]:
        """(key, is_latest, delete_marker) of every row, oldest first."""
        with self.runtime.db.session(write=False) as session:
            rows = session.scalars(
                select(S3Object).where(S3Object.bucket_id == bucket.id).order_by(S3Object.id)
            )
            return [(row.key, row.is_latest, row.delete_marker) for row in rows]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    runtime = make_runtime(database_url, msid="ms-lifecycle")
    with runtime.db.session() as session:
        object_storage.add_pool(
            session,
            runtime,
            new=NewPool(name="local", url=(tmp_path / "o").as_uri(), provider="local", details={}),
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
    yield World(runtime=runtime, account_id=account_id)
    runtime.db.dispose()


def rule(**actions: object) -> dict[str, object]:
    return {"Rules": [{"ID": "r", "Status": "Enabled", **actions}]}


def test_expiration_deletes_old_current_versions_under_the_prefix(world: World) -> None:
    bucket = world.bucket(lifecycle=rule(Filter={"Prefix": "logs/"}, Expiration={"Days": 3}))
    world.put(bucket, "logs/a")
    world.put(bucket, "keep/b")
    now = utcnow()

    assert s3_lifecycle.sweep_bucket(world.runtime, bucket, now=now + 2 * DAY).expired == 0
    done = s3_lifecycle.sweep_bucket(world.runtime, bucket, now=now + 4 * DAY)

    assert done.expired == 1
    assert world.versions(bucket) == [("keep/b", True, False)]


def test_expiration_in_a_versioned_bucket_adds_a_delete_marker(world: World) -> None:
    bucket = world.bucket(lifecycle=rule(Expiration={"Days": 1}), versioning=True)
    world.put(bucket, "k")

    s3_lifecycle.sweep(world.runtime, now=utcnow() + 2 * DAY)

    assert world.versions(bucket) == [("k", False, False), ("k", True, True)]


def test_expiration_date(world: World) -> None:
    midnight = dt.datetime.combine(utcnow().date() + 2 * DAY, dt.time(), tzinfo=dt.UTC)
    bucket = world.bucket(lifecycle=rule(Expiration={"Date": midnight}))
    world.put(bucket, "k")

    s3_lifecycle.sweep_bucket(world.runtime, bucket, now=midnight - DAY)
    assert len(world.versions(bucket)) == 1
    s3_lifecycle.sweep_bucket(world.runtime, bucket, now=midnight)
    assert world.versions(bucket) == []


def test_noncurrent_versions_expire_after_being_replaced(world: World) -> None:
    bucket = world.bucket(
        lifecycle=rule(NoncurrentVersionExpiration={"NoncurrentDays": 5}), versioning=True
    )
    world.put(bucket, "k")
    world.put(bucket, "k")
    now = utcnow()

    s3_lifecycle.sweep_bucket(world.runtime, bucket, now=now + 4 * DAY)
    assert len(world.versions(bucket)) == 2
    done = s3_lifecycle.sweep_bucket(world.runtime, bucket, now=now + 6 * DAY)

    assert done.noncurrent_removed == 1
    assert world.versions(bucket) == [("k", True, False)]


def test_locked_noncurrent_versions_are_kept(world: World) -> None:
    bucket = world.bucket(
        lifecycle=rule(NoncurrentVersionExpiration={"NoncurrentDays": 1}), lock=True
    )
    first = world.put(bucket, "k")
    world.put(bucket, "k")
    s3_lock.set_legal_hold(
        world.runtime, bucket=bucket, key="k", version_id=first.version_id, on=True
    )

    done = s3_lifecycle.sweep_bucket(world.runtime, bucket, now=utcnow() + 3 * DAY)

    assert done.noncurrent_removed == 0
    assert len(world.versions(bucket)) == 2


def test_old_multipart_uploads_are_aborted(world: World) -> None:
    bucket = world.bucket(lifecycle=rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 2}))
    upload = multipart.create_upload(
        world.runtime, bucket=bucket, key="big", account_id=world.account_id
    )
    multipart.upload_part(
        world.runtime,
        bucket=bucket,
        key="big",
        upload_id=upload.upload_id,
        part_number=1,
        source=io.BytesIO(b"part"),
        size=4,
    )
    now = utcnow()

    assert s3_lifecycle.sweep_bucket(world.runtime, bucket, now=now + DAY).aborted == 0
    assert s3_lifecycle.sweep_bucket(world.runtime, bucket, now=now + 3 * DAY).aborted == 1
    with pytest.raises(multipart.NoSuchUpload):
        multipart.list_parts(world.runtime, bucket=bucket, key="big", upload_id=upload.upload_id)


def test_disabled_rules_do_nothing(world: World) -> None:
    configuration = rule(Expiration={"Days": 1})
    configuration["Rules"][0]["Status"] = "Disabled"  # type: ignore[index]
    bucket = world.bucket(lifecycle=configuration)
    world.put(bucket, "k")

    s3_lifecycle.sweep(world.runtime, now=utcnow() + 10 * DAY)

    assert len(world.versions(bucket)) == 1


@pytest.mark.parametrize(
    "configuration",
    [
        {"Rules": []},
        rule(),
        {"Rules": [{"Status": "On", "Expiration": {"Days": 1}}]},
        rule(Expiration={"Days": 0}),
        rule(Expiration={"Days": 1, "Date": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}),
        rule(Expiration={"Date": dt.datetime(2030, 1, 1, 5, tzinfo=dt.UTC)}),
        rule(NoncurrentVersionExpiration={"NoncurrentDays": -1}),
        rule(AbortIncompleteMultipartUpload={}),
        {"Rules": [{"ID": "x", "Status": "Enabled", "Expiration": {"Days": 1}}] * 2},
    ],
)
def test_invalid_configurations_are_refused(configuration: object) -> None:
    with pytest.raises(InvalidParameterValue):
        s3_lifecycle.parse_configuration(configuration)


def test_stored_configuration_keeps_what_s3_exchanges() -> None:
    stored = json.loads(
        s3_lifecycle.parse_configuration(
            {"Rules": [{"Status": "Enabled", "Prefix": "a/", "Expiration": {"Days": 7}}]}
        )
    )
    assert stored == {
        "Rules": [
            {
                "ID": "rule-1",
                "Status": "Enabled",
                "Filter": {"Prefix": "a/"},
                "Expiration": {"Days": 7},
            }
        ]
    }
