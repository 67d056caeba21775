"""Where an S3 request points: bucket and key from the Host header and the raw path.

Virtual-host style: `Host: <bucket>.<domain>` for the configured S3 domain or `localhost`
(the port is ignored, bucket names may contain dots); the whole path is the key. Otherwise
path style: `/<bucket>/<key>`. A host that is an IP address is always path style. The path is
percent-decoded exactly once, `+` stays a plus, and nothing is normalised: `a//b`, a trailing
`/` and a leading `/` (virtual host `//x` is the key `/x`) are part of the key as in S3.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from gateway.s3.errors import InvalidArgument, InvalidBucketName, InvalidURI

LOCALHOST = "localhost"

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


@dataclass(frozen=True)
class S3Address:
    """The bucket (None for the service) and key (None for a bucket) a request addresses."""

    bucket: str | None
    key: str | None
    virtual_host: bool


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.removesuffix(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def virtual_host_bucket(*, host: str, domain: str | None) -> str | None:
    """The bucket named by a virtual-host style `Host` header, or None for path style.

    The longest matching domain wins, so with the domain `s3.localhost` the host
    `a.s3.localhost` names bucket `a`, not `a.s3`."""
    name = _host_name(host)
    if not name or _is_ip(name):
        return None
    suffixes = {LOCALHOST, *((domain.strip(".").lower(),) if domain else ())}
    for suffix in sorted(suffixes, key=len, reverse=True):
        if name.endswith("." + suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix) - 1]
    return None


def _decode(raw: str) -> str:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidURI() from exc


def resolve_address(*, host: str, raw_path: str, domain: str | None) -> S3Address:
    """Resolve bucket and key from the `Host` header and the raw (still percent-encoded)
    request path, without its query string. Raises InvalidURI when the path does not decode
    as UTF-8."""
    bucket = virtual_host_bucket(host=host, domain=domain)
    path = raw_path if raw_path.startswith("/") else "/" + raw_path
    if bucket is not None:
        key = _decode(path[1:])
        return S3Address(bucket=bucket, key=key or None, virtual_host=True)
    bucket_part, _, key_part = path[1:].partition("/")
    bucket_name = _decode(bucket_part)
    key = _decode(key_part)
    return S3Address(bucket=bucket_name or None, key=key or None, virtual_host=False)


@dataclass(frozen=True)
class CopySource:
    """The object an `x-amz-copy-source` header names."""

    bucket: str
    key: str
    version_id: str | None


def parse_copy_source(*, value: str) -> CopySource:
    """Parse `x-amz-copy-source` (`[/]bucket/key[?versionId=id]`, percent-encoded; the key is
    decoded once, a `?` inside it arrives as `%3F`). Raises InvalidArgument when the bucket
    or key is missing or the value does not decode."""
    path, _, query = value.partition("?")
    bucket, _, key = path.removeprefix("/").partition("/")
    version_id: str | None = None
    if query:
        name, _, version = query.partition("=")
        if name != "versionId" or not version:
            raise InvalidArgument(
                "Unsupported copy source parameter.",
                ArgumentName="x-amz-copy-source",
                ArgumentValue=value,
            )
        version_id = unquote(version)
    if not bucket or not key:
        raise InvalidArgument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        )
    try:
        return CopySource(bucket=_decode(bucket), key=_decode(key), version_id=version_id)
    except InvalidURI as exc:
        raise InvalidArgument(
            "Invalid copy source object key",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=value,
        ) from exc


def raw_path_of(environ: Mapping[str, object]) -> str:
    """The request path as the client sent it (percent-encoded, no query string).

    Uses `RAW_URI` (gunicorn, werkzeug) or `REQUEST_URI` (mod_wsgi, uWSGI); failing those,
    re-encodes the already decoded `PATH_INFO`, which loses only the distinction between
    `/` and `%2F`.
    """
    for name in ("RAW_URI", "REQUEST_URI"):
        raw = environ.get(name)
        if isinstance(raw, str) and raw:
            if not raw.startswith("/"):
                raw = urlsplit(raw).path or "/"
            return raw.split("?", 1)[0]
    path_info = environ.get("PATH_INFO")
    decoded = (
        path_info.encode("latin-1").decode("utf-8", "replace") if isinstance(path_info, str) else ""
    )
    return quote(decoded or "/", safe="/")


def check_bucket_name(*, name: str) -> None:
    """Raise InvalidBucketName unless `name` follows S3's general-purpose bucket naming rules:
    3-63 characters of lower-case letters, digits, dots and hyphens, starting and ending with
    a letter or digit, no `..`, not an IP address, no reserved prefix or suffix."""
    valid = (
        _BUCKET_NAME.match(name) is not None
        and ".." not in name
        and not _is_ip(name)
        and not name.startswith(_RESERVED_PREFIXES)
        and not name.endswith(_RESERVED_SUFFIXES)
    )
    if not valid:
        raise InvalidBucketName(BucketName=name)
