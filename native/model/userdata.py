"""Registered user data (CloudStack 4.18's `registerUserData`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, UTCDateTime, utcnow


class UserData(Identified, Base):
    """A named, base64-encoded user data blob of one account, unique by name within it.

    `params` are the comma-separated variable names a VM deployment may fill in.
    Deleting it removes the row.
    """

    __tablename__ = "user_data"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    name: Mapped[str] = mapped_column(String(256))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    user_data: Mapped[str] = mapped_column(Text)
    params: Mapped[str | None] = mapped_column(String(4096), default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
