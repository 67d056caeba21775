"""Two deployments racing for the last slot of a zone: exactly one wins, the other's job
fails with 533 and leaves nothing allocated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.tenants import admin_client
from tests.support.vms import allocated, job_result, offering, ready_template
from tests.support.zones import build_zone

MIB = 1024 * 1024


def test_two_deploys_race_for_the_last_slot(
    admin: CloudStack, alto_server: AltoServer, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1, cpu=1, mem=1024)
    template = ready_template(admin, zone, root=tmp_path)
    whole_host = offering(admin, cpu=1, speed=2000, mem=1024)

    def deploy(_: int) -> dict[str, Any]:
        client = admin_client(alto_server)
        answer = client.deployVirtualMachine(
            zoneid=zone.id, serviceofferingid=whole_host["id"], templateid=template["id"]
        )
        return job_result(client, answer)

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = list(pool.map(deploy, range(2)))

    assert sorted(job["jobstatus"] for job in jobs) == [1, 2]
    [lost] = [job for job in jobs if job["jobstatus"] == 2]
    assert lost["jobresult"]["errorcode"] == 533
    [won] = [job for job in jobs if job["jobstatus"] == 1]
    assert won["jobresult"]["virtualmachine"]["state"] == "Running"
    assert allocated(admin, zone) == (2000, 1024 * MIB)
    assert admin.listVirtualMachines(zoneid=zone.id, listall=True)["count"] == 1
