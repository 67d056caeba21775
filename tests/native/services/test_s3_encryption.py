"""SSE-S3 at the service level: data encrypted on the pool, read back whole and by ranges
across cipher blocks and chunks, the plaintext MD5 kept and checked, bucket defaults."""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from native.drivers.objectstore.base import CHUNK
from native.model import Account, Bucket, Domain, S3Object
from native.services import buckets, object_storage, objects, s3_encryption
from native.services.caller import RoleType
from native.services.errors import InvalidParameterValue
from native.services.object_storage import NewPool
from native.services.runtime import Runtime
from native.services.seed import default_role
from tests.native.services.conftest import make_runtime

MARKER = b"PLAINTEXT-MARKER-0123456789"


@dataclass
class World:
    runtime: Runtime
    root: Path
    account_id: int

    def bucket(self, *, default: bool = False) -> Bucket:
        with self.runtime.db.session() as session:
            pool = object_storage.default_pool(session)
            owner = session.get(Account, self.account_id)
            assert pool is not None and owner is not None
            spec = buckets.NewBucket(name=f"b-{uuid.uuid4().hex[:12]}", owner=owner, pool=pool)
            bucket = buckets.create_bucket(session, self.runtime, spec=spec)
            if default:
                rules = {
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                }
                bucket.encryption_config = s3_encryption.parse_configuration(rules)
            session.flush()
            return bucket

    def stored_bytes(self) -> bytes:
        return b"".join(path.read_bytes() for path in self.root.rglob("*") if path.is_file())


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    runtime = make_runtime(database_url, msid="ms-sse")
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


def read(
    world: World, bucket: Bucket, key: str, byte_range: objects.ByteRange | None = None
) -> bytes:
    data = objects.get_object(world.runtime, bucket=bucket, key=key, byte_range=byte_range)
    with data.body as body:
        return b"".join(body)


def payload() -> bytes:
    return (MARKER + os.urandom(1000)) * 1500


def test_encrypted_on_the_pool_and_readable_whole_and_by_ranges(world: World) -> None:
    bucket = world.bucket()
    data = payload()
    assert len(data) > CHUNK

    version = objects.put_object(
        world.runtime,
        bucket=bucket,
        key="k",
        source=io.BytesIO(data),
        size=len(data),
        encryption="AES256",
    )

    stored = world.stored_bytes()
    assert len(stored) == len(data) and stored != data and MARKER not in stored
    assert version.encryption == "AES256"
    assert version.etag == hashlib.md5(data).hexdigest()
    assert read(world, bucket, "k") == data
    for first, last in [
        (0, 0),
        (15, 16),
        (17, 4000),
        (CHUNK - 3, CHUNK + 40),
        (len(data) - 5, None),
    ]:
        expected = data[first : None if last is None else last + 1]
        assert read(world, bucket, "k", objects.ByteRange(first=first, last=last)) == expected
    assert read(world, bucket, "k", objects.ByteRange(first=None, last=7)) == data[-7:]


def test_data_key_is_sealed_with_the_server_key(world: World) -> None:
    bucket = world.bucket()
    objects.put_object(
        world.runtime, bucket=bucket, key="k", source=io.BytesIO(b"x" * 40), encryption="AES256"
    )
    with world.runtime.db.session(write=False) as session:
        document = json.loads(session.scalars(select(S3Object.encryption)).one() or "{}")
    assert document["algorithm"] == "AES256"
    key = bytes.fromhex(world.runtime.secrets.open(document["key"]))
    assert len(key) == 32 and key.hex() not in json.dumps(document)


def test_bucket_default_encrypts_and_plain_buckets_do_not(world: World) -> None:
    secured, plain = world.bucket(default=True), world.bucket()
    for bucket in (secured, plain):
        objects.put_object(world.runtime, bucket=bucket, key="k", source=io.BytesIO(MARKER))

    assert objects.head_object(world.runtime, bucket=secured, key="k").encryption == "AES256"
    assert objects.head_object(world.runtime, bucket=plain, key="k").encryption is None
    assert world.stored_bytes().count(MARKER) == 1
    assert read(world, secured, "k") == MARKER


def test_tampered_data_fail_a_full_read(world: World) -> None:
    bucket = world.bucket()
    objects.put_object(
        world.runtime, bucket=bucket, key="k", source=io.BytesIO(MARKER), encryption="AES256"
    )
    (path,) = [path for path in world.root.rglob("*") if path.is_file()]
    stored = bytearray(path.read_bytes())
    stored[3] ^= 1
    path.write_bytes(bytes(stored))

    with pytest.raises(s3_encryption.CorruptData):
        read(world, bucket, "k")
    assert len(read(world, bucket, "k", objects.ByteRange(first=1, last=5))) == 5


def test_kms_and_unknown_algorithms_are_refused(world: World) -> None:
    bucket = world.bucket()
    with pytest.raises(s3_encryption.UnsupportedEncryption):
        objects.put_object(
            world.runtime, bucket=bucket, key="k", source=io.BytesIO(b"x"), encryption="aws:kms"
        )
    with pytest.raises(InvalidParameterValue):
        s3_encryption.parse_configuration(
            {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "DES"}}]}
        )
    assert world.stored_bytes() == b""
