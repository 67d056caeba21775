"""DryRun: whether the caller could run an action, answered without running it."""

from __future__ import annotations

from typing import NoReturn

from translator.context import Action, QueryContext
from translator.errors import DryRunOperation, UnauthorizedOperation
from translator.registry import NATIVE_COMMANDS


def dry_run(ctx: QueryContext, action: Action) -> NoReturn:
    """Raise UnauthorizedOperation when the caller's role denies a native command the action
    runs (as declared with `registry.runs`), DryRunOperation otherwise."""
    if not all(ctx.may_run(command) for command in NATIVE_COMMANDS.get(action, ())):
        raise UnauthorizedOperation("You are not authorized to perform this operation.")
    raise DryRunOperation("Request would have succeeded, but DryRun flag is set.")
