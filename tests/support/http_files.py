"""A small HTTP file server for tests, on 127.0.0.1, in a thread of the test process.

    with HttpFiles() as files:
        url = files.add("disk.qcow2", data, delay=0.1, hold_after=len(data) // 2)
        ...                       # the client has received half the file and waits
        files.release("disk.qcow2")

`delay` sleeps between chunks (so progress is visible); `hold_after` stops serving after that
many bytes until `release`. Unknown paths get 404. `hits` counts the GETs of each name.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

HOLD_TIMEOUT = 60.0


@dataclass
class Served:
    """One file: its bytes and how slowly to serve them."""

    data: bytes
    chunk: int
    delay: float
    hold_after: int | None
    released: threading.Event = field(default_factory=threading.Event)


class HttpFiles:
    """Serves registered byte strings at `http://127.0.0.1:<port>/<name>`."""

    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        self.hits: Counter[str] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def add(
        self,
        name: str,
        data: bytes,
        *,
        chunk: int = 64 * 1024,
        delay: float = 0.0,
        hold_after: int | None = None,
    ) -> str:
        """Serve `data` at `/<name>`; its URL."""
        self.files[name] = Served(data=data, chunk=chunk, delay=delay, hold_after=hold_after)
        return self.url(name)

    def release(self, name: str) -> None:
        """Let a held transfer of `name` go on to the end."""
        self.files[name].released.set()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for served in self.files.values():
            served.released.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/").split("?")[0]
                served = owner.files.get(name)
                owner.hits[name] += 1
                if served is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(served.data)))
                self.end_headers()
                try:
                    self._send(served)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, served: Served) -> None:
                sent = 0
                while sent < len(served.data):
                    if served.hold_after is not None and sent >= served.hold_after:
                        served.released.wait(HOLD_TIMEOUT)
                    end = min(sent + served.chunk, len(served.data))
                    if served.hold_after is not None and sent < served.hold_after < end:
                        end = served.hold_after
                    self.wfile.write(served.data[sent:end])
                    self.wfile.flush()
                    sent = end
                    if served.delay:
                        time.sleep(served.delay)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
