"""The template download queue: claiming copies and draining the queue from one thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from native.drivers.catalog import DriverCatalog
from native.drivers.storage import qcow2
from native.model import Account, GuestOsType, ImageStore, Template, TemplateStore, User, Zone
from native.services.runtime import Runtime
from native.services.templates import download
from native.services.templates.registration import add_copy
from tests.native.services.conftest import make_runtime

QCOW2_HEADER = qcow2.MAGIC + bytes(20) + (1 << 20).to_bytes(8, "big")


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    server = make_runtime(database_url, msid="ms-download")
    server.drivers = DriverCatalog(state_dir=tmp_path / "drivers")
    yield server
    server.db.dispose()


def _queue_copies(runtime: Runtime, tmp_path: Path, *, stores: int) -> list[int]:
    """A template served from a file:// URL with one NOT_DOWNLOADED copy on each of `stores`
    image stores of one zone; the copies' ids."""
    image = tmp_path / "image.qcow2"
    image.write_bytes(QCOW2_HEADER + bytes(4096))
    with runtime.db.session() as session:
        zone = Zone(name="z1", network_type="Advanced", allocation_state="Enabled")
        session.add(zone)
        session.flush()
        for n in range(stores):
            root = tmp_path / f"store{n}"
            root.mkdir()
            session.add(
                ImageStore(
                    name=f"store{n}", zone_id=zone.id, provider="NFS", protocol="file",
                    url=root.as_uri(),
                )
            )  # fmt: skip
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        account = session.get(Account, admin.account_id)
        os_type = session.scalars(select(GuestOsType)).first()
        assert account is not None and os_type is not None
        template = Template(
            name="t", display_text="t", format="QCOW2", account_id=account.id,
            domain_id=account.domain_id, os_type_id=os_type.id, hypervisor_type="Simulator",
            url=image.as_uri(),
        )  # fmt: skip
        session.add(template)
        session.flush()
        copies = [add_copy(session, template=template, zone=zone) for _ in range(stores)]
        return [copy.id for copy in copies if copy is not None]


def _states(runtime: Runtime, ids: list[int]) -> list[str]:
    with runtime.db.session(write=False) as session:
        return list(
            session.scalars(
                select(TemplateStore.download_state)
                .where(TemplateStore.id.in_(ids))
                .order_by(TemplateStore.id)
            )
        )


def test_a_download_thread_drains_the_whole_queue(runtime: Runtime, tmp_path: Path) -> None:
    ids = _queue_copies(runtime, tmp_path, stores=3)
    assert len(ids) == 3

    [first] = download.claim(runtime, limit=1)
    assert first == ids[0]
    assert _states(runtime, ids) == [download.IN_PROGRESS] + [download.NOT_DOWNLOADED] * 2

    download.drain_queue(runtime, first)

    assert _states(runtime, ids) == [download.DOWNLOADED] * 3
    assert download.claim(runtime, limit=1) == []
    with runtime.db.session(write=False) as session:
        sizes = session.scalars(select(TemplateStore.size).where(TemplateStore.id.in_(ids)))
        assert set(sizes) == {1 << 20}


def test_a_failed_copy_does_not_stop_the_queue(runtime: Runtime, tmp_path: Path) -> None:
    ids = _queue_copies(runtime, tmp_path, stores=2)
    with runtime.db.session() as session:
        copy = session.get(TemplateStore, ids[0])
        assert copy is not None
        template = session.get(Template, copy.template_id)
        assert template is not None
        template.checksum = "{MD5}" + "0" * 32
    [first] = download.claim(runtime, limit=1)

    download.drain_queue(runtime, first)

    assert _states(runtime, ids) == [download.DOWNLOAD_ERROR] * 2
