"""Affinity groups: host affinity (members packed on one host) and host anti-affinity
(members spread over distinct hosts), enforced by the planner's affinity filters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from native.model import Account, AffinityGroup, AffinityGroupVm, VirtualMachine, utcnow
from native.services.errors import InvalidParameterValue, ResourceInUse
from native.services.locks import lock_domain
from native.services.planner import HOST_AFFINITY, HOST_ANTI_AFFINITY
from native.services.vm_states import VmState

GROUP_TYPES = (HOST_AFFINITY, HOST_ANTI_AFFINITY)


def create_group(
    session: Session, *, owner: Account, name: str, group_type: str, description: str | None
) -> AffinityGroup:
    """A new group of the owner; 431 for an unknown type or a name the owner already uses."""
    if group_type not in GROUP_TYPES:
        raise InvalidParameterValue(
            f"Unable to create affinity group, invalid affinity group type: {group_type}; "
            f"valid types: {', '.join(GROUP_TYPES)}"
        )
    if not name.strip():
        raise InvalidParameterValue("Unable to create affinity group, the name is empty")
    lock_domain(session, domain_id=owner.domain_id)
    taken = session.scalar(
        select(AffinityGroup.id).where(
            AffinityGroup.account_id == owner.id,
            func.lower(AffinityGroup.name) == name.lower(),
            AffinityGroup.removed.is_(None),
        )
    )
    if taken is not None:
        raise InvalidParameterValue(
            f"Unable to create affinity group, a group with name {name} already exists."
        )
    group = AffinityGroup(
        name=name,
        group_type=group_type,
        description=description,
        account_id=owner.id,
        domain_id=owner.domain_id,
    )
    session.add(group)
    session.flush()
    return group


def find_group(session: Session, *, owner: Account, name: str) -> AffinityGroup:
    """The owner's live group of that name; 431 if none."""
    group = session.scalars(
        select(AffinityGroup).where(
            AffinityGroup.account_id == owner.id,
            AffinityGroup.name == name,
            AffinityGroup.removed.is_(None),
        )
    ).first()
    if group is None:
        raise InvalidParameterValue(
            f"Unable to find affinity group by name {name} for account {owner.name}"
        )
    return group


def delete_group(session: Session, *, group: AffinityGroup) -> None:
    """Remove a group; 536 while a member VM is placed on a host."""
    placed = session.scalar(
        select(VirtualMachine.id)
        .join(AffinityGroupVm, AffinityGroupVm.vm_id == VirtualMachine.id)
        .where(AffinityGroupVm.group_id == group.id, VirtualMachine.host_id.is_not(None))
        .limit(1)
    )
    if placed is not None:
        raise ResourceInUse(
            f"Cannot delete affinity group {group.name} since there are VMs running in it",
            uuids=[group.uuid],
        )
    session.execute(delete(AffinityGroupVm).where(AffinityGroupVm.group_id == group.id))
    group.removed = utcnow()
    session.flush()


def check_groups_of(owner_id: int, groups: Sequence[AffinityGroup]) -> None:
    """431 unless every group belongs to the VM's owner."""
    for group in groups:
        if group.account_id != owner_id:
            raise InvalidParameterValue(
                f"Affinity group {group.name} ({group.uuid}) does not belong to the VM's account"
            )


def set_vm_groups(session: Session, *, vm: VirtualMachine, groups: Sequence[AffinityGroup]) -> None:
    """Make these the Stopped VM's groups (431 if it is not Stopped or a group is not its
    owner's)."""
    if vm.state != VmState.STOPPED:
        raise InvalidParameterValue(
            f"Unable to update affinity groups of the virtual machine {vm.instance_name}, "
            f"VM must be in Stopped state (it is {vm.state})"
        )
    check_groups_of(vm.account_id, groups)
    session.execute(delete(AffinityGroupVm).where(AffinityGroupVm.vm_id == vm.id))
    for group_id in dict.fromkeys(group.id for group in groups):
        session.add(AffinityGroupVm(group_id=group_id, vm_id=vm.id))
    session.flush()


def member_uuids(session: Session, *, group_ids: Sequence[int]) -> dict[int, list[str]]:
    """The uuids of each group's live member VMs, in one query."""
    found: dict[int, list[str]] = defaultdict(list)
    if not group_ids:
        return found
    rows = session.execute(
        select(AffinityGroupVm.group_id, VirtualMachine.uuid)
        .join(VirtualMachine, VirtualMachine.id == AffinityGroupVm.vm_id)
        .where(AffinityGroupVm.group_id.in_(set(group_ids)), VirtualMachine.removed.is_(None))
        .order_by(VirtualMachine.id)
    )
    for group_id, uuid in rows:
        found[group_id].append(uuid)
    return found


def groups_of_vms(session: Session, *, vm_ids: Sequence[int]) -> dict[int, list[AffinityGroup]]:
    """The live groups of each VM, in one query."""
    found: dict[int, list[AffinityGroup]] = defaultdict(list)
    if not vm_ids:
        return found
    rows = session.execute(
        select(AffinityGroupVm.vm_id, AffinityGroup)
        .join(AffinityGroup, AffinityGroup.id == AffinityGroupVm.group_id)
        .where(AffinityGroupVm.vm_id.in_(set(vm_ids)), AffinityGroup.removed.is_(None))
        .order_by(AffinityGroup.name)
    )
    for vm_id, group in rows:
        found[vm_id].append(group)
    return found
