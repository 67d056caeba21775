"""Which S3 operation a request is, decided by a table built once from the model.

Each operation's `http.method` and `http.requestUri` give its route: the path template says
whether it addresses the service (`/`), a bucket (`/{Bucket}`), an object (`/{Bucket}/{Key+}`)
or a literal path (`/WriteGetObjectResponse`); the `?sub&name=value` part of the URI plus the
input's required `querystring` members give the query keys it needs, and the input's required
`header` members the headers it needs (`x-amz-copy-source` tells CopyObject from PutObject).
The most specific route wins (most required query keys and headers); among routes with the
same wire form, a non-deprecated operation beats a deprecated one, and ListBuckets beats
ListDirectoryBuckets (directory buckets are an S3 Express feature Alto does not have).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers

from gateway.s3.errors import MethodNotAllowed
from gateway.s3.model import Operation, S3Model, s3_model

# Operations that share their wire form with another one and lose to it.
_LOSES_TIES = frozenset({"ListDirectoryBuckets"})


class Target(enum.Enum):
    """What the request path addresses."""

    SERVICE = "service"
    BUCKET = "bucket"
    OBJECT = "object"
    LITERAL = "literal"


@dataclass(frozen=True, eq=False)
class Route:
    """One operation's matching rule."""

    operation: Operation
    target: Target
    literal: str | None
    query: Mapping[str, str | None]
    headers: frozenset[str]

    @property
    def signature(
        self,
    ) -> tuple[str, Target, str | None, frozenset[tuple[str, str | None]], frozenset[str]]:
        """The wire form: two routes with equal signatures cannot be told apart."""
        return (
            self.operation.method,
            self.target,
            self.literal,
            frozenset(self.query.items()),
            self.headers,
        )

    @property
    def rank(self) -> tuple[int, bool, bool]:
        """Sort key: most specific first, then non-deprecated, then the tie winners."""
        specificity = len(self.query) + len(self.headers) + (self.literal is not None)
        return (-specificity, self.operation.deprecated, self.operation.name in _LOSES_TIES)

    def accepts(
        self, *, bucket: str | None, key: str | None, query: Mapping[str, str], headers: Headers
    ) -> bool:
        """Whether a request with this address, query and headers is this route's operation."""
        if not _target_accepts(self, bucket=bucket, key=key):
            return False
        for name, wanted in self.query.items():
            if name not in query or (wanted is not None and query[name] != wanted):
                return False
        return all(name in headers for name in self.headers)


def _target_accepts(route: Route, *, bucket: str | None, key: str | None) -> bool:
    if route.target is Target.SERVICE:
        return bucket is None
    if route.target is Target.LITERAL:
        return bucket == route.literal and key is None
    if route.target is Target.BUCKET:
        return bucket is not None and key is None
    return bucket is not None and key is not None


def route_of(operation: Operation) -> Route:
    """Build the route of one operation from its `http` binding and input shape."""
    path, _, query_text = operation.request_uri.partition("?")
    segments = [segment for segment in path.split("/") if segment]
    literal: str | None = None
    if not segments:
        target = Target.SERVICE
    elif not segments[0].startswith("{"):
        target, literal = Target.LITERAL, segments[0]
    else:
        target = Target.OBJECT if len(segments) > 1 else Target.BUCKET
    query: dict[str, str | None] = {
        name: (value if "=" in part else None)
        for part in query_text.split("&")
        if part
        for name, value in parse_qsl(part, keep_blank_values=True)
    }
    headers: set[str] = set()
    if operation.input is not None:
        shape = operation.input.shape
        for name in shape.required:
            ref = shape.members[name]
            if ref.location == "querystring":
                query.setdefault(ref.xml_name, None)
            elif ref.location == "header":
                headers.add(ref.xml_name.lower())
    return Route(
        operation=operation,
        target=target,
        literal=literal,
        query=query,
        headers=frozenset(headers),
    )


class Router:
    """Matches requests to operations with routes ordered most specific first."""

    def __init__(self, *, model: S3Model) -> None:
        routes = [route_of(operation) for operation in model.operations.values()]
        self.routes: tuple[Route, ...] = tuple(sorted(routes, key=lambda route: route.rank))
        self._by_method: dict[str, tuple[Route, ...]] = {}
        for route in self.routes:
            method = route.operation.method
            self._by_method[method] = (*self._by_method.get(method, ()), route)

    def match(
        self,
        *,
        method: str,
        bucket: str | None,
        key: str | None,
        query: Mapping[str, str],
        headers: Headers,
    ) -> Operation:
        """The operation a request is. `query` maps each query key to its (first) value;
        `headers` is case-insensitive. Raises MethodNotAllowed when no operation matches."""
        for route in self._by_method.get(method.upper(), ()):
            if route.accepts(bucket=bucket, key=key, query=query, headers=headers):
                return route.operation
        raise MethodNotAllowed(Method=method.upper(), ResourceType=_resource_type(bucket, key))


def _resource_type(bucket: str | None, key: str | None) -> str:
    if bucket is None:
        return "SERVICE"
    return "BUCKET" if key is None else "OBJECT"


@functools.cache
def s3_router() -> Router:
    """The router over the installed botocore's S3 model (built once)."""
    return Router(model=s3_model())
