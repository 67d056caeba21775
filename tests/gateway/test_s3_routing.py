"""S3 operation routing: every operation of botocore's model, as botocore serializes it, routes
back to itself (or, for the few that share a wire form, to the operation that wins the tie)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape
from botocore.serialize import create_serializer
from werkzeug.datastructures import Headers, MultiDict

from gateway.s3.addressing import resolve_address
from gateway.s3.errors import MethodNotAllowed
from gateway.s3.model import s3_model
from gateway.s3.routing import Router, route_of, s3_router

SERVICE = ServiceModel(Loader().load_service_model("s3", "service-2"), "s3")
SERIALIZER = create_serializer("rest-xml", include_validation=True)

# Operations whose wire form is identical to another operation's, and which lose the tie.
TWINS = {
    "GetBucketLifecycle": "GetBucketLifecycleConfiguration",
    "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
    "GetBucketNotification": "GetBucketNotificationConfiguration",
    "PutBucketNotification": "PutBucketNotificationConfiguration",
    "ListDirectoryBuckets": "ListBuckets",
}


def sample(shape: Shape, name: str = "") -> Any:
    """A minimal valid value for `shape`: required members only."""
    if name == "Bucket":
        return "amzn-bucket"
    if name == "Key":
        return "dir/key"
    kind = shape.type_name
    if kind == "structure":
        names = list(shape.members)[:1] if shape.is_tagged_union else shape.required_members
        return {member: sample(shape.members[member], member) for member in names}
    if kind == "list":
        return [sample(shape.member)]
    if kind == "map":
        return {"k": sample(shape.value)}
    if kind in ("integer", "long"):
        return 1
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    if kind == "blob":
        return b"blob"
    return shape.enum[0] if shape.enum else "v" * max(1, shape.metadata.get("min", 1))


def serialized(operation_name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """botocore's serialized request of an operation (path style)."""
    operation = SERVICE.operation_model(operation_name)
    if params is None:
        params = sample(operation.input_shape) if operation.input_shape is not None else {}
    return dict(SERIALIZER.serialize_to_request(params, operation))


def route(request: dict[str, Any], router: Router | None = None) -> str:
    """Address and match a serialized request as the gateway would."""
    split = urlsplit(request["url_path"])
    query: MultiDict[str, str] = MultiDict()
    for part in split.query.split("&"):
        if part:
            name, _, value = part.partition("=")
            query.add(name, value)
    for name, value in request["query_string"].items():
        for item in value if isinstance(value, list) else [value]:
            query.add(name, str(item))
    address = resolve_address(host="127.0.0.1:9000", raw_path=split.path, domain="s3.alto.local")
    operation = (router or s3_router()).match(
        method=request["method"],
        bucket=address.bucket,
        key=address.key,
        query=query,
        headers=Headers(dict(request["headers"])),
    )
    return operation.name


@pytest.mark.parametrize("operation_name", sorted(SERVICE.operation_names))
def test_every_operation_routes_back_to_itself(operation_name: str) -> None:
    assert route(serialized(operation_name)) == TWINS.get(operation_name, operation_name)


def test_twins_have_the_same_wire_form_and_nothing_else_is_ambiguous() -> None:
    routes = {operation.name: route_of(operation) for operation in s3_model().operations.values()}
    by_signature: dict[object, list[str]] = {}
    for name, each in routes.items():
        by_signature.setdefault(each.signature, []).append(name)
    shared = {tuple(sorted(names)) for names in by_signature.values() if len(names) > 1}
    assert shared == {tuple(sorted(pair)) for pair in TWINS.items()}


@pytest.mark.parametrize(
    ("operation_name", "params"),
    [
        ("PutObject", {"Bucket": "b", "Key": "k", "Body": b"x"}),
        ("CopyObject", {"Bucket": "b", "Key": "k", "CopySource": "src/key"}),
        ("UploadPart", {"Bucket": "b", "Key": "k", "PartNumber": 2, "UploadId": "u"}),
        (
            "UploadPartCopy",
            {"Bucket": "b", "Key": "k", "PartNumber": 2, "UploadId": "u", "CopySource": "s/k"},
        ),
        ("CompleteMultipartUpload", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
        ("AbortMultipartUpload", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
        ("ListParts", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
        ("GetObject", {"Bucket": "b", "Key": "k", "PartNumber": 1, "VersionId": "v"}),
        ("GetObject", {"Bucket": "b", "Key": "k", "ResponseContentType": "text/plain"}),
        ("DeleteObject", {"Bucket": "b", "Key": "k", "VersionId": "v"}),
        ("ListObjects", {"Bucket": "b", "Prefix": "p", "Marker": "m"}),
        ("ListObjectsV2", {"Bucket": "b", "Prefix": "p", "ContinuationToken": "t"}),
        ("ListObjectVersions", {"Bucket": "b", "KeyMarker": "k"}),
        ("ListMultipartUploads", {"Bucket": "b"}),
        ("GetBucketAnalyticsConfiguration", {"Bucket": "b", "Id": "x"}),
        ("ListBucketAnalyticsConfigurations", {"Bucket": "b"}),
        ("ListBuckets", {"MaxBuckets": 5}),
    ],
)
def test_the_most_specific_operation_wins(operation_name: str, params: dict[str, Any]) -> None:
    assert route(serialized(operation_name, params)) == operation_name


def test_a_key_that_looks_like_a_subresource_is_still_an_object() -> None:
    request = serialized("GetObject", {"Bucket": "b", "Key": "?acl"})
    assert request["url_path"] == "/b/%3Facl"
    assert route(request) == "GetObject"


def test_list_type_other_than_2_is_list_objects_v1() -> None:
    assert (
        s3_router()
        .match(
            method="GET",
            bucket="b",
            key=None,
            query=MultiDict([("list-type", "1")]),
            headers=Headers(),
        )
        .name
        == "ListObjects"
    )


@pytest.mark.parametrize(
    ("method", "bucket", "key", "resource_type"),
    [
        ("DELETE", None, None, "SERVICE"),
        ("POST", "b", "k", "OBJECT"),
        ("PATCH", "b", None, "BUCKET"),
    ],
)
def test_no_operation_is_method_not_allowed(
    method: str, bucket: str | None, key: str | None, resource_type: str
) -> None:
    with pytest.raises(MethodNotAllowed) as caught:
        s3_router().match(method=method, bucket=bucket, key=key, query={}, headers=Headers())
    assert caught.value.status == 405
    assert caught.value.details == {"Method": method, "ResourceType": resource_type}


def test_header_names_match_case_insensitively() -> None:
    operation = s3_router().match(
        method="PUT",
        bucket="b",
        key="k",
        query={},
        headers=Headers({"X-Amz-Copy-Source": "/src/k"}),
    )
    assert operation.name == "CopyObject"
