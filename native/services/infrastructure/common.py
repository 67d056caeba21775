"""Rules shared by the infrastructure resources: allocation states, names, soft deletion."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from native.model import utcnow
from native.services.errors import InvalidParameterValue, ResourceInUse

T = TypeVar("T")

ALLOCATION_STATES = ("Enabled", "Disabled")


def allocation_state(text: str | None, *, default: str) -> str:
    """`Enabled` or `Disabled` (any case); 431 for anything else."""
    if text is None:
        return default
    for state in ALLOCATION_STATES:
        if text.strip().lower() == state.lower():
            return state
    raise InvalidParameterValue(
        f"Invalid allocation state {text!r}: use {' or '.join(ALLOCATION_STATES)}"
    )


def nonblank(text: str, *, what: str) -> str:
    """`text` stripped; 431 naming `what` if it is empty."""
    stripped = text.strip()
    if not stripped:
        raise InvalidParameterValue(f"Invalid {what}: it must not be empty")
    return stripped


def count_live(session: Session, model: Any, *conditions: ColumnElement[bool]) -> int:
    """How many rows of `model` that are not removed match `conditions`."""
    query = select(func.count()).select_from(model).where(model.removed.is_(None), *conditions)
    return int(session.scalar(query) or 0)


def refuse_if_used(
    session: Session, what: str, uses: dict[str, tuple[Any, ColumnElement[bool]]]
) -> None:
    """536 naming the first kind of live dependent (`{label: (model, condition)}`) found."""
    for label, (model, condition) in uses.items():
        if count_live(session, model, condition):
            raise ResourceInUse(f"Cannot delete {what}: it still has {label}")


def check_name_free(
    session: Session,
    model: Any,
    name: str,
    *conditions: ColumnElement[bool],
    what: str,
    exclude_id: int | None = None,
) -> None:
    """431 if a live row of `model` matching `conditions` already has this name."""
    query = [model.name == name, *conditions]
    if exclude_id is not None:
        query.append(model.id != exclude_id)
    if count_live(session, model, *query):
        raise InvalidParameterValue(f"A {what} with name {name} already exists")


def soft_delete(row: Any) -> None:
    """Mark a row removed now (rows are never deleted, as in CloudStack)."""
    row.removed = utcnow()
