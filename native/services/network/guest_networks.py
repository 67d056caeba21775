"""Guest networks: creating (createNetwork, and the default network a deploy makes),
updating, restarting and deleting them.

A new network is `Allocated`; `implement.implement` brings it up when it is first used.
Isolated and L2 networks belong to one account and count against its NETWORK limit;
Shared networks are zone- or domain-wide and do not count. A VPC tier is an isolated
network with `vpc_id`: its CIDR lies inside the VPC's and overlaps no sibling tier's.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Domain,
    LbHealthCheckPolicy,
    LbStickinessPolicy,
    LbVmMap,
    Network,
    NetworkAcl,
    NetworkOffering,
    NetworkRule,
    Nic,
    PhysicalNetwork,
    PublicIpAddress,
    RemoteAccessVpn,
    ResourceCount,
    VirtualMachine,
    Vpc,
    Zone,
    utcnow,
)
from native.services import limits
from native.services.caller import Caller, RoleType
from native.services.errors import (
    InvalidParameterValue,
    PermissionDenied,
    ResourceInUse,
    ResourceUnavailable,
)
from native.services.limits import ResourceType
from native.services.network import cidrs, implement, ipam, offerings, public_ips, routers
from native.services.network.defaults import DEFAULT_DENY, DEFAULT_ISOLATED, ISOLATED, L2, SHARED
from native.services.runtime import Runtime
from native.services.settings import Settings
from native.services.tags import remove_tags_of

log = logging.getLogger(__name__)

DEFAULT_GUEST_CIDR = "10.1.1.0/24"
DESTROYED = "Destroy"
ACL_TYPES = {"account": "Account", "domain": "Domain"}
SMALLEST_PREFIX = 30
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
_RULE_TAG_TYPES = {
    "Firewall": "FirewallRule",
    "PortForwarding": "PortForwardingRule",
    "LoadBalancing": "LoadBalancer",
}
_RULE_SERVICES = {"Firewall": "Firewall", "PortForwarding": "PortForwarding", "LoadBalancing": "Lb"}


@dataclass(frozen=True, kw_only=True)
class NewNetwork:
    """What createNetwork asks for, resolved. `gateway`/`netmask` (or the zone's guest
    CIDR, else 10.1.1.0/24) give the CIDR; `start_ip`/`end_ip` narrow the guest range.
    `domain` is the domain of a domain-wide network (the owner's by default)."""

    owner: Account
    zone: Zone
    offering: NetworkOffering
    name: str
    display_text: str | None = None
    gateway: str | None = None
    netmask: str | None = None
    start_ip: str | None = None
    end_ip: str | None = None
    network_domain: str | None = None
    vlan: int | None = None
    vpc: Vpc | None = None
    acl_id: int | None = None
    acl_type: str = "Account"
    display: bool = True
    domain: Domain | None = None
    physical_network: PhysicalNetwork | None = None


def _cidr(spec: NewNetwork) -> tuple[ipaddress.IPv4Network, str]:
    if spec.gateway is not None or spec.netmask is not None:
        if spec.gateway is None or spec.netmask is None:
            missing = "netmask" if spec.netmask is None else "gateway"
            raise InvalidParameterValue(
                f"gateway and netmask must be given together: {missing} is missing"
            )
        block = cidrs.network_of(gateway=spec.gateway, netmask=spec.netmask)
        gateway = str(cidrs.address(spec.gateway, what="gateway"))
        if block.prefixlen > SMALLEST_PREFIX:
            raise InvalidParameterValue(
                f"Invalid netmask {spec.netmask}: a guest network must be /{SMALLEST_PREFIX} or "
                "larger, to hold its gateway and at least one VM"
            )
        if ipaddress.IPv4Address(gateway) in (block.network_address, block.broadcast_address):
            raise InvalidParameterValue(
                f"Invalid gateway {gateway}: it is the network or broadcast address of {block}"
            )
        return block, gateway
    block = cidrs.network(spec.zone.guest_cidr or DEFAULT_GUEST_CIDR, what="guest CIDR")
    return block, str(block[1])


def _check_range(spec: NewNetwork, block: ipaddress.IPv4Network) -> None:
    for what, value in (("startip", spec.start_ip), ("endip", spec.end_ip)):
        if value is not None and cidrs.address(value, what=what) not in block:
            raise InvalidParameterValue(f"Invalid {what}: {value} is outside the network {block}")
    if (
        spec.start_ip
        and spec.end_ip
        and ipaddress.IPv4Address(spec.start_ip) > ipaddress.IPv4Address(spec.end_ip)
    ):
        raise InvalidParameterValue(
            f"Invalid IP range {spec.start_ip}-{spec.end_ip}: the start IP is greater than the end IP"
        )


def acl_type_of(text: str | None, *, offering: NetworkOffering) -> str:
    """The `acltype` asked for (`Account` or `Domain`, any case); by default `Domain` for
    Shared networks and `Account` for the others. 431 naming acltype otherwise."""
    if text is None:
        return "Domain" if offering.guest_ip_type == SHARED else "Account"
    found = ACL_TYPES.get(text.strip().lower())
    if found is None:
        raise InvalidParameterValue(f"Invalid acltype {text}: use Account or Domain")
    return found


def check_network_domain(text: str | None) -> None:
    """431 naming `networkdomain` unless `text` is a DNS domain name (labels of letters,
    digits and hyphens, 190 characters at most)."""
    if text is None:
        return
    labels = text.split(".")
    if len(text) > 190 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidParameterValue(
            f"Invalid networkdomain {text}: use labels of 1 to 63 letters, digits and hyphens "
            "(not starting or ending with a hyphen), 190 characters at most"
        )


def create_network(session: Session, settings: Settings, *, spec: NewNetwork) -> Network:
    """Add an `Allocated` guest network. 431 on a malformed CIDR or range or a disabled
    offering; 532 over the owner's NETWORK limit."""
    if spec.offering.state != "Enabled" or spec.offering.removed is not None:
        raise InvalidParameterValue(f"Network offering {spec.offering.name} is not enabled")
    if not spec.name.strip():
        raise InvalidParameterValue("The name of a network must not be empty")
    guest_type = spec.offering.guest_ip_type
    network = Network(
        name=spec.name,
        display_text=spec.display_text or spec.name,
        zone_id=spec.zone.id,
        physical_network_id=None if spec.physical_network is None else spec.physical_network.id,
        network_offering_id=spec.offering.id,
        account_id=spec.owner.id,
        domain_id=spec.owner.domain_id if spec.domain is None else spec.domain.id,
        acl_type=spec.acl_type,
        guest_type=guest_type,
        network_domain=spec.network_domain,
        vlan=spec.vlan,
        vpc_id=None if spec.vpc is None else spec.vpc.id,
        acl_id=spec.acl_id,
        display_network=spec.display,
        specify_ip_ranges=spec.offering.specify_ip_ranges,
    )
    if guest_type != L2:
        block, gateway = _cidr(spec)
        _check_range(spec, block)
        network.cidr, network.gateway, network.netmask = str(block), gateway, str(block.netmask)
        network.ip_start, network.ip_end = spec.start_ip, spec.end_ip
    if guest_type != SHARED:
        limits.consume(
            session, settings, account=spec.owner, resource=ResourceType.NETWORK, amount=1
        )
    session.add(network)
    session.flush()
    return network


def _check_offering(spec: NewNetwork, caller: Caller) -> None:
    offering = spec.offering
    if offering.traffic_type != "Guest" or offering.is_system:
        raise InvalidParameterValue(
            f"Network offering {offering.name} is not for guest networks (networkofferingid)"
        )
    if offering.for_vpc and spec.vpc is None:
        raise InvalidParameterValue(
            f"Network offering {offering.name} is for VPC tiers only: give vpcid"
        )
    if spec.vpc is not None and not offering.for_vpc:
        raise InvalidParameterValue(
            f"Network offering {offering.name} can't be used for VPC tiers (vpcid)"
        )
    if offering.guest_ip_type == SHARED and caller.role_type is RoleType.USER:
        raise InvalidParameterValue("Only Admins can create network with guest type Shared")
    if spec.acl_type == "Domain" and offering.guest_ip_type != SHARED:
        raise InvalidParameterValue("acltype Domain is supported for Shared networks only")


def _check_addressing(spec: NewNetwork, caller: Caller) -> None:
    offering = spec.offering
    if offering.guest_ip_type == L2:
        given = [
            name
            for name, value in (
                ("gateway", spec.gateway),
                ("netmask", spec.netmask),
                ("startip", spec.start_ip),
                ("endip", spec.end_ip),
            )
            if value is not None
        ]
        if given:
            raise InvalidParameterValue(
                f"L2 networks have no IP addressing: {', '.join(given)} is not allowed"
            )
    if offering.specify_ip_ranges:
        for name, value in (
            ("startip", spec.start_ip),
            ("gateway", spec.gateway),
            ("netmask", spec.netmask),
        ):
            if value is None:
                raise InvalidParameterValue(
                    f"Network offering {offering.name} requires IP ranges: {name} is required"
                )
    if spec.vlan is not None and not caller.is_root_admin:
        raise InvalidParameterValue("Only root admins may give the vlan of a network (vlan)")
    if offering.specify_vlan and spec.vlan is None:
        raise InvalidParameterValue(
            f"vlan is required for network offering {offering.name} (specifyvlan=true)"
        )
    if spec.vlan is not None and not offering.specify_vlan:
        raise InvalidParameterValue(
            f"Can't specify vlan; network offering {offering.name} says specifyvlan=false"
        )
    if spec.vlan is not None and not 1 <= spec.vlan <= 4094:
        raise InvalidParameterValue(f"Invalid vlan {spec.vlan}: VLANs are 1 to 4094")
    check_network_domain(spec.network_domain)


def _tier_acl(session: Session, *, vpc: Vpc, acl: NetworkAcl | None) -> int:
    if acl is None:
        default = session.scalars(
            select(NetworkAcl).where(NetworkAcl.name == DEFAULT_DENY, NetworkAcl.vpc_id.is_(None))
        ).one()
        return default.id
    if acl.removed is not None or acl.vpc_id not in (None, vpc.id):
        raise InvalidParameterValue(
            f"Network ACL list {acl.name} (aclid) belongs to another VPC than {vpc.name}"
        )
    return acl.id


def _check_tier(session: Session, spec: NewNetwork, acl: NetworkAcl | None) -> NewNetwork:
    """Validate a VPC tier (see the module docstring); the spec with its ACL list and
    network domain filled in. Locks the VPC row, so racing tiers see each other."""
    vpc = spec.vpc
    if vpc is None:
        if acl is not None:
            raise InvalidParameterValue("aclid is only for VPC tiers (give vpcid)")
        return spec
    session.scalars(select(Vpc.id).where(Vpc.id == vpc.id).with_for_update()).one()
    if vpc.removed is not None or vpc.state != "Enabled":
        raise InvalidParameterValue(f"VPC {vpc.name} is not Enabled; no tier can be added to it")
    if vpc.zone_id != spec.zone.id and not offerings.is_region_level(session, vpc=vpc):
        raise InvalidParameterValue(f"VPC {vpc.name} is in another zone than zoneid")
    if vpc.account_id != spec.owner.id:
        raise PermissionDenied(
            f"VPC {vpc.name} does not belong to account {spec.owner.name}, the network's owner"
        )
    if spec.gateway is None or spec.netmask is None:
        raise InvalidParameterValue("gateway and netmask are required for a VPC tier")
    block = cidrs.network_of(gateway=spec.gateway, netmask=spec.netmask)
    if not block.subnet_of(ipaddress.IPv4Network(vpc.cidr)):
        raise InvalidParameterValue(
            f"Network CIDR {block} (gateway/netmask) is not within the CIDR {vpc.cidr} of VPC "
            f"{vpc.name}"
        )
    siblings = session.scalars(
        select(Network).where(Network.vpc_id == vpc.id, Network.removed.is_(None))
    ).all()
    clash = cidrs.overlapping(
        block,
        (
            (f"tier {tier.name} ({tier.cidr})", ipaddress.IPv4Network(tier.cidr))
            for tier in siblings
            if tier.cidr
        ),
    )
    if clash is not None:
        raise InvalidParameterValue(
            f"Network CIDR {block} overlaps {clash} of VPC {vpc.name}; tiers must not overlap"
        )
    if spec.network_domain is not None and spec.network_domain != vpc.network_domain:
        raise InvalidParameterValue(
            f"A VPC tier has its VPC's network domain; networkdomain {spec.network_domain} "
            f"differs from VPC {vpc.name}'s"
        )
    return replace(
        spec, network_domain=vpc.network_domain, acl_id=_tier_acl(session, vpc=vpc, acl=acl)
    )


def _take_vlan(session: Session, *, network: Network, spec: NewNetwork) -> None:
    if spec.vlan is None:
        return
    taken = session.scalars(
        select(Network.name).where(
            Network.zone_id == spec.zone.id,
            Network.vlan == spec.vlan,
            Network.removed.is_(None),
            Network.id != network.id,
        )
    ).first()
    if taken is not None:
        raise InvalidParameterValue(
            f"Network {taken} already uses vlan {spec.vlan} in zone {spec.zone.name}"
        )
    physical = spec.physical_network or implement.guest_physical_network(
        session, zone_id=spec.zone.id
    )
    if physical is not None:
        network.physical_network_id = physical.id
        ipam.take_specific_vlan(
            session, network=network, physical_network_id=physical.id, vnet=spec.vlan
        )


def create_guest_network(
    session: Session,
    settings: Settings,
    *,
    caller: Caller,
    spec: NewNetwork,
    acl: NetworkAcl | None = None,
) -> Network:
    """createNetwork: validate the request for the caller and add the network.

    431 for an offering of the wrong kind or state (VPC offerings only with `vpc`, and
    the other way round), Shared networks asked by a user, missing or forbidden
    addressing (IP ranges for offerings that specify them, none for L2), a vlan the
    offering does not take (or lacks, or another network uses), a malformed CIDR, range
    or domain, and for a VPC tier: a CIDR outside the VPC's or overlapping a sibling's
    (the message names it), another VPC's ACL list; 531 for another account's VPC; 532
    over the NETWORK limit; 536 if the vlan is held by another network.
    """
    _check_offering(spec, caller)
    _check_addressing(spec, caller)
    if spec.offering.guest_ip_type == SHARED and spec.end_ip is None:
        spec = replace(spec, end_ip=spec.start_ip)
    spec = _check_tier(session, spec, acl)
    network = create_network(session, settings, spec=spec)
    _take_vlan(session, network=network, spec=spec)
    session.flush()
    return network


def default_offering(session: Session) -> NetworkOffering:
    """The offering of the networks deploy makes: the Required isolated one."""
    offering = session.scalars(
        select(NetworkOffering).where(NetworkOffering.unique_name == DEFAULT_ISOLATED)
    ).one()
    return offering


def _default_candidates(session: Session, *, owner: Account, zone: Zone) -> list[Network]:
    return list(
        session.scalars(
            select(Network)
            .where(
                Network.account_id == owner.id,
                Network.zone_id == zone.id,
                Network.removed.is_(None),
                Network.guest_type == ISOLATED,
                Network.vpc_id.is_(None),
            )
            .order_by(Network.id)
        ).all()
    )


def account_default_network(
    session: Session, settings: Settings, *, owner: Account, zone: Zone
) -> Network:
    """The network a deploy with no network uses in an Advanced zone: the owner's only
    isolated (non-VPC) network of the zone, created as `<account>-network` when it has
    none; 431 when it has several (the caller must then name one). The owner's NETWORK
    count row is locked first (no foreign key points at it, so no other transaction
    holds it shared), so concurrent deploys make one network, not one each."""
    limits.ensure_count_row(
        session, owner_type=limits.ACCOUNT, owner_id=owner.id, resource=ResourceType.NETWORK
    )
    session.scalars(
        select(ResourceCount.id)
        .where(
            ResourceCount.owner_type == limits.ACCOUNT,
            ResourceCount.owner_id == owner.id,
            ResourceCount.resource_type == ResourceType.NETWORK.label,
        )
        .with_for_update()
    ).one()
    candidates = _default_candidates(session, owner=owner, zone=zone)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise InvalidParameterValue(
            f"Account {owner.name} has {len(candidates)} networks in zone {zone.name}; specify "
            "networkids"
        )
    return create_network(
        session,
        settings,
        spec=NewNetwork(
            owner=owner,
            zone=zone,
            offering=default_offering(session),
            name=f"{owner.name}-network",
            display_text=f"{owner.name}-network",
        ),
    )


def has_free_address(session: Session, *, network: Network) -> bool:
    """Whether a new NIC could get an address on the network now (always, for L2)."""
    if network.cidr is None:
        return True
    first, last = ipam.guest_range(network)
    used = session.scalar(
        select(func.count())
        .select_from(Nic)
        .where(
            Nic.network_id == network.id,
            Nic.ip4_address.is_not(None),
            Nic.ip4_address != network.gateway,
        )
    )
    reserved = 1 if first <= ipaddress.IPv4Address(network.gateway) <= last else 0
    return int(last) - int(first) + 1 - reserved - int(used or 0) > 0


def default_network_ids(session: Session, networks: Sequence[Network]) -> set[int]:
    """Which of `networks` are their owner's default (its only isolated non-VPC network
    of the zone)."""
    candidates = [n for n in networks if n.guest_type == ISOLATED and n.vpc_id is None]
    if not candidates:
        return set()
    counts = {
        (account_id, zone_id): count
        for account_id, zone_id, count in session.execute(
            select(Network.account_id, Network.zone_id, func.count())
            .where(
                Network.account_id.in_({n.account_id for n in candidates}),
                Network.guest_type == ISOLATED,
                Network.vpc_id.is_(None),
                Network.removed.is_(None),
            )
            .group_by(Network.account_id, Network.zone_id)
        ).all()
    }
    return {n.id for n in candidates if counts.get((n.account_id, n.zone_id)) == 1}


def parse_vlan(text: str | None) -> int | None:
    """The VLAN number of `vlan` (`N` or `vlan://N`); 431 naming vlan otherwise."""
    if text is None:
        return None
    value = text.strip().lower().removeprefix("vlan://")
    if not value.isdigit():
        raise InvalidParameterValue(f"Invalid vlan {text}: give a VLAN number from 1 to 4094")
    return int(value)


def _check_offering_change(session: Session, *, network: Network, new: NetworkOffering) -> None:
    old = session.get(NetworkOffering, network.network_offering_id)
    assert old is not None
    if new.state != "Enabled" or new.removed is not None:
        raise InvalidParameterValue(f"Network offering {new.name} is not enabled")
    old_services, new_services = implement.services_of(old), implement.services_of(new)
    compatible = (
        old.guest_ip_type == new.guest_ip_type == ISOLATED
        and old.for_vpc == new.for_vpc
        and old.specify_vlan == new.specify_vlan
        and old.specify_ip_ranges == new.specify_ip_ranges
        and ("SourceNat" in old_services) == ("SourceNat" in new_services)
    )
    if not compatible:
        raise InvalidParameterValue(
            f"Network offering {new.name} (networkofferingid) is not compatible with {old.name}: "
            "only isolated offerings of the same kind (VPC or not, source NAT or not, VLAN and "
            "IP range handling) can replace each other"
        )
    purposes = session.scalars(
        select(NetworkRule.purpose).where(NetworkRule.network_id == network.id).distinct()
    ).all()
    needed = {_RULE_SERVICES[p] for p in purposes if p in _RULE_SERVICES}
    if session.scalar(
        select(PublicIpAddress.id).where(
            PublicIpAddress.network_id == network.id, PublicIpAddress.is_static_nat.is_(True)
        )
    ):
        needed.add("StaticNat")
    missing = sorted(needed - set(new_services))
    if missing:
        raise InvalidParameterValue(
            f"Network offering {new.name} (networkofferingid) lacks {', '.join(missing)}, which "
            f"rules of network {network.name} use"
        )


@dataclass(frozen=True, kw_only=True)
class NetworkChange:
    """What updateNetwork changes (None: unchanged)."""

    name: str | None = None
    display_text: str | None = None
    network_domain: str | None = None
    display: bool | None = None
    offering: NetworkOffering | None = None
    map_public_ip_on_launch: bool | None = None


def check_update(session: Session, *, network: Network, change: NetworkChange) -> None:
    """431 unless `change` may be made to `network` (see `update_network`)."""
    check_live(network)
    if change.name is not None and not change.name.strip():
        raise InvalidParameterValue("The name of a network must not be empty (name)")
    if change.network_domain is not None:
        check_network_domain(change.network_domain)
        if network.vpc_id is not None:
            raise InvalidParameterValue(
                "A VPC tier has its VPC's network domain; networkdomain can't be changed"
            )
    if change.offering is not None and change.offering.id != network.network_offering_id:
        _check_offering_change(session, network=network, new=change.offering)


def update_network(
    session: Session, runtime: Runtime, *, network: Network, change: NetworkChange
) -> None:
    """updateNetwork: rename, change display text, display flag, the stored
    map-public-IP-on-launch flag, network domain or (to a compatible isolated offering) the
    offering; an implemented network's router is
    re-applied when the domain or offering changed (534, with nothing changed, if that
    fails). 431 as `check_update`."""
    check_update(session, network=network, change=change)
    before = (network.network_domain, network.network_offering_id)
    if change.name is not None:
        network.name = change.name
    if change.display_text is not None:
        network.display_text = change.display_text
    if change.display is not None:
        network.display_network = change.display
    if change.map_public_ip_on_launch is not None:
        network.map_public_ip_on_launch = change.map_public_ip_on_launch
    if change.network_domain is not None:
        network.network_domain = change.network_domain
    if change.offering is not None:
        network.network_offering_id = change.offering.id
    session.flush()
    if network.state != implement.IMPLEMENTED or before == (
        network.network_domain,
        network.network_offering_id,
    ):
        return
    network_id = network.id

    def undo(undo_session: Session) -> None:
        row = undo_session.get(Network, network_id)
        assert row is not None
        row.network_domain, row.network_offering_id = before

    routers.apply_change(session, runtime, network=network, undo=undo)


def check_live(network: Network) -> None:
    """431 for a removed network."""
    if network.removed is not None or network.state == DESTROYED:
        raise InvalidParameterValue(f"Network {network.name} ({network.uuid}) is being removed")


def restart_network(session: Session, runtime: Runtime, *, network: Network, cleanup: bool) -> None:
    """restartNetwork: with `cleanup`, destroy the network's router (not a VPC's) and make
    a new one; then implement the network (a never implemented one is brought up) and
    apply its router with everything stored. 534 if the driver fails, 533 if no VLAN or
    public IP is free."""
    check_live(network)
    if cleanup and network.vpc_id is None:
        router = routers.router_of(session, network=network)
        if router is not None:
            routers.destroy(session, runtime, router=router)
    implement.implement(session, runtime, network=network)
    network.restart_required = False
    session.flush()


def vms_on(session: Session, *, network_id: int) -> list[VirtualMachine]:
    """The (not yet expunged) user VMs with a NIC on the network."""
    return list(
        session.scalars(
            select(VirtualMachine)
            .join(Nic, Nic.vm_id == VirtualMachine.id)
            .where(Nic.network_id == network_id)
            .order_by(VirtualMachine.id)
        ).all()
    )


def check_deletable(session: Session, *, network: Network) -> None:
    """431 for a removed network; 536 while VMs (not yet expunged) have NICs on it."""
    check_live(network)
    on = vms_on(session, network_id=network.id)
    if on:
        vm = on[0]
        raise ResourceInUse(
            f"Can't delete network {network.name}: not all user VMs are expunged; VM {vm.name} "
            f"({vm.uuid}) is {vm.state} and has a NIC on it",
            uuids=[network.uuid],
        )


def _delete_rules(session: Session, *, network_id: int) -> None:
    rule_ids = select(NetworkRule.id).where(NetworkRule.network_id == network_id)
    for rule_id, purpose in session.execute(
        select(NetworkRule.id, NetworkRule.purpose).where(NetworkRule.network_id == network_id)
    ).all():
        remove_tags_of(session, resource_type=_RULE_TAG_TYPES[purpose], resource_id=rule_id)
    for model in (LbVmMap, LbStickinessPolicy, LbHealthCheckPolicy):
        session.execute(
            delete(model)
            .where(model.rule_id.in_(rule_ids))
            .execution_options(synchronize_session=False)
        )
    opened_for_others = and_(
        NetworkRule.network_id == network_id, NetworkRule.related_rule_id.is_not(None)
    )
    for condition in (opened_for_others, NetworkRule.network_id == network_id):
        session.execute(
            delete(NetworkRule).where(condition).execution_options(synchronize_session=False)
        )
    session.execute(
        delete(RemoteAccessVpn)
        .where(RemoteAccessVpn.network_id == network_id)
        .execution_options(synchronize_session=False)
    )


def _release_addresses(session: Session, *, network: Network) -> None:
    """Give back the network's VLAN and public IPs (see `public_ips.unallocate`)."""
    ipam.release_vlan(session, network_id=network.id)
    network.vlan = None
    for ip_id in session.scalars(
        select(PublicIpAddress.id).where(
            PublicIpAddress.network_id == network.id,
            PublicIpAddress.vpc_id.is_(None),
            PublicIpAddress.state == ipam.ALLOCATED,
        )
    ).all():
        public_ips.unallocate(session, ip_id=ip_id)


def delete_network(session: Session, runtime: Runtime, *, network: Network) -> None:
    """deleteNetwork: remove the network's rules (with their LB members and policies),
    its router (a VPC tier only leaves its VPC's router), its VLAN and public IPs, its
    tags, and give back the owner's NETWORK limit (not for Shared networks); the network
    is kept, removed. 536/431 as `check_deletable`."""
    session.scalars(select(Network.id).where(Network.id == network.id).with_for_update()).one()
    session.refresh(network)
    check_deletable(session, network=network)
    owner = session.get(Account, network.account_id)
    assert owner is not None
    _delete_rules(session, network_id=network.id)
    _release_addresses(session, network=network)
    remove_tags_of(session, resource_type="Network", resource_id=network.id)
    if network.guest_type != SHARED:
        limits.release(session, account=owner, resource=ResourceType.NETWORK, amount=1)
    network.removed = utcnow()
    network.state = DESTROYED
    session.flush()
    try:
        implement.leave_router(session, runtime, network=network)
    except ResourceUnavailable as error:
        session.rollback()
        log.warning(
            "re-applying the VPC router after deleting tier %s failed: %s", network.uuid, error
        )
