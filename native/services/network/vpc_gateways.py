"""VPC private gateways and static routes.

A private gateway is the VPC router's address `ip_address` on a private VLAN whose
network is `gateway`/`netmask`; static routes of a route table send a CIDR through a
private gateway, to a next hop, or out through the VPC's internet gateway. Both reach the router through `router_config.gather`: a gateway while it is not
removed, a route while it is `Add` or `Active`. Every change applies the VPC's router.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.model import (
    GuestVlan,
    InternetGateway,
    NetworkAcl,
    PhysicalNetwork,
    PrivateGateway,
    StaticRoute,
    Vpc,
    VpcRouteTable,
    Zone,
    utcnow,
)
from native.services import tags
from native.services.errors import (
    InvalidParameterValue,
    NetworkRuleConflict,
    ResourceInUse,
    ResourceLimitExceeded,
)
from native.services.network import cidrs
from native.services.network.defaults import DEFAULT_DENY
from native.services.network.implement import guest_physical_network
from native.services.network.vpcs import check_enabled

CREATING = "Creating"
READY = "Ready"
DELETING = "Deleting"
ROUTE_LIMIT = "vpc.route.table.max.routes"
ADD = "Add"
ACTIVE = "Active"
REVOKE = "Revoke"


def parse_vlan(text: str) -> int:
    """A VLAN given as `N` or `vlan://N`; 431 unless 1..4094."""
    raw = text.strip().lower().removeprefix("vlan://")
    if not raw.isdigit() or not 1 <= int(raw) <= 4094:
        raise InvalidParameterValue(f"Invalid vlan {text}: a VLAN is a number from 1 to 4094")
    return int(raw)


def default_deny(session: Session) -> NetworkAcl:
    """The built-in `default_deny` ACL list."""
    acl = session.scalars(
        select(NetworkAcl).where(NetworkAcl.name == DEFAULT_DENY, NetworkAcl.vpc_id.is_(None))
    ).one()
    return acl


def _physical_network(
    session: Session, *, vpc: Vpc, physical: PhysicalNetwork | None
) -> PhysicalNetwork:
    chosen = physical or guest_physical_network(session, zone_id=vpc.zone_id)
    if chosen is None:
        raise InvalidParameterValue(
            "Physical network can't be determined; pass physical network id"
        )
    if chosen.zone_id != vpc.zone_id:
        zone = session.get(Zone, vpc.zone_id)
        raise InvalidParameterValue(
            f"Physical network {chosen.name} is not in the zone {zone.name if zone else ''} of "
            f"VPC {vpc.name}"
        )
    return chosen


def _check_addresses(*, ip_address: str, gateway: str, netmask: str) -> ipaddress.IPv4Network:
    block = cidrs.network_of(gateway=gateway, netmask=netmask)
    address = cidrs.address(ip_address, what="ipaddress")
    if address not in block:
        raise InvalidParameterValue(
            "Please ensure that your IP address is in the same subnet as your gateway"
        )
    if str(address) == str(cidrs.address(gateway, what="gateway")):
        raise InvalidParameterValue(f"The IP address {ip_address} is the gateway's own address")
    return block


def _check_vlan_free(
    session: Session, *, physical: PhysicalNetwork, vlan: int, block: ipaddress.IPv4Network, ip: str
) -> None:
    guest = session.scalar(
        select(GuestVlan.id).where(
            GuestVlan.physical_network_id == physical.id,
            GuestVlan.vnet == vlan,
            GuestVlan.network_id.is_not(None),
        )
    )
    if guest is not None:
        raise InvalidParameterValue(
            f"Network with vlan {vlan} already exists or overlaps with other network vlans in "
            f"zone {physical.zone_id}"
        )
    for other in session.scalars(
        select(PrivateGateway).where(
            PrivateGateway.zone_id == physical.zone_id,
            PrivateGateway.vlan == f"vlan://{vlan}",
            PrivateGateway.removed.is_(None),
        )
    ):
        other_block = ipaddress.IPv4Network(f"{other.gateway}/{other.netmask}", strict=False)
        if other_block != block:
            raise InvalidParameterValue(
                f"Network with vlan {vlan} already exists or overlaps with other network vlans "
                f"in zone {physical.zone_id}"
            )
        if other.ip_address == ip:
            raise InvalidParameterValue(
                f"Private ip address {ip} already used for private gateway in zone "
                f"{physical.zone_id}"
            )


def create_private_gateway(
    session: Session,
    *,
    vpc: Vpc,
    physical: PhysicalNetwork | None,
    vlan: str,
    ip_address: str,
    gateway: str,
    netmask: str,
    acl: NetworkAcl | None,
    source_nat: bool,
) -> PrivateGateway:
    """Store a private gateway of an Enabled VPC in state `Creating`. 431 when the VLAN,
    addresses or physical network are malformed or taken, or the ACL list belongs to
    another VPC. The ACL list defaults to `default_deny`."""
    check_enabled(vpc)
    physical_network = _physical_network(session, vpc=vpc, physical=physical)
    number = parse_vlan(vlan)
    block = _check_addresses(ip_address=ip_address, gateway=gateway, netmask=netmask)
    address = str(cidrs.address(ip_address, what="ipaddress"))
    _check_vlan_free(session, physical=physical_network, vlan=number, block=block, ip=address)
    chosen = acl or default_deny(session)
    if chosen.vpc_id is not None and chosen.vpc_id != vpc.id:
        raise InvalidParameterValue("Private gateway and network acl are not in the same vpc")
    row = PrivateGateway(
        vpc_id=vpc.id,
        zone_id=vpc.zone_id,
        physical_network_id=physical_network.id,
        vlan=f"vlan://{number}",
        ip_address=address,
        gateway=str(cidrs.address(gateway, what="gateway")),
        netmask=str(block.netmask),
        acl_id=chosen.id,
        source_nat_supported=source_nat,
        state=CREATING,
        account_id=vpc.account_id,
        domain_id=vpc.domain_id,
    )
    session.add(row)
    session.flush()
    return row


def check_gateway_deletable(session: Session, *, gateway: PrivateGateway) -> None:
    """536 while static routes go through the gateway."""
    count = session.scalar(
        select(func.count()).select_from(StaticRoute).where(StaticRoute.gateway_id == gateway.id)
    )
    if count:
        raise ResourceInUse(
            f"Can't delete private gateway {gateway.uuid} as it has {count} static routes "
            "applied. Remove the routes first"
        )


def mark_gateway_removed(session: Session, *, gateway_id: int, removed: bool) -> None:
    """Take a gateway out of (or, undoing, put it back into) what the router runs."""
    gateway = session.get(PrivateGateway, gateway_id)
    if gateway is not None:
        gateway.removed = utcnow() if removed else None
        gateway.state = DELETING if removed else READY
        session.flush()


def discard_gateway(session: Session, *, gateway_id: int) -> None:
    """Delete a gateway whose creation failed."""
    gateway = session.get(PrivateGateway, gateway_id)
    if gateway is not None:
        session.delete(gateway)
        session.flush()


@dataclass(frozen=True, kw_only=True)
class RouteTarget:
    """Where a static route sends traffic: exactly one of a private gateway, a next hop
    address or an internet gateway."""

    gateway: PrivateGateway | None = None
    next_hop: str | None = None
    internet_gateway: InternetGateway | None = None


def _check_target(*, vpc: Vpc, target: RouteTarget) -> str | None:
    """The target's next hop in canonical form; 431 if the target is unusable."""
    gateway, internet = target.gateway, target.internet_gateway
    if gateway is not None and gateway.state != READY:
        raise InvalidParameterValue(f"Gateway is not in the Ready state: {gateway.state}")
    if internet is not None and internet.vpc_id != vpc.id:
        raise InvalidParameterValue(
            f"Internet gateway {internet.uuid} is not attached to VPC {vpc.uuid}"
        )
    hop = target.next_hop
    return None if hop is None else str(cidrs.address(hop, what="nexthop"))


def _check_room(session: Session, *, table: VpcRouteTable, limit: int) -> None:
    held = session.scalar(
        select(func.count())
        .select_from(StaticRoute)
        .where(StaticRoute.route_table_id == table.id, StaticRoute.state != REVOKE)
    )
    if int(held or 0) >= limit:
        raise ResourceLimitExceeded(
            f"Route table {table.uuid} already holds the maximum of {limit} routes "
            "(vpc.route.table.max.routes)"
        )


def _check_free(
    session: Session, *, table: VpcRouteTable, block: ipaddress.IPv4Network, internet: bool
) -> None:
    """537 if the table has a route to the same CIDR, or (neither route leaving through an
    internet gateway, which longest-prefix matching leaves the rest to) an overlapping one."""
    for route in session.scalars(
        select(StaticRoute).where(
            StaticRoute.route_table_id == table.id, StaticRoute.state != REVOKE
        )
    ):
        other = ipaddress.IPv4Network(route.cidr)
        either_internet = internet or route.internet_gateway_id is not None
        if other == block or (not either_internet and other.overlaps(block)):
            raise NetworkRuleConflict(
                f"New static route cidr conflicts with existing route {route.uuid} "
                f"(cidr {route.cidr})"
            )


def create_static_route(
    session: Session,
    *,
    vpc: Vpc,
    table: VpcRouteTable,
    cidr: str,
    target: RouteTarget,
    route_limit: int,
) -> StaticRoute:
    """Store a static route of route table `table` of the VPC in state `Add`. 431 when the
    CIDR is malformed or overlaps the VPC's own CIDR, the table is another VPC's, the
    gateway is not Ready, the internet gateway is not attached to the VPC or the next hop
    is not an address; 537 when it conflicts with another route of the table; 532 when the
    table already holds `route_limit` routes. A route through an internet gateway may cover
    the VPC's CIDR (as `0.0.0.0/0` does)."""
    check_enabled(vpc)
    if table.vpc_id != vpc.id:
        raise InvalidParameterValue(f"Route table {table.uuid} does not belong to VPC {vpc.uuid}")
    hop = _check_target(vpc=vpc, target=target)
    try:
        block = ipaddress.IPv4Network(cidr.strip())
    except ValueError:
        raise InvalidParameterValue(f"Invalid format for cidr {cidr}") from None
    own = ipaddress.IPv4Network(vpc.cidr)
    if block.subnet_of(own) if target.internet_gateway else block.overlaps(own):
        raise InvalidParameterValue(f"CIDR should be outside of VPC cidr {vpc.cidr}")
    _check_free(session, table=table, block=block, internet=target.internet_gateway is not None)
    _check_room(session, table=table, limit=route_limit)
    route = StaticRoute(
        vpc_id=vpc.id,
        route_table_id=table.id,
        cidr=str(block),
        gateway_id=None if target.gateway is None else target.gateway.id,
        next_hop=hop,
        internet_gateway_id=None if target.internet_gateway is None else target.internet_gateway.id,
        state=ADD,
        account_id=vpc.account_id,
        domain_id=vpc.domain_id,
    )
    session.add(route)
    session.flush()
    return route


def set_route_state(session: Session, *, route_id: int, state: str) -> None:
    """Set a route's state (if it still exists)."""
    route = session.get(StaticRoute, route_id)
    if route is not None:
        route.state = state
        session.flush()


def remove_route(session: Session, *, route_id: int) -> None:
    """Delete a route and its tags (if it still exists)."""
    route = session.get(StaticRoute, route_id)
    if route is not None:
        tags.remove_tags_of(session, resource_type="StaticRoute", resource_id=route.id)
        session.delete(route)
        session.flush()
