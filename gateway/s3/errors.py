"""S3 errors: one exception class per S3 error code, carrying its HTTP status.

Raise `NoSuchKey(Key="photos/a.jpg")`: keyword details become child elements of `<Error>`
after `<Code>` and `<Message>`, in the order given (AWS adds `BucketName`, `Key`, `Condition`,
`ArgumentName`/`ArgumentValue`, `UploadId`, ... depending on the error). The class name is the
code, except where a code would shadow a Python builtin (`S3NotImplemented`). Statuses and
default messages are those of AWS's "Error responses" reference; the classes for the error
shapes of botocore's model carry the model's status codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar
from xml.etree import ElementTree

from gateway.s3.model import XML_DECLARATION

ERROR_CLASSES: dict[str, type[S3Error]] = {}


class S3Error(Exception):
    """Base of every S3 error; rendered as `<Error><Code/><Message/>...</Error>`."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "We encountered an internal error. Please try again."

    def __init_subclass__(
        cls, *, status: int, message: str, code: str | None = None, **kwargs: object
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = code or cls.__name__
        cls.status = status
        cls.default_message = message
        ERROR_CLASSES[cls.code] = cls

    def __init__(
        self,
        message: str | None = None,
        /,
        *,
        headers: Mapping[str, str] | None = None,
        **details: str,
    ) -> None:
        self.message = message or self.default_message
        self.details: dict[str, str] = dict(details)
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{self.code}: {self.message}")

    def to_xml(self, *, resource: str | None, request_id: str, host_id: str) -> bytes:
        """The `<Error>` document S3 sends: Code, Message, details, Resource, RequestId, HostId."""
        root = ElementTree.Element("Error")
        fields = [("Code", self.code), ("Message", self.message), *self.details.items()]
        if resource is not None:
            fields.append(("Resource", resource))
        fields += [("RequestId", request_id), ("HostId", host_id)]
        for name, text in fields:
            ElementTree.SubElement(root, name).text = text
        body: bytes = ElementTree.tostring(root, encoding="utf-8")
        return XML_DECLARATION + body


# --- 3xx -------------------------------------------------------------------------------------
class NotModified(S3Error, status=304, message="Not Modified"): ...


class PermanentRedirect(
    S3Error,
    status=301,
    message="The bucket you are attempting to access must be addressed using the specified "
    "endpoint. Please send all future requests to this endpoint.",
): ...


class TemporaryRedirect(
    S3Error,
    status=307,
    message="Please re-send this request to the "
    "specified temporary endpoint. Continue to use the original request "
    "endpoint for future requests.",
): ...


# --- 400 -------------------------------------------------------------------------------------
class AccessControlListNotSupported(
    S3Error, status=400, message="The bucket does not allow ACLs"
): ...


class AnnotationLimitExceeded(
    S3Error, status=400, message="The object has reached the maximum number of annotations."
): ...


class AnnotationNameTooLong(
    S3Error, status=400, message="The annotation name exceeds the maximum length."
): ...


class InvalidAnnotationName(S3Error, status=400, message="The annotation name is not valid."): ...


class AmbiguousGrantByEmailAddress(
    S3Error,
    status=400,
    message="The email address you provided is associated with more than one account.",
): ...


class AuthorizationHeaderMalformed(
    S3Error, status=400, message="The authorization header you provided is invalid."
): ...


class AuthorizationQueryParametersError(
    S3Error, status=400, message="Error parsing the X-Amz-Credential parameter."
): ...


class BadDigest(
    S3Error, status=400, message="The Content-MD5 you specified did not match what we received."
): ...


class BadRequest(S3Error, status=400, message="Bad Request"): ...


class CredentialsNotSupported(
    S3Error, status=400, message="This request does not support credentials."
): ...


class EncryptionTypeMismatch(
    S3Error,
    status=400,
    message="The existing object was created with a different encryption type.",
): ...


class EntityTooLarge(
    S3Error, status=400, message="Your proposed upload exceeds the maximum allowed object size."
): ...


class EntityTooSmall(
    S3Error,
    status=400,
    message="Your proposed upload is smaller than the minimum allowed object size.",
): ...


class ExpiredToken(S3Error, status=400, message="The provided token has expired."): ...


class IdempotencyParameterMismatch(
    S3Error,
    status=400,
    message="Parameters on this idempotent request are inconsistent with parameters used in "
    "previous request(s).",
): ...


class IllegalLocationConstraintException(
    S3Error,
    status=400,
    message="The specified location-constraint is not valid for this endpoint.",
): ...


class IllegalVersioningConfigurationException(
    S3Error,
    status=400,
    message="The versioning configuration specified in the request is invalid.",
): ...


class IncompleteBody(
    S3Error,
    status=400,
    message="You did not provide the number of bytes specified by the Content-Length HTTP header.",
): ...


class InvalidArgument(S3Error, status=400, message="Invalid Argument"): ...


class InvalidBucketAclWithObjectOwnership(
    S3Error,
    status=400,
    message="Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
): ...


class InvalidBucketName(S3Error, status=400, message="The specified bucket is not valid."): ...


class InvalidDigest(S3Error, status=400, message="The Content-MD5 you specified is not valid."): ...


class InvalidEncryptionAlgorithmError(
    S3Error, status=400, message="The encryption request you specified is not valid."
): ...


class InvalidLocationConstraint(
    S3Error, status=400, message="The specified location constraint is not valid."
): ...


class InvalidPart(
    S3Error,
    status=400,
    message="One or more of the specified parts could not be found. The part may not have "
    "been uploaded, or the specified entity tag may not match the part's entity tag.",
): ...


class InvalidPartOrder(
    S3Error,
    status=400,
    message="The list of parts was not in ascending order. Parts must be ordered by part number.",
): ...


class InvalidPolicyDocument(
    S3Error,
    status=400,
    message="The content of the form does not meet the conditions specified in the policy "
    "document.",
): ...


class InvalidPrefix(S3Error, status=400, message="The specified prefix is not valid."): ...


class InvalidRequest(S3Error, status=400, message="Invalid Request"): ...


class InvalidStorageClass(
    S3Error, status=400, message="The storage class you specified is not valid."
): ...


class InvalidTag(S3Error, status=400, message="The tag provided was not a valid tag."): ...


class InvalidTargetBucketForLogging(
    S3Error, status=400, message="The target bucket for logging does not exist."
): ...


class InvalidToken(
    S3Error, status=400, message="The provided token is malformed or otherwise invalid."
): ...


class InvalidURI(S3Error, status=400, message="Couldn't parse the specified URI."): ...


class InvalidWriteOffset(
    S3Error, status=400, message="The write offset value that you specified does not match."
): ...


class KeyTooLongError(S3Error, status=400, message="Your key is too long"): ...


class MalformedACLError(
    S3Error,
    status=400,
    message="The XML you provided was not well-formed or did not validate against our "
    "published schema.",
): ...


class MalformedPOSTRequest(
    S3Error,
    status=400,
    message="The body of your POST request is not well-formed multipart/form-data.",
): ...


class MalformedPolicy(
    S3Error,
    status=400,
    message="Policies must be valid JSON and the first byte must be '{'",
): ...


class MalformedXML(
    S3Error,
    status=400,
    message="The XML you provided was not well-formed or did not validate against our "
    "published schema",
): ...


class MaxMessageLengthExceeded(S3Error, status=400, message="Your request was too big."): ...


class MetadataTooLarge(
    S3Error,
    status=400,
    message="Your metadata headers exceed the maximum allowed metadata size.",
): ...


class MissingRequestBodyError(S3Error, status=400, message="Request Body is empty"): ...


class MissingSecurityHeader(
    S3Error, status=400, message="Your request is missing a required header."
): ...


class RequestTimeout(
    S3Error,
    status=400,
    message="Your socket connection to the server was not read from or written to within "
    "the timeout period.",
): ...


class TooManyBuckets(
    S3Error, status=400, message="You have attempted to create more buckets than allowed."
): ...


class TooManyParts(
    S3Error, status=400, message="You have attempted to upload more parts than allowed."
): ...


class UnexpectedContent(S3Error, status=400, message="This request does not support content."): ...


class UnresolvableGrantByEmailAddress(
    S3Error,
    status=400,
    message="The email address you provided does not match any account on record.",
): ...


class XAmzContentSHA256Mismatch(
    S3Error,
    status=400,
    message="The provided 'x-amz-content-sha256' header does not match what was computed.",
): ...


# --- 403 -------------------------------------------------------------------------------------
class AccessDenied(S3Error, status=403, message="Access Denied"): ...


class AccountProblem(
    S3Error,
    status=403,
    message="There is a problem with your AWS account that prevents the operation from "
    "completing successfully.",
): ...


class InvalidAccessKeyId(
    S3Error,
    status=403,
    message="The AWS Access Key Id you provided does not exist in our records.",
): ...


class InvalidChunkSizeError(
    S3Error,
    status=403,
    message="Only the last chunk is allowed to have a size less than 8192 bytes",
): ...


class InvalidObjectState(
    S3Error,
    status=403,
    message="The operation is not valid for the current state of the object.",
): ...


class InvalidSecurity(
    S3Error, status=403, message="The provided security credentials are not valid."
): ...


class ObjectAlreadyInActiveTierError(
    S3Error, status=403, message="The object is already in the active tier."
): ...


class ObjectNotInActiveTierError(
    S3Error,
    status=403,
    message="The source object of the COPY action is not in the active tier.",
): ...


class RequestTimeTooSkewed(
    S3Error,
    status=403,
    message="The difference between the request time and the current time is too large.",
): ...


class SignatureDoesNotMatch(
    S3Error,
    status=403,
    message="The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.",
): ...


# --- 404 -------------------------------------------------------------------------------------
class NoSuchAnnotation(S3Error, status=404, message="The specified annotation does not exist."): ...


class NoSuchBucket(S3Error, status=404, message="The specified bucket does not exist"): ...


class NoSuchBucketPolicy(S3Error, status=404, message="The bucket policy does not exist"): ...


class NoSuchCORSConfiguration(
    S3Error, status=404, message="The CORS configuration does not exist"
): ...


class NoSuchKey(S3Error, status=404, message="The specified key does not exist."): ...


class NoSuchLifecycleConfiguration(
    S3Error, status=404, message="The lifecycle configuration does not exist"
): ...


class NoSuchObjectLockConfiguration(
    S3Error,
    status=404,
    message="The specified object does not have a ObjectLock configuration",
): ...


class NoSuchPublicAccessBlockConfiguration(
    S3Error, status=404, message="The public access block configuration was not found"
): ...


class NoSuchTagSet(S3Error, status=404, message="The TagSet does not exist"): ...


class NoSuchUpload(
    S3Error,
    status=404,
    message="The specified upload does not exist. The upload ID may be invalid, or the "
    "upload may have been aborted or completed.",
): ...


class NoSuchVersion(
    S3Error,
    status=404,
    message="The version ID specified in the request does not match an existing version.",
): ...


class NoSuchWebsiteConfiguration(
    S3Error,
    status=404,
    message="The specified bucket does not have a website configuration",
): ...


class ObjectLockConfigurationNotFoundError(
    S3Error,
    status=404,
    message="Object Lock configuration does not exist for this bucket",
): ...


class OwnershipControlsNotFoundError(
    S3Error, status=404, message="The bucket ownership controls were not found"
): ...


class ReplicationConfigurationNotFoundError(
    S3Error, status=404, message="The replication configuration was not found"
): ...


class ServerSideEncryptionConfigurationNotFoundError(
    S3Error,
    status=404,
    message="The server side encryption configuration was not found",
): ...


# --- 405 ... 5xx -----------------------------------------------------------------------------
class MethodNotAllowed(
    S3Error,
    status=405,
    message="The specified method is not allowed against this resource.",
): ...


class BucketAlreadyExists(
    S3Error,
    status=409,
    message="The requested bucket name is not available. The bucket namespace is shared by "
    "all users of the system. Please select a different name and try again.",
): ...


class BucketAlreadyOwnedByYou(
    S3Error,
    status=409,
    message="Your previous request to create the named bucket succeeded and you already own it.",
): ...


class BucketNotEmpty(
    S3Error, status=409, message="The bucket you tried to delete is not empty"
): ...


class InvalidBucketState(
    S3Error, status=409, message="The request is not valid with the current state of the bucket."
): ...


class OperationAborted(
    S3Error,
    status=409,
    message="A conflicting conditional operation is currently in progress against this "
    "resource. Try again.",
): ...


class RestoreAlreadyInProgress(
    S3Error, status=409, message="Object restore is already in progress."
): ...


class MissingContentLength(
    S3Error, status=411, message="You must provide the Content-Length HTTP header."
): ...


class PreconditionFailed(
    S3Error,
    status=412,
    message="At least one of the pre-conditions you specified did not hold",
): ...


class UnsupportedMediaType(
    S3Error, status=415, message="The request media type is not supported."
): ...


class InvalidRange(S3Error, status=416, message="The requested range is not satisfiable"): ...


class InternalError(
    S3Error, status=500, message="We encountered an internal error. Please try again."
): ...


class S3NotImplemented(
    S3Error,
    status=501,
    code="NotImplemented",
    message="A header you provided implies functionality that is not implemented",
): ...


class ServiceUnavailable(S3Error, status=503, message="Please reduce your request rate."): ...


class SlowDown(S3Error, status=503, message="Please reduce your request rate."): ...
