"""CloudStack request signing (HMAC-SHA1 over the sorted, encoded, lower-cased parameters)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

EXPIRES_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z")


def _cs_encode(value: str) -> str:
    return quote(value, safe="*")


def _java_encode(value: str) -> str:
    return quote(value, safe="*").replace("~", "%7E")


def canonical_strings(params: Mapping[str, str]) -> set[str]:
    """The strings a correct client may have signed for these parameters.

    CloudStack's rule: every parameter but `signature`, sorted by name case-sensitively,
    `name=value` joined by `&` with values URL-encoded (`%20` for spaces), lower-cased.
    Clients differ in small ways the server has always tolerated: libcloud sorts by
    lower-cased name, Java's encoder also escapes `~`.
    """
    items = [(name, value) for name, value in params.items() if name.lower() != "signature"]
    variants = set()
    for encode in (_cs_encode, _java_encode):
        for ordered in (sorted(items), sorted(items, key=lambda item: item[0].lower())):
            variants.add("&".join(f"{name}={encode(value)}" for name, value in ordered).lower())
    return variants


def sign(params: Mapping[str, str], *, secret_key: str) -> str:
    """The signature `cs` would send for these parameters (case-sensitive order)."""
    items = sorted((name, value) for name, value in params.items() if name.lower() != "signature")
    text = "&".join(f"{name}={_cs_encode(value)}" for name, value in items).lower()
    return _digest(text, secret_key)


def _digest(text: str, secret_key: str) -> str:
    mac = hmac.new(secret_key.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def signature_matches(params: Mapping[str, str], *, signature: str, secret_key: str) -> bool:
    """Whether `signature` signs `params` with `secret_key`; compared in constant time."""
    matched = False
    for text in canonical_strings(params):
        matched |= hmac.compare_digest(_digest(text, secret_key), signature)
    return matched


def parse_expires(value: str) -> dt.datetime | None:
    """The `expires` timestamp (ISO-8601 with a zone), or None if it is not one."""
    for fmt in EXPIRES_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
