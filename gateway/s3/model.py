"""A typed view of botocore's S3 service model (`s3/<version>/service-2.json`).

The model is loaded once. Shapes become `Shape` objects; every place a shape is used (a
structure member, a list element, an operation's input or output) is a `Ref` that merges the
place's serialization traits (`locationName`, `location`, `flattened`, `xmlNamespace`,
`timestampFormat`, ...) over the shape's own, exactly as botocore's `ShapeResolver` does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.loaders import Loader

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

Json = Mapping[str, Any]


@dataclass(frozen=True)
class XmlNamespace:
    """An `xmlNamespace` trait: `xmlns[:prefix]="uri"` on the element."""

    uri: str
    prefix: str | None = None


@dataclass(eq=False)
class Shape:
    """One named shape of the model. `members` (structures), `member` (lists) and
    `key`/`value` (maps) are filled once every shape exists, so recursion is allowed."""

    name: str
    type: str
    required: frozenset[str] = frozenset()
    payload: str | None = None
    error_status: int | None = None
    members: dict[str, Ref] = field(default_factory=dict)
    member: Ref | None = None
    key: Ref | None = None
    value: Ref | None = None

    def body_members(self) -> dict[str, Ref]:
        """Members serialized in the XML body (no `location`), in model order."""
        return {name: ref for name, ref in self.members.items() if ref.location is None}


@dataclass(frozen=True, eq=False)
class Ref:
    """A shape at one place of use, with the merged serialization traits.

    `xml_name` is the element (or header, query key, URI label) name: the `locationName`
    if any (then `named` is true), else the member name (`member` for list elements).
    """

    name: str
    shape: Shape
    xml_name: str
    named: bool = False
    location: str | None = None
    flattened: bool = False
    streaming: bool = False
    xml_attribute: bool = False
    xml_namespace: XmlNamespace | None = None
    timestamp_format: str | None = None
    eventstream: bool = False


@dataclass(frozen=True, eq=False)
class Operation:
    """One S3 operation: its HTTP binding and its input and output shapes."""

    name: str
    method: str
    request_uri: str
    response_code: int
    input: Ref | None
    output: Ref | None
    deprecated: bool
    host_prefix: str | None
    errors: tuple[str, ...]

    @property
    def payload(self) -> Ref | None:
        """The input member bound to the whole HTTP body, if the input has one."""
        if self.input is None or self.input.shape.payload is None:
            return None
        return self.input.shape.members[self.input.shape.payload]


@dataclass(frozen=True, eq=False)
class S3Model:
    """Every operation and shape of the S3 model, by name."""

    operations: Mapping[str, Operation]
    shapes: Mapping[str, Shape]


def _namespace(raw: object) -> XmlNamespace | None:
    if isinstance(raw, str):
        return XmlNamespace(uri=raw)
    if isinstance(raw, Mapping):
        return XmlNamespace(uri=str(raw["uri"]), prefix=raw.get("prefix"))
    return None


def _ref(*, name: str, raw: Json, shapes: Mapping[str, Shape], raw_shapes: Json) -> Ref:
    shape = shapes[raw["shape"]]
    traits = {**raw_shapes[shape.name], **raw}
    default_name = name or "member"
    return Ref(
        name=name,
        shape=shape,
        xml_name=str(traits.get("locationName", default_name)),
        named="locationName" in traits,
        location=traits.get("location"),
        flattened=bool(traits.get("flattened", False)),
        streaming=bool(traits.get("streaming", False)),
        xml_attribute=bool(traits.get("xmlAttribute", False)),
        xml_namespace=_namespace(traits.get("xmlNamespace")),
        timestamp_format=traits.get("timestampFormat"),
        eventstream=bool(traits.get("eventstream", False)),
    )


def _shape(name: str, raw: Json) -> Shape:
    error = raw.get("error") or {}
    return Shape(
        name=name,
        type=str(raw["type"]),
        required=frozenset(raw.get("required", ())),
        payload=raw.get("payload"),
        error_status=error.get("httpStatusCode"),
    )


def _link(shape: Shape, raw: Json, shapes: Mapping[str, Shape], raw_shapes: Json) -> None:
    for member_name, member in raw.get("members", {}).items():
        shape.members[member_name] = _ref(
            name=member_name, raw=member, shapes=shapes, raw_shapes=raw_shapes
        )
    for part in ("member", "key", "value"):
        if part in raw:
            default = "" if part == "member" else part
            ref = _ref(name=default, raw=raw[part], shapes=shapes, raw_shapes=raw_shapes)
            setattr(shape, part, ref)


def _operation(raw: Json, shapes: Mapping[str, Shape], raw_shapes: Json) -> Operation:
    http = raw["http"]
    io: dict[str, Ref | None] = {}
    for part in ("input", "output"):
        ref_raw = raw.get(part)
        io[part] = (
            None
            if ref_raw is None
            else _ref(name=ref_raw["shape"], raw=ref_raw, shapes=shapes, raw_shapes=raw_shapes)
        )
    return Operation(
        name=str(raw["name"]),
        method=str(http["method"]),
        request_uri=str(http["requestUri"]),
        response_code=int(http.get("responseCode", 200)),
        input=io["input"],
        output=io["output"],
        deprecated=bool(raw.get("deprecated", False)),
        host_prefix=(raw.get("endpoint") or {}).get("hostPrefix"),
        errors=tuple(str(error["shape"]) for error in raw.get("errors", ())),
    )


def build_model(raw: Json) -> S3Model:
    """Build the typed model from a parsed `service-2.json` document."""
    raw_shapes: Json = raw["shapes"]
    shapes = {name: _shape(name, body) for name, body in raw_shapes.items()}
    for name, body in raw_shapes.items():
        _link(shapes[name], body, shapes, raw_shapes)
    operations = {
        name: _operation(body, shapes, raw_shapes) for name, body in raw["operations"].items()
    }
    return S3Model(operations=operations, shapes=shapes)


@functools.cache
def s3_model() -> S3Model:
    """The S3 model shipped with the installed botocore (loaded on first use, then shared)."""
    return build_model(Loader().load_service_model("s3", "service-2"))
