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
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from gateway.query.models import xml_namespace

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class _Writer:
    def __init__(self, *, ec2: bool) -> None:
        self.ec2 = ec2
        self.out: list[str] = []

    def element(self, name: str, value: Any, shape: Shape) -> None:
        if value is None:
            return
        if isinstance(shape, StructureShape):
            self.out.append(f"<{name}>")
            self.members(shape, value)
            self.out.append(f"</{name}>")
        elif isinstance(shape, ListShape):
            self.list(name, value, shape)
        elif isinstance(shape, MapShape):
            self.map(name, value, shape)
        else:
            self.out.append(f"<{name}>{_scalar(value, shape)}</{name}>")

    def members(self, shape: StructureShape, value: Mapping[str, Any]) -> None:
        declared = _members(shape)
        for member, item in value.items():
            found = declared.get(member)
            if found is None:
                raise KeyError(f"{shape.name} has no member {member}")
            self.element(found[0], item, found[1])

    def list(self, name: str, value: Any, shape: ListShape) -> None:
        item_name = str(shape.member.serialization.get("name", "item" if self.ec2 else "member"))
        if shape.serialization.get("flattened"):
            for item in value:
                self.element(name, item, shape.member)
            return
        self.out.append(f"<{name}>")
        for item in value:
            self.element(item_name, item, shape.member)
        self.out.append(f"</{name}>")

    def map(self, name: str, value: Mapping[str, Any], shape: MapShape) -> None:
        key_name = str(shape.key.serialization.get("name", "key"))
        value_name = str(shape.value.serialization.get("name", "value"))
        self.out.append(f"<{name}>")
        for key, item in value.items():
            self.out.append("<entry>")
            self.element(key_name, key, shape.key)
            self.element(value_name, item, shape.value)
            self.out.append("</entry>")
        self.out.append(f"</{name}>")


@functools.cache
def _members(shape: StructureShape) -> dict[str, tuple[str, Shape]]:
    """Member name → (element name, shape) of a structure; shapes live as long as their
    model, which is loaded once per process, so this is worked out once per shape."""
    return {
        member: (str(member_shape.serialization.get("name", member)), member_shape)
        for member, member_shape in shape.members.items()
    }


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
    return escape(str(value))


def render_output(
    *, operation: OperationModel, output: Mapping[str, Any], request_id: str
) -> bytes:
    """The response document of a successful call."""
    service = operation.service_model
    ec2 = service.protocol == "ec2"
    writer = _Writer(ec2=ec2)
    name = operation.name
    namespace = xml_namespace(service)
    writer.out.append(f'{XML_DECLARATION}<{name}Response xmlns="{namespace}">')
    shape = operation.output_shape
    if ec2:
        writer.out.append(f"<requestId>{request_id}</requestId>")
        if shape is not None:
            writer.members(shape, output)
    else:
        wrapper = None if shape is None else shape.serialization.get("resultWrapper")
        if wrapper:
            writer.out.append(f"<{wrapper}>")
        if shape is not None:
            writer.members(shape, output)
        if wrapper:
            writer.out.append(f"</{wrapper}>")
        writer.out.append(
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        )
    writer.out.append(f"</{name}Response>")
    return "".join(writer.out).encode()


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
