"""Network rules and their routers: storing a rule, applying it, revoking it.

The convention of every rule change: a command validates and stores a new rule in state
`Add` before its job runs (so bad input and conflicts fail at once); the job applies the
router serving the rule's network (`apply_added`) and marks the rule `Active`. Removing
(`revoke`) sets `Revoke`, applies, then deletes. When the driver fails (534) the change is
taken back (`routers.apply_change` with an undo), so the database and the router agree.

These helpers serve every purpose (`Firewall`, `PortForwarding`, `LoadBalancing`):
deleting a rule also deletes its load balancer members and policies, its tags, and the
firewall rules opened for it (`related_rule_id`: a port forward's `openfirewall` rule).

Then: where traffic to a public IP goes (`guest_target`: the IP's network, a VPC IP's tier
and the VM's address there), and the checked construction of port forwards, ingress
firewall rules of public IPs and egress firewall rules of isolated networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from native.model import (
    LbHealthCheckPolicy,
    LbStickinessPolicy,
    LbVmMap,
    Network,
    NetworkOffering,
    NetworkRule,
    Nic,
    PublicIpAddress,
    VirtualMachine,
    Vpc,
)
from native.services import tags
from native.services.errors import InvalidParameterValue
from native.services.network import cidrs, implement, ipam, routers, rule_conflicts
from native.services.network.defaults import ISOLATED
from native.services.runtime import Runtime

ADD = "Add"
ACTIVE = "Active"
REVOKE = "Revoke"
TAG_TYPES = {
    "Firewall": "FirewallRule",
    "PortForwarding": "PortForwardingRule",
    "LoadBalancing": "LoadBalancer",
}
"""The resource tag type of each rule purpose."""

ANYWHERE = "0.0.0.0/0"
GONE_VM_STATES = ("Destroyed", "Expunging", "Expunged", "Error")

Undo = Callable[[Session], None]


def with_related(session: Session, rule_ids: Collection[int]) -> list[int]:
    """`rule_ids` and the ids of the firewall rules opened for them, sorted."""
    if not rule_ids:
        return []
    extra = session.scalars(
        select(NetworkRule.id).where(NetworkRule.related_rule_id.in_(list(rule_ids)))
    )
    return sorted({*rule_ids, *extra})


def network_of(session: Session, rule: NetworkRule) -> Network:
    """The guest network a rule belongs to (its router is that network's, or its VPC's)."""
    network = session.get(Network, rule.network_id)
    assert network is not None
    return network


def set_state(
    session: Session, *, rule_ids: Collection[int], state: str, only_from: str | None = None
) -> None:
    """Move rules to `state` (only those now in `only_from`, when given)."""
    if not rule_ids:
        return
    query = update(NetworkRule).where(NetworkRule.id.in_(list(rule_ids)))
    if only_from is not None:
        query = query.where(NetworkRule.state == only_from)
    session.execute(query.values(state=state).execution_options(synchronize_session=False))
    session.flush()


def delete_rules(session: Session, *, rule_ids: Collection[int]) -> None:
    """Delete rules with the firewall rules opened for them, their load balancer members
    and policies, and their tags."""
    ids = with_related(session, rule_ids)
    if not ids:
        return
    purposes = session.execute(
        select(NetworkRule.id, NetworkRule.purpose).where(NetworkRule.id.in_(ids))
    ).all()
    for rule_id, purpose in purposes:
        tags.remove_tags_of(session, resource_type=TAG_TYPES[purpose], resource_id=rule_id)
    for model in (LbVmMap, LbStickinessPolicy, LbHealthCheckPolicy):
        session.execute(
            delete(model).where(model.rule_id.in_(ids)).execution_options(synchronize_session=False)
        )
    for doomed in (NetworkRule.related_rule_id.in_(ids), NetworkRule.id.in_(ids)):
        session.execute(
            delete(NetworkRule).where(doomed).execution_options(synchronize_session=False)
        )
    session.flush()


def apply_added(
    session: Session,
    runtime: Runtime,
    *,
    rule_ids: Sequence[int],
    network: Network,
    undo: Undo | None = None,
) -> None:
    """Apply rules stored in state `Add` through the router of `network` (its VPC's for a
    tier; with no router yet the change is only committed), then mark them `Active`.

    If the driver fails, the rules are deleted, `undo` takes back whatever else the change
    stored, the router is brought back in line and the 534 propagates.
    """
    ids = list(rule_ids)

    def take_back(undo_session: Session) -> None:
        delete_rules(undo_session, rule_ids=ids)
        if undo is not None:
            undo(undo_session)

    routers.apply_change(session, runtime, network=network, undo=take_back)
    set_state(session, rule_ids=ids, state=ACTIVE, only_from=ADD)


def revoke(
    session: Session,
    runtime: Runtime,
    *,
    rule_ids: Collection[int],
    network: Network | None = None,
    vpc: Vpc | None = None,
    undo: Undo | None = None,
) -> None:
    """Take rules (and the firewall rules opened for them) off the router of `network`
    (or `vpc`) and delete them (see `delete_rules`).

    They are set `Revoke` and the router applied; if the driver fails they are set back
    to their states, `undo` takes back whatever else the change did, and the 534
    propagates.
    """
    ids = with_related(session, rule_ids)
    before = dict(
        session.execute(
            select(NetworkRule.id, NetworkRule.state).where(NetworkRule.id.in_(ids))
        ).all()
    )
    set_state(session, rule_ids=ids, state=REVOKE)

    def take_back(undo_session: Session) -> None:
        for state in set(before.values()):
            set_state(
                undo_session,
                rule_ids=[rule_id for rule_id, was in before.items() if was == state],
                state=state,
            )
        if undo is not None:
            undo(undo_session)

    routers.apply_change(session, runtime, network=network, vpc=vpc, undo=take_back)
    delete_rules(session, rule_ids=ids)


def rules_on_ip(session: Session, *, ip_id: int, purposes: Sequence[str] = ()) -> list[int]:
    """The ids of the rules on a public IP (of `purposes`, or of every purpose)."""
    query = select(NetworkRule.id).where(NetworkRule.ip_address_id == ip_id)
    if purposes:
        query = query.where(NetworkRule.purpose.in_(list(purposes)))
    return list(session.scalars(query.order_by(NetworkRule.id)))


def require_service(session: Session, *, network: Network, service: str) -> None:
    """431 unless the network's offering provides `service`."""
    offering = session.get(NetworkOffering, network.network_offering_id)
    assert offering is not None
    if service not in implement.services_of(offering):
        raise InvalidParameterValue(
            f"{service} service is not supported in network {network.name} ({network.uuid})"
        )


def _vpc_tier(
    session: Session, *, ip: PublicIpAddress, vm: VirtualMachine, network: Network | None
) -> Network:
    """The tier a VPC IP serves: the one it is tied to, else `network`, else the tier
    where the VM has a NIC."""
    if ip.network_id is not None:
        tier = session.get(Network, ip.network_id)
        assert tier is not None
        if network is not None and network.id != tier.id:
            raise InvalidParameterValue(
                f"IP address {ip.address} is associated with network {tier.name}, not with "
                f"network {network.name}"
            )
        return tier
    if network is not None:
        if network.vpc_id != ip.vpc_id:
            raise InvalidParameterValue(
                f"Network {network.name} is not a tier of the VPC of IP address {ip.address}"
            )
        return network
    tier = session.scalars(
        select(Network)
        .join(Nic, Nic.network_id == Network.id)
        .where(Nic.vm_id == vm.id, Network.vpc_id == ip.vpc_id, Network.removed.is_(None))
        .order_by(Nic.device_id)
    ).first()
    if tier is None:
        raise InvalidParameterValue(
            f"VM {vm.name} has no NIC on a tier of the VPC of IP address {ip.address}"
        )
    return tier


def guest_target(
    session: Session,
    *,
    ip: PublicIpAddress,
    vm: VirtualMachine,
    network: Network | None = None,
    guest_ip: str | None = None,
) -> tuple[Network, str]:
    """The network and guest address that traffic to `ip` goes to on `vm`: the IP's
    network (for a VPC IP, its tier: see `_vpc_tier`) and the VM's address on it.

    431 if the IP is not allocated or not associated with a network, the VM is gone or
    another account's, `network` is not the IP's, the VM has no NIC on the network, or
    `guest_ip` is not the VM's address there.
    """
    if ip.state != ipam.ALLOCATED or ip.account_id is None:
        raise InvalidParameterValue(f"IP address {ip.address} is not allocated")
    if vm.state in GONE_VM_STATES or vm.removed is not None:
        raise InvalidParameterValue(f"Invalid virtual machine {vm.uuid}: it is {vm.state}")
    if vm.account_id != ip.account_id:
        raise InvalidParameterValue(
            f"IP address {ip.address} owner is not the same as owner of virtual machine {vm.name}"
        )
    if ip.vpc_id is not None:
        target = _vpc_tier(session, ip=ip, vm=vm, network=network)
    else:
        if ip.network_id is None:
            raise InvalidParameterValue(
                f"IP address {ip.address} is not associated with any network"
            )
        associated = session.get(Network, ip.network_id)
        assert associated is not None
        if network is not None and network.id != associated.id:
            raise InvalidParameterValue(
                f"Invalid network {network.name}: IP address {ip.address} is associated with "
                f"network {associated.name}"
            )
        target = associated
    nic = session.scalars(
        select(Nic).where(Nic.vm_id == vm.id, Nic.network_id == target.id)
    ).first()
    if nic is None or nic.ip4_address is None:
        raise InvalidParameterValue(f"VM {vm.name} doesn't belong to network {target.name}")
    if guest_ip is not None and str(cidrs.address(guest_ip, what="vmguestip")) != nic.ip4_address:
        raise InvalidParameterValue(
            f"VM IP {guest_ip} does not belong to VM {vm.name} on network {target.name}"
        )
    return target, nic.ip4_address


def tie_to_tier(*, ip: PublicIpAddress, network: Network) -> None:
    """Tie a VPC IP to the tier a rule or static NAT on it serves; 431 for a tier in another
    zone than the IP (a VPC that spans zones has a router in each)."""
    if ip.vpc_id is not None and network.zone_id != ip.zone_id:
        raise InvalidParameterValue(
            f"IP address {ip.address} is in another zone than network {network.name}: use an "
            "IP address of the network's zone"
        )
    if ip.vpc_id is not None and ip.network_id is None:
        ip.network_id = network.id


def untie_if_unused(session: Session, *, ip_id: int) -> None:
    """A VPC IP with no rule and no static NAT left leaves its tier."""
    ip = session.get(PublicIpAddress, ip_id)
    assert ip is not None
    session.refresh(ip)
    if ip.vpc_id is None or ip.network_id is None or ip.is_static_nat or ip.is_source_nat:
        return
    if not rules_on_ip(session, ip_id=ip.id):
        ip.network_id = None
        session.flush()


def _public_range(
    *, protocol_name: str, start: int | None, end: int | None, what: str
) -> tuple[int | None, int | None]:
    """Ports of a firewall rule: as `cidrs.port_range`, except that tcp and udp rules
    with no ports at all cover every port."""
    if protocol_name in cidrs.PROTOCOLS_WITH_PORTS and start is None:
        if end is not None:
            raise InvalidParameterValue(f"Start {what} is required when the end {what} is given")
        return None, None
    return cidrs.port_range(protocol_name=protocol_name, start=start, end=end, what=what)


def check_forward_ports(*, public: tuple[int, int], private: tuple[int, int]) -> None:
    """431 unless the public and private ranges are equally long and, for ranges of more
    than one port, identical (as CloudStack requires)."""
    if public[1] - public[0] != private[1] - private[0]:
        raise InvalidParameterValue(
            f"Source port and destination port ranges should be of equal sizes: public "
            f"{public[0]}-{public[1]}, private {private[0]}-{private[1]}"
        )
    if public[0] != public[1] and public != private:
        raise InvalidParameterValue(
            f"Private port range {private[0]}-{private[1]} should be equal to public port "
            f"range {public[0]}-{public[1]}"
        )


def _forward_ports(
    *, protocol_name: str, ports: tuple[int | None, int | None], what: str
) -> tuple[int, int]:
    start, end = cidrs.port_range(
        protocol_name=protocol_name, start=ports[0], end=ports[1], what=what
    )
    assert start is not None and end is not None
    return start, end


def _opens_firewall(
    session: Session,
    *,
    ip: PublicIpAddress,
    network: Network,
    protocol: str,
    ports: tuple[int, int],
    open_firewall: bool | None,
) -> bool:
    """Whether a port forward opens the firewall for its public ports (by default outside
    VPCs, never inside); 431/537 if it may not."""
    if open_firewall and ip.vpc_id is not None:
        raise InvalidParameterValue("Can't have openfirewall=true when the IP belongs to a VPC")
    if not (ip.vpc_id is None if open_firewall is None else open_firewall):
        return False
    require_service(session, network=network, service="Firewall")
    rule_conflicts.check_firewall_free(
        session,
        ip=ip,
        protocol=protocol,
        start_port=ports[0],
        end_port=ports[1],
        source_cidrs=ANYWHERE,
    )
    return True


def _forward_spec(
    protocol: str,
    public_ports: tuple[int | None, int | None],
    private_ports: tuple[int | None, int | None],
) -> tuple[str, tuple[int, int], tuple[int, int]]:
    """The protocol, public and private ports of a new port forward, checked (431)."""
    protocol_name = cidrs.protocol(protocol, allowed=cidrs.PROTOCOLS_WITH_PORTS)
    public = _forward_ports(protocol_name=protocol_name, ports=public_ports, what="public port")
    private = _forward_ports(protocol_name=protocol_name, ports=private_ports, what="private port")
    check_forward_ports(public=public, private=private)
    return protocol_name, public, private


def _forward_rule(
    *,
    ip: PublicIpAddress,
    vm: VirtualMachine,
    network: Network,
    protocol: str,
    public: tuple[int, int],
    private: tuple[int, int],
    address: str,
    sources: Sequence[str],
    display: bool,
) -> NetworkRule:
    return NetworkRule(
        purpose="PortForwarding",
        ip_address_id=ip.id,
        network_id=network.id,
        account_id=vm.account_id,
        domain_id=vm.domain_id,
        state=ADD,
        protocol=protocol,
        start_port=public[0],
        end_port=public[1],
        private_start_port=private[0],
        private_end_port=private[1],
        vm_id=vm.id,
        vm_ip=address,
        source_cidrs=",".join(sources) or None,
        display=display,
    )


def add_port_forward(
    session: Session,
    *,
    ip: PublicIpAddress,
    vm: VirtualMachine,
    protocol: str,
    public_ports: tuple[int | None, int | None],
    private_ports: tuple[int | None, int | None],
    network: Network | None = None,
    guest_ip: str | None = None,
    open_firewall: bool | None = None,
    source_cidrs: Sequence[str] | None = None,
    display: bool = True,
) -> list[NetworkRule]:
    """Store a port forward from `ip` to the VM (state `Add`), first in the answer, and
    with `open_firewall` (by default outside VPCs) the ingress firewall rule from anywhere
    to its public ports, which goes with it.

    431 for a protocol other than tcp/udp, bad or mismatched ports, `open_firewall` on a
    VPC IP, bad targets (`guest_target`) or a network without PortForwarding; 537 when the
    public ports clash with another rule, the IP has static NAT, or the opened firewall
    rule duplicates one.
    """
    protocol_name, public, private = _forward_spec(protocol, public_ports, private_ports)
    sources = cidrs.cidr_list(source_cidrs)
    target, address = guest_target(session, ip=ip, vm=vm, network=network, guest_ip=guest_ip)
    require_service(session, network=target, service="PortForwarding")
    rule_conflicts.check_public_ports_free(
        session, ip=ip, protocol=protocol_name, start_port=public[0], end_port=public[1]
    )
    opening = _opens_firewall(
        session,
        ip=ip,
        network=target,
        protocol=protocol_name,
        ports=public,
        open_firewall=open_firewall,
    )
    tie_to_tier(ip=ip, network=target)
    rule = _forward_rule(
        ip=ip,
        vm=vm,
        network=target,
        protocol=protocol_name,
        public=public,
        private=private,
        address=address,
        sources=sources,
        display=display,
    )
    session.add(rule)
    session.flush()
    if not opening:
        return [rule]
    opened = _ingress_rule(ip=ip, network=target, protocol=protocol_name, ports=public)
    opened.related_rule_id = rule.id
    session.add(opened)
    session.flush()
    return [rule, opened]


def _ingress_rule(
    *,
    ip: PublicIpAddress,
    network: Network,
    protocol: str,
    ports: tuple[int | None, int | None],
    sources: str = ANYWHERE,
    icmp: tuple[int | None, int | None] = (None, None),
    display: bool = True,
) -> NetworkRule:
    assert ip.account_id is not None and ip.domain_id is not None
    return NetworkRule(
        purpose="Firewall",
        traffic_type="Ingress",
        ip_address_id=ip.id,
        network_id=network.id,
        account_id=ip.account_id,
        domain_id=ip.domain_id,
        state=ADD,
        protocol=protocol,
        start_port=ports[0],
        end_port=ports[1],
        icmp_type=icmp[0],
        icmp_code=icmp[1],
        source_cidrs=sources,
        display=display,
    )


def update_port_forward(
    session: Session,
    *,
    rule: NetworkRule,
    vm: VirtualMachine | None = None,
    guest_ip: str | None = None,
    private_ports: tuple[int | None, int | None] = (None, None),
) -> Undo:
    """Point a port forward at another VM, guest address or private ports (those given);
    what takes the change back. 431 as for `add_port_forward`."""
    ip = session.get(PublicIpAddress, rule.ip_address_id)
    target_vm = session.get(VirtualMachine, rule.vm_id) if vm is None else vm
    assert ip is not None and target_vm is not None
    assert rule.start_port is not None and rule.end_port is not None
    assert rule.private_start_port is not None and rule.private_end_port is not None
    old = {
        "vm_id": rule.vm_id,
        "vm_ip": rule.vm_ip,
        "private_start_port": rule.private_start_port,
        "private_end_port": rule.private_end_port,
    }
    private = (rule.private_start_port, rule.private_end_port)
    if private_ports[0] is not None:
        private = _forward_ports(
            protocol_name=rule.protocol, ports=private_ports, what="private port"
        )
    elif private_ports[1] is not None:
        raise InvalidParameterValue("privateport is required when privateendport is given")
    check_forward_ports(public=(rule.start_port, rule.end_port), private=private)
    network = session.get(Network, rule.network_id)
    _, address = guest_target(session, ip=ip, vm=target_vm, network=network, guest_ip=guest_ip)
    rule.vm_id, rule.vm_ip = target_vm.id, address
    rule.private_start_port, rule.private_end_port = private
    session.flush()
    rule_id = rule.id

    def undo(undo_session: Session) -> None:
        undo_session.execute(
            update(NetworkRule)
            .where(NetworkRule.id == rule_id)
            .values(**old)
            .execution_options(synchronize_session=False)
        )

    return undo


def add_firewall_rule(
    session: Session,
    *,
    ip: PublicIpAddress,
    protocol: str,
    ports: tuple[int | None, int | None] = (None, None),
    source_cidrs: Sequence[str] | None = None,
    icmp: tuple[int | None, int | None] = (None, None),
    display: bool = True,
) -> NetworkRule:
    """Store an ingress firewall rule of `ip` (state `Add`): traffic of `protocol` to
    `ports` from `source_cidrs` (anywhere by default) is let in.

    431 for a protocol other than tcp/udp/icmp, ports with icmp or ICMP type/code with
    another protocol, bad ports or CIDRs, an IP of a VPC (ACLs filter there) or of no
    network, or a network without Firewall; 537 for a rule the IP already has.
    """
    protocol_name = cidrs.protocol(protocol, allowed=("tcp", "udp", "icmp"))
    span = _public_range(protocol_name=protocol_name, start=ports[0], end=ports[1], what="port")
    icmp_values = cidrs.icmp(protocol_name=protocol_name, icmp_type=icmp[0], icmp_code=icmp[1])
    sources = ",".join(cidrs.cidr_list(source_cidrs)) or ANYWHERE
    if ip.state != ipam.ALLOCATED or ip.account_id is None:
        raise InvalidParameterValue(f"IP address {ip.address} is not allocated")
    if ip.vpc_id is not None:
        raise InvalidParameterValue(
            f"Firewall rules are not supported on IP address {ip.address} of a VPC; use "
            "network ACLs"
        )
    network = None if ip.network_id is None else session.get(Network, ip.network_id)
    if network is None:
        raise InvalidParameterValue(
            f"Unable to create a firewall rule for IP address {ip.address}: it is not "
            "associated with any network"
        )
    require_service(session, network=network, service="Firewall")
    rule_conflicts.check_firewall_free(
        session,
        ip=ip,
        protocol=protocol_name,
        start_port=span[0],
        end_port=span[1],
        source_cidrs=sources,
        icmp_type=icmp_values[0],
        icmp_code=icmp_values[1],
    )
    rule = _ingress_rule(
        ip=ip,
        network=network,
        protocol=protocol_name,
        ports=span,
        sources=sources,
        icmp=icmp_values,
        display=display,
    )
    session.add(rule)
    session.flush()
    return rule


def _egress_sources(network: Network, source_cidrs: Sequence[str] | None) -> str:
    assert network.cidr is not None
    block = ipaddress.IPv4Network(network.cidr)
    sources = cidrs.cidr_list(source_cidrs) or [str(block)]
    for source in sources:
        if not ipaddress.IPv4Network(source).subnet_of(block):
            raise InvalidParameterValue(
                f"Invalid cidrlist: source CIDR {source} is not within the CIDR {block} of "
                f"network {network.name}"
            )
    return ",".join(sources)


def add_egress_rule(
    session: Session,
    *,
    network: Network,
    protocol: str,
    ports: tuple[int | None, int | None] = (None, None),
    source_cidrs: Sequence[str] | None = None,
    dest_cidrs: Sequence[str] | None = None,
    icmp: tuple[int | None, int | None] = (None, None),
    display: bool = True,
) -> NetworkRule:
    """Store an egress firewall rule of an isolated network (state `Add`) for traffic of
    `protocol` to `ports` from `source_cidrs` (inside the network's CIDR, all of it by
    default) to `dest_cidrs` (anywhere by default).

    431 for a VPC tier or a network that is not isolated or lacks Firewall, a protocol
    other than tcp/udp/icmp/all, ports or ICMP values the protocol does not take, or bad
    CIDRs; 537 for a rule the network already has.
    """
    if network.vpc_id is not None or network.guest_type != ISOLATED or network.cidr is None:
        raise InvalidParameterValue(
            f"Egress firewall rules are supported only on isolated networks outside VPCs; "
            f"network {network.name} is not one"
        )
    require_service(session, network=network, service="Firewall")
    protocol_name = cidrs.protocol(protocol)
    span = _public_range(protocol_name=protocol_name, start=ports[0], end=ports[1], what="port")
    icmp_values = cidrs.icmp(protocol_name=protocol_name, icmp_type=icmp[0], icmp_code=icmp[1])
    sources = _egress_sources(network, source_cidrs)
    dests = ",".join(cidrs.cidr_list(dest_cidrs, what="destcidrlist")) or None
    rule_conflicts.check_egress_free(
        session,
        network=network,
        protocol=protocol_name,
        ports=span,
        source_cidrs=sources,
        dest_cidrs=dests,
        icmp=icmp_values,
    )
    rule = NetworkRule(
        purpose="Firewall",
        traffic_type="Egress",
        network_id=network.id,
        account_id=network.account_id,
        domain_id=network.domain_id,
        state=ADD,
        protocol=protocol_name,
        start_port=span[0],
        end_port=span[1],
        icmp_type=icmp_values[0],
        icmp_code=icmp_values[1],
        source_cidrs=sources,
        dest_cidrs=dests,
        display=display,
    )
    session.add(rule)
    session.flush()
    return rule
