"""The NICs of user VMs: which networks a deploy uses, their addresses, and cleaning up.

A deploy in an Advanced zone with no network named uses the owner's default isolated
network (made if it has none); in a Basic zone, the zone's shared network if there is
one. The first network is the default NIC's. Expunging a VM removes its NICs, its
security group memberships, its load balancer memberships, the port forwards to it and
its static NAT, and re-applies the routers that served it.

A Running or Stopped VM may also get a NIC on another network, lose one that is not its
default (and that no rule names), or change its default NIC; each change re-applies the
routers of the networks concerned.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import NicSpec
from native.model import (
    Account,
    Domain,
    LbVmMap,
    Network,
    NetworkRule,
    Nic,
    PhysicalNetworkTrafficType,
    PublicIpAddress,
    SecurityGroup,
    SecurityGroupRule,
    SecurityGroupVm,
    VirtualMachine,
    Zone,
)
from native.services import tags
from native.services.caller import Caller
from native.services.errors import (
    CloudError,
    InvalidParameterValue,
    PermissionDenied,
    ResourceUnavailable,
)
from native.services.network import guest_networks, implement, ipam, routers, rules
from native.services.network.defaults import SHARED
from native.services.network.router_vm_data import GONE_VM_STATES
from native.services.runtime import Runtime
from native.services.settings import Settings
from native.services.visibility import can_see

log = logging.getLogger(__name__)


def check_usable(session: Session, *, network: Network, owner: Account, zone: Zone) -> None:
    """431 unless `network` is live and in `zone`; 531 unless `owner` may put a VM on it
    (its own network, or a shared network of its domain or a parent domain)."""
    if network.removed is not None or network.state == "Destroy":
        raise InvalidParameterValue(f"Network {network.uuid} is not available")
    if network.zone_id != zone.id:
        raise InvalidParameterValue(
            f"Network {network.name} is in another zone than the virtual machine"
        )
    if network.account_id == owner.id:
        return
    if network.guest_type == SHARED:
        domain = session.get(Domain, network.domain_id)
        assert domain is not None
        if network.acl_type != "Account" and owner.domain.path.startswith(domain.path):
            return
    raise PermissionDenied(f"Account {owner.name} does not have access to network {network.name}")


def domain_prefixes(path: str) -> list[str]:
    """The paths of a domain and of every domain above it (`/a/b/` → `/`, `/a/`, `/a/b/`)."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "".join(f"{part}/" for part in parts[:depth]) for depth in range(len(parts) + 1)]


def open_to_domain(caller: Caller) -> ColumnElement[bool]:
    """Shared, domain-wide networks of the caller's domain or a domain above it."""
    return and_(
        Network.guest_type == SHARED,
        Network.acl_type == "Domain",
        Network.domain_id.in_(
            select(Domain.id).where(Domain.path.in_(domain_prefixes(caller.domain_path)))
        ),
    )


def visible_network(session: Session, caller: Caller, network: Network) -> bool:
    """A network the caller may see: one of an account it sees, or a Shared domain-wide
    network of its domain or a domain above it."""
    if can_see(caller, network, session):
        return True
    domain = session.get(Domain, network.domain_id)
    return (
        network.guest_type == SHARED
        and network.acl_type == "Domain"
        and domain is not None
        and caller.domain_path.startswith(domain.path)
    )


def _zone_shared_network(session: Session, zone: Zone) -> Network | None:
    return session.scalars(
        select(Network)
        .where(
            Network.zone_id == zone.id,
            Network.removed.is_(None),
            Network.guest_type == SHARED,
            Network.acl_type == "Domain",
        )
        .order_by(Network.id)
    ).first()


def networks_for_deploy(
    session: Session,
    settings: Settings,
    *,
    owner: Account,
    zone: Zone,
    requested: Sequence[Network],
) -> list[Network]:
    """The networks of a new VM, default first (see the module docstring)."""
    if requested:
        if len({network.id for network in requested}) != len(requested):
            raise InvalidParameterValue("A network may be given only once in networkids")
        for network in requested:
            check_usable(session, network=network, owner=owner, zone=zone)
        return list(requested)
    if zone.network_type == "Advanced":
        return [guest_networks.account_default_network(session, settings, owner=owner, zone=zone)]
    shared = _zone_shared_network(session, zone)
    return [] if shared is None else [shared]


def add_vm_nics(
    session: Session,
    *,
    vm: VirtualMachine,
    networks: Sequence[Network],
    addresses: Mapping[int, str] | None = None,
) -> list[Nic]:
    """Give the VM one NIC per network (device ids from 0, the first the default), at
    `addresses[network.id]` when asked for (431 if outside the range or taken)."""
    wanted = addresses or {}
    return [
        ipam.add_nic(
            session,
            network=network,
            vm_id=vm.id,
            address=wanted.get(network.id),
            is_default=index == 0,
            device_id=index,
        )
        for index, network in enumerate(networks)
    ]


def join_security_groups(
    session: Session, *, vm: VirtualMachine, groups: Collection[SecurityGroup]
) -> None:
    """Make the VM a member of `groups` (each once); 431 for another account's group or a
    group of a VPC the VM has no network in (see `check_group_vpcs`)."""
    check_group_vpcs(session, vm=vm, groups=groups)
    for group in groups:
        if group.account_id != vm.account_id:
            raise InvalidParameterValue(
                f"Security group {group.name} does not belong to the VM's account"
            )
        exists = session.get(SecurityGroupVm, (group.id, vm.id))
        if exists is None:
            session.add(SecurityGroupVm(security_group_id=group.id, vm_id=vm.id))
    session.flush()


def check_group_vpcs(
    session: Session, *, vm: VirtualMachine, groups: Collection[SecurityGroup]
) -> None:
    """431 if one of `groups` belongs to a VPC none of the VM's networks is a tier of."""
    vpc_ids = {network.vpc_id for network in vm_networks(session, vm_id=vm.id)}
    for group in groups:
        if group.vpc_id is not None and group.vpc_id not in vpc_ids:
            raise InvalidParameterValue(
                f"Security group {group.name} belongs to a VPC the VM has no network in"
            )


def default_security_group(session: Session, *, account_id: int) -> SecurityGroup | None:
    return session.scalars(
        select(SecurityGroup).where(
            SecurityGroup.account_id == account_id,
            SecurityGroup.vpc_id.is_(None),
            SecurityGroup.name == "default",
        )
    ).first()


def vm_networks(session: Session, *, vm_id: int) -> list[Network]:
    return list(
        session.scalars(
            select(Network)
            .join(Nic, Nic.network_id == Network.id)
            .where(Nic.vm_id == vm_id)
            .order_by(Nic.device_id)
        )
    )


def _group_ids(session: Session, vm_id: int) -> list[int]:
    return list(
        session.scalars(
            select(SecurityGroupVm.security_group_id).where(SecurityGroupVm.vm_id == vm_id)
        )
    )


def implement_for_vm(session: Session, runtime: Runtime, *, vm: VirtualMachine) -> None:
    """Implement every network of the VM and apply their routers (so the VM's DHCP entry
    and rules are in place before it boots), and the routers whose security group rules
    name one of the VM's groups (they now let its address in). Commits."""
    applied = set()
    for network in vm_networks(session, vm_id=vm.id):
        implement.implement(session, runtime, network=network)
        router = routers.router_of(session, network=network)
        if router is not None:
            applied.add(router.id)
    peers = routers_of_members(session, group_ids=_group_ids(session, vm.id)) - applied
    for router_id in sorted(peers):
        routers.apply(session, runtime, router_id=router_id)
    session.commit()


def nic_specs(session: Session, *, vm_id: int) -> tuple[NicSpec, ...]:
    """The VM's NICs as the hypervisor driver needs them."""
    rows = session.execute(
        select(Nic, Network)
        .join(Network, Nic.network_id == Network.id)
        .where(Nic.vm_id == vm_id)
        .order_by(Nic.device_id)
    ).all()
    labels = {
        physical_id: label
        for physical_id, label in session.execute(
            select(
                PhysicalNetworkTrafficType.physical_network_id, PhysicalNetworkTrafficType.kvm_label
            ).where(PhysicalNetworkTrafficType.traffic_type == "Guest")
        ).all()
    }
    return tuple(
        NicSpec(
            mac=nic.mac_address,
            address=nic.ip4_address,
            device_id=nic.device_id,
            network_uuid=network.uuid,
            vlan=network.vlan,
            default=nic.is_default,
            bridge_label=labels.get(network.physical_network_id or 0),
        )
        for nic, network in rows
    )


def nics_of(session: Session, *, vm_ids: Sequence[int]) -> dict[int, list[tuple[Nic, Network]]]:
    """The NICs (with their networks) of a page of VMs, in device order."""
    found: dict[int, list[tuple[Nic, Network]]] = defaultdict(list)
    if not vm_ids:
        return found
    nics = session.scalars(
        select(Nic).where(Nic.vm_id.in_(list(vm_ids))).order_by(Nic.vm_id, Nic.device_id)
    ).all()
    networks = {
        network.id: network
        for network in session.scalars(
            select(Network).where(Network.id.in_({nic.network_id for nic in nics}))
        )
    }
    for nic in nics:
        assert nic.vm_id is not None
        found[nic.vm_id].append((nic, networks[nic.network_id]))
    return found


def release_vm(session: Session, *, vm: VirtualMachine) -> set[int]:
    """Remove everything networking holds for the VM (see the module docstring); the ids
    of the routers whose configuration changed (those of its networks, and those whose
    security group rules named one of its groups)."""
    touched = {
        router.id
        for network in vm_networks(session, vm_id=vm.id)
        if (router := routers.router_of(session, network=network)) is not None
    }
    touched |= routers_of_members(session, group_ids=_group_ids(session, vm.id))
    session.execute(delete(LbVmMap).where(LbVmMap.vm_id == vm.id))
    forwards = list(session.scalars(select(NetworkRule.id).where(NetworkRule.vm_id == vm.id)))
    affected_ips = {
        *session.scalars(select(NetworkRule.ip_address_id).where(NetworkRule.vm_id == vm.id)),
        *session.scalars(select(PublicIpAddress.id).where(PublicIpAddress.vm_id == vm.id)),
    }
    rules.delete_rules(session, rule_ids=forwards)
    session.execute(
        update(PublicIpAddress)
        .where(PublicIpAddress.vm_id == vm.id)
        .values(is_static_nat=False, vm_id=None, vm_ip=None)
        .execution_options(synchronize_session=False)
    )
    for ip_id in affected_ips:
        if ip_id is not None:
            rules.untie_if_unused(session, ip_id=ip_id)
    session.execute(delete(SecurityGroupVm).where(SecurityGroupVm.vm_id == vm.id))
    tags.remove_tags_of_selected(
        session, resource_type="Nic", resource_ids=select(Nic.id).where(Nic.vm_id == vm.id)
    )
    session.execute(delete(Nic).where(Nic.vm_id == vm.id))
    session.flush()
    return touched


def routers_of_group(session: Session, group_id: int) -> set[int]:
    """The ids of the live routers whose configuration holds the group's rules: those
    serving the networks of its live member VMs' NICs."""
    network_ids = session.scalars(
        select(Nic.network_id)
        .distinct()
        .join(SecurityGroupVm, SecurityGroupVm.vm_id == Nic.vm_id)
        .join(VirtualMachine, VirtualMachine.id == Nic.vm_id)
        .where(
            SecurityGroupVm.security_group_id == group_id,
            VirtualMachine.state.not_in(GONE_VM_STATES),
        )
    ).all()
    found = set()
    for network in session.scalars(select(Network).where(Network.id.in_(network_ids))):
        router = routers.router_of(session, network=network)
        if router is not None:
            found.add(router.id)
    return found


def routers_of_members(session: Session, *, group_ids: Iterable[int]) -> set[int]:
    """The routers whose configuration depends on who is in these groups: those of the
    groups themselves and of every group with a rule naming one of them as peer."""
    wanted = set(group_ids)
    if not wanted:
        return set()
    wanted |= set(
        session.scalars(
            select(SecurityGroupRule.security_group_id)
            .distinct()
            .where(SecurityGroupRule.allowed_group_id.in_(wanted))
        )
    )
    found: set[int] = set()
    for group_id in sorted(wanted):
        found |= routers_of_group(session, group_id)
    return found


def reapply(session: Session, runtime: Runtime, *, router_ids: Collection[int]) -> None:
    """Apply each router again; a failure is logged (the router keeps its previous
    configuration, and its next apply brings it in line with the database)."""
    for router_id in sorted(router_ids):
        try:
            routers.apply(session, runtime, router_id=router_id)
        except CloudError as error:
            session.rollback()
            log.warning("re-applying router %s failed: %s", router_id, error)


NIC_CHANGE_STATES = ("Running", "Stopped")


def _lock_vm(session: Session, *, vm: VirtualMachine, action: str) -> None:
    """Lock the VM's row and check it may have its NICs changed (431 naming its state)."""
    session.scalars(
        select(VirtualMachine.id).where(VirtualMachine.id == vm.id).with_for_update()
    ).one()
    session.refresh(vm)
    if vm.removed is not None or vm.state not in NIC_CHANGE_STATES:
        raise InvalidParameterValue(
            f"Unable to {action} VM {vm.name}: it is {vm.state}; NICs change only on Running or "
            "Stopped VMs",
            uuids=[vm.uuid],
        )


def add_nic(session: Session, *, vm: VirtualMachine, network: Network, address: str | None) -> Nic:
    """Give a Running or Stopped VM a NIC on `network` (at `address` when given), after
    its other NICs; it is the default NIC only if the VM had none. 431 for another state,
    a network the VM is already on, another zone's network or a bad/taken address; 531 for
    a network the VM's owner may not use; 533 when the network has no free address."""
    _lock_vm(session, vm=vm, action="add a NIC to")
    owner = session.get(Account, vm.account_id)
    zone = session.get(Zone, vm.zone_id)
    assert owner is not None and zone is not None
    check_usable(session, network=network, owner=owner, zone=zone)
    existing = session.scalars(select(Nic).where(Nic.vm_id == vm.id)).all()
    if any(nic.network_id == network.id for nic in existing):
        raise InvalidParameterValue(
            f"VM {vm.name} already has a NIC on network {network.name} (networkid)",
            uuids=[vm.uuid],
        )
    return ipam.add_nic(
        session,
        network=network,
        vm_id=vm.id,
        address=address,
        is_default=not existing,
        device_id=max((nic.device_id for nic in existing), default=-1) + 1,
    )


def plug_nic(session: Session, runtime: Runtime, *, vm: VirtualMachine, nic: Nic) -> None:
    """Bring a new NIC into service: its network is implemented if the VM runs, and its
    router (if any) applied. If that fails the NIC is removed again, the router re-applied
    and the error (534, or 533 for no free VLAN or public IP) propagates. Then the routers
    whose security group rules name the VM's groups are re-applied (a failure there is
    only logged). Commits."""
    network = session.get(Network, nic.network_id)
    assert network is not None
    if vm.state != "Running" and network.state != implement.IMPLEMENTED:
        session.commit()
        return
    nic_id = nic.id
    try:
        implement.implement(session, runtime, network=network)
    except CloudError:
        session.rollback()
        session.execute(delete(Nic).where(Nic.id == nic_id))
        session.commit()
        router = routers.router_of(session, network=network)
        reapply(session, runtime, router_ids=[] if router is None else [router.id])
        raise
    session.commit()
    router = routers.router_of(session, network=network)
    peers = routers_of_members(session, group_ids=_group_ids(session, vm.id))
    reapply(session, runtime, router_ids=peers - ({router.id} if router else set()))


def _apply_routers(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    networks: Collection[Network],
    undo: Callable[[Session], None],
) -> None:
    """Apply the routers of `networks` (and those whose security group rules name the
    VM's groups) to a change made in the session; if one fails, `undo` runs (committed),
    every router is re-applied and the 534 propagates."""
    router_ids = sorted(
        {
            router.id
            for network in networks
            if (router := routers.router_of(session, network=network)) is not None
        }
        | routers_of_members(session, group_ids=_group_ids(session, vm.id))
    )
    try:
        for router_id in router_ids:
            routers.apply(session, runtime, router_id=router_id)
    except ResourceUnavailable:
        session.rollback()
        undo(session)
        session.commit()
        reapply(session, runtime, router_ids=router_ids)
        raise
    session.commit()


def _vm_nic(session: Session, *, vm: VirtualMachine, nic: Nic) -> Network:
    if nic.vm_id != vm.id:
        raise InvalidParameterValue(f"NIC {nic.uuid} is not a NIC of VM {vm.name} (nicid)")
    network = session.get(Network, nic.network_id)
    assert network is not None
    return network


def _rules_on(session: Session, *, vm: VirtualMachine, nic: Nic) -> str | None:
    """What names the NIC's address: a port forward, an LB rule or static NAT (None if none)."""
    if nic.ip4_address is None:
        return None
    if session.scalar(
        select(NetworkRule.id).where(
            NetworkRule.vm_id == vm.id,
            NetworkRule.vm_ip == nic.ip4_address,
            NetworkRule.network_id == nic.network_id,
        )
    ):
        return "port forwarding rules"
    if session.scalar(
        select(LbVmMap.id).where(LbVmMap.vm_id == vm.id, LbVmMap.vm_ip == nic.ip4_address)
    ):
        return "load balancer rules"
    if session.scalar(
        select(PublicIpAddress.id).where(
            PublicIpAddress.vm_id == vm.id, PublicIpAddress.vm_ip == nic.ip4_address
        )
    ):
        return "static NAT"
    return None


def check_removable(session: Session, *, vm: VirtualMachine, nic: Nic) -> Network:
    """The NIC's network, if the NIC may be removed: 431 unless the VM is Running or
    Stopped, the NIC is the VM's, not its default, and named by no port forward, LB rule
    or static NAT."""
    _lock_vm(session, vm=vm, action="remove a NIC from")
    network = _vm_nic(session, vm=vm, nic=nic)
    if nic.is_default:
        raise InvalidParameterValue(
            f"Unable to remove NIC {nic.uuid} from VM {vm.name} in network {network.name}: it "
            "is the default NIC",
            uuids=[vm.uuid],
        )
    used_by = _rules_on(session, vm=vm, nic=nic)
    if used_by is not None:
        raise InvalidParameterValue(
            f"Unable to remove NIC {nic.uuid} from VM {vm.name} in network {network.name}: its "
            f"address {nic.ip4_address} has {used_by}",
            uuids=[vm.uuid],
        )
    return network


def remove_nic(session: Session, runtime: Runtime, *, vm: VirtualMachine, nic: Nic) -> None:
    """Remove a VM's NIC and then its tags, and re-apply its network's router; if the router
    fails the NIC is back (same id, tags kept) and the 534 propagates. 431 as `check_removable`. Commits."""
    network = check_removable(session, vm=vm, nic=nic)
    kept = {
        column: getattr(nic, column)
        for column in (
            "id",
            "uuid",
            "vm_id",
            "network_id",
            "ip4_address",
            "mac_address",
            "is_default",
            "device_id",
            "state",
            "created",
        )
    }
    session.delete(nic)
    session.flush()

    def undo(undo_session: Session) -> None:
        undo_session.add(Nic(**kept))

    _apply_routers(session, runtime, vm=vm, networks=[network], undo=undo)
    tags.remove_tags_of(session, resource_type="Nic", resource_id=kept["id"])
    session.commit()


def check_default_change(session: Session, *, vm: VirtualMachine, nic: Nic) -> Network:
    """The NIC's network, if the NIC may become the VM's default: 431 unless the VM is
    Running or Stopped and the NIC is the VM's and not yet its default."""
    _lock_vm(session, vm=vm, action="change the default NIC of")
    network = _vm_nic(session, vm=vm, nic=nic)
    if nic.is_default:
        raise InvalidParameterValue(
            f"NIC {nic.uuid} is already the default NIC of VM {vm.name} (nicid)", uuids=[vm.uuid]
        )
    return network


def set_default_nic(session: Session, runtime: Runtime, *, vm: VirtualMachine, nic: Nic) -> None:
    """Make `nic` the VM's default NIC (the one whose network gives it its default route)
    and re-apply the routers of the old and new default networks; if one fails, the old
    default is back and the 534 propagates. 431 as `check_default_change`. Commits."""
    network = check_default_change(session, vm=vm, nic=nic)
    old = session.scalars(select(Nic).where(Nic.vm_id == vm.id, Nic.is_default.is_(True))).first()
    networks = [network]
    if old is not None:
        old.is_default = False
        old_network = session.get(Network, old.network_id)
        assert old_network is not None
        networks.append(old_network)
    nic.is_default = True
    session.flush()
    new_id, old_id = nic.id, None if old is None else old.id

    def undo(undo_session: Session) -> None:
        for nic_id, default in ((new_id, False), (old_id, True)):
            if nic_id is not None:
                undo_session.execute(update(Nic).where(Nic.id == nic_id).values(is_default=default))

    _apply_routers(session, runtime, vm=vm, networks=networks, undo=undo)
