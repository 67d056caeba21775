"""Domains, accounts, users, roles and login sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from native.model.base import Base, Identified, Lifetime, UTCDateTime, utcnow


class Domain(Identified, Lifetime, Base):
    """A node of the domain tree. `path` is `/` for ROOT and `/a/b/` below it."""

    __tablename__ = "domain"

    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    path: Mapped[str] = mapped_column(String(768), index=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    network_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    state: Mapped[str] = mapped_column(String(16), default="Active")

    parent: Mapped[Domain | None] = relationship(remote_side="Domain.id", lazy="joined")


class Role(Identified, Lifetime, Base):
    """A named role of one type (Admin, DomainAdmin, User) with ordered permissions."""

    __tablename__ = "role"

    name: Mapped[str] = mapped_column(String(255))
    role_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class RolePermission(Identified, Base):
    """One rule of a role: a command name or wildcard pattern, allowed or denied."""

    __tablename__ = "role_permission"

    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    rule: Mapped[str] = mapped_column(String(255))
    permission: Mapped[str] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    role: Mapped[Role] = relationship(lazy="joined")


class Account(Identified, Lifetime, Base):
    """An account: the owner of resources, inside one domain, with one role."""

    __tablename__ = "account"

    name: Mapped[str] = mapped_column(String(255), index=True)
    account_type: Mapped[int] = mapped_column(Integer)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="enabled")
    network_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    cleanup_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    role: Mapped[Role] = relationship(lazy="joined")
    domain: Mapped[Domain] = relationship(lazy="joined")


class User(Identified, Lifetime, Base):
    """A user of an account. The secret key is stored encrypted, the password hashed."""

    __tablename__ = "user"

    username: Mapped[str] = mapped_column(String(255), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="enabled")
    api_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    secret_key: Mapped[str | None] = mapped_column(Text, default=None)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(32), default="native")

    account: Mapped[Account] = relationship(lazy="joined")


class LoginSession(Base):
    """A web session: the cookie id and the matching `sessionkey`, both stored hashed."""

    __tablename__ = "login_session"
    __table_args__ = (UniqueConstraint("cookie_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cookie_hash: Mapped[str] = mapped_column(String(64))
    session_key_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_access: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
