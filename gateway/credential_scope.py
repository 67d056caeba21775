"""Which AWS service a SigV4-signed request is for, read from its credential scope."""

from __future__ import annotations

from werkzeug.wrappers import Request

from gateway.s3_endpoint import raw_query_pairs


def signed_service(request: Request) -> str | None:
    """The service of a SigV4 credential scope (`AKID/date/region/SERVICE/aws4_request`), from
    the Authorization header or the `X-Amz-Credential` query parameter; None when unsigned,
    "" when the scope is malformed (S3 then reports it)."""
    authorization = request.headers.get("Authorization", "")
    credential = ""
    if authorization.startswith("AWS4-"):
        for part in authorization.partition(" ")[2].split(","):
            name, _, value = part.strip().partition("=")
            if name == "Credential":
                credential = value
    else:
        query = dict(raw_query_pairs(request.environ.get("QUERY_STRING", "")))
        if not query.get("X-Amz-Algorithm", "").startswith("AWS4-"):
            return None
        credential = query.get("X-Amz-Credential", "")
    scope = credential.split("/")
    return scope[3] if len(scope) == 5 else ""
