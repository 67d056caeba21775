"""UUID parameters naming rows that non-admins may see under their own area's rules
(offerings, templates, zones, OS types), where `visibility.can_see` knows only identity rows.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.params import Param, ParseScope, UuidKind
from native.model import (
    Account,
    DiskOffering,
    GuestOsType,
    ServiceOffering,
    Snapshot,
    Template,
    VirtualMachine,
    Volume,
    Zone,
)
from native.services import offerings
from native.services.caller import Caller
from native.services.templates import permissions
from native.services.visibility import can_see, can_see_account

T = TypeVar("T")

Visible = Callable[[Session, Caller, Any], bool]


class VisibleUuidKind(UuidKind[T]):
    """A UUID naming a live row of `entity` that `visible` (or `can_see`) lets the caller see."""

    def __init__(self, entity: type[T], visible: Visible) -> None:
        super().__init__(entity)
        self.visible = visible

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> T:
        text = raw.strip()
        try:
            uuidlib.UUID(text)
        except ValueError:
            raise self._unknown(scope, name, raw) from None
        model = cast(Any, self.entity)
        query = select(model).where(model.uuid == text)
        if hasattr(model, "removed"):
            query = query.where(model.removed.is_(None))
        row = scope.session.scalars(query).first()
        if row is None or not (
            can_see(scope.caller, row, scope.session)
            or self.visible(scope.session, scope.caller, row)
        ):
            raise self._unknown(scope, name, raw)
        return cast(T, row)


def _zone_visible(session: Session, caller: Caller, zone: Zone) -> bool:
    return zone.allocation_state == "Enabled"


def _owned(session: Session, caller: Caller, row: Any) -> bool:
    owner = session.get(Account, row.account_id)
    return owner is not None and can_see_account(caller, owner)


VISIBILITY: dict[type, Visible] = {
    ServiceOffering: lambda session, caller, row: offerings.can_use(session, caller, row),
    DiskOffering: lambda session, caller, row: offerings.can_use(session, caller, row),
    Template: lambda session, caller, row: permissions.can_see(session, caller, row),
    GuestOsType: lambda session, caller, row: True,
    Zone: _zone_visible,
    Volume: _owned,
    Snapshot: _owned,
    VirtualMachine: _owned,
}


def visible_uuid_of(
    entity: type[T], *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[T | None]:
    """The UUID of a live `entity` row the caller may see, parsed to the row itself."""
    return Param(
        visible_kind(entity),
        description=description,
        length=40,
        since=since,
        api_name=api_name,
    )


def visible_kind(entity: type[T]) -> VisibleUuidKind[T]:
    """The kind of a UUID naming a live `entity` row the caller may see (for `list_of`)."""
    return VisibleUuidKind(entity, VISIBILITY[entity])
