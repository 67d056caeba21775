"""The AWS error chosen for a native failure."""

from __future__ import annotations

from translator import errors
from translator.context import NativeFailure
from translator.native_errors import aws_error_of


def _failure(errorcode: int, cserrorcode: int | None = None) -> NativeFailure:
    return NativeFailure(
        command="stopVirtualMachine", errorcode=errorcode, cserrorcode=cserrorcode, text="why"
    )


def test_a_concurrent_change_is_a_state_conflict_not_an_internal_error() -> None:
    error = aws_error_of(_failure(530, 4300))
    assert isinstance(error, errors.IncorrectState)
    assert error.message == "why"


def test_a_concurrent_change_takes_the_actions_own_state_error() -> None:
    error = aws_error_of(_failure(530, 4300), overrides={534: errors.IncorrectInstanceState})
    assert isinstance(error, errors.IncorrectInstanceState)


def test_other_530s_stay_internal_errors_without_their_text() -> None:
    error = aws_error_of(_failure(530, 4345))
    assert isinstance(error, errors.InternalError)
    assert "why" not in error.message


def test_codes_map_by_the_default_table() -> None:
    assert isinstance(aws_error_of(_failure(536, 4375)), errors.DependencyViolation)
    assert isinstance(aws_error_of(_failure(431)), errors.InvalidParameterValue)


def test_state_conflicts_are_wrong_states_and_concurrent_changes() -> None:
    assert _failure(534, 4380).state_conflict
    assert _failure(530, 4300).state_conflict
    assert not _failure(530, 4345).state_conflict
    assert not _failure(530).state_conflict
