"""What every EC2 Describe action shares: filters, tag filters and MaxResults/NextToken pages.

    DESCRIBER = Describer(
        filters={"key-name": lambda pair: [pair["KeyName"]]},
        key=lambda pair: pair["KeyPairId"],
    )
    items, token = DESCRIBER.page(rendered_items, params)

A filter maps an item (already in its EC2 output shape) to the values it has for that name;
an item matches a filter when any value matches any of the filter's values (`*` and `?` are
wildcards); it matches the request when it matches every filter. `tag:<key>`, `tag-key` and
`tag-value` work on every item with `Tags` (or `TagSet`).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from translator.context import Params
from translator.errors import InvalidPaginationToken, InvalidParameterValue

Item = dict[str, Any]
FilterFunction = Callable[[Item], Iterable[Any]]


def _tags(item: Item) -> list[dict[str, str]]:
    return list(item.get("Tags") or item.get("TagSet") or [])


TAG_FILTERS: Mapping[str, FilterFunction] = {
    "tag-key": lambda item: [tag["Key"] for tag in _tags(item)],
    "tag-value": lambda item: [tag["Value"] for tag in _tags(item)],
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _matcher(patterns: Sequence[str]) -> Callable[[Any], bool]:
    exact = {pattern for pattern in patterns if "*" not in pattern and "?" not in pattern}
    wild = [re.compile(fnmatch.translate(pattern)) for pattern in patterns if pattern not in exact]

    def matches(value: Any) -> bool:
        text = _text(value)
        return text in exact or any(regex.match(text) for regex in wild)

    return matches


@dataclass(frozen=True, kw_only=True)
class Describer:
    """Filters and pages one kind of item. `key` orders items stably for NextToken."""

    filters: Mapping[str, FilterFunction]
    key: Callable[[Item], str]
    default_max: int | None = None
    max_results: tuple[int, int] = (5, 1000)
    tags: bool = field(default=True)

    def function(self, name: str) -> FilterFunction:
        """The filter function for a filter name, or InvalidParameterValue."""
        if self.tags and name.startswith("tag:"):
            tag_key = name[4:]
            return lambda item: [tag["Value"] for tag in _tags(item) if tag["Key"] == tag_key]
        if self.tags and name in TAG_FILTERS:
            return TAG_FILTERS[name]
        if name in self.filters:
            return self.filters[name]
        raise InvalidParameterValue(f"The filter '{name}' is invalid")

    def matching(self, items: Iterable[Item], params: Params) -> list[Item]:
        """The items that match every filter of the request's `Filters`."""
        tests = [
            (self.function(str(entry.get("Name", ""))), _matcher(list(entry.get("Values", []))))
            for entry in params.get("Filters") or []
        ]
        return [
            item
            for item in items
            if all(any(matches(value) for value in values(item)) for values, matches in tests)
        ]

    def page(self, items: Iterable[Item], params: Params) -> tuple[list[Item], str | None]:
        """The filtered items of this page (by `MaxResults` and `NextToken`), and the token
        of the next page (None on the last)."""
        matched = sorted(self.matching(items, params), key=self.key)
        limit = params.get("MaxResults", self.default_max)
        token = params.get("NextToken")
        start = 0
        if token:
            after = _decode(str(token))
            start = next(
                (index for index, item in enumerate(matched) if self.key(item) > after),
                len(matched),
            )
        if limit is None:
            return matched[start:], None
        low, high = self.max_results
        if not low <= int(limit) <= high:
            raise InvalidParameterValue(
                f"Value ( {limit} ) for parameter maxResults is invalid. "
                f"Expecting a value greater than {low - 1} and at most {high}."
            )
        page = matched[start : start + int(limit)]
        more = start + int(limit) < len(matched)
        return page, _encode(self.key(page[-1])) if more and page else None


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidPaginationToken(f"Invalid pagination token: {token}") from None
