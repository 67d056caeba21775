"""Async jobs and the management servers that run them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, UTCDateTime, utcnow

JOB_PENDING = 0
JOB_SUCCEEDED = 1
JOB_FAILED = 2


class AsyncJob(Identified, Base):
    """One async command invocation.

    `status` is CloudStack's jobstatus (0 pending, 1 succeeded, 2 failed).
    `owner_msid` is the management server that claimed it, None while queued.
    `params` is the request's parameters as JSON; `result` the rendered result tree.
    """

    __tablename__ = "async_job"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    command: Mapped[str] = mapped_column(String(255))
    params: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer, default=JOB_PENDING, index=True)
    proc_status: Mapped[int] = mapped_column(Integer, default=0)
    result_code: Mapped[int] = mapped_column(Integer, default=0)
    result_type: Mapped[str] = mapped_column(String(32), default="object")
    result: Mapped[str | None] = mapped_column(Text, default=None)
    instance_type: Mapped[str | None] = mapped_column(String(64), default=None)
    instance_id: Mapped[str | None] = mapped_column(String(40), default=None)
    owner_msid: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    start_event_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class ManagementServer(Base):
    """A running management server process, known by its heartbeat.

    `node` names the installation the process belongs to (one data directory); all the
    processes of a node are gone when that node starts again.
    """

    __tablename__ = "management_server"

    msid: Mapped[str] = mapped_column(String(40), primary_key=True)
    node: Mapped[str] = mapped_column(String(40), default="", index=True)
    name: Mapped[str] = mapped_column(String(255))
    started: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_heartbeat: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="Up")


class TaskLease(Base):
    """When a periodic background task last ran, shared by every management server.

    A server runs a round only after moving `last_run` to now compare-and-swap, so each
    round runs on exactly one server.
    """

    __tablename__ = "task_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    owner_msid: Mapped[str | None] = mapped_column(String(40), default=None)
