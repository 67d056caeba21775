"""Security groups: per-account sets of allow rules that VMs join, enforced by the routers.

What a group means (CloudStack's semantics):
- Every account has a group named `default`, made with the account. It has no rules at
  first, cannot be deleted, and no other group may take its name.
- Alto extension (EC2's model): a group may belong to a VPC of its account (`vpc_id`).
  Names are unique per account among its account-wide groups and per VPC among the VPC's.
  Every VPC gets its own `default` group when it is made (members may talk to each other,
  and may send anything), which goes with the VPC; a group made in a VPC starts with an
  egress rule allowing everything (0.0.0.0/0, protocol all), as on AWS.
- Ingress rules allow traffic to the members; whatever no rule of a VM's groups allows
  is dropped. Egress: a VM whose groups have no egress rule may send anything (a new
  group has no egress rules); once there are egress rules, only what they allow leaves.
- A rule's peer is a CIDR, or a group (any account's group in the group owner's domain,
  CloudStack's `usersecuritygrouplist`), standing for the addresses of its members.
- Alto extension: groups work on every guest network, isolated networks and VPC tiers
  included (CloudStack allows them only in security-group zones). The router serving a
  member VM's network enforces them per VM address.

Every change of rules or memberships commits, then applies the routers whose
configuration holds the groups concerned (`apply_routers`); if an apply fails the change
is undone and the routers are applied again, so they match the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, inspect, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from native.model import (
    Account,
    SecurityGroup,
    SecurityGroupRule,
    SecurityGroupVm,
    VirtualMachine,
    Vpc,
)
from native.services import tags
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceUnavailable
from native.services.network import cidrs, routers, vm_nics
from native.services.runtime import Runtime
from native.services.vm_states import VmState

log = logging.getLogger(__name__)

DEFAULT_GROUP = "default"
DEFAULT_DESCRIPTION = "Default Security Group"
VPC_DEFAULT_DESCRIPTION = "default VPC security group"
ANYWHERE = "0.0.0.0/0"
INGRESS = "ingress"
EGRESS = "egress"
NAMED_PROTOCOLS = ("tcp", "udp", "icmp", "all")
PORT_PROTOCOLS = ("tcp", "udp")
_NUMBERED = {1: "icmp", 6: "tcp", 17: "udp"}
GONE_STATES = (VmState.DESTROYED.value, VmState.EXPUNGING.value)

Undo = Callable[[Session], None]


def find_group(
    session: Session, *, owner: Account, name: str, vpc_id: int | None = None
) -> SecurityGroup:
    """The owner's group of that name (case-insensitively) among its account-wide groups,
    or among the groups of VPC `vpc_id`; 431 if it has none."""
    group = _named(session, account_id=owner.id, name=name, vpc_id=vpc_id)
    if group is None:
        raise InvalidParameterValue(
            f"Unable to find security group {name} for account {owner.name}"
        )
    return group


def _named(
    session: Session, *, account_id: int, name: str, vpc_id: int | None = None
) -> SecurityGroup | None:
    return session.scalars(
        select(SecurityGroup).where(
            SecurityGroup.account_id == account_id,
            _same(SecurityGroup.vpc_id, vpc_id),
            func.lower(SecurityGroup.name) == name.lower(),
        )
    ).first()


def default_group(session: Session, *, account: Account) -> SecurityGroup:
    """The account's account-wide `default` group, made if it has none yet."""
    group = _named(session, account_id=account.id, name=DEFAULT_GROUP)
    if group is None:
        group = SecurityGroup(
            name=DEFAULT_GROUP,
            description=DEFAULT_DESCRIPTION,
            account_id=account.id,
            domain_id=account.domain_id,
        )
        session.add(group)
        session.flush()
    return group


def ensure_default_groups(session: Session) -> None:
    """Give every live account without a `default` group its own."""
    missing = session.scalars(
        select(Account)
        .where(
            Account.removed.is_(None),
            ~exists().where(
                SecurityGroup.account_id == Account.id,
                SecurityGroup.vpc_id.is_(None),
                SecurityGroup.name == DEFAULT_GROUP,
            ),
        )
        .order_by(Account.id)
    ).all()
    for account in missing:
        default_group(session, account=account)


def create_group(
    session: Session,
    *,
    owner: Account,
    name: str,
    description: str | None,
    vpc: Vpc | None = None,
) -> SecurityGroup:
    """A new group of `owner`: account-wide with no rules, or in `vpc` (one of the owner's
    VPCs) with an egress rule allowing everything. 431 for a blank name, `default`
    (reserved), a name the owner already uses there (compared case-insensitively), or a
    VPC of another account."""
    if not name.strip():
        raise InvalidParameterValue("Security group name cannot be empty")
    if name.strip().lower() == DEFAULT_GROUP:
        raise InvalidParameterValue(f"The security group name {DEFAULT_GROUP} is reserved")
    if vpc is not None and vpc.account_id != owner.id:
        raise InvalidParameterValue(
            f"VPC {vpc.uuid} does not belong to account {owner.name} of the security group"
        )
    session.execute(select(Account.id).where(Account.id == owner.id).with_for_update())
    vpc_id = None if vpc is None else vpc.id
    if _named(session, account_id=owner.id, name=name, vpc_id=vpc_id) is not None:
        raise InvalidParameterValue(
            f"Unable to create security group, a group with name {name} already exists."
        )
    group = SecurityGroup(
        name=name,
        description=description,
        account_id=owner.id,
        domain_id=owner.domain_id,
        vpc_id=vpc_id,
    )
    session.add(group)
    session.flush()
    if vpc is not None:
        _allow_all_egress(session, group=group)
    return group


def _allow_all_egress(session: Session, *, group: SecurityGroup) -> None:
    session.add(
        SecurityGroupRule(
            security_group_id=group.id, rule_type=EGRESS, protocol="all", cidr=ANYWHERE
        )
    )
    session.flush()


def create_vpc_default_group(session: Session, *, vpc: Vpc) -> SecurityGroup:
    """The new VPC's `default` group: its members accept anything from each other and may
    send anything (AWS's default group). No router needs applying: the VPC has no VMs."""
    group = SecurityGroup(
        name=DEFAULT_GROUP,
        description=VPC_DEFAULT_DESCRIPTION,
        account_id=vpc.account_id,
        domain_id=vpc.domain_id,
        vpc_id=vpc.id,
    )
    session.add(group)
    session.flush()
    session.add(
        SecurityGroupRule(
            security_group_id=group.id,
            rule_type=INGRESS,
            protocol="all",
            allowed_group_id=group.id,
        )
    )
    _allow_all_egress(session, group=group)
    return group


def check_vpc_groups_deletable(session: Session, *, vpc: Vpc) -> None:
    """536 while the VPC has groups besides its `default` (EC2 deletes only such a VPC)."""
    extra = session.scalar(
        select(func.count())
        .select_from(SecurityGroup)
        .where(SecurityGroup.vpc_id == vpc.id, SecurityGroup.name != DEFAULT_GROUP)
    )
    if extra:
        raise ResourceInUse(
            f"Can't delete VPC {vpc.name} ({vpc.uuid}) as it has {extra} security groups "
            "besides its default one"
        )


def remove_vpc_groups(session: Session, *, vpc_id: int) -> None:
    """Remove the VPC's groups (its `default` one, when the VPC goes) with their rules,
    the rules naming them, their memberships and tags."""
    group_ids = list(
        session.scalars(select(SecurityGroup.id).where(SecurityGroup.vpc_id == vpc_id))
    )
    if not group_ids:
        return
    rule_ids = list(
        session.scalars(
            select(SecurityGroupRule.id).where(
                SecurityGroupRule.security_group_id.in_(group_ids)
                | SecurityGroupRule.allowed_group_id.in_(group_ids)
            )
        )
    )
    for rule_id in rule_ids:
        tags.remove_tags_of(session, resource_type="SecurityGroupRule", resource_id=rule_id)
    session.execute(delete(SecurityGroupRule).where(SecurityGroupRule.id.in_(rule_ids)))
    session.execute(delete(SecurityGroupVm).where(SecurityGroupVm.security_group_id.in_(group_ids)))
    for group_id in group_ids:
        tags.remove_tags_of(session, resource_type="SecurityGroup", resource_id=group_id)
    session.execute(delete(SecurityGroup).where(SecurityGroup.id.in_(group_ids)))
    session.flush()


def delete_group(session: Session, *, group: SecurityGroup) -> None:
    """Delete the group with its rules and their tags. 431 for a `default` group (the
    account's or a VPC's); 536 while a VM that is not destroyed is a member or another
    group's rule names it as peer. Destroyed members (not yet expunged) leave the group."""
    if group.name.lower() == DEFAULT_GROUP:
        raise InvalidParameterValue("The network default security group cannot be deleted")
    session.execute(select(SecurityGroup.id).where(SecurityGroup.id == group.id).with_for_update())
    referenced = session.scalar(
        select(SecurityGroupRule.id).where(
            SecurityGroupRule.allowed_group_id == group.id,
            SecurityGroupRule.security_group_id != group.id,
        )
    )
    if referenced is not None:
        raise ResourceInUse(
            f"Cannot delete security group {group.name} when there are security rules that "
            "allow this group"
        )
    live_member = session.scalar(
        select(SecurityGroupVm.vm_id)
        .join(VirtualMachine, VirtualMachine.id == SecurityGroupVm.vm_id)
        .where(_member_of(group.id), VirtualMachine.state.not_in(GONE_STATES))
    )
    if live_member is not None:
        raise ResourceInUse(
            f"Cannot delete security group {group.name} when it's in use by virtual machines"
        )
    session.execute(delete(SecurityGroupVm).where(_member_of(group.id)))
    rule_ids = session.scalars(
        select(SecurityGroupRule.id).where(SecurityGroupRule.security_group_id == group.id)
    ).all()
    for rule_id in rule_ids:
        tags.remove_tags_of(session, resource_type="SecurityGroupRule", resource_id=rule_id)
    session.execute(
        delete(SecurityGroupRule).where(SecurityGroupRule.security_group_id == group.id)
    )
    tags.remove_tags_of(session, resource_type="SecurityGroup", resource_id=group.id)
    session.delete(group)
    session.flush()


def _member_of(group_id: int) -> ColumnElement[bool]:
    return SecurityGroupVm.security_group_id == group_id


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """What a rule allows: `protocol` (tcp, udp, icmp, all, or an IP protocol number),
    ports for tcp/udp, ICMP type and code (-1: any) for icmp."""

    protocol: str
    start_port: int | None = None
    end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None


@dataclass(frozen=True, kw_only=True)
class RuleSpec:
    """One rule asked for: its traffic and its peer, a CIDR or a group, and an optional
    description (Alto extension; not part of what makes two rules the same)."""

    traffic: Traffic
    cidr: str | None = None
    allowed_group_id: int | None = None
    description: str | None = None


def traffic(
    *,
    protocol: str | None,
    start_port: int | None,
    end_port: int | None,
    icmp_type: int | None,
    icmp_code: int | None,
) -> Traffic:
    """The traffic of a rule, checked (431 naming the parameter).

    `protocol` is tcp, udp, icmp, all (the default) or an IP protocol number 0-255 (1, 6
    and 17 are taken as icmp, tcp and udp). Ports only for tcp and udp, where startport
    is required, endport defaults to it, both are 0-65535 and in order; 0-0 means every
    port. icmptype/icmpcode only for icmp: -1 (any, the default) or 0-255, and a code
    only with a type.
    """
    name = _protocol(protocol)
    if name != "icmp" and (icmp_type is not None or icmp_code is not None):
        raise InvalidParameterValue(
            f"icmptype and icmpcode are only allowed for protocol icmp, not {name}"
        )
    if name in PORT_PROTOCOLS:
        start, end = _ports(name, start_port, end_port)
        return Traffic(protocol=name, start_port=start, end_port=end)
    if start_port is not None or end_port is not None:
        raise InvalidParameterValue(
            f"startport and endport are only allowed for protocols tcp and udp, not {name}"
        )
    if name == "icmp":
        kind, code = _icmp(icmp_type, icmp_code)
        return Traffic(protocol=name, icmp_type=kind, icmp_code=code)
    return Traffic(protocol=name)


def _protocol(text: str | None) -> str:
    value = (text or "all").strip().lower()
    if value.isdigit():
        number = int(value)
        if number > 255:
            raise InvalidParameterValue(
                f"Invalid protocol number {number}: IP protocol numbers are 0 to 255"
            )
        return _NUMBERED.get(number, str(number))
    if value not in NAMED_PROTOCOLS:
        raise InvalidParameterValue(
            f"Invalid protocol {text}: use tcp, udp, icmp, all or a protocol number 0 to 255"
        )
    return value


def _ports(name: str, start: int | None, end: int | None) -> tuple[int, int]:
    if start is None:
        raise InvalidParameterValue(f"startport is required for protocol {name}")
    end = start if end is None else end
    for value in (start, end):
        if not 0 <= value <= 65535:
            raise InvalidParameterValue(f"Invalid port {value}: ports are 0 to 65535")
    if start == 0 and end == 0:
        return 0, 65535
    if start > end:
        raise InvalidParameterValue(
            f"Invalid port range {start}-{end}: startport is greater than endport"
        )
    return start, end


def _icmp(icmp_type: int | None, icmp_code: int | None) -> tuple[int, int]:
    kind = -1 if icmp_type is None else icmp_type
    code = -1 if icmp_code is None else icmp_code
    if not -1 <= kind <= 255 or not -1 <= code <= 255:
        raise InvalidParameterValue(
            f"Invalid icmptype {kind} or icmpcode {code}: use -1 (any) or 0 to 255"
        )
    if kind == -1 and code != -1:
        raise InvalidParameterValue(f"Invalid icmpcode {code}: a code needs an icmptype")
    return kind, code


def peer_groups(
    session: Session, *, group: SecurityGroup, entries: Sequence[Mapping[str, str]]
) -> list[SecurityGroup]:
    """The groups `usersecuritygrouplist` names (`[i].account` and `[i].group`), among the
    accounts of the domain of `group`'s owner, as CloudStack looks them up; the group's
    name is looked up in `group`'s VPC if it has one (account-wide groups otherwise). 431
    for an entry missing either field, an unknown account or an unknown group."""
    found: list[SecurityGroup] = []
    for entry in entries:
        fields = {key.lower(): value for key, value in entry.items()}
        name, account_name = fields.get("group"), fields.get("account")
        if not name or not account_name:
            raise InvalidParameterValue(
                "Invalid user group specified, fields 'group' and 'account' cannot be null, "
                "please specify groups in the form: usersecuritygrouplist[0].group=XXX&"
                "usersecuritygrouplist[0].account=YYY"
            )
        account = session.scalars(
            select(Account).where(
                func.lower(Account.name) == account_name.lower(),
                Account.domain_id == group.domain_id,
                Account.removed.is_(None),
            )
        ).first()
        if account is None:
            raise InvalidParameterValue(
                f"Nonexistent account {account_name} in the domain of security group {group.name}"
            )
        peer = _named(session, account_id=account.id, name=name, vpc_id=group.vpc_id)
        if peer is None:
            raise InvalidParameterValue(
                f"Nonexistent security group {name} of account {account_name}"
            )
        if peer not in found:
            found.append(peer)
    return found


def rule_specs(
    *,
    allowed: Traffic,
    cidr_list: Sequence[str],
    groups: Sequence[SecurityGroup],
    description: str | None = None,
) -> list[RuleSpec]:
    """One rule per peer group, then one per CIDR (malformed CIDRs are a 431; repeats
    count once), each with `description`; 431 if there is no peer at all."""
    networks = list(dict.fromkeys(cidrs.cidr_list(cidr_list, what="cidrlist")))
    if not networks and not groups:
        raise InvalidParameterValue(
            "At least one cidr or at least one security group needs to be specified"
        )
    return [
        RuleSpec(traffic=allowed, allowed_group_id=peer.id, description=description)
        for peer in groups
    ] + [RuleSpec(traffic=allowed, cidr=cidr, description=description) for cidr in networks]


def _same(column: InstrumentedAttribute[Any], value: object) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _matching(group: SecurityGroup, rule_type: str, spec: RuleSpec) -> ColumnElement[bool]:
    allowed = spec.traffic
    return and_(
        SecurityGroupRule.security_group_id == group.id,
        SecurityGroupRule.rule_type == rule_type,
        SecurityGroupRule.protocol == allowed.protocol,
        _same(SecurityGroupRule.start_port, allowed.start_port),
        _same(SecurityGroupRule.end_port, allowed.end_port),
        _same(SecurityGroupRule.icmp_type, allowed.icmp_type),
        _same(SecurityGroupRule.icmp_code, allowed.icmp_code),
        _same(SecurityGroupRule.cidr, spec.cidr),
        _same(SecurityGroupRule.allowed_group_id, spec.allowed_group_id),
    )


def add_rules(
    session: Session, *, group: SecurityGroup, rule_type: str, specs: Sequence[RuleSpec]
) -> list[SecurityGroupRule]:
    """Store the rules (not yet applied); 431 naming the existing rule if one of them is
    already there, in which case none is stored."""
    session.execute(select(SecurityGroup.id).where(SecurityGroup.id == group.id).with_for_update())
    for spec in specs:
        existing = session.scalars(
            select(SecurityGroupRule).where(_matching(group, rule_type, spec))
        ).first()
        if existing is not None:
            raise InvalidParameterValue(
                f"Security group {group.name} already has this {rule_type} rule "
                f"(rule {existing.uuid})"
            )
    rules = [
        SecurityGroupRule(
            security_group_id=group.id,
            rule_type=rule_type,
            protocol=spec.traffic.protocol,
            start_port=spec.traffic.start_port,
            end_port=spec.traffic.end_port,
            icmp_type=spec.traffic.icmp_type,
            icmp_code=spec.traffic.icmp_code,
            cidr=spec.cidr,
            allowed_group_id=spec.allowed_group_id,
            description=spec.description,
        )
        for spec in specs
    ]
    session.add_all(rules)
    session.flush()
    return rules


def rules_matching(
    session: Session, *, group: SecurityGroup, rule_type: str, specs: Sequence[RuleSpec]
) -> list[SecurityGroupRule]:
    """The group's stored rules of `rule_type` that `specs` describe, in `specs` order."""
    found = []
    for spec in specs:
        rule = session.scalars(
            select(SecurityGroupRule).where(_matching(group, rule_type, spec))
        ).first()
        if rule is not None:
            found.append(rule)
    return found


def apply_routers(
    session: Session, runtime: Runtime, *, router_ids: Collection[int], undo: Undo
) -> None:
    """Commit the session's change, then apply each router. If an apply fails (534): what
    is uncommitted is rolled back, `undo` runs and is committed, every router is applied
    again (a failure there is logged) and the 534 propagates."""
    session.commit()
    try:
        for router_id in sorted(router_ids):
            routers.apply(session, runtime, router_id=router_id)
    except ResourceUnavailable:
        session.rollback()
        undo(session)
        session.commit()
        vm_nics.reapply(session, runtime, router_ids=router_ids)
        raise


def authorize(
    session: Session,
    runtime: Runtime,
    *,
    group: SecurityGroup,
    rule_type: str,
    specs: Sequence[RuleSpec],
) -> list[SecurityGroupRule]:
    """Apply the rules `add_rules` stored for `specs` to the routers of the group's
    members, and return them; if an apply fails they are deleted again (534)."""
    rules = rules_matching(session, group=group, rule_type=rule_type, specs=specs)
    rule_ids = [rule.id for rule in rules]

    def undo(work: Session) -> None:
        work.execute(delete(SecurityGroupRule).where(SecurityGroupRule.id.in_(rule_ids)))

    apply_routers(
        session, runtime, router_ids=vm_nics.routers_of_group(session, group.id), undo=undo
    )
    return rules


def revoke(session: Session, runtime: Runtime, *, rule: SecurityGroupRule) -> None:
    """Delete the rule and apply the routers of its group's members; if an apply fails
    the rule is put back (534). Its tags go once the routers run without it."""
    values = {
        column.key: getattr(rule, column.key) for column in inspect(SecurityGroupRule).column_attrs
    }
    session.delete(rule)
    session.flush()

    def undo(work: Session) -> None:
        work.add(SecurityGroupRule(**values))

    apply_routers(
        session,
        runtime,
        router_ids=vm_nics.routers_of_group(session, values["security_group_id"]),
        undo=undo,
    )
    tags.remove_tags_of(session, resource_type="SecurityGroupRule", resource_id=values["id"])


def groups_for_vm(
    session: Session,
    *,
    vm: VirtualMachine,
    owner: Account,
    ids: Sequence[SecurityGroup] | None,
    names: Sequence[str] | None,
) -> list[SecurityGroup]:
    """The groups `securitygroupids` or `securitygroupnames` give the VM (each once). 431
    if both are given, for an unknown name, a group of another account or of a VPC the VM
    has no network in, or unless the VM is Stopped."""
    if ids and names:
        raise InvalidParameterValue(
            "securitygroupids parameter is mutually exclusive with securitygroupnames parameter"
        )
    groups = list(ids or []) + [find_group(session, owner=owner, name=name) for name in names or []]
    for group in groups:
        if group.account_id != vm.account_id:
            raise InvalidParameterValue(
                f"Security group {group.name} does not belong to the VM's account"
            )
    vm_nics.check_group_vpcs(session, vm=vm, groups=groups)
    if vm.state != VmState.STOPPED:
        raise InvalidParameterValue(f"VM {vm.uuid} must be stopped prior to update security groups")
    return list(dict.fromkeys(groups))


def set_vm_groups(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, groups: Sequence[SecurityGroup]
) -> None:
    """Make `groups` the VM's groups and apply the routers concerned (those of its old and
    new groups, see `routers_of_members`); if an apply fails the old groups are restored
    (534)."""
    old = list(
        session.scalars(
            select(SecurityGroupVm.security_group_id).where(SecurityGroupVm.vm_id == vm.id)
        )
    )
    new = [group.id for group in groups]
    touched = vm_nics.routers_of_members(session, group_ids=old)
    _replace_memberships(session, vm_id=vm.id, group_ids=new)
    touched |= vm_nics.routers_of_members(session, group_ids=new)

    def undo(work: Session) -> None:
        _replace_memberships(work, vm_id=vm.id, group_ids=old)

    apply_routers(session, runtime, router_ids=touched, undo=undo)


def _replace_memberships(session: Session, *, vm_id: int, group_ids: Sequence[int]) -> None:
    session.execute(delete(SecurityGroupVm).where(SecurityGroupVm.vm_id == vm_id))
    session.add_all(
        SecurityGroupVm(security_group_id=group_id, vm_id=vm_id) for group_id in group_ids
    )
    session.flush()
