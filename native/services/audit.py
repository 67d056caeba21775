"""Housekeeping of the audit trail: archiving and deleting events and alerts.

Archived rows are kept but no longer listed; deleted ones are gone. A user acts on its
own account's events, a domain admin on those of its domain subtree, the root admin on
all of them (system events included). Alerts are the root admin's alone.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from native.model import Account, Alert, Domain, Event
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.visibility import accounts_clause


class Cleanup(enum.Enum):
    """What to do with the selected rows: archive keeps them unlisted, delete removes them."""

    ARCHIVE = "archive"
    DELETE = "delete"


@dataclass(frozen=True, kw_only=True)
class Selection:
    """CloudStack's archive/delete filters: `ids`, `type`, `startdate`, `enddate`, all ANDed."""

    ids: Sequence[Event] | Sequence[Alert] | None
    kind: str | None
    start: dt.datetime | None
    end: dt.datetime | None

    def check(self) -> None:
        """Something to select by, and a whole date range (431 otherwise)."""
        if self.ids is None and self.kind is None and self.end is None:
            raise InvalidParameterValue("either ids, type, startdate or enddate must be specified")
        if self.start is not None and self.end is None:
            raise InvalidParameterValue("enddate must be specified with startdate parameter")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidParameterValue(
                f"Invalid date range: startdate {self.start:%Y-%m-%d %H:%M:%S} is after enddate "
                f"{self.end:%Y-%m-%d %H:%M:%S}"
            )


def event_scope(caller: Caller) -> ColumnElement[bool]:
    """A condition on Event (outer-joined with Account and Domain) selecting what the caller owns."""
    if caller.is_root_admin:
        return or_(Event.account_id.is_(None), accounts_clause(caller))
    return accounts_clause(caller)


def parse_alert_type(text: str) -> int:
    """An alert type is CloudStack's AlertType number."""
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid value {text!r} for parameter type: an alert type is a number"
        ) from None


def _clean(
    session: Session,
    *,
    model: type[Event | Alert],
    query: Select[Any],
    kind: ColumnElement[bool] | None,
    time: InstrumentedAttribute[dt.datetime],
    selection: Selection,
    cleanup: Cleanup,
    noun: str,
) -> int:
    """Archive or delete the rows of `query` that match `selection`; how many."""
    selection.check()
    if cleanup is Cleanup.ARCHIVE:
        query = query.where(model.archived.is_(False))
    if selection.ids is not None:
        query = query.where(model.id.in_([row.id for row in selection.ids]))
    if kind is not None:
        query = query.where(kind)
    if selection.start is not None:
        query = query.where(time >= selection.start)
    if selection.end is not None:
        query = query.where(time <= selection.end)
    chosen = list(session.scalars(query))
    if selection.ids is not None:
        missing = [row.uuid for row in selection.ids if row.id not in chosen]
        if missing:
            state = "unarchived " if cleanup is Cleanup.ARCHIVE else ""
            raise InvalidParameterValue(
                f"Invalid value for parameter ids: {', '.join(missing)} are not {state}{noun} "
                "matching the given type and dates"
            )
    if chosen and cleanup is Cleanup.ARCHIVE:
        session.execute(update(model).where(model.id.in_(chosen)).values(archived=True))
    elif chosen:
        session.execute(delete(model).where(model.id.in_(chosen)))
    return len(chosen)


def clean_events(
    session: Session, *, caller: Caller, selection: Selection, cleanup: Cleanup
) -> int:
    """Archive or delete the caller's events matching every given filter; how many."""
    query = (
        select(Event.id)
        .outerjoin(Account, Event.account_id == Account.id)
        .outerjoin(Domain, Account.domain_id == Domain.id)
        .where(event_scope(caller))
    )
    return _clean(
        session,
        model=Event,
        query=query,
        kind=None if selection.kind is None else Event.event_type == selection.kind,
        time=Event.created,
        selection=selection,
        cleanup=cleanup,
        noun="events of yours",
    )


def clean_alerts(session: Session, *, selection: Selection, cleanup: Cleanup) -> int:
    """Archive or delete the alerts matching every given filter; how many."""
    kind = None
    if selection.kind is not None:
        kind = Alert.alert_type == parse_alert_type(selection.kind)
    return _clean(
        session,
        model=Alert,
        query=select(Alert.id),
        kind=kind,
        time=Alert.sent,
        selection=selection,
        cleanup=cleanup,
        noun="alerts",
    )
