"""Reading a Query request's flat parameters (`Filter.1.Value.2=x`) into an operation's input.

The inverse of botocore's `EC2Serializer` and `QuerySerializer`: member names are the model's
`queryName`, its capitalised `locationName` (EC2) or `locationName` (Query), else the member
name; EC2 lists are always `Name.N`, Query lists `Name.member.N` unless flattened.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from translator.errors import InvalidParameterValue, MissingParameter

Input = dict[str, Any]


class _Reader:
    def __init__(self, params: Mapping[str, str], *, ec2: bool) -> None:
        self.params = params
        self.ec2 = ec2
        self.keys = sorted(params)

    def name_of(self, shape: Shape, default: str) -> str:
        serialization = shape.serialization
        if self.ec2:
            if "queryName" in serialization:
                return str(serialization["queryName"])
            if "name" in serialization:
                name = str(serialization["name"])
                return name[:1].upper() + name[1:]
            return default
        return str(serialization.get("name", default))

    def has_prefix(self, prefix: str) -> bool:
        dotted = f"{prefix}."
        return prefix in self.params or any(key.startswith(dotted) for key in self.keys)

    def read(self, shape: Shape, prefix: str) -> Any:
        if isinstance(shape, StructureShape):
            return self.structure(shape, prefix)
        if isinstance(shape, ListShape):
            return self.list(shape, prefix)
        if isinstance(shape, MapShape):
            return self.map(shape, prefix)
        return self.scalar(shape, prefix)

    def structure(self, shape: StructureShape, prefix: str) -> Input | None:
        found: Input = {}
        for member, member_shape in shape.members.items():
            key = self.name_of(member_shape, member)
            full = f"{prefix}.{key}" if prefix else key
            if self.has_prefix(full):
                value = self.read(member_shape, full)
                if value is not None:
                    found[member] = value
        missing = [name for name in shape.required_members if name not in found]
        if missing and (found or not prefix):
            where = f"{prefix}." if prefix else ""
            raise MissingParameter(
                f"The request must contain the parameter {where}{self.name_of(shape.members[missing[0]], missing[0])}"
            )
        return found if found or not prefix else None

    def list(self, shape: ListShape, prefix: str) -> list[Any]:
        if self.params.get(prefix) == "":
            return []
        if self.ec2 or shape.serialization.get("flattened"):
            base = prefix
        else:
            base = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        indices = sorted(
            {
                int(head)
                for key in self.keys
                if key.startswith(f"{base}.")
                and (head := key[len(base) + 1 :].split(".", 1)[0]).isdigit()
            }
        )
        items = [self.read(shape.member, f"{base}.{index}") for index in indices]
        return [item for item in items if item is not None]

    def map(self, shape: MapShape, prefix: str) -> dict[str, Any]:
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = self.name_of(shape.key, "key")
        value_name = self.name_of(shape.value, "value")
        found: dict[str, Any] = {}
        index = 1
        while f"{base}.{index}.{key_name}" in self.params:
            found[self.params[f"{base}.{index}.{key_name}"]] = self.read(
                shape.value, f"{base}.{index}.{value_name}"
            )
            index += 1
        return found

    def scalar(self, shape: Shape, prefix: str) -> Any:
        raw = self.params.get(prefix)
        if raw is None:
            return None
        kind = shape.type_name
        try:
            if kind in ("integer", "long"):
                return int(raw)
            if kind in ("float", "double"):
                return float(raw)
            if kind == "boolean":
                lowered = raw.lower()
                if lowered not in ("true", "false"):
                    raise ValueError(raw)
                return lowered == "true"
            if kind == "timestamp":
                return _timestamp(raw)
            if kind == "blob":
                return base64.b64decode(raw, validate=True)
        except (ValueError, binascii.Error):
            raise InvalidParameterValue(
                f"Value ({raw}) for parameter {prefix} is invalid. Expected: '{kind}'."
            ) from None
        return raw


def _timestamp(raw: str) -> dt.datetime:
    if raw.isdigit():
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    parsed = dt.datetime.fromisoformat(raw)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_input(*, operation: OperationModel, params: Mapping[str, str], protocol: str) -> Input:
    """The operation's input from the request's flat parameters (`Action` and `Version`
    ignored). Raises MissingParameter or InvalidParameterValue for what the model forbids."""
    shape = operation.input_shape
    if shape is None:
        return {}
    reader = _Reader(params, ec2=protocol == "ec2")
    return reader.structure(shape, "") or {}
