"""Running VMs on hosts: start, stop, reboot, live migration, scaling, and host failures.

Every operation takes the caller's session and commits as it goes (`steps.Steps`): the
state change and the capacity it takes are committed before the driver is called, so no
transaction is held meanwhile, and a failure puts the VM back in its prior stable state
with nothing left reserved before the CloudError propagates.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DriverError, PowerState, VmSpec
from native.drivers.storage import disk_images
from native.drivers.storage.base import StorageError
from native.model import (
    DiskOffering,
    Host,
    ServiceOffering,
    StoragePool,
    Template,
    User,
    VirtualMachine,
    Volume,
)
from native.services import capacity, planner
from native.services.caller import Caller
from native.services.errors import (
    CloudError,
    InsufficientCapacity,
    InvalidParameterValue,
    ResourceUnavailable,
)
from native.services.events import record_event
from native.services.host_access import host_access, host_driver
from native.services.network import vm_nics
from native.services.runtime import Runtime
from native.services.steps import Steps, Undo
from native.services.stores import pool_driver, tag_set, volume_disk
from native.services.vm_states import VmEvent, VmState, transition
from native.services.volume_provisioning import (
    TemplateSource,
    delete_volume_data,
    ready_template_copy,
    release_pool_of,
    reserve_pool_for,
    write_volume_data,
)

log = logging.getLogger(__name__)

READY = "Ready"
ALLOCATED = "Allocated"


def vm_cpu(vm: VirtualMachine) -> int:
    """The MHz the VM reserves on its host."""
    return vm.cpu_number * vm.cpu_speed


def vm_volumes(session: Session, vm: VirtualMachine) -> list[Volume]:
    """The VM's live volumes, root first, then by device number."""
    return list(
        session.scalars(
            select(Volume)
            .where(Volume.vm_id == vm.id, Volume.removed.is_(None))
            .order_by(Volume.device_id, Volume.id)
        )
    )


def iso_path(session: Session, *, iso_id: int | None, zone_id: int) -> str | None:
    """Where a host finds the ISO: its downloaded copy on an image store of the zone."""
    if iso_id is None:
        return None
    copy = ready_template_copy(session, template_id=iso_id, zone_id=zone_id)
    if copy is None or copy[1].install_path is None:
        return None
    store, stored = copy
    return f"{store.url.rstrip('/')}/{stored.install_path}"


def vm_spec(session: Session, vm: VirtualMachine) -> VmSpec:
    """What a host needs to run the VM: its size, its Ready volumes on their pools (as
    paths below each pool's root), its NICs, its ISO and its user data."""
    volumes = [
        volume
        for volume in vm_volumes(session, vm)
        if volume.state == READY and volume.pool_id is not None and volume.path is not None
    ]
    pools = {
        pool.id: pool
        for pool in session.scalars(
            select(StoragePool).where(StoragePool.id.in_({v.pool_id for v in volumes}))
        )
    }
    disks = tuple(
        volume_disk(pools[volume.pool_id], volume)
        for volume in volumes
        if volume.pool_id is not None
    )
    details = json.loads(vm.details or "{}")
    return VmSpec(
        name=vm.instance_name,
        uuid=vm.uuid,
        cpu_number=vm.cpu_number,
        cpu_speed=vm.cpu_speed,
        memory=vm.memory,
        disks=disks,
        nics=vm_nics.nic_specs(session, vm_id=vm.id),
        iso_path=iso_path(session, iso_id=vm.iso_id, zone_id=vm.zone_id),
        user_data=vm.user_data,
        details={str(key): str(value) for key, value in details.items()},
    )


def _undo_transition(event: VmEvent, vm_id: int) -> Undo:
    def undo(session: Session) -> None:
        vm = session.get(VirtualMachine, vm_id)
        assert vm is not None
        session.refresh(vm)
        transition(session, vm=vm, event=event)

    return undo


def _undo_reservation(host_id: int, cpu: int, memory_mib: int) -> Undo:
    def undo(session: Session) -> None:
        capacity.release_host(session, host_id=host_id, cpu=cpu, memory_mib=memory_mib)

    return undo


def release_placement(session: Session, vm: VirtualMachine) -> None:
    """Give back the VM's host capacity and forget its host (keeping `last_host_id`)."""
    if vm.host_id is not None:
        capacity.release_host(session, host_id=vm.host_id, cpu=vm_cpu(vm), memory_mib=vm.memory)
        vm.last_host_id = vm.host_id
        vm.host_id = None
    vm.power_state = PowerState.OFF.value
    session.flush()


def _hypervisor(vm: VirtualMachine) -> str | None:
    return None if vm.hypervisor_type in ("", "None", "Any") else vm.hypervisor_type


def placement_request(
    session: Session,
    vm: VirtualMachine,
    *,
    host_id: int | None = None,
    cluster_id: int | None = None,
    avoid: frozenset[int] = frozenset(),
) -> planner.PlacementRequest:
    """What the planner needs to place the VM: its size and tags, the volumes still to
    create, and the cluster its cluster-scoped volumes already tie it to."""
    offering = session.get(ServiceOffering, vm.service_offering_id)
    assert offering is not None
    volumes = vm_volumes(session, vm)
    pool_ids = {volume.pool_id for volume in volumes if volume.state == READY}
    tied = {
        cluster
        for cluster in session.scalars(
            select(StoragePool.cluster_id).where(
                StoragePool.id.in_(pool_ids), StoragePool.cluster_id.is_not(None)
            )
        )
        if cluster is not None
    }
    if cluster_id is None and tied:
        cluster_id = min(tied)
    return planner.PlacementRequest(
        zone_id=vm.zone_id,
        account_id=vm.account_id,
        vm_id=vm.id,
        cpu=vm_cpu(vm),
        memory_mib=vm.memory,
        host_tags=tag_set(offering.host_tags),
        storage_tags=tag_set(offering.storage_tags),
        volume_bytes=max((v.size for v in volumes if v.state == ALLOCATED), default=0),
        hypervisor_type=_hypervisor(vm),
        host_id=host_id,
        cluster_id=cluster_id,
        avoid_host_ids=avoid,
    )


def _reserve_first(
    session: Session, runtime: Runtime, vm: VirtualMachine, host_ids: list[int]
) -> Host | None:
    """The first of the planned hosts that the VM's CPU and memory could be reserved on."""
    for host_id in host_ids:
        host = session.get(Host, host_id)
        if host is not None and capacity.reserve_host(
            session, runtime.settings, host=host, cpu=vm_cpu(vm), memory_mib=vm.memory
        ):
            return host
    return None


def _volume_tags(session: Session, vm: VirtualMachine, volume: Volume) -> frozenset[str]:
    if volume.volume_type == "ROOT" or volume.disk_offering_id is None:
        offering = session.get(ServiceOffering, vm.service_offering_id)
        return tag_set(None if offering is None else offering.storage_tags)
    disk_offering = session.get(DiskOffering, volume.disk_offering_id)
    return tag_set(None if disk_offering is None else disk_offering.tags)


def _undo_volume(volume_id: int) -> Undo:
    def undo(session: Session) -> None:
        volume = session.get(Volume, volume_id)
        assert volume is not None
        release_pool_of(session, volume=volume)
        volume.state = ALLOCATED
        volume.path = None
        volume.update_count += 1

    return undo


def _undo_volume_data(runtime: Runtime, pool_id: int, path: str) -> Undo:
    def undo(session: Session) -> None:
        pool = session.get(StoragePool, pool_id)
        assert pool is not None
        delete_volume_data(runtime, pool=pool, path=path)

    return undo


def _create_volume(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    volume: Volume,
    host: Host,
    steps: Steps,
) -> None:
    template = None
    if volume.template_id is not None:
        template = _template_source(session, template_id=volume.template_id, zone_id=vm.zone_id)
        if template is None:
            raise ResourceUnavailable(
                f"The template of volume {volume.name} is not ready in the VM's zone",
                uuids=[vm.uuid],
            )
    pool = reserve_pool_for(
        session,
        runtime,
        volume=volume,
        zone_id=vm.zone_id,
        cluster_id=host.cluster_id,
        tags=_volume_tags(session, vm, volume),
        template=template,
    )
    steps.on_undo(_undo_volume(volume.id))
    steps.commit()
    placed = write_volume_data(
        runtime, volume_uuid=volume.uuid, size=volume.size, pool=pool, template=template
    )
    steps.on_undo(_undo_volume_data(runtime, pool.id, placed.path))
    if template is not None:
        _grow(runtime, pool=pool, path=placed.path, image_format=placed.format, size=volume.size)
    volume.path = placed.path
    volume.format = placed.format
    volume.state = READY
    volume.update_count += 1
    steps.commit()


def _template_source(session: Session, *, template_id: int, zone_id: int) -> TemplateSource | None:
    """The template and its ready copy on an image store of the zone, if there is one."""
    found = ready_template_copy(session, template_id=template_id, zone_id=zone_id)
    template = session.get(Template, template_id)
    if found is None or template is None:
        return None
    return TemplateSource(
        uuid=template.uuid,
        format=template.format,
        hypervisor=template.hypervisor_type,
        store=found[0],
        copy=found[1],
    )


def _grow(runtime: Runtime, *, pool: StoragePool, path: str, image_format: str, size: int) -> None:
    try:
        disk_images.grow(
            pool_driver(runtime, pool), path=path, image_format=image_format, size=size
        )
    except StorageError as exc:
        raise ResourceUnavailable(f"Unable to resize volume on pool {pool.name}: {exc}") from None


def _prepare_volumes(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, host: Host, steps: Steps
) -> None:
    """Create the VM's Allocated volumes on pools the host reaches (undone by `steps`)."""
    for volume in vm_volumes(session, vm):
        if volume.state == ALLOCATED:
            _create_volume(session, runtime, vm=vm, volume=volume, host=host, steps=steps)


def _try_host(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, host_ids: list[int], steps: Steps
) -> Host:
    """Reserve the first host with room, create the volumes and start the VM there.

    DriverError if the host failed to start it (its reservation is then given back).
    """
    with Steps(session) as attempt:
        host = _reserve_first(session, runtime, vm, host_ids)
        if host is None:
            raise InsufficientCapacity(
                f"Unable to create a deployment for VM {vm.instance_name}: the suitable hosts "
                "were taken by other deployments",
                uuids=[vm.uuid],
            )
        attempt.on_undo(_undo_reservation(host.id, vm_cpu(vm), vm.memory))
        attempt.commit()
        _prepare_volumes(session, runtime, vm=vm, host=host, steps=steps)
        spec, access = vm_spec(session, vm), host_access(runtime, host)
        driver = host_driver(runtime, host)
        attempt.commit()
        try:
            driver.start_vm(access, spec)
        except DriverError as exc:
            raise _HostFailed(host, exc) from None
        attempt.done()
    steps.on_undo(_undo_reservation(host.id, vm_cpu(vm), vm.memory))
    steps.on_undo(_undo_driver_start(runtime, host.id, vm.instance_name))
    return host


class _HostFailed(Exception):
    def __init__(self, host: Host, error: DriverError) -> None:
        super().__init__(str(error))
        self.host = host
        self.error = error


def _undo_driver_start(runtime: Runtime, host_id: int, name: str) -> Undo:
    def undo(session: Session) -> None:
        host = session.get(Host, host_id)
        assert host is not None
        try:
            host_driver(runtime, host).stop_vm(host_access(runtime, host), name, force=True)
        except DriverError:
            log.warning("could not stop %s on host %s while undoing its start", name, host.name)

    return undo


def _start_somewhere(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    host_id: int | None,
    avoid: set[int],
    steps: Steps,
) -> Host:
    failure: CloudError | None = None
    while True:
        request = placement_request(session, vm, host_id=host_id, avoid=frozenset(avoid))
        try:
            host_ids = planner.plan(session, runtime.settings, request=request)
            return _try_host(session, runtime, vm=vm, host_ids=host_ids, steps=steps)
        except InsufficientCapacity:
            if failure is not None:
                raise failure from None
            raise
        except _HostFailed as failed:
            log.warning(
                "starting %s on host %s failed: %s",
                vm.instance_name,
                failed.host.name,
                failed.error,
            )
            avoid.add(failed.host.id)
            failure = ResourceUnavailable(
                f"Unable to start VM {vm.instance_name} on host {failed.host.name}: {failed.error}",
                uuids=[vm.uuid],
            )


def start_vm(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    host_id: int | None = None,
    avoid_host_ids: frozenset[int] = frozenset(),
) -> None:
    """Start a Stopped VM: implement its networks, place it (on `host_id` if given), create
    its Allocated volumes, start it through the driver, trying other hosts when one fails;
    Running on success.

    On failure the VM is Stopped again with no host capacity or new volume space held:
    InsufficientCapacity (533) when no host fits, ResourceUnavailable (534) when the
    driver failed on every host tried, 431 when the VM is not Stopped.
    """
    transition(session, vm=vm, event=VmEvent.START_REQUESTED)
    with Steps(session) as steps:
        steps.on_undo(_undo_transition(VmEvent.OPERATION_FAILED, vm.id))
        steps.commit()
        vm_nics.implement_for_vm(session, runtime, vm=vm)
        host = _start_somewhere(
            session, runtime, vm=vm, host_id=host_id, avoid=set(avoid_host_ids), steps=steps
        )
        vm.host_id = host.id
        vm.last_host_id = host.id
        vm.pod_id = host.pod_id
        vm.hypervisor_type = host.hypervisor_type
        vm.power_state = PowerState.ON.value
        transition(session, vm=vm, event=VmEvent.OPERATION_SUCCEEDED)
        steps.commit()
        steps.done()


def _running_host(session: Session, vm: VirtualMachine) -> Host:
    host = None if vm.host_id is None else session.get(Host, vm.host_id)
    if host is None:
        raise ResourceUnavailable(f"VM {vm.instance_name} has no host", uuids=[vm.uuid])
    return host


def stop_vm(session: Session, runtime: Runtime, *, vm: VirtualMachine, force: bool = False) -> None:
    """Stop a Running VM and give back its host capacity; a Stopped VM is left as it is.

    With `force` the VM is taken as stopped even if its host does not answer. Otherwise a
    driver failure leaves it Running and raises ResourceUnavailable (534).
    """
    if vm.state == VmState.STOPPED:
        return
    transition(session, vm=vm, event=VmEvent.STOP_REQUESTED)
    with Steps(session) as steps:
        steps.on_undo(_undo_transition(VmEvent.OPERATION_FAILED, vm.id))
        host = _running_host(session, vm)
        driver, access = host_driver(runtime, host), host_access(runtime, host)
        steps.commit()
        try:
            driver.stop_vm(access, vm.instance_name, force=force)
        except DriverError as exc:
            if not force:
                raise ResourceUnavailable(
                    f"Unable to stop VM {vm.instance_name} on host {host.name}: {exc}",
                    uuids=[vm.uuid],
                ) from None
            log.warning(
                "forced stop of %s: host %s did not answer: %s", vm.instance_name, host.name, exc
            )
        release_placement(session, vm)
        transition(session, vm=vm, event=VmEvent.OPERATION_SUCCEEDED)
        steps.commit()
        steps.done()


def reboot_vm(session: Session, runtime: Runtime, *, vm: VirtualMachine) -> None:
    """Reboot a Running VM in place; ResourceUnavailable (534) if the host fails to."""
    transition(session, vm=vm, event=VmEvent.REBOOT_REQUESTED)
    host = _running_host(session, vm)
    driver, access = host_driver(runtime, host), host_access(runtime, host)
    session.commit()
    try:
        driver.reboot_vm(access, vm.instance_name)
    except DriverError as exc:
        raise ResourceUnavailable(
            f"Unable to reboot VM {vm.instance_name} on host {host.name}: {exc}", uuids=[vm.uuid]
        ) from None


def migrate_vm(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    target_host_id: int | None = None,
    avoid_host_ids: frozenset[int] = frozenset(),
) -> Host:
    """Live-migrate a Running VM to `target_host_id`, or to the host the planner picks in
    the VM's cluster; returns the new host.

    The target's capacity is reserved before the driver moves the VM, the source's given
    back after. On failure the VM runs on its source host as before and nothing is held:
    533 when no host fits, 534 when the driver failed, 431 when the VM is not Running.
    """
    source = _running_host(session, vm)
    if target_host_id == source.id:
        raise InvalidParameterValue(
            f"VM {vm.instance_name} already runs on host {source.name}", uuids=[vm.uuid]
        )
    cluster_id = source.cluster_id if target_host_id is None else None
    request = placement_request(
        session,
        vm,
        host_id=target_host_id,
        cluster_id=cluster_id,
        avoid=frozenset(avoid_host_ids | {source.id}),
    )
    transition(session, vm=vm, event=VmEvent.MIGRATION_REQUESTED)
    with Steps(session) as steps:
        steps.on_undo(_undo_transition(VmEvent.OPERATION_FAILED, vm.id))
        target = _reserve_first(
            session, runtime, vm, planner.plan(session, runtime.settings, request=request)
        )
        if target is None:
            raise InsufficientCapacity(
                f"Unable to migrate VM {vm.instance_name}: the suitable hosts were taken",
                uuids=[vm.uuid],
            )
        steps.on_undo(_undo_reservation(target.id, vm_cpu(vm), vm.memory))
        spec = vm_spec(session, vm)
        driver = host_driver(runtime, source)
        source_access, target_access = host_access(runtime, source), host_access(runtime, target)
        steps.commit()
        try:
            driver.migrate_vm(source_access, target_access, spec)
        except DriverError as exc:
            raise ResourceUnavailable(
                f"Unable to migrate VM {vm.instance_name} to host {target.name}: {exc}",
                uuids=[vm.uuid],
            ) from None
        capacity.release_host(session, host_id=source.id, cpu=vm_cpu(vm), memory_mib=vm.memory)
        vm.host_id = target.id
        vm.last_host_id = target.id
        vm.pod_id = target.pod_id
        transition(session, vm=vm, event=VmEvent.OPERATION_SUCCEEDED)
        steps.commit()
        steps.done()
    return target


def scale_vm(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    offering: ServiceOffering,
    cpu_number: int,
    cpu_speed: int,
    memory: int,
) -> None:
    """Give the VM a new offering and size; a Running VM is resized on its host.

    A Running VM's host must have room for the growth (533 otherwise); the capacity it
    then holds is exactly the new size. A driver failure (534) leaves the old size.
    """
    if vm.state != VmState.RUNNING:
        vm.service_offering_id = offering.id
        vm.cpu_number, vm.cpu_speed, vm.memory = cpu_number, cpu_speed, memory
        session.flush()
        return
    host = _running_host(session, vm)
    cpu_delta = cpu_number * cpu_speed - vm_cpu(vm)
    memory_delta = memory - vm.memory
    transition(session, vm=vm, event=VmEvent.OPERATION_SUCCEEDED)
    with Steps(session) as steps:
        grow_cpu, grow_memory = max(cpu_delta, 0), max(memory_delta, 0)
        if not capacity.reserve_host(
            session, runtime.settings, host=host, cpu=grow_cpu, memory_mib=grow_memory
        ):
            raise InsufficientCapacity(
                f"Host {host.name} has no room to scale VM {vm.instance_name}", uuids=[vm.uuid]
            )
        steps.on_undo(_undo_reservation(host.id, grow_cpu, grow_memory))
        driver, access = host_driver(runtime, host), host_access(runtime, host)
        steps.commit()
        try:
            driver.scale_vm(access, vm.instance_name, cpu_number=cpu_number, memory=memory)
        except DriverError as exc:
            raise ResourceUnavailable(
                f"Unable to scale VM {vm.instance_name} on host {host.name}: {exc}",
                uuids=[vm.uuid],
            ) from None
        capacity.release_host(
            session, host_id=host.id, cpu=max(-cpu_delta, 0), memory_mib=max(-memory_delta, 0)
        )
        vm.service_offering_id = offering.id
        vm.cpu_number, vm.cpu_speed, vm.memory = cpu_number, cpu_speed, memory
        steps.commit()
        steps.done()


def owner_caller(session: Session, vm: VirtualMachine) -> Caller:
    """The user who deployed the VM, as a caller: system actions on the VM are recorded on
    its account so that the owner sees them."""
    user = session.get(User, vm.user_id)
    assert user is not None
    return Caller.of(user)


def mark_stopped_after_host_failure(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, reason: str
) -> None:
    """Record that a VM whose host went Down is no longer running: state Stopped, its host
    capacity given back, `host_id` cleared (`last_host_id` kept), an event recorded.

    No driver is called; nothing is committed (the caller's transaction holds it).
    """
    transition(session, vm=vm, event=VmEvent.AGENT_REPORT_STOPPED)
    release_placement(session, vm)
    record_event(
        session,
        caller=owner_caller(session, vm),
        event_type="VM.STOP",
        level="WARN",
        description=f"VM {vm.instance_name} ({vm.uuid}) stopped: {reason}",
        resource_type="VirtualMachine",
        resource_id=vm.uuid,
    )


def _undo_pool(pool_id: int, size: int) -> Undo:
    def undo(session: Session) -> None:
        capacity.release_pool(session, pool_id=pool_id, size=size)

    return undo


def move_volumes(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    moves: list[tuple[Volume, StoragePool]],
) -> None:
    """Move Ready volumes of a Stopped VM to other pools of its zone (data copied, then the
    source freed). On failure every volume stays where it was and nothing is held:
    533 when a target has no room, 534 when copying fails, 431 for a bad request."""
    for volume, pool in moves:
        if volume.vm_id != vm.id or volume.state != READY or volume.path is None:
            raise InvalidParameterValue(f"Volume {volume.uuid} is not a Ready volume of the VM")
        if pool.zone_id != vm.zone_id or pool.status != "Up" or pool.id == volume.pool_id:
            raise InvalidParameterValue(
                f"Storage pool {pool.uuid} is not a suitable destination for volume {volume.uuid}"
            )
    transition(session, vm=vm, event=VmEvent.STORAGE_MIGRATION_REQUESTED)
    sources: list[tuple[int, str, int]] = []
    with Steps(session) as steps:
        steps.on_undo(_undo_transition(VmEvent.STORAGE_MIGRATION_DONE, vm.id))
        for volume, pool in moves:
            source = session.get(StoragePool, volume.pool_id)
            assert source is not None and volume.path is not None
            if not capacity.reserve_pool(session, runtime.settings, pool=pool, size=volume.size):
                raise InsufficientCapacity(
                    f"Storage pool {pool.name} has no room for volume {volume.name}"
                )
            steps.on_undo(_undo_pool(pool.id, volume.size))
            path = volume.path
            steps.commit()
            try:
                pool_driver(runtime, source).copy_to(
                    source=path, target=pool_driver(runtime, pool), target_path=path
                )
            except StorageError as exc:
                raise ResourceUnavailable(
                    f"Unable to copy volume {volume.name} to pool {pool.name}: {exc}"
                ) from None
            steps.on_undo(_undo_volume_data(runtime, pool.id, path))
            sources.append((source.id, path, volume.size))
            volume.pool_id = pool.id
            volume.update_count += 1
            steps.commit()
        transition(session, vm=vm, event=VmEvent.STORAGE_MIGRATION_DONE)
        for pool_id, _, size in sources:
            capacity.release_pool(session, pool_id=pool_id, size=size)
        source_pools = {pool_id: session.get(StoragePool, pool_id) for pool_id, _, _ in sources}
        steps.commit()
        steps.done()
    for pool_id, path, _ in sources:
        source_pool = source_pools[pool_id]
        if source_pool is not None:
            delete_volume_data(runtime, pool=source_pool, path=path)
