"""VPCs: creating, starting, restarting and destroying them.

A VPC is a super-CIDR (an RFC 1918 range) its tiers carve without overlapping. Starting a
VPC in a zone gives it its virtual router and its source NAT public IP there and applies
the router; its tiers (networks with `vpc_id`) join the router of their zone when they are
implemented. A VPC lives in one zone, or, when its offering is region-level, has tiers and
a router in every zone it is started in. Destroying a VPC (only once it has no tiers) takes
down its routers and removes or releases everything the VPC held: public IPs, private
gateways, route tables and their static routes, ACL lists and VPNs.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Network,
    NetworkAcl,
    NetworkAclItem,
    PrivateGateway,
    PublicIpAddress,
    RemoteAccessVpn,
    StaticRoute,
    Vpc,
    VpcOffering,
    VpcRouteTable,
    VpnConnection,
    VpnGateway,
    Zone,
    utcnow,
)
from native.services import limits, tags
from native.services.errors import CloudError, InvalidParameterValue
from native.services.limits import ResourceType
from native.services.network import cidrs, internet_gateways, ipam, routers, security_groups
from native.services.runtime import Runtime
from native.services.settings import Settings

ENABLED = "Enabled"
INACTIVE = "Inactive"
IMPLEMENTED = "Implemented"
GUEST_DOMAIN_SUFFIX = "cloud.internal"
MAIN_ROUTE_TABLE_NAME = "main"
RFC1918 = tuple(
    ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def vpc_cidr(text: str) -> str:
    """The VPC super-CIDR `text`, checked as CloudStack does: a valid IPv4 CIDR (431
    "Invalid CIDR specified") inside an RFC 1918 private range (431)."""
    try:
        block = ipaddress.IPv4Network(text.strip())
    except ValueError:
        raise InvalidParameterValue(f"Invalid CIDR specified {text}") from None
    if not any(block.subnet_of(private) for private in RFC1918):
        raise InvalidParameterValue(f"Guest Cidr {text} is not RFC1918 compliant")
    return str(block)


def check_network_domain(name: str) -> None:
    """431 unless `name` is a DNS domain CloudStack accepts (at most 190 characters;
    labels of 1-63 letters, digits and inner hyphens)."""
    labels = name.split(".")
    if len(name) > 190 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidParameterValue(
            "Invalid network domain. Total length shouldn't exceed 190 chars. Each domain "
            "label must be between 1 and 63 characters long, can contain ASCII letters 'a' "
            "through 'z', the digits '0' through '9', and the hyphen ('-'); can't start or end "
            'with "-"'
        )


def check_dns(dns1: str | None, dns2: str | None) -> None:
    """431 if a DNS server is not an IPv4 address, or a second one is given without a first."""
    if dns2 and not dns1:
        raise InvalidParameterValue("Second IPv4 DNS can be specified only with the first IPv4 DNS")
    for value, what in ((dns1, "dns1"), (dns2, "dns2")):
        if value:
            cidrs.address(value, what=what)


@dataclass(frozen=True, kw_only=True)
class NewVpc:
    """What createVPC asks for, resolved."""

    owner: Account
    zone: Zone
    offering: VpcOffering
    name: str
    cidr: str
    display_text: str | None = None
    network_domain: str | None = None
    dns1: str | None = None
    dns2: str | None = None
    display: bool = True


def create_vpc(session: Session, settings: Settings, *, spec: NewVpc) -> Vpc:
    """Add an Enabled VPC (no router yet) with its main route table. 431 on a malformed or public CIDR, a bad
    network domain or DNS, a disabled offering or a Basic zone; 532 over the owner's VPC
    limit."""
    if spec.offering.state != ENABLED or spec.offering.removed is not None:
        raise InvalidParameterValue("Unable to find vpc offering in Enabled state by specified id")
    if spec.zone.network_type != "Advanced":
        raise InvalidParameterValue(
            f"VPCs can only be created in Advanced zones; zone {spec.zone.name} is "
            f"{spec.zone.network_type}"
        )
    if not spec.name.strip():
        raise InvalidParameterValue("The name of a VPC must not be empty")
    cidr = vpc_cidr(spec.cidr)
    domain = spec.network_domain or f"cs{spec.owner.id:x}{GUEST_DOMAIN_SUFFIX}"
    check_network_domain(domain)
    check_dns(spec.dns1, spec.dns2)
    limits.consume(session, settings, account=spec.owner, resource=ResourceType.VPC, amount=1)
    vpc = Vpc(
        name=spec.name,
        display_text=spec.display_text or spec.name,
        zone_id=spec.zone.id,
        cidr=cidr,
        vpc_offering_id=spec.offering.id,
        account_id=spec.owner.id,
        domain_id=spec.owner.domain_id,
        state=ENABLED,
        network_domain=domain,
        dns1=spec.dns1,
        dns2=spec.dns2,
        display=spec.display,
    )
    session.add(vpc)
    session.flush()
    session.add(
        VpcRouteTable(
            name=MAIN_ROUTE_TABLE_NAME,
            vpc_id=vpc.id,
            account_id=vpc.account_id,
            domain_id=vpc.domain_id,
            is_main=True,
        )
    )
    security_groups.create_vpc_default_group(session, vpc=vpc)
    return vpc


def live_tiers(session: Session, *, vpc_id: int) -> list[Network]:
    """The VPC's tiers that are not removed, oldest first."""
    return list(
        session.scalars(
            select(Network)
            .where(Network.vpc_id == vpc_id, Network.removed.is_(None))
            .order_by(Network.id)
        )
    )


def source_nat_ip(
    session: Session, *, vpc: Vpc, zone_id: int | None = None
) -> PublicIpAddress | None:
    """The VPC's source NAT public IP in `zone_id` (default: the VPC's zone), if it has one."""
    return session.scalars(
        select(PublicIpAddress).where(
            PublicIpAddress.vpc_id == vpc.id,
            PublicIpAddress.zone_id == (zone_id or vpc.zone_id),
            PublicIpAddress.is_source_nat.is_(True),
            PublicIpAddress.state == ipam.ALLOCATED,
        )
    ).first()


def start_vpc(
    session: Session,
    runtime: Runtime,
    *,
    vpc: Vpc,
    zone_id: int | None = None,
    source_nat_address: str | None = None,
) -> None:
    """Give the VPC its router and source NAT public IP in `zone_id` (default: the VPC's
    zone; exactly `source_nat_address` when given) if it lacks them there, attach its
    implemented tiers of that zone, and apply the router.

    533 when no public IP is free, 532 over the owner's public IP limit, 431 if the asked
    address is not free, 534 if the apply fails; what was made before then is left for
    the caller to undo (`discard_vpc`) or keep.
    """
    zone = zone_id or vpc.zone_id
    owner = session.get(Account, vpc.account_id)
    assert owner is not None
    router = routers.router_of(session, vpc=vpc, zone_id=zone) or routers.create_router(
        session, zone_id=zone, account_id=owner.id, domain_id=owner.domain_id, vpc=vpc
    )
    if source_nat_ip(session, vpc=vpc, zone_id=zone) is None:
        ipam.acquire_public_ip(
            session,
            zone_id=zone,
            account=owner,
            vpc_id=vpc.id,
            source_nat=True,
            address=source_nat_address,
        )
        limits.consume(
            session, runtime.settings, account=owner, resource=ResourceType.PUBLIC_IP, amount=1
        )
    for tier in live_tiers(session, vpc_id=vpc.id):
        if tier.state == IMPLEMENTED and tier.zone_id == zone:
            routers.attach_guest(session, router=router, network=tier)
    routers.apply(session, runtime, router_id=router.id)


def restart_vpc(session: Session, runtime: Runtime, *, vpc: Vpc, cleanup: bool) -> None:
    """Apply the VPC's routers again (one in each zone it is started in, and always one in
    its own zone); with `cleanup`, destroy them first and give the VPC new ones with its
    implemented tiers attached. A failure marks the VPC `restartrequired` and propagates
    (534 when an apply fails)."""
    vpc_id = vpc.id
    try:
        started = routers.vpc_routers(session, vpc_id=vpc_id)
        zones = dict.fromkeys([vpc.zone_id, *(router.zone_id for router in started)])
        if cleanup:
            for router in started:
                routers.destroy(session, runtime, router=router)
        for zone in zones:
            start_vpc(session, runtime, vpc=vpc, zone_id=zone)
    except CloudError:
        session.rollback()
        session.execute(update(Vpc).where(Vpc.id == vpc_id).values(restart_required=True))
        session.commit()
        raise
    vpc.restart_required = False
    session.flush()


def check_enabled(vpc: Vpc) -> None:
    """431 unless the VPC is Enabled (not being deleted)."""
    if vpc.state != ENABLED or vpc.removed is not None:
        raise InvalidParameterValue("Unable to find Enabled VPC by id specified")


def check_deletable(session: Session, *, vpc: Vpc) -> None:
    """431 while the VPC has tiers (CloudStack deletes only an empty VPC), 536 while it has
    security groups besides its `default`. Locks the VPC's row, so no tier is added
    (createNetwork locks it too) before the transaction ends."""
    session.scalars(select(Vpc.id).where(Vpc.id == vpc.id).with_for_update()).one()
    count = session.scalar(
        select(func.count())
        .select_from(Network)
        .where(Network.vpc_id == vpc.id, Network.removed.is_(None))
    )
    if count:
        raise InvalidParameterValue(
            f"Can't delete VPC {vpc.name} ({vpc.uuid}) as its used by {count} networks"
        )
    security_groups.check_vpc_groups_deletable(session, vpc=vpc)


def _release_public_ips(session: Session, *, vpc: Vpc, owner: Account) -> None:
    ips = session.scalars(
        select(PublicIpAddress).where(
            PublicIpAddress.vpc_id == vpc.id, PublicIpAddress.state == ipam.ALLOCATED
        )
    ).all()
    ip_ids = [ip.id for ip in ips]
    if ip_ids:
        session.execute(delete(RemoteAccessVpn).where(RemoteAccessVpn.public_ip_id.in_(ip_ids)))
    for ip in ips:
        tags.remove_tags_of(session, resource_type="PublicIpAddress", resource_id=ip.id)
        ipam.release_public_ip(session, ip=ip)
        limits.release(session, account=owner, resource=ResourceType.PUBLIC_IP, amount=1)


def _remove_vpns(session: Session, *, vpc: Vpc) -> None:
    session.execute(delete(RemoteAccessVpn).where(RemoteAccessVpn.vpc_id == vpc.id))
    gateway_ids = list(session.scalars(select(VpnGateway.id).where(VpnGateway.vpc_id == vpc.id)))
    if gateway_ids:
        session.execute(delete(VpnConnection).where(VpnConnection.vpn_gateway_id.in_(gateway_ids)))
        session.execute(delete(VpnGateway).where(VpnGateway.id.in_(gateway_ids)))


def _remove_gateways_and_lists(session: Session, *, vpc: Vpc) -> None:
    now = utcnow()
    for route_id in session.scalars(select(StaticRoute.id).where(StaticRoute.vpc_id == vpc.id)):
        tags.remove_tags_of(session, resource_type="StaticRoute", resource_id=route_id)
    session.execute(delete(StaticRoute).where(StaticRoute.vpc_id == vpc.id))
    _remove_route_tables(session, vpc=vpc)
    session.execute(
        update(PrivateGateway)
        .where(PrivateGateway.vpc_id == vpc.id, PrivateGateway.removed.is_(None))
        .values(removed=now, state="Deleted")
    )
    acl_ids = list(
        session.scalars(
            select(NetworkAcl.id).where(NetworkAcl.vpc_id == vpc.id, NetworkAcl.removed.is_(None))
        )
    )
    if not acl_ids:
        return
    for item_id in session.scalars(
        select(NetworkAclItem.id).where(NetworkAclItem.acl_id.in_(acl_ids))
    ):
        tags.remove_tags_of(session, resource_type="NetworkACL", resource_id=item_id)
    for acl_id in acl_ids:
        tags.remove_tags_of(session, resource_type="NetworkACLList", resource_id=acl_id)
    session.execute(delete(NetworkAclItem).where(NetworkAclItem.acl_id.in_(acl_ids)))
    session.execute(update(NetworkAcl).where(NetworkAcl.id.in_(acl_ids)).values(removed=now))


def _remove_route_tables(session: Session, *, vpc: Vpc) -> None:
    session.execute(update(Network).where(Network.vpc_id == vpc.id).values(route_table_id=None))
    for table_id in session.scalars(select(VpcRouteTable.id).where(VpcRouteTable.vpc_id == vpc.id)):
        tags.remove_tags_of(session, resource_type="RouteTable", resource_id=table_id)
    session.execute(delete(VpcRouteTable).where(VpcRouteTable.vpc_id == vpc.id))


def destroy_vpc(session: Session, runtime: Runtime, *, vpc: Vpc) -> None:
    """Remove a VPC with no tiers (see `check_deletable`): destroy its routers, release its
    public IPs, remove its VPNs, route tables, static routes, private gateways, ACL lists and
    security groups, detach its internet gateway, give back its VPC limit and mark it removed.
    Leaves the work in the session for the caller to commit."""
    owner = session.get(Account, vpc.account_id)
    assert owner is not None
    for router in routers.vpc_routers(session, vpc_id=vpc.id):
        routers.destroy(session, runtime, router=router)
    _remove_vpns(session, vpc=vpc)
    _release_public_ips(session, vpc=vpc, owner=owner)
    _remove_gateways_and_lists(session, vpc=vpc)
    security_groups.remove_vpc_groups(session, vpc_id=vpc.id)
    internet_gateways.detach_all(session, vpc_id=vpc.id)
    tags.remove_tags_of(session, resource_type="Vpc", resource_id=vpc.id)
    if vpc.state != INACTIVE:
        limits.release(session, account=owner, resource=ResourceType.VPC, amount=1)
    vpc.state = INACTIVE
    vpc.removed = utcnow()
    session.flush()


def discard_vpc(session: Session, runtime: Runtime, *, vpc_id: int) -> None:
    """Undo a VPC whose creation failed half-way: roll back the session's uncommitted
    work, then destroy whatever of the VPC was committed, and commit."""
    session.rollback()
    vpc = session.get(Vpc, vpc_id)
    if vpc is not None and vpc.removed is None:
        destroy_vpc(session, runtime, vpc=vpc)
    session.commit()
