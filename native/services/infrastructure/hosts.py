"""Hosts: adding them through their hypervisor driver, updating, reconnecting and removing.

A host row exists only for a host its driver connected to: `add_host` commits its checks,
calls the driver with no transaction open, and undoes the connection if recording the
host then fails (see `native.services.steps`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DriverError, HostAccess, HostInfo, HypervisorDriver
from native.model import Cluster, Host, VirtualMachine, utcnow
from native.services.errors import (
    InvalidParameterValue,
    ResourceInUse,
    ResourceUnavailable,
)
from native.services.host_access import host_access, host_driver
from native.services.infrastructure.common import nonblank, soft_delete
from native.services.infrastructure.pods import allocate_pod_ip
from native.services.runtime import Runtime
from native.services.steps import Steps

log = logging.getLogger(__name__)

ACTIVE_VM_STATES = frozenset({"Starting", "Running", "Stopping", "Migrating"})
"""VM states in which a domain may exist on the host: such a host is never removed."""

RESOURCE_STATES = {
    "enable": "Enabled",
    "enabled": "Enabled",
    "disable": "Disabled",
    "disabled": "Disabled",
}
"""updateHost's `allocationstate` values (addHost's Enabled/Disabled too) and the resource
states they set."""


def driver_failure(
    error: DriverError, *, action: str
) -> InvalidParameterValue | ResourceUnavailable:
    """A driver error as the API reports it: 431 for bad input, 534 for an unreachable host."""
    text = f"Unable to {action}: {error}"
    return ResourceUnavailable(text) if error.retryable else InvalidParameterValue(text)


def normalise_tags(tags: str | None) -> str | None:
    """A comma-separated tag list trimmed, without empty or repeated tags (None if empty)."""
    seen: list[str] = []
    for tag in (tags or "").split(","):
        if tag.strip() and tag.strip() not in seen:
            seen.append(tag.strip())
    return ",".join(seen) or None


@dataclass(frozen=True, kw_only=True)
class NewHost:
    """What addHost was given: the host's URL, its credentials and its tags."""

    url: str
    username: str | None = None
    password: str | None = None
    host_tags: str | None = None


def add_host(session: Session, runtime: Runtime, *, cluster: Cluster, new: NewHost) -> Host:
    """Connect a host of the cluster's hypervisor type and record it Up and Enabled.

    Its private IP is the one the driver reports, else the next free one of the pod's range.
    431 for a URL already added, a host already known by its guid, or a URL the driver
    rejects; 534 when the driver cannot reach the host; 533 when the pod has no free IP.
    On any failure the driver forgets the host again and no row is left.
    """
    url = nonblank(new.url, what="host url")
    if session.scalars(select(Host.id).where(Host.url == url, Host.removed.is_(None))).first():
        raise InvalidParameterValue(f"A host with url {url} has already been added")
    try:
        driver = runtime.drivers.hypervisor(cluster.hypervisor_type)
    except DriverError as error:
        raise InvalidParameterValue(str(error)) from None
    access = HostAccess(url=url, username=new.username, password=new.password)
    with Steps(session) as steps:
        steps.commit()
        try:
            info = driver.connect(access)
        except DriverError as error:
            raise driver_failure(error, action=f"add host {url}") from None
        steps.on_undo(lambda undo: _forget_unless_known(undo, driver, access, info.guid))
        host = _record(session, runtime, cluster=cluster, new=new, url=url, info=info)
        steps.commit()
        steps.done()
    return host


def _forget_unless_known(
    session: Session, driver: HypervisorDriver, access: HostAccess, guid: str
) -> None:
    known = session.scalars(select(Host.id).where(Host.guid == guid)).first()
    if known is None:
        driver.disconnect(access)


def _record(
    session: Session, runtime: Runtime, *, cluster: Cluster, new: NewHost, url: str, info: HostInfo
) -> Host:
    if session.scalars(select(Host.id).where(Host.guid == info.guid)).first() is not None:
        raise InvalidParameterValue(f"The host at {url} (guid {info.guid}) is already added")
    now = utcnow()
    host = Host(
        name=info.name,
        guid=info.guid,
        zone_id=cluster.zone_id,
        pod_id=cluster.pod_id,
        cluster_id=cluster.id,
        hypervisor_type=cluster.hypervisor_type,
        hypervisor_version=info.hypervisor_version,
        url=url,
        username=new.username,
        password=None if new.password is None else runtime.secrets.seal(new.password),
        private_ip=info.private_ip or allocate_pod_ip(session, pod=cluster.pod),
        status="Up",
        resource_state="Enabled",
        cpu_sockets=info.cpu_sockets,
        cpu_number=info.cpu_number,
        cpu_speed=info.cpu_speed,
        memory_total=info.memory,
        host_tags=normalise_tags(new.host_tags),
        capabilities=",".join(info.capabilities) or None,
        last_ping=now,
        owner_msid=runtime.msid,
    )
    session.add(host)
    session.flush()
    return host


def update_host(
    session: Session,
    *,
    host: Host,
    name: str | None,
    host_tags: str | None,
    allocation_state: str | None,
) -> Host:
    """Rename a host, replace its tags (an empty string clears them), or Enable/Disable it.

    Disabling keeps its VMs running; the planner places no new VM on it. A host in (or
    going into) maintenance cannot be enabled or disabled here (431).
    """
    if name is not None:
        host.name = nonblank(name, what="host name")
    if host_tags is not None:
        host.host_tags = normalise_tags(host_tags)
    if allocation_state is not None:
        state = RESOURCE_STATES.get(allocation_state.strip().lower())
        if state is None:
            raise InvalidParameterValue(
                f"Invalid allocation state {allocation_state!r}: use Enable or Disable"
            )
        if host.resource_state not in RESOURCE_STATES.values():
            raise InvalidParameterValue(
                f"Host {host.name} is in resource state {host.resource_state}; "
                "cancel its maintenance first"
            )
        host.resource_state = state
    session.flush()
    return host


def delete_host(session: Session, runtime: Runtime, *, host: Host, forced: bool) -> None:
    """Remove a host and make its driver forget it.

    536 while VMs are placed on it, unless `forced`; even forced, a host with VMs that
    may be running (Starting, Running, Stopping, Migrating) is refused. A forced delete
    detaches the remaining (stopped) VMs from the host. If the driver cannot forget the
    host, the delete is undone (534) unless forced.
    """
    placed = select(VirtualMachine.state).where(
        VirtualMachine.host_id == host.id, VirtualMachine.removed.is_(None)
    )
    states = set(session.scalars(placed))
    if states & ACTIVE_VM_STATES:
        raise ResourceInUse(
            f"Cannot delete host {host.name}: it has running VMs; stop or migrate them first"
        )
    if states and not forced:
        raise ResourceInUse(
            f"Cannot delete host {host.name}: it has VMs; use forced=true to delete it anyway"
        )
    access, driver = host_access(runtime, host), host_driver(runtime, host)
    with Steps(session) as steps:
        session.execute(
            update(VirtualMachine)
            .where(VirtualMachine.host_id == host.id, VirtualMachine.removed.is_(None))
            .values(host_id=None)
            .execution_options(synchronize_session=False)
        )
        guid, private_ip = host.guid, host.private_ip
        host.guid = f"{guid}#removed:{host.uuid}"
        host.private_ip = None
        soft_delete(host)
        session.flush()
        steps.on_undo(lambda undo: _restore(undo, host.id, guid, private_ip))
        steps.commit()
        try:
            driver.disconnect(access)
        except DriverError as error:
            if not forced:
                raise ResourceUnavailable(
                    f"Unable to delete host {host.name}: {error}; use forced=true to remove it"
                ) from None
            log.warning(
                "host %s removed though its driver failed to forget it: %s", host.uuid, error
            )
        steps.done()


def _restore(session: Session, host_id: int, guid: str, private_ip: str | None) -> None:
    session.execute(
        update(Host)
        .where(Host.id == host_id)
        .values(guid=guid, private_ip=private_ip, removed=None)
        .execution_options(synchronize_session=False)
    )


def reconnect_host(session: Session, runtime: Runtime, *, host: Host) -> Host:
    """Connect to the host again and refresh what it reports; it is Up afterwards.

    534 (or 431 for a rejected URL) if the driver cannot connect; the host is then left
    as it was.
    """
    access, driver = host_access(runtime, host), host_driver(runtime, host)
    with Steps(session) as steps:
        steps.commit()
        try:
            info = driver.connect(access)
        except DriverError as error:
            raise driver_failure(error, action=f"reconnect host {host.name}") from None
        host.cpu_sockets, host.cpu_number = info.cpu_sockets, info.cpu_number
        host.cpu_speed, host.memory_total = info.cpu_speed, info.memory
        host.hypervisor_version = info.hypervisor_version
        host.capabilities = ",".join(info.capabilities) or None
        host.status, host.last_ping, host.disconnected = "Up", utcnow(), None
        host.owner_msid = runtime.msid
        session.flush()
        steps.done()
    return host


def configure_host(runtime: Runtime, *, host: Host, operation: str, value: str) -> None:
    """Change a host's test behaviour through its driver (the simulator's `configure`).

    431 if the driver refuses (an unknown setting, or a hypervisor that cannot be configured).
    """
    try:
        host_driver(runtime, host).configure(
            host_access(runtime, host), operation=operation, value=value
        )
    except DriverError as error:
        raise InvalidParameterValue(f"Unable to configure host {host.name}: {error}") from None
