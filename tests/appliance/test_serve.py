"""`alto serve` end to end: a real server answers `cs`, restarts keep its keys."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.server import AltoServer, ServerFactory


def test_server_answers_signed_requests_with_the_printed_keys(alto_server: AltoServer) -> None:
    apis = alto_server.client().listApis()
    assert any(api["name"] == "listApis" for api in apis["api"])
    output = alto_server.output()
    assert alto_server.endpoint in output
    assert alto_server.apikey in output
    assert alto_server.secretkey in output
    assert str(alto_server.data_dir) in output


def test_restart_keeps_keys_and_prints_them_again(start_alto_server: ServerFactory) -> None:
    server = start_alto_server()
    first = (server.apikey, server.secretkey)
    credentials = server.credentials_file.read_text()

    assert server.stop() == 0  # SIGTERM is a clean shutdown
    server.start()

    assert (server.apikey, server.secretkey) == first
    assert server.credentials_file.read_text() == credentials
    assert server.output().count(server.apikey) == 2
    assert server.output().count("admin password") == 1
    assert server.client().listApis()["count"] > 0


def test_a_notify_unit_hears_ready_once_the_server_listens(
    start_alto_server: ServerFactory, tmp_path: Path
) -> None:
    address = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        listener.settimeout(120)
        server = start_alto_server(env={"NOTIFY_SOCKET": str(address)})
        # gunicorn's arbiter says so itself once it listens (alto.service is Type=notify)
        assert listener.recv(256).startswith(b"READY=1")
    assert server.client().listApis()["count"] > 0
