"""The S3 REST-XML codec against botocore's own serializer and parser, operation by operation.

Requests: a full sample input of every operation is serialized by botocore's rest-xml
serializer, parsed by `parse_request` and must come back equal. Responses: a full sample
output of every operation is rendered by `render_response` and parsed by botocore's rest-xml
parser, and must come back equal.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from botocore.awsrequest import HeadersDict
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from werkzeug.datastructures import Headers, MultiDict

from gateway.s3.codec import ResponseIds, parse_request, render_error, render_response
from gateway.s3.errors import (
    InvalidArgument,
    MalformedXML,
    MaxMessageLengthExceeded,
    MissingRequestBodyError,
    NoSuchBucket,
    S3NotImplemented,
)
from gateway.s3.model import s3_model

RAW_MODEL = Loader().load_service_model("s3", "service-2")
SERVICE = ServiceModel(RAW_MODEL, "s3")
SERIALIZER = create_serializer("rest-xml", include_validation=True)
PARSER = create_parser("rest-xml")
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
IDS = ResponseIds(request_id="4442587FB7D0A2F9", host_id="aG9zdA==")


def full_sample(shape: Shape, name: str = "", seen: tuple[str, ...] = ()) -> Any:
    """A value for `shape` with every member set (one member for unions)."""
    kind = shape.type_name
    if name == "Bucket" and kind == "string":
        return "amzn-bucket"
    if name == "Key" and kind == "string":
        return "dir/k ey+1"
    if kind == "structure":
        names = list(shape.members)[:1] if shape.is_tagged_union else list(shape.members)
        value = {}
        for member in names:
            member_shape = shape.members[member]
            if member_shape.serialization.get("streaming"):
                value[member] = b"streamed"
                continue
            skip = (
                member_shape.serialization.get("eventstream")
                or member_shape.name in seen
                # deprecated `Event` shares its element with the flattened `Events` list
                or RAW_MODEL["shapes"][shape.name]["members"][member].get("deprecated")
            )
            if not skip:
                value[member] = full_sample(member_shape, member, (*seen, member_shape.name))
        return value
    if kind == "list":
        return [full_sample(shape.member, "", seen)]
    if kind == "map":
        return {"color": "blue"}
    if kind in ("integer", "long"):
        return max(2, shape.metadata.get("min", 2))
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return WHEN
    if kind == "blob":
        return b"\x00blob"
    return shape.enum[0] if shape.enum else "v" * max(3, shape.metadata.get("min", 3))


def request_parts(
    request: dict[str, Any],
) -> tuple[str | None, str | None, MultiDict[str, str], Headers]:
    """Bucket, key, query and headers of a botocore-serialized (path style) request."""
    split = urlsplit(request["url_path"])
    query: MultiDict[str, str] = MultiDict()
    for part in split.query.split("&"):
        if part:
            name, _, value = part.partition("=")
            query.add(name, value)
    for name, value in request["query_string"].items():
        for item in value if isinstance(value, list) else [value]:
            query.add(name, item)
    bucket, _, key = split.path[1:].partition("/")
    return unquote(bucket) or None, unquote(key) or None, query, Headers(request["headers"])


def parse_serialized(operation_name: str, params: dict[str, Any]) -> dict[str, object]:
    operation_model = SERVICE.operation_model(operation_name)
    request = SERIALIZER.serialize_to_request(params, operation_model)
    bucket, key, query, headers = request_parts(request)
    body = request["body"]
    return parse_request(
        operation=s3_model().operations[operation_name],
        bucket=bucket,
        key=key,
        query=query,
        headers=headers,
        body=io.BytesIO(body if isinstance(body, bytes) else body.encode()),
    )


def botocore_parse(operation_name: str, output: dict[str, Any], status: int | None = None) -> Any:
    response = render_response(
        operation=s3_model().operations[operation_name], output=output, ids=IDS, status=status
    )
    parsed = PARSER.parse(
        {
            "headers": HeadersDict(response.headers.items()),
            "status_code": response.status_code,
            "body": b"".join(response.iter_encoded()),
        },
        SERVICE.operation_model(operation_name).output_shape,
    )
    return response, parsed


def without_deprecated_event(value: Any) -> Any:
    """botocore, like our parser, reads the deprecated `Event` member from the first element
    of the flattened `Events` list that shares its name; drop it to compare."""
    if isinstance(value, dict):
        return {k: without_deprecated_event(v) for k, v in value.items() if k != "Event"}
    return value


def read_streams(params: dict[str, object]) -> dict[str, object]:
    return {
        name: value.read() if isinstance(value, io.BytesIO) else value
        for name, value in params.items()
    }


@pytest.mark.parametrize("operation_name", sorted(SERVICE.operation_names))
def test_request_round_trip(operation_name: str) -> None:
    input_shape = SERVICE.operation_model(operation_name).input_shape
    params = full_sample(input_shape) if input_shape is not None else {}
    parsed = read_streams(parse_serialized(operation_name, params))
    assert without_deprecated_event(parsed) == params


@pytest.mark.parametrize("operation_name", sorted(SERVICE.operation_names))
def test_response_round_trip(operation_name: str) -> None:
    output_shape = SERVICE.operation_model(operation_name).output_shape
    output = full_sample(output_shape) if output_shape is not None else {}
    output.pop("EncodingType", None)  # URL-encoded listings are checked with the client
    if operation_name == "SelectObjectContent":
        with pytest.raises(S3NotImplemented):
            botocore_parse(operation_name, output)
        return
    response, parsed = botocore_parse(operation_name, output)
    parsed.pop("ResponseMetadata")
    if operation_name == "GetBucketLocation":  # botocore reads it with a handler, see client tests
        assert response.get_data().endswith(b">af-south-1</LocationConstraint>")
        return
    assert without_deprecated_event(parsed) == {
        name: value.decode() if isinstance(value, bytes) else value  # streams come back as str
        for name, value in output.items()
    }
    assert response.status_code == SERVICE.operation_model(operation_name).http.get(
        "responseCode", 200
    )
    assert response.headers["x-amz-request-id"] == IDS.request_id
    assert response.headers["x-amz-id-2"] == IDS.host_id


def test_xml_timestamps_have_milliseconds_and_headers_are_rfc_1123() -> None:
    response, _ = botocore_parse(
        "ListObjectsV2",
        {
            "Contents": [
                {"Key": "a", "LastModified": datetime(2009, 10, 12, 17, 50, 30, 123456)},
            ],
            "IsTruncated": False,
        },
    )
    assert b"<LastModified>2009-10-12T17:50:30.123Z</LastModified>" in response.get_data()
    assert b"<IsTruncated>false</IsTruncated>" in response.get_data()
    assert b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' in response.get_data()
    head, _ = botocore_parse(
        "HeadObject", {"LastModified": datetime(2009, 10, 12, 17, 50, 30), "ContentLength": 0}
    )
    assert head.headers["Last-Modified"] == "Mon, 12 Oct 2009 17:50:30 GMT"
    assert head.headers["Content-Length"] == "0"


def test_user_metadata_keys_are_lower_cased_as_s3_stores_them() -> None:
    params = parse_serialized(
        "PutObject", {"Bucket": "b", "Key": "k", "Metadata": {"Camel-Case": "Value"}}
    )
    assert params["Metadata"] == {"camel-case": "Value"}


def test_streaming_body_stays_the_raw_stream() -> None:
    body = io.BytesIO(b"payload")
    params = parse_request(
        operation=s3_model().operations["PutObject"],
        bucket="b",
        key="k",
        query=MultiDict(),
        headers=Headers({"Content-Length": "7"}),
        body=body,
    )
    assert params["Body"] is body
    assert body.tell() == 0
    assert params["ContentLength"] == 7


def test_streaming_output_is_sent_in_chunks_and_closed() -> None:
    source = io.BytesIO(b"x" * 200_000)
    response, parsed = botocore_parse(
        "GetObject",
        {"Body": source, "ContentLength": 200_000, "ContentRange": "bytes 0-199999/400000"},
        status=206,
    )
    assert response.status_code == 206
    assert response.direct_passthrough
    assert parsed["ContentRange"] == "bytes 0-199999/400000"
    assert source.closed


def test_string_payload_is_text() -> None:
    policy = '{"Version": "2012-10-17", "Statement": []}'
    params = parse_serialized("PutBucketPolicy", {"Bucket": "b", "Policy": policy})
    assert params["Policy"] == policy
    _, parsed = botocore_parse("GetBucketPolicy", {"Policy": policy})
    assert parsed["Policy"] == policy


def test_grantee_type_is_an_xsi_attribute_both_ways() -> None:
    acl = {
        "Owner": {"ID": "abc", "DisplayName": "alice"},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "FULL_CONTROL"},
            {
                "Grantee": {
                    "Type": "Group",
                    "URI": "http://acs.amazonaws.com/groups/global/AllUsers",
                },
                "Permission": "READ",
            },
        ],
    }
    response, parsed = botocore_parse("GetBucketAcl", acl)
    assert b'xsi:type="CanonicalUser"' in response.get_data()
    assert b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' in response.get_data()
    assert {key: parsed[key] for key in acl} == acl
    params = parse_serialized("PutBucketAcl", {"Bucket": "b", "AccessControlPolicy": acl})
    assert params["AccessControlPolicy"] == acl


def _parse_body(operation_name: str, body: bytes, query: dict[str, str] | None = None) -> object:
    return parse_request(
        operation=s3_model().operations[operation_name],
        bucket="b",
        key=None,
        query=MultiDict(query or {}),
        headers=Headers(),
        body=io.BytesIO(body),
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete><Object><Key>a</Key></Object>",  # not well-formed
        b"<Remove><Object><Key>a</Key></Object></Remove>",  # wrong root element
        b"<Delete><Quiet>true</Quiet></Delete>",  # Objects is required
        b"<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>",  # not a boolean
        b'<!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>',
    ],
)
def test_malformed_xml(body: bytes) -> None:
    with pytest.raises(MalformedXML) as caught:
        _parse_body("DeleteObjects", body)
    assert caught.value.status == 400


def test_required_empty_body_and_oversized_body() -> None:
    with pytest.raises(MissingRequestBodyError):
        _parse_body("DeleteObjects", b"")
    with pytest.raises(MaxMessageLengthExceeded):
        _parse_body("PutBucketTagging", b"<Tagging>" + b" " * (11 * 1024 * 1024))


def test_namespaced_and_flattened_body() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>TRUE</Quiet>'
        b"<Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v1</VersionId></Object>"
        b"</Delete>"
    )
    assert _parse_body("DeleteObjects", body) == {
        "Bucket": "b",
        "Delete": {"Quiet": True, "Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v1"}]},
    }


def test_bad_query_integer_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument) as caught:
        _parse_body("ListObjectsV2", b"", {"list-type": "2", "max-keys": "ten"})
    assert caught.value.details == {"ArgumentName": "max-keys", "ArgumentValue": "ten"}


def test_unparseable_conditional_date_is_ignored() -> None:
    params = parse_request(
        operation=s3_model().operations["GetObject"],
        bucket="b",
        key="k",
        query=MultiDict(),
        headers=Headers({"If-Modified-Since": "yesterday", "If-Match": '"e"'}),
        body=io.BytesIO(),
    )
    assert params == {"Bucket": "b", "Key": "k", "IfMatch": '"e"'}


def test_unknown_output_member_is_a_caller_bug() -> None:
    with pytest.raises(KeyError):
        render_response(
            operation=s3_model().operations["PutObject"], output={"Etag": '"x"'}, ids=IDS
        )


def test_error_document_parses_as_botocore_client_error() -> None:
    response = render_error(
        error=NoSuchBucket(BucketName="missing"), ids=IDS, resource="/missing", method="GET"
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/xml"
    parsed = PARSER.parse(
        {
            "headers": HeadersDict(response.headers.items()),
            "status_code": 404,
            "body": response.get_data(),
        },
        SERVICE.operation_model("ListObjects").output_shape,
    )
    assert parsed["Error"] == {
        "Code": "NoSuchBucket",
        "Message": "The specified bucket does not exist",
        "BucketName": "missing",
        "Resource": "/missing",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == IDS.request_id
    assert parsed["ResponseMetadata"]["HostId"] == IDS.host_id


def test_head_errors_have_no_body() -> None:
    response = render_error(
        error=NoSuchBucket(BucketName="missing"), ids=IDS, resource="/missing", method="HEAD"
    )
    assert response.status_code == 404
    assert response.get_data() == b""
    assert response.headers["x-amz-request-id"] == IDS.request_id
