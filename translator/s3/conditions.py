"""HTTP preconditions on an object version (RFC 9110 section 13.2.2, as S3 applies them)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gateway.s3 import errors as s3
from native.api.objects import ByteRange, ObjectVersion
from translator.s3.context import Params

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True, kw_only=True)
class Preconditions:
    """The four conditional headers of a read, or of a copy's source."""

    if_match: str | None
    if_none_match: str | None
    if_modified_since: dt.datetime | None
    if_unmodified_since: dt.datetime | None

    @classmethod
    def of(cls, params: Params, *, prefix: str = "") -> Preconditions:
        def get(name: str) -> object:
            return params.get(prefix + name)

        match, none_match = get("IfMatch"), get("IfNoneMatch")
        modified, unmodified = get("IfModifiedSince"), get("IfUnmodifiedSince")
        return cls(
            if_match=match if isinstance(match, str) else None,
            if_none_match=none_match if isinstance(none_match, str) else None,
            if_modified_since=modified if isinstance(modified, dt.datetime) else None,
            if_unmodified_since=unmodified if isinstance(unmodified, dt.datetime) else None,
        )

    def check(self, version: ObjectVersion, *, not_modified: type[s3.S3Error]) -> None:
        """Raise PreconditionFailed, or `not_modified` (304 for reads, 412 for copies),
        when the version does not satisfy the conditions."""
        modified = version.last_modified.replace(microsecond=0)
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=dt.UTC)
        if self.if_match is not None:
            if not _etag_matches(self.if_match, version.etag):
                raise s3.PreconditionFailed(Condition="If-Match")
        elif self.if_unmodified_since is not None and modified > self.if_unmodified_since:
            raise s3.PreconditionFailed(Condition="If-Unmodified-Since")
        if self.if_none_match is not None:
            if _etag_matches(self.if_none_match, version.etag):
                raise not_modified(headers={"ETag": f'"{version.etag}"'})
        elif self.if_modified_since is not None and modified <= self.if_modified_since:
            raise not_modified(headers={"ETag": f'"{version.etag}"'})


def _etag_matches(condition: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in condition.split(",")}
    return "*" in tags or etag in tags


def byte_range(header: str | None) -> ByteRange | None:
    """The single byte range of a `Range` header; None when absent or not one range (S3
    then sends the whole object)."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or not (match.group(1) or match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        return ByteRange(first=None, last=int(last))
    return ByteRange(first=int(first), last=int(last) if last else None)
