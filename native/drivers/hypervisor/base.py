"""The hypervisor driver interface every hypervisor (simulator, libvirt…) implements.

The orchestrator never talks to a hypervisor any other way. Drivers are stateless towards
the database: what they know about a host comes in a `HostAccess`, and what they report
comes back as plain data. Every method may raise `DriverError`; the post-condition of a
failed call is stated on each method.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from typing import ClassVar


class DriverError(Exception):
    """A hypervisor operation failed; `retryable` if trying again (elsewhere) may work."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class PowerState(enum.StrEnum):
    """What the hypervisor reports about a domain (CloudStack's `PowerState`)."""

    ON = "PowerOn"
    OFF = "PowerOff"
    UNKNOWN = "PowerUnknown"


@dataclass(frozen=True, kw_only=True)
class HostAccess:
    """How to reach one host: its URL and credentials, and the guid it reported."""

    url: str
    username: str | None = None
    password: str | None = None
    guid: str | None = None


@dataclass(frozen=True, kw_only=True)
class HostInfo:
    """What a host reports when it connects. `memory` is in bytes, `cpu_speed` in MHz."""

    guid: str
    name: str
    cpu_sockets: int
    cpu_number: int
    cpu_speed: int
    memory: int
    hypervisor_version: str
    private_ip: str | None = None
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DiskSpec:
    """One disk of a VM: the volume's path on primary storage, and its device number.
    With `nfs_server`, `path` is the file's absolute path on that NFS server, which the
    hypervisor reaches itself; otherwise it is a file on the host."""

    volume_uuid: str
    path: str
    device_id: int
    size: int
    format: str = "QCOW2"
    read_only: bool = False
    nfs_server: str | None = None


@dataclass(frozen=True, kw_only=True)
class NicSpec:
    """One network interface of a VM: its MAC and guest address (None on L2 networks),
    the guest network's VLAN (None when untagged) and the host bridge label carrying
    guest traffic (None: the driver's default)."""

    mac: str
    address: str | None
    device_id: int
    network_uuid: str
    vlan: int | None = None
    bridge_label: str | None = None
    default: bool = False


@dataclass(frozen=True, kw_only=True)
class VmSpec:
    """Everything a host needs to define and start a VM. `memory` is in MiB."""

    name: str
    uuid: str
    cpu_number: int
    cpu_speed: int
    memory: int
    disks: tuple[DiskSpec, ...] = ()
    nics: tuple[NicSpec, ...] = ()
    iso_path: str | None = None
    user_data: str | None = None
    boot_args: str | None = None
    details: dict[str, str] = field(default_factory=dict)


class HypervisorDriver(abc.ABC):
    """One hypervisor technology; an instance serves every host of that technology.

    `hypervisor_type` is the name clusters declare (`Simulator`, `KVM`); `capabilities`
    says what optional operations the driver supports (`live_migration`, `vm_snapshot`,
    `memory_snapshot`, `disk_vm_snapshot` (a VM snapshot without memory), `scale`,
    `attach_volume`).
    """

    hypervisor_type: str
    capabilities: ClassVar[dict[str, bool]]

    @abc.abstractmethod
    def connect(self, host: HostAccess) -> HostInfo:
        """Reach the host and describe it. On failure nothing is remembered about it."""

    @abc.abstractmethod
    def disconnect(self, host: HostAccess) -> None:
        """Forget the host (it is being removed). Its VMs must already be gone."""

    @abc.abstractmethod
    def ping(self, host: HostAccess) -> bool:
        """Whether the host answers. Never raises for an unreachable host."""

    @abc.abstractmethod
    def start_vm(self, host: HostAccess, spec: VmSpec) -> None:
        """Define and start the VM. On failure no domain of that name is left on the host."""

    @abc.abstractmethod
    def stop_vm(self, host: HostAccess, name: str, *, force: bool = False) -> None:
        """Power the VM off and undefine it from the host. Stopping an absent VM succeeds."""

    @abc.abstractmethod
    def reboot_vm(self, host: HostAccess, name: str) -> None:
        """Reboot a running VM in place."""

    def console_output(self, host: HostAccess, name: str) -> bytes:
        """The running VM's serial console log so far (the host may keep only its tail);
        empty for a technology that keeps none, as the simulator."""
        del host, name
        return b""

    @abc.abstractmethod
    def vm_states(self, host: HostAccess) -> dict[str, PowerState]:
        """The power state of every VM the host runs, by name (the power-state sync)."""

    @abc.abstractmethod
    def vm_uuids(self, host: HostAccess) -> dict[str, str]:
        """The uuid of every VM the host has (running or not), by name."""

    @abc.abstractmethod
    def migrate_vm(self, source: HostAccess, target: HostAccess, spec: VmSpec) -> None:
        """Live-migrate a running VM. On failure it still runs on `source` only."""

    @abc.abstractmethod
    def scale_vm(self, host: HostAccess, name: str, *, cpu_number: int, memory: int) -> None:
        """Change a running VM's vCPUs and memory (MiB). On failure its size is unchanged."""

    @abc.abstractmethod
    def attach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        """Hot-plug a disk into a running VM."""

    @abc.abstractmethod
    def detach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        """Hot-unplug a disk from a running VM."""

    @abc.abstractmethod
    def attach_iso(self, host: HostAccess, name: str, iso_path: str | None) -> None:
        """Insert an ISO into the VM's CD-ROM (None ejects it)."""

    @abc.abstractmethod
    def create_vm_snapshot(
        self, host: HostAccess, name: str, *, snapshot: str, memory: bool
    ) -> str:
        """Snapshot a VM (with memory if asked); returns the driver's reference to it.

        The reference (text the orchestrator stores as is) is all the driver needs to
        revert to or delete the snapshot later, even after the VM was stopped and started
        again, which may make the hypervisor forget what it knew of its snapshots. A
        stopped VM can be snapshotted on disk only, on the host it last ran on; its
        snapshots stay available when it starts again.
        """

    @abc.abstractmethod
    def revert_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> PowerState:
        """Return the VM to a snapshot; says whether it is left running or off.

        A snapshot with memory is reverted to on a running VM only (a DriverError for a
        stopped one): the orchestrator starts a stopped VM first, as CloudStack does. A
        snapshot without memory leaves the VM off.
        """

    @abc.abstractmethod
    def delete_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> None:
        """Remove a VM snapshot and its data, whether the VM runs or is stopped. Deleting
        an absent snapshot succeeds, as does one whose VM's disks are gone."""

    def configure(self, host: HostAccess, *, operation: str, value: str) -> None:
        """Change test behaviour of a host (simulator only): see the simulator's docs."""
        raise DriverError(f"{self.hypervisor_type} hosts cannot be configured", retryable=False)
