"""An object store on any S3-compatible server (MinIO, Ceph RGW, another Alto), reached with
the `minio` client.

A container is a bucket of that server named `<bucket prefix><container>`. Uploads of
unknown length go up as multipart uploads of PART_SIZE parts, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar, TypeVar
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.commonconfig import ComposeSource, CopySource
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error
from urllib3.exceptions import HTTPError

from native.drivers.objectstore.base import (
    CHUNK,
    ByteStream,
    HashingReader,
    ObjectMissing,
    ObjectStore,
    ObjectStoreError,
    Readable,
    Stored,
    StoreStats,
    checked_name,
)

T = TypeVar("T")

PART_SIZE = 16 * 1024 * 1024
COPY_LIMIT = 5 * 1024**3
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "NoSuchObject"})


class ResponseChunks(ByteStream):
    """The body of a GET response, a chunk at a time; closing releases the connection."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response
        self._chunks: Iterator[bytes] = response.stream(CHUNK)

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise
        except HTTPError as exc:
            self.close()
            raise ObjectStoreError(f"Reading from the S3 server failed: {exc}") from None

    def close(self) -> None:
        self._response.close()
        self._response.release_conn()


class NoChunks(ByteStream):
    """The body of an empty object or range: nothing to read, nothing to release."""

    def __next__(self) -> bytes:
        raise StopIteration

    def close(self) -> None:
        return None


class MinioObjectStore(ObjectStore):
    """Containers are buckets of the server at `endpoint` (`http://host:port` or https)."""

    provider = "MinIO"
    capabilities: ClassVar[dict[str, bool]] = {"atomic_put": True, "range_get": True}

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket_prefix: str = "alto-",
        region: str | None = None,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ObjectStoreError(
                f"Invalid S3 endpoint {endpoint}: use http://host:port or https://host:port"
            )
        self.endpoint = endpoint
        self.bucket_prefix = bucket_prefix
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=10, read=120),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        )
        self._client = Minio(
            parts.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=parts.scheme == "https",
            region=region,
            http_client=http,
        )

    def _bucket(self, container: str) -> str:
        return self.bucket_prefix + checked_name(container)

    def _call(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except S3Error as exc:
            if exc.code in MISSING_CODES:
                raise ObjectMissing(f"{what}: {exc.code}") from None
            raise ObjectStoreError(f"{what} failed on {self.endpoint}: {exc.code} {exc.message}")
        except (MinioException, HTTPError, ValueError) as exc:
            raise ObjectStoreError(f"{what} failed on {self.endpoint}: {exc}") from None

    def stats(self) -> StoreStats:
        self._call("Listing buckets", self._client.list_buckets)
        return StoreStats(capacity=None, used=None)

    def create_container(self, *, container: str) -> None:
        bucket = self._bucket(container)

        def create() -> None:
            if not self._client.bucket_exists(bucket):
                self._client.make_bucket(bucket)

        self._call(f"Creating bucket {bucket}", create)

    def delete_container(self, *, container: str) -> None:
        bucket = self._bucket(container)

        def delete() -> None:
            if not self._client.bucket_exists(bucket):
                return
            names = (
                DeleteObject(item.object_name or "")
                for item in self._client.list_objects(bucket, recursive=True)
            )
            for error in self._client.remove_objects(bucket, names):
                raise ObjectStoreError(f"Cannot delete {error.name}: {error.message}")
            self._client.remove_bucket(bucket)

        self._call(f"Deleting bucket {bucket}", delete)

    def put(
        self, *, container: str, path: str, source: Readable, size: int | None = None
    ) -> Stored:
        bucket, name = self._bucket(container), checked_name(path)
        reader = HashingReader(source, size=size)
        self._call(
            f"Uploading {bucket}/{name}",
            lambda: self._client.put_object(
                bucket,
                name,
                reader,  # type: ignore[arg-type]
                -1 if size is None else size,
                part_size=PART_SIZE if size is None else 0,
                num_parallel_uploads=1,
            ),
        )
        return reader.stored()

    def get(
        self, *, container: str, path: str, offset: int = 0, length: int | None = None
    ) -> ByteStream:
        bucket, name = self._bucket(container), checked_name(path)
        if length == 0:
            self._call(f"Reading {bucket}/{name}", lambda: self._client.stat_object(bucket, name))
            return NoChunks()
        response = self._call(
            f"Reading {bucket}/{name}",
            lambda: self._client.get_object(bucket, name, offset=offset, length=length or 0),
        )
        return ResponseChunks(response)

    def delete(self, *, container: str, path: str) -> None:
        bucket, name = self._bucket(container), checked_name(path)
        try:
            self._call(
                f"Deleting {bucket}/{name}", lambda: self._client.remove_object(bucket, name)
            )
        except ObjectMissing:
            return

    def exists(self, *, container: str, path: str) -> bool:
        try:
            self.size(container=container, path=path)
        except ObjectMissing:
            return False
        return True

    def size(self, *, container: str, path: str) -> int:
        bucket, name = self._bucket(container), checked_name(path)
        stat = self._call(
            f"Reading {bucket}/{name}", lambda: self._client.stat_object(bucket, name)
        )
        return int(stat.size or 0)

    def copy(self, *, container: str, source: str, target_container: str, target: str) -> int:
        size = self.size(container=container, path=source)
        bucket, name = self._bucket(container), checked_name(source)
        into, target_name = self._bucket(target_container), checked_name(target)
        if size > COPY_LIMIT:
            self._call(
                f"Copying {bucket}/{name}",
                lambda: self._client.compose_object(
                    into, target_name, [ComposeSource(bucket, name)]
                ),
            )
        else:
            self._call(
                f"Copying {bucket}/{name}",
                lambda: self._client.copy_object(into, target_name, CopySource(bucket, name)),
            )
        return size
