"""Stored values of configuration settings; definitions live in native.services.settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, UTCDateTime, utcnow


class SettingValue(Base):
    """A value set for one setting at one scope (`global` with scope_id 0, `account`, `domain`)."""

    __tablename__ = "setting_value"
    __table_args__ = (UniqueConstraint("name", "scope", "scope_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[str | None] = mapped_column(Text, default=None)
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
