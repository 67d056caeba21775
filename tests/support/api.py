"""Calling the API through a `cs` client in tests: expected failures and async jobs.

    error = api_error(admin.createDomain, name="")
    assert (error.status, error.errorcode) == (431, 431)
    assert "name" in error.errortext

    job = wait_for_job(admin, admin.deleteDomain(id=domain_id)["jobid"])

`api_error` fails the test if the call succeeds, `wait_for_job` if the job is still pending
after its timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException


@dataclass(frozen=True)
class ApiError:
    """What CloudStack answered to a call that failed.

    `status` is the HTTP status of the last response (200 for a job that `cs` polled with
    `fetch_result=True` and that then failed); `cserrorcode` is None where the error body has
    none (e.g. a failed job's result).
    """

    status: int
    errorcode: int
    cserrorcode: int | None
    errortext: str

    @classmethod
    def of(cls, exception: CloudStackApiException) -> ApiError:
        """The error carried by a `CloudStackApiException` (its body must be a JSON object)."""
        body = exception.error
        assert isinstance(body, dict), f"not a CloudStack error body: {body!r}"
        return cls(
            status=int(exception.response.status_code),
            errorcode=body["errorcode"],
            cserrorcode=body.get("cserrorcode"),
            errortext=body["errortext"],
        )


def api_error(call: Callable[..., Any], /, **params: Any) -> ApiError:
    """Call `call(**params)`, which must raise a `CloudStackApiException`, and return its error.

    Fails the test if the call succeeds.
    """
    with pytest.raises(CloudStackApiException) as caught:
        call(**params)
    return ApiError.of(caught.value)


def wait_for_job(
    client: CloudStack, jobid: str, *, timeout: float = 30.0, interval: float = 0.1
) -> dict[str, Any]:
    """Poll queryAsyncJobResult with `client` until the job is done; its final answer.

    Fails the test if the job is still pending after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = dict(client.queryAsyncJobResult(jobid=jobid))
        if answer["jobstatus"] != 0:
            return answer
        time.sleep(interval)
    raise AssertionError(f"job {jobid} still pending after {timeout} s")
