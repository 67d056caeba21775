"""`/console`: the web console's built files (`console/` holds their source).

The console is a single-page application that drives only `/client/api` with a browser
session, so this endpoint serves files and nothing else: `index.html` (never cached, so a
new build is picked up at once) and the hashed assets beside it (cached for good). Every
answer forbids framing, inline scripts and other origins.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Request, Response

ASSETS = Path(__file__).parent / "console_assets"
PREFIX = "/console"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
IMMUTABLE = "public, max-age=31536000, immutable"


class ConsoleEndpoint:
    """Serves the console's files from `assets` (404 for anything not among them)."""

    def __init__(self, *, assets: Path = ASSETS) -> None:
        self.assets = assets

    def __call__(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
        if request.path == PREFIX:
            return redirect(f"{PREFIX}/", code=308)
        name = request.path.removeprefix(f"{PREFIX}/") or "index.html"
        if not (self.assets / "index.html").is_file():
            raise NotFound("The console is not built: run `npm run build` in console/")
        response = send_from_directory(self.assets, name, request.environ)
        response.headers.update(SECURITY_HEADERS)
        if name == "index.html":
            response.headers["Cache-Control"] = "no-cache"
        else:
            response.headers["Cache-Control"] = IMMUTABLE
        return response
