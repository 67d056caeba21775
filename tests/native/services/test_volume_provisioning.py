"""Volumes made from templates: KVM QCOW2 templates are copied to the pool once and each
volume is a copy-on-write clone of that copy; other templates are full copies; the copy
counts against the pool's capacity; a deleted template's pool copy goes (with the space it
held) once no volume on the pool was made from it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.catalog import DriverCatalog
from native.model import (
    Account,
    GuestOsType,
    ImageStore,
    StoragePool,
    Template,
    TemplatePoolCopy,
    TemplateStore,
    User,
    Volume,
    Zone,
    utcnow,
)
from native.services import capacity
from native.services.errors import InsufficientCapacity
from native.services.runtime import Runtime
from native.services.volume_provisioning import (
    TemplateSource,
    release_template_copies,
    reserve_pool_for,
    template_path,
    write_volume_data,
)
from tests.native.services.conftest import make_runtime

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-io") is None, reason="needs qemu-img and qemu-io (qemu-utils)"
)


@dataclass
class Site:
    runtime: Runtime
    pool_root: Path
    pool_id: int
    template_id: int
    account_id: int


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    """A zone with a pool and an image store holding a real 16 MiB QCOW2 template (4 MiB
    written)."""
    runtime = make_runtime(database_url, msid="ms-volumes")
    runtime.drivers = DriverCatalog(state_dir=tmp_path / "drivers")
    images, pool_root = tmp_path / "images", tmp_path / "pool"
    (images / "t").mkdir(parents=True)
    image = images / "t" / "1.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"], check=True)
    subprocess.run(["qemu-io", "-c", "write -P 90 0 4M", str(image)], check=True, stdout=DEVNULL)
    with runtime.db.session() as session:
        zone = Zone(name="z1", network_type="Advanced", allocation_state="Enabled")
        session.add(zone)
        session.flush()
        store = ImageStore(
            name="images", zone_id=zone.id, provider="NFS", protocol="file", url=images.as_uri()
        )
        pool = StoragePool(
            name="pool", zone_id=zone.id, scope="ZONE", url=pool_root.as_uri(),
            pool_type="Filesystem", path=str(pool_root), capacity_bytes=1 << 40,
        )  # fmt: skip
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        account = session.get(Account, admin.account_id)
        os_type = session.scalars(select(GuestOsType)).first()
        assert account is not None and os_type is not None
        template = Template(
            name="t", display_text="t", format="QCOW2", account_id=account.id,
            domain_id=account.domain_id, os_type_id=os_type.id, hypervisor_type="KVM",
            url="http://example.invalid/t.qcow2",
        )  # fmt: skip
        session.add_all([store, pool, template])
        session.flush()
        session.add(
            TemplateStore(
                template_id=template.id, store_id=store.id, zone_id=zone.id,
                download_state="DOWNLOADED", install_path="t/1.qcow2", size=16 << 20,
            )
        )  # fmt: skip
        session.commit()
        yield Site(runtime, pool_root, pool.id, template.id, account.id)
    runtime.db.dispose()


def _source(session: Session, *, hypervisor: str = "KVM") -> TemplateSource:
    copy = session.scalars(select(TemplateStore)).one()
    template = session.get(Template, copy.template_id)
    store = session.get(ImageStore, copy.store_id)
    assert template is not None and store is not None
    return TemplateSource(
        uuid=template.uuid, format="QCOW2", hypervisor=hypervisor, store=store, copy=copy
    )


def _write(site: Site, volume_uuid: str, *, hypervisor: str = "KVM") -> str:
    with site.runtime.db.session() as session:
        pool = session.get(StoragePool, site.pool_id)
        assert pool is not None
        return write_volume_data(
            site.runtime,
            volume_uuid=volume_uuid,
            size=16 << 20,
            pool=pool,
            template=_source(session, hypervisor=hypervisor),
        ).path


@pytest.mark.parametrize(("hypervisor", "image_format"), [("KVM", "QCOW2"), (None, "RAW")])
def test_empty_volumes_on_kvm_pools_are_qcow2_images(
    site: Site, hypervisor: str | None, image_format: str
) -> None:
    with site.runtime.db.session() as session:
        pool = session.get(StoragePool, site.pool_id)
        assert pool is not None
        pool.hypervisor_type = hypervisor
    with site.runtime.db.session() as session:
        pool = session.get(StoragePool, site.pool_id)
        assert pool is not None
        placed = write_volume_data(site.runtime, volume_uuid="e1", size=32 << 20, pool=pool)
    assert placed.format == image_format
    info = json.loads(
        subprocess.run(
            ["qemu-img", "info", "--output=json", str(site.pool_root / placed.path)],
            check=True,
            capture_output=True,
        ).stdout
    )
    assert (info["format"], info["virtual-size"]) == (image_format.lower(), 32 << 20)


def _root_volume(session: Session, site: Site, name: str) -> Volume:
    pool = session.get(StoragePool, site.pool_id)
    template = session.get(Template, site.template_id)
    assert pool is not None and template is not None
    volume = Volume(
        name=name, volume_type="ROOT", state="Allocated", account_id=site.account_id,
        domain_id=template.domain_id, zone_id=pool.zone_id, size=16 << 20,
        template_id=template.id,
    )  # fmt: skip
    session.add(volume)
    session.flush()
    return volume


def _reserve(session: Session, site: Site, volume: Volume, *, hypervisor: str = "KVM") -> None:
    reserve_pool_for(
        session,
        site.runtime,
        volume=volume,
        zone_id=volume.zone_id,
        cluster_id=None,
        tags=frozenset(),
        template=_source(session, hypervisor=hypervisor),
    )


def _backing(path: Path) -> str | None:
    answer = subprocess.run(
        ["qemu-img", "info", "--output=json", str(path)], check=True, capture_output=True
    )
    return json.loads(answer.stdout).get("backing-filename")


def _template_uuid(site: Site) -> str:
    with site.runtime.db.session() as session:
        template = session.get(Template, site.template_id)
        assert template is not None
        return template.uuid


def test_kvm_volumes_are_clones_of_one_pool_copy(site: Site) -> None:
    first, second = _write(site, "v1"), _write(site, "v2")
    copy = site.pool_root / template_path(_template_uuid(site))
    assert copy.is_file()
    assert [p.name for p in (site.pool_root / "templates").iterdir()] == [copy.name]
    for path in (first, second):
        assert _backing(site.pool_root / path) == f"../templates/{copy.name}"
        assert (site.pool_root / path).stat().st_size < copy.stat().st_size


def test_other_hypervisors_get_full_copies(site: Site) -> None:
    path = _write(site, "v1", hypervisor="Simulator")
    assert _backing(site.pool_root / path) is None
    assert not (site.pool_root / "templates").exists()


def test_a_deleted_templates_pool_copy_goes_with_its_last_volume(site: Site) -> None:
    path = _write(site, "v1")
    copy = site.pool_root / template_path(_template_uuid(site))
    with site.runtime.db.session() as session:
        template = session.get(Template, site.template_id)
        pool = session.get(StoragePool, site.pool_id)
        assert template is not None and pool is not None
        volume = Volume(
            name="ROOT-1", volume_type="ROOT", state="Ready", account_id=site.account_id,
            domain_id=template.domain_id, zone_id=pool.zone_id, pool_id=pool.id, size=16 << 20,
            template_id=template.id, path=path,
        )  # fmt: skip
        session.add(volume)
        session.commit()

        release_template_copies(session, site.runtime, template=template)
        assert copy.is_file(), "the template is not deleted: its pool copy stays for reuse"

        template.removed = utcnow()
        session.commit()
        release_template_copies(session, site.runtime, template=template)
        assert copy.is_file(), "a volume on the pool is backed by it"

        volume.removed = utcnow()
        session.commit()
        release_template_copies(session, site.runtime, template=template)
        assert not copy.exists()


def test_a_pools_template_copy_counts_against_its_capacity_until_it_goes(site: Site) -> None:
    with site.runtime.db.session() as session:
        pool = session.get(StoragePool, site.pool_id)
        assert pool is not None
        for name in ("ROOT-1", "ROOT-2"):
            _reserve(session, site, _root_volume(session, site, name))
        session.commit()
        assert pool.used_bytes == 2 * (16 << 20) + (16 << 20), "two volumes and one copy"
        [copy] = session.scalars(select(TemplatePoolCopy)).all()
        assert (copy.pool_id, copy.template_id, copy.size) == (pool.id, site.template_id, 16 << 20)

        for volume in session.scalars(select(Volume)).all():
            volume.removed = utcnow()
            capacity.release_pool(session, pool_id=pool.id, size=volume.size)
        template = session.get(Template, site.template_id)
        assert template is not None
        template.removed = utcnow()
        session.commit()
        release_template_copies(session, site.runtime, template=template)
        session.refresh(pool)
        assert pool.used_bytes == 0
        assert session.scalars(select(TemplatePoolCopy)).all() == []


def test_a_pool_without_room_for_the_template_copy_is_passed_over(site: Site) -> None:
    with site.runtime.db.session() as session:
        pool = session.get(StoragePool, site.pool_id)
        assert pool is not None
        limit = capacity.pool_limit(session, site.runtime.settings, pool)
        pool.used_bytes = limit - (24 << 20)
        session.commit()
        with pytest.raises(InsufficientCapacity):
            _reserve(session, site, _root_volume(session, site, "ROOT-1"))
        session.rollback()
        _reserve(session, site, _root_volume(session, site, "ROOT-2"), hypervisor="Simulator")
        session.commit()
        assert pool.used_bytes == limit - (8 << 20), "a full copy needs no pool copy of its own"
        assert session.scalars(select(TemplatePoolCopy)).all() == []
