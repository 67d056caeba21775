"""XML bodies read and written per the model's shapes (the REST-XML rules botocore follows).

A structure is an element whose children are its body members, named by `locationName`
(else the member name); `xmlAttribute` members are attributes. A list is a wrapper element
holding one element per item (named by the list member's `locationName`, else `member`), or,
when `flattened`, the items repeated directly under the parent. Booleans are `true`/`false`,
blobs base64, timestamps ISO-8601 with milliseconds and `Z` unless the model says otherwise.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import datetime
from xml.etree import ElementTree

from gateway.s3.errors import MalformedXML
from gateway.s3.model import S3_NAMESPACE, XML_DECLARATION, Ref, Shape
from gateway.s3.timestamps import ISO8601, format_timestamp, parse_timestamp


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


# --- reading ---------------------------------------------------------------------------------
def parse_xml(*, ref: Ref, data: bytes) -> object:
    """Parse an XML document whose root element is `ref` into plain Python values.

    Structures become dicts keyed by member name, lists become lists, scalars are converted
    (int, bool, float, aware datetime, bytes for blobs, str). Raises MalformedXML when the
    document is not well-formed, has a DTD, has another root element, holds a value that does
    not convert, or lacks a member the model requires.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise MalformedXML()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise MalformedXML() from exc
    if _local(root.tag) != ref.xml_name:
        raise MalformedXML()
    return _read(ref.shape, root)


def _read(shape: Shape, element: ElementTree.Element) -> object:
    if shape.type == "structure":
        return _read_structure(shape, element)
    if shape.type == "list":
        assert shape.member is not None
        return [_read(shape.member.shape, item) for item in _children(element, shape.member)]
    if shape.type == "map":
        raise TypeError(f"{shape.name}: XML maps do not occur in the S3 model")
    return _read_scalar(shape, element.text or "")


def _children(element: ElementTree.Element, member: Ref) -> list[ElementTree.Element]:
    return [child for child in element if _local(child.tag) == member.xml_name]


def _flattened_item_name(ref: Ref) -> str:
    member = ref.shape.member
    assert member is not None
    return member.xml_name if member.named else ref.xml_name


def _list_items(parent: ElementTree.Element, ref: Ref) -> list[ElementTree.Element] | None:
    assert ref.shape.member is not None
    if ref.flattened:
        item_name = _flattened_item_name(ref)
        found = [child for child in parent if _local(child.tag) == item_name]
        return found or None
    wrapper = [child for child in parent if _local(child.tag) == ref.xml_name]
    if not wrapper:
        return None
    return _children(wrapper[0], ref.shape.member)


def _read_structure(shape: Shape, element: ElementTree.Element) -> dict[str, object]:
    result: dict[str, object] = {}
    members = shape.body_members()
    for name, ref in members.items():
        if ref.xml_attribute:
            value = _attribute(element, ref.xml_name)
            if value is not None:
                result[name] = value
        elif ref.shape.type == "list":
            items = _list_items(element, ref)
            if items is not None:
                assert ref.shape.member is not None
                result[name] = [_read(ref.shape.member.shape, item) for item in items]
        else:
            found = [child for child in element if _local(child.tag) == ref.xml_name]
            if found:
                result[name] = _read(ref.shape, found[0])
    if not shape.required.intersection(members).issubset(result):
        raise MalformedXML()
    return result


def _attribute(element: ElementTree.Element, name: str) -> str | None:
    wanted = name.split(":")[-1]
    for key, value in element.attrib.items():
        if _local(key) == wanted:
            return value
    return None


def _read_scalar(shape: Shape, text: str) -> object:
    try:
        if shape.type in ("integer", "long"):
            return int(text)
        if shape.type in ("float", "double"):
            return float(text)
        if shape.type == "boolean":
            return {"true": True, "false": False}[text.strip().lower()]
        if shape.type == "timestamp":
            return parse_timestamp(text)
        if shape.type == "blob":
            return base64.b64decode(text, validate=True)
    except (ValueError, KeyError, binascii.Error) as exc:
        raise MalformedXML() from exc
    return text


# --- writing ---------------------------------------------------------------------------------
def render_xml(*, ref: Ref, value: object) -> bytes:
    """Render `value` as an XML document whose root element is `ref`, in the S3 namespace.

    `value` holds plain Python values keyed by member name (as `parse_xml` returns, datetimes
    may be naive UTC; a str is written as is for any scalar). Members set to None are
    omitted; an unknown member name raises KeyError (a caller bug, not bad input).
    """
    root = ElementTree.Element(ref.xml_name, {"xmlns": S3_NAMESPACE})
    _fill(root, ref, value)
    return xml_document(root)


def render_text_root(*, name: str, text: str | None) -> bytes:
    """A document whose root element holds only text (`<LocationConstraint>eu-west-1</...>`)."""
    root = ElementTree.Element(name, {"xmlns": S3_NAMESPACE})
    root.text = text or None
    return xml_document(root)


def xml_document(root: ElementTree.Element) -> bytes:
    """`root` serialized in UTF-8 after the declaration S3 writes."""
    body: bytes = ElementTree.tostring(root, encoding="utf-8")
    return XML_DECLARATION + body


def _namespace_attrs(ref: Ref) -> dict[str, str]:
    namespace = ref.xml_namespace
    if namespace is None or (namespace.prefix is None and namespace.uri == S3_NAMESPACE):
        return {}
    attribute = "xmlns" if namespace.prefix is None else f"xmlns:{namespace.prefix}"
    return {attribute: namespace.uri}


def _fill(element: ElementTree.Element, ref: Ref, value: object) -> None:
    shape = ref.shape
    if shape.type == "structure":
        if not isinstance(value, Mapping):
            raise TypeError(f"{shape.name} must be a mapping, not {type(value).__name__}")
        _fill_structure(element, shape, value)
    else:
        element.text = scalar_text(ref, value, default_format=ISO8601)


def _fill_structure(
    element: ElementTree.Element, shape: Shape, value: Mapping[str, object]
) -> None:
    members = shape.body_members()
    for name in value:
        if name not in shape.members:
            raise KeyError(f"{shape.name} has no member {name!r}")
    for name, ref in members.items():
        member_value = value.get(name)
        if member_value is None:
            continue
        if ref.xml_attribute:
            element.set(ref.xml_name, scalar_text(ref, member_value, default_format=ISO8601))
        elif ref.shape.type == "list":
            _append_list(element, ref, member_value)
        else:
            _append(element, ref.xml_name, ref, member_value)


def _append(parent: ElementTree.Element, name: str, ref: Ref, value: object) -> None:
    child = ElementTree.SubElement(parent, name, _namespace_attrs(ref))
    _fill(child, ref, value)


def _append_list(parent: ElementTree.Element, ref: Ref, value: object) -> None:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise TypeError(f"{ref.name} must be a list, not {type(value).__name__}")
    member = ref.shape.member
    assert member is not None
    if ref.flattened:
        item_name = _flattened_item_name(ref)
        for item in value:
            _append(parent, item_name, member, item)
        return
    wrapper = ElementTree.SubElement(parent, ref.xml_name, _namespace_attrs(ref))
    for item in value:
        _append(wrapper, member.xml_name, member, item)


def scalar_text(ref: Ref, value: object, *, default_format: str) -> str:
    """The text of a scalar value: booleans lower-case, numbers in decimal, datetimes in the
    member's `timestampFormat` (else `default_format`), bytes in base64, str unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value, style=ref.timestamp_format or default_format)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError(f"{ref.name}: cannot write a {type(value).__name__} as {ref.shape.type}")
