"""Physical networks of a zone, the traffic types they carry, and their service providers.

A physical network is created `Disabled` with CloudStack's service providers (Enabled);
`PROVIDER_SERVICES` says which network services each provider offers. Changing the guest
VLAN range keeps VLANs that networks hold; deleting a physical network is refused while
networks, public IP ranges or private gateways use it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import (
    Domain,
    Network,
    NetworkServiceProvider,
    PhysicalNetwork,
    PhysicalNetworkTrafficType,
    PrivateGateway,
    PublicIpRange,
    Zone,
    utcnow,
)
from native.services.errors import InvalidParameterValue, ResourceInUse
from native.services.network import ipam

TRAFFIC_TYPES = ("Guest", "Public", "Management", "Storage")
PROVIDERS = ("VirtualRouter", "VpcVirtualRouter", "SecurityGroupProvider", "InternalLbVm")
ISOLATION_METHODS = ("VLAN", "VXLAN", "GRE", "L3", "STT", "BCF_SEGMENT", "SSP", "ODL", "L3VPN")
STATES = ("Enabled", "Disabled")

PROVIDER_SERVICES: Mapping[str, tuple[str, ...]] = {
    "VirtualRouter": (
        "Vpn",
        "Dhcp",
        "Dns",
        "Gateway",
        "Firewall",
        "Lb",
        "UserData",
        "SourceNat",
        "StaticNat",
        "PortForwarding",
    ),
    "VpcVirtualRouter": (
        "Vpn",
        "Dhcp",
        "Dns",
        "Gateway",
        "Lb",
        "UserData",
        "SourceNat",
        "StaticNat",
        "PortForwarding",
        "NetworkACL",
    ),
    "SecurityGroupProvider": ("SecurityGroup",),
    "InternalLbVm": ("Lb",),
}
"""The network services each provider offers, in CloudStack's order."""


def canonical(value: str, choices: tuple[str, ...], *, what: str) -> str:
    """`value` spelled as in `choices` (matched case-insensitively); 431 naming `what`."""
    wanted = value.strip().lower()
    for choice in choices:
        if choice.lower() == wanted:
            return choice
    raise InvalidParameterValue(f"Invalid {what} {value}: use one of {', '.join(choices)}")


def create_physical_network(
    session: Session,
    *,
    zone: Zone,
    name: str,
    vlan: str | None = None,
    isolation_methods: str | None = None,
    tags: str | None = None,
    network_speed: str | None = None,
    broadcast_domain_range: str | None = None,
    domain: Domain | None = None,
) -> PhysicalNetwork:
    """Add a physical network (Disabled, as CloudStack makes them) with its guest VLAN
    range and CloudStack's service providers (Enabled). 431 on a bad VLAN range or
    isolation method."""
    methods = (isolation_methods or "VLAN").strip()
    for method in (item.strip() for item in methods.split(",")):
        if method.upper() not in ISOLATION_METHODS:
            raise InvalidParameterValue(
                f"Invalid isolation method {method}: use one of {', '.join(ISOLATION_METHODS)}"
            )
    physical = PhysicalNetwork(
        name=name,
        zone_id=zone.id,
        domain_id=None if domain is None else domain.id,
        isolation_methods=methods.upper(),
        tags=tags,
        network_speed=network_speed,
        broadcast_domain_range=(broadcast_domain_range or "ZONE").upper(),
    )
    session.add(physical)
    session.flush()
    if vlan:
        ipam.set_guest_vlans(session, physical_network=physical, text=vlan)
    for provider in PROVIDERS:
        session.add(NetworkServiceProvider(physical_network_id=physical.id, provider_name=provider))
    session.flush()
    return physical


def update_physical_network(
    session: Session,
    *,
    physical_network: PhysicalNetwork,
    state: str | None = None,
    vlan: str | None = None,
    tags: str | None = None,
    network_speed: str | None = None,
) -> None:
    """Change what is given: `state` Enabled or Disabled (431 otherwise), the guest VLAN
    ranges (431 if malformed, 536 if a VLAN a network holds would be dropped; "" drops
    every free one), the tags and the speed."""
    if state is not None:
        physical_network.state = canonical(state, STATES, what="state")
    if vlan is not None:
        ipam.set_guest_vlans(session, physical_network=physical_network, text=vlan)
        physical_network.vlan = vlan.strip() or None
    if tags is not None:
        physical_network.tags = tags or None
    if network_speed is not None:
        physical_network.network_speed = network_speed or None
    session.flush()


def carries(session: Session, *, physical_network_id: int, traffic_type: str) -> bool:
    """Whether the physical network carries `traffic_type` (`Guest`, `Public`…)."""
    return (
        session.scalar(
            select(func.count()).where(
                PhysicalNetworkTrafficType.physical_network_id == physical_network_id,
                PhysicalNetworkTrafficType.traffic_type == traffic_type,
            )
        )
        or 0
    ) > 0


def _networks_using(session: Session, physical_network: PhysicalNetwork) -> int:
    """Live networks on the physical network; for a guest physical network also the zone's
    networks not yet placed on one (implementing them would pick it)."""
    placed = Network.physical_network_id == physical_network.id
    if carries(session, physical_network_id=physical_network.id, traffic_type="Guest"):
        placed = or_(
            placed,
            (Network.zone_id == physical_network.zone_id) & Network.physical_network_id.is_(None),
        )
    return session.scalar(select(func.count()).where(placed, Network.removed.is_(None))) or 0


def check_deletable(session: Session, *, physical_network: PhysicalNetwork) -> None:
    """536 while networks, public IP ranges or VPC private gateways use the physical network."""
    users = (
        ("networks", _networks_using(session, physical_network)),
        (
            "public IP ranges",
            session.scalar(
                select(func.count()).where(
                    PublicIpRange.physical_network_id == physical_network.id,
                    PublicIpRange.removed.is_(None),
                )
            ),
        ),
        (
            "private gateways",
            session.scalar(
                select(func.count()).where(
                    PrivateGateway.physical_network_id == physical_network.id,
                    PrivateGateway.removed.is_(None),
                )
            ),
        ),
    )
    for what, count in users:
        if count:
            raise ResourceInUse(
                f"Unable to delete physical network {physical_network.name}: {count} {what} use it"
            )


def delete_physical_network(session: Session, *, physical_network: PhysicalNetwork) -> None:
    """Remove the physical network with its traffic types, providers and guest VLANs
    (536 while anything uses it, see `check_deletable`)."""
    check_deletable(session, physical_network=physical_network)
    ipam.set_guest_vlans(session, physical_network=physical_network, text="")
    physical_network.vlan = None
    for model in (PhysicalNetworkTrafficType, NetworkServiceProvider):
        session.execute(delete(model).where(model.physical_network_id == physical_network.id))
    physical_network.removed = utcnow()
    session.flush()


def add_traffic_type(
    session: Session,
    *,
    physical_network: PhysicalNetwork,
    traffic_type: str,
    kvm_label: str | None = None,
    vlan: str | None = None,
) -> PhysicalNetworkTrafficType:
    """Make the physical network carry a traffic type; 431 for an unknown type or one it
    carries already."""
    wanted = canonical(traffic_type, TRAFFIC_TYPES, what="traffic type")
    row = PhysicalNetworkTrafficType(
        physical_network_id=physical_network.id, traffic_type=wanted, kvm_label=kvm_label, vlan=vlan
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise InvalidParameterValue(
            f"Physical network {physical_network.name} already carries {wanted} traffic"
        ) from None
    return row


def update_traffic_type(
    session: Session, *, traffic_type: PhysicalNetworkTrafficType, kvm_label: str | None
) -> None:
    """Set the KVM bridge label of a traffic type ("" clears it)."""
    if kvm_label is not None:
        traffic_type.kvm_label = kvm_label or None
    session.flush()


def check_traffic_type_deletable(
    session: Session, *, traffic_type: PhysicalNetworkTrafficType
) -> None:
    """536 for Guest traffic while networks use the physical network, and for Public
    traffic while the zone has public IP ranges."""
    physical = session.get(PhysicalNetwork, traffic_type.physical_network_id)
    assert physical is not None
    busy = 0
    if traffic_type.traffic_type == "Guest":
        busy = _networks_using(session, physical)
    elif traffic_type.traffic_type == "Public":
        busy = (
            session.scalar(
                select(func.count()).where(
                    PublicIpRange.zone_id == physical.zone_id, PublicIpRange.removed.is_(None)
                )
            )
            or 0
        )
    if busy:
        raise ResourceInUse(
            f"The traffic type {traffic_type.traffic_type} of physical network {physical.name} "
            f"is not deletable: {busy} networks or IP ranges use it"
        )


def delete_traffic_type(session: Session, *, traffic_type: PhysicalNetworkTrafficType) -> None:
    """Stop carrying a traffic type (536 while it is used, see `check_traffic_type_deletable`)."""
    check_traffic_type_deletable(session, traffic_type=traffic_type)
    session.delete(traffic_type)
    session.flush()


def traffic_types(
    session: Session, *, physical_network_id: int
) -> list[PhysicalNetworkTrafficType]:
    """The traffic types a physical network carries, in the order they were added."""
    return list(
        session.scalars(
            select(PhysicalNetworkTrafficType)
            .where(PhysicalNetworkTrafficType.physical_network_id == physical_network_id)
            .order_by(PhysicalNetworkTrafficType.id)
        )
    )


def update_provider(session: Session, *, provider: NetworkServiceProvider, state: str) -> None:
    """Enable or disable a service provider on its physical network (431 for another state)."""
    provider.state = canonical(state, STATES, what="state")
    session.flush()


def enabled_providers(session: Session, *, zone_id: int) -> set[str]:
    """The providers Enabled on the zone's live physical networks that carry guest traffic."""
    return set(
        session.scalars(
            select(NetworkServiceProvider.provider_name)
            .join(PhysicalNetwork, PhysicalNetwork.id == NetworkServiceProvider.physical_network_id)
            .join(
                PhysicalNetworkTrafficType,
                PhysicalNetworkTrafficType.physical_network_id == PhysicalNetwork.id,
            )
            .where(
                PhysicalNetwork.zone_id == zone_id,
                PhysicalNetwork.removed.is_(None),
                PhysicalNetworkTrafficType.traffic_type == "Guest",
                NetworkServiceProvider.state == "Enabled",
            )
        )
    )
