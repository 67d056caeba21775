"""Events (the audit trail of state changes) and alerts (operator attention)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, UTCDateTime, utcnow


class Event(Identified, Base):
    """One event, CloudStack style: `USER.CREATE`, level INFO/WARN/ERROR, state Completed…"""

    __tablename__ = "event"

    event_type: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default="Completed")
    level: Mapped[str] = mapped_column(String(16), default="INFO")
    description: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id"), default=None, index=True
    )
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    resource_type: Mapped[str | None] = mapped_column(String(64), default=None)
    resource_id: Mapped[str | None] = mapped_column(String(40), default=None)
    start_id: Mapped[int | None] = mapped_column(Integer, default=None)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Alert(Identified, Base):
    """An alert for operators: a numeric type (CloudStack's AlertType), a name and text."""

    __tablename__ = "alert"

    alert_type: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    sent: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
