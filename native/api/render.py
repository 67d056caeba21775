"""CloudStack's response envelopes, and their JSON and XML encodings.

Rendering is two steps: a result becomes an envelope tree (plain dicts, lists and
scalars), and the tree is encoded as JSON or XML. Async job results are stored as
trees, so queryAsyncJobResult renders them in either encoding.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from native.api.responses import ListResult, ResponseObject, Result, SuccessResult, Tree
from native.services.errors import CloudError


def response_key(command: str) -> str:
    """The envelope's root key: the command name lower-cased plus `response`."""
    return f"{command.lower()}response"


def result_tree(result: Result) -> Tree:
    """The body under the envelope root for a command's result."""
    if isinstance(result, SuccessResult):
        body: Tree = {"success": True}
        if result.display_text is not None:
            body["displaytext"] = result.display_text
        return body
    if isinstance(result, ListResult):
        if result.count == 0 and not result.items:
            return {}
        body = {"count": result.count}
        if result.items:
            body[type(result.items[0]).object_name] = [item.to_tree() for item in result.items]
        return body
    if isinstance(result, ResponseObject):
        if result.inline:
            return result.to_tree()
        return {result.object_name: result.to_tree()}
    raise TypeError(f"not a command result: {result!r}")


def error_tree(error: CloudError) -> Tree:
    """The body of an error answer (and of a failed job's `jobresult`)."""
    return {
        "uuidList": error.uuids,
        "errorcode": error.errorcode,
        "cserrorcode": error.cserrorcode,
        "errortext": error.text,
    }


def encode_json(command: str, body: Tree) -> bytes:
    return json.dumps({response_key(command): body}, separators=(",", ":")).encode()


def _xml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml_element(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _xml_element(name, item, out)
        return
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _xml_element(key, item, out)
        out.append(f"</{name}>")
        return
    out.append(f"<{name}>{_xml_scalar(value)}</{name}>")


def encode_xml(command: str, body: Tree, *, version: str) -> bytes:
    """CloudStack's XML: the root carries `cloud-stack-version`; lists repeat their element."""
    root = response_key(command)
    out = [
        f'<?xml version="1.0" encoding="UTF-8"?><{root} cloud-stack-version={quoteattr(version)}>'
    ]
    for key, value in body.items():
        _xml_element(key, value, out)
    out.append(f"</{root}>")
    return "".join(out).encode()


JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
XML_CONTENT_TYPE = "text/xml; charset=UTF-8"
