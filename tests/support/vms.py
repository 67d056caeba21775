"""VMs in black-box tests: offerings, ready templates, deploys and async results.

so = offering(admin)
template = ready_template(admin, zone, root=tmp_path)
vm = deploy(tenant.client(), zone, so, template)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.api import wait_for_job
from tests.support.tenants import unique
from tests.support.zones import SimZone

JOB_TIMEOUT = 60.0


def offering(
    admin: CloudStack, *, cpu: int = 1, speed: int = 500, mem: int = 256, **extra: Any
) -> dict[str, Any]:
    """A fixed service offering of `cpu` vCPUs of `speed` MHz and `mem` MiB."""
    return dict(
        admin.createServiceOffering(
            name=unique("so"),
            displaytext="vm test",
            cpunumber=cpu,
            cpuspeed=speed,
            memory=mem,
            **extra,
        )["serviceoffering"]
    )


def ready_template(
    admin: CloudStack,
    zone: SimZone,
    *,
    root: Path,
    image: bytes = b"\0" * 65536,
    format: str = "RAW",
    **extra: Any,
) -> dict[str, Any]:
    """A public template of `image` registered from a file:// URL in the zone, once ready."""
    path = root / f"{unique('image')}.{format.lower()}"
    path.write_bytes(image)
    [template] = admin.registerTemplate(
        name=unique("tpl"),
        displaytext="tiny",
        url=path.as_uri(),
        zoneid=zone.id,
        format=format,
        hypervisor="Simulator",
        ispublic="true",
        **extra,
    )["template"]
    deadline = time.monotonic() + JOB_TIMEOUT
    found: dict[str, Any] = {}
    while time.monotonic() < deadline:
        [found] = admin.listTemplates(templatefilter="all", id=template["id"])["template"]
        if found.get("isready"):
            return dict(found)
        time.sleep(0.2)
    raise AssertionError(f"template {template['id']} not ready: {found.get('status')}")


def job_result(client: CloudStack, answer: dict[str, Any]) -> dict[str, Any]:
    """The finished job of an async answer."""
    return wait_for_job(client, answer["jobid"], timeout=JOB_TIMEOUT)


def succeeded(client: CloudStack, answer: dict[str, Any]) -> dict[str, Any]:
    """The result of an async call that must succeed."""
    job = job_result(client, answer)
    assert job["jobstatus"] == 1, job
    return dict(job["jobresult"])


def failed(client: CloudStack, answer: dict[str, Any]) -> dict[str, Any]:
    """The error of an async call that must fail (`errorcode`, `errortext`)."""
    job = job_result(client, answer)
    assert job["jobstatus"] == 2, job
    return dict(job["jobresult"])


def deploy(
    client: CloudStack, zone: SimZone, so: dict[str, Any], template: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """Deploy a VM and wait for it; its `virtualmachine` object."""
    params: dict[str, Any] = {
        "zoneid": zone.id,
        "serviceofferingid": so["id"],
        "templateid": template["id"],
        "name": unique("vm"),
    }
    params.update(extra)
    return dict(succeeded(client, client.deployVirtualMachine(**params))["virtualmachine"])


def vm_of(client: CloudStack, vm_id: str) -> dict[str, Any]:
    [vm] = client.listVirtualMachines(id=vm_id, listall=True)["virtualmachine"]
    return dict(vm)


def host_of(admin: CloudStack, host_id: str) -> dict[str, Any]:
    [host] = admin.listHosts(id=host_id)["host"]
    return dict(host)


def allocated(admin: CloudStack, zone: SimZone) -> tuple[int, int]:
    """(CPU MHz, memory bytes) allocated over the zone's hosts."""
    hosts = admin.listHosts(zoneid=zone.id)["host"]
    return sum(int(h["cpuallocatedvalue"]) for h in hosts), sum(
        int(h["memoryallocated"]) for h in hosts
    )
