"""Multipart uploads in the in-process object API."""

from __future__ import annotations

from native.api.object_base import Action, ObjectApiBase
from native.drivers.objectstore.base import Readable
from native.services import (
    multipart,
)
from native.services.caller import Caller
from native.services.multipart import (
    CompletedPart,
    PartInfo,
    PartPage,
    UploadInfo,
    UploadPage,
)
from native.services.objects import (
    ByteRange,
    ObjectMeta,
    ObjectVersion,
)


class MultipartApi(ObjectApiBase):
    """Multipart uploads of a bucket's objects, for callers."""

    def create_multipart_upload(
        self, caller: Caller, *, bucket: str, key: str, meta: ObjectMeta | None = None
    ) -> UploadInfo:
        """`multipart.create_upload` for the caller (its account initiates the upload)."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT, key=key)
        return multipart.create_upload(
            self.runtime, bucket=row, key=key, account_id=caller.account_id, meta=meta
        )

    def upload_part(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        source: Readable,
        size: int | None = None,
    ) -> PartInfo:
        """`multipart.upload_part` for the caller."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT, key=key)
        return multipart.upload_part(
            self.runtime,
            bucket=row,
            key=key,
            upload_id=upload_id,
            part_number=part_number,
            source=source,
            size=size,
        )

    def upload_part_copy(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        source_bucket: str,
        source_key: str,
        source_version_id: str | None = None,
        byte_range: ByteRange | None = None,
    ) -> PartInfo:
        """`multipart.upload_part_copy` for the caller, who must be allowed to read the
        source (s3:GetObject, or s3:GetObjectVersion for a named version)."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT, key=key)
        read = Action.GET_OBJECT if source_version_id is None else Action.GET_OBJECT_VERSION
        source = self._bucket(
            caller, source_bucket, read, key=source_key, version_id=source_version_id
        )
        return multipart.upload_part_copy(
            self.runtime,
            bucket=row,
            key=key,
            upload_id=upload_id,
            part_number=part_number,
            source_bucket=source,
            source_key=source_key,
            source_version_id=source_version_id,
            byte_range=byte_range,
        )

    def complete_multipart_upload(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        parts: list[CompletedPart],
    ) -> ObjectVersion:
        """`multipart.complete_upload` for the caller."""
        row = self._bucket(caller, bucket, Action.PUT_OBJECT, key=key)
        return multipart.complete_upload(
            self.runtime, bucket=row, key=key, upload_id=upload_id, parts=parts
        )

    def abort_multipart_upload(
        self, caller: Caller | None, *, bucket: str, key: str, upload_id: str
    ) -> None:
        """`multipart.abort_upload` for the caller."""
        row = self._bucket(caller, bucket, Action.ABORT_MULTIPART_UPLOAD, key=key)
        multipart.abort_upload(self.runtime, bucket=row, key=key, upload_id=upload_id)

    def list_parts(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        key: str,
        upload_id: str,
        part_number_marker: int = 0,
        max_parts: int = multipart.MAX_LISTED,
    ) -> PartPage:
        """`multipart.list_parts` for the caller."""
        row = self._bucket(caller, bucket, Action.LIST_MULTIPART_UPLOAD_PARTS, key=key)
        return multipart.list_parts(
            self.runtime,
            bucket=row,
            key=key,
            upload_id=upload_id,
            part_number_marker=part_number_marker,
            max_parts=max_parts,
        )

    def list_multipart_uploads(
        self,
        caller: Caller | None,
        *,
        bucket: str,
        prefix: str = "",
        delimiter: str | None = None,
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
        max_uploads: int = multipart.MAX_LISTED,
    ) -> UploadPage:
        """`multipart.list_uploads` for the caller."""
        row = self._bucket(caller, bucket, Action.LIST_BUCKET_MULTIPART_UPLOADS)
        return multipart.list_uploads(
            self.runtime,
            bucket=row,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
        )
