"""ISOs through the real `cs` client, downloading from a real local HTTP server: registerIso,
listIsos, updateIso, deleteIso, copyIso, updateIsoPermissions, listIsoPermissions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.http_files import HttpFiles
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.zones import SimZone, build_zone

ISO_DATA = b"CD001" + bytes(40000)


@pytest.fixture(scope="module")
def http() -> Iterator[HttpFiles]:
    with HttpFiles() as files:
        yield files


@pytest.fixture(scope="module")
def zone_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zone")


@pytest.fixture(scope="module")
def zone(admin: CloudStack, zone_root: Path) -> SimZone:
    return build_zone(admin, root=zone_root, hosts=1)


def register_iso(
    client: CloudStack, zone: SimZone, http: HttpFiles, **params: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": unique("iso"),
        "displaytext": "an iso",
        "url": http.add(unique("image") + ".iso", ISO_DATA),
        "zoneid": zone.id,
    }
    values.update(params)
    [entry] = client.registerIso(**values)["iso"]
    return dict(entry)


def wait_ready(client: CloudStack, iso_id: str, *, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [entry] = client.listIsos(isofilter="self", id=iso_id)["iso"]
        if entry["isready"] or "failed" in entry.get("status", "").lower():
            return dict(entry)
        time.sleep(0.1)
    raise AssertionError(f"ISO {iso_id} is not ready after {timeout} s")


def test_register_and_list_an_iso(
    tenant: Tenant, zone: SimZone, zone_root: Path, http: HttpFiles
) -> None:
    client = tenant.client()
    entry = register_iso(client, zone, http, bootable="false")
    assert entry["isready"] is False
    assert entry["format"] == "ISO" and entry["bootable"] is False
    assert entry["ostypename"] == "Other Linux (64-bit)"
    ready = wait_ready(client, entry["id"])
    assert ready["isready"] is True, ready
    assert ready["size"] == len(ISO_DATA)
    [stored] = sorted((zone_root / "secondary").rglob(f"{entry['id']}.iso"))
    assert stored.read_bytes() == ISO_DATA

    def ids(**params: Any) -> set[str]:
        return {iso["id"] for iso in client.listIsos(**params).get("iso", [])}

    assert entry["id"] in ids(isofilter="self", isready="true", bootable="false")
    assert entry["id"] not in ids(isofilter="self", bootable="true")
    assert entry["id"] in ids()
    assert client.listTemplates(templatefilter="self", name=entry["name"]) == {}


def test_isos_and_templates_do_not_mix(tenant: Tenant, zone: SimZone, http: HttpFiles) -> None:
    client = tenant.client()
    entry = register_iso(client, zone, http)
    assert api_error(client.updateTemplate, id=entry["id"], name="x").errorcode == 431
    assert (
        api_error(client.registerIso, name="x", url="ftp://host/a.iso", zoneid=zone.id).errorcode
        == 431
    )
    assert api_error(client.registerIso, name="x", url=http.url("a.iso")).errorcode == 431


def test_update_permissions_copy_and_delete(
    admin: CloudStack,
    alto_server: AltoServer,
    tenant: Tenant,
    zone: SimZone,
    http: HttpFiles,
    tmp_path: Path,
) -> None:
    client = tenant.client()
    iso = wait_ready(client, register_iso(client, zone, http)["id"])
    updated = client.updateIso(id=iso["id"], displaytext="renamed", bootable="false")["iso"]
    assert updated["displaytext"] == "renamed" and updated["bootable"] is False

    bob = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)
    client.updateIsoPermissions(id=iso["id"], accounts=bob.name, op="add")
    assert client.listIsoPermissions(id=iso["id"])["templatepermission"]["account"] == [bob.name]
    shared = bob.client().listIsos(isofilter="sharedexecutable")["iso"]
    assert [entry["id"] for entry in shared] == [iso["id"]]
    client.updateIsoPermissions(id=iso["id"], op="reset")
    assert bob.client().listIsos(isofilter="sharedexecutable") == {}

    second = build_zone(admin, root=tmp_path, hosts=1)
    job = wait_for_job(client, client.copyIso(id=iso["id"], destzoneid=second.id)["jobid"])
    assert job["jobstatus"] == 1, job
    assert job["jobresult"]["iso"]["zoneid"] == second.id
    assert len(client.listIsos(isofilter="self", id=iso["id"])["iso"]) == 2

    job = wait_for_job(client, client.deleteIso(id=iso["id"])["jobid"])
    assert job["jobstatus"] == 1, job
    assert client.listIsos(isofilter="self", name=iso["name"]) == {}
    assert sorted(tmp_path.rglob(f"{iso['id']}*")) == []
