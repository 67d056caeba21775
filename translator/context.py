"""What every Query API action (EC2, STS, IAM) receives, and how it calls native commands.

    def describe_key_pairs(ctx: QueryContext, params: Params) -> Output:
        listed = ctx.call("listSSHKeyPairs", listall=True)
        ...

`call` runs a native command in process through the dispatcher that serves `/client/api`,
as the caller; `run` also waits for an async command's job and returns its result. A native
error is raised as `NativeFailure`, which `native_errors.aws_error_of` turns into the AWS error
a user expects unless the action maps it itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from native.api.dispatcher import Dispatcher
from native.api.responses import Tree
from native.services.caller import Caller
from translator.ids import AwsIds, aws_account_id

Params = Mapping[str, Any]
"""An action's input as `gateway.query.parse.parse_input` reads it (member name → value)."""

Output = dict[str, Any]
"""An action's output for `gateway.query.render.render_output` (member name → value)."""

NativeValue = str | int | bool | Sequence[str] | Sequence[Mapping[str, str]] | None
"""A native parameter: scalars as CloudStack spells them, a list of strings comma-joined, a
list of maps as `name[0].key=value` (None is left out)."""

JOB_POLL_START = 0.01
JOB_POLL_MAX = 0.2
JOB_TIMEOUT = 600.0


@functools.lru_cache(maxsize=4096)
def native_time(text: str) -> dt.datetime:
    """A native `date` field (`2026-11-23T06:40:00+0000`) as an aware datetime (immutable;
    remembered, since a listing names the same creation times several times each)."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


WRONG_STATE = 534
CONCURRENT_CHANGE = 4300
"""CloudStack's cserrorcode (ConcurrentOperationException) of a 530 that says another
operation changed the resource first."""


class NativeFailure(Exception):
    """A native command answered an error: CloudStack's `errorcode`, `cserrorcode` (None
    when the answer had none) and `errortext`."""

    def __init__(
        self, *, command: str, errorcode: int, text: str, cserrorcode: int | None = None
    ) -> None:
        self.command = command
        self.errorcode = errorcode
        self.cserrorcode = cserrorcode
        self.text = text
        super().__init__(f"{command}: {errorcode} {text}")

    @property
    def state_conflict(self) -> bool:
        """Whether the resource was in the wrong state (534) or another operation changed
        it first (530 with CloudStack's ConcurrentOperation cserrorcode 4300)."""
        return self.errorcode == WRONG_STATE or self.cserrorcode == CONCURRENT_CHANGE


def _cserrorcode(body: Tree) -> int | None:
    code = body.get("cserrorcode")
    return None if code is None else int(code)


def native_params(params: Mapping[str, NativeValue]) -> dict[str, str]:
    """Native query parameters from Python values (see NativeValue)."""
    flat: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, (str, int)):
            flat[name] = str(value)
        elif all(isinstance(item, str) for item in value):
            flat[name] = ",".join(str(item) for item in value)
        else:
            for index, entry in enumerate(value):
                assert isinstance(entry, Mapping)
                for key, item in entry.items():
                    flat[f"{name}[{index}].{key}"] = str(item)
    return flat


@dataclass(frozen=True, kw_only=True)
class QueryContext:
    """One Query API request: the caller, this region, the endpoint URL it came to (scheme and
    host), the request id, and native access."""

    dispatcher: Dispatcher
    caller: Caller
    region: str
    endpoint: str
    request_id: str
    ids: AwsIds

    @property
    def account_id(self) -> str:
        """The caller's 12-digit AWS account id."""
        return aws_account_id(self.caller.account_uuid)

    def call(self, command: str, /, **params: NativeValue) -> Tree:
        """Run a native command as the caller; its answer body (`{"jobid": …}` when async).
        Raises NativeFailure for an error answer."""
        reply = self.dispatcher.call(
            command=command, params=native_params(params), caller=self.caller
        )
        if reply.status != 200:
            raise NativeFailure(
                command=command,
                errorcode=int(reply.body.get("errorcode", reply.status)),
                cserrorcode=_cserrorcode(reply.body),
                text=str(reply.body.get("errortext", "")),
            )
        return reply.body

    def may_run(self, command: str) -> bool:
        """Whether the caller's role lets it run the native command."""
        return self.dispatcher.allows(caller=self.caller, command=command)

    def run(self, command: str, /, **params: NativeValue) -> Tree:
        """`call`, then for an async command wait for its job: the job's result, or
        NativeFailure with the job's error."""
        body = self.call(command, **params)
        job_id = body.get("jobid")
        return body if job_id is None else self.wait(str(job_id), command=command)

    def wait(self, job_id: str, *, command: str) -> Tree:
        """The result of a finished job (NativeFailure if it failed); woken the moment the
        job ends in this process, else polled with a growing interval."""
        delay = JOB_POLL_START
        deadline = time.monotonic() + JOB_TIMEOUT
        while True:
            job = self.call("queryAsyncJobResult", jobid=job_id)
            status = int(job.get("jobstatus", 0))
            result: Tree = job.get("jobresult") or {}
            if status == 1:
                return result
            if status == 2:
                raise NativeFailure(
                    command=command,
                    errorcode=int(result.get("errorcode", 530)),
                    cserrorcode=_cserrorcode(result),
                    text=str(result.get("errortext", "")),
                )
            if time.monotonic() > deadline:
                raise NativeFailure(command=command, errorcode=530, text="job timed out")
            self.dispatcher.await_job(job_id, timeout=delay)
            delay = min(delay * 2, JOB_POLL_MAX)

    def listing(self, command: str, key: str, /, **params: NativeValue) -> list[dict[str, Any]]:
        """Every row of a native list command (all pages), as the caller sees them."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.call(command, page=page, pagesize=500, **params)
            batch = list(body.get(key, []))
            rows.extend(batch)
            if len(batch) < 500 or len(rows) >= int(body.get("count", 0)):
                return rows
            page += 1


Action = Callable[[QueryContext, Params], Output]
