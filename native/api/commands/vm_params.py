"""Parameter kinds the VM and affinity commands use to name rows users may reference.

`owned_uuid` names an account-owned row (VM, affinity group) whose owner the caller may
see; `any_uuid` a shared row (zone, offering, template, host…) that the service then
checks for the caller (offering domains, template permissions, admin-only host ids).
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any, TypeVar, cast

from sqlalchemy import select

from native.api.params import ListKind, Param, ParseScope, UuidKind
from native.model import Account
from native.services.visibility import can_see_account

T = TypeVar("T")


class _RowKind(UuidKind[T]):
    owned = False
    removed_too = False

    def parse(self, raw: str, *, name: str, scope: ParseScope) -> T:
        text = raw.strip()
        try:
            uuidlib.UUID(text)
        except ValueError:
            raise self._unknown(scope, name, raw) from None
        model = cast(Any, self.entity)
        query = select(model).where(model.uuid == text)
        if hasattr(model, "removed") and not self.removed_too:
            query = query.where(model.removed.is_(None))
        row = scope.session.scalars(query).first()
        if row is None or (self.owned and not self._visible(scope, row)):
            raise self._unknown(scope, name, raw)
        return cast(T, row)

    @staticmethod
    def _visible(scope: ParseScope, row: Any) -> bool:
        owner = scope.session.get(Account, row.account_id)
        return owner is not None and can_see_account(scope.caller, owner)


class OwnedKind(_RowKind[T]):
    owned = True


class OwnedOrRemovedKind(OwnedKind[T]):
    """Also names removed rows: a list filtered by a removed row's id is empty, as in
    CloudStack, rather than an error."""

    removed_too = True


def owned_uuid(
    entity: type[T],
    *,
    description: str,
    since: str | None = None,
    api_name: str | None = None,
    removed_too: bool = False,
) -> Param[T | None]:
    """The UUID of a live (with `removed_too`, also removed) account-owned row whose owner
    the caller may see."""
    kind = OwnedOrRemovedKind(entity) if removed_too else OwnedKind(entity)
    return Param(kind, description=description, length=40, since=since, api_name=api_name)


def any_uuid(
    entity: type[T], *, description: str, since: str | None = None, api_name: str | None = None
) -> Param[T | None]:
    """The UUID of a live shared row (the service checks the caller may use it)."""
    return Param(
        _RowKind(entity), description=description, length=40, since=since, api_name=api_name
    )


def owned_uuids(
    entity: type[T],
    *,
    description: str,
    since: str | None = None,
    api_name: str | None = None,
    removed_too: bool = False,
) -> Param[list[T] | None]:
    """A comma-separated list of `owned_uuid`s."""
    kind = OwnedOrRemovedKind(entity) if removed_too else OwnedKind(entity)
    return Param(
        ListKind(kind),
        description=description,
        length=None,
        since=since,
        api_name=api_name,
    )
