"""Implementing guest networks: what happens when a network is first used.

A network is created `Allocated`: stored, holding nothing. Implementing it (on the first
VM deployed in it, on restart, or when asked) takes its guest VLAN from the zone's range,
gives an isolated network its virtual router and source NAT public IP (a VPC tier joins
its VPC's router, starting the VPC first if it was created without starting, as
CloudStack does), and applies the router's configuration. Deleting the network takes it
off its router (`leave_router`); `guest_networks` gives its VLAN and addresses back.
"""

from __future__ import annotations

import json

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Network,
    NetworkOffering,
    Nic,
    PhysicalNetwork,
    PhysicalNetworkTrafficType,
    PublicIpAddress,
    Vpc,
)
from native.services import limits
from native.services.limits import ResourceType
from native.services.network import ipam, routers, vpcs
from native.services.runtime import Runtime

ALLOCATED = "Allocated"
IMPLEMENTED = "Implemented"
ROUTED_SERVICES = ("Dhcp", "Dns", "SourceNat", "Firewall", "Lb", "StaticNat", "PortForwarding")


def services_of(offering: NetworkOffering) -> dict[str, list[str]]:
    """An offering's services, `{service: [provider, …]}`."""
    services: dict[str, list[str]] = json.loads(offering.services)
    return services


def guest_physical_network(session: Session, *, zone_id: int) -> PhysicalNetwork | None:
    """The zone's physical network carrying guest traffic (the first, if several)."""
    return session.scalars(
        select(PhysicalNetwork)
        .join(
            PhysicalNetworkTrafficType,
            PhysicalNetworkTrafficType.physical_network_id == PhysicalNetwork.id,
        )
        .where(
            PhysicalNetwork.zone_id == zone_id,
            PhysicalNetwork.removed.is_(None),
            PhysicalNetworkTrafficType.traffic_type == "Guest",
        )
        .order_by(PhysicalNetwork.id)
    ).first()


def source_nat_ip(session: Session, *, network: Network) -> PublicIpAddress | None:
    """The source NAT address of a network (its VPC's in its zone for a tier), if it has one."""
    clause = (
        and_(PublicIpAddress.vpc_id == network.vpc_id, PublicIpAddress.zone_id == network.zone_id)
        if network.vpc_id is not None
        else PublicIpAddress.network_id == network.id
    )
    return session.scalars(
        select(PublicIpAddress).where(
            clause, PublicIpAddress.is_source_nat.is_(True), PublicIpAddress.state == ipam.ALLOCATED
        )
    ).first()


def _take_vlan(session: Session, network: Network) -> None:
    if network.vlan is not None:
        return
    physical = (
        session.get(PhysicalNetwork, network.physical_network_id)
        if network.physical_network_id is not None
        else guest_physical_network(session, zone_id=network.zone_id)
    )
    if physical is None or not physical.vlan:
        return
    network.physical_network_id = physical.id
    network.vlan = ipam.take_vlan(session, network=network, physical_network_id=physical.id)


def implement(session: Session, runtime: Runtime, *, network: Network) -> None:
    """Implement `network` if it is not yet (see the module docstring) and apply its
    router (for a tier of a VPC not started yet, start the VPC). 533 when no VLAN or public
    IP is free, 532 when the source NAT IP would pass the owner's PUBLIC_IP limit (nothing
    is then kept)."""
    offering = session.get(NetworkOffering, network.network_offering_id)
    assert offering is not None
    services = services_of(offering)
    if network.state != IMPLEMENTED:
        _take_vlan(session, network)
        if (
            network.vpc_id is None
            and "SourceNat" in services
            and source_nat_ip(session, network=network) is None
        ):
            owner = session.get(Account, network.account_id)
            assert owner is not None
            limits.consume(
                session, runtime.settings, account=owner, resource=ResourceType.PUBLIC_IP, amount=1
            )
            ipam.acquire_public_ip(
                session,
                zone_id=network.zone_id,
                account=owner,
                network_id=network.id,
                source_nat=True,
            )
        network.state = IMPLEMENTED
    router = routers.router_of(session, network=network)
    if router is None and network.vpc_id is not None:
        vpc = session.get(Vpc, network.vpc_id)
        assert vpc is not None
        session.flush()
        vpcs.start_vpc(session, runtime, vpc=vpc, zone_id=network.zone_id)
        return
    if router is None and network.vpc_id is None and any(s in services for s in ROUTED_SERVICES):
        router = routers.create_router(
            session,
            zone_id=network.zone_id,
            account_id=network.account_id,
            domain_id=network.domain_id,
            network=network,
        )
    if router is None:
        session.flush()
        return
    routers.attach_guest(session, router=router, network=network)
    routers.apply(session, runtime, router_id=router.id)


def leave_router(session: Session, runtime: Runtime, *, network: Network) -> None:
    """Take a deleted network off its router: an isolated network's router is destroyed,
    a VPC tier only leaves its VPC's router, which is applied again without it."""
    router = routers.router_of(session, network=network)
    if router is not None and network.vpc_id is None:
        routers.destroy(session, runtime, router=router)
    elif router is not None:
        session.execute(delete(Nic).where(Nic.router_id == router.id, Nic.network_id == network.id))
        routers.apply(session, runtime, router_id=router.id)
    session.flush()
