"""Zones of real KVM hosts for black-box tests: a running `alto serve` with the Linux
network driver and QEMU/TCG, storage QEMU can reach, the tiny test guest as a template,
serial consoles read through the API, and the clean-up of domains and routers."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cs import CloudStack

from native.drivers.network.linux import LinuxNetworkDriver
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import admin_client, unique
from tests.support.vms import succeeded
from tests.support.zones import SimZone, add_networking

SYSTEM = "qemu:///system"
BOOT_TIMEOUT = 240.0


def libvirt_answers(uri: str = SYSTEM) -> bool:
    """Whether libvirt-python is installed and a libvirt daemon answers at `uri`."""
    try:
        import libvirt
    except ImportError:
        return False
    try:
        libvirt.open(uri).close()
    except libvirt.libvirtError:
        return False
    return True


def kvm_site_missing() -> str | None:
    """Why this machine cannot run a KVM zone for black-box tests, or None when it can."""
    if os.geteuid() != 0:
        return "needs root"
    tools = ("ip", "nft", "dnsmasq")
    if not all(shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin") for tool in tools):
        return "needs iproute2, nftables and dnsmasq"
    if not libvirt_answers():
        return "needs a running libvirtd (qemu:///system) and libvirt-python"
    return None


@contextlib.contextmanager
def storage_dir(prefix: str) -> Iterator[Path]:
    """A directory under /var/tmp for primary and secondary storage that QEMU (running as
    libvirt-qemu) can reach, removed afterwards with the libvirt pools on it."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        stop_pools_below(SYSTEM, root)
        shutil.rmtree(root, ignore_errors=True)


def stop_pools_below(uri: str, root: Path) -> None:
    """Stop (and so forget, or leave defined) the storage pools at `uri` whose directory is
    `root` or below it."""
    import libvirt

    with contextlib.suppress(libvirt.libvirtError):
        connection = libvirt.open(uri)
        try:
            for pool in connection.listAllStoragePools(0):
                target = Path(ET.fromstring(pool.XMLDesc(0)).findtext("target/path") or "/")
                if target.is_relative_to(root) and pool.isActive():
                    with contextlib.suppress(libvirt.libvirtError):
                        pool.destroy()
        finally:
            connection.close()


@contextlib.contextmanager
def kvm_server(root: Path, *, host_uris: Sequence[str] = (SYSTEM,)) -> Iterator[AltoServer]:
    """`alto serve` with routers in network namespaces and guests under QEMU/TCG (KVM guests
    do not run on this machine; the `auto` probe is tested with the driver). Afterwards the
    domains of its VMs on `host_uris` and its routers are removed."""
    factory = ServerFactory(root=root)
    started = factory(extra_args=["--network-driver", "linux", "--libvirt-domain-type", "qemu"])
    try:
        yield started
    finally:
        names = vm_names(started)
        factory.close()
        for uri in host_uris:
            remove_domains(uri, names)
        routers = LinuxNetworkDriver(state_dir=started.data_dir / "drivers" / "routers")
        for path in sorted(routers.state_dir.glob("r-*")):
            if path.is_dir():
                routers.destroy(path.name)


def vm_names(server: AltoServer) -> list[str]:
    """The instance names of every VM the server has (none if it no longer answers)."""
    with contextlib.suppress(Exception):
        rows = admin_client(server).listVirtualMachines(listall=True).get("virtualmachine", [])
        return [str(row["instancename"]) for row in rows if row.get("instancename")]
    return []


def remove_domains(uri: str, names: Sequence[str]) -> None:
    """Destroy and undefine the named domains at `uri`, whichever exist."""
    import libvirt

    connection = libvirt.open(uri)
    try:
        for domain in connection.listAllDomains(0):
            if domain.name() in names:
                with contextlib.suppress(libvirt.libvirtError):
                    if domain.isActive():
                        domain.destroy()
                with contextlib.suppress(libvirt.libvirtError):
                    domain.undefine()
    finally:
        connection.close()


def add_kvm_host(admin: CloudStack, zone: SimZone, url: str) -> dict[str, Any]:
    """Add the libvirt daemon at `url` to the zone's cluster."""
    [host] = admin.addHost(
        zoneid=zone.id,
        podid=zone.pod["id"],
        clusterid=zone.cluster["id"],
        hypervisor="KVM",
        url=url,
        username="root",
        password="unused",
    )["host"]
    return dict(host)


def kvm_zone(
    admin: CloudStack,
    root: Path,
    *,
    host_uris: Sequence[str],
    pod_net: str,
    vlans: range,
    storage_url: str | None = None,
) -> SimZone:
    """An enabled Advanced zone with one KVM cluster of the hosts at `host_uris`, a
    cluster-wide pool and an image store in `primary` and `secondary` below `storage_url`
    (default: `root` as a file:// URL), the pod's addresses in `pod_net`.0/24 (e.g.
    "10.251.0") and guest VLANs `vlans`."""
    storage = storage_url or root.as_uri()
    zone = admin.createZone(
        name=unique("kvmzone"), networktype="Advanced", dns1="8.8.8.8", internaldns1="10.0.0.2"
    )["zone"]
    pod = admin.createPod(
        zoneid=zone["id"],
        name=unique("pod"),
        gateway=f"{pod_net}.1",
        netmask="255.255.255.0",
        startip=f"{pod_net}.10",
        endip=f"{pod_net}.200",
    )["pod"]
    cluster = admin.addCluster(
        zoneid=zone["id"], podid=pod["id"], clustername=unique("kvm"), hypervisor="KVM"
    )["cluster"]
    built = SimZone(zone=zone, pod=pod, cluster=cluster)
    built.hosts = [add_kvm_host(admin, built, uri) for uri in host_uris]
    built.pool = admin.createStoragePool(
        zoneid=zone["id"],
        podid=pod["id"],
        clusterid=cluster["id"],
        name=unique("primary"),
        url=f"{storage}/primary",
        scope="cluster",
    )["storagepool"]
    built.image_store = admin.addImageStore(
        name=unique("secondary"), provider="NFS", zoneid=zone["id"], url=f"{storage}/secondary"
    )["imagestore"]
    add_networking(admin, built, vlan=f"{vlans[0]}-{vlans[-1]}")
    built.zone = admin.updateZone(id=zone["id"], allocationstate="Enabled")["zone"]
    return built


def guest_template(admin: CloudStack, zone: SimZone, *, image: Path) -> dict[str, Any]:
    """The test guest's qcow2 image registered as a public KVM template, once ready."""
    [template] = admin.registerTemplate(
        name=unique("guest"),
        displaytext="the tiny test guest",
        url=image.as_uri(),
        zoneid=zone.id,
        format="QCOW2",
        hypervisor="KVM",
        ispublic="true",
    )["template"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        [found] = admin.listTemplates(templatefilter="all", id=template["id"])["template"]
        if found.get("isready"):
            return dict(found)
        time.sleep(0.5)
    raise AssertionError(f"template not ready: {found.get('status')}")


def console(admin: CloudStack, vm_id: str) -> str:
    """The VM's serial console so far, as getVirtualMachineConsoleOutput returns it."""
    answer = admin.getVirtualMachineConsoleOutput(id=vm_id)["consoleoutput"]
    return base64.b64decode(answer.get("output") or "").decode(errors="replace")


def console_until(admin: CloudStack, vm_id: str, marker: str, *, after: str = "") -> str:
    """The console once it shows `marker` after the first `after`; AssertionError after
    BOOT_TIMEOUT seconds."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        text = console(admin, vm_id)
        start = text.find(after)
        if start >= 0 and marker in text[start + len(after) :]:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{marker!r} not on the console in {BOOT_TIMEOUT} s:\n{text}")
        time.sleep(0.5)


def attach_new_volume(admin: CloudStack, zone: SimZone, *, vm_id: str) -> dict[str, Any]:
    """A new 1 GiB data volume of a custom offering, attached to the VM (which must then
    notice it: the test guest prints its disks when one is plugged in)."""
    disk = admin.createDiskOffering(name=unique("data"), displaytext="data", customized=True)
    volume = succeeded(
        admin,
        admin.createVolume(
            name=unique("data"),
            zoneid=zone.id,
            diskofferingid=disk["diskoffering"]["id"],
            size=1,
        ),
    )["volume"]
    succeeded(admin, admin.attachVolume(id=volume["id"], virtualmachineid=vm_id))
    return dict(volume)


def internal_snapshots(volume_file: Path) -> set[str]:
    """The snapshot names (tags) `qemu-img snapshot -l` lists in a volume file, which a
    running guest may hold open."""
    listed = subprocess.run(
        ["qemu-img", "snapshot", "-l", "-U", str(volume_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = [line.split() for line in listed.stdout.splitlines()[2:]]
    return {row[1] for row in rows if len(row) > 1}
