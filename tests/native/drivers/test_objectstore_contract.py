"""What every object store driver promises, run against each one available here.

Local always runs. MinIO (any S3-compatible server through the `minio` client) runs only
when ALTO_TEST_S3_ENDPOINT (http://host:port), ALTO_TEST_S3_ACCESS_KEY and
ALTO_TEST_S3_SECRET_KEY name a server. NFS runs against the export ALTO_TEST_NFS_URL names
(nfs://server/export), or else against a test NFS server started here for the module
(`tests.support.nfs_server`), and is skipped only when neither is possible.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from native.drivers.objectstore import open_store
from native.drivers.objectstore.base import (
    CHUNK,
    IncompleteStream,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
)
from tests.support.nfs_server import nfs_server_or_skip

S3_ENV = ("ALTO_TEST_S3_ENDPOINT", "ALTO_TEST_S3_ACCESS_KEY", "ALTO_TEST_S3_SECRET_KEY")


def _minio_store() -> ObjectStore:
    if not all(os.environ.get(name) for name in S3_ENV):
        pytest.skip(
            "no S3-compatible server to test the MinIO driver against: set " + ", ".join(S3_ENV)
        )
    return open_store(
        provider="MinIO",
        url=os.environ["ALTO_TEST_S3_ENDPOINT"],
        details={
            "accesskey": os.environ["ALTO_TEST_S3_ACCESS_KEY"],
            "secretkey": os.environ["ALTO_TEST_S3_SECRET_KEY"],
            "bucketprefix": f"alto-test-{uuid.uuid4().hex[:8]}-",
        },
    )


@pytest.fixture(scope="module")
def nfs_url() -> Iterator[str]:
    """ALTO_TEST_NFS_URL, or the export of a test NFS server run for this module. Each test
    uses containers of its own (uuids) at the export's root."""
    if url := os.environ.get("ALTO_TEST_NFS_URL"):
        yield url
    else:
        yield from (server.url for server in nfs_server_or_skip())


@pytest.fixture(params=["Local", "MinIO", "NFS"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    provider = request.param
    if provider == "Local":
        made = open_store(provider="Local", url=(tmp_path / "root").as_uri(), details={})
    elif provider == "MinIO":
        made = _minio_store()
    else:
        url = request.getfixturevalue("nfs_url")
        made = open_store(provider="NFS", url=url, details={})
    yield made


def read_all(store: ObjectStore, container: str, path: str, **window: int) -> bytes:
    with store.get(container=container, path=path, **window) as stream:  # type: ignore[arg-type]
        return b"".join(stream)


@pytest.fixture
def container(store: ObjectStore) -> Iterator[str]:
    name = str(uuid.uuid4())
    store.create_container(container=name)
    store.create_container(container=name)
    yield name
    store.delete_container(container=name)


def test_put_get_and_ranges(store: ObjectStore, container: str) -> None:
    data = bytes(range(256)) * (CHUNK // 256 * 3 + 1)
    stored = store.put(container=container, path="ab/obj", source=io.BytesIO(data))
    assert (stored.size, stored.md5) == (len(data), hashlib.md5(data).hexdigest())
    assert store.exists(container=container, path="ab/obj")
    assert store.size(container=container, path="ab/obj") == len(data)
    assert read_all(store, container, "ab/obj") == data
    assert (
        read_all(store, container, "ab/obj", offset=CHUNK - 3, length=10)
        == data[CHUNK - 3 : CHUNK + 7]
    )
    assert read_all(store, container, "ab/obj", offset=len(data) - 5) == data[-5:]
    chunks = list(store.get(container=container, path="ab/obj"))
    assert max(len(chunk) for chunk in chunks) <= CHUNK


def test_a_put_of_many_chunks_hashes_them_in_order(store: ObjectStore, container: str) -> None:
    data = os.urandom(CHUNK * 7 + 5)
    stored = store.put(container=container, path="many", source=io.BytesIO(data), size=len(data))
    assert (stored.size, stored.md5) == (len(data), hashlib.md5(data).hexdigest())
    assert read_all(store, container, "many") == data


def test_sizes_and_empty_objects(store: ObjectStore, container: str) -> None:
    stored = store.put(container=container, path="empty", source=io.BytesIO(b""), size=0)
    assert stored.size == 0 and stored.md5 == hashlib.md5(b"").hexdigest()
    assert read_all(store, container, "empty", length=0) == b""
    exact = store.put(container=container, path="five", source=io.BytesIO(b"0123456789"), size=5)
    assert exact.size == 5 and read_all(store, container, "five") == b"01234"
    with pytest.raises(IncompleteStream):
        store.put(container=container, path="short", source=io.BytesIO(b"abc"), size=10)
    assert not store.exists(container=container, path="short")


def test_replace_copy_delete(store: ObjectStore, container: str) -> None:
    store.put(container=container, path="k", source=io.BytesIO(b"first"))
    store.put(container=container, path="k", source=io.BytesIO(b"second"))
    assert read_all(store, container, "k") == b"second"
    other = str(uuid.uuid4())
    store.create_container(container=other)
    try:
        assert store.copy(container=container, source="k", target_container=other, target="c") == 6
        assert read_all(store, other, "c") == b"second"
    finally:
        store.delete_container(container=other)
    store.delete(container=container, path="k")
    store.delete(container=container, path="k")
    assert not store.exists(container=container, path="k")
    with pytest.raises(ObjectMissing):
        store.get(container=container, path="k")
    with pytest.raises(ObjectMissing):
        store.size(container=container, path="k")


@pytest.mark.parametrize("kernel", [True, False], ids=["driver", "streamed"])
def test_concatenate_joins_objects_in_order(
    store: ObjectStore, container: str, kernel: bool
) -> None:
    """The driver's own `concatenate`, and the streaming one every store inherits."""
    join = store.concatenate if kernel else partial(ObjectStore.concatenate, store)
    parts = [os.urandom(CHUNK + 3), b"", b"tail"]
    for number, data in enumerate(parts):
        store.put(container=container, path=f"parts/{number}", source=io.BytesIO(data))
    sources = ["parts/2", "parts/0", "parts/1", "parts/2"]
    assert join(container=container, sources=sources, target="joined") == CHUNK + 11
    assert read_all(store, container, "joined") == b"tail" + parts[0] + b"tail"

    with pytest.raises(ObjectMissing):
        join(container=container, sources=["parts/0", "parts/9"], target="broken")
    assert not store.exists(container=container, path="broken")
    assert read_all(store, container, "joined") == b"tail" + parts[0] + b"tail"


def test_unsafe_names_are_refused(store: ObjectStore, container: str) -> None:
    for path in ("../escape", "/absolute", "a//b", ".hidden", ""):
        with pytest.raises(ObjectStoreError):
            store.put(container=container, path=path, source=io.BytesIO(b"x"))
    with pytest.raises(ObjectStoreError):
        store.create_container(container="../up")


def test_stats(store: ObjectStore) -> None:
    stats = store.stats()
    assert stats.capacity is None or stats.capacity > 0
