"""The libvirt hypervisor: KVM hosts, or QEMU/TCG emulation where there is no KVM.

Hosts are reached as `libvirt_connection` says: each call opens its own connection and
closes it, so a host that restarted is simply reached again and the driver is thread-safe.
A VM is a persistent domain only while it
runs: `start_vm` defines it from its `VmSpec`, `stop_vm` undefines it with its snapshot
metadata.

VM snapshots are internal ones with memory: QEMU keeps them inside the VM's qcow2 files,
so they outlive a stop, which only makes libvirt forget their metadata. The reference
`create_vm_snapshot` returns is therefore the snapshot's libvirt XML description, which
holds the `<domain>` definition at snapshot time: a revert or delete that finds libvirt
has forgotten the snapshot redefines it from the reference first
(`VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE`), and deleting a snapshot of a VM that is not
defined (stopped) defines the domain from the reference for the while, inactive, so that
libvirt deletes the snapshot from the disk files with `qemu-img`. References older than
that are bare snapshot names, still accepted while libvirt remembers them.

There are no disk-only VM snapshots (`disk_vm_snapshot` is False): libvirt takes them as
external overlays and points the running domain at them, but the next start defines the
domain from the VM's volumes again, so what the guest wrote after the snapshot would be
lost (and libvirt 9.0 cannot revert them).

Each VM's serial console is logged by the host's virtlogd to `STATE_DIR/NAME.log`, a path
on the host; `console_output` reads it where the management server shares that filesystem
(the local host) and returns nothing elsewhere.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import logging
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import libvirt

from native.drivers.hypervisor import kvm_probe
from native.drivers.hypervisor.base import (
    DiskSpec,
    DriverError,
    HostAccess,
    HostInfo,
    HypervisorDriver,
    PowerState,
    VmSpec,
)
from native.drivers.hypervisor.libvirt_connection import (
    LOCAL_HOSTS,
    closing,
    libvirt_uri,
    open_connection,
)
from native.drivers.hypervisor.libvirt_xml import (
    cdrom_xml,
    device_name,
    disk_xml,
    domain_xml,
)

log = logging.getLogger(__name__)

AUTO = "auto"
DOMAIN_TYPE_CHOICES = (AUTO, "kvm", "qemu")
CONSOLE_TAIL = 64 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")

_POWER_STATES = {
    libvirt.VIR_DOMAIN_RUNNING: PowerState.ON,
    libvirt.VIR_DOMAIN_BLOCKED: PowerState.ON,
    libvirt.VIR_DOMAIN_PAUSED: PowerState.ON,
    libvirt.VIR_DOMAIN_SHUTDOWN: PowerState.OFF,
    libvirt.VIR_DOMAIN_SHUTOFF: PowerState.OFF,
    libvirt.VIR_DOMAIN_CRASHED: PowerState.OFF,
}
_PERMANENT_ERRORS = frozenset(
    {
        libvirt.VIR_ERR_NO_DOMAIN,
        libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT,
        libvirt.VIR_ERR_INVALID_ARG,
        libvirt.VIR_ERR_XML_ERROR,
        libvirt.VIR_ERR_XML_DETAIL,
        libvirt.VIR_ERR_NO_SUPPORT,
        libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
        libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
        libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED,
        libvirt.VIR_ERR_DOM_EXIST,
    }
)
_UNDEFINE_FLAGS = (
    libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
)
_MIGRATE_FLAGS = (
    libvirt.VIR_MIGRATE_LIVE
    | libvirt.VIR_MIGRATE_PERSIST_DEST
    | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
    | libvirt.VIR_MIGRATE_UNSAFE
)


@contextlib.contextmanager
def _errors(action: str) -> Iterator[None]:
    """Turn a libvirt error into a DriverError saying what failed."""
    try:
        yield
    except libvirt.libvirtError as error:
        raise DriverError(
            f"{action} failed: {error.get_error_message() or error}",
            retryable=error.get_error_code() not in _PERMANENT_ERRORS,
        ) from error


def _probe(conn: Any, uri: str) -> str:
    """`kvm` or `qemu` for the host at `uri`, as the module `kvm_probe` decides."""
    if not kvm_probe.libvirt_offers_kvm(conn):
        log.info("libvirt on %s offers no KVM: guests run under QEMU TCG", uri)
        return "qemu"
    if urlsplit(uri).hostname not in (None, "", *LOCAL_HOSTS):
        return "kvm"
    if kvm_probe.boots_a_guest(conn):
        return "kvm"
    log.warning(
        "KVM on %s did not boot a probe guest within %.0f s: guests run under QEMU TCG",
        uri,
        kvm_probe.PROBE_TIMEOUT,
    )
    return "qemu"


def _migration_uri(target: HostAccess) -> str | None:
    """`tcp://ADDRESS` for QEMU's migration stream to the host the target's URL names, or
    None for a local or hostless URI (`qemu:///system`, `test:///default`): libvirt picks."""
    address = urlsplit(libvirt_uri(target)).hostname
    if not address or address in LOCAL_HOSTS:
        return None
    return f"tcp://[{address}]" if ":" in address else f"tcp://{address}"


def _arriving_xml(domain: Any) -> str:
    """The running domain's migratable XML, its serial console log opened for appending:
    the domain was defined with `append="off"`, so that a start begins a new log, and the
    target would otherwise truncate the log the source wrote, which is the same file
    where the hosts share `state_dir`."""
    root = ET.fromstring(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE))
    for serial_log in root.iterfind("devices/serial/log"):
        serial_log.set("append", "on")
    return ET.tostring(root, encoding="unicode")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class LibvirtDriver(HypervisorDriver):
    """KVM or QEMU/TCG hosts through libvirt (see the module docstring).

    `state_dir` holds the serial console logs; `domain_type` is `kvm`, `qemu` (TCG), or
    `auto`: `kvm` on hosts where a probe guest boots under KVM, else `qemu` (`kvm_probe`);
    NICs join their networks' host bridges (`libvirt_xml`); a graceful stop waits up to
    `shutdown_timeout` seconds for the guest before pulling the plug. A running VM can be
    scaled up to the maxima its spec declared (see `libvirt_xml`), and down.
    """

    hypervisor_type = "KVM"
    capabilities: ClassVar[dict[str, bool]] = {
        "live_migration": True,
        "vm_snapshot": True,
        "memory_snapshot": True,
        "disk_vm_snapshot": False,
        "scale": True,
        "attach_volume": True,
    }

    def __init__(
        self,
        *,
        state_dir: Path,
        domain_type: str = AUTO,
        shutdown_timeout: float = 60.0,
    ) -> None:
        if domain_type not in DOMAIN_TYPE_CHOICES:
            raise ValueError(
                f"Unknown libvirt domain type {domain_type!r}: use {', '.join(DOMAIN_TYPE_CHOICES)}"
            )
        self.state_dir = state_dir
        self.domain_type = domain_type
        self.shutdown_timeout = shutdown_timeout
        self._probed: dict[str, str] = {}
        self._probe_lock = threading.Lock()

    @contextlib.contextmanager
    def _connection(self, host: HostAccess) -> Iterator[Any]:
        uri = libvirt_uri(host)
        with _errors(f"Connecting to {uri}"):
            conn = open_connection(host)
        with closing(conn):
            yield conn

    def _find(self, conn: Any, name: str) -> Any | None:
        """The domain called `name`, or None if the host has none."""
        try:
            return conn.lookupByName(self._checked(name))
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise DriverError(f"Looking up VM {name} failed: {error}") from error

    def _domain(self, conn: Any, name: str) -> Any:
        """The domain called `name`; a non-retryable DriverError if the host has none."""
        domain = self._find(conn, name)
        if domain is None:
            raise DriverError(f"VM {name} is not defined on the host", retryable=False)
        return domain

    def _log(self, name: str) -> Path:
        return self.state_dir / f"{self._checked(name)}.log"

    @staticmethod
    def _checked(name: str) -> str:
        if not _NAME.match(name):
            raise DriverError(f"Invalid VM name {name!r}", retryable=False)
        return name

    def _host_domain_type(self, conn: Any, host: HostAccess) -> str:
        """The driver's `domain_type`, or with `auto` what the host's probe chose (see
        `kvm_probe`), probed once per host URI by this driver."""
        if self.domain_type != AUTO:
            return self.domain_type
        uri = libvirt_uri(host)
        with self._probe_lock:
            if uri not in self._probed:
                self._probed[uri] = _probe(conn, uri)
            return self._probed[uri]

    def connect(self, host: HostAccess) -> HostInfo:
        with self._connection(host) as conn, _errors(f"Describing host {host.url}"):
            self._host_domain_type(conn, host)
            _model, memory, cpus, mhz, nodes, sockets, _cores, _threads = conn.getInfo()
            name = str(conn.getHostname())
            host_uuid = ET.fromstring(conn.getCapabilities()).findtext("host/uuid")
            version = int(conn.getVersion())
        address = urlsplit(libvirt_uri(host)).hostname
        return HostInfo(
            guid=f"{host_uuid or uuid.uuid5(uuid.NAMESPACE_DNS, name)}-LibvirtComputingResource",
            name=name,
            cpu_sockets=int(nodes) * int(sockets),
            cpu_number=int(cpus),
            cpu_speed=int(mhz),
            memory=int(memory) << 20,
            hypervisor_version=f"{version // 1_000_000}.{version // 1000 % 1000}.{version % 1000}",
            private_ip=address if address and _is_ip(address) else None,
            capabilities=tuple(sorted(k for k, v in self.capabilities.items() if v)),
        )

    def disconnect(self, host: HostAccess) -> None:
        """Nothing to forget: the driver keeps no connection to a host."""
        del host

    def ping(self, host: HostAccess) -> bool:
        try:
            with self._connection(host) as conn:
                return bool(conn.isAlive())
        except (DriverError, libvirt.libvirtError):
            return False

    def start_vm(self, host: HostAccess, spec: VmSpec) -> None:
        """Define and start the VM; a VM already running under that name is left alone."""
        log = self._log(spec.name)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self._connection(host) as conn:
            try:
                xml = domain_xml(
                    spec, domain_type=self._host_domain_type(conn, host), serial_log=log
                )
            except ValueError as error:
                raise DriverError(f"Invalid VM {spec.name}: {error}", retryable=False) from None
            existing = self._find(conn, spec.name)
            with _errors(f"Checking VM {spec.name}"):
                running = existing is not None and existing.isActive()
            if running:
                raise DriverError(f"VM {spec.name} already runs on {host.url}", retryable=False)
            with _errors(f"Defining VM {spec.name}"):
                domain = conn.defineXML(xml)
            try:
                with _errors(f"Starting VM {spec.name}"):
                    domain.create()
            except DriverError:
                with contextlib.suppress(libvirt.libvirtError):
                    domain.undefineFlags(_UNDEFINE_FLAGS)
                raise

    def stop_vm(self, host: HostAccess, name: str, *, force: bool = False) -> None:
        with self._connection(host) as conn:
            domain = self._find(conn, name)
            if domain is None:
                return
            with _errors(f"Stopping VM {name}"):
                persistent = domain.isPersistent()
                if not force and domain.isActive():
                    self._shut_down(domain)
                if domain.isActive():
                    domain.destroy()
                if persistent:
                    domain.undefineFlags(_UNDEFINE_FLAGS)
        self._log(name).unlink(missing_ok=True)

    def _shut_down(self, domain: Any) -> None:
        """Ask the guest to power off (ACPI) and wait up to `shutdown_timeout` for it."""
        with contextlib.suppress(libvirt.libvirtError):
            domain.shutdown()
        deadline = time.monotonic() + self.shutdown_timeout
        while domain.isActive() and time.monotonic() < deadline:
            time.sleep(0.2)

    def reboot_vm(self, host: HostAccess, name: str) -> None:
        with self._connection(host) as conn:
            domain = self._domain(conn, name)
            with _errors(f"Rebooting VM {name}"):
                domain.reboot(0)

    def console_output(self, host: HostAccess, name: str) -> bytes:
        del host
        try:
            with self._log(name).open("rb") as log:
                log.seek(0, 2)
                log.seek(max(0, log.tell() - CONSOLE_TAIL))
                return log.read()
        except FileNotFoundError:
            return b""

    def vm_states(self, host: HostAccess) -> dict[str, PowerState]:
        with self._connection(host) as conn, _errors(f"Listing the VMs of {host.url}"):
            return {
                str(domain.name()): _POWER_STATES.get(domain.state()[0], PowerState.UNKNOWN)
                for domain in conn.listAllDomains(0)
            }

    def vm_uuids(self, host: HostAccess) -> dict[str, str]:
        with self._connection(host) as conn, _errors(f"Listing the VMs of {host.url}"):
            return {
                str(domain.name()): str(domain.UUIDString()) for domain in conn.listAllDomains(0)
            }

    def migrate_vm(self, source: HostAccess, target: HostAccess, spec: VmSpec) -> None:
        """Live-migrate; the domain is defined on `target` and undefined from `source`.
        Libvirt's migration protocol leaves the VM running on `source` if it fails.

        QEMU's migration stream goes to the address in the target's host URL
        (`_migration_uri`), as CloudStack passes the destination's IP: left alone, libvirt
        sends it to the hostname the target reports, which need not resolve from the
        source, or resolves to the source itself (hosts installed from one image share a
        hostname). The orchestrator migrates only between hosts that share the VM's
        primary storage (a cluster's pools), at the same paths; libvirt trusts only the
        shared filesystems it recognises (NFS, GFS2, Ceph...) and refuses any other path,
        such as a shared mount point it cannot classify, so the migration is flagged
        `VIR_MIGRATE_UNSAFE`, like CloudStack's `allowUnsafeMigration` (QEMU drops its
        page cache on migration, so the disks' cache mode is no hazard either).

        The target logs the serial console to the same `STATE_DIR/NAME.log`, which must
        exist there (shared with the source, or created on each host), and appends to it
        (`_arriving_xml`): where the two hosts share it, the console goes on in one log.
        """
        with self._connection(source) as leaving, self._connection(target) as arriving:
            domain = self._domain(leaving, spec.name)
            with _errors(f"Migrating VM {spec.name} to {target.url}"):
                params = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: _arriving_xml(domain)}
                uri = _migration_uri(target)
                if uri is not None:
                    params[libvirt.VIR_MIGRATE_PARAM_URI] = uri
                domain.migrate3(arriving, params, _MIGRATE_FLAGS)

    def scale_vm(self, host: HostAccess, name: str, *, cpu_number: int, memory: int) -> None:
        """Set the live vCPUs and memory, within the maxima the VM was started with; on
        failure the vCPUs are set back."""
        with self._connection(host) as conn:
            domain = self._domain(conn, name)
            with _errors(f"Scaling VM {name}"):
                cpus_before = int(domain.info()[3])
                domain.setVcpusFlags(cpu_number, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            try:
                with _errors(f"Scaling the memory of VM {name}"):
                    domain.setMemoryFlags(memory * 1024, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            except DriverError:
                with contextlib.suppress(libvirt.libvirtError):
                    domain.setVcpusFlags(cpus_before, libvirt.VIR_DOMAIN_AFFECT_LIVE)
                raise

    def attach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        with self._connection(host) as conn:
            domain = self._domain(conn, name)
            with _errors(f"Attaching volume {disk.volume_uuid} to VM {name}"):
                domain.attachDeviceFlags(_device_xml(disk), libvirt.VIR_DOMAIN_AFFECT_LIVE)

    def detach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        """Hot-unplug the disk; a disk the VM does not have is already detached."""
        with self._connection(host) as conn:
            domain = self._domain(conn, name)
            with _errors(f"Detaching volume {disk.volume_uuid} from VM {name}"):
                targets = ET.fromstring(domain.XMLDesc(0)).iterfind("devices/disk/target")
                if any(t.get("dev") == device_name(disk.device_id) for t in targets):
                    domain.detachDeviceFlags(_device_xml(disk), libvirt.VIR_DOMAIN_AFFECT_LIVE)

    def attach_iso(self, host: HostAccess, name: str, iso_path: str | None) -> None:
        with self._connection(host) as conn:
            domain = self._domain(conn, name)
            with _errors(f"Changing the CD-ROM of VM {name}"):
                domain.updateDeviceFlags(cdrom_xml(iso_path), libvirt.VIR_DOMAIN_AFFECT_LIVE)

    def create_vm_snapshot(
        self, host: HostAccess, name: str, *, snapshot: str, memory: bool
    ) -> str:
        """An internal snapshot, with memory when the VM runs; the reference is the
        snapshot's libvirt XML description (see the module's docstring). Only a defined
        domain (a running VM, or one a revert left off) can be snapshotted, and only with
        `memory`."""
        if not memory:
            raise DriverError(
                f"VM {name}: VM snapshots without memory are not supported on KVM",
                retryable=False,
            )
        element = ET.Element("domainsnapshot")
        ET.SubElement(element, "name").text = snapshot
        with self._connection(host) as conn:
            domain = self._domain(conn, name)
            with _errors(f"Snapshotting VM {name}"):
                taken = domain.snapshotCreateXML(ET.tostring(element, encoding="unicode"), 0)
                return str(taken.getXMLDesc(0))

    def revert_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> PowerState:
        """Revert; a snapshot taken with memory leaves the VM running. The VM must be
        defined on the host: a stopped VM is started (defined) first by the caller, as
        CloudStack does. A snapshot libvirt forgot (the VM was stopped and started since)
        is redefined from the reference; if the revert then fails, that metadata is
        removed again. A non-retryable DriverError if the VM is not defined or the
        snapshot is unknown to libvirt and the reference is a bare name."""
        snapshot, description = _described(reference)
        with self._connection(host) as conn:
            domain = self._domain(conn, name)
            with _errors(f"Reverting VM {name} to snapshot {snapshot}"):
                taken, redefined = _snapshot(domain, snapshot, description)
                if taken is None:
                    raise DriverError(
                        f"VM {name} has no snapshot {snapshot} on {host.url}", retryable=False
                    )
                try:
                    domain.revertToSnapshot(taken, 0)
                except libvirt.libvirtError:
                    if redefined:
                        with contextlib.suppress(libvirt.libvirtError):
                            taken.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
                    raise
                return PowerState.ON if domain.isActive() else PowerState.OFF

    def delete_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> None:
        """Delete the snapshot from the VM's disk files and libvirt's metadata, redefining
        the metadata from the reference if libvirt forgot it. A VM not defined on the host
        (stopped) is defined from the reference's `<domain>`, inactive, for the while, and
        undefined again: libvirt then deletes the snapshot from each disk file with
        `qemu-img`, skipping files that are gone (an expunged VM). Deleting an absent
        snapshot succeeds, as does a bare-name reference libvirt no longer knows (its data,
        if any, stays in the disk files)."""
        snapshot, description = _described(reference)
        with self._connection(host) as conn:
            domain = self._find(conn, name)
            with _errors(f"Deleting snapshot {snapshot} of VM {name}"):
                if domain is not None:
                    _delete_snapshot(domain, snapshot, description)
                elif description is not None:
                    with _defined_from(conn, name, description) as inactive:
                        _delete_snapshot(inactive, snapshot, description)


def _device_xml(disk: DiskSpec) -> str:
    try:
        return disk_xml(disk)
    except ValueError as error:
        raise DriverError(str(error), retryable=False) from None


def _described(reference: str) -> tuple[str, ET.Element | None]:
    """The snapshot name a reference holds and, unless it is a bare name (an old
    reference), its XML description."""
    if not reference.lstrip().startswith("<"):
        return reference, None
    try:
        element = ET.fromstring(reference)
    except ET.ParseError as error:
        raise DriverError(f"Invalid VM snapshot reference: {error}", retryable=False) from None
    snapshot = element.findtext("name")
    if element.tag != "domainsnapshot" or not snapshot:
        raise DriverError(
            "Invalid VM snapshot reference: not a <domainsnapshot> with a <name>",
            retryable=False,
        )
    return snapshot, element


def _snapshot(domain: Any, snapshot: str, description: ET.Element | None) -> tuple[Any, bool]:
    """The domain's snapshot, redefined from `description` if libvirt has no metadata for
    it (None if there is no description either), and whether it was redefined.

    The `<parent>` is left out: libvirt refuses to redefine a snapshot whose parent it
    does not know, and the parent is the orchestrator's business. It does not become the
    current snapshot (libvirt's `current` matters only to its own reverts without a name).
    """
    try:
        return domain.snapshotLookupByName(snapshot, 0), False
    except libvirt.libvirtError as error:
        if error.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT:
            raise
    if description is None:
        return None, False
    element = copy.deepcopy(description)
    for parent in element.findall("parent"):
        element.remove(parent)
    xml = ET.tostring(element, encoding="unicode")
    return domain.snapshotCreateXML(xml, libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE), True


def _delete_snapshot(domain: Any, snapshot: str, description: ET.Element | None) -> None:
    taken, _redefined = _snapshot(domain, snapshot, description)
    if taken is not None:
        taken.delete(0)


@contextlib.contextmanager
def _defined_from(conn: Any, name: str, description: ET.Element) -> Iterator[Any]:
    """The domain `name` defined (not started) from the snapshot description's
    `<domain>`, and undefined again with its snapshot metadata when done, unless it was
    started meanwhile."""
    element = description.find("domain")
    if element is None or element.findtext("name") != name:
        raise DriverError(
            f"Invalid VM snapshot reference: no <domain> definition of VM {name}",
            retryable=False,
        )
    domain = conn.defineXML(ET.tostring(element, encoding="unicode"))
    try:
        yield domain
    finally:
        with contextlib.suppress(libvirt.libvirtError):
            if not domain.isActive():
                domain.undefineFlags(_UNDEFINE_FLAGS)
