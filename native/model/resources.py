"""Resource limits and counts per account and domain, and resource tags."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified


class ResourceLimit(Identified, Base):
    """An explicit limit of one resource type for an account or a domain (`owner_type`).

    `max` -1 means unlimited; without a row the owner falls back to the setting default.
    """

    __tablename__ = "resource_limit"
    __table_args__ = (UniqueConstraint("owner_type", "owner_id", "resource_type"),)

    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(Integer)
    resource_type: Mapped[str] = mapped_column(String(32))
    max: Mapped[int] = mapped_column(BigInteger)


class ResourceCount(Identified, Base):
    """The amount of one resource type an account or domain (its subtree) uses."""

    __tablename__ = "resource_count"
    __table_args__ = (UniqueConstraint("owner_type", "owner_id", "resource_type"),)

    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(Integer)
    resource_type: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class ResourceTag(Identified, Base):
    """A key/value tag on a resource of `resource_type` (UserVm, Volume, Template…)."""

    __tablename__ = "resource_tag"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_id", "key"),
        Index("ix_resource_tag_key_value", "key", "value"),
    )

    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[int] = mapped_column(Integer)
    resource_uuid: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    customer: Mapped[str | None] = mapped_column(String(255), default=None)
