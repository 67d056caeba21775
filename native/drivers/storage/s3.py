"""An image store in an S3 bucket (`s3://bucket/prefix`), reached with boto3.

`details` carries `endpoint`, `accesskey`, `secretkey` and optionally `region`. Objects
are whole files: S3 stores cannot create empty volumes or resize them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO, ClassVar, cast
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from native.drivers.storage.base import Progress, StorageDriver, StorageError, StoreStats


class S3Store(StorageDriver):
    """Objects are keys below `prefix` in `bucket`."""

    scheme = "s3"
    capabilities: ClassVar[dict[str, bool]] = {"snapshot": False, "resize": False, "sparse": False}

    def __init__(self, *, bucket: str, prefix: str, details: Mapping[str, str]) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.details = dict(details)
        self._client: Any = None

    @classmethod
    def from_url(cls, url: str, *, details: Mapping[str, str]) -> S3Store:
        parts = urlsplit(url)
        if not parts.netloc:
            raise StorageError(f"Invalid S3 location {url}: use s3://bucket/prefix")
        return cls(bucket=parts.netloc, prefix=parts.path, details=details)

    def _s3(self) -> Any:
        if self._client is None:
            self._client = boto3.client(
                "s3",
                endpoint_url=self.details.get("endpoint") or None,
                aws_access_key_id=self.details.get("accesskey"),
                aws_secret_access_key=self.details.get("secretkey"),
                region_name=self.details.get("region", "us-east-1"),
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
            )
        return self._client

    def _key(self, path: str) -> str:
        key = path.lstrip("/")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._s3(), operation)(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"S3 {what} failed on bucket {self.bucket}: {exc}") from None

    def stats(self) -> StoreStats:
        self._call("bucket check", "head_bucket", Bucket=self.bucket)
        return StoreStats(capacity=0, used=0)

    def create(self, *, path: str, size: int) -> None:
        raise StorageError("S3 image stores cannot create empty volumes")

    def write(
        self,
        *,
        path: str,
        source: BinaryIO,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> int:
        done = 0

        def counted(amount: int) -> None:
            nonlocal done
            done += amount
            if progress is not None:
                progress(done, size)

        try:
            self._s3().upload_fileobj(source, self.bucket, self._key(path), Callback=counted)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"S3 upload of {path} failed: {exc}") from None
        return done

    def read(self, *, path: str) -> BinaryIO:
        answer = self._call(
            f"read of {path}", "get_object", Bucket=self.bucket, Key=self._key(path)
        )
        return cast(BinaryIO, answer["Body"])

    def copy(self, *, source: str, target: str) -> int:
        self._call(
            f"copy of {source}",
            "copy_object",
            Bucket=self.bucket,
            Key=self._key(target),
            CopySource={"Bucket": self.bucket, "Key": self._key(source)},
        )
        return self.size(path=target)

    def resize(self, *, path: str, size: int) -> None:
        raise StorageError("S3 image stores cannot resize objects")

    def delete(self, *, path: str) -> None:
        self._call(f"delete of {path}", "delete_object", Bucket=self.bucket, Key=self._key(path))

    def exists(self, *, path: str) -> bool:
        try:
            self._s3().head_object(Bucket=self.bucket, Key=self._key(path))
        except ClientError:
            return False
        except BotoCoreError as exc:
            raise StorageError(f"S3 check of {path} failed: {exc}") from None
        return True

    def size(self, *, path: str) -> int:
        answer = self._call(
            f"stat of {path}", "head_object", Bucket=self.bucket, Key=self._key(path)
        )
        return int(answer["ContentLength"])
