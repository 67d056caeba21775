"""A real boto3 S3 client against the S3 codec, with no server in between.

botocore's `before-send` hook hands each fully prepared request (after all of botocore's S3
customizations: addressing style, `encoding-type=url`, copy-source quoting, Content-MD5 ...)
to a fake endpoint that runs the gateway's S3 pipeline: addressing, routing, request
parsing, a scripted handler, response rendering. botocore then parses our response with all
its handlers (GetBucketLocation, URL-decoding of listings, error classes).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore import UNSIGNED
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.s3.addressing import CopySource, parse_copy_source, raw_path_of, resolve_address
from gateway.s3.codec import (
    Readable,
    ResponseIds,
    parse_request,
    render_error,
    render_response,
)
from gateway.s3.errors import InvalidRange, NoSuchBucket, NoSuchKey, S3Error
from gateway.s3.routing import s3_router

Handler = Callable[[dict[str, Any]], dict[str, Any]]
WHEN = datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=UTC)
OWNER = {"ID": "8f0e" * 16, "DisplayName": "alice"}


class RawBody(io.BytesIO):
    """The urllib3-like raw response botocore reads bodies from."""

    def stream(self, amt: int = 8192, decode_content: bool = False) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


class FakeS3:
    """An endpoint that answers each operation with a scripted handler and records calls."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.address: tuple[str | None, str | None, bool] | None = None
        self.status: int | None = None

    def on(self, operation: str, handler: Handler, *, status: int | None = None) -> None:
        self.handlers[operation] = handler
        self.status = status

    def addressed(self) -> tuple[str | None, str | None, bool] | None:
        return self.address

    @property
    def last(self) -> tuple[str, dict[str, Any]]:
        return self.calls[-1]

    def send(self, request: AWSPreparedRequest, **_: object) -> AWSResponse:
        split = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else request.body or b""
        environ = EnvironBuilder(
            method=request.method,
            base_url=f"{split.scheme}://{split.netloc}",
            path=split.path,
            query_string=split.query,
            headers={
                name: value.decode() if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            },
            data=body,
        ).get_environ()
        http = Request(environ)
        ids = ResponseIds.new()
        try:
            address = resolve_address(
                host=http.host, raw_path=raw_path_of(http.environ), domain="s3.alto.local"
            )
            self.address = (address.bucket, address.key, address.virtual_host)
            operation = s3_router().match(
                method=http.method,
                bucket=address.bucket,
                key=address.key,
                query=http.args,
                headers=http.headers,
            )
            params = parse_request(
                operation=operation,
                bucket=address.bucket,
                key=address.key,
                query=http.args,
                headers=http.headers,
                body=http.stream,
            )
            body = params.get("Body")
            if isinstance(body, Readable):
                params["Body"] = body.read()
            self.calls.append((operation.name, params))
            handler = self.handlers.get(operation.name)
            output = handler(params) if handler is not None else {}
            response = render_response(
                operation=operation, output=output, ids=ids, status=self.status
            )
        except S3Error as error:
            response = render_error(error=error, ids=ids, resource=split.path, method=http.method)
        data = b"" if http.method == "HEAD" else b"".join(response.iter_encoded())
        return AWSResponse(request.url, response.status_code, dict(response.headers), RawBody(data))


def make_client(fake: FakeS3, *, endpoint: str, style: str) -> Any:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(
            signature_version=UNSIGNED,
            s3={"addressing_style": style},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 1},
        ),
    )
    client.meta.events.register("before-send.s3", fake.send)
    return client


@pytest.fixture
def fake() -> FakeS3:
    return FakeS3()


@pytest.fixture
def s3(fake: FakeS3) -> Any:
    return make_client(fake, endpoint="http://127.0.0.1:8080", style="path")


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


def test_list_objects_v2_with_common_prefixes_and_url_encoding(fake: FakeS3, s3: Any) -> None:
    keys = ["a b+c.txt", "100%.csv", "€uro/x", "plain"]

    def listing(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": params["Bucket"],
            "Prefix": params.get("Prefix", ""),
            "Delimiter": params["Delimiter"],
            "MaxKeys": params["MaxKeys"],
            "EncodingType": params.get("EncodingType"),
            "KeyCount": len(keys) + 1,
            "IsTruncated": True,
            "NextContinuationToken": "tok/1",
            "StartAfter": params.get("StartAfter"),
            "Contents": [
                {
                    "Key": key,
                    "LastModified": WHEN,
                    "ETag": '"e"',
                    "Size": 1,
                    "StorageClass": "STANDARD",
                }
                for key in keys
            ],
            "CommonPrefixes": [{"Prefix": "run books/"}],
        }

    fake.on("ListObjectsV2", listing)
    result = s3.list_objects_v2(
        Bucket="bkt", Delimiter="/", MaxKeys=5, StartAfter="a b", FetchOwner=True
    )
    name, params = fake.last
    assert name == "ListObjectsV2"
    assert params == {
        "Bucket": "bkt",
        "Delimiter": "/",
        "EncodingType": "url",
        "MaxKeys": 5,
        "StartAfter": "a b",
        "FetchOwner": True,
    }
    assert [item["Key"] for item in result["Contents"]] == keys
    assert result["Contents"][0]["LastModified"] == WHEN
    assert result["CommonPrefixes"] == [{"Prefix": "run books/"}]
    assert result["StartAfter"] == "a b"
    assert result["NextContinuationToken"] == "tok/1"
    assert result["IsTruncated"] is True


def test_list_object_versions(fake: FakeS3, s3: Any) -> None:
    fake.on(
        "ListObjectVersions",
        lambda params: {
            "Name": params["Bucket"],
            "KeyMarker": params.get("KeyMarker"),
            "EncodingType": params.get("EncodingType"),
            "IsTruncated": False,
            "Versions": [
                {
                    "Key": "k 1",
                    "VersionId": "null",
                    "IsLatest": True,
                    "LastModified": WHEN,
                    "ETag": '"e"',
                    "Size": 3,
                    "Owner": OWNER,
                    "StorageClass": "STANDARD",
                }
            ],
            "DeleteMarkers": [
                {"Key": "gone", "VersionId": "v2", "IsLatest": True, "LastModified": WHEN}
            ],
        },
    )
    result = s3.list_object_versions(Bucket="bkt", KeyMarker="a")
    assert fake.last == (
        "ListObjectVersions",
        {"Bucket": "bkt", "KeyMarker": "a", "EncodingType": "url"},
    )
    assert result["Versions"][0]["Key"] == "k 1"
    assert result["Versions"][0]["VersionId"] == "null"
    assert result["Versions"][0]["Owner"] == OWNER
    assert result["DeleteMarkers"][0]["Key"] == "gone"
    assert result["DeleteMarkers"][0]["IsLatest"] is True


def test_get_object_with_range_and_response_overrides(fake: FakeS3, s3: Any) -> None:
    fake.on(
        "GetObject",
        lambda params: {
            "Body": io.BytesIO(b"ell"),
            "ContentLength": 3,
            "ContentRange": "bytes 1-3/5",
            "ContentType": params["ResponseContentType"],
            "ContentDisposition": params["ResponseContentDisposition"],
            "Expires": params["ResponseExpires"],
            "ETag": '"5d41402abc4b2a76b9719d911017c592"',
            "LastModified": WHEN,
            "AcceptRanges": "bytes",
            "Metadata": {"color": "blue"},
            "VersionId": "null",
        },
        status=206,
    )
    result = s3.get_object(
        Bucket="bkt",
        Key="dir//a+b €/",
        Range="bytes=1-3",
        IfMatch='"5d41402abc4b2a76b9719d911017c592"',
        IfModifiedSince=datetime(2020, 1, 1, tzinfo=UTC),
        ResponseContentType="text/plain",
        ResponseContentDisposition='attachment; filename="a.txt"',
        ResponseExpires=datetime(2030, 1, 1, tzinfo=UTC),
    )
    name, params = fake.last
    assert name == "GetObject"
    assert params == {
        "Bucket": "bkt",
        "Key": "dir//a+b €/",
        "Range": "bytes=1-3",
        "IfMatch": '"5d41402abc4b2a76b9719d911017c592"',
        "IfModifiedSince": datetime(2020, 1, 1, tzinfo=UTC),
        "ResponseContentType": "text/plain",
        "ResponseContentDisposition": 'attachment; filename="a.txt"',
        "ResponseExpires": datetime(2030, 1, 1, tzinfo=UTC),
    }
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert result["Body"].read() == b"ell"
    assert result["ContentRange"] == "bytes 1-3/5"
    assert result["ContentType"] == "text/plain"
    assert result["ContentDisposition"] == 'attachment; filename="a.txt"'
    assert result["Expires"] == datetime(2030, 1, 1, tzinfo=UTC)
    assert result["LastModified"] == WHEN.replace(microsecond=0)
    assert result["Metadata"] == {"color": "blue"}
    assert result["VersionId"] == "null"


def test_put_object_with_metadata(fake: FakeS3, s3: Any) -> None:
    fake.on(
        "PutObject", lambda _: {"ETag": '"8d777f385d3dfec8815d20f7496026dc"', "VersionId": "v1"}
    )
    result = s3.put_object(
        Bucket="bkt",
        Key="docs/report.txt",
        Body=b"data",
        Metadata={"Project": "Alto", "owner": "bob"},
        ContentType="text/plain",
        ContentEncoding="identity",
        ContentDisposition="inline",
        CacheControl="max-age=60",
        Expires=datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC),
        ContentMD5="jXd/OF09/siBXSD3SWAm3A==",
        ACL="public-read",
        Tagging="a=1&b=2",
    )
    name, params = fake.last
    assert name == "PutObject"
    assert params == {
        "Bucket": "bkt",
        "Key": "docs/report.txt",
        "Body": b"data",
        "ContentLength": 4,
        "Metadata": {"project": "Alto", "owner": "bob"},
        "ContentType": "text/plain",
        "ContentEncoding": "identity",
        "ContentDisposition": "inline",
        "CacheControl": "max-age=60",
        "Expires": datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC),
        "ContentMD5": "jXd/OF09/siBXSD3SWAm3A==",
        "ACL": "public-read",
        "Tagging": "a=1&b=2",
    }
    assert result["ETag"] == '"8d777f385d3dfec8815d20f7496026dc"'
    assert result["VersionId"] == "v1"


def test_copy_object(fake: FakeS3, s3: Any) -> None:
    fake.on(
        "CopyObject",
        lambda _: {
            "CopyObjectResult": {"ETag": '"e"', "LastModified": WHEN},
            "CopySourceVersionId": "v9",
        },
    )
    result = s3.copy_object(
        Bucket="dst",
        Key="new key",
        CopySource={"Bucket": "src", "Key": "old key+1", "VersionId": "v9"},
        MetadataDirective="REPLACE",
        Metadata={"k": "v"},
        CopySourceIfMatch='"e"',
        CopySourceIfUnmodifiedSince=datetime(2024, 1, 1, tzinfo=UTC),
    )
    name, params = fake.last
    assert name == "CopyObject"
    assert params["CopySource"] == "src/old%20key%2B1?versionId=v9"
    assert parse_copy_source(value=params["CopySource"]) == CopySource(
        bucket="src", key="old key+1", version_id="v9"
    )
    assert params["MetadataDirective"] == "REPLACE"
    assert params["Metadata"] == {"k": "v"}
    assert params["CopySourceIfMatch"] == '"e"'
    assert params["CopySourceIfUnmodifiedSince"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert params["Key"] == "new key"
    assert result["CopyObjectResult"] == {"ETag": '"e"', "LastModified": WHEN}
    assert result["CopySourceVersionId"] == "v9"


def test_delete_objects(fake: FakeS3, s3: Any) -> None:
    fake.on(
        "DeleteObjects",
        lambda params: {
            "Deleted": [
                {"Key": "a"},
                {"Key": "b", "DeleteMarker": True, "DeleteMarkerVersionId": "m"},
            ],
            "Errors": [{"Key": "c", "Code": "AccessDenied", "Message": "Access Denied"}],
        },
    )
    result = s3.delete_objects(
        Bucket="bkt",
        Delete={
            "Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "c", "VersionId": "v"}],
            "Quiet": False,
        },
    )
    name, params = fake.last
    assert name == "DeleteObjects"
    assert params["Delete"] == {
        "Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "c", "VersionId": "v"}],
        "Quiet": False,
    }
    assert "ContentMD5" in params or "ChecksumAlgorithm" in params
    assert result["Deleted"][1] == {"Key": "b", "DeleteMarker": True, "DeleteMarkerVersionId": "m"}
    assert result["Errors"] == [{"Key": "c", "Code": "AccessDenied", "Message": "Access Denied"}]


def test_multipart_upload(fake: FakeS3, s3: Any) -> None:
    fake.on(
        "CreateMultipartUpload",
        lambda params: {"Bucket": params["Bucket"], "Key": params["Key"], "UploadId": "up-1"},
    )
    created = s3.create_multipart_upload(
        Bucket="bkt", Key="big.bin", ContentType="application/octet-stream", Metadata={"a": "b"}
    )
    assert created["UploadId"] == "up-1"
    assert fake.last[1]["Metadata"] == {"a": "b"}

    fake.on("UploadPart", lambda params: {"ETag": f'"etag-{params["PartNumber"]}"'})
    part = s3.upload_part(Bucket="bkt", Key="big.bin", UploadId="up-1", PartNumber=2, Body=b"xy")
    assert fake.last == (
        "UploadPart",
        {
            "Bucket": "bkt",
            "Key": "big.bin",
            "UploadId": "up-1",
            "PartNumber": 2,
            "Body": b"xy",
            "ContentLength": 2,
        },
    )
    assert part["ETag"] == '"etag-2"'

    fake.on(
        "CompleteMultipartUpload",
        lambda params: {
            "Location": "http://127.0.0.1/bkt/big.bin",
            "Bucket": "bkt",
            "Key": "big.bin",
            "ETag": '"abc-2"',
        },
    )
    done = s3.complete_multipart_upload(
        Bucket="bkt",
        Key="big.bin",
        UploadId="up-1",
        MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"etag-1"'}, {"PartNumber": 2, "ETag": '"etag-2"'}]
        },
    )
    name, params = fake.last
    assert name == "CompleteMultipartUpload"
    assert params["MultipartUpload"] == {
        "Parts": [{"PartNumber": 1, "ETag": '"etag-1"'}, {"PartNumber": 2, "ETag": '"etag-2"'}]
    }
    assert done["ETag"] == '"abc-2"'

    fake.on(
        "ListParts",
        lambda params: {
            "Bucket": "bkt",
            "Key": "big.bin",
            "UploadId": params["UploadId"],
            "Parts": [{"PartNumber": 1, "ETag": '"etag-1"', "Size": 5, "LastModified": WHEN}],
            "Owner": OWNER,
            "IsTruncated": False,
        },
    )
    parts = s3.list_parts(Bucket="bkt", Key="big.bin", UploadId="up-1", MaxParts=10)
    assert fake.last[1]["MaxParts"] == 10
    assert parts["Parts"][0]["Size"] == 5


def test_bucket_acl_location_and_head(fake: FakeS3, s3: Any) -> None:
    grants = [
        {
            "Grantee": {"Type": "CanonicalUser", "ID": OWNER["ID"], "DisplayName": "alice"},
            "Permission": "FULL_CONTROL",
        },
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ",
        },
    ]
    fake.on("GetBucketAcl", lambda _: {"Owner": OWNER, "Grants": grants})
    assert without_metadata(s3.get_bucket_acl(Bucket="bkt")) == {"Owner": OWNER, "Grants": grants}

    fake.on("GetBucketLocation", lambda _: {"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket="bkt")["LocationConstraint"] == "eu-west-1"
    fake.on("GetBucketLocation", lambda _: {})
    assert s3.get_bucket_location(Bucket="bkt")["LocationConstraint"] is None

    fake.on("HeadBucket", lambda _: {"BucketRegion": "us-east-1"})
    assert s3.head_bucket(Bucket="bkt")["BucketRegion"] == "us-east-1"


def test_create_bucket_and_versioning(fake: FakeS3, s3: Any) -> None:
    fake.on("CreateBucket", lambda params: {"Location": "/" + params["Bucket"]})
    created = s3.create_bucket(
        Bucket="new-bkt",
        ACL="private",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        ObjectLockEnabledForBucket=True,
    )
    assert fake.last == (
        "CreateBucket",
        {
            "Bucket": "new-bkt",
            "ACL": "private",
            "ObjectLockEnabledForBucket": True,
            "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
        },
    )
    assert created["Location"] == "/new-bkt"

    s3.put_bucket_versioning(Bucket="bkt", VersioningConfiguration={"Status": "Enabled"})
    assert fake.last[1]["VersioningConfiguration"] == {"Status": "Enabled"}
    fake.on("GetBucketVersioning", lambda _: {"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket="bkt")["Status"] == "Suspended"


def test_tagging_and_lifecycle(fake: FakeS3, s3: Any) -> None:
    tags = [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "s3"}]
    s3.put_object_tagging(Bucket="bkt", Key="k", Tagging={"TagSet": tags})
    assert fake.last[0] == "PutObjectTagging"
    assert fake.last[1]["Tagging"] == {"TagSet": tags}
    fake.on("GetBucketTagging", lambda _: {"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket="bkt")["TagSet"] == tags

    rules = [
        {
            "ID": "expire",
            "Status": "Enabled",
            "Filter": {"Prefix": "logs/"},
            "Expiration": {"Days": 30},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
        }
    ]
    s3.put_bucket_lifecycle_configuration(Bucket="bkt", LifecycleConfiguration={"Rules": rules})
    assert fake.last[0] == "PutBucketLifecycleConfiguration"
    assert fake.last[1]["LifecycleConfiguration"] == {"Rules": rules}
    fake.on("GetBucketLifecycleConfiguration", lambda _: {"Rules": rules})
    assert s3.get_bucket_lifecycle_configuration(Bucket="bkt")["Rules"] == rules


def test_errors_reach_botocore_as_client_errors(fake: FakeS3, s3: Any) -> None:
    def missing(params: dict[str, Any]) -> dict[str, Any]:
        raise NoSuchKey(Key=params["Key"])

    fake.on("GetObject", missing)
    with pytest.raises(s3.exceptions.NoSuchKey) as caught:
        s3.get_object(Bucket="bkt", Key="nope")
    error = caught.value.response["Error"]
    assert error == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "nope",
        "Resource": "/bkt/nope",
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert caught.value.response["ResponseMetadata"]["RequestId"]
    assert caught.value.response["ResponseMetadata"]["HostId"]

    def unsatisfiable(params: dict[str, Any]) -> dict[str, Any]:
        raise InvalidRange(ActualObjectSize="5", RangeRequested=params["Range"])

    fake.on("GetObject", unsatisfiable)
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="bkt", Key="k", Range="bytes=10-20")
    assert caught.value.response["Error"]["Code"] == "InvalidRange"
    assert caught.value.response["Error"]["RangeRequested"] == "bytes=10-20"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416

    def no_bucket(params: dict[str, Any]) -> dict[str, Any]:
        raise NoSuchBucket(BucketName=params["Bucket"])

    fake.on("HeadBucket", no_bucket)
    with pytest.raises(ClientError) as caught:
        s3.head_bucket(Bucket="gone")
    assert caught.value.response["Error"]["Code"] == "404"


def test_malformed_xml_from_the_wire_is_an_s3_error(fake: FakeS3, s3: Any) -> None:
    def corrupt(request: AWSPreparedRequest, **_: object) -> None:
        request.body = b"<Tagging><TagSet>"
        request.headers["Content-Length"] = str(len(request.body))

    s3.meta.events.register_first("before-send.s3.PutBucketTagging", corrupt)
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_tagging(Bucket="bkt", Tagging={"TagSet": []})
    assert caught.value.response["Error"]["Code"] == "MalformedXML"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_method_is_method_not_allowed(fake: FakeS3, s3: Any) -> None:
    def as_post(request: AWSPreparedRequest, **_: object) -> None:
        request.method = "POST"

    s3.meta.events.register_first("before-send.s3.GetObject", as_post)
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="bkt", Key="k")
    assert caught.value.response["Error"]["Code"] == "MethodNotAllowed"
    assert caught.value.response["Error"]["Method"] == "POST"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405


@pytest.mark.parametrize(
    ("endpoint", "style", "virtual"),
    [
        ("http://s3.alto.local:8080", "virtual", True),
        ("http://localhost:8080", "virtual", True),
        ("http://s3.alto.local", "path", False),
        ("http://10.1.2.3:8080", "path", False),
    ],
)
def test_addressing_styles_from_the_client(
    fake: FakeS3, endpoint: str, style: str, virtual: bool
) -> None:
    client = make_client(fake, endpoint=endpoint, style=style)
    client.get_object(Bucket="my.bucket-1", Key="/lead/a%2Fb+c ")
    assert fake.addressed() == ("my.bucket-1", "/lead/a%2Fb+c ", virtual)
    client.list_objects(Bucket="my.bucket-1")
    assert fake.addressed() == ("my.bucket-1", None, virtual)
    assert fake.last[0] == "ListObjects"
    client.list_buckets()
    assert fake.addressed() == (None, None, False)
    assert fake.last[0] == "ListBuckets"
