"""S3 error classes: codes, statuses, the `<Error>` document and bodiless answers."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from gateway.s3 import errors
from gateway.s3.codec import ResponseIds, render_error
from gateway.s3.errors import ERROR_CLASSES, S3Error
from gateway.s3.model import s3_model

IDS = ResponseIds(request_id="0123456789ABCDEF", host_id="aG9zdC1pZA==")

EXPECTED_STATUS = {
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "BucketAlreadyOwnedByYou": 409,
    "BucketAlreadyExists": 409,
    "BucketNotEmpty": 409,
    "InvalidBucketName": 400,
    "InvalidRange": 416,
    "InvalidPartOrder": 400,
    "InvalidPart": 400,
    "EntityTooSmall": 400,
    "NoSuchUpload": 404,
    "MalformedXML": 400,
    "BadDigest": 400,
    "InvalidDigest": 400,
    "XAmzContentSHA256Mismatch": 400,
    "AccessDenied": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidAccessKeyId": 403,
    "RequestTimeTooSkewed": 403,
    "MethodNotAllowed": 405,
    "NotImplemented": 501,
    "PreconditionFailed": 412,
    "NotModified": 304,
    "NoSuchCORSConfiguration": 404,
    "NoSuchLifecycleConfiguration": 404,
    "ServerSideEncryptionConfigurationNotFoundError": 404,
    "NoSuchBucketPolicy": 404,
    "NoSuchTagSet": 404,
    "ObjectLockConfigurationNotFoundError": 404,
    "NoSuchWebsiteConfiguration": 404,
    "ReplicationConfigurationNotFoundError": 404,
    "InvalidArgument": 400,
    "InvalidRequest": 400,
    "MissingContentLength": 411,
    "EntityTooLarge": 400,
    "NoSuchObjectLockConfiguration": 404,
    "OwnershipControlsNotFoundError": 404,
    "NoSuchPublicAccessBlockConfiguration": 404,
    "MalformedPolicy": 400,
    "InternalError": 500,
}


@pytest.mark.parametrize(("code", "status"), sorted(EXPECTED_STATUS.items()))
def test_each_code_has_a_class_with_its_status(code: str, status: int) -> None:
    error = ERROR_CLASSES[code]()
    assert (error.code, error.status) == (code, status)
    assert error.message


def test_every_error_shape_of_the_model_has_a_class_with_the_model_status() -> None:
    modelled = {
        name: shape.error_status
        for name, shape in s3_model().shapes.items()
        if shape.error_status is not None
    }
    assert modelled
    assert {name: ERROR_CLASSES[name].status for name in modelled} == modelled


def test_classes_are_importable_by_code_and_not_implemented_avoids_the_builtin() -> None:
    assert errors.NoSuchKey is ERROR_CLASSES["NoSuchKey"]
    assert errors.S3NotImplemented.code == "NotImplemented"
    assert all(issubclass(cls, S3Error) for cls in ERROR_CLASSES.values())


def test_error_document() -> None:
    error = errors.NoSuchUpload("Upload gone", UploadId="u-1")
    body = error.to_xml(resource="/b/k", request_id=IDS.request_id, host_id=IDS.host_id)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>')
    root = ElementTree.fromstring(body)
    assert [(child.tag, child.text) for child in root] == [
        ("Code", "NoSuchUpload"),
        ("Message", "Upload gone"),
        ("UploadId", "u-1"),
        ("Resource", "/b/k"),
        ("RequestId", IDS.request_id),
        ("HostId", IDS.host_id),
    ]


def test_rendered_error_response() -> None:
    error = errors.MethodNotAllowed(
        headers={"Allow": "GET, PUT"}, Method="PATCH", ResourceType="OBJECT"
    )
    response = render_error(error=error, ids=IDS, resource="/b/k", method="PATCH")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, PUT"
    assert response.headers["Content-Type"] == "application/xml"
    assert response.headers["x-amz-request-id"] == IDS.request_id
    assert response.headers["x-amz-id-2"] == IDS.host_id
    root = ElementTree.fromstring(response.get_data())
    assert root.findtext("Method") == "PATCH"
    assert root.findtext("ResourceType") == "OBJECT"


def test_not_modified_has_no_body() -> None:
    error = errors.NotModified(headers={"ETag": '"e"'})
    response = render_error(error=error, ids=IDS, resource="/b/k", method="GET")
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == '"e"'
    assert "Content-Type" not in response.headers


def test_special_characters_are_escaped() -> None:
    error = errors.InvalidArgument("bad <value> & more", ArgumentValue="<&>")
    body = error.to_xml(resource=None, request_id="r", host_id="h")
    root = ElementTree.fromstring(body)
    assert root.findtext("Message") == "bad <value> & more"
    assert root.findtext("ArgumentValue") == "<&>"
    assert root.find("Resource") is None
