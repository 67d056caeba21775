"""Writing an operation's output, or an error, as the XML botocore's EC2 and Query parsers read.

EC2 documents are `<ActionResponse xmlns=…><requestId/>members</ActionResponse>` with lists as
`<name><item>…</item></name>`; Query (STS, IAM) documents wrap the members in the output's
`resultWrapper` and end with `<ResponseMetadata><RequestId/>`, lists as `<member>` elements.
Only members the output shape declares are written; unknown keys are a programming error.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from gateway.query.models import xml_namespace

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


Out = list[str]
Write = Callable[[Any, Out], None]
"""Appends one value's XML (its element, or a flattened list's elements) to the output."""


def _escaped(text: str) -> str:
    return escape(text) if ("&" in text or "<" in text or ">" in text) else text


def _scalar(value: Any, shape: Shape) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if shape.type_name == "blob":
        return base64.b64encode(str(value).encode()).decode()
    return _escaped(str(value))


@functools.cache
def _writer(shape: Shape, name: str, ec2: bool) -> Write:
    """How to write a value of `shape` as element `name`, worked out once per shape and
    name (shapes live as long as their model, which is loaded once per process)."""
    if isinstance(shape, StructureShape):
        return _structure_writer(shape, name, ec2)
    if isinstance(shape, ListShape):
        return _list_writer(shape, name, ec2)
    if isinstance(shape, MapShape):
        return _map_writer(shape, name, ec2)
    opening, closing = f"<{name}>", f"</{name}>"
    if shape.type_name != "string":
        return lambda value, out: out.append(f"{opening}{_scalar(value, shape)}{closing}")

    def write_string(value: Any, out: Out) -> None:
        text = _escaped(value) if type(value) is str else _scalar(value, shape)
        out.append(f"{opening}{text}{closing}")

    return write_string


def _structure_writer(shape: StructureShape, name: str, ec2: bool) -> Write:
    opening, closing = f"<{name}>", f"</{name}>"

    def write_structure(value: Mapping[str, Any], out: Out) -> None:
        out.append(opening)
        _write_members(shape, value, out, ec2)
        out.append(closing)

    return write_structure


def _list_writer(shape: ListShape, name: str, ec2: bool) -> Write:
    if shape.serialization.get("flattened"):
        each = _writer(shape.member, name, ec2)

        def write_flattened(value: Any, out: Out) -> None:
            for item in value:
                if item is not None:
                    each(item, out)

        return write_flattened
    item_name = str(shape.member.serialization.get("name", "item" if ec2 else "member"))
    item_writer = _writer(shape.member, item_name, ec2)
    opening, closing = f"<{name}>", f"</{name}>"

    def write_list(value: Any, out: Out) -> None:
        out.append(opening)
        for item in value:
            if item is not None:
                item_writer(item, out)
        out.append(closing)

    return write_list


def _map_writer(shape: MapShape, name: str, ec2: bool) -> Write:
    key_writer = _writer(shape.key, str(shape.key.serialization.get("name", "key")), ec2)
    value_writer = _writer(shape.value, str(shape.value.serialization.get("name", "value")), ec2)
    opening, closing = f"<{name}>", f"</{name}>"

    def write_map(value: Mapping[str, Any], out: Out) -> None:
        out.append(opening)
        for key, item in value.items():
            out.append("<entry>")
            if key is not None:
                key_writer(key, out)
            if item is not None:
                value_writer(item, out)
            out.append("</entry>")
        out.append(closing)

    return write_map


@functools.cache
def _member_writers(shape: StructureShape, ec2: bool) -> dict[str, Write]:
    """Member name → how to write it, for a structure."""
    return {
        member: _writer(member_shape, str(member_shape.serialization.get("name", member)), ec2)
        for member, member_shape in shape.members.items()
    }


def _write_members(shape: StructureShape, value: Mapping[str, Any], out: Out, ec2: bool) -> None:
    writers = _member_writers(shape, ec2)
    for member, item in value.items():
        write = writers.get(member)
        if write is None:
            raise KeyError(f"{shape.name} has no member {member}")
        if item is not None:
            write(item, out)


def render_output(
    *, operation: OperationModel, output: Mapping[str, Any], request_id: str
) -> bytes:
    """The response document of a successful call."""
    service = operation.service_model
    ec2 = service.protocol == "ec2"
    out: Out = []
    name = operation.name
    namespace = xml_namespace(service)
    out.append(f'{XML_DECLARATION}<{name}Response xmlns="{namespace}">')
    shape = operation.output_shape
    if ec2:
        out.append(f"<requestId>{request_id}</requestId>")
        if shape is not None:
            _write_members(shape, output, out, ec2)
    else:
        wrapper = None if shape is None else shape.serialization.get("resultWrapper")
        if wrapper:
            out.append(f"<{wrapper}>")
        if shape is not None:
            _write_members(shape, output, out, ec2)
        if wrapper:
            out.append(f"</{wrapper}>")
        out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    out.append(f"</{name}Response>")
    return "".join(out).encode()


def render_error(
    *, protocol: str, namespace: str, code: str, message: str, sender: bool, request_id: str
) -> bytes:
    """An error document: EC2's `<Response><Errors><Error>` or the Query `<ErrorResponse>`."""
    code_text, message_text = escape(code), escape(message)
    if protocol == "ec2":
        return (
            f"{XML_DECLARATION}<Response><Errors><Error><Code>{code_text}</Code>"
            f"<Message>{message_text}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
    kind = "Sender" if sender else "Receiver"
    return (
        f'{XML_DECLARATION}<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
        f"<Code>{code_text}</Code><Message>{message_text}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
