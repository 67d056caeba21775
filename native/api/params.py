"""Declared command parameters: their types, parsing and validation.

A command declares each parameter once, as a class attribute:

    name = string(description="the name of the domain", length=255).required()
    parentdomainid = uuid_of(Domain, description="the parent domain")

The API name is the attribute name unless `api_name` is given. Parsing, the
CloudStack error for a bad value, `listApis` and the docs all derive from it.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
import uuid as uuidlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, MalformedParameter
from native.services.visibility import can_see

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True, kw_only=True)
class ParseScope:
    """What parsing needs beyond the raw text: the command, the database and the caller."""

    command: str
    session: Session
    caller: Caller


class Kind(abc.ABC, Generic[T]):
    """How one parameter type is written on the wire and parsed."""

    type_name = "string"

    @abc.abstractmethod
    def parse(self, raw: str, *, name: str, scope: ParseScope) -> T:
        """The value of `raw`; MalformedParameter or InvalidParameterValue naming `name`."""

    def parse_many(self, raws: Sequence[str], *, name: str, scope: ParseScope) -> list[T]:
        """The values of several raw items of one list parameter, in order (as `parse`)."""
        return [self.parse(raw, name=name, scope=scope) for raw in raws]

    def describe_related(self) -> str | None:
        return None


def _malformed(scope: ParseScope, name: str, raw: str) -> MalformedParameter:
    return MalformedParameter(
        f"Unable to execute API command {scope.command.lower()} due to invalid value "
        f"{raw} for parameter {name}"
    )


def invalid_value(scope: ParseScope, name: str, raw: str, why: str) -> InvalidParameterValue:
    """CloudStack's 431 for a parameter whose value parses but is not acceptable."""
    return InvalidParameterValue(
        f"Unable to execute API command {scope.command.lower()} due to invalid value. "
        f"Invalid parameter {name} value={raw} {why}"
    )


class StringKind(Kind[str]):
    type_name = "string"

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> str:
        return raw


class IntegerKind(Kind[int]):
    """A signed integer of `bits` bits (`integer` is 32, `long` is 64, `short` is 16)."""

    def __init__(self, *, type_name: str, bits: int) -> None:
        self.type_name = type_name
        self.limit = 2 ** (bits - 1)

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> int:
        try:
            value = int(raw.strip(), 10)
        except ValueError:
            raise _malformed(scope, name, raw) from None
        if not -self.limit <= value < self.limit:
            raise _malformed(scope, name, raw)
        return value


class BooleanKind(Kind[bool]):
    type_name = "boolean"

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> bool:
        lowered = raw.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise _malformed(scope, name, raw)


_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class DateKind(Kind[dt.datetime]):
    """CloudStack dates: `yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss`, or ISO-8601 with a zone.

    A date without a zone is taken as UTC.
    """

    type_name = "date"

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> dt.datetime:
        text = raw.strip()
        for fmt in _DATE_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed
        raise MalformedParameter(
            f"Unable to execute API command {scope.command.lower()} due to invalid value "
            f"{raw} for parameter {name}: use yyyy-MM-dd, 'yyyy-MM-dd HH:mm:ss' or "
            "yyyy-MM-dd'T'HH:mm:ssZ"
        )


Visible = Callable[[Session, Caller, T], bool]
"""A rule for which rows of one kind a caller may name (in place of `can_see`)."""


class UuidKind(Kind[T]):
    """A UUID naming a live row of `entity` that the caller may see; parses to the row.

    `visible` replaces `visibility.can_see` as the rule (a rule may call it itself);
    `include_removed` also names soft-removed rows.
    """

    type_name = "uuid"

    def __init__(
        self,
        entity: type[T],
        *,
        visible: Visible[T] | None = None,
        include_removed: bool = False,
    ) -> None:
        self.entity = entity
        self.visible = visible
        self.include_removed = include_removed

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> T:
        return self.parse_many([raw], name=name, scope=scope)[0]

    def parse_many(self, raws: Sequence[str], *, name: str, scope: ParseScope) -> list[T]:
        """The rows of several UUIDs, in their order, read in one query; the error for the
        first that is malformed, unknown or not visible."""
        texts = [raw.strip() for raw in raws]
        for raw, text in zip(raws, texts, strict=True):
            try:
                uuidlib.UUID(text)
            except ValueError:
                raise self._unknown(scope, name, raw) from None
        if not texts:
            return []
        model = cast(Any, self.entity)
        query = select(model).where(model.uuid.in_(set(texts)))
        if hasattr(model, "removed") and not self.include_removed:
            query = query.where(model.removed.is_(None))
        found: list[Any] = list(scope.session.scalars(query))
        by_uuid: dict[str, T] = {row.uuid: row for row in found}
        rows: list[T] = []
        for raw, text in zip(raws, texts, strict=True):
            row = by_uuid.get(text)
            if row is None or not self._visible(scope, row):
                raise self._unknown(scope, name, raw)
            rows.append(row)
        return rows

    def _visible(self, scope: ParseScope, row: T) -> bool:
        if self.visible is None:
            return can_see(scope.caller, row, scope.session)
        return self.visible(scope.session, scope.caller, row)

    def _unknown(self, scope: ParseScope, name: str, raw: str) -> InvalidParameterValue:
        return invalid_value(
            scope,
            name,
            raw,
            f"due to incorrect long value format, or entity does not exist or due to "
            f"incorrect parameter annotation for the field in api cmd class "
            f"(no {self.entity.__name__.lower()} with that id is visible to you).",
        )

    def describe_related(self) -> str | None:
        return self.entity.__name__


class ListKind(Kind[list[T]]):
    """A comma-separated list of `item` values."""

    type_name = "list"

    def __init__(self, item: Kind[T]) -> None:
        self.item = item

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> list[T]:
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        return self.item.parse_many(parts, name=name, scope=scope)

    def describe_related(self) -> str | None:
        return self.item.describe_related()


class MapKind(Kind[list[dict[str, str]]]):
    """`name[0].key=value&name[0].other=…`: a list of string maps in index order.

    Parsed by the command from every raw parameter, since one map spans many.
    """

    type_name = "map"

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> list[dict[str, str]]:
        raise MalformedParameter(f"parameter {name} must be given as {name}[0].key=value")


def parse_map(name: str, raw: Mapping[str, str]) -> list[dict[str, str]] | None:
    """Collect `name[i].key=value` parameters (name matched case-insensitively)."""
    pattern = re.compile(rf"^{re.escape(name)}\[(\d+)\]\.([A-Za-z0-9_.\-]+)$", re.IGNORECASE)
    entries: dict[int, dict[str, str]] = {}
    for key, value in raw.items():
        matched = pattern.match(key)
        if matched:
            entries.setdefault(int(matched.group(1)), {})[matched.group(2)] = value
    if not entries:
        return None
    return [entries[index] for index in sorted(entries)]


class Param(Generic[V]):
    """A declared parameter. Read on a command instance, it gives the parsed value."""

    def __init__(
        self,
        kind: Kind[Any],
        *,
        description: str,
        length: int | None = None,
        since: str | None = None,
        api_name: str | None = None,
        is_required: bool = False,
        sensitive: bool = False,
    ) -> None:
        self.kind = kind
        self.description = description
        self.length = length
        self.since = since
        self.api_name = api_name
        self.is_required = is_required
        self.sensitive = sensitive
        self.attribute = ""

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute
        if self.api_name is None:
            self.api_name = attribute

    @property
    def name(self) -> str:
        assert self.api_name is not None, "Param used before its class was created"
        return self.api_name

    def required(self: Param[T | None]) -> Param[T]:
        """The same parameter, but a request without it fails with CloudStack's 431."""
        return Param(
            self.kind,
            description=self.description,
            length=self.length,
            since=self.since,
            api_name=self.api_name,
            is_required=True,
            sensitive=self.sensitive,
        )

    @overload
    def __get__(self, instance: None, owner: type) -> Param[V]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> V: ...

    def __get__(self, instance: object | None, owner: type) -> Param[V] | V:
        if instance is None:
            return self
        return cast(V, cast(Any, instance)._values[self.name])

    def parse(self, raw: Mapping[str, str], *, scope: ParseScope) -> V:
        """The parsed value from the raw request parameters (matched case-insensitively)."""
        if isinstance(self.kind, MapKind):
            value: Any = parse_map(self.name, raw)
            if value is None and self.is_required:
                raise self._missing(scope)
            return cast(V, value)
        text = _lookup(raw, self.name)
        if text is None or (text == "" and not isinstance(self.kind, StringKind)):
            if self.is_required:
                raise self._missing(scope)
            return cast(V, None)
        if self.length is not None and len(text) > self.length:
            raise invalid_value(
                scope,
                self.name,
                text[:64],
                f"is longer than the maximum of {self.length} characters",
            )
        return cast(V, self.kind.parse(text, name=self.name, scope=scope))

    def _missing(self, scope: ParseScope) -> InvalidParameterValue:
        return InvalidParameterValue(
            f"Unable to execute API command {scope.command.lower()} due to missing parameter "
            f"{self.name}"
        )


def _lookup(raw: Mapping[str, str], name: str) -> str | None:
    if name in raw:
        return raw[name]
    lowered = name.lower()
    for key, value in raw.items():
        if key.lower() == lowered:
            return value
    return None


def string(
    *,
    description: str,
    length: int | None = 255,
    since: str | None = None,
    api_name: str | None = None,
    sensitive: bool = False,
) -> Param[str | None]:
    """A string parameter, at most `length` characters (None for no limit). A `sensitive`
    one (a password, a pre-shared key) is kept sealed while its async job waits."""
    return Param(
        StringKind(),
        description=description,
        length=length,
        since=since,
        api_name=api_name,
        sensitive=sensitive,
    )


def integer(
    *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[int | None]:
    """A 32-bit integer parameter."""
    return Param(
        IntegerKind(type_name="integer", bits=32),
        description=description,
        since=since,
        api_name=api_name,
    )


def long(
    *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[int | None]:
    """A 64-bit integer parameter."""
    return Param(
        IntegerKind(type_name="long", bits=64),
        description=description,
        since=since,
        api_name=api_name,
    )


def boolean(
    *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[bool | None]:
    """A boolean parameter: `true` or `false`, any case."""
    return Param(BooleanKind(), description=description, since=since, api_name=api_name)


def date(
    *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[dt.datetime | None]:
    """A date parameter, parsed to an aware UTC datetime."""
    return Param(DateKind(), description=description, since=since, api_name=api_name)


def uuid_of(
    entity: type[T],
    *,
    description: str,
    since: str | None = None,
    api_name: str | None = None,
    visible: Visible[T] | None = None,
    include_removed: bool = False,
) -> Param[T | None]:
    """The UUID of a live `entity` row the caller may see, parsed to the row itself.

    `visible` and `include_removed` are as for `UuidKind`.
    """
    return Param(
        UuidKind(entity, visible=visible, include_removed=include_removed),
        description=description,
        length=40,
        since=since,
        api_name=api_name,
    )


def uuids_of(
    entity: type[T],
    *,
    description: str,
    since: str | None = None,
    api_name: str | None = None,
    visible: Visible[T] | None = None,
    include_removed: bool = False,
) -> Param[list[T] | None]:
    """A comma-separated list of `uuid_of` values, parsed to the rows."""
    return list_of(
        UuidKind(entity, visible=visible, include_removed=include_removed),
        description=description,
        since=since,
        api_name=api_name,
    )


def list_of(
    item: Kind[T], *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[list[T] | None]:
    """A comma-separated list, each item parsed as `item` (`uuids_of` for lists of rows)."""
    return Param(
        ListKind(item), description=description, length=None, since=since, api_name=api_name
    )


def map_of(
    *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[list[dict[str, str]] | None]:
    """A map parameter, `name[0].key=value`, parsed to a list of dicts in index order."""
    return Param(MapKind(), description=description, length=None, since=since, api_name=api_name)
