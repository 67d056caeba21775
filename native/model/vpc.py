"""VPCs, their private gateways and static routes, and VPNs (remote access and site to site)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime, UTCDateTime, utcnow


class Vpc(Identified, Lifetime, Base):
    """A VPC: a super-CIDR its tiers (networks with `vpc_id`) carve without overlapping.
    `state` is `Enabled` or `Inactive`. `dns_support`, `dns_hostnames` (None: never set) and
    `address_usage_metrics` are the VPC's DNS and metrics attributes, stored for clients.
    `dhcp_options_set_id` names the DHCP options set its tiers get (None: the VPC's own
    network domain and DNS servers)."""

    __tablename__ = "vpc"

    name: Mapped[str] = mapped_column(String(255))
    display_text: Mapped[str | None] = mapped_column(String(255), default=None)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    cidr: Mapped[str] = mapped_column(String(64))
    vpc_offering_id: Mapped[int] = mapped_column(ForeignKey("vpc_offering.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="Enabled")
    network_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    dns1: Mapped[str | None] = mapped_column(String(64), default=None)
    dns2: Mapped[str | None] = mapped_column(String(64), default=None)
    restart_required: Mapped[bool] = mapped_column(Boolean, default=False)
    display: Mapped[bool] = mapped_column(Boolean, default=True)
    dns_support: Mapped[bool] = mapped_column(Boolean, default=True)
    dns_hostnames: Mapped[bool | None] = mapped_column(Boolean, default=None)
    address_usage_metrics: Mapped[bool] = mapped_column(Boolean, default=False)
    dhcp_options_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("dhcp_options_set.id"), default=None, index=True
    )


class InternetGateway(Identified, Base):
    """An internet gateway of an account: the public way out of VPC `vpc_id` it is attached
    to (None while detached). A VPC has at most one."""

    __tablename__ = "internet_gateway"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    vpc_id: Mapped[int | None] = mapped_column(
        ForeignKey("vpc.id"), default=None, unique=True, index=True
    )
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivateGateway(Identified, Lifetime, Base):
    """A private gateway of a VPC: the router's `ip_address` on a private VLAN, reaching
    `gateway`; traffic through it is filtered by ACL list `acl_id`."""

    __tablename__ = "private_gateway"

    vpc_id: Mapped[int] = mapped_column(ForeignKey("vpc.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    physical_network_id: Mapped[int | None] = mapped_column(
        ForeignKey("physical_network.id"), default=None
    )
    vlan: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str] = mapped_column(String(64))
    gateway: Mapped[str] = mapped_column(String(64))
    netmask: Mapped[str] = mapped_column(String(64))
    acl_id: Mapped[int | None] = mapped_column(ForeignKey("network_acl.id"), default=None)
    source_nat_supported: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="Ready")
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))


class VpcRouteTable(Identified, Base):
    """A route table of a VPC. Each VPC has one main table (`is_main`), made and removed
    with it; the tiers that name no table (`Network.route_table_id` None) use it."""

    __tablename__ = "vpc_route_table"

    name: Mapped[str] = mapped_column(String(255))
    vpc_id: Mapped[int] = mapped_column(ForeignKey("vpc.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaticRoute(Identified, Base):
    """A route of route table `route_table_id` of a VPC to `cidr`: through private gateway
    `gateway_id`, to `next_hop`, or out through internet gateway `internet_gateway_id`."""

    __tablename__ = "static_route"

    vpc_id: Mapped[int] = mapped_column(ForeignKey("vpc.id"), index=True)
    route_table_id: Mapped[int] = mapped_column(ForeignKey("vpc_route_table.id"), index=True)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_id: Mapped[int | None] = mapped_column(ForeignKey("private_gateway.id"), default=None)
    next_hop: Mapped[str | None] = mapped_column(String(64), default=None)
    internet_gateway_id: Mapped[int | None] = mapped_column(
        ForeignKey("internet_gateway.id"), default=None
    )
    state: Mapped[str] = mapped_column(String(16), default="Active")
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemoteAccessVpn(Identified, Base):
    """An L2TP/IPsec remote-access VPN on a public IP of a network or VPC; clients get
    addresses from `ip_range`; `preshared_key` is sealed."""

    __tablename__ = "remote_access_vpn"

    public_ip_id: Mapped[int] = mapped_column(ForeignKey("public_ip_address.id"), unique=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"), default=None)
    vpc_id: Mapped[int | None] = mapped_column(ForeignKey("vpc.id"), default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    ip_range: Mapped[str] = mapped_column(String(128))
    local_ip: Mapped[str] = mapped_column(String(64))
    preshared_key: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="Added")
    display: Mapped[bool] = mapped_column(Boolean, default=True)


class VpnUser(Identified, Base):
    """A remote-access VPN user of an account; `password` is sealed."""

    __tablename__ = "vpn_user"
    __table_args__ = (UniqueConstraint("account_id", "username"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    username: Mapped[str] = mapped_column(String(255))
    password: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="Active")


class VpnGateway(Identified, Base):
    """The site-to-site VPN gateway of a VPC, on one of its public IPs."""

    __tablename__ = "vpn_gateway"

    vpc_id: Mapped[int] = mapped_column(ForeignKey("vpc.id"), unique=True)
    public_ip_id: Mapped[int] = mapped_column(ForeignKey("public_ip_address.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    display: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VpnCustomerGateway(Identified, Base):
    """The far end of a site-to-site VPN: its address, its CIDRs and the IPsec
    parameters (`ipsec_psk` sealed; lifetimes in seconds)."""

    __tablename__ = "vpn_customer_gateway"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    name: Mapped[str] = mapped_column(String(255))
    gateway: Mapped[str] = mapped_column(String(64))
    cidr_list: Mapped[str] = mapped_column(Text)
    ipsec_psk: Mapped[str] = mapped_column(Text)
    ike_policy: Mapped[str] = mapped_column(String(255))
    esp_policy: Mapped[str] = mapped_column(String(255))
    ike_lifetime: Mapped[int] = mapped_column(Integer, default=86400)
    esp_lifetime: Mapped[int] = mapped_column(Integer, default=3600)
    dpd: Mapped[bool] = mapped_column(Boolean, default=False)
    force_encap: Mapped[bool] = mapped_column(Boolean, default=False)
    ike_version: Mapped[str] = mapped_column(String(8), default="ike")
    split_connections: Mapped[bool] = mapped_column(Boolean, default=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VpnConnection(Identified, Base):
    """A site-to-site connection between a VPN gateway and a customer gateway.
    `state`: `Pending`, `Connected`, `Disconnected` or `Error`."""

    __tablename__ = "vpn_connection"
    __table_args__ = (UniqueConstraint("vpn_gateway_id", "customer_gateway_id"),)

    vpn_gateway_id: Mapped[int] = mapped_column(ForeignKey("vpn_gateway.id"))
    customer_gateway_id: Mapped[int] = mapped_column(ForeignKey("vpn_customer_gateway.id"))
    state: Mapped[str] = mapped_column(String(16), default="Pending")
    passive: Mapped[bool] = mapped_column(Boolean, default=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    display: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
