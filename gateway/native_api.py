"""`/client/api`: CloudStack's query API over HTTP (GET or form POST, XML or JSON)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from werkzeug.wrappers import Request, Response

from gateway.cloudstack_signature import parse_expires, signature_matches
from native.api.auth import Authenticator
from native.api.dispatcher import Dispatcher, Reply
from native.api.render import (
    JSON_CONTENT_TYPE,
    XML_CONTENT_TYPE,
    encode_json,
    encode_xml,
    error_tree,
)
from native.api.responses import Tree
from native.services.caller import Caller
from native.services.errors import CloudError, Unauthorized, UnsupportedAction

SESSION_COOKIE = "JSESSIONID"
BAD_CREDENTIALS = "unable to verify user credentials and/or request signature"


class MethodNotAllowed(CloudError):
    errorcode = 405
    cserrorcode = 9999


def request_params(request: Request) -> dict[str, str]:
    """Query and form parameters merged (form wins), first value of each name."""
    params = {name: request.args[name] for name in request.args}
    params.update({name: request.form[name] for name in request.form})
    return params


def _get(params: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in params.items():
        if key.lower() == lowered:
            return value
    return None


class NativeApiEndpoint:
    """Authenticates a request, runs its command through the dispatcher, encodes the answer."""

    def __init__(self, *, dispatcher: Dispatcher, authenticator: Authenticator) -> None:
        self.dispatcher = dispatcher
        self.authenticator = authenticator

    def __call__(self, request: Request) -> Response:
        params = request_params(request)
        command = _get(params, "command") or ""
        as_json = (_get(params, "response") or "xml").lower() == "json"
        if command.lower() == "login":
            return self._login(request, params, as_json)
        if command.lower() == "logout":
            return self._logout(request, as_json)
        try:
            caller = self._authenticate(request, params)
            if not command:
                raise UnsupportedAction("The command parameter is missing")
        except CloudError as error:
            return self._encode(
                Reply(command or "error", error.errorcode, error_tree(error)), as_json
            )
        return self._encode(
            self.dispatcher.call(command=command, params=params, caller=caller), as_json
        )

    def _authenticate(self, request: Request, params: Mapping[str, str]) -> Caller:
        api_key = _get(params, "apiKey")
        if api_key is not None:
            return self._by_signature(params, api_key)
        cookie = request.cookies.get(SESSION_COOKIE)
        session_key = _get(params, "sessionkey")
        if cookie and session_key:
            caller = self.authenticator.session_caller(cookie=cookie, session_key=session_key)
            if caller is not None:
                return caller
        raise Unauthorized(BAD_CREDENTIALS)

    def _by_signature(self, params: Mapping[str, str], api_key: str) -> Caller:
        signature = _get(params, "signature")
        if not signature:
            raise Unauthorized(BAD_CREDENTIALS)
        if _get(params, "signatureVersion") == "3":
            expires_text = _get(params, "expires")
            expires = None if expires_text is None else parse_expires(expires_text)
            if expires is None:
                raise Unauthorized(
                    "signatureVersion 3 requires an 'expires' parameter like 2026-01-31T12:00:00+0000"
                )
            if expires <= dt.datetime.now(dt.UTC):
                raise Unauthorized(f"Request expired -- ignoring ...sig: {signature}")
        owner = self.authenticator.key_owner(api_key)
        if owner is None or not signature_matches(
            params, signature=signature, secret_key=owner.secret_key
        ):
            raise Unauthorized(BAD_CREDENTIALS)
        return owner.caller

    def _login(self, request: Request, params: Mapping[str, str], as_json: bool) -> Response:
        if request.method != "POST":
            error = MethodNotAllowed("Please use HTTP POST to authenticate using this API")
            return self._encode(Reply("login", error.errorcode, error_tree(error)), as_json)
        login = self.authenticator.login(
            username=_get(params, "username") or "",
            password=_get(params, "password") or "",
            domain=_get(params, "domain"),
        )
        if login is None:
            failure = Unauthorized(
                "Failed to authenticate user "
                f"{_get(params, 'username') or ''} in domain {_get(params, 'domain') or '/'}; "
                "please provide valid credentials"
            )
            return self._encode(Reply("login", failure.errorcode, error_tree(failure)), as_json)
        response = self._encode(Reply("login", 200, login.body), as_json)
        response.set_cookie(
            SESSION_COOKIE,
            login.cookie,
            httponly=True,
            samesite="Lax",
            path="/",
            secure=request.is_secure,
        )
        return response

    def _logout(self, request: Request, as_json: bool) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            self.authenticator.logout(cookie=cookie)
        body: Tree = {"description": "success"}
        response = self._encode(Reply("logout", 200, body), as_json)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def _encode(self, reply: Reply, as_json: bool) -> Response:
        if as_json:
            return Response(
                encode_json(reply.command, reply.body),
                status=reply.status,
                content_type=JSON_CONTENT_TYPE,
            )
        return Response(
            encode_xml(reply.command, reply.body, version=self.dispatcher.runtime.version),
            status=reply.status,
            content_type=XML_CONTENT_TYPE,
        )
