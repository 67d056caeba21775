"""What every S3 operation receives: the object API, who calls, and where."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from native.api.objects import ObjectApi, canonical_id
from native.services.caller import Caller

Params = Mapping[str, object]
"""An operation's input as `gateway.s3.codec.parse_request` reads it (member name → value)."""

Output = dict[str, object]
"""An operation's output for `gateway.s3.codec.render_response` (member name → value)."""


@dataclass(frozen=True, kw_only=True)
class S3Context:
    """One S3 request's caller (None when anonymous), the object API and this region."""

    api: ObjectApi
    caller: Caller | None
    region: str


Operation = Callable[[S3Context, Params], Output]


def owner(account_uuid: str, account_name: str) -> Output:
    """An S3 `Owner` structure for an account."""
    return {"ID": canonical_id(account_uuid), "DisplayName": account_name}


def text(params: Params, name: str) -> str | None:
    """A string member of the input, or None when absent."""
    value = params.get(name)
    return value if isinstance(value, str) else None
