"""AWS Signature Version 4 verification, shared by the S3 and Query (EC2, STS, IAM) endpoints.

- `verify_request` checks the `Authorization` header or a presigned query string and returns
  `Verified` (who signed, for which region and service), or None for an unsigned request.
- `s3_payload_reader` wraps an S3 body so that reading it decodes aws-chunked uploads and
  verifies `x-amz-content-sha256`, chunk signatures, trailing and header checksums and
  `Content-MD5`, without ever holding the body in memory.
- Every failure is a `SigV4Error` subclass named after its AWS error code (`errors`).
"""

from gateway.sigv4.errors import Flavour, SigV4Error
from gateway.sigv4.payload import content_md5, payload_length, s3_payload_reader
from gateway.sigv4.streams import Readable, StreamingReader
from gateway.sigv4.verify import HeadersInput, SecretLookup, Verified, verify_request

__all__ = [
    "Flavour",
    "HeadersInput",
    "Readable",
    "SecretLookup",
    "SigV4Error",
    "StreamingReader",
    "Verified",
    "content_md5",
    "payload_length",
    "s3_payload_reader",
    "verify_request",
]
