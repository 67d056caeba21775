"""Physical networks, network and VPC offerings, guest networks, NICs and virtual routers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime, UTCDateTime, utcnow


class PhysicalNetwork(Identified, Lifetime, Base):
    """A zone's physical network. `vlan` is its guest VLAN ranges (`"100-199,300-310"`),
    each number of which has a `GuestVlan` row; `state` is `Enabled` or `Disabled`."""

    __tablename__ = "physical_network"

    name: Mapped[str] = mapped_column(String(255))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    vlan: Mapped[str | None] = mapped_column(String(1024), default=None)
    isolation_methods: Mapped[str] = mapped_column(String(255), default="VLAN")
    broadcast_domain_range: Mapped[str] = mapped_column(String(32), default="ZONE")
    network_speed: Mapped[str | None] = mapped_column(String(32), default=None)
    tags: Mapped[str | None] = mapped_column(String(255), default=None)
    state: Mapped[str] = mapped_column(String(16), default="Disabled")


class PhysicalNetworkTrafficType(Identified, Base):
    """A traffic type (`Guest`, `Public`, `Management`, `Storage`) carried by a physical
    network, with the hypervisor's label for the bridge that carries it."""

    __tablename__ = "physical_network_traffic_type"
    __table_args__ = (UniqueConstraint("physical_network_id", "traffic_type"),)

    physical_network_id: Mapped[int] = mapped_column(ForeignKey("physical_network.id"))
    traffic_type: Mapped[str] = mapped_column(String(32))
    kvm_label: Mapped[str | None] = mapped_column(String(255), default=None)
    vlan: Mapped[str | None] = mapped_column(String(255), default=None)


class NetworkServiceProvider(Identified, Base):
    """A network service provider (`VirtualRouter`, `VpcVirtualRouter`,
    `SecurityGroupProvider`…) on a physical network; `state` is `Enabled` or `Disabled`."""

    __tablename__ = "physical_network_service_provider"
    __table_args__ = (UniqueConstraint("physical_network_id", "provider_name"),)

    physical_network_id: Mapped[int] = mapped_column(ForeignKey("physical_network.id"))
    provider_name: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="Enabled")


class GuestVlan(Base):
    """One VLAN number of a physical network's guest range; `network_id` is the network
    holding it (None while free). Taken with a conditional update, so never twice."""

    __tablename__ = "guest_vlan"
    __table_args__ = (UniqueConstraint("physical_network_id", "vnet"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    physical_network_id: Mapped[int] = mapped_column(ForeignKey("physical_network.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    vnet: Mapped[int] = mapped_column(Integer)
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("network.id"), default=None, index=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), default=None)
    taken: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class NetworkOffering(Identified, Lifetime, Base):
    """A network offering. `guest_ip_type` is `Isolated`, `Shared` or `L2`; `services` is
    JSON `{service: [provider, …]}` and `capabilities` JSON `{service: {name: value}}`;
    `egress_default_allow` is the egress policy when no egress rule matches."""

    __tablename__ = "network_offering"

    name: Mapped[str] = mapped_column(String(255), index=True)
    unique_name: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    display_text: Mapped[str] = mapped_column(String(4096))
    guest_ip_type: Mapped[str] = mapped_column(String(16))
    traffic_type: Mapped[str] = mapped_column(String(32), default="Guest")
    state: Mapped[str] = mapped_column(String(16), default="Disabled")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    specify_vlan: Mapped[bool] = mapped_column(Boolean, default=False)
    specify_ip_ranges: Mapped[bool] = mapped_column(Boolean, default=False)
    conserve_mode: Mapped[bool] = mapped_column(Boolean, default=True)
    egress_default_allow: Mapped[bool] = mapped_column(Boolean, default=True)
    for_vpc: Mapped[bool] = mapped_column(Boolean, default=False)
    persistent: Mapped[bool] = mapped_column(Boolean, default=False)
    availability: Mapped[str] = mapped_column(String(16), default="Optional")
    tags: Mapped[str | None] = mapped_column(String(255), default=None)
    network_rate: Mapped[int | None] = mapped_column(Integer, default=None)
    max_connections: Mapped[int | None] = mapped_column(Integer, default=None)
    services: Mapped[str] = mapped_column(Text, default="{}")
    capabilities: Mapped[str] = mapped_column(Text, default="{}")


class VpcOffering(Identified, Lifetime, Base):
    """A VPC offering; `services` is JSON `{service: [provider, …]}`."""

    __tablename__ = "vpc_offering"

    name: Mapped[str] = mapped_column(String(255), index=True)
    unique_name: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    display_text: Mapped[str] = mapped_column(String(4096))
    state: Mapped[str] = mapped_column(String(16), default="Disabled")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    services: Mapped[str] = mapped_column(Text, default="{}")
    capabilities: Mapped[str] = mapped_column(Text, default="{}")


class Network(Identified, Lifetime, Base):
    """A guest network. `state`: `Allocated` (stored only), `Implemented` (VLAN taken and
    router configured), `Shutdown`, `Destroy`. `vlan` is the VLAN number (None until
    implemented, or for untagged networks); `ip_start`/`ip_end` bound the guest IP range
    (the whole CIDR but the gateway when None). A VPC tier has `vpc_id` and `acl_id`;
    `map_public_ip_on_launch` (None: never set) is stored for clients that launch into it."""

    __tablename__ = "network"
    __table_args__ = (Index("ix_network_account_id_zone_id", "account_id", "zone_id"),)

    name: Mapped[str] = mapped_column(String(255))
    display_text: Mapped[str | None] = mapped_column(String(255), default=None)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    physical_network_id: Mapped[int | None] = mapped_column(
        ForeignKey("physical_network.id"), default=None
    )
    network_offering_id: Mapped[int] = mapped_column(ForeignKey("network_offering.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    acl_type: Mapped[str] = mapped_column(String(16), default="Account")
    guest_type: Mapped[str] = mapped_column(String(16))
    traffic_type: Mapped[str] = mapped_column(String(32), default="Guest")
    state: Mapped[str] = mapped_column(String(16), default="Allocated")
    update_count: Mapped[int] = mapped_column(Integer, default=0)
    cidr: Mapped[str | None] = mapped_column(String(64), default=None)
    gateway: Mapped[str | None] = mapped_column(String(64), default=None)
    netmask: Mapped[str | None] = mapped_column(String(64), default=None)
    ip_start: Mapped[str | None] = mapped_column(String(64), default=None)
    ip_end: Mapped[str | None] = mapped_column(String(64), default=None)
    dns1: Mapped[str | None] = mapped_column(String(64), default=None)
    dns2: Mapped[str | None] = mapped_column(String(64), default=None)
    network_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    vlan: Mapped[int | None] = mapped_column(Integer, default=None)
    vpc_id: Mapped[int | None] = mapped_column(ForeignKey("vpc.id"), default=None, index=True)
    acl_id: Mapped[int | None] = mapped_column(ForeignKey("network_acl.id"), default=None)
    route_table_id: Mapped[int | None] = mapped_column(
        ForeignKey("vpc_route_table.id"), default=None, index=True
    )
    restart_required: Mapped[bool] = mapped_column(Boolean, default=False)
    display_network: Mapped[bool] = mapped_column(Boolean, default=True)
    specify_ip_ranges: Mapped[bool] = mapped_column(Boolean, default=False)
    map_public_ip_on_launch: Mapped[bool | None] = mapped_column(Boolean, default=None)


class Nic(Identified, Base):
    """A network interface of a user VM (`vm_id`) or of a virtual router (`router_id`).

    A NIC row is deleted with its interface, so (`network_id`, `ip4_address`) is unique
    among live NICs and no guest IP is ever handed out twice. L2 NICs have no address.
    """

    __tablename__ = "nic"
    __table_args__ = (UniqueConstraint("network_id", "ip4_address"),)

    vm_id: Mapped[int | None] = mapped_column(
        ForeignKey("vm_instance.id"), default=None, index=True
    )
    router_id: Mapped[int | None] = mapped_column(
        ForeignKey("virtual_router.id"), default=None, index=True
    )
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    ip4_address: Mapped[str | None] = mapped_column(String(64), default=None)
    mac_address: Mapped[str] = mapped_column(String(17), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    device_id: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="Reserved")
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VirtualRouter(Identified, Lifetime, Base):
    """The virtual router of an isolated network (`network_id`) or of a VPC (`vpc_id`).

    Its configuration is rendered from the database: `generation` counts the changes that
    asked for a new one, `applied_generation` is the last one the network driver applied
    (`apply_error` says why the last apply failed, None if it did not).
    """

    __tablename__ = "virtual_router"

    name: Mapped[str] = mapped_column(String(255), unique=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("network.id"), default=None, index=True
    )
    vpc_id: Mapped[int | None] = mapped_column(ForeignKey("vpc.id"), default=None, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    state: Mapped[str] = mapped_column(String(16), default="Running")
    generation: Mapped[int] = mapped_column(Integer, default=0)
    applied_generation: Mapped[int] = mapped_column(Integer, default=0)
    apply_error: Mapped[str | None] = mapped_column(Text, default=None)
    applied: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
