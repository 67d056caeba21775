"""The AWS Query endpoint (EC2, STS, IAM): SigV4 → operation → translator → XML.

    form body or query ──SigV4 (credential scope names the service)──▶ caller
    Action ──botocore model of the service──▶ operation ──parse_input──▶ params
    translator SERVICE_ACTIONS[service][Action](context, params) ──render_output──▶ response

The access key id is a native user's API key and the secret its secret key. An action the
model knows but Alto does not implement answers `UnsupportedOperation`; DryRun answers
`DryRunOperation`, or `UnauthorizedOperation` when the caller's role denies a native command
the action runs, before anything is done. A native error that reaches here becomes the AWS
error a user expects (`translator.native_errors`); anything unexpected is a logged 500.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from gateway.credential_scope import signed_service
from gateway.query.models import service_model, xml_namespace
from gateway.query.parse import parse_input
from gateway.query.render import render_error, render_output
from gateway.s3.addressing import raw_path_of
from gateway.sigv4 import Flavour, SigV4Error, Verified, verify_request
from native.api.auth import Authenticator
from native.api.dispatcher import Dispatcher
from native.services.authentication import KeyOwner
from native.services.runtime import Runtime
from translator import errors
from translator.context import NativeFailure, QueryContext
from translator.dry_run import dry_run
from translator.ids import AwsIds
from translator.native_errors import aws_error_of
from translator.query_services import SERVICE_ACTIONS

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
CONTENT_TYPE = "text/xml;charset=UTF-8"
EC2_AUTH_CODES = frozenset({"InvalidClientTokenId"})


class QueryEndpoint:
    """Answers EC2, STS and IAM Query requests for one server process."""

    def __init__(
        self, *, runtime: Runtime, dispatcher: Dispatcher, authenticator: Authenticator
    ) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher
        self.authenticator = authenticator
        self.ids = AwsIds(runtime.db)

    def __call__(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        service = signed_service(request) or "ec2"
        try:
            body = self._body(request)
            params = dict(
                parse_qsl(request.environ.get("QUERY_STRING", ""), keep_blank_values=True)
            )
            if request.method == "POST":
                params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            owners: dict[str, KeyOwner] = {}
            verified = self._verify(request, body, owners)
            service = verified.service
            return self._answer(request, verified, owners[verified.access_key], params, request_id)
        except SigV4Error as error:
            failure = _from_sigv4(error, service=service)
        except errors.AwsError as error:
            failure = error
        except NativeFailure as error:
            failure = aws_error_of(error)
        except Exception:
            log.exception("%s request %s failed", service, request_id)
            failure = errors.InternalError("An internal error has occurred")
        return self._error(failure, service=service, request_id=request_id)

    @staticmethod
    def _body(request: Request) -> bytes:
        length = request.content_length or 0
        if length > MAX_BODY:
            raise errors.RequestEntityTooLarge("The request body is too large")
        return request.get_data(cache=True)

    def _verify(self, request: Request, body: bytes, owners: dict[str, KeyOwner]) -> Verified:
        def secret(access_key: str) -> str | None:
            owner = self.authenticator.key_owner(access_key)
            if owner is None:
                return None
            owners[access_key] = owner
            return owner.secret_key

        verified = verify_request(
            method=request.method,
            path=raw_path_of(request.environ),
            query=request.environ.get("QUERY_STRING", ""),
            headers=list(request.headers.items()),
            secrets=secret,
            flavour=Flavour.QUERY,
            payload=body,
        )
        if verified is None:
            raise errors.AuthFailure("AWS was not able to validate the provided access credentials")
        if verified.service == "ec2" and verified.region != self.runtime.region:
            raise errors.AuthFailure(
                f"Credential should be scoped to a valid region, not '{verified.region}'. "
                f"This endpoint serves '{self.runtime.region}'."
            )
        return verified

    def _answer(
        self,
        request: Request,
        verified: Verified,
        owner: KeyOwner,
        params: Mapping[str, str],
        request_id: str,
    ) -> Response:
        model = service_model(verified.service)
        action = params.get("Action", "")
        if action not in model.operation_names:
            raise errors.InvalidAction(f"The action {action} is not valid for this web service.")
        translate = SERVICE_ACTIONS[verified.service].get(action)
        if translate is None:
            raise errors.UnsupportedOperation(f"The action {action} is not supported by Alto.")
        operation = model.operation_model(action)
        parsed = parse_input(operation=operation, params=params, protocol=model.protocol)
        context = QueryContext(
            dispatcher=self.dispatcher,
            caller=owner.caller,
            region=self.runtime.region,
            endpoint=request.host_url.rstrip("/"),
            request_id=request_id,
            ids=self.ids,
        )
        if parsed.get("DryRun") is True:
            dry_run(context, translate)
        output = translate(context, parsed)
        body = render_output(operation=operation, output=output, request_id=request_id)
        return Response(body, status=200, content_type=CONTENT_TYPE, headers=_id_header(request_id))

    @staticmethod
    def _error(failure: errors.AwsError, *, service: str, request_id: str) -> Response:
        model = service_model(service if service in SERVICE_ACTIONS else "ec2")
        body = render_error(
            protocol=model.protocol,
            namespace=xml_namespace(model),
            code=failure.code,
            message=failure.message,
            sender=failure.sender,
            request_id=request_id,
        )
        return Response(
            body, status=failure.status, content_type=CONTENT_TYPE, headers=_id_header(request_id)
        )


def _id_header(request_id: str) -> dict[str, str]:
    return {"x-amzn-RequestId": request_id}


def _from_sigv4(error: SigV4Error, *, service: str) -> errors.AwsError:
    """A signature failure as this service reports it (EC2 says AuthFailure for an unknown key)."""
    if service == "ec2" and error.code in EC2_AUTH_CODES:
        return errors.AuthFailure("AWS was not able to validate the provided access credentials")
    return errors.SIGNATURE_ERRORS.get(error.code, errors.IncompleteSignature)(error.message)
