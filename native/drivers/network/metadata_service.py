"""The instance metadata service a virtual router runs at its guest gateways and at
169.254.169.254, serving the router's `vm-data.json` (see `render.metadata`).

It answers EC2's paths under `/latest/` (or a dated version such as `/2009-04-04/`):
`meta-data/` and its items, `meta-data/public-keys/` (`0=name`, then `0/openssh-key`), and
`user-data`. The guest is the one whose address the request comes from: a guest can only
ever read its own data, and an address the router does not serve gets 404.

IMDSv2: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1–21600) gives
a token bound to the asking address; a GET that sends `X-aws-ec2-metadata-token` must send a
valid, unexpired one of its own (401 otherwise), and a GET without one is served
(`HttpTokens=optional`, EC2's default). A token request that carries `X-Forwarded-For` is
refused (403), as EC2 does, so that a proxy on the guest cannot fetch tokens for others.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TOKEN_TTL = 21600
_VERSION = re.compile(r"^(latest|\d{4}-\d{2}-\d{2})$")

Guest = dict[str, Any]


class MetadataService:
    """A WSGI application over one router's `vm-data.json` (re-read when it changes).
    `secret` signs IMDSv2 tokens (random when not given: tokens then die with the process).
    """

    def __init__(self, *, vm_data: Path, secret: bytes | None = None) -> None:
        self._path = vm_data
        self._secret = secret or secrets.token_bytes(32)
        self._loaded: tuple[float, dict[str, Guest]] = (-1.0, {})

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self._answer(Request(environ))
        return response(environ, start_response)

    def _guests(self) -> dict[str, Guest]:
        try:
            mtime = self._path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if mtime != self._loaded[0]:
            self._loaded = (mtime, json.loads(self._path.read_text()))
        return self._loaded[1]

    def _answer(self, request: Request) -> Response:
        address = request.remote_addr or ""
        parts = request.path.strip("/").split("/")
        if request.method == "PUT":
            if parts == ["latest", "api", "token"]:
                return self._token(request, address)
            return _text("Forbidden", status=403)
        if request.method not in ("GET", "HEAD"):
            return _text("Method Not Allowed", status=405)
        if TOKEN_HEADER in request.headers and not self._valid(
            request.headers[TOKEN_HEADER], address
        ):
            return _text("Unauthorized", status=401)
        if parts == [""]:
            return _text("latest")
        guest = self._guests().get(address)
        if guest is None or not _VERSION.match(parts[0]):
            return _text("Not Found", status=404)
        return _guest_answer(guest, parts[1:], directory=request.path.endswith("/"))

    def _token(self, request: Request, address: str) -> Response:
        if "X-Forwarded-For" in request.headers:
            return _text("Forbidden", status=403)
        try:
            ttl = int(request.headers.get(TOKEN_TTL_HEADER, ""))
        except ValueError:
            return _text("Bad Request", status=400)
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            return _text("Bad Request", status=400)
        expires = int(time.time()) + ttl
        payload = f"{expires}:{address}".encode()
        token = base64.urlsafe_b64encode(payload + b"|" + self._sign(payload)).decode()
        return _text(token, headers={TOKEN_TTL_HEADER: str(ttl)})

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    def _valid(self, token: str, address: str) -> bool:
        try:
            raw = base64.urlsafe_b64decode(token.encode())
        except (binascii.Error, ValueError):
            return False
        payload, _, signature = raw.partition(b"|")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return False
        expires, _, bound = payload.decode(errors="replace").partition(":")
        return bound == address and expires.isdigit() and int(expires) > time.time()


def _text(
    body: str | bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body, status=status, headers=headers, content_type="text/plain")


def _listing(names: Iterable[str]) -> Response:
    return _text("\n".join(names))


def _guest_answer(guest: Guest, path: list[str], *, directory: bool) -> Response:
    path = [part for part in path if part]
    if not path:
        return _listing(["meta-data", *(["user-data"] if guest.get("user-data") else [])])
    if path == ["user-data"]:
        user_data = guest.get("user-data")
        if not user_data:
            return _text("Not Found", status=404)
        return _text(base64.b64decode(user_data))
    if path[0] != "meta-data":
        return _text("Not Found", status=404)
    if path[1:2] == ["public-keys"]:
        return _public_keys(guest.get("public-keys") or [], path[2:])
    return _meta_data(guest.get("meta-data") or {}, "/".join(path[1:]), directory=directory)


def _meta_data(items: dict[str, str], wanted: str, *, directory: bool) -> Response:
    if wanted in items and not directory:
        return _text(items[wanted])
    prefix = f"{wanted}/" if wanted else ""
    children = {
        path[len(prefix) :].split("/", 1)[0] + ("/" if "/" in path[len(prefix) :] else "")
        for path in items
        if path.startswith(prefix)
    }
    if wanted == "" and items:
        children.add("public-keys/")
    if not children:
        return _text("Not Found", status=404)
    return _listing(sorted(children))


def _public_keys(keys: list[list[str]], path: list[str]) -> Response:
    if not keys:
        return _text("Not Found", status=404)
    if not path:
        return _listing(f"{index}={name}" for index, (name, _) in enumerate(keys))
    if not path[0].isdigit() or int(path[0]) >= len(keys):
        return _text("Not Found", status=404)
    if path[1:] == []:
        return _listing(["openssh-key"])
    if path[1:] == ["openssh-key"]:
        return _text(keys[int(path[0])][1])
    return _text("Not Found", status=404)
