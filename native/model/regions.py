"""Regions: this management server's own, and peers an administrator adds."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base


class Region(Base):
    """A region, identified as in CloudStack by an administrator-chosen integer id."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    endpoint: Mapped[str] = mapped_column(String(1024))
