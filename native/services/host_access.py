"""How the orchestrator reaches a host row through its hypervisor driver."""

from __future__ import annotations

from native.drivers.hypervisor.base import HostAccess, HypervisorDriver
from native.model import Host
from native.services.runtime import Runtime


def host_access(runtime: Runtime, host: Host) -> HostAccess:
    """The driver-level address of a host, its stored password decrypted."""
    return HostAccess(
        url=host.url,
        username=host.username,
        password=None if host.password is None else runtime.secrets.open(host.password),
        guid=host.guid,
    )


def host_driver(runtime: Runtime, host: Host) -> HypervisorDriver:
    """The driver of the host's hypervisor type."""
    return runtime.drivers.hypervisor(host.hypervisor_type)
