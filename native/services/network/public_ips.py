"""Public IPs of accounts: associating them with a network or a VPC, releasing them, and
static NAT.

The first IP of an isolated network whose offering has SourceNat is its source NAT IP
(likewise the first of a VPC). Every allocated IP counts against its owner's PUBLIC_IP
limit. An IP of a VPC is associated with the VPC (`vpc_id`); the first rule or static NAT
on it ties it to the tier it serves (`network_id`), which it leaves when nothing on it
needs the tier any more. Each change is applied through the router serving the IP, and
taken back if the driver fails (534).
"""

from __future__ import annotations

import contextlib
import json
import uuid

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Network,
    NetworkOffering,
    Nic,
    PublicIpAddress,
    RemoteAccessVpn,
    VirtualMachine,
    Vpc,
    VpcOffering,
    VpnGateway,
)
from native.services import limits, tags
from native.services.errors import (
    InvalidParameterValue,
    NetworkRuleConflict,
    PermissionDenied,
    ResourceUnavailable,
)
from native.services.limits import ResourceType
from native.services.network import implement, ipam, offerings, routers, rule_conflicts, rules
from native.services.network.defaults import ISOLATED
from native.services.runtime import Runtime
from native.services.settings import Settings

RELEASING = "Releasing"


def default_network(session: Session, *, owner: Account, zone_id: int) -> Network:
    """The owner's isolated network in the zone (for associateIpAddress given only a
    zone); 431 if it has none."""
    network = session.scalars(
        select(Network)
        .where(
            Network.account_id == owner.id,
            Network.zone_id == zone_id,
            Network.removed.is_(None),
            Network.guest_type == ISOLATED,
            Network.vpc_id.is_(None),
        )
        .order_by(Network.id)
    ).first()
    if network is None:
        raise InvalidParameterValue(
            f"Account {owner.name} doesn't have virtual networks in the zone; give networkid "
            "or vpcid"
        )
    return network


def _has_source_nat(session: Session, owned_by: ColumnElement[bool]) -> bool:
    """Whether a network or VPC (`owned_by`) has a source NAT IP, read with a lock so that
    concurrent associations (serialised on the network or VPC row) see each other's."""
    found = session.scalar(
        select(PublicIpAddress.id)
        .where(
            owned_by,
            PublicIpAddress.is_source_nat.is_(True),
            PublicIpAddress.state == ipam.ALLOCATED,
        )
        .limit(1)
        .with_for_update()
    )
    return found is not None


def _check_network(session: Session, *, network: Network, owner: Account) -> bool:
    """431 unless IPs may be associated with the network, 531 unless `owner` owns it;
    whether its next IP is its source NAT IP."""
    if network.removed is not None or network.state == "Destroy":
        raise InvalidParameterValue(f"Network {network.uuid} is not available")
    if network.vpc_id is not None:
        raise InvalidParameterValue(
            f"Can't assign an IP address to network {network.name} directly: it belongs to a "
            "VPC; give vpcid to associate the IP address with the VPC"
        )
    offering = session.get(NetworkOffering, network.network_offering_id)
    assert offering is not None
    services = implement.services_of(offering)
    if network.guest_type != ISOLATED or "SourceNat" not in services:
        raise InvalidParameterValue(
            f"IP addresses can be associated only with Isolated networks with the SourceNat "
            f"service; network {network.name} is not one"
        )
    if network.account_id != owner.id:
        raise PermissionDenied(
            f"Account {owner.name} does not have access to network {network.name}"
        )
    session.execute(select(Network.id).where(Network.id == network.id).with_for_update())
    return not _has_source_nat(session, PublicIpAddress.network_id == network.id)


def _check_vpc(session: Session, *, vpc: Vpc, owner: Account, zone_id: int) -> bool:
    """531 unless `owner` owns the VPC; whether its next IP in `zone_id` is its source NAT
    IP there."""
    if vpc.removed is not None:
        raise InvalidParameterValue(f"VPC {vpc.uuid} is not available")
    if vpc.account_id != owner.id:
        raise PermissionDenied(f"Account {owner.name} does not have access to VPC {vpc.name}")
    offering = session.get(VpcOffering, vpc.vpc_offering_id)
    has_source_nat = offering is not None and "SourceNat" in json.loads(offering.services)
    session.execute(select(Vpc.id).where(Vpc.id == vpc.id).with_for_update())
    return has_source_nat and not _has_source_nat(
        session, and_(PublicIpAddress.vpc_id == vpc.id, PublicIpAddress.zone_id == zone_id)
    )


def allocate(
    session: Session,
    settings: Settings,
    *,
    owner: Account,
    network: Network | None = None,
    vpc: Vpc | None = None,
    zone_id: int | None = None,
    address: str | None = None,
    portable: bool = False,
) -> PublicIpAddress:
    """Take a free public IP of the zone of `network` or `vpc` (of `zone_id` for a VPC that
    spans zones; exactly `address` when given) for `owner`, associated with it (its source
    NAT IP there if it has none yet);
    `portable` lets static NAT move it to another network or VPC of the zone.

    431 for a network or VPC that takes no IPs, or is not in `zone_id` when that is given,
    or an `address` that is not a free public IP of the zone; 531 if `owner` does not own
    the network or VPC; 532 over the owner's PUBLIC_IP limit; 533 when no IP is free.
    """
    if network is not None:
        source_nat = _check_network(session, network=network, owner=owner)
        zone = network.zone_id
    elif vpc is not None:
        spans_zones = offerings.is_region_level(session, vpc=vpc)
        zone = zone_id if zone_id is not None and spans_zones else vpc.zone_id
        source_nat = _check_vpc(session, vpc=vpc, owner=owner, zone_id=zone)
    else:
        raise InvalidParameterValue("Either networkid or vpcid is required")
    if zone_id is not None and zone_id != zone:
        raise InvalidParameterValue("The network or VPC is in another zone than zoneid")
    limits.consume(session, settings, account=owner, resource=ResourceType.PUBLIC_IP, amount=1)
    ip = ipam.acquire_public_ip(
        session,
        zone_id=zone,
        account=owner,
        network_id=None if network is None else network.id,
        vpc_id=None if vpc is None else vpc.id,
        source_nat=source_nat,
        address=address,
    )
    ip.is_portable = portable and not source_nat
    return ip


def unallocate(session: Session, *, ip_id: int) -> None:
    """Give an allocated IP back to its range with its tags and remote-access VPN gone,
    and its owner's PUBLIC_IP count down by one (nothing if it is already free)."""
    ip = session.get(PublicIpAddress, ip_id)
    assert ip is not None
    session.refresh(ip)
    if ip.state == ipam.FREE:
        return
    owner = None if ip.account_id is None else session.get(Account, ip.account_id)
    counted = not ip.is_system
    tags.remove_tags_of(session, resource_type="PublicIpAddress", resource_id=ip.id)
    session.execute(delete(RemoteAccessVpn).where(RemoteAccessVpn.public_ip_id == ip.id))
    ipam.release_public_ip(session, ip=ip)
    if owner is not None and counted:
        limits.release(session, account=owner, resource=ResourceType.PUBLIC_IP, amount=1)
    session.flush()


def router_scope(session: Session, *, ip: PublicIpAddress) -> tuple[Network | None, Vpc | None]:
    """The network or VPC whose router carries the IP (neither for an unassociated IP)."""
    if ip.vpc_id is not None:
        return None, session.get(Vpc, ip.vpc_id)
    if ip.network_id is not None:
        return session.get(Network, ip.network_id), None
    return None, None


def release(session: Session, runtime: Runtime, *, ip: PublicIpAddress) -> None:
    """Disassociate an IP: take it off its router, then delete its rules (firewall, port
    forwarding, load balancing with their members and policies), its static NAT and
    remote-access VPN, and give it back (see `unallocate`).

    431 for a source NAT IP or one a site-to-site VPN gateway uses. If the driver fails
    the IP stays as it was and the 534 propagates.
    """
    if ip.is_source_nat:
        raise InvalidParameterValue(
            f"IP address {ip.address} is the source NAT IP of its network and can't be released"
        )
    if session.scalar(select(VpnGateway.id).where(VpnGateway.public_ip_id == ip.id)):
        raise InvalidParameterValue(
            f"IP address {ip.address} is used by a site-to-site VPN gateway"
        )
    network, vpc = router_scope(session, ip=ip)
    ip_id = ip.id
    ip.state = RELEASING
    session.flush()

    def undo(undo_session: Session) -> None:
        undo_session.execute(
            update(PublicIpAddress)
            .where(PublicIpAddress.id == ip_id, PublicIpAddress.state == RELEASING)
            .values(state=ipam.ALLOCATED)
            .execution_options(synchronize_session=False)
        )

    if network is not None or vpc is not None:
        routers.apply_change(session, runtime, network=network, vpc=vpc, undo=undo)
    rules.delete_rules(session, rule_ids=rules.rules_on_ip(session, ip_id=ip_id))
    unallocate(session, ip_id=ip_id)


def _static_nat_values(ip: PublicIpAddress) -> dict[str, object]:
    return {
        "is_static_nat": ip.is_static_nat,
        "vm_id": ip.vm_id,
        "vm_ip": ip.vm_ip,
        "network_id": ip.network_id,
        "vpc_id": ip.vpc_id,
        "static_nat_uuid": ip.static_nat_uuid,
    }


def _restore(ip_id: int, values: dict[str, object]) -> rules.Undo:
    def undo(session: Session) -> None:
        session.execute(
            update(PublicIpAddress)
            .where(PublicIpAddress.id == ip_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    return undo


def _check_not_taken(*, ip: PublicIpAddress, vm: VirtualMachine) -> None:
    if ip.is_static_nat and ip.vm_id not in (None, vm.id):
        raise NetworkRuleConflict(
            f"Failed to enable static NAT for IP address {ip.address}: it is already assigned "
            "to another VM"
        )


def _check_static_nat_target(
    session: Session, *, ip: PublicIpAddress, vm: VirtualMachine, address: str
) -> None:
    other = session.scalars(
        select(PublicIpAddress).where(
            PublicIpAddress.vm_id == vm.id,
            PublicIpAddress.vm_ip == address,
            PublicIpAddress.is_static_nat.is_(True),
            PublicIpAddress.id != ip.id,
        )
    ).first()
    if other is not None:
        raise InvalidParameterValue(
            f"Failed to enable static NAT on IP address {ip.address}: VM {vm.name} is already "
            f"associated with another public IP {other.address} ({other.uuid})"
        )


def _destination(session: Session, *, vm: VirtualMachine, network: Network | None) -> Network:
    """The network a portable IP moves to: `network`, else the VM's default network."""
    if network is not None:
        return network
    found = session.scalars(
        select(Network)
        .join(Nic, Nic.network_id == Network.id)
        .where(Nic.vm_id == vm.id, Network.removed.is_(None))
        .order_by(Nic.is_default.desc(), Nic.device_id)
    ).first()
    if found is None:
        raise InvalidParameterValue(f"VM {vm.name} has no network")
    return found


def _transfer(
    session: Session, *, ip: PublicIpAddress, vm: VirtualMachine, network: Network | None
) -> tuple[Network | None, Vpc | None] | None:
    """Move a portable IP that serves nothing to the VM's network or VPC when it is
    associated with another one; the router scope it leaves (None if it stays).

    431 if it must move but has rules, or the destination is in another zone.
    """
    if not ip.is_portable or ip.is_source_nat or ip.is_static_nat:
        return None
    destination = _destination(session, vm=vm, network=network)
    if destination.vpc_id is not None and destination.vpc_id == ip.vpc_id:
        return None
    if destination.vpc_id is None and ip.vpc_id is None and destination.id == ip.network_id:
        return None
    if rules.rules_on_ip(session, ip_id=ip.id):
        raise InvalidParameterValue(
            f"IP address {ip.address} can't move to network {destination.name}: it has rules "
            "where it is"
        )
    if destination.zone_id != ip.zone_id:
        raise InvalidParameterValue(
            f"IP address {ip.address} can't move to network {destination.name} in another zone"
        )
    left = router_scope(session, ip=ip)
    if destination.vpc_id is not None:
        ip.vpc_id, ip.network_id = destination.vpc_id, None
    else:
        ip.vpc_id, ip.network_id = None, destination.id
    return left


def enable_static_nat(
    session: Session,
    runtime: Runtime,
    *,
    ip: PublicIpAddress,
    vm: VirtualMachine,
    network: Network | None = None,
    guest_ip: str | None = None,
) -> None:
    """Send all traffic to `ip` to the VM's guest address (see `guest_target`) and apply
    the router. A portable IP of another network or VPC first moves to the VM's (`network`
    or its default network; see `_transfer`); the router it left is applied afterwards,
    and if that fails it keeps the address until its next apply. Enabling it anew (not
    again for the same VM) gives the static NAT a new `static_nat_uuid`.

    537 for a source NAT IP, one with port forwarding or LB rules, or one with static NAT
    to another VM; 431 for bad targets (`guest_target`), a network without StaticNat, or a
    VM address that already has static NAT. If the driver fails nothing changes (534).
    """
    rule_conflicts.check_static_nat_allowed(session, ip=ip)
    _check_not_taken(ip=ip, vm=vm)
    undo = _restore(ip.id, _static_nat_values(ip))
    left = _transfer(session, ip=ip, vm=vm, network=network)
    target, address = rules.guest_target(session, ip=ip, vm=vm, network=network, guest_ip=guest_ip)
    rules.require_service(session, network=target, service="StaticNat")
    _check_static_nat_target(session, ip=ip, vm=vm, address=address)
    rules.tie_to_tier(ip=ip, network=target)
    if not (ip.is_static_nat and ip.vm_id == vm.id):
        ip.static_nat_uuid = str(uuid.uuid4())
    ip.is_static_nat, ip.vm_id, ip.vm_ip = True, vm.id, address
    session.flush()
    routers.apply_change(session, runtime, network=target, undo=undo)
    if left is not None and (
        router := routers.router_of(session, network=left[0], vpc=left[1], zone_id=ip.zone_id)
    ):
        with contextlib.suppress(ResourceUnavailable):
            routers.apply(session, runtime, router_id=router.id)


def disable_static_nat(session: Session, runtime: Runtime, *, ip: PublicIpAddress) -> None:
    """End static NAT on `ip` and revoke its firewall rules, as CloudStack does; a VPC IP
    then leaves its tier if nothing else uses it. 431 if it has no static NAT; if the
    driver fails nothing changes (534)."""
    if not ip.is_static_nat:
        raise InvalidParameterValue(f"Static NAT is not enabled for IP address {ip.address}")
    network = None if ip.network_id is None else session.get(Network, ip.network_id)
    undo = _restore(ip.id, _static_nat_values(ip))
    ip_id = ip.id
    ip.is_static_nat, ip.vm_id, ip.vm_ip, ip.static_nat_uuid = False, None, None, None
    session.flush()
    firewall = rules.rules_on_ip(session, ip_id=ip_id, purposes=("Firewall",))
    rules.revoke(session, runtime, rule_ids=firewall, network=network, undo=undo)
    rules.untie_if_unused(session, ip_id=ip_id)
