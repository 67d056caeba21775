"""Serve one router's instance metadata (`MetadataService`) over HTTP:

    python -m native.drivers.network.metadata_server --vm-data PATH [--port 80]
        [--address 0.0.0.0] [--pid-file PATH]

Without `--pid-file` it serves in the foreground. With it, it binds first (so a port that
cannot be bound fails the command), then detaches: the serving process runs in a session
of its own, its pid is written to the file, and the command exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import socketserver
from collections.abc import Sequence
from pathlib import Path

from werkzeug.serving import ThreadedWSGIServer

from native.drivers.network.metadata_service import MetadataService


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server (what `make_server(..., threaded=True)` builds), minus the
    reverse DNS lookup of its own address that `HTTPServer.server_bind` makes: a router's
    namespace has no resolver, so the lookup would only time out."""

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


def _detach(pid_file: Path) -> None:
    """Fork; the parent records the child's pid and exits, the child carries on alone."""
    child = os.fork()
    if child:
        staging = pid_file.with_name(f".{pid_file.name}.{child}")
        staging.write_text(f"{child}\n")
        os.replace(staging, pid_file)
        os._exit(0)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve one router's instance metadata.")
    parser.add_argument("--vm-data", type=Path, required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--address", default="0.0.0.0")
    parser.add_argument("--pid-file", type=Path)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    service = MetadataService(vm_data=args.vm_data)
    server = _Server(args.address, args.port, service)
    if args.pid_file is not None:
        _detach(args.pid_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
