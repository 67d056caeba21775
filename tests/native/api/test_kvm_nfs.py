"""A real KVM guest (QEMU/TCG) whose storage is all on NFS, through the real `cs` client: the
template downloaded to an NFS image store, the root volume a copy-on-write clone on an NFS
pool that QEMU opens with its own NFS client, a data volume attached there, a snapshot
flattened back to the image store, a VM snapshot with memory kept in the root volume's
file and reverted to, and nothing left on the export after the expunge. The
NFS server is nfs-ganesha in a network namespace; nothing is mounted."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from cs import CloudStack

from tests.support.guest_image import DEFAULT_CACHE_DIR, GuestImageUnavailable, guest_image
from tests.support.kvm_zone import (
    SYSTEM,
    attach_new_volume,
    console_until,
    guest_template,
    internal_snapshots,
    kvm_server,
    kvm_site_missing,
    kvm_zone,
)
from tests.support.nfs_server import NfsServer, nfs_server_or_skip
from tests.support.server import AltoServer
from tests.support.tenants import admin_client, unique
from tests.support.vms import succeeded

libvirt = pytest.importorskip("libvirt")

pytestmark = pytest.mark.skipif(kvm_site_missing() is not None, reason=kvm_site_missing() or "")

GUEST_VLANS = range(3920, 3930)


@pytest.fixture(scope="module")
def nfs() -> Iterator[NfsServer]:
    yield from nfs_server_or_skip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AltoServer]:
    with kvm_server(tmp_path_factory.mktemp("kvm-nfs")) as started:
        yield started


def _backing_file(path: Path) -> str | None:
    info = subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", str(path)], check=True, capture_output=True
    )
    backing = json.loads(info.stdout).get("backing-filename")
    return None if backing is None else str(backing)


def _disk_sources(name: str) -> list[tuple[str | None, str | None]]:
    """The (protocol, name) of each network disk of the domain."""
    connection = libvirt.open(SYSTEM)
    try:
        definition = ET.fromstring(connection.lookupByName(name).XMLDesc())
    finally:
        connection.close()
    return [
        (source.get("protocol"), source.get("name"))
        for source in definition.iterfind("devices/disk[@type='network']/source")
    ]


def _a_memory_snapshot_lives_in_the_nfs_volume(
    admin: CloudStack, *, vm_id: str, root_file: Path
) -> None:
    """A VM snapshot with memory is kept inside the root volume's qcow2 file on the export,
    reverted to while the guest runs, and deleted from the file."""
    snapshot = succeeded(
        admin, admin.createVMSnapshot(virtualmachineid=vm_id, snapshotmemory=True)
    )["vmsnapshot"]
    assert snapshot["state"] == "Ready"
    assert internal_snapshots(root_file) == {snapshot["name"]}
    succeeded(admin, admin.revertToVMSnapshot(vmsnapshotid=snapshot["id"]))
    assert admin.listVirtualMachines(id=vm_id)["virtualmachine"][0]["state"] == "Running"
    succeeded(admin, admin.deleteVMSnapshot(vmsnapshotid=snapshot["id"]))
    assert internal_snapshots(root_file) == set()


def test_a_kvm_guest_runs_from_nfs_storage(
    server: AltoServer, nfs: NfsServer, tmp_path: Path
) -> None:
    try:
        image = guest_image(cache_dir=DEFAULT_CACHE_DIR)
    except GuestImageUnavailable as reason:
        pytest.skip(str(reason))
    for directory in ("primary", "secondary"):
        (nfs.directory / directory).mkdir()
    admin: CloudStack = admin_client(server, timeout=120)
    zone = kvm_zone(
        admin,
        tmp_path,
        host_uris=[SYSTEM],
        pod_net="10.253.0",
        vlans=GUEST_VLANS,
        storage_url=nfs.url,
    )
    template = guest_template(admin, zone, image=image.template)
    assert list((nfs.directory / "secondary" / "template").rglob("*.qcow2"))
    offering = admin.createServiceOffering(
        name=unique("tiny"), displaytext="tiny", cpunumber=1, cpuspeed=500, memory=256
    )["serviceoffering"]

    vm = succeeded(
        admin,
        admin.deployVirtualMachine(
            zoneid=zone.id, templateid=template["id"], serviceofferingid=offering["id"]
        ),
    )["virtualmachine"]
    [root_volume] = admin.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    root_file = nfs.directory / "primary" / "volumes" / root_volume["id"]
    assert _backing_file(root_file) == f"{nfs.url}/primary/templates/{template['id']}"
    assert _disk_sources(vm["instancename"]) == [
        ("nfs", f"{nfs.export}/primary/volumes/{root_volume['id']}")
    ]
    console_until(admin, vm["id"], "ALTO-GUEST ready")

    volume = attach_new_volume(admin, zone, vm_id=vm["id"])
    console_until(admin, vm["id"], "ALTO-GUEST disks: vda vdb")
    assert (nfs.directory / "primary" / "volumes" / volume["id"]).is_file()
    snapshot = succeeded(admin, admin.createSnapshot(volumeid=root_volume["id"]))["snapshot"]
    [stored] = (nfs.directory / "secondary" / "snapshots").glob(f"*/*/{snapshot['id']}")
    assert _backing_file(stored) is None

    _a_memory_snapshot_lives_in_the_nfs_volume(admin, vm_id=vm["id"], root_file=root_file)

    succeeded(admin, admin.stopVirtualMachine(id=vm["id"]))
    succeeded(admin, admin.startVirtualMachine(id=vm["id"]))
    again = console_until(admin, vm["id"], "ALTO-GUEST ready")
    assert "ALTO-GUEST disks: vda vdb" in again.rsplit("ALTO-GUEST booted", 1)[1]

    succeeded(admin, admin.deleteSnapshot(id=snapshot["id"]))
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    admin.deleteVolume(id=volume["id"])
    assert list((nfs.directory / "primary" / "volumes").iterdir()) == []
    assert not stored.exists()
