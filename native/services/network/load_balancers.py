"""Load balancer rules on public IPs (CloudStack's public LB rules, served by the router's
haproxy) and the VMs behind them.

A rule is a `NetworkRule` of purpose `LoadBalancing` on one public IP and port of the
rule's network (the IP's network, or a tier of the IP's VPC), balancing to its members'
addresses on the private port. Its members are `LbVmMap` rows, its policies live in
`lb_policies`. With `openfirewall` (the default outside VPCs) the rule gets an ingress
firewall rule for its public port (its `related_rule_id`), removed with it.

Every change follows the rule lifecycle: rows are stored `Add` (members too), applied
through the router, then made `Active`; removal sets `Revoke`, applies, then deletes.
A failed apply takes the change back (see `routers.apply_change`); storing, applying and
deleting whole rules is `rules`' (shared with port forwarding and firewall rules).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import (
    LbVmMap,
    Network,
    NetworkOffering,
    NetworkRule,
    Nic,
    PublicIpAddress,
    VirtualMachine,
)
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.network import cidrs, routers, rule_conflicts, rules
from native.services.network.defaults import LB_ALGORITHMS
from native.services.network.implement import services_of
from native.services.runtime import Runtime

PURPOSE = "LoadBalancing"
TAG_TYPE = "LoadBalancer"
ADD, ACTIVE, REVOKE = "Add", "Active", "Revoke"
LB_PROTOCOLS = ("tcp", "udp", "tcp-proxy")
HAPROXY_STATS_PORT = 8081
GONE_VM_STATES = ("Destroyed", "Expunging", "Expunged", "Error")

Undo = Callable[[Session], None]


def check_text(value: str | None, *, what: str) -> str | None:
    """`value` unchanged; a 431 naming `what` if it holds a control character (names and
    descriptions reach the router's configuration)."""
    if value is not None and any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise InvalidParameterValue(f"Invalid {what}: it must not contain control characters")
    return value


def check_algorithm(text: str) -> str:
    """A supported algorithm (roundrobin, leastconn, source), lower-cased; 431 otherwise."""
    value = text.strip().lower()
    if value not in LB_ALGORITHMS:
        raise InvalidParameterValue(
            f"Invalid algorithm: {text}; use one of {', '.join(LB_ALGORITHMS)}"
        )
    return value


def _check_port(value: int, *, what: str) -> int:
    if not 1 <= value <= 65535:
        raise InvalidParameterValue(f"Invalid value for {what}: {value}; ports are 1 to 65535")
    return value


def _check_protocol(text: str | None) -> str:
    value = "tcp" if text is None or not text.strip() else text.strip().lower()
    if value not in LB_PROTOCOLS:
        raise InvalidParameterValue(
            f"Invalid protocol {text}: a load balancer rule takes one of {', '.join(LB_PROTOCOLS)}"
        )
    return value


@dataclass(frozen=True, kw_only=True)
class NewRule:
    """What createLoadBalancerRule asks for (`network` None: the IP's network)."""

    name: str
    description: str | None
    ip: PublicIpAddress
    network: Network | None
    algorithm: str
    public_port: int
    private_port: int
    protocol: str | None
    open_firewall: bool | None
    cidrs: Sequence[str] | None
    display: bool


def _rule_network(session: Session, *, ip: PublicIpAddress, network: Network | None) -> Network:
    """The network a rule on `ip` serves: `network` if the IP may serve it, else the IP's."""
    if network is None:
        if ip.network_id is None:
            raise InvalidParameterValue(
                f"IP address {ip.address} is not associated with any network; give networkid"
            )
        found = session.get(Network, ip.network_id)
        assert found is not None
        network = found
    in_vpc = ip.vpc_id is not None and network.vpc_id == ip.vpc_id
    if network.id != ip.network_id and not in_vpc:
        raise InvalidParameterValue(
            f"IP address {ip.address} is not associated with network {network.uuid}"
        )
    offering = session.get(NetworkOffering, network.network_offering_id)
    assert offering is not None
    if "Lb" not in services_of(offering):
        raise InvalidParameterValue(f"LB service is not supported in network {network.uuid}")
    if ip.vpc_id is not None:
        _check_one_tier(session, ip=ip, network=network)
    return network


def _check_one_tier(session: Session, *, ip: PublicIpAddress, network: Network) -> None:
    other = session.scalars(
        select(NetworkRule).where(
            NetworkRule.ip_address_id == ip.id,
            NetworkRule.network_id != network.id,
            NetworkRule.state != REVOKE,
        )
    ).first()
    if other is not None:
        tier = session.get(Network, other.network_id)
        assert tier is not None
        raise InvalidParameterValue(
            f"IP address {ip.address} already serves VPC tier {tier.uuid} (rule {other.uuid}); "
            "it can't serve another tier"
        )


def _open_firewall(spec: NewRule, *, in_vpc: bool) -> bool:
    if in_vpc and spec.open_firewall:
        raise InvalidParameterValue("Can't have openfirewall=true when the IP address is in a VPC")
    return not in_vpc if spec.open_firewall is None else spec.open_firewall


def _check_ports(spec: NewRule) -> tuple[int, int]:
    public_port = _check_port(spec.public_port, what="public port")
    private_port = _check_port(spec.private_port, what="private port")
    if public_port == HAPROXY_STATS_PORT:
        raise InvalidParameterValue(
            f"Can't create a load balancer rule on public port {HAPROXY_STATS_PORT}: the "
            "router's haproxy serves its statistics there"
        )
    return public_port, private_port


def create_rule(session: Session, *, spec: NewRule) -> NetworkRule:
    """Store a new LB rule (state `Add`), and its firewall rule with `openfirewall`.

    431 for bad input (algorithm, ports, protocol, CIDRs, a network the IP does not serve,
    or one without the LB service); 537 if the IP has static NAT or a port forward or LB
    rule on the public port, or (opening the firewall) an identical firewall rule.
    """
    algorithm = check_algorithm(spec.algorithm)
    public_port, private_port = _check_ports(spec)
    lb_protocol = _check_protocol(spec.protocol)
    protocol = "udp" if lb_protocol == "udp" else "tcp"
    source_cidrs = ",".join(cidrs.cidr_list(list(spec.cidrs or ()))) or None
    ip = session.scalars(
        select(PublicIpAddress)
        .where(PublicIpAddress.id == spec.ip.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    network = _rule_network(session, ip=ip, network=spec.network)
    open_firewall = _open_firewall(spec, in_vpc=ip.vpc_id is not None)
    rule_conflicts.check_public_ports_free(
        session, ip=ip, protocol=protocol, start_port=public_port, end_port=public_port
    )
    if open_firewall:
        rule_conflicts.check_firewall_free(
            session,
            ip=ip,
            protocol=protocol,
            start_port=public_port,
            end_port=public_port,
            source_cidrs=source_cidrs,
        )
    assert ip.account_id is not None and ip.domain_id is not None
    rule = NetworkRule(
        purpose=PURPOSE,
        ip_address_id=ip.id,
        network_id=network.id,
        account_id=ip.account_id,
        domain_id=ip.domain_id,
        state=ADD,
        protocol=protocol,
        start_port=public_port,
        end_port=public_port,
        private_start_port=private_port,
        private_end_port=private_port,
        source_cidrs=source_cidrs,
        name=check_text(spec.name, what="name"),
        description=check_text(spec.description, what="description"),
        algorithm=algorithm,
        lb_protocol=lb_protocol,
        display=spec.display,
    )
    session.add(rule)
    session.flush()
    if open_firewall:
        session.add(_firewall_for(rule))
        session.flush()
    return rule


def _firewall_for(rule: NetworkRule) -> NetworkRule:
    return NetworkRule(
        purpose="Firewall",
        ip_address_id=rule.ip_address_id,
        network_id=rule.network_id,
        account_id=rule.account_id,
        domain_id=rule.domain_id,
        state=ADD,
        traffic_type="Ingress",
        protocol=rule.protocol,
        start_port=rule.start_port,
        end_port=rule.end_port,
        source_cidrs=rule.source_cidrs or "0.0.0.0/0",
        related_rule_id=rule.id,
    )


def find_rule(session: Session, *, uuid: str | None) -> NetworkRule:
    """A live LB rule by uuid; 431 if it is gone (deleted meanwhile)."""
    rule = session.scalars(
        select(NetworkRule).where(NetworkRule.uuid == uuid, NetworkRule.purpose == PURPOSE)
    ).first()
    if rule is None:
        raise InvalidParameterValue(f"Unable to find load balancer rule {uuid}")
    return rule


def apply(session: Session, runtime: Runtime, *, rule: NetworkRule, undo: Undo) -> None:
    """Apply the router of the rule's network (see `routers.apply_change`)."""
    routers.apply_change(session, runtime, network=rules.network_of(session, rule), undo=undo)


def _set_states(
    session: Session, model: type[NetworkRule | LbVmMap], ids: Sequence[int], state: str
) -> None:
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(state=state)
            .execution_options(synchronize_session=False)
        )


def activate_rule(session: Session, runtime: Runtime, *, rule: NetworkRule) -> None:
    """Apply a rule `create_rule` stored, then make it (and its firewall rule) `Active`;
    on a failed apply nothing of it is left (534)."""
    rules.apply_added(
        session,
        runtime,
        rule_ids=rules.with_related(session, [rule.id]),
        network=rules.network_of(session, rule),
    )
    session.refresh(rule)


def delete_rule(session: Session, runtime: Runtime, *, rule: NetworkRule) -> None:
    """Revoke the rule (and its firewall rule), apply, then delete it with its members,
    policies and tags. On a failed apply the rule stays as it was (534)."""
    rules.revoke(session, runtime, rule_ids=[rule.id], network=rules.network_of(session, rule))


@dataclass(frozen=True, kw_only=True)
class RuleChange:
    """updateLoadBalancerRule's changes (None: unchanged)."""

    name: str | None = None
    description: str | None = None
    algorithm: str | None = None
    display: bool | None = None


def check_change(change: RuleChange) -> RuleChange:
    """The change with its algorithm normalised; 431 for a bad algorithm, name or text."""
    check_text(change.name, what="name")
    check_text(change.description, what="description")
    if change.name is not None and not change.name.strip():
        raise InvalidParameterValue("Invalid name: it must not be empty")
    algorithm = None if change.algorithm is None else check_algorithm(change.algorithm)
    return RuleChange(
        name=change.name,
        description=change.description,
        algorithm=algorithm,
        display=change.display,
    )


def update_rule(
    session: Session, runtime: Runtime, *, rule: NetworkRule, change: RuleChange
) -> None:
    """Change the rule's name, description, algorithm or display flag; a new algorithm is
    applied to the router (on failure the rule keeps its old values, 534)."""
    change = check_change(change)
    rule_id = rule.id
    before = {"name": rule.name, "description": rule.description, "algorithm": rule.algorithm}
    if change.name is not None:
        rule.name = change.name
    if change.description is not None:
        rule.description = change.description
    if change.display is not None:
        rule.display = change.display
    if change.algorithm is None or change.algorithm == rule.algorithm:
        session.flush()
        return
    rule.algorithm = change.algorithm
    session.flush()

    def undo(undo_session: Session) -> None:
        undo_session.execute(update(NetworkRule).where(NetworkRule.id == rule_id).values(**before))

    apply(session, runtime, rule=rule, undo=undo)
    session.refresh(rule)


@dataclass(frozen=True, kw_only=True)
class Member:
    """A VM behind a rule at `ip` (its NIC's address on the rule's network)."""

    vm: VirtualMachine
    ip: str


def resolve_members(
    session: Session,
    *,
    rule: NetworkRule,
    vms: Sequence[VirtualMachine],
    vm_ips: Sequence[tuple[VirtualMachine, str]],
) -> list[Member]:
    """The members `vms` (at their NIC address) and `vm_ips` (at the address given) make.

    431 if none is named, a VM is gone, has no NIC on the rule's network or the address is
    not its NIC's; 531 if a VM belongs to another account than the rule.
    """
    if not vms and not vm_ips:
        raise InvalidParameterValue("Give virtualmachineids or vmidipmap")
    wanted = [(vm, None) for vm in vms] + [(vm, ip) for vm, ip in vm_ips]
    found: dict[tuple[int, str], Member] = {}
    for vm, given in wanted:
        nic = _nic_on_rule_network(session, rule=rule, vm=vm)
        address = nic.ip4_address or ""
        if given is not None and cidrs.address(given, what="vmip") != cidrs.address(
            address, what="NIC address"
        ):
            raise InvalidParameterValue(
                f"VM ip {given} specified does not belong to the NIC of VM {vm.uuid} in "
                f"the network of load balancer rule {rule.uuid}"
            )
        found.setdefault((vm.id, address), Member(vm=vm, ip=address))
    return list(found.values())


def _nic_on_rule_network(session: Session, *, rule: NetworkRule, vm: VirtualMachine) -> Nic:
    if vm.state in GONE_VM_STATES:
        raise InvalidParameterValue(f"Invalid instance id {vm.uuid}: the VM is {vm.state}")
    if vm.account_id != rule.account_id:
        raise PermissionDenied(
            f"Cannot add VM {vm.uuid} to load balancer rule {rule.uuid}: virtual machines must "
            "belong to the rule's owner"
        )
    nic = session.scalars(
        select(Nic).where(
            Nic.vm_id == vm.id, Nic.network_id == rule.network_id, Nic.ip4_address.is_not(None)
        )
    ).first()
    if nic is None:
        network = session.get(Network, rule.network_id)
        assert network is not None
        raise InvalidParameterValue(
            f"VM {vm.uuid} cannot be added because it has no NIC in network {network.uuid} "
            f"of load balancer rule {rule.uuid}"
        )
    return nic


def _mapped(session: Session, *, rule: NetworkRule, members: Sequence[Member]) -> list[LbVmMap]:
    if not members:
        return []
    pairs = {(member.vm.id, member.ip) for member in members}
    rows = session.scalars(
        select(LbVmMap)
        .where(LbVmMap.rule_id == rule.id, LbVmMap.vm_id.in_({vm_id for vm_id, _ in pairs}))
        .order_by(LbVmMap.id)
    ).all()
    return [row for row in rows if (row.vm_id, row.vm_ip) in pairs]


def add_members(session: Session, *, rule: NetworkRule, members: Sequence[Member]) -> None:
    """Store the members (state `Add`); 431 if one is already behind the rule or the rule
    is being deleted."""
    if rule.state == REVOKE:
        raise InvalidParameterValue(f"Load balancer rule {rule.uuid} is being deleted")
    for row in _mapped(session, rule=rule, members=members):
        vm = session.get(VirtualMachine, row.vm_id)
        assert vm is not None
        raise InvalidParameterValue(
            f"VM {vm.uuid} with {row.vm_ip} is already mapped to load balancer rule {rule.uuid}"
        )
    try:
        with session.begin_nested():
            session.add_all(
                LbVmMap(rule_id=rule.id, vm_id=m.vm.id, vm_ip=m.ip, state=ADD) for m in members
            )
    except IntegrityError:
        raise InvalidParameterValue(
            f"A VM is already mapped to load balancer rule {rule.uuid}"
        ) from None


def activate_members(
    session: Session, runtime: Runtime, *, rule: NetworkRule, members: Sequence[Member]
) -> None:
    """Apply the members `add_members` stored, then make them `Active`; on a failed apply
    they are removed again (534)."""
    ids = [row.id for row in _mapped(session, rule=rule, members=members) if row.state == ADD]

    def undo(undo_session: Session) -> None:
        undo_session.execute(delete(LbVmMap).where(LbVmMap.id.in_(ids)))

    apply(session, runtime, rule=rule, undo=undo)
    _set_states(session, LbVmMap, ids, ACTIVE)


def mapped_rows(
    session: Session,
    *,
    rule: NetworkRule,
    vms: Sequence[VirtualMachine],
    vm_ips: Sequence[tuple[VirtualMachine, str]],
) -> list[LbVmMap]:
    """The member rows of `vms` (every address of each) and `vm_ips` (that address) behind
    the rule; 431 if none is named or one is not behind it."""
    if not vms and not vm_ips:
        raise InvalidParameterValue("Give virtualmachineids or vmidipmap")
    wanted: list[tuple[VirtualMachine, str | None]] = [(vm, None) for vm in vms]
    wanted += [(vm, str(cidrs.address(ip, what="vmip"))) for vm, ip in vm_ips]
    found: dict[int, LbVmMap] = {}
    for vm, ip in wanted:
        rows = session.scalars(
            select(LbVmMap).where(
                LbVmMap.rule_id == rule.id, LbVmMap.vm_id == vm.id, LbVmMap.state != REVOKE
            )
        ).all()
        matching = [row for row in rows if ip is None or row.vm_ip == ip]
        if not matching:
            shown = "" if ip is None else f" with {ip}"
            raise InvalidParameterValue(
                f"VM {vm.uuid}{shown} is not assigned to load balancer rule {rule.uuid}"
            )
        found.update((row.id, row) for row in matching)
    return [found[row_id] for row_id in sorted(found)]


def remove_members(
    session: Session, runtime: Runtime, *, rule: NetworkRule, rows: Sequence[LbVmMap]
) -> None:
    """Revoke the member rows, apply, then delete them; on a failed apply they stay (534)."""
    before = {row.id: row.state for row in rows}
    _set_states(session, LbVmMap, list(before), REVOKE)

    def undo(undo_session: Session) -> None:
        for row_id, state in before.items():
            _set_states(undo_session, LbVmMap, [row_id], state)

    apply(session, runtime, rule=rule, undo=undo)
    session.execute(delete(LbVmMap).where(LbVmMap.id.in_(list(before))))


def members_of(session: Session, *, rule: NetworkRule) -> list[tuple[VirtualMachine, list[str]]]:
    """The VMs behind the rule (not being removed), each with its addresses, in VM order."""
    rows = session.execute(
        select(VirtualMachine, LbVmMap.vm_ip)
        .join(LbVmMap, LbVmMap.vm_id == VirtualMachine.id)
        .where(LbVmMap.rule_id == rule.id, LbVmMap.state != REVOKE)
        .order_by(VirtualMachine.id, LbVmMap.id)
    ).all()
    found: dict[int, tuple[VirtualMachine, list[str]]] = {}
    for vm, ip in rows:
        found.setdefault(vm.id, (vm, []))[1].append(ip)
    return list(found.values())


def candidates_of(session: Session, *, rule: NetworkRule) -> list[VirtualMachine]:
    """The owner's live VMs with a NIC on the rule's network that are not behind it."""
    assigned = select(LbVmMap.vm_id).where(LbVmMap.rule_id == rule.id)
    return list(
        session.scalars(
            select(VirtualMachine)
            .join(Nic, Nic.vm_id == VirtualMachine.id)
            .where(
                Nic.network_id == rule.network_id,
                VirtualMachine.account_id == rule.account_id,
                VirtualMachine.state.not_in(GONE_VM_STATES),
                VirtualMachine.id.not_in(assigned),
            )
            .order_by(VirtualMachine.id)
            .distinct()
        )
    )
