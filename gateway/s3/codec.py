"""The REST-XML binding of S3 operations: requests into dicts, dicts into responses.

`parse_request` reads an operation's input shape off the request: `uri` members from the
address, `querystring` and `header` members converted to their types, the `headers` prefix
map (`x-amz-meta-*`, keys lower-cased as S3 stores them) and the body (a streaming payload
stays the raw stream, a string payload is text, a structure payload is parsed XML).
`render_response` writes an output dict back: header members, the status code and the body;
`render_error` writes an S3Error. Every response carries `x-amz-request-id` and `x-amz-id-2`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Protocol, runtime_checkable
from urllib.parse import quote

from werkzeug.datastructures import Headers, MultiDict
from werkzeug.wrappers import Response

from gateway.s3.errors import (
    InvalidArgument,
    MaxMessageLengthExceeded,
    MissingRequestBodyError,
    S3Error,
    S3NotImplemented,
)
from gateway.s3.model import Operation, Ref, Shape
from gateway.s3.timestamps import RFC822, parse_timestamp
from gateway.s3.xmlbody import parse_xml, render_text_root, render_xml, scalar_text

MAX_XML_BODY = 10 * 1024 * 1024
XML_CONTENT_TYPE = "application/xml"
STREAM_CHUNK = 64 * 1024

# Root elements of output documents that have no payload member (AWS S3 API reference).
OUTPUT_ROOTS: Mapping[str, str] = {
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CreateSession": "CreateSessionResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetObjectAcl": "AccessControlPolicy",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "GetObjectTagging": "Tagging",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListParts": "ListPartsResult",
}

# Outputs S3 writes as a bare root element holding one member's text
# (`<LocationConstraint>eu-west-1</LocationConstraint>`), which the model cannot express.
TEXT_ROOTS: Mapping[str, str] = {"GetBucketLocation": "LocationConstraint"}

# Fields S3 percent-encodes when a listing asks `encoding-type=url`, as botocore decodes them:
# top-level members, then (list member, field) pairs.
URL_ENCODED_FIELDS: Mapping[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "ListObjects": (
        ("Delimiter", "Marker", "NextMarker"),
        (("Contents", "Key"), ("CommonPrefixes", "Prefix")),
    ),
    "ListObjectsV2": (
        ("Delimiter", "Prefix", "StartAfter"),
        (("Contents", "Key"), ("CommonPrefixes", "Prefix")),
    ),
    "ListObjectVersions": (
        ("KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"),
        (("Versions", "Key"), ("DeleteMarkers", "Key"), ("CommonPrefixes", "Prefix")),
    ),
    "ListMultipartUploads": (
        ("Delimiter", "KeyMarker", "NextKeyMarker", "Prefix"),
        (("Uploads", "Key"), ("CommonPrefixes", "Prefix")),
    ),
}

# Conditional headers whose unparseable dates are ignored, as HTTP (RFC 9110) says.
_LENIENT_DATE_HEADERS = frozenset(
    {
        "if-modified-since",
        "if-unmodified-since",
        "x-amz-copy-source-if-modified-since",
        "x-amz-copy-source-if-unmodified-since",
    }
)


@runtime_checkable
class Readable(Protocol):
    """A file-like object a streaming body can be read from."""

    def read(self, size: int = -1, /) -> bytes: ...


Body = bytes | str | Readable | Iterable[bytes]


@dataclass(frozen=True)
class ResponseIds:
    """The `x-amz-request-id` and `x-amz-id-2` of one request."""

    request_id: str
    host_id: str

    @classmethod
    def new(cls) -> ResponseIds:
        """Fresh ids shaped like S3's: 16 upper-case hex digits, and 48 random bytes base64."""
        return cls(
            request_id=secrets.token_hex(8).upper(),
            host_id=base64.b64encode(secrets.token_bytes(48)).decode("ascii"),
        )


class S3Response(Response):
    """A werkzeug response that sets no Content-Type unless told to."""

    default_mimetype = None


# --- requests --------------------------------------------------------------------------------
def _convert(ref: Ref, text: str) -> object:
    kind = ref.shape.type
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            return {"true": True, "false": False}[text.strip().lower()]
        if kind == "timestamp":
            return parse_timestamp(text)
        if kind == "blob":
            return base64.b64decode(text, validate=True)
    except (ValueError, KeyError) as exc:
        raise InvalidArgument(ArgumentName=ref.xml_name, ArgumentValue=text) from exc
    return text


def _header_value(ref: Ref, text: str) -> object:
    if ref.shape.type == "list":
        assert ref.shape.member is not None
        member = ref.shape.member
        return [_convert(member, item.strip()) for item in text.split(",") if item.strip()]
    return _convert(ref, text)


def _located_members(
    shape: Shape,
    *,
    address: Mapping[str, str | None],
    query: MultiDict[str, str],
    headers: Headers,
) -> dict[str, object]:
    params: dict[str, object] = {}
    for name, ref in shape.members.items():
        if ref.location == "uri" and address.get(ref.xml_name) is not None:
            params[name] = address[ref.xml_name]
        elif ref.location == "querystring" and ref.xml_name in query:
            if ref.shape.type == "list":
                assert ref.shape.member is not None
                member = ref.shape.member
                values = query.getlist(ref.xml_name)
                params[name] = [_convert(member, v) for v in values]
            else:
                params[name] = _convert(ref, query[ref.xml_name])
        elif ref.location == "header" and ref.xml_name in headers:
            try:
                params[name] = _header_value(ref, headers[ref.xml_name])
            except InvalidArgument:
                if ref.xml_name.lower() not in _LENIENT_DATE_HEADERS:
                    raise
        elif ref.location == "headers":
            prefix = ref.xml_name.lower()
            found = {
                header[len(prefix) :].lower(): value
                for header, value in headers.items()
                if header.lower().startswith(prefix)
            }
            if found:
                params[name] = found
    return params


def _read_limited(body: IO[bytes], *, limit: int = MAX_XML_BODY) -> bytes:
    data = body.read(limit + 1)
    if len(data) > limit:
        raise MaxMessageLengthExceeded()
    return data


def _payload_members(operation: Operation, body: IO[bytes]) -> dict[str, object]:
    assert operation.input is not None
    payload = operation.payload
    if payload is None:
        if not operation.input.shape.body_members():
            return {}
        data = _read_limited(body)
        parsed = parse_xml(ref=operation.input, data=data) if data.strip() else {}
        assert isinstance(parsed, dict)
        return parsed
    if payload.streaming:
        return {payload.name: body}
    data = _read_limited(body)
    if not data.strip():
        return {}
    if payload.shape.type == "blob":
        return {payload.name: data}
    if payload.shape.type == "string":
        try:
            return {payload.name: data.decode("utf-8")}
        except UnicodeDecodeError as exc:
            raise InvalidArgument(ArgumentName=payload.name) from exc
    return {payload.name: parse_xml(ref=payload, data=data)}


def parse_request(
    *,
    operation: Operation,
    bucket: str | None,
    key: str | None,
    query: MultiDict[str, str],
    headers: Headers,
    body: IO[bytes],
) -> dict[str, object]:
    """Read `operation`'s input from a request into a dict keyed by member name.

    `bucket` and `key` are the decoded address (see addressing.resolve_address); `body` is
    the (already de-chunked) request body. Values are converted to their model types: int,
    bool, aware datetime, bytes (blobs), lists, nested dicts for XML structures; a streaming
    payload (PutObject's Body) is `body` itself, unread. Raises InvalidArgument for a query
    or header value that does not convert, MalformedXML for a bad XML body,
    MaxMessageLengthExceeded for an XML body over 10 MiB and MissingRequestBodyError when a
    required body is empty.
    """
    if operation.input is None:
        return {}
    shape = operation.input.shape
    params = _located_members(
        shape, address={"Bucket": bucket, "Key": key}, query=query, headers=headers
    )
    params.update(_payload_members(operation, body))
    payload = operation.payload
    if payload is not None and payload.name in shape.required and payload.name not in params:
        raise MissingRequestBodyError()
    return params


# --- responses -------------------------------------------------------------------------------
def _header_text(ref: Ref, value: object) -> str:
    if ref.shape.type == "list" and isinstance(value, list | tuple):
        assert ref.shape.member is not None
        member = ref.shape.member
        return ", ".join(scalar_text(member, item, default_format=RFC822) for item in value)
    return scalar_text(ref, value, default_format=RFC822)


def _url_encoded(operation: Operation, output: Mapping[str, object]) -> Mapping[str, object]:
    fields = URL_ENCODED_FIELDS.get(operation.name)
    if fields is None or output.get("EncodingType") != "url":
        return output

    def encode(value: object) -> object:
        return quote(value, safe="/") if isinstance(value, str) else value

    top_level, nested = fields
    encoded = {
        name: encode(value) if name in top_level else value for name, value in output.items()
    }
    for list_name, field in nested:
        items = encoded.get(list_name)
        if isinstance(items, list):
            encoded[list_name] = [
                {**item, field: encode(item.get(field))} if isinstance(item, Mapping) else item
                for item in items
            ]
    return encoded


def _as_body(value: object) -> Body:
    if value is None:
        return b""
    if isinstance(value, bytes | str | Readable):
        return value
    if isinstance(value, Iterable):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} as a response body")


def _stream(body: Body) -> bytes | Iterable[bytes]:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, Readable):
        reader = body

        def chunks() -> Iterator[bytes]:
            try:
                while chunk := reader.read(STREAM_CHUNK):
                    yield chunk
            finally:
                close = getattr(reader, "close", None)
                if close is not None:
                    close()

        return chunks()
    return body


def _body(operation: Operation, shape: Shape, output: Mapping[str, object]) -> tuple[Body, bool]:
    """The response body and whether it is XML."""
    if shape.payload is not None:
        ref = shape.members[shape.payload]
        value = output.get(shape.payload)
        if ref.eventstream:
            raise S3NotImplemented(f"{operation.name} event streams are not implemented")
        if ref.shape.type in ("blob", "string"):
            return _as_body(value), False
        return (b"", False) if value is None else (render_xml(ref=ref, value=value), True)
    if operation.name in TEXT_ROOTS:
        member = TEXT_ROOTS[operation.name]
        text = output.get(member)
        return render_text_root(name=member, text=None if text is None else str(text)), True
    if not shape.body_members():
        return b"", False
    root_name = OUTPUT_ROOTS.get(operation.name, shape.name.removesuffix("Output") + "Result")
    root = Ref(name=shape.name, shape=shape, xml_name=root_name)
    return render_xml(ref=root, value=output), True


def render_response(
    *,
    operation: Operation,
    output: Mapping[str, object],
    ids: ResponseIds,
    status: int | None = None,
) -> S3Response:
    """Render `operation`'s output dict (keyed by member name, None means absent).

    Header members become headers (timestamps RFC 1123 unless the model says otherwise),
    the `headers` map becomes prefixed headers, body members become the XML document (S3
    namespace; the root element named as S3 names it), a blob/string payload is sent as
    is: bytes, str, a file object (read in chunks, then closed) or an iterable of bytes.
    Listings with `EncodingType: url` get their keys percent-encoded as S3 does. The
    status is `status`, else the model's `responseCode`, else 200. Raises KeyError for an
    output member the model does not have.
    """
    headers = Headers()
    body: Body = b""
    is_xml = False
    if operation.output is not None:
        shape = operation.output.shape
        output = _url_encoded(operation, output)
        for name in output:
            if name not in shape.members:
                raise KeyError(f"{operation.name} output has no member {name!r}")
        for name, ref in shape.members.items():
            value = output.get(name)
            if value is None:
                continue
            if ref.location == "header":
                headers[ref.xml_name] = _header_text(ref, value)
            elif ref.location == "headers" and isinstance(value, Mapping):
                for suffix, item in value.items():
                    headers[ref.xml_name + str(suffix)] = str(item)
        body, is_xml = _body(operation, shape, output)
    payload = _stream(body)
    response = S3Response(
        payload,
        status=status or operation.response_code,
        direct_passthrough=not isinstance(payload, bytes),
    )
    if is_xml:
        response.headers["Content-Type"] = XML_CONTENT_TYPE
    for name, value in headers.items():
        response.headers[name] = value
    _add_ids(response, ids)
    return response


def render_error(
    *, error: S3Error, ids: ResponseIds, resource: str | None, method: str
) -> S3Response:
    """Render an S3 error: its status, its headers, and the `<Error>` document except for HEAD
    requests and 304 Not Modified, which carry no body."""
    bodyless = method.upper() == "HEAD" or error.status == 304
    body = (
        b""
        if bodyless
        else error.to_xml(resource=resource, request_id=ids.request_id, host_id=ids.host_id)
    )
    response = S3Response(body, status=error.status)
    if not bodyless:
        response.headers["Content-Type"] = XML_CONTENT_TYPE
    for name, value in error.headers.items():
        response.headers[name] = value
    _add_ids(response, ids)
    return response


def _add_ids(response: Response, ids: ResponseIds) -> None:
    response.headers["x-amz-request-id"] = ids.request_id
    response.headers["x-amz-id-2"] = ids.host_id
