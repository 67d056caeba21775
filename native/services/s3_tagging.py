"""S3 tag sets of buckets and objects: validation and their stored form.

Tag sets are stored (in `Bucket.tags` / `S3Object.tags`) as a JSON object {key: value},
None when there are none. Limits are S3's: 10 tags per object, 50 per bucket, keys of 1 to
128 characters, values of at most 256, unique keys, none starting with "aws:".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import parse_qsl

from native.services.errors import InvalidParameterValue

MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256


class InvalidTag(InvalidParameterValue):
    """A tag set S3 refuses."""


def check_tags(pairs: Sequence[tuple[str, str]], *, limit: int) -> dict[str, str]:
    """The tag set of (key, value) pairs, at most `limit` of them (InvalidTag otherwise)."""
    if len(pairs) > limit:
        raise InvalidTag(f"Object tags cannot be greater than {limit}")
    tags: dict[str, str] = {}
    for key, value in pairs:
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise InvalidTag("The TagKey you have provided is invalid")
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidTag("The TagValue you have provided is invalid")
        if key.lower().startswith("aws:"):
            raise InvalidTag("System tags cannot be added/updated by requester")
        if key in tags:
            raise InvalidTag("Cannot provide multiple Tags with the same key")
        tags[key] = value
    return tags


def parse_tagging_header(value: str) -> list[tuple[str, str]]:
    """The pairs of an `x-amz-tagging` header (URL query encoded: k1=v1&k2=v2)."""
    try:
        return parse_qsl(value, keep_blank_values=True, strict_parsing=bool(value))
    except ValueError:
        raise InvalidTag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded "
                         "URL query parameters without tag name duplicates.") from None  # fmt: skip


def dump_tags(tags: dict[str, str]) -> str | None:
    """The stored form of a tag set (None when empty)."""
    return json.dumps(tags) if tags else None


def load_tags(document: str | None) -> dict[str, str]:
    """The tag set of its stored form."""
    if document is None:
        return {}
    loaded: dict[str, str] = json.loads(document)
    return loaded
