"""The WSGI application: one server for the native API (and, later, the AWS APIs)."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

import native.api.commands  # noqa: F401  (registers every command)
from gateway.native_api import NativeApiEndpoint
from native.api.auth import Authenticator
from native.api.dispatcher import Dispatcher
from native.drivers.catalog import DriverCatalog
from native.services.background import PERIODIC_TASKS
from native.services.db import Database
from native.services.jobs import JobRunner
from native.services.periodic import PeriodicRunner
from native.services.runtime import Runtime
from native.services.secrets import SecretBox

log = logging.getLogger(__name__)

Handler = Callable[[Request], Response]


class AltoApp:
    """Routes requests by a declarative URL map to endpoint handlers."""

    def __init__(self, *, runtime: Runtime, jobs: JobRunner | None) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.periodic: PeriodicRunner | None = None
        self.dispatcher = Dispatcher(runtime=runtime)
        native_api = NativeApiEndpoint(
            dispatcher=self.dispatcher, authenticator=Authenticator(runtime=runtime)
        )
        self.handlers: dict[str, Handler] = {"native_api": native_api}
        self.url_map = Map(
            [
                Rule("/client/api", endpoint="native_api", methods=["GET", "POST"]),
                Rule("/client/api/", endpoint="native_api", methods=["GET", "POST"]),
            ]
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, _ = adapter.match()
            response = self.handlers[str(endpoint)](request)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def close(self) -> None:
        """Stop the job workers and release database connections."""
        if self.periodic is not None:
            self.periodic.stop()
        if self.jobs is not None:
            self.jobs.stop()
        self.runtime.db.dispose()


def create_app(
    *,
    db_url: str,
    encryption_key: str,
    region: str = "us-east-1",
    job_workers: int = 4,
    start_jobs: bool = True,
    node: str = "",
    data_dir: Path | None = None,
) -> AltoApp:
    """Build the application on an already migrated and seeded database.

    With `start_jobs`, this process registers as a management server of `node` and starts
    its job workers and periodic tasks (call in each server process, after any fork);
    `close()` stops them. Drivers keep their state under `data_dir`.
    """
    runtime = Runtime(
        db=Database(url=db_url),
        secrets=SecretBox(key=encryption_key),
        msid=str(uuid.uuid4()),
        node=node,
        region=region,
        drivers=DriverCatalog(state_dir=(data_dir or Path(tempfile.mkdtemp())) / "drivers"),
    )
    app = AltoApp(runtime=runtime, jobs=None)
    if start_jobs:
        runner = JobRunner(runtime=runtime, execute=app.dispatcher.run_job, workers=job_workers)
        runtime.wake_jobs = runner.wake
        app.jobs = runner
        runner.start()
        app.periodic = PeriodicRunner(runtime=runtime, tasks=PERIODIC_TASKS)
        app.periodic.start()
    return app
