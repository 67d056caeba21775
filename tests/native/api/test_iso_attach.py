"""attachIso and detachIso on running and stopped VMs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.http_files import HttpFiles
from tests.support.tenants import Tenant, unique
from tests.support.vms import (
    deploy,
    job_result,
    offering,
    ready_template,
    succeeded,
)
from tests.support.zones import SimZone, build_zone


def ready_iso(client: CloudStack, zone: SimZone, *, files: HttpFiles) -> dict[str, Any]:
    url = files.add(unique("image") + ".iso", b"CD001" * 4096)
    [iso] = client.registerIso(name=unique("iso"), displaytext="an iso", url=url, zoneid=zone.id)[
        "iso"
    ]
    deadline = time.monotonic() + 30
    entry: dict[str, Any] = {}
    while time.monotonic() < deadline:
        [entry] = client.listIsos(isofilter="self", id=iso["id"])["iso"]
        if entry["isready"]:
            return dict(entry)
        time.sleep(0.1)
    raise AssertionError(f"ISO not ready: {entry}")


@pytest.fixture(scope="module")
def http() -> Iterator[HttpFiles]:
    with HttpFiles() as files:
        yield files


def test_attach_and_detach(
    tenant: Tenant, admin: CloudStack, tmp_path: Path, http: HttpFiles
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    template = ready_template(admin, zone, root=tmp_path)
    user = tenant.client()
    files = http
    vm = deploy(user, zone, offering(admin), template)
    iso = ready_iso(admin, zone, files=files)
    own_iso = ready_iso(user, zone, files=files)

    attached = succeeded(user, user.attachIso(id=own_iso["id"], virtualmachineid=vm["id"]))
    assert attached["virtualmachine"]["isoid"] == own_iso["id"]
    again = job_result(user, user.attachIso(id=own_iso["id"], virtualmachineid=vm["id"]))
    assert again["jobstatus"] == 2 and again["jobresult"]["errorcode"] == 431
    not_iso = job_result(user, user.attachIso(id=template["id"], virtualmachineid=vm["id"]))
    assert not_iso["jobstatus"] == 2 and not_iso["jobresult"]["errorcode"] == 431

    detached = succeeded(user, user.detachIso(virtualmachineid=vm["id"]))
    assert "isoid" not in detached["virtualmachine"]
    nothing = job_result(user, user.detachIso(virtualmachineid=vm["id"]))
    assert nothing["jobstatus"] == 2 and nothing["jobresult"]["errorcode"] == 431

    theirs = job_result(user, user.attachIso(id=iso["id"], virtualmachineid=vm["id"]))
    assert theirs["jobstatus"] == 2 and theirs["jobresult"]["errorcode"] == 531

    succeeded(user, user.stopVirtualMachine(id=vm["id"]))
    stopped = succeeded(user, user.attachIso(id=own_iso["id"], virtualmachineid=vm["id"]))
    assert stopped["virtualmachine"]["isoid"] == own_iso["id"]
    started = succeeded(user, user.startVirtualMachine(id=vm["id"]))
    assert started["virtualmachine"]["isoname"] == own_iso["name"]
