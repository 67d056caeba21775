"""Real guests: a zone whose host is this machine's libvirt (`qemu:///system`, QEMU/TCG),
routers run by the Linux network driver, and the tiny test guest as its template. A VM
boots, takes its DHCP lease from its network's router, reads its instance id and user data
from the router's metadata service and prints them on its serial console, which
getVirtualMachineConsoleOutput returns; it stops gracefully, starts again, is reverted to
memory snapshots taken before the stop (also while stopped, which starts it), whose
deletion removes them from its qcow2 file, and leaves no domain behind once expunged. Through the aws CLI (v1 and
v2): run-instances with user data into the account's default VPC, `aws ec2 wait
instance-running`, get-console-output, stop and start, a volume attached that the guest
sees, a snapshot of the root volume, and terminate-instances, after which no domain and no
volume file is left.

Needs root, libvirt-python with a running libvirtd, iproute2, nftables and dnsmasq, and
what the test guest is built with (see `tests.support.guest_image`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, cli_available
from tests.support.ec2_instances import aws_id_of
from tests.support.guest_image import DEFAULT_CACHE_DIR, GuestImageUnavailable, guest_image
from tests.support.kvm_zone import (
    BOOT_TIMEOUT,
    SYSTEM,
    attach_new_volume,
    console_until,
    guest_template,
    internal_snapshots,
    kvm_server,
    kvm_site_missing,
    kvm_zone,
    storage_dir,
)
from tests.support.server import AltoServer
from tests.support.tenants import admin_client, new_account, unique
from tests.support.vms import succeeded
from tests.support.zones import SimZone

libvirt = pytest.importorskip("libvirt")
libvirt.registerErrorHandler(lambda _context, _error: None, None)


USER_DATA = "hello from the kvm test\n"
GIB = 1 << 30
GUEST_VLANS = range(3900, 3910)


pytestmark = pytest.mark.skipif(kvm_site_missing() is not None, reason=kvm_site_missing() or "")


@pytest.fixture(scope="module")
def image_dir() -> Iterator[Path]:
    with storage_dir("alto-kvm-") as root:
        yield root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AltoServer]:
    with kvm_server(tmp_path_factory.mktemp("kvm")) as started:
        yield started


@dataclass(frozen=True)
class KvmSite:
    zone: SimZone
    template: dict[str, Any]
    offering: dict[str, Any]


@pytest.fixture(scope="module")
def site(server: AltoServer, image_dir: Path) -> KvmSite:
    try:
        image = guest_image(cache_dir=DEFAULT_CACHE_DIR)
    except GuestImageUnavailable as reason:
        pytest.skip(str(reason))
    admin = admin_client(server, timeout=120)
    zone = kvm_zone(admin, image_dir, host_uris=[SYSTEM], pod_net="10.251.0", vlans=GUEST_VLANS)
    template = guest_template(admin, zone, image=image.template)
    offering = admin.createServiceOffering(
        name=unique("tiny"), displaytext="tiny", cpunumber=1, cpuspeed=500, memory=256
    )["serviceoffering"]
    admin.createDiskOffering(name=unique("ebs"), displaytext="EBS volumes", customized=True)
    admin.updateConfiguration(name="expunge.delay", value="0")
    admin.updateConfiguration(name="expunge.interval", value="1")
    return KvmSite(zone=zone, template=template, offering=offering)


def _virtual_size(path: Path) -> int:
    info = subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", str(path)], check=True, capture_output=True
    )
    return int(json.loads(info.stdout)["virtual-size"])


def _backing_file(path: Path) -> str | None:
    info = subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", str(path)], check=True, capture_output=True
    )
    backing = json.loads(info.stdout).get("backing-filename")
    return None if backing is None else str(backing)


def _the_root_disk_is_a_clone_whose_snapshot_stands_alone(
    admin: CloudStack, *, root: dict[str, Any], image_dir: Path
) -> None:
    """The root volume is a copy-on-write clone of the template's copy on the pool, both
    volumes of the host's libvirt pools, and a snapshot of it (taken while the guest runs)
    is a whole image on secondary storage."""
    backing = _backing_file(image_dir / "primary" / "volumes" / root["id"])
    assert backing == f"../templates/{root['templateid']}"
    assert _pool_volumes(image_dir / "primary") is not None, "createStoragePool asked the host"
    assert root["id"] in (_pool_volumes(image_dir / "primary" / "volumes") or [])
    assert root["templateid"] in (_pool_volumes(image_dir / "primary" / "templates") or [])
    snapshot = succeeded(admin, admin.createSnapshot(volumeid=root["id"]))["snapshot"]
    [stored] = (image_dir / "secondary" / "snapshots").glob(f"*/*/{snapshot['id']}")
    assert _backing_file(stored) is None and _virtual_size(stored) == GIB
    succeeded(admin, admin.deleteSnapshot(id=snapshot["id"]))
    assert not stored.exists()


def _pool_volumes(directory: Path) -> list[str] | None:
    """The volumes of the host's active libvirt pool on `directory`; None if it has none."""
    connection = libvirt.open("qemu:///system")
    try:
        for pool in connection.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE):
            if f"<path>{directory}</path>" in pool.XMLDesc(0):
                return [str(name) for name in pool.listVolumes()]
        return None
    finally:
        connection.close()


def _domain_definition(name: str) -> str:
    connection = libvirt.open("qemu:///system")
    try:
        return str(connection.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    finally:
        connection.close()


def _a_stray_copy_is_stopped(admin: CloudStack, *, name: str, definition: str) -> None:
    """Started behind Alto's back, a Stopped VM's domain is stopped by the next ping round,
    with an alert."""
    connection = libvirt.open("qemu:///system")
    try:
        domain = connection.defineXML(definition)
        admin.updateConfiguration(name="ping.interval", value="3")
        with contextlib.suppress(libvirt.libvirtError):
            domain.create()  # a ping round may stop it before create() returns
        try:
            deadline = time.monotonic() + 60
            while name in {d.name() for d in connection.listAllDomains()}:
                assert time.monotonic() < deadline, f"stray domain {name} still defined"
                time.sleep(0.5)
        finally:
            admin.updateConfiguration(name="ping.interval", value="60")
    finally:
        connection.close()
    deadline = time.monotonic() + 30
    while not _stray_alerted(admin, name=name):  # the alert is written just after the stop
        assert time.monotonic() < deadline, f"no alert says stray domain {name} was stopped"
        time.sleep(0.5)


def _stray_alerted(admin: CloudStack, *, name: str) -> bool:
    alerts = admin.listAlerts(type="8").get("alert", [])
    return any(f"VM {name} " in alert["description"] for alert in alerts)


def _a_memory_snapshot_is_taken_and_reverted_to(
    admin: CloudStack, *, vm_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """With memory, a VM snapshot of the running guest is taken and reverted to, and the
    guest runs on; without memory (an external overlay a later start would not use) it is
    refused before anything is taken. Returns that snapshot and a second one, taken after
    the revert, both kept."""
    with pytest.raises(CloudStackApiException) as refused:
        admin.createVMSnapshot(virtualmachineid=vm_id, snapshotmemory=False)
    assert refused.value.error["errorcode"] == 431
    assert "without memory are not supported" in refused.value.error["errortext"]
    snapshot = succeeded(
        admin, admin.createVMSnapshot(virtualmachineid=vm_id, snapshotmemory=True)
    )["vmsnapshot"]
    assert snapshot["state"] == "Ready" and snapshot["type"] == "DiskAndMemory"
    succeeded(admin, admin.revertToVMSnapshot(vmsnapshotid=snapshot["id"]))
    [vm] = admin.listVirtualMachines(id=vm_id)["virtualmachine"]
    assert vm["state"] == "Running"
    second = succeeded(admin, admin.createVMSnapshot(virtualmachineid=vm_id, snapshotmemory=True))[
        "vmsnapshot"
    ]
    return dict(snapshot), dict(second)


def _memory_snapshots_outlive_a_stop(
    admin: CloudStack, *, vm_id: str, snapshots: tuple[dict[str, Any], dict[str, Any]], root: Path
) -> None:
    """Memory snapshots taken before the VM was stopped and started again (which makes
    libvirt forget them) are reverted to while it runs, and while it is stopped, which
    starts it (Running, on its host); they are deleted from the volume file while it is
    stopped and while it runs."""
    first, second = snapshots
    assert internal_snapshots(root) == {first["name"], second["name"]}
    succeeded(admin, admin.revertToVMSnapshot(vmsnapshotid=first["id"]))
    assert admin.listVirtualMachines(id=vm_id)["virtualmachine"][0]["state"] == "Running"
    succeeded(admin, admin.stopVirtualMachine(id=vm_id))
    succeeded(admin, admin.deleteVMSnapshot(vmsnapshotid=second["id"]))
    assert internal_snapshots(root) == {first["name"]}
    reverted = succeeded(admin, admin.revertToVMSnapshot(vmsnapshotid=first["id"]))
    assert reverted["virtualmachine"]["state"] == "Running"
    [vm] = admin.listVirtualMachines(id=vm_id)["virtualmachine"]
    assert vm["state"] == "Running" and vm.get("hostid")
    succeeded(admin, admin.deleteVMSnapshot(vmsnapshotid=first["id"]))
    assert internal_snapshots(root) == set()


def test_a_kvm_guest_boots_and_reads_its_metadata(
    server: AltoServer, site: KvmSite, image_dir: Path
) -> None:
    admin = admin_client(server, timeout=120)
    started = time.monotonic()
    vm = succeeded(
        admin,
        admin.deployVirtualMachine(
            zoneid=site.zone.id,
            templateid=site.template["id"],
            serviceofferingid=site.offering["id"],
            userdata=base64.b64encode(USER_DATA.encode()).decode(),
            rootdisksize=1,
        ),
    )["virtualmachine"]
    assert vm["state"] == "Running"
    [root] = admin.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    assert _virtual_size(image_dir / "primary" / "volumes" / root["id"]) == GIB
    console = console_until(admin, vm["id"], "ALTO-GUEST ready")
    _the_root_disk_is_a_clone_whose_snapshot_stands_alone(admin, root=root, image_dir=image_dir)
    print(f"deploy to guest ready: {time.monotonic() - started:.1f} s")
    instance_id = aws_id_of(server, "instance", vm["id"])
    assert f"ALTO-GUEST instance-id={instance_id}" in console, console
    user_data = console.split("ALTO-GUEST user-data-begin", 1)[1].split("ALTO-GUEST user-data-end")[
        0
    ]
    assert user_data.strip() == USER_DATA.strip()
    snapshots = _a_memory_snapshot_is_taken_and_reverted_to(admin, vm_id=vm["id"])

    definition = _domain_definition(vm["instancename"])
    stopped = succeeded(admin, admin.stopVirtualMachine(id=vm["id"]))["virtualmachine"]
    assert stopped["state"] == "Stopped"
    _a_stray_copy_is_stopped(admin, name=vm["instancename"], definition=definition)
    succeeded(admin, admin.startVirtualMachine(id=vm["id"]))
    again = console_until(admin, vm["id"], "ALTO-GUEST ready")
    assert f"ALTO-GUEST instance-id={instance_id}" in again
    reverting = time.monotonic()
    root_file = image_dir / "primary" / "volumes" / root["id"]
    _memory_snapshots_outlive_a_stop(admin, vm_id=vm["id"], snapshots=snapshots, root=root_file)
    print(f"reverts and deletes after a stop: {time.monotonic() - reverting:.1f} s")

    # The guest runs on from the snapshot: it notices a disk plugged in (a VM with VM
    # snapshots cannot have one attached).
    volume = attach_new_volume(admin, site.zone, vm_id=vm["id"])
    console_until(admin, vm["id"], "ALTO-GUEST disks: vda vdb")
    succeeded(admin, admin.detachVolume(id=volume["id"]))
    admin.deleteVolume(id=volume["id"])

    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    volume_files = {path.name for path in (image_dir / "primary" / "volumes").iterdir()}
    assert not {root["id"], volume["id"]} & volume_files
    connection = libvirt.open("qemu:///system")
    try:
        names = {domain.name() for domain in connection.listAllDomains()}
    finally:
        connection.close()
    assert vm["instancename"] not in names


def _domain_names() -> set[str]:
    connection = libvirt.open("qemu:///system")
    try:
        return {str(domain.name()) for domain in connection.listAllDomains()}
    finally:
        connection.close()


@dataclass
class AwsGuest:
    """One instance driven through an aws CLI: `ec2(...)` runs `aws ec2 ...` as its owner."""

    server: AltoServer
    tenant: Any
    cli: str
    instance_id: str = ""

    def ec2(self, *args: str) -> Any:
        return aws_cli(self.server, self.tenant, "ec2", *args, cli=self.cli)

    def console_until(self, marker: str) -> str:
        """get-console-output until it holds `marker` (the log starts again at each start)."""
        deadline = time.monotonic() + BOOT_TIMEOUT
        console = ""
        while marker not in console and time.monotonic() < deadline:
            answer = self.ec2("get-console-output", "--instance-id", self.instance_id)
            console = str(answer.get("Output") or "")
            time.sleep(1)
        assert marker in console, console
        return console


@pytest.mark.parametrize("cli", [CLI_V1, CLI_V2])
def test_the_aws_cli_runs_a_kvm_instance(
    server: AltoServer, site: KvmSite, image_dir: Path, cli: str
) -> None:
    """run-instances with user data, which the guest reads from the metadata service and
    prints with its instance id; then stop, start, a volume attached that the guest sees,
    a snapshot, and terminate, leaving no domain and no volume file behind."""
    if not cli_available(cli):
        pytest.skip(f"{cli} is not installed")
    admin = admin_client(server, timeout=120)
    guest = AwsGuest(server, new_account(admin, endpoint=server.endpoint), cli)
    domains_before = _domain_names()
    volumes_dir = image_dir / "primary" / "volumes"
    files_before = _file_names(volumes_dir)
    [zone] = guest.ec2("describe-availability-zones")["AvailabilityZones"]
    launched = guest.ec2(
        "run-instances",
        "--image-id", aws_id_of(server, "image", str(site.template["id"])),
        "--instance-type", str(site.offering["name"]),
        "--placement", f"AvailabilityZone={zone['ZoneName']}",
        "--user-data", USER_DATA,
    )  # fmt: skip
    [instance] = launched["Instances"]
    guest.instance_id = instance["InstanceId"]
    guest.ec2("wait", "instance-running", "--instance-ids", guest.instance_id)
    console = guest.console_until("ALTO-GUEST ready")
    assert f"ALTO-GUEST instance-id={guest.instance_id}" in console, console
    assert USER_DATA.strip() in console

    guest.ec2("stop-instances", "--instance-ids", guest.instance_id)
    guest.ec2("wait", "instance-stopped", "--instance-ids", guest.instance_id)
    guest.ec2("start-instances", "--instance-ids", guest.instance_id)
    guest.ec2("wait", "instance-running", "--instance-ids", guest.instance_id)
    again = guest.console_until("ALTO-GUEST ready")
    assert f"ALTO-GUEST instance-id={guest.instance_id}" in again

    volume_id = guest.ec2("create-volume", "--availability-zone", zone["ZoneName"], "--size", "1")[
        "VolumeId"
    ]
    guest.ec2("wait", "volume-available", "--volume-ids", volume_id)
    guest.ec2(
        "attach-volume", "--volume-id", volume_id, "--instance-id", guest.instance_id,
        "--device", "/dev/sdf",
    )  # fmt: skip
    guest.ec2("wait", "volume-in-use", "--volume-ids", volume_id)
    guest.console_until("ALTO-GUEST disks: vda vdb")

    [reservation] = guest.ec2("describe-instances", "--instance-ids", guest.instance_id)[
        "Reservations"
    ]
    [described] = reservation["Instances"]
    root_id = described["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    snapshot_id = guest.ec2("create-snapshot", "--volume-id", root_id)["SnapshotId"]
    guest.ec2("wait", "snapshot-completed", "--snapshot-ids", snapshot_id)

    guest.ec2("terminate-instances", "--instance-ids", guest.instance_id)
    guest.ec2("wait", "instance-terminated", "--instance-ids", guest.instance_id)
    guest.ec2("wait", "volume-available", "--volume-ids", volume_id)
    guest.ec2("delete-volume", "--volume-id", volume_id)
    guest.ec2("delete-snapshot", "--snapshot-id", snapshot_id)
    assert _domain_names() <= domains_before
    _until(lambda: _file_names(volumes_dir) <= files_before)


def _file_names(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()} if directory.is_dir() else set()


def _until(condition: Any, *, timeout: float = 60.0) -> None:
    """Wait for `condition()`: a terminated instance is expunged, with its root volume, in
    the background (at once here: `expunge.delay` is 0)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
