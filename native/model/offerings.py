"""Service (compute) offerings and disk offerings."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime


class ServiceOffering(Identified, Lifetime, Base):
    """A compute offering. A custom one leaves `cpu_number`/`cpu_speed`/`memory` to the deploy,
    within the optional min/max bounds. `memory` is in MiB, `cpu_speed` in MHz."""

    __tablename__ = "service_offering"

    name: Mapped[str] = mapped_column(String(255), index=True)
    display_text: Mapped[str] = mapped_column(String(4096))
    cpu_number: Mapped[int | None] = mapped_column(Integer, default=None)
    cpu_speed: Mapped[int | None] = mapped_column(Integer, default=None)
    memory: Mapped[int | None] = mapped_column(Integer, default=None)
    is_customized: Mapped[bool] = mapped_column(Boolean, default=False)
    min_cpu_number: Mapped[int | None] = mapped_column(Integer, default=None)
    max_cpu_number: Mapped[int | None] = mapped_column(Integer, default=None)
    min_memory: Mapped[int | None] = mapped_column(Integer, default=None)
    max_memory: Mapped[int | None] = mapped_column(Integer, default=None)
    host_tags: Mapped[str | None] = mapped_column(String(1024), default=None)
    storage_tags: Mapped[str | None] = mapped_column(String(1024), default=None)
    offer_ha: Mapped[bool] = mapped_column(Boolean, default=False)
    limit_cpu_use: Mapped[bool] = mapped_column(Boolean, default=False)
    is_volatile: Mapped[bool] = mapped_column(Boolean, default=False)
    storage_type: Mapped[str] = mapped_column(String(16), default="shared")
    root_disk_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    provisioning_type: Mapped[str] = mapped_column(String(16), default="thin")
    deployment_planner: Mapped[str | None] = mapped_column(String(64), default=None)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"), default=None)
    state: Mapped[str] = mapped_column(String(16), default="Active")
    sort_key: Mapped[int] = mapped_column(Integer, default=0)


class DiskOffering(Identified, Lifetime, Base):
    """A disk offering: a fixed `disk_size` in bytes, or a custom size chosen per volume."""

    __tablename__ = "disk_offering"

    name: Mapped[str] = mapped_column(String(255), index=True)
    display_text: Mapped[str] = mapped_column(String(4096))
    disk_size: Mapped[int] = mapped_column(BigInteger, default=0)
    is_customized: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[str | None] = mapped_column(String(1024), default=None)
    storage_type: Mapped[str] = mapped_column(String(16), default="shared")
    provisioning_type: Mapped[str] = mapped_column(String(16), default="thin")
    min_iops: Mapped[int | None] = mapped_column(BigInteger, default=None)
    max_iops: Mapped[int | None] = mapped_column(BigInteger, default=None)
    customized_iops: Mapped[bool] = mapped_column(Boolean, default=False)
    display_offering: Mapped[bool] = mapped_column(Boolean, default=True)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"), default=None)
    state: Mapped[str] = mapped_column(String(16), default="Active")
    sort_key: Mapped[int] = mapped_column(Integer, default=0)
