"""Housekeeping of the audit trail: archiving and deleting events and alerts.

Archived rows are kept but no longer listed; deleted ones are gone. A user acts on its
own account's events, a domain admin on those of its domain subtree, the root admin on
all of them (system events included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from native.model import Account, Alert, Domain, Event
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.visibility import accounts_clause


def check_cleanup_filters(
    *,
    ids: Sequence[object] | None,
    kind: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> None:
    """CloudStack's rules for archive/delete filters: something to select by, and a whole range."""
    if ids is None and kind is None and end is None:
        raise InvalidParameterValue("either ids, type, startdate or enddate must be specified")
    if start is not None and end is None:
        raise InvalidParameterValue("enddate must be specified with startdate parameter")
    if start is not None and end is not None and start > end:
        raise InvalidParameterValue(
            f"Invalid date range: startdate {start:%Y-%m-%d %H:%M:%S} is after enddate "
            f"{end:%Y-%m-%d %H:%M:%S}"
        )


def event_scope(caller: Caller) -> ColumnElement[bool]:
    """A condition on Event (outer-joined with Account and Domain) selecting what the caller owns."""
    if caller.is_root_admin:
        return or_(Event.account_id.is_(None), accounts_clause(caller))
    return accounts_clause(caller)


def _selected_events(
    session: Session,
    *,
    caller: Caller,
    events: Sequence[Event] | None,
    event_type: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    include_archived: bool,
) -> list[int]:
    check_cleanup_filters(ids=events, kind=event_type, start=start, end=end)
    query = (
        select(Event.id)
        .outerjoin(Account, Event.account_id == Account.id)
        .outerjoin(Domain, Account.domain_id == Domain.id)
        .where(event_scope(caller))
    )
    if not include_archived:
        query = query.where(Event.archived.is_(False))
    if events is not None:
        query = query.where(Event.id.in_([event.id for event in events]))
    if event_type is not None:
        query = query.where(Event.event_type == event_type)
    if start is not None:
        query = query.where(Event.created >= start)
    if end is not None:
        query = query.where(Event.created <= end)
    selected = list(session.scalars(query))
    if events is not None and len(selected) < len({event.id for event in events}):
        missing = [event.uuid for event in events if event.id not in selected]
        state = "unarchived " if not include_archived else ""
        raise InvalidParameterValue(
            f"Invalid value for parameter ids: {', '.join(missing)} are not {state}events of yours "
            "matching the given type and dates"
        )
    return selected


def archive_events(
    session: Session,
    *,
    caller: Caller,
    events: Sequence[Event] | None,
    event_type: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> int:
    """Archive the caller's unarchived events matching every given filter; how many."""
    selected = _selected_events(
        session,
        caller=caller,
        events=events,
        event_type=event_type,
        start=start,
        end=end,
        include_archived=False,
    )
    if selected:
        session.execute(update(Event).where(Event.id.in_(selected)).values(archived=True))
    return len(selected)


def delete_events(
    session: Session,
    *,
    caller: Caller,
    events: Sequence[Event] | None,
    event_type: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> int:
    """Delete the caller's events (archived or not) matching every given filter; how many."""
    selected = _selected_events(
        session,
        caller=caller,
        events=events,
        event_type=event_type,
        start=start,
        end=end,
        include_archived=True,
    )
    if selected:
        session.execute(delete(Event).where(Event.id.in_(selected)))
    return len(selected)


def parse_alert_type(text: str) -> int:
    """An alert type is CloudStack's AlertType number."""
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid value {text!r} for parameter type: an alert type is a number"
        ) from None


def _selected_alerts(
    session: Session,
    *,
    alerts: Sequence[Alert] | None,
    alert_type: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    include_archived: bool,
) -> list[int]:
    check_cleanup_filters(ids=alerts, kind=alert_type, start=start, end=end)
    query = select(Alert.id)
    if not include_archived:
        query = query.where(Alert.archived.is_(False))
    if alerts is not None:
        query = query.where(Alert.id.in_([alert.id for alert in alerts]))
    if alert_type is not None:
        query = query.where(Alert.alert_type == parse_alert_type(alert_type))
    if start is not None:
        query = query.where(Alert.sent >= start)
    if end is not None:
        query = query.where(Alert.sent <= end)
    selected = list(session.scalars(query))
    if alerts is not None and len(selected) < len({alert.id for alert in alerts}):
        missing = [alert.uuid for alert in alerts if alert.id not in selected]
        state = "unarchived " if not include_archived else ""
        raise InvalidParameterValue(
            f"Invalid value for parameter ids: {', '.join(missing)} are not {state}alerts "
            "matching the given type and dates"
        )
    return selected


def archive_alerts(
    session: Session,
    *,
    alerts: Sequence[Alert] | None,
    alert_type: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> int:
    """Archive the unarchived alerts matching every given filter; how many."""
    selected = _selected_alerts(
        session, alerts=alerts, alert_type=alert_type, start=start, end=end, include_archived=False
    )
    if selected:
        session.execute(update(Alert).where(Alert.id.in_(selected)).values(archived=True))
    return len(selected)


def delete_alerts(
    session: Session,
    *,
    alerts: Sequence[Alert] | None,
    alert_type: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> int:
    """Delete the alerts (archived or not) matching every given filter; how many."""
    selected = _selected_alerts(
        session, alerts=alerts, alert_type=alert_type, start=start, end=end, include_archived=True
    )
    if selected:
        session.execute(delete(Alert).where(Alert.id.in_(selected)))
    return len(selected)
