"""The filters shared by archiveEvents/deleteEvents and archiveAlerts/deleteAlerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from native.api.command import Command
from native.api.params import date, string
from native.model import Alert, Event
from native.services.audit import Cleanup, Selection


class CleanupCommand(Command):
    """Archives or deletes (per `cleanup`) the rows selected by ids, type and dates."""

    cleanup: ClassVar[Cleanup]

    type = string(description="the event or alert type")
    startdate = date(
        description='start date range (including) this date (use format "yyyy-MM-dd" or the new '
        'format "yyyy-MM-ddThh:mm:ss")'
    )
    enddate = date(
        description='end date range (including) this date (use format "yyyy-MM-dd" or the new '
        'format "yyyy-MM-ddThh:mm:ss")'
    )

    def selection(self, ids: Sequence[Event] | Sequence[Alert] | None) -> Selection:
        return Selection(ids=ids, kind=self.type, start=self.startdate, end=self.enddate)
