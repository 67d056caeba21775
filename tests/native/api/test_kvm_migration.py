"""Live migration through the native API, as an administrator does it with `cs`: a zone
whose one KVM cluster has two hosts, this machine's libvirt (`qemu:///system`) and a second
libvirtd in a network and mount namespace of its own (`qemu+tcp://ADDRESS/system`, see
tests/support/libvirt_netns.py), which share one `file://` primary storage pool under
/var/tmp (the namespace sees /var/tmp and /tmp, so also the serial console logs).

The test guest is deployed on the system host and boots; migrateVirtualMachine with the
other host's `hostid` moves it there: the job succeeds, listVirtualMachines shows the new
host, the domain runs on the namespace daemon only. Migrating it back fails (534) and
leaves it running where it is: a host added as `qemu:///system` names no address another
host can send the migration stream to. The guest kept running through both (it sees a
volume attached on its new host and says so on the same console, where it booted once).
It is then stopped there and expunged; no domain is left on either daemon.

The guest's NIC is plugged into its network's bridge (`native/drivers/bridges.py`), which
the Linux network driver creates in the root namespace only; the test creates a bridge of
the same name, connected to nothing, in the second host's namespace, so the migrated guest
has no network there, which is acceptable here.

Needs root, libvirt-python with a running system libvirtd, `libvirtd`, `virtlogd`,
`unshare`, iproute2, nftables and dnsmasq, and what the test guest is built with; skipped
otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from native.drivers.bridges import guest_bridge, vlan_bridge
from tests.support.guest_image import DEFAULT_CACHE_DIR, GuestImageUnavailable, guest_image
from tests.support.kvm_zone import (
    SYSTEM,
    add_kvm_host,
    attach_new_volume,
    console_until,
    guest_template,
    kvm_server,
    kvm_zone,
    storage_dir,
)
from tests.support.libvirt_netns import (
    LIBVIRTD_PORT,
    NamespaceHost,
    libvirt_host_or_skip,
)
from tests.support.server import AltoServer
from tests.support.tenants import admin_client, unique
from tests.support.vms import failed, succeeded
from tests.support.zones import SimZone

libvirt = pytest.importorskip("libvirt")
libvirt.registerErrorHandler(lambda _context, _error: None, None)

GUEST_VLANS = range(3910, 3920)
TOOLS = ("ip", "nft", "dnsmasq", "libvirtd", "virtlogd", "unshare")


def _why_not() -> str | None:
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, routers, a second libvirtd)"
    missing = [tool for tool in TOOLS if not shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin")]
    if missing:
        return f"missing {', '.join(missing)}"
    try:
        libvirt.open(SYSTEM).close()
    except libvirt.libvirtError:
        return f"the system libvirtd does not answer on {SYSTEM}"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


@pytest.fixture(scope="module")
def second_host() -> Iterator[NamespaceHost]:
    yield from libvirt_host_or_skip()


@pytest.fixture(scope="module")
def image_dir() -> Iterator[Path]:
    """Primary and secondary storage both hosts see."""
    with storage_dir("alto-kvm-migration-") as root:
        yield root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AltoServer]:
    with kvm_server(tmp_path_factory.mktemp("kvm-migration")) as started:
        yield started
    _remove_idle_bridges([vlan_bridge(vlan) for vlan in GUEST_VLANS])


def _remove_idle_bridges(names: list[str]) -> None:
    """The guest bridges the network driver left (it keeps them for other routers and VMs)
    once nothing is plugged into them: only this module's zone uses these VLANs."""
    for name in names:
        ports = Path("/sys/class/net") / name / "brif"
        if ports.is_dir() and not any(ports.iterdir()):
            subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)


@dataclass(frozen=True)
class TwoHostSite:
    zone: SimZone
    template: dict[str, Any]
    offering: dict[str, Any]
    system_host: dict[str, Any]
    second_host: dict[str, Any]


@pytest.fixture(scope="module")
def site(server: AltoServer, image_dir: Path, second_host: NamespaceHost) -> TwoHostSite:
    try:
        image = guest_image(cache_dir=DEFAULT_CACHE_DIR)
    except GuestImageUnavailable as reason:
        pytest.skip(f"cannot build the test guest: {reason}")
    admin = admin_client(server, timeout=120)
    zone = kvm_zone(
        admin,
        image_dir,
        host_uris=[SYSTEM, second_host.uri],
        pod_net="10.252.0",
        vlans=GUEST_VLANS,
    )
    offering = admin.createServiceOffering(
        name=unique("tiny"), displaytext="tiny", cpunumber=1, cpuspeed=500, memory=256
    )["serviceoffering"]
    system, second = zone.hosts
    return TwoHostSite(
        zone=zone,
        template=guest_template(admin, zone, image=image.template),
        offering=offering,
        system_host=system,
        second_host=second,
    )


def _running(uri: str) -> dict[str, bool]:
    """Every domain of the daemon at `uri`: whether it is active."""
    connection = libvirt.open(uri)
    try:
        return {str(d.name()): bool(d.isActive()) for d in connection.listAllDomains(0)}
    finally:
        connection.close()


def _host_uuid(uri: str) -> str | None:
    connection = libvirt.open(uri)
    try:
        return ET.fromstring(connection.getCapabilities()).findtext("host/uuid")
    finally:
        connection.close()


def _nic_bridges(uri: str, name: str) -> list[str]:
    connection = libvirt.open(uri)
    try:
        root = ET.fromstring(connection.lookupByName(name).XMLDesc(0))
    finally:
        connection.close()
    return [str(source.get("bridge")) for source in root.iterfind("devices/interface/source")]


def _guest_bridge(admin: CloudStack, vm: dict[str, Any]) -> str:
    """The host bridge of the VM's (only) network, as both drivers name it."""
    [nic] = vm["nic"]
    [network] = admin.listNetworks(id=nic["networkid"], listall=True)["network"]
    vlan = network.get("vlan")
    return guest_bridge(vlan=None if vlan is None else int(vlan), network_uuid=network["id"])


def _add_bridge(netns: str, bridge: str) -> None:
    """A bridge named `bridge` in the namespace, up, connected to nothing (it goes with the
    namespace)."""
    for command in (
        ["ip", "-n", netns, "link", "add", bridge, "type", "bridge"],
        ["ip", "-n", netns, "link", "set", bridge, "up"],
    ):
        subprocess.run(command, check=True, capture_output=True)


def _it_cannot_go_back(
    admin: CloudStack, *, vm: dict[str, Any], site: TwoHostSite, second_host: NamespaceHost
) -> None:
    """Migrating the VM back to the system host fails (534): that host's URL,
    `qemu:///system`, names no address, so libvirt sends the migration stream to the
    hostname the host reports, which the namespace cannot reach. The VM runs on as before,
    on the second host only."""
    answer = admin.migrateVirtualMachine(virtualmachineid=vm["id"], hostid=site.system_host["id"])
    error = failed(admin, answer)
    assert error["errorcode"] == 534, error
    assert f"to {SYSTEM} failed" in error["errortext"], error
    [listed] = admin.listVirtualMachines(id=vm["id"])["virtualmachine"]
    assert (listed["state"], listed["hostid"]) == ("Running", site.second_host["id"])
    assert _running(second_host.uri) == {vm["instancename"]: True}
    assert vm["instancename"] not in _running(SYSTEM)


def test_the_hosts_of_the_cluster_are_two_daemons(
    server: AltoServer, site: TwoHostSite, second_host: NamespaceHost
) -> None:
    """Each daemon has a host UUID of its own, hence a GUID of its own, which is what lets
    Alto add both (it refuses a second URL reaching a host it already has: 431)."""
    assert _host_uuid(SYSTEM) != _host_uuid(second_host.uri)
    system, second = site.system_host, site.second_host
    assert system["id"] != second["id"]
    assert (system["state"], second["state"]) == ("Up", "Up")
    assert system["clusterid"] == second["clusterid"] == site.zone.cluster["id"]
    assert second["ipaddress"] == second_host.address
    admin = admin_client(server)
    same_daemon = f"qemu+tcp://{second_host.address}:{LIBVIRTD_PORT}/system"
    with pytest.raises(CloudStackApiException) as refused:
        add_kvm_host(admin, site.zone, same_daemon)
    assert refused.value.error["errorcode"] == 431
    assert "already added" in refused.value.error["errortext"]


def test_a_running_kvm_guest_live_migrates_to_the_other_host_of_its_cluster(
    server: AltoServer, site: TwoHostSite, second_host: NamespaceHost
) -> None:
    admin = admin_client(server, timeout=120)
    source, target = site.system_host, site.second_host
    started = time.monotonic()
    vm = succeeded(
        admin,
        admin.deployVirtualMachine(
            zoneid=site.zone.id,
            templateid=site.template["id"],
            serviceofferingid=site.offering["id"],
            hostid=source["id"],
        ),
    )["virtualmachine"]
    name = vm["instancename"]
    assert (vm["state"], vm["hostid"]) == ("Running", source["id"])
    console_until(admin, vm["id"], "ALTO-GUEST ready")
    print(f"\ndeploy to guest ready: {time.monotonic() - started:.1f} s")

    bridge = _guest_bridge(admin, vm)
    assert _nic_bridges(SYSTEM, name) == [bridge]
    _add_bridge(second_host.netns, bridge)

    same_host = admin.migrateVirtualMachine(virtualmachineid=vm["id"], hostid=source["id"])
    assert failed(admin, same_host)["errorcode"] == 431

    [offered] = admin.findHostsForMigration(virtualmachineid=vm["id"])["host"]
    assert (offered["id"], offered["suitableformigration"]) == (target["id"], True)
    assert offered["requiresStorageMotion"] is False
    migrating = time.monotonic()
    answer = admin.migrateVirtualMachine(virtualmachineid=vm["id"], hostid=offered["id"])
    try:
        moved = succeeded(admin, answer)["virtualmachine"]
    except AssertionError:
        print(second_host.daemon_log())
        raise
    print(f"live migration through the API: {time.monotonic() - migrating:.1f} s")
    assert (moved["state"], moved["hostid"]) == ("Running", target["id"])
    [listed] = admin.listVirtualMachines(id=vm["id"])["virtualmachine"]
    assert (listed["state"], listed["hostid"]) == ("Running", target["id"])
    assert _running(second_host.uri) == {name: True}
    assert name not in _running(SYSTEM)

    going_back = time.monotonic()
    _it_cannot_go_back(admin, vm=vm, site=site, second_host=second_host)
    print(f"failed migration back: {time.monotonic() - going_back:.1f} s")

    # The guest kept running through both: it sees a volume attached on its new host and
    # says so on the console, which goes on in the same log; it did not boot again.
    attach_new_volume(admin, site.zone, vm_id=vm["id"])
    console = console_until(admin, vm["id"], "ALTO-GUEST disks: vda vdb", after="ready")
    assert console.count("ALTO-GUEST booted") == 1, console

    stopped = succeeded(admin, admin.stopVirtualMachine(id=vm["id"]))["virtualmachine"]
    assert stopped["state"] == "Stopped"
    assert name not in _running(second_host.uri)
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    assert admin.listVirtualMachines(id=vm["id"]).get("virtualmachine", []) == []
    assert name not in _running(SYSTEM)
    assert _running(second_host.uri) == {}
    print(f"whole scenario: {time.monotonic() - started:.1f} s")
