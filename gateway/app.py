"""The WSGI application: one server for the native API and the AWS APIs.

Which endpoint answers a request is decided by the first of these rules that applies:

1. `Host: <bucket>.<s3_domain>` or `<bucket>.localhost` → S3 (virtual-host style);
2. the URL map: `/client/api` → the native API, `/console` → the web console's files;
3. SigV4 auth whose credential scope names a service in `AWS_SERVICES` → that endpoint;
4. any other request without SigV4 auth (anonymous, or SigV2 presigned) → S3 (path style).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

import native.api.commands  # noqa: F401  (registers every command)
from gateway.console import ConsoleEndpoint
from gateway.credential_scope import signed_service
from gateway.native_api import NativeApiEndpoint
from gateway.query_endpoint import QueryEndpoint
from gateway.s3.addressing import virtual_host_bucket
from gateway.s3_endpoint import S3Endpoint
from native.api.auth import Authenticator
from native.api.dispatcher import Dispatcher
from native.api.objects import ObjectApi
from native.drivers.catalog import DriverCatalog
from native.services.background import PERIODIC_TASKS
from native.services.db import Database
from native.services.jobs import JobRunner
from native.services.periodic import PeriodicRunner
from native.services.runtime import Runtime
from native.services.secrets import SecretBox

log = logging.getLogger(__name__)

Handler = Callable[[Request], Response]
Classifier = Callable[[Request], str | None]

DEFAULT_S3_DOMAIN = "localhost"

AWS_SERVICES: dict[str, str] = {"s3": "s3", "ec2": "query", "sts": "query", "iam": "query"}
"""SigV4 credential-scope service → endpoint name."""


class AltoApp:
    """Routes requests by a declarative URL map to endpoint handlers."""

    def __init__(
        self, *, runtime: Runtime, jobs: JobRunner | None, s3_domain: str = DEFAULT_S3_DOMAIN
    ) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.periodic: PeriodicRunner | None = None
        self.dispatcher = Dispatcher(runtime=runtime)
        self.s3_domain = s3_domain
        authenticator = Authenticator(runtime=runtime)
        native_api = NativeApiEndpoint(dispatcher=self.dispatcher, authenticator=authenticator)
        s3 = S3Endpoint(api=ObjectApi(runtime), authenticator=authenticator, domain=s3_domain)
        query = QueryEndpoint(
            runtime=runtime, dispatcher=self.dispatcher, authenticator=authenticator
        )
        self.handlers: dict[str, Handler] = {
            "native_api": native_api,
            "s3": s3,
            "query": query,
            "console": ConsoleEndpoint(),
        }
        self.classifiers: tuple[Classifier, ...] = (
            self._virtual_host,
            self._mapped,
            self._aws_service,
            self._unsigned,
        )
        self.url_map = Map(
            [
                Rule("/client/api", endpoint="native_api", methods=["GET", "POST"]),
                Rule("/client/api/", endpoint="native_api", methods=["GET", "POST"]),
                Rule("/console", endpoint="console", strict_slashes=False),
                Rule("/console/<path:asset>", endpoint="console"),
            ]
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint = next(
                (name for classify in self.classifiers if (name := classify(request))), None
            )
            if endpoint is None:
                raise NotFound()
            response = self.handlers[endpoint](request)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def _virtual_host(self, request: Request) -> str | None:
        bucket = virtual_host_bucket(host=request.host, domain=self.s3_domain)
        return None if bucket is None else "s3"

    def _mapped(self, request: Request) -> str | None:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, _ = adapter.match()
        except (NotFound, MethodNotAllowed):
            return None
        if endpoint == "console" and signed_service(request) is not None:
            return None  # a signed S3 request for a bucket named "console"
        return str(endpoint)

    @staticmethod
    def _aws_service(request: Request) -> str | None:
        service = signed_service(request)
        if service is None:
            return None
        endpoint = AWS_SERVICES.get(service or "s3")
        if endpoint is None:
            raise NotFound(f"No AWS service {service!r} here")
        return endpoint

    @staticmethod
    def _unsigned(request: Request) -> str | None:
        return "s3" if signed_service(request) is None else None

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
    s3_domain: str = DEFAULT_S3_DOMAIN,
    network_driver: str = "simulated",
    libvirt_domain_type: str = "auto",
) -> AltoApp:
    """Build the application on an already migrated and seeded database.

    With `start_jobs`, this process registers as a management server of `node` and starts
    its job workers and periodic tasks (call in each server process, after any fork);
    `close()` stops them. Drivers keep their state under `data_dir`. S3 answers virtual-host
    style requests for `<bucket>.<s3_domain>` (and `<bucket>.localhost`). `network_driver`
    runs the virtual routers, and `libvirt_domain_type` chooses KVM or QEMU TCG for KVM
    hosts' guests (see `DriverCatalog`).
    """
    runtime = Runtime(
        db=Database(url=db_url),
        secrets=SecretBox(key=encryption_key),
        msid=str(uuid.uuid4()),
        node=node,
        region=region,
        drivers=DriverCatalog(
            state_dir=(data_dir or Path(tempfile.mkdtemp())) / "drivers",
            network_driver=network_driver,
            libvirt_domain_type=libvirt_domain_type,
        ),
    )
    app = AltoApp(runtime=runtime, jobs=None, s3_domain=s3_domain)
    if start_jobs:
        runner = JobRunner(runtime=runtime, execute=app.dispatcher.run_job, workers=job_workers)
        runtime.wake_jobs = runner.wake
        app.jobs = runner
        runner.start()
        app.periodic = PeriodicRunner(runtime=runtime, tasks=PERIODIC_TASKS)
        app.periodic.start()
    return app
