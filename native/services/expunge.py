"""Expunging VMs: their volumes' data deleted, pool space and limits given back, rows removed.

`expunge_vm` first moves the VM to Expunging and releases whatever limits it and its
volumes still hold, in one committed step; the data deletion that follows is repeatable,
so a VM left Expunging by a failure is finished by the next round of the periodic
`EXPUNGE_TASK`, which also expunges VMs Destroyed more than `expunge.delay` seconds ago.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from native.drivers.storage.base import StorageError
from native.model import (
    Account,
    AffinityGroupVm,
    SnapshotPolicy,
    StoragePool,
    Template,
    VirtualMachine,
    VmSnapshot,
    Volume,
    utcnow,
)
from native.services import capacity, limits
from native.services.errors import CloudError, InvalidParameterValue, ResourceUnavailable
from native.services.limits import ResourceType
from native.services.network import vm_nics
from native.services.periodic import PeriodicTask
from native.services.runtime import Runtime
from native.services.stores import pool_driver
from native.services.tags import remove_tags_of
from native.services.vm_states import VmEvent, VmState, transition
from native.services.volume_provisioning import release_template_copies

log = logging.getLogger(__name__)

UNCOUNTED_VOLUME_STATES = ("Destroy", "Expunging", "Expunged")
BATCH = 50


def release_vm_limits(session: Session, *, vm: VirtualMachine) -> None:
    """Give back the VM's USER_VM, CPU and MEMORY counts."""
    owner = session.get(Account, vm.account_id)
    assert owner is not None
    for resource, amount in (
        (ResourceType.USER_VM, 1),
        (ResourceType.CPU, vm.cpu_number),
        (ResourceType.MEMORY, vm.memory),
    ):
        limits.release(session, account=owner, resource=resource, amount=amount)


def release_volume_limits(session: Session, *, volume: Volume) -> None:
    """Give back the volume's VOLUME and PRIMARY_STORAGE counts."""
    owner = session.get(Account, volume.account_id)
    assert owner is not None
    limits.release(session, account=owner, resource=ResourceType.VOLUME, amount=1)
    limits.release(
        session, account=owner, resource=ResourceType.PRIMARY_STORAGE, amount=volume.size
    )


def _set_volume(session: Session, volume: Volume, **values: object) -> None:
    session.execute(
        update(Volume)
        .where(Volume.id == volume.id)
        .values(update_count=Volume.update_count + 1, **values)
        .execution_options(synchronize_session=False)
    )


def _begin(session: Session, *, vm: VirtualMachine, keep_data_disks: bool) -> None:
    """Expunging, with every limit still held by the VM and its doomed volumes released."""
    if vm.state == VmState.STOPPED:
        release_vm_limits(session, vm=vm)
    transition(session, vm=vm, event=VmEvent.EXPUNGE_OPERATION)
    for volume in session.scalars(
        select(Volume).where(Volume.vm_id == vm.id, Volume.removed.is_(None))
    ):
        if keep_data_disks and volume.volume_type == "DATADISK":
            _set_volume(session, volume, vm_id=None, device_id=None)
            continue
        if volume.state not in UNCOUNTED_VOLUME_STATES:
            release_volume_limits(session, volume=volume)
        _set_volume(session, volume, state="Expunging")


def _delete_volume(session: Session, runtime: Runtime, *, volume: Volume) -> None:
    """Delete an Expunging volume's data (no transaction held meanwhile), then its row."""
    pool = None if volume.pool_id is None else session.get(StoragePool, volume.pool_id)
    session.commit()
    if pool is not None and volume.path is not None:
        try:
            pool_driver(runtime, pool).delete(path=volume.path)
        except StorageError as exc:
            raise ResourceUnavailable(
                f"Unable to delete volume {volume.name} from pool {pool.name}: {exc}"
            ) from None
    if pool is not None:
        capacity.release_pool(session, pool_id=pool.id, size=volume.size)
    for policy_id in session.scalars(
        select(SnapshotPolicy.id).where(SnapshotPolicy.volume_id == volume.id)
    ).all():
        remove_tags_of(session, resource_type="SnapshotPolicy", resource_id=policy_id)
    session.execute(delete(SnapshotPolicy).where(SnapshotPolicy.volume_id == volume.id))
    remove_tags_of(session, resource_type="Volume", resource_id=volume.id)
    _set_volume(session, volume, state="Expunged", removed=utcnow(), vm_id=None, device_id=None)
    session.commit()
    template = None if volume.template_id is None else session.get(Template, volume.template_id)
    if template is not None:
        release_template_copies(session, runtime, template=template)


def expunge_vm(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, keep_data_disks: bool = True
) -> None:
    """Expunge a Stopped, Destroyed, Error or half-expunged VM and commit.

    Its root volume (and data disks unless `keep_data_disks`, which detaches them) loses
    its data and pool space; limits still held are released; affinity memberships, NICs
    (and the rules and memberships that named them), VM snapshots and tags go; the VM row
    is kept, removed. 431 for a VM that runs; on a
    storage failure (534) the VM stays Expunging for the expunge task to finish.
    """
    if vm.state not in (VmState.STOPPED, VmState.DESTROYED, VmState.ERROR, VmState.EXPUNGING):
        raise InvalidParameterValue(
            f"VM {vm.instance_name} ({vm.uuid}) is in state {vm.state}, cannot expunge it",
            uuids=[vm.uuid],
        )
    _begin(session, vm=vm, keep_data_disks=keep_data_disks)
    session.commit()
    doomed = session.scalars(
        select(Volume).where(
            Volume.vm_id == vm.id, Volume.removed.is_(None), Volume.state == "Expunging"
        )
    ).all()
    for volume in doomed:
        _delete_volume(session, runtime, volume=volume)
    session.execute(delete(AffinityGroupVm).where(AffinityGroupVm.vm_id == vm.id))
    touched_routers = vm_nics.release_vm(session, vm=vm)
    session.execute(
        update(VmSnapshot)
        .where(VmSnapshot.vm_id == vm.id, VmSnapshot.removed.is_(None))
        .values(removed=utcnow(), state="Expunging")
        .execution_options(synchronize_session=False)
    )
    remove_tags_of(session, resource_type="UserVm", resource_id=vm.id)
    vm.removed = utcnow()
    vm.host_id = None
    session.commit()
    vm_nics.reapply(session, runtime, router_ids=touched_routers)


def expunge_due(runtime: Runtime) -> None:
    """One round of the expunge task: VMs Destroyed longer than `expunge.delay`, and VMs a
    failure left Expunging. Each VM is done on its own; a failure is logged and retried."""
    with runtime.db.session(write=False) as session:
        delay = int(runtime.settings.get(session, "expunge.delay"))
        cutoff = utcnow() - dt.timedelta(seconds=delay)
        due = session.scalars(
            select(VirtualMachine.id)
            .where(
                VirtualMachine.removed.is_(None),
                or_(
                    (VirtualMachine.state == VmState.DESTROYED.value)
                    & (VirtualMachine.last_updated <= cutoff),
                    VirtualMachine.state == VmState.EXPUNGING.value,
                ),
            )
            .order_by(VirtualMachine.id)
            .limit(BATCH)
        ).all()
    for vm_id in due:
        try:
            with runtime.db.session() as session:
                vm = session.get(VirtualMachine, vm_id)
                if vm is not None and vm.removed is None:
                    expunge_vm(session, runtime, vm=vm)
        except CloudError as error:
            log.warning("expunging VM %d failed: %s", vm_id, error.text)


EXPUNGE_TASK = PeriodicTask(
    name="vm.expunge",
    interval=lambda runtime: float(_setting(runtime, "expunge.interval")),
    run=expunge_due,
)


def _setting(runtime: Runtime, name: str) -> int:
    with runtime.db.session(write=False) as session:
        return int(runtime.settings.get(session, name))
