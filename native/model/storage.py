"""Volumes, volume snapshots, snapshot policies and VM snapshots."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime, UTCDateTime


class Volume(Identified, Lifetime, Base):
    """A ROOT or DATADISK volume. `pool_id` and `path` are set once it exists on primary
    storage (state Ready); an Allocated volume has neither. `size` is in bytes. A device
    number is used by one volume of a VM at most (`vm_id`, `device_id` unique), which makes
    concurrent attaches race-free."""

    __tablename__ = "volume"
    __table_args__ = (
        Index("ix_volume_account_id_state", "account_id", "state"),
        UniqueConstraint("vm_id", "device_id"),
    )

    name: Mapped[str] = mapped_column(String(255), index=True)
    volume_type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("storage_pool.id"), default=None)
    vm_id: Mapped[int | None] = mapped_column(
        ForeignKey("vm_instance.id"), default=None, index=True
    )
    device_id: Mapped[int | None] = mapped_column(Integer, default=None)
    size: Mapped[int] = mapped_column(BigInteger)
    disk_offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("disk_offering.id"), default=None
    )
    template_id: Mapped[int | None] = mapped_column(ForeignKey("template.id"), default=None)
    format: Mapped[str] = mapped_column(String(16), default="QCOW2")
    path: Mapped[str | None] = mapped_column(String(1024), default=None)
    provisioning_type: Mapped[str] = mapped_column(String(16), default="thin")
    min_iops: Mapped[int | None] = mapped_column(BigInteger, default=None)
    max_iops: Mapped[int | None] = mapped_column(BigInteger, default=None)
    attached: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    display_volume: Mapped[bool] = mapped_column(Boolean, default=True)
    update_count: Mapped[int] = mapped_column(Integer, default=0)
    snapshot_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The snapshot a data volume was created from (no foreign key: snapshots go first)."""
    device_name: Mapped[str | None] = mapped_column(String(64), default=None)
    """The guest device name an attachment asked for (`/dev/sdf`), kept while attached."""
    resized: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    """When the last resize started; `resized_from` and `resized_from_offering_id` hold the
    size (bytes) and disk offering the volume had before it."""
    resized_from: Mapped[int | None] = mapped_column(BigInteger, default=None)
    resized_from_offering_id: Mapped[int | None] = mapped_column(Integer, default=None)


class Snapshot(Identified, Lifetime, Base):
    """A volume snapshot backed up to secondary storage (`store_id`, `install_path`).

    `snapshot_type` is MANUAL, HOURLY, DAILY, WEEKLY or MONTHLY; `state` Allocated,
    Creating, BackingUp, BackedUp, Error or Destroyed.
    """

    __tablename__ = "snapshot"

    name: Mapped[str] = mapped_column(String(255))
    snapshot_type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    volume_id: Mapped[int] = mapped_column(ForeignKey("volume.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("snapshot_policy.id"), default=None)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    physical_size: Mapped[int] = mapped_column(BigInteger, default=0)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("image_store.id"), default=None)
    install_path: Mapped[str | None] = mapped_column(String(1024), default=None)


class SnapshotPolicy(Identified, Base):
    """A recurring snapshot schedule of one volume.

    `interval_type` is HOURLY, DAILY, WEEKLY or MONTHLY; `schedule` CloudStack's `MM`,
    `MM:HH`, `MM:HH:DD` (DD the weekday 1-7 or day of month); `next_run` the UTC time the
    scheduler will take the next snapshot.
    """

    __tablename__ = "snapshot_policy"

    volume_id: Mapped[int] = mapped_column(ForeignKey("volume.id"), index=True)
    interval_type: Mapped[str] = mapped_column(String(16))
    schedule: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    max_snaps: Mapped[int] = mapped_column(Integer)
    next_run: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    display: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VmSnapshot(Identified, Lifetime, Base):
    """A VM snapshot: `snapshot_type` Disk or DiskAndMemory; `state` Allocated, Creating,
    Ready, Reverting, Expunging or Error. `current` marks the one the VM was last at."""

    __tablename__ = "vm_snapshot"

    name: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255), default=None)
    description: Mapped[str | None] = mapped_column(String(4096), default=None)
    snapshot_type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32))
    vm_id: Mapped[int] = mapped_column(ForeignKey("vm_instance.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("vm_snapshot.id"), default=None)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    driver_ref: Mapped[str | None] = mapped_column(Text, default=None)
