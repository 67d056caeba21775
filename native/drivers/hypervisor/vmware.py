"""VMware vSphere hosts through pyvmomi: a skeleton that reads hosts and runs nothing.

What it does: reach an ESXi host, or a vCenter and one of its hosts, and report it (CPU,
memory, version, a guid from its hardware uuid), answer pings, and list the power states
and uuids of the host's VMs, so a VMware cluster's hosts can be added and watched. What
it does not: every operation that would make or change a VM raises a DriverError saying
so, which no retry elsewhere can cure, and every capability is False. Nothing pretends.

A host URL is `https://SERVER[:PORT][/HOST]` (or `http://`, which means the same: the
vSphere API is HTTPS only), SERVER being an ESXi host or a vCenter and HOST the name of the
ESXi host in its inventory (without it, the first host found). The host's username and
password log in. Certificates are not verified: appliances meet self-signed vSphere
certificates, as CloudStack's VMware plugin does.

It is there only where pyvmomi is installed (`pip install pyvmomi`); the appliance does
not install it. It has never been run against a real vSphere here: this machine has none.
"""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from native.drivers.hypervisor.base import (
    DiskSpec,
    DriverError,
    HostAccess,
    HostInfo,
    HypervisorDriver,
    PowerState,
    VmSpec,
)

CONNECT_TIMEOUT = 15
_POWER_STATES = {
    "poweredOn": PowerState.ON,
    "suspended": PowerState.ON,
    "poweredOff": PowerState.OFF,
}


def vsphere_address(host: HostAccess) -> tuple[str, int, str | None]:
    """The server, port and inventory host name a host URL names; DriverError otherwise."""
    parts = urlsplit(host.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DriverError(
            f"Invalid VMware host URL {host.url!r}: expected https://SERVER[:PORT][/HOST]",
            retryable=False,
        )
    try:
        port = parts.port or 443
    except ValueError:
        raise DriverError(
            f"Invalid port in VMware host URL {host.url!r}", retryable=False
        ) from None
    return parts.hostname, port, parts.path.strip("/") or None


def describe_host(host_system: Any, *, version: str) -> HostInfo:
    """A HostSystem's summary as the facts a host reports."""
    hardware = host_system.summary.hardware
    return HostInfo(
        guid=f"vmware-{hardware.uuid}",
        name=str(host_system.name),
        cpu_sockets=int(hardware.numCpuPkgs),
        cpu_number=int(hardware.numCpuCores),
        cpu_speed=int(hardware.cpuMhz),
        memory=int(hardware.memorySize),
        hypervisor_version=version,
    )


class VmwareDriver(HypervisorDriver):
    """Reads VMware hosts and runs nothing on them (see the module docstring)."""

    hypervisor_type = "VMware"
    capabilities: ClassVar[dict[str, bool]] = {
        "live_migration": False,
        "vm_snapshot": False,
        "memory_snapshot": False,
        "disk_vm_snapshot": False,
        "scale": False,
        "attach_volume": False,
    }

    @contextlib.contextmanager
    def _content(self, host: HostAccess) -> Iterator[Any]:
        """The service content of the host's vSphere API, logged in for the block."""
        server, port, _ = vsphere_address(host)
        try:
            instance = SmartConnect(  # type: ignore[no-untyped-call]
                host=server,
                port=port,
                user=host.username or "root",
                pwd=host.password or "",
                disableSslCertValidation=True,
                httpConnectionTimeout=CONNECT_TIMEOUT,
            )
        except vim.fault.InvalidLogin:
            raise DriverError(f"VMware host {server} refused the login", retryable=False) from None
        except (OSError, http.client.HTTPException, vmodl.MethodFault) as error:
            raise DriverError(f"Cannot reach VMware host {server}:{port}: {error}") from None
        try:
            yield instance.RetrieveContent()
        finally:
            with contextlib.suppress(OSError, http.client.HTTPException, vmodl.MethodFault):
                Disconnect(instance)  # type: ignore[no-untyped-call]

    def _host_system(self, content: Any, host: HostAccess) -> Any:
        _, _, wanted = vsphere_address(host)
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        try:
            systems = list(view.view)
        finally:
            view.Destroy()
        for system in systems:
            if wanted is None or system.name == wanted:
                return system
        raise DriverError(f"No ESXi host {wanted or ''} at {host.url}", retryable=False)

    def connect(self, host: HostAccess) -> HostInfo:
        with self._content(host) as content:
            system = self._host_system(content, host)
            return describe_host(system, version=str(content.about.version))

    def disconnect(self, host: HostAccess) -> None:
        del host

    def ping(self, host: HostAccess) -> bool:
        try:
            with self._content(host) as content:
                self._host_system(content, host)
        except DriverError:
            return False
        return True

    def vm_states(self, host: HostAccess) -> dict[str, PowerState]:
        with self._content(host) as content:
            return {
                str(vm.name): _POWER_STATES.get(str(vm.runtime.powerState), PowerState.UNKNOWN)
                for vm in self._host_system(content, host).vm
            }

    def vm_uuids(self, host: HostAccess) -> dict[str, str]:
        with self._content(host) as content:
            return {
                str(vm.name): str(vm.config.instanceUuid)
                for vm in self._host_system(content, host).vm
                if vm.config is not None
            }

    def _unsupported(self, what: str) -> DriverError:
        return DriverError(f"The VMware driver is a skeleton: it cannot {what}", retryable=False)

    def start_vm(self, host: HostAccess, spec: VmSpec) -> None:
        raise self._unsupported(f"start VM {spec.name}")

    def stop_vm(self, host: HostAccess, name: str, *, force: bool = False) -> None:
        """Stopping a VM the host does not have succeeds, as the interface requires."""
        if name in self.vm_states(host):
            raise self._unsupported(f"stop VM {name}")

    def reboot_vm(self, host: HostAccess, name: str) -> None:
        raise self._unsupported(f"reboot VM {name}")

    def migrate_vm(self, source: HostAccess, target: HostAccess, spec: VmSpec) -> None:
        raise self._unsupported(f"migrate VM {spec.name}")

    def scale_vm(self, host: HostAccess, name: str, *, cpu_number: int, memory: int) -> None:
        raise self._unsupported(f"scale VM {name}")

    def attach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        raise self._unsupported(f"attach a disk to VM {name}")

    def detach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        raise self._unsupported(f"detach a disk from VM {name}")

    def attach_iso(self, host: HostAccess, name: str, iso_path: str | None) -> None:
        raise self._unsupported(f"change the CD-ROM of VM {name}")

    def create_vm_snapshot(
        self, host: HostAccess, name: str, *, snapshot: str, memory: bool
    ) -> str:
        raise self._unsupported(f"snapshot VM {name}")

    def revert_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> PowerState:
        raise self._unsupported(f"revert VM {name} to a snapshot")

    def delete_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> None:
        raise self._unsupported(f"delete a snapshot of VM {name}")
