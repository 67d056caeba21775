"""Recording events: every state change leaves one, in the same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from native.model import Event
from native.services.caller import Caller


def record_event(
    session: Session,
    *,
    caller: Caller | None,
    event_type: str,
    description: str,
    level: str = "INFO",
    state: str = "Completed",
    resource_type: str | None = None,
    resource_id: str | None = None,
    start_id: int | None = None,
) -> Event:
    """Add an event owned by the caller's account (a system event when caller is None)."""
    event = Event(
        event_type=event_type,
        description=description,
        level=level,
        state=state,
        user_id=None if caller is None else caller.user_id,
        account_id=None if caller is None else caller.account_id,
        domain_id=None if caller is None else caller.domain_id,
        resource_type=resource_type,
        resource_id=resource_id,
        start_id=start_id,
    )
    session.add(event)
    session.flush()
    return event
