"""Gunicorn, run in process: a master that forks workers, each building its own app.

The application is built in `load()`, which gunicorn calls in each worker after the fork
(no `preload_app`), because `create_app` starts job threads and opens database
connections that must not cross a fork; its modules, though, are imported once in the
master, so workers inherit them instead of each importing them again (seconds on a slow
machine). `worker_exit` closes it. SIGTERM stops the
master gracefully (workers finish in-flight requests within `graceful_timeout`); SIGINT
stops it at once.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from gunicorn.app.base import BaseApplication

from appliance.config import Config

log = logging.getLogger(__name__)

GRACEFUL_TIMEOUT = 5
THREADS = 8
KEEPALIVE = 75


class WsgiApp(Protocol):
    """What `gateway.app.create_app` returns: a WSGI callable that can be closed."""

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]: ...

    def close(self) -> None: ...


def gunicorn_options(*, config: Config) -> dict[str, object]:
    """Gunicorn settings for `config`: gthread workers, error log on stderr, no access log."""
    return {
        "bind": [config.bind],
        "workers": config.workers,
        "worker_class": "gthread",
        "threads": THREADS,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "timeout": 60,
        # Clients that reuse idle connections without retrying (`cs`) get a reset when the
        # server closes one as they send; 75 s (nginx's default) makes that window rare.
        "keepalive": KEEPALIVE,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": config.log_level,
        "preload_app": False,
        "proc_name": "alto",
        # Gunicorn >= 25.1 opens a control socket in $HOME shared by every server; not ours.
        "control_socket_disable": True,
    }


class AltoServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """A gunicorn application serving `gateway.app.create_app` with `config`'s settings."""

    def __init__(self, *, config: Config, encryption_key: str, node: str) -> None:
        self._config = config
        self._encryption_key = encryption_key
        self._node = node
        self._app: WsgiApp | None = None
        super().__init__(prog="alto")

    def load_config(self) -> None:
        known = self.cfg.settings
        for name, value in gunicorn_options(config=self._config).items():
            if name in known:
                self.cfg.set(name, value)
        self.cfg.set("worker_exit", self._worker_exit)

    def load(self) -> WsgiApp:
        """Build the app; runs in the worker process, after the fork."""
        from gateway.app import create_app

        started = time.monotonic()
        self._app = create_app(
            db_url=self._config.db_url,
            encryption_key=self._encryption_key,
            region=self._config.region,
            job_workers=self._config.job_workers,
            start_jobs=True,
            node=self._node,
            data_dir=self._config.data_dir,
            s3_domain=self._config.s3_domain,
            network_driver=self._config.network_driver,
            libvirt_domain_type=self._config.libvirt_domain_type,
        )
        log.info("worker ready in %.1f s", time.monotonic() - started)
        return self._app

    def _worker_exit(self, _server: object, _worker: object) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def serve(*, config: Config, encryption_key: str, node: str) -> None:
    """Run the server until it is stopped by a signal; gunicorn exits the process."""
    importlib.import_module("gateway.app")
    AltoServer(config=config, encryption_key=encryption_key, node=node).run()
