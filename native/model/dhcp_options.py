"""DHCP options sets: what a VPC's router hands out to its tiers besides addresses."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime

VIRTUAL_ROUTER = "VirtualRouter"
"""The name of the VPC's own router among a set's DNS servers (AWS's `AmazonProvidedDNS`)."""


class DhcpOptionsSet(Identified, Lifetime, Base):
    """A DHCP options set of an account, used by the VPCs whose `dhcp_options_set_id` names
    it. The server lists are comma-separated IPv4 addresses (`domain_name_servers` may also
    hold `VirtualRouter`: the VPC's router itself); None is an option the set does not give.
    `netbios_node_type` is 1, 2, 4 or 8."""

    __tablename__ = "dhcp_options_set"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    domain_name: Mapped[str | None] = mapped_column(String(255), default=None)
    domain_name_servers: Mapped[str | None] = mapped_column(String(255), default=None)
    ntp_servers: Mapped[str | None] = mapped_column(String(255), default=None)
    netbios_name_servers: Mapped[str | None] = mapped_column(String(255), default=None)
    netbios_node_type: Mapped[int | None] = mapped_column(Integer, default=None)
