"""Event commands: listEvents, listEventTypes, archiveEvents, deleteEvents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from native.api.command import ALL_ROLES, REGISTRY, Command, CommandContext, ListOwnedCommand
from native.api.commands._cleanup import CleanupCommand
from native.api.params import UuidKind, boolean, date, integer, list_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, Event, User, utcnow
from native.services import audit
from native.services.errors import InvalidParameterValue

LEVELS = ("INFO", "WARN", "ERROR")


class EventResponse(ResponseObject, object_name="event"):
    id = Field("the ID of the event")
    username = Field("the name of the user who performed the action")
    type = Field("the type of the event (see event types)")
    level = Field("the event level (INFO, WARN, ERROR)")
    description = Field("a brief description of the event")
    account = Field(
        "the account name for the account that owns the object being acted on in the event"
    )
    domainid = Field("the id of the account's domain")
    domain = Field("the name of the account's domain")
    created = Field("the date the event was created", type="date")
    state = Field("the state of the event")
    parentid = Field("whether the event is parented")
    resourceid = Field("the id of the resource", since="4.17.0")
    resourcetype = Field("the type of the resource", since="4.17.0")


class EventTypeResponse(ResponseObject, object_name="eventtype"):
    name = Field("Event Type")


def _responses(session: Session, events: Sequence[Event]) -> list[EventResponse]:
    parent_ids = {event.start_id for event in events if event.start_id}
    parents = (
        {
            parent.id: parent.uuid
            for parent in session.scalars(select(Event).where(Event.id.in_(parent_ids)))
        }
        if parent_ids
        else {}
    )
    responses = []
    for event in events:
        user = None if event.user_id is None else session.get(User, event.user_id)
        account = None if event.account_id is None else session.get(Account, event.account_id)
        responses.append(
            EventResponse(
                id=event.uuid,
                username=None if user is None else user.username,
                type=event.event_type,
                level=event.level,
                description=event.description,
                account=None if account is None else account.name,
                domainid=None if account is None else account.domain.uuid,
                domain=None if account is None else account.domain.name,
                created=event.created,
                state=event.state,
                parentid=None if event.start_id is None else parents.get(event.start_id),
                resourceid=event.resource_id,
                resourcetype=event.resource_type,
            )
        )
    return responses


class ListEvents(
    ListOwnedCommand, api="listEvents", response=EventResponse, authorized=ALL_ROLES, since="1.0"
):
    """A command to list events.

    Newest first. Users see their own account's events, admins those of the accounts
    they manage (with `listall`), the root admin also system events.
    """

    id = uuid_of(Event, description="the ID of the event")
    type = string(description="the event type (see event types)")
    level = string(description="the event level (INFO, WARN, ERROR)")
    startdate = date(
        description='the start date range of the list you want to retrieve (use format "yyyy-MM-dd" '
        'or the new format "yyyy-MM-dd HH:mm:ss")'
    )
    enddate = date(
        description='the end date range of the list you want to retrieve (use format "yyyy-MM-dd" '
        'or the new format "yyyy-MM-dd HH:mm:ss")'
    )
    duration = integer(
        description="the duration of the event; with entrytime, lists events started between "
        "entrytime and duration seconds ago that have not completed"
    )
    entrytime = integer(description="the time the event was entered")
    startid = uuid_of(
        Event,
        description="the parent/start ID of the event, when provided this will list all the events "
        "with the start/parent ID including the parent event",
    )
    resourceid = string(
        description="the ID of the resource associated with the event", since="4.17.0"
    )
    resourcetype = string(
        description="the type of the resource associated with the event", since="4.17.0"
    )
    archived = boolean(description="true to list archived events otherwise false", since="4.19.0")

    def _scope(self, ctx: CommandContext) -> ColumnElement[bool]:
        owned = self.owner_clause(ctx)
        everything = self.account is None and self.domainid is None and bool(self.listall)
        if ctx.caller.is_root_admin and everything:
            return or_(Event.account_id.is_(None), owned)
        return and_(Event.account_id.is_not(None), owned)

    def _filters(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Event.archived.is_(bool(self.archived))]
        if self.id is not None:
            conditions.append(Event.id == self.id.id)
        if self.type is not None:
            conditions.append(func.lower(Event.event_type) == self.type.strip().lower())
        if self.level is not None:
            if self.level.strip().upper() not in LEVELS:
                raise InvalidParameterValue(
                    f"Invalid value {self.level!r} for parameter level: use one of {', '.join(LEVELS)}"
                )
            conditions.append(Event.level == self.level.strip().upper())
        if self.startdate is not None:
            conditions.append(Event.created >= self.startdate)
        if self.enddate is not None:
            conditions.append(Event.created <= self.enddate)
        if self.startid is not None:
            conditions.append(or_(Event.id == self.startid.id, Event.start_id == self.startid.id))
        if self.resourceid is not None:
            conditions.append(Event.resource_id == self.resourceid)
        if self.resourcetype is not None:
            conditions.append(func.lower(Event.resource_type) == self.resourcetype.lower())
        if self.keyword:
            conditions.append(
                or_(
                    Event.event_type.contains(self.keyword, autoescape=True),
                    Event.description.contains(self.keyword, autoescape=True),
                    Event.level.contains(self.keyword, autoescape=True),
                )
            )
        conditions.extend(self._pending())
        return conditions

    def _pending(self) -> list[ColumnElement[bool]]:
        """With duration and entrytime: events begun in that window that have not completed."""
        if self.duration is None and self.entrytime is None:
            return []
        if self.duration is None or self.entrytime is None:
            missing = "duration" if self.duration is None else "entrytime"
            raise InvalidParameterValue(
                f"Missing parameter {missing}: duration and entrytime go together"
            )
        if self.entrytime <= self.duration:
            raise InvalidParameterValue(
                f"Invalid value {self.entrytime} for parameter entrytime: it must be greater than "
                f"duration ({self.duration})"
            )
        now = utcnow()
        later = aliased(Event)
        return [
            Event.created >= now - dt.timedelta(seconds=self.entrytime),
            Event.created <= now - dt.timedelta(seconds=self.duration),
            Event.state != "Completed",
            ~exists().where(later.start_id == Event.id),
        ]

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(Event)
            .outerjoin(Account, Event.account_id == Account.id)
            .outerjoin(Domain, Account.domain_id == Domain.id)
            .where(self._scope(ctx), *self._filters())
        )
        events, count = self.page_of_query(ctx, query, Event.created.desc(), Event.id.desc())
        return ListResult(_responses(ctx.session, events), count)


class ListEventTypes(
    Command, api="listEventTypes", response=EventTypeResponse, authorized=ALL_ROLES, since="1.0"
):
    """List Event Types

    The event types are those the declared commands record.
    """

    def execute(self, ctx: CommandContext) -> ListResult:
        names = sorted({command.event_type for command in REGISTRY.all() if command.event_type})
        return ListResult([EventTypeResponse(name=name) for name in names], len(names))


class _EventCleanup(CleanupCommand):
    ids = list_of(UuidKind(Event), description="the IDs of the events")

    def execute(self, ctx: CommandContext) -> SuccessResult:
        audit.clean_events(
            ctx.session,
            caller=ctx.caller,
            selection=self.selection(self.ids),
            cleanup=self.cleanup,
        )
        return SuccessResult()


class ArchiveEvents(_EventCleanup, api="archiveEvents", authorized=ALL_ROLES, since="4.2.0"):
    """Archive one or more events.

    Archived events are no longer listed by listEvents (unless archived=true).
    """

    cleanup = audit.Cleanup.ARCHIVE


class DeleteEvents(_EventCleanup, api="deleteEvents", authorized=ALL_ROLES, since="4.2.0"):
    """Delete one or more events."""

    cleanup = audit.Cleanup.DELETE
