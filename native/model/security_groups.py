"""Security groups: named rule sets that VMs join, and their rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, UTCDateTime, utcnow


class SecurityGroup(Identified, Base):
    """A security group of an account, unique there by name within its VPC (`vpc_id`) or
    among its account-wide groups (no VPC). Every account has an account-wide `default`, and
    every VPC a `default` of its own."""

    __tablename__ = "security_group"
    __table_args__ = (UniqueConstraint("account_id", "vpc_id", "name"),)

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(4096), default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    vpc_id: Mapped[int | None] = mapped_column(ForeignKey("vpc.id"), default=None, index=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SecurityGroupRule(Identified, Base):
    """An ingress or egress rule (`rule_type`) of a security group: traffic of `protocol`
    (`tcp`, `udp`, `icmp`, `all`) from/to `cidr` or the members of `allowed_group_id`."""

    __tablename__ = "security_group_rule"

    security_group_id: Mapped[int] = mapped_column(ForeignKey("security_group.id"), index=True)
    rule_type: Mapped[str] = mapped_column(String(8))
    protocol: Mapped[str] = mapped_column(String(16))
    start_port: Mapped[int | None] = mapped_column(Integer, default=None)
    end_port: Mapped[int | None] = mapped_column(Integer, default=None)
    icmp_type: Mapped[int | None] = mapped_column(Integer, default=None)
    icmp_code: Mapped[int | None] = mapped_column(Integer, default=None)
    cidr: Mapped[str | None] = mapped_column(String(64), default=None)
    allowed_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("security_group.id"), default=None
    )
    description: Mapped[str | None] = mapped_column(String(255), default=None)


class SecurityGroupVm(Base):
    """Membership of a VM in a security group."""

    __tablename__ = "security_group_vm"

    security_group_id: Mapped[int] = mapped_column(
        ForeignKey("security_group.id"), primary_key=True
    )
    vm_id: Mapped[int] = mapped_column(ForeignKey("vm_instance.id"), primary_key=True, index=True)
