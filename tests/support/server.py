"""A real Alto server in a subprocess, as a user starts it (`alto serve`).

The server gets a free port on 127.0.0.1, its own data directory and its own database
(see `databases.fresh_database`), one worker, and an empty configuration file, so
nothing from the developer's environment or /etc/alto leaks in; the demo zone is off unless
the test asks for it (`env={"ALTO_DEMO_ZONE": "true"}`). Its stdout and stderr
go to `server.stdout.log` and `server.stderr.log` in the data directory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.support.databases import fresh_database

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alto_command() -> list[str]:
    """The `alto` script of the virtualenv running the tests (or `python -m appliance`)."""
    script = Path(sys.executable).with_name("alto")
    return [str(script)] if script.exists() else [sys.executable, "-m", "appliance"]


def _tail(path: Path, *, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


class AltoServer:
    """One `alto serve` process: start, stop (SIGTERM), restart on the same port and data.

    After `start()`, `endpoint`, `apikey` and `secretkey` are those a user finds in
    `<data_dir>/admin-credentials.json`.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        db_url: str,
        workers: int = 1,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/client/api"
        self.apikey = ""
        self.secretkey = ""
        self.workers = workers
        self.extra_args = tuple(extra_args)
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.config_file = data_dir.parent / f"{data_dir.name}.toml"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "admin-credentials.json"

    @property
    def stdout_log(self) -> Path:
        return self.data_dir / "server.stdout.log"

    @property
    def stderr_log(self) -> Path:
        return self.data_dir / "server.stderr.log"

    def command(self) -> list[str]:
        return [
            *alto_command(),
            "serve",
            "--bind", f"127.0.0.1:{self.port}",
            "--data-dir", str(self.data_dir),
            "--db-url", self.db_url,
            "--workers", str(self.workers),
            "--config", str(self.config_file),
            *self.extra_args,
        ]  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it has written its credentials and answers HTTP.

        Raises RuntimeError, with the tail of the server's stderr, if it exits or is not
        ready within STARTUP_TIMEOUT seconds.
        """
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("server already running")
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.config_file.touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALTO_")}
        env["ALTO_DEMO_ZONE"] = "false"
        env.update(self.env)
        with self.stdout_log.open("ab") as out, self.stderr_log.open("ab") as err:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=self.data_dir,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        credentials = json.loads(self.credentials_file.read_text())
        self.apikey = credentials["apikey"]
        self.secretkey = credentials["secretkey"]

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status is not None:
                self._fail(f"alto serve exited with status {status} during startup")
            if self.credentials_file.exists() and self._answers():
                return
            time.sleep(0.1)
        self._fail(f"alto serve was not ready within {STARTUP_TIMEOUT:.0f} s")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}?command=listApis", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer (e.g. 401 unsigned) means a worker is serving
        except (OSError, urllib.error.URLError):
            return False

    def _fail(self, reason: str) -> None:
        message = f"{reason}; last lines of {self.stderr_log}:\n{_tail(self.stderr_log)}"
        print(message, file=sys.stderr)
        raise RuntimeError(message)

    def stop(self) -> int | None:
        """SIGTERM and wait (SIGKILL after STOP_TIMEOUT); the exit status, None if not started."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        try:  # workers left behind by a crashed master
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return process.returncode

    def restart(self) -> None:
        """Stop, then start again on the same port, data directory and database."""
        self.stop()
        self.start()

    def output(self) -> str:
        """Everything the server has printed on stdout so far (the start-up banner)."""
        return self.stdout_log.read_text(errors="replace")

    def client(self, **options: Any) -> Any:
        """A `cs.CloudStack` client signed with the admin's keys."""
        from cs import CloudStack

        return CloudStack(endpoint=self.endpoint, key=self.apikey, secret=self.secretkey, **options)


class ServerFactory:
    """Starts servers, each with its own directory and database; `close()` stops them all."""

    def __init__(self, *, root: Path) -> None:
        self._root = root
        self._count = 0
        self._stack = ExitStack()

    def __call__(
        self,
        *,
        workers: int = 1,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        db_url: str | None = None,
    ) -> AltoServer:
        """Start a server; with `db_url`, share that database instead of a fresh one."""
        self._count += 1
        base = self._root / f"server{self._count}"
        if db_url is None:
            db_url = self._stack.enter_context(fresh_database(directory=base))
        server = AltoServer(
            data_dir=base / "data", db_url=db_url, workers=workers, extra_args=extra_args, env=env
        )
        self._stack.callback(server.stop)
        server.start()
        return server

    def close(self) -> None:
        """Stop every server (in reverse order), then drop their databases."""
        self._stack.close()
