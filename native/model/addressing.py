"""Public IP ranges and the public IP addresses carved from them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime, UTCDateTime


class PublicIpRange(Identified, Lifetime, Base):
    """A public IP range of a zone (CloudStack's `vlan` row): `vlan_tag` is `untagged` or
    the VLAN number; `account_id` set dedicates it; `network_id` set makes it the guest
    range of a shared network. Every address in it has a `PublicIpAddress` row."""

    __tablename__ = "public_ip_range"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    physical_network_id: Mapped[int | None] = mapped_column(
        ForeignKey("physical_network.id"), default=None
    )
    pod_id: Mapped[int | None] = mapped_column(ForeignKey("pod.id"), default=None)
    vlan_tag: Mapped[str] = mapped_column(String(64), default="untagged")
    gateway: Mapped[str] = mapped_column(String(64))
    netmask: Mapped[str] = mapped_column(String(64))
    start_ip: Mapped[str] = mapped_column(String(64))
    end_ip: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), default=None)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"), default=None)
    for_virtual_network: Mapped[bool] = mapped_column(Boolean, default=True)
    for_system_vms: Mapped[bool] = mapped_column(Boolean, default=False)


class PublicIpAddress(Identified, Base):
    """One public address (CloudStack's `user_ip_address`).

    `state` is `Free`, `Allocated` or `Releasing`; it is taken and given back with
    conditional updates on `update_count`. An allocated address belongs to an account and
    is associated with a network (`network_id`) or a VPC (`vpc_id`); `is_source_nat`
    marks its network's source NAT address, `vm_id`/`vm_ip` a static NAT target and
    `static_nat_uuid` that static NAT (new each time it is enabled); `is_portable` lets
    enableStaticNat move the address to the VM's network or VPC.
    """

    __tablename__ = "public_ip_address"
    __table_args__ = (UniqueConstraint("zone_id", "address"),)

    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    range_id: Mapped[int] = mapped_column(ForeignKey("public_ip_range.id"), index=True)
    address: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="Free", index=True)
    update_count: Mapped[int] = mapped_column(Integer, default=0)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id"), default=None, index=True
    )
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    allocated: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("network.id"), default=None, index=True
    )
    vpc_id: Mapped[int | None] = mapped_column(ForeignKey("vpc.id"), default=None, index=True)
    is_source_nat: Mapped[bool] = mapped_column(Boolean, default=False)
    is_static_nat: Mapped[bool] = mapped_column(Boolean, default=False)
    vm_id: Mapped[int | None] = mapped_column(ForeignKey("vm_instance.id"), default=None)
    vm_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    for_display: Mapped[bool] = mapped_column(Boolean, default=True)
    is_portable: Mapped[bool] = mapped_column(Boolean, default=False)
    static_nat_uuid: Mapped[str | None] = mapped_column(String(40), default=None)
