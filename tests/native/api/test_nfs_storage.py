"""NFS secondary and primary storage through the real `cs` client, against a real user-space
NFS server (nfs-ganesha in a network namespace): a template downloaded to an NFS image store,
a VM whose root volume is copied from it to an NFS pool, and a volume snapshot exported back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cs import CloudStack

from tests.support.nfs_server import NfsServer, nfs_server_or_skip
from tests.support.tenants import unique
from tests.support.vms import deploy, offering, ready_template, succeeded
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def nfs() -> Iterator[NfsServer]:
    yield from nfs_server_or_skip()


@pytest.fixture
def zone(admin: CloudStack, tmp_path: Path) -> SimZone:
    return build_zone(admin, root=tmp_path, hosts=1)


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_templates_volumes_and_snapshots_live_on_nfs(
    admin: CloudStack, zone: SimZone, nfs: NfsServer, tmp_path: Path
) -> None:
    (nfs.directory / "secondary").mkdir()
    (nfs.directory / "primary").mkdir()
    secondary = admin.addImageStore(
        name=unique("nfs"), provider="NFS", zoneid=zone.id, url=f"{nfs.url}/secondary"
    )["imagestore"]
    assert secondary["protocol"] == "nfs" and secondary["disksizetotal"] > 0
    admin.updateImageStore(id=zone.image_store["id"], readonly=True)
    pool = admin.createStoragePool(
        zoneid=zone.id,
        podid=zone.pod["id"],
        clusterid=zone.cluster["id"],
        name=unique("nfs-primary"),
        url=f"{nfs.url}/primary",
        scope="cluster",
        tags="nfs",
    )["storagepool"]
    assert pool["type"] == "NetworkFilesystem" and pool["disksizetotal"] > 0

    image = bytes(range(256)) * 4096
    template = ready_template(admin, zone, root=tmp_path, image=image)
    stored = _files(nfs.directory / "secondary")
    assert len(stored) == 1 and (nfs.directory / "secondary" / stored.pop()).read_bytes() == image

    so = offering(admin, tags="nfs")
    vm = deploy(admin, zone, so, template)
    [root] = admin.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    assert root["storageid"] == pool["id"]
    volumes = _files(nfs.directory / "primary")
    assert any((nfs.directory / "primary" / f).read_bytes()[: len(image)] == image for f in volumes)

    snapshot = succeeded(admin, admin.createSnapshot(volumeid=root["id"]))["snapshot"]
    assert snapshot["state"] == "BackedUp"
    assert len(_files(nfs.directory / "secondary")) == 2

    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    succeeded(admin, admin.deleteSnapshot(id=snapshot["id"]))
    assert not _files(nfs.directory / "primary") - {f for f in volumes if f.startswith("template")}
    assert len(_files(nfs.directory / "secondary")) == 1
