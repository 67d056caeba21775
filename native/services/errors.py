"""The orchestrator's exceptions, each carrying CloudStack's error codes.

`errorcode` is the HTTP-like API error code (also the HTTP status of the answer);
`cserrorcode` is CloudStack's exception code (CSExceptionErrorCode). One class per
kind of failure: callers raise the class that says what went wrong, and the API layer
renders it without translation tables.
"""

from __future__ import annotations

from collections.abc import Sequence


class CloudError(Exception):
    """Base of every error the API reports to its caller."""

    errorcode = 530
    cserrorcode = 9999

    def __init__(self, text: str, *, uuids: Sequence[str] = ()) -> None:
        super().__init__(text)
        self.text = text
        self.uuids = list(uuids)


class Unauthorized(CloudError):
    """Authentication failed, or the command is not available to the caller."""

    errorcode = 401
    cserrorcode = 9999


class MalformedParameter(CloudError):
    """A parameter value cannot be parsed as its declared type."""

    errorcode = 430
    cserrorcode = 4350


class InvalidParameterValue(CloudError):
    """A parameter is missing, out of range or names nothing the caller may use."""

    errorcode = 431
    cserrorcode = 4350


class UnsupportedAction(CloudError):
    """The command does not exist."""

    errorcode = 432
    cserrorcode = 9999


class InternalError(CloudError):
    """Something failed on our side; the text says what, never a traceback."""

    errorcode = 530
    cserrorcode = 4345


class PermissionDenied(CloudError):
    """The caller may not act on that account's or domain's resources."""

    errorcode = 531
    cserrorcode = 4365


class ResourceLimitExceeded(CloudError):
    """An account or domain resource limit would be exceeded."""

    errorcode = 532
    cserrorcode = 4370


class InsufficientCapacity(CloudError):
    """No host or storage has room."""

    errorcode = 533
    cserrorcode = 4325


class ResourceUnavailable(CloudError):
    """A resource needed for the operation is down or unreachable."""

    errorcode = 534
    cserrorcode = 4380


class ResourceAllocationFailed(CloudError):
    """A resource could not be allocated."""

    errorcode = 535
    cserrorcode = 4370


class ResourceInUse(CloudError):
    """The resource still has dependents, or the name is taken."""

    errorcode = 536
    cserrorcode = 4375


class NetworkRuleConflict(CloudError):
    """A network rule overlaps an existing one."""

    errorcode = 537
    cserrorcode = 4360


class ConcurrentOperation(CloudError):
    """Another operation changed the resource first."""

    errorcode = 530
    cserrorcode = 4300
