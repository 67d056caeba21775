"""Dispatch: find the declared command, check the caller may run it, parse, run, render.

The gateway (for `/client/api`) and the AWS translator both call `Dispatcher.call`,
with the caller already authenticated. Async commands are queued as jobs and run by
`Dispatcher.run_job` on a job worker thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from native.api.command import REGISTRY, Command, CommandContext, Registry
from native.api.params import ParseScope
from native.api.render import error_tree, result_tree
from native.api.responses import ResponseObject, Result, Tree
from native.model import AsyncJob, User, utcnow
from native.model.jobs import JOB_FAILED, JOB_PENDING, JOB_SUCCEEDED
from native.services.caller import Caller
from native.services.errors import (
    CloudError,
    ConcurrentOperation,
    InternalError,
    Unauthorized,
    UnsupportedAction,
)
from native.services.events import record_event
from native.services.job_completions import JobCompletions
from native.services.rbac import role_allows
from native.services.runtime import Runtime

log = logging.getLogger(__name__)

TRANSPORT_PARAMS = frozenset(
    {"command", "apikey", "signature", "signatureversion", "expires", "response", "sessionkey", "_"}
)
INTERNAL_ERROR_TEXT = "Internal error executing command, please contact your system administrator"


@dataclass(frozen=True)
class Reply:
    """A rendered answer: the command name (for the envelope key), HTTP status and body."""

    command: str
    status: int
    body: Tree


def _submitted_tree(job_id: str, instance_id: str | None) -> Tree:
    if instance_id is None:
        return {"jobid": job_id}
    return {"id": instance_id, "jobid": job_id}


SEALED_KEY = "_sealed"


class Dispatcher:
    """Runs declared commands for authenticated callers."""

    def __init__(self, *, runtime: Runtime, registry: Registry = REGISTRY) -> None:
        self.runtime = runtime
        self.registry = registry
        self.completions = JobCompletions()

    def permitted(self, session: Session, caller: Caller, command: type[Command]) -> bool:
        """Whether the caller's role type and role rules both allow the command."""
        return caller.role_type in command.authorized and role_allows(
            session, caller.role_id, command.api_name
        )

    def allows(self, *, caller: Caller, command: str) -> bool:
        """Whether the caller may run the named command (False for one that does not exist)."""
        declared = self.registry.find(command)
        if declared is None:
            return False
        with self.runtime.db.session(write=False) as session:
            return self.permitted(session, caller, declared)

    def call(self, *, command: str, params: Mapping[str, str], caller: Caller) -> Reply:
        """Run one command for the caller and render the answer. Never raises CloudError."""
        declared = self.registry.find(command)
        name = declared.api_name if declared is not None else command
        try:
            if declared is None:
                raise UnsupportedAction(
                    f"The given command: {command} does not exist or it is not available for user"
                )
            return Reply(name, 200, self._run(declared, params, caller))
        except CloudError as error:
            if declared is not None and declared.event_type and not isinstance(error, Unauthorized):
                self._record_failure(declared, caller, error)
            return Reply(name, error.errorcode, error_tree(error))
        except Exception:
            log.exception("command %s failed", name)
            return Reply(name, 530, error_tree(InternalError(INTERNAL_ERROR_TEXT)))

    def _run(self, declared: type[Command], params: Mapping[str, str], caller: Caller) -> Tree:
        write = declared.is_async or not declared.read_only
        with self.runtime.db.session(write=write) as session:
            if not self.permitted(session, caller, declared):
                raise Unauthorized(
                    f"The given command: {declared.api_name} does not exist or it is not "
                    f"available for user with id {caller.user_uuid}"
                )
            scope = ParseScope(command=declared.api_name, session=session, caller=caller)
            instance = declared.parse(params, scope=scope)
            ctx = CommandContext(session=session, caller=caller, runtime=self.runtime)
            if declared.is_async:
                body = self._submit(declared, instance, params, ctx)
            else:
                result = instance.execute(ctx)
                self._record_success(declared, instance, result, ctx)
                body = result_tree(result)
        if declared.is_async:
            self.runtime.wake_jobs()
        return body

    def _submit(
        self,
        declared: type[Command],
        instance: Command,
        params: Mapping[str, str],
        ctx: CommandContext,
    ) -> Tree:
        instance_id = instance.create(ctx)
        stored = self._sealed(declared, params)
        job = AsyncJob(
            user_id=ctx.caller.user_id,
            account_id=ctx.caller.account_id,
            command=declared.api_name,
            params=json.dumps(stored),
            instance_type=declared.entity_type,
            instance_id=instance_id or instance.job_instance_id(),
        )
        ctx.session.add(job)
        ctx.session.flush()
        if declared.event_type:
            scheduled = record_event(
                ctx.session,
                caller=ctx.caller,
                event_type=declared.event_type,
                description=f"{declared.summary()} (job {job.uuid})",
                state="Scheduled",
                resource_type=declared.entity_type,
                resource_id=job.instance_id,
            )
            job.start_event_id = scheduled.id
        return _submitted_tree(job.uuid, instance_id)

    def _record_success(
        self,
        declared: type[Command],
        instance: Command,
        result: Result,
        ctx: CommandContext,
        start_id: int | None = None,
    ) -> None:
        if not declared.event_type:
            return
        resource_id = ctx.instance_id
        if isinstance(result, ResponseObject) and isinstance(result.values.get("id"), str):
            resource_id = result.values["id"]
        record_event(
            ctx.session,
            caller=ctx.caller,
            event_type=declared.event_type,
            description=instance.event_description(result),
            resource_type=declared.entity_type,
            resource_id=resource_id,
            start_id=start_id,
        )

    def _record_failure(self, declared: type[Command], caller: Caller, error: CloudError) -> None:
        assert declared.event_type is not None
        with self.runtime.db.session() as session:
            record_event(
                session,
                caller=caller,
                event_type=declared.event_type,
                level="ERROR",
                description=f"Error while running {declared.api_name}: {error.text}",
                resource_type=declared.entity_type,
            )

    def _sealed(self, declared: type[Command], params: Mapping[str, str]) -> dict[str, str]:
        """The parameters an async job keeps: transport ones dropped, sensitive ones sealed
        (their names listed under `SEALED_KEY`)."""
        secret = {param.name.lower() for param in declared.params.values() if param.sensitive}
        stored: dict[str, str] = {}
        sealed: list[str] = []
        for key, value in params.items():
            if key.lower() in TRANSPORT_PARAMS:
                continue
            if key.lower() in secret:
                value = self.runtime.secrets.seal(value)
                sealed.append(key)
            stored[key] = value
        if sealed:
            stored[SEALED_KEY] = ",".join(sealed)
        return stored

    def _opened(self, stored: dict[str, str]) -> dict[str, str]:
        """A job's parameters as they were given (sensitive ones unsealed)."""
        sealed = stored.pop(SEALED_KEY, "")
        for key in filter(None, sealed.split(",")):
            stored[key] = self.runtime.secrets.open(stored[key])
        return stored

    def await_job(self, job_id: str, *, timeout: float) -> bool:
        """Block until the job ends in this process (its outcome stored) or `timeout`
        seconds pass; whether it ended here. A job another server runs never ends here."""
        return self.completions.wait(job_id, timeout=timeout)

    def run_job(self, job_id: str) -> None:
        """Run a job this server has claimed, and store its outcome. Never raises."""
        try:
            self._run_job(job_id)
        finally:
            self.completions.ended(job_id)

    def _run_job(self, job_id: str) -> None:
        with self.runtime.db.session(write=False) as session:
            job = session.scalars(select(AsyncJob).where(AsyncJob.uuid == job_id)).one()
            user = session.get(User, job.user_id)
            assert user is not None
            caller = Caller.of(user)
            declared = self.registry.find(job.command)
            params = self._opened(json.loads(job.params))
            start_id = job.start_event_id
        if declared is None:
            unknown = UnsupportedAction(f"unknown command {job.command}")
            self._fail_job(job_id, None, caller, unknown, start_id)
            return
        try:
            with self.runtime.db.session() as session:
                scope = ParseScope(command=declared.api_name, session=session, caller=caller)
                instance = declared.parse(params, scope=scope)
                ctx = CommandContext(
                    session=session,
                    caller=caller,
                    runtime=self.runtime,
                    job_id=job_id,
                    instance_id=job.instance_id,
                )
                result = instance.execute(ctx)
                self._record_success(declared, instance, result, ctx, start_id)
                self._finish_job(session, job_id, JOB_SUCCEEDED, 0, result_tree(result))
        except CloudError as error:
            self._fail_job(job_id, declared, caller, error, start_id)
        except Exception:
            log.exception("job %s (%s) failed", job_id, job.command)
            self._fail_job(job_id, declared, caller, InternalError(INTERNAL_ERROR_TEXT), start_id)

    def _finish_job(
        self, session: Session, job_id: str, status: int, code: int, tree: Tree
    ) -> None:
        """Compare-and-swap the job from pending (and ours) to done, in the caller's transaction."""
        now = utcnow()
        done = session.execute(
            update(AsyncJob)
            .where(
                AsyncJob.uuid == job_id,
                AsyncJob.status == JOB_PENDING,
                AsyncJob.owner_msid == self.runtime.msid,
            )
            .values(
                status=status,
                result_code=code,
                result=json.dumps(tree),
                completed=now,
                last_updated=now,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentOperation(f"job {job_id} is no longer owned by this management server")

    def _fail_job(
        self,
        job_id: str,
        declared: type[Command] | None,
        caller: Caller,
        error: CloudError,
        start_id: int | None,
    ) -> None:
        try:
            with self.runtime.db.session() as session:
                self._finish_job(
                    session,
                    job_id,
                    JOB_FAILED,
                    error.errorcode,
                    {"errorcode": error.errorcode, "errortext": error.text},
                )
                if declared is not None and declared.event_type:
                    record_event(
                        session,
                        caller=caller,
                        event_type=declared.event_type,
                        level="ERROR",
                        description=f"Error while running {declared.api_name}: {error.text}",
                        resource_type=declared.entity_type,
                        start_id=start_id,
                    )
        except ConcurrentOperation:
            log.warning("job %s was taken over before its failure could be stored", job_id)
