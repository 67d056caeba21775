"""The AWS error a user expects for a native error that the action did not map itself."""

from __future__ import annotations

from collections.abc import Mapping

from translator import errors
from translator.context import WRONG_STATE, NativeFailure

DEFAULT_ERRORS: Mapping[int, type[errors.AwsError]] = {
    401: errors.UnauthorizedOperation,
    430: errors.InvalidParameterValue,
    431: errors.InvalidParameterValue,
    432: errors.UnsupportedOperation,
    531: errors.UnauthorizedOperation,
    532: errors.ResourceLimitExceeded,
    533: errors.InsufficientInstanceCapacity,
    534: errors.IncorrectState,
    535: errors.InsufficientInstanceCapacity,
    536: errors.DependencyViolation,
    537: errors.InvalidParameterCombination,
}


def aws_error_of(
    failure: NativeFailure, *, overrides: Mapping[int, type[errors.AwsError]] | None = None
) -> errors.AwsError:
    """The AWS error for a native failure: `overrides` first, then DEFAULT_ERRORS; anything
    else (530, an internal error) stays an InternalError. Every state conflict, a concurrent
    change included, maps as 534 does."""
    code = WRONG_STATE if failure.state_conflict else failure.errorcode
    chosen = (overrides or {}).get(code) or DEFAULT_ERRORS.get(code)
    if chosen is None:
        return errors.InternalError("An internal error has occurred")
    return chosen(failure.text)
