"""The S3 REST endpoint: address → authentication → operation → translator → response.

    Host/path ──resolve_address──▶ bucket, key
    Authorization / presigned query ──SigV4 (or SigV2 presigned)──▶ caller (None: anonymous)
    method, address, query, headers ──s3_router──▶ botocore operation
    body ──s3_payload_reader──▶ verified stream ──parse_request──▶ params
    translator.s3.OPERATIONS[operation](context, params) ──render_response──▶ response

The access key id is a native user's API key and the secret its secret key; disabled users
and accounts are unknown keys. Operations Alto does not implement answer 501 NotImplemented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, cast
from urllib.parse import unquote

from werkzeug.datastructures import Headers, MultiDict
from werkzeug.wrappers import Request, Response

from gateway.s3 import errors as s3
from gateway.s3.addressing import S3Address, raw_path_of, resolve_address
from gateway.s3.codec import (
    ResponseIds,
    S3Response,
    parse_request,
    render_error,
    render_response,
)
from gateway.s3.routing import s3_router
from gateway.sigv2 import SigV2Query, verify_presigned_v2
from gateway.sigv4 import Flavour, SigV4Error, Verified, s3_payload_reader, verify_request
from native.api.auth import Authenticator
from native.api.objects import ObjectApi
from native.services.authentication import KeyOwner
from native.services.caller import Caller
from native.services.errors import CloudError
from translator.s3 import OPERATIONS, S3Context, s3_error
from translator.s3.configuration import cors_headers, preflight


def raw_query_pairs(query: str) -> list[tuple[str, str]]:
    """The raw query's (name, value) pairs, percent-decoded once; `+` stays a plus."""
    pairs = []
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _s3_error_of(error: SigV4Error) -> s3.S3Error:
    cls = s3.ERROR_CLASSES.get(error.code)
    if cls is None or cls.status != error.status:
        return s3.InvalidRequest(error.message)
    converted = cls(error.message)
    converted.details.update(error.details)
    return converted


class _Keys:
    """Secret lookup for the signature checks, remembering who holds the key."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator
        self.owners: dict[str, KeyOwner] = {}

    def secret(self, access_key: str) -> str | None:
        owner = self.authenticator.key_owner(access_key)
        if owner is None:
            return None
        self.owners[access_key] = owner
        return owner.secret_key


class S3Endpoint:
    """Answers S3 REST requests (path or virtual-host style) for one server process."""

    def __init__(self, *, api: ObjectApi, authenticator: Authenticator, domain: str) -> None:
        self.api = api
        self.authenticator = authenticator
        self.domain = domain

    def __call__(self, request: Request) -> Response:
        ids = ResponseIds.new()
        raw_path = raw_path_of(request.environ)
        response = self._answer(request, raw_path, ids)
        if request.method != "OPTIONS" and "Origin" in request.headers:
            response.headers.extend(self._cors_headers(request, raw_path))
        return response

    def _answer(self, request: Request, raw_path: str, ids: ResponseIds) -> Response:
        try:
            if request.method == "OPTIONS":
                return self._preflight(request, raw_path, ids)
            return self._handle(request, raw_path, ids)
        except s3.S3Error as error:
            failure = error
        except SigV4Error as error:
            failure = _s3_error_of(error)
        except CloudError as error:
            failure = s3_error(error)
        return render_error(
            error=failure, ids=ids, resource=unquote(raw_path), method=request.method
        )

    def _preflight(self, request: Request, raw_path: str, ids: ResponseIds) -> Response:
        """A CORS preflight, answered from the bucket's CORS rules without authentication."""
        address = resolve_address(host=request.host, raw_path=raw_path, domain=self.domain)
        allowed = preflight(self.api, bucket=address.bucket, headers=dict(request.headers))
        response = S3Response(b"", status=200, headers=allowed)
        response.headers["x-amz-request-id"] = ids.request_id
        response.headers["x-amz-id-2"] = ids.host_id
        return response

    def _cors_headers(self, request: Request, raw_path: str) -> dict[str, str]:
        """The CORS headers for an actual request carrying an Origin (none if no rule
        allows it or the address is invalid)."""
        try:
            address = resolve_address(host=request.host, raw_path=raw_path, domain=self.domain)
            return cors_headers(
                self.api,
                bucket=address.bucket,
                method=request.method,
                headers=dict(request.headers),
            )
        except (s3.S3Error, CloudError):
            return {}

    def _handle(self, request: Request, raw_path: str, ids: ResponseIds) -> Response:
        address = resolve_address(host=request.host, raw_path=raw_path, domain=self.domain)
        raw_query = request.environ.get("QUERY_STRING", "")
        pairs = raw_query_pairs(raw_query)
        keys = _Keys(self.authenticator)
        verified = self._authenticate(request, address, raw_path, raw_query, pairs, keys)
        caller = self._caller(verified, keys)
        query = MultiDict(pairs)
        first = {name: query[name] for name in query}
        operation = s3_router().match(
            method=request.method,
            bucket=address.bucket,
            key=address.key,
            query=first,
            headers=Headers(request.headers),
        )
        translate = OPERATIONS.get(operation.name)
        if translate is None:
            raise s3.S3NotImplemented(f"{operation.name} is not implemented by Alto")
        header_pairs = list(request.headers.items())
        verified_v4 = verified if isinstance(verified, Verified) else None
        body = s3_payload_reader(verified=verified_v4, headers=header_pairs, body=request.stream)
        params = parse_request(
            operation=operation,
            bucket=address.bucket,
            key=address.key,
            query=query,
            headers=Headers(request.headers),
            body=cast(IO[bytes], body),
        )
        context = S3Context(api=self.api, caller=caller, region=self.api.runtime.region)
        output = translate(context, params)
        partial = operation.name == "GetObject" and output.get("ContentRange") is not None
        return render_response(
            operation=operation, output=output, ids=ids, status=206 if partial else None
        )

    def _authenticate(
        self,
        request: Request,
        address: S3Address,
        raw_path: str,
        raw_query: str,
        pairs: list[tuple[str, str]],
        keys: _Keys,
    ) -> Verified | str | None:
        """The SigV4 verification, the access key of a SigV2 presigned URL, or None."""
        v2 = SigV2Query.of(dict(reversed(pairs)))
        if v2 is not None:
            resource = f"/{address.bucket}{raw_path}" if address.virtual_host else raw_path
            return verify_presigned_v2(
                query_auth=v2,
                method=request.method,
                resource=resource,
                query=raw_query,
                headers=_lower(request.headers),
                secrets=keys.secret,
            )
        return verify_request(
            method=request.method,
            path=raw_path,
            query=raw_query,
            headers=list(request.headers.items()),
            secrets=keys.secret,
            flavour=Flavour.S3,
        )

    @staticmethod
    def _caller(verified: Verified | str | None, keys: _Keys) -> Caller | None:
        if verified is None:
            return None
        access_key = verified if isinstance(verified, str) else verified.access_key
        return keys.owners[access_key].caller


def _lower(headers: Mapping[str, str] | Headers) -> dict[str, str]:
    collected: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        collected[lowered] = f"{collected[lowered]},{value}" if lowered in collected else value
    return collected
