"""Listing VMs: the filtered query (paged by the command) and the rows a page refers to,
loaded in a fixed number of queries whatever the page size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from native.model import (
    Account,
    AffinityGroup,
    AffinityGroupVm,
    Cluster,
    Domain,
    GuestOsType,
    Host,
    Network,
    Nic,
    Pod,
    PublicIpAddress,
    ResourceTag,
    SecurityGroup,
    SecurityGroupVm,
    ServiceOffering,
    Template,
    VirtualMachine,
    Volume,
    Zone,
    utcnow,
)
from native.services import affinity, tags
from native.services.caller import Caller, RoleType
from native.services.network import vm_nics
from native.services.runtime import Runtime
from native.services.vm_states import VmState

M = TypeVar("M")
HIDDEN_FROM_USERS = (VmState.DESTROYED.value, VmState.EXPUNGING.value)


@dataclass(frozen=True, kw_only=True)
class VmFilter:
    """listVirtualMachines filters (None: not filtered)."""

    ids: Sequence[int] | None = None
    state: str | None = None
    zone_id: int | None = None
    host_id: int | None = None
    pod_id: int | None = None
    name: str | None = None
    keyword: str | None = None
    template_id: int | None = None
    iso_id: int | None = None
    offering_id: int | None = None
    group_id: int | None = None
    ha_enabled: bool | None = None
    display_vm: bool | None = None
    network_id: int | None = None
    tags: dict[str, str | None] = field(default_factory=dict)


def list_query(
    session: Session,
    runtime: Runtime,
    *,
    caller: Caller,
    owner: ColumnElement[bool],
    where: VmFilter,
    include_destroyed: bool = False,
) -> Select[VirtualMachine]:
    """Live VMs matching the filter whose owners `owner` (a condition on Account and its
    Domain; `true()` for every account) selects. Users see Destroyed VMs only with
    `allow.user.view.destroyed.vm`.

    With `include_destroyed` every caller also sees the VMs destroyed (Destroyed, Expunging
    or already expunged) less than `destroyed.vm.view.duration` seconds ago, and no VM
    destroyed longer ago: the EC2 API's terminated instances, listed for a while. A VM that
    never ran (a failed deployment, expunged at once) is not listed.
    """
    query = select(VirtualMachine)
    if not owner.compare(true()):
        query = query.where(VirtualMachine.account_id.in_(_owner_ids(owner)))
    if include_destroyed:
        duration = int(
            runtime.settings.get(
                session, "destroyed.vm.view.duration", account_id=caller.account_id
            )
        )
        cutoff = utcnow() - dt.timedelta(seconds=duration)
        query = query.where(
            or_(
                and_(
                    VirtualMachine.removed.is_(None),
                    VirtualMachine.state.not_in(HIDDEN_FROM_USERS),
                ),
                and_(
                    VirtualMachine.state.in_(HIDDEN_FROM_USERS),
                    VirtualMachine.last_updated >= cutoff,
                    VirtualMachine.last_host_id.is_not(None),
                ),
            )
        )
        return _filtered(query, where)
    query = query.where(VirtualMachine.removed.is_(None))
    if caller.role_type is RoleType.USER and not runtime.settings.get(
        session, "allow.user.view.destroyed.vm", account_id=caller.account_id
    ):
        query = query.where(VirtualMachine.state.not_in(HIDDEN_FROM_USERS))
    return _filtered(query, where)


def _owner_ids(owner: ColumnElement[bool]) -> Select[int]:
    """The ids of the accounts `owner` selects. VMs are filtered by these rather than joined
    with their accounts, so the database can walk VMs in id order and stop at a page's end
    instead of sorting every visible VM."""
    return select(Account.id).join(Domain, Domain.id == Account.domain_id).where(owner)


def _filtered(query: Select[VirtualMachine], where: VmFilter) -> Select[VirtualMachine]:
    equal = {
        VirtualMachine.zone_id: where.zone_id,
        VirtualMachine.host_id: where.host_id,
        VirtualMachine.pod_id: where.pod_id,
        VirtualMachine.name: where.name,
        VirtualMachine.template_id: where.template_id,
        VirtualMachine.iso_id: where.iso_id,
        VirtualMachine.service_offering_id: where.offering_id,
        VirtualMachine.ha_enabled: where.ha_enabled,
        VirtualMachine.display_vm: where.display_vm,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if where.ids is not None:
        query = query.where(VirtualMachine.id.in_(list(where.ids)))
    if where.state is not None:
        query = query.where(VirtualMachine.state == _state_name(where.state))
    if where.keyword:
        query = query.where(
            or_(
                VirtualMachine.name.contains(where.keyword, autoescape=True),
                VirtualMachine.display_name.contains(where.keyword, autoescape=True),
                VirtualMachine.instance_name.contains(where.keyword, autoescape=True),
            )
        )
    if where.group_id is not None:
        query = query.where(
            exists().where(
                and_(
                    AffinityGroupVm.vm_id == VirtualMachine.id,
                    AffinityGroupVm.group_id == where.group_id,
                )
            )
        )
    if where.network_id is not None:
        query = query.where(
            exists().where(and_(Nic.vm_id == VirtualMachine.id, Nic.network_id == where.network_id))
        )
    if where.tags:
        query = query.where(
            tags.tag_clause(resource_type="UserVm", id_column=VirtualMachine.id, tags=where.tags)
        )
    return query


def _state_name(text: str) -> str:
    for state in VmState:
        if state.value.lower() == text.strip().lower():
            return state.value
    return text


@dataclass(frozen=True, kw_only=True)
class HostPlacement:
    """What a VM response shows of its host: the host's uuid and name, its pod's uuid."""

    uuid: str
    name: str
    pod_uuid: str


@dataclass(frozen=True, kw_only=True)
class Related:
    """The rows a page of VMs refers to, by id."""

    accounts: dict[int, Account]
    domains: dict[int, Domain]
    zones: dict[int, Zone]
    hosts: dict[int, HostPlacement]
    templates: dict[int, Template]
    offerings: dict[int, ServiceOffering]
    os_types: dict[int, GuestOsType]
    groups: dict[int, list[AffinityGroup]]
    root_devices: dict[int, int]
    tags: dict[int, list[ResourceTag]]
    nics: dict[int, list[tuple[Nic, Network]]]
    security_groups: dict[int, list[SecurityGroup]]
    static_nat: dict[int, PublicIpAddress]


def _by_id(session: Session, model: type[M], ids: Iterable[int | None]) -> dict[int, M]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    entity = cast(Any, model)
    rows: Iterable[Any] = session.scalars(select(entity).where(entity.id.in_(wanted)))
    return {int(row.id): cast(M, row) for row in rows}


def related(session: Session, vms: Sequence[VirtualMachine]) -> Related:
    """Everything a page of VM responses shows, in one query per kind of row."""
    accounts = _by_id(session, Account, {vm.account_id for vm in vms})
    vm_ids = [vm.id for vm in vms]
    roots = session.execute(
        select(Volume.vm_id, Volume.device_id).where(
            Volume.vm_id.in_(vm_ids), Volume.volume_type == "ROOT", Volume.removed.is_(None)
        )
    )
    return Related(
        accounts=accounts,
        domains=_by_id(session, Domain, {vm.domain_id for vm in vms}),
        zones=_by_id(session, Zone, {vm.zone_id for vm in vms}),
        hosts=_placements(session, {vm.host_id for vm in vms}),
        templates=_by_id(
            session, Template, [*(vm.template_id for vm in vms), *(vm.iso_id for vm in vms)]
        ),
        offerings=_by_id(session, ServiceOffering, {vm.service_offering_id for vm in vms}),
        os_types=_by_id(session, GuestOsType, {vm.guest_os_id for vm in vms}),
        groups=affinity.groups_of_vms(session, vm_ids=vm_ids),
        root_devices={vm_id: device_id or 0 for vm_id, device_id in roots if vm_id is not None},
        tags=tags.tags_of(session, resource_type="UserVm", resource_ids=vm_ids),
        nics=vm_nics.nics_of(session, vm_ids=vm_ids),
        security_groups=_security_groups(session, vm_ids),
        static_nat={
            ip.vm_id: ip
            for ip in session.scalars(
                select(PublicIpAddress).where(
                    PublicIpAddress.vm_id.in_(vm_ids), PublicIpAddress.is_static_nat.is_(True)
                )
            )
            if ip.vm_id is not None
        },
    )


def _placements(session: Session, ids: Iterable[int | None]) -> dict[int, HostPlacement]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Host.id, Host.uuid, Host.name, Pod.uuid)
        .join(Cluster, Cluster.id == Host.cluster_id)
        .join(Pod, Pod.id == Cluster.pod_id)
        .where(Host.id.in_(wanted))
    )
    return {
        host_id: HostPlacement(uuid=uuid, name=name, pod_uuid=pod_uuid)
        for host_id, uuid, name, pod_uuid in rows
    }


def _security_groups(session: Session, vm_ids: Sequence[int]) -> dict[int, list[SecurityGroup]]:
    found: dict[int, list[SecurityGroup]] = {}
    for vm_id, group in session.execute(
        select(SecurityGroupVm.vm_id, SecurityGroup)
        .join(SecurityGroup, SecurityGroup.id == SecurityGroupVm.security_group_id)
        .where(SecurityGroupVm.vm_id.in_(vm_ids))
        .order_by(SecurityGroup.id)
    ).all():
        found.setdefault(vm_id, []).append(group)
    return found
