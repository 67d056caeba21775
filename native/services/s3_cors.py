"""Buckets' CORS rules: validating S3's CORSConfiguration and answering cross-origin requests.

The stored document (Bucket.cors) is the configuration as S3 exchanges it: {"CORSRules":
[{"AllowedMethods": [...], "AllowedOrigins": [...], "AllowedHeaders": [...],
"ExposeHeaders": [...], "MaxAgeSeconds": n, "ID": ...}]}. The first rule matching the
request's origin, method and (for a preflight) requested headers decides; origins and
allowed headers may hold one `*` wildcard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from native.services.errors import InvalidParameterValue

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
MAX_RULES = 100


def _strings(rule: Mapping[str, object], name: str, *, required: bool) -> list[str]:
    values = rule.get(name)
    if values is None and not required:
        return []
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise InvalidParameterValue(f"Each CORS rule needs a non-empty {name}")
    return [str(value) for value in values]


def _rule(rule: object) -> dict[str, object]:
    if not isinstance(rule, Mapping):
        raise InvalidParameterValue("A CORS rule must be a structure")
    methods = _strings(rule, "AllowedMethods", required=True)
    for method in methods:
        if method not in METHODS:
            raise InvalidParameterValue(f"Found unsupported HTTP method in CORS config: {method}")
    stored: dict[str, object] = {
        "AllowedMethods": methods,
        "AllowedOrigins": _strings(rule, "AllowedOrigins", required=True),
    }
    for name in ("AllowedHeaders", "ExposeHeaders"):
        if values := _strings(rule, name, required=False):
            stored[name] = values
    for name in ("AllowedOrigins", "AllowedHeaders"):
        for value in _strings(stored, name, required=False):
            if value.count("*") > 1:
                raise InvalidParameterValue(
                    f'{name} "{value}" can not have more than one wildcard.'
                )
    max_age = rule.get("MaxAgeSeconds")
    if max_age is not None:
        if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
            raise InvalidParameterValue("MaxAgeSeconds must be a non-negative integer")
        stored["MaxAgeSeconds"] = max_age
    if rule.get("ID") is not None:
        stored["ID"] = str(rule["ID"])
    return stored


def parse_configuration(configuration: object) -> str:
    """The stored document of a CORSConfiguration: 1 to 100 rules, each with allowed
    methods among GET, PUT, POST, DELETE, HEAD and allowed origins (431 otherwise)."""
    rules = configuration.get("CORSRules") if isinstance(configuration, Mapping) else None
    if not isinstance(rules, list) or not 1 <= len(rules) <= MAX_RULES:
        raise InvalidParameterValue(f"A CORS configuration holds 1 to {MAX_RULES} rules")
    return json.dumps({"CORSRules": [_rule(rule) for rule in rules]})


@dataclass(frozen=True, kw_only=True)
class CorsRequest:
    """A cross-origin request: its Origin, method (the requested one for a preflight) and,
    for a preflight, the headers it asks for."""

    origin: str
    method: str
    headers: Sequence[str] = ()


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whether `value` matches `pattern`, whose `*` stands for any string."""
    regex = re.escape(pattern).replace(r"\*", ".*")
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _allows(rule: Mapping[str, object], request: CorsRequest) -> bool:
    methods = rule.get("AllowedMethods")
    origins = rule.get("AllowedOrigins")
    allowed_headers = rule.get("AllowedHeaders") or []
    assert isinstance(methods, list) and isinstance(origins, list)
    assert isinstance(allowed_headers, list)
    return (
        request.method in methods
        and any(_matches(pattern, request.origin) for pattern in origins)
        and all(
            any(_matches(pattern, header, ignore_case=True) for pattern in allowed_headers)
            for header in request.headers
        )
    )


def response_headers(
    document: str | None, request: CorsRequest, *, preflight: bool
) -> dict[str, str] | None:
    """The Access-Control-* headers of the first rule of `document` allowing the request;
    None when no rule does (or the bucket has no CORS configuration)."""
    if not document:
        return None
    for rule in json.loads(document)["CORSRules"]:
        if _allows(rule, request):
            return _headers(rule, request, preflight=preflight)
    return None


def _headers(
    rule: Mapping[str, object], request: CorsRequest, *, preflight: bool
) -> dict[str, str]:
    origins, methods = rule["AllowedOrigins"], rule["AllowedMethods"]
    assert isinstance(origins, list) and isinstance(methods, list)
    wildcard = "*" in origins
    headers = {
        "Access-Control-Allow-Origin": "*" if wildcard else request.origin,
        "Access-Control-Allow-Methods": ", ".join(str(m) for m in methods),
        "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    }
    if not wildcard:
        headers["Access-Control-Allow-Credentials"] = "true"
    if preflight and request.headers:
        headers["Access-Control-Allow-Headers"] = ", ".join(h.lower() for h in request.headers)
    expose = rule.get("ExposeHeaders")
    if isinstance(expose, list) and expose:
        headers["Access-Control-Expose-Headers"] = ", ".join(str(h) for h in expose)
    if preflight and rule.get("MaxAgeSeconds") is not None:
        headers["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    return headers
