"""Declared response objects and the results a command returns.

A response object declares its fields once:

    class DomainResponse(ResponseObject, object_name="domain"):
        id = Field("the ID of the domain")
        level = Field("the level of the domain", type="integer")

`listApis` reads the declarations; `render` turns instances into the envelope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

Tree = dict[str, Any]


class Field:
    """One response field: its description, wire type and, for lists, the item type."""

    def __init__(
        self,
        description: str,
        *,
        type: str = "string",
        of: type[ResponseObject] | None = None,
        since: str | None = None,
    ) -> None:
        self.description = description
        self.type = "list" if of is not None else type
        self.of = of
        self.since = since
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


def format_date(value: dt.datetime) -> str:
    """CloudStack's date format: `2026-11-22T23:33:01+0000`."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


_PLAIN = frozenset({str, int, bool, float})
"""Value types that are their own tree."""


def _to_tree(value: Any) -> Any:
    if isinstance(value, ResponseObject):
        return value.to_tree()
    if isinstance(value, dt.datetime):
        return format_date(value)
    if isinstance(value, list | tuple):
        return [_to_tree(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_tree(item) for key, item in value.items() if item is not None}
    return value


class ResponseObject:
    """Base of declared response objects. Unset or None fields are left out, as CloudStack does.

    `object_name` is the key the object is wrapped in (`domain`, `account`…). An `inline`
    object is rendered directly under the response envelope when returned alone
    (queryAsyncJobResult, login).
    """

    object_name: ClassVar[str]
    inline: ClassVar[bool] = False
    fields: ClassVar[dict[str, Field]] = {}
    field_names: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(
        cls, *, object_name: str | None = None, inline: bool = False, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if object_name is not None:
            cls.object_name = object_name
        cls.inline = inline
        collected: dict[str, Field] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Field):
                    collected[name] = value
        cls.fields = collected
        cls.field_names = frozenset(collected)

    def __init__(self, **values: Any) -> None:
        unknown = values.keys() - self.field_names
        if unknown:
            raise TypeError(f"{type(self).__name__} has no fields {sorted(unknown)}")
        self.values = values

    def to_tree(self) -> Tree:
        """The object as plain JSON-able data, in declaration order, without None values."""
        values = self.values
        tree: dict[str, Any] = {}
        for name in self.fields:
            value = values.get(name)
            if value is None:
                continue
            tree[name] = value if type(value) in _PLAIN else _to_tree(value)
        return tree


@dataclass(frozen=True)
class ListResult:
    """One page of a list command: the items, and `count` across all pages."""

    items: Sequence[ResponseObject]
    count: int


@dataclass(frozen=True)
class SuccessResult:
    """`{"success": true}`, with an optional `displaytext`."""

    display_text: str | None = None


Result = ResponseObject | ListResult | SuccessResult
