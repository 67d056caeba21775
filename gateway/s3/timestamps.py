"""Timestamps as S3 writes and reads them.

S3 writes ISO-8601 with milliseconds and `Z` in XML bodies (`2009-10-12T17:50:30.000Z`) and
RFC 1123 in headers (`Wed, 12 Oct 2009 17:50:00 GMT`). It reads either, plus epoch seconds.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

ISO8601 = "iso8601"
RFC822 = "rfc822"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime, *, style: str) -> str:
    """Render `value` (naive means UTC) in `style`: `iso8601` or `rfc822`."""
    moment = _utc(value)
    if style == RFC822:
        return email.utils.format_datetime(moment, usegmt=True)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601, RFC 822/1123 or epoch-seconds timestamp into an aware UTC datetime.

    Raises ValueError when `text` is none of these.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty timestamp")
    if value.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), tz=UTC)
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        pass
    try:
        return _utc(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a timestamp: {text!r}") from exc
