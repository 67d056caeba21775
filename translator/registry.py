"""Action tables: an action function's snake_case name gives its AWS action name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from translator.context import Action

ActionT = TypeVar("ActionT", bound=Action)


def action_name(function_name: str) -> str:
    """`describe_vpc_attribute` → `DescribeVpcAttribute`."""
    return "".join(part[:1].upper() + part[1:] for part in function_name.split("_"))


def action_table(actions: Iterable[Action]) -> Mapping[str, Action]:
    """AWS action name → function, for functions named after their snake_case action."""
    table: dict[str, Action] = {}
    for action in actions:
        name = action_name(action.__name__)
        if name in table:
            raise ValueError(f"two functions for {name}")
        table[name] = action
    return table


NATIVE_COMMANDS: dict[Action, tuple[str, ...]] = {}
"""Action function → the native commands it runs for its caller (declared with `runs`)."""


def runs(*commands: str) -> Callable[[ActionT], ActionT]:
    """Declare the native commands an action runs for its caller. A DryRun of the action
    answers UnauthorizedOperation unless the caller may run every one of them."""

    def declare(action: ActionT) -> ActionT:
        NATIVE_COMMANDS[action] = commands
        return action

    return declare
