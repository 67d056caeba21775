"""prepareHostForMaintenance drains a host by live migration; cancelHostMaintenance undoes it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.tenants import Tenant, unique
from tests.support.zones import SimZone, build_zone

VM_TIMEOUT = 60.0


def service_offering(admin: CloudStack, **extra: Any) -> dict[str, Any]:
    """A small fixed service offering (1 vCPU of 500 MHz, 256 MiB)."""
    return dict(
        admin.createServiceOffering(
            name=unique("so"), displaytext="small", cpunumber=1, cpuspeed=500, memory=256, **extra
        )["serviceoffering"]
    )


def ready_template(admin: CloudStack, zone: SimZone, *, root: Path) -> dict[str, Any]:
    """A RAW template registered from a file:// URL in the zone, once it is ready."""
    image = root / f"{unique('image')}.raw"
    image.write_bytes(b"\0" * 65536)
    [template] = admin.registerTemplate(
        name=unique("tpl"),
        displaytext="tiny",
        url=image.as_uri(),
        zoneid=zone.id,
        format="RAW",
        hypervisor="Simulator",
    )["template"]
    deadline = time.monotonic() + VM_TIMEOUT
    while time.monotonic() < deadline:
        [found] = admin.listTemplates(templatefilter="self", id=template["id"])["template"]
        if found.get("isready"):
            return dict(found)
        time.sleep(0.2)
    raise AssertionError(f"template {template['id']} not ready: {found.get('status')}")


def deploy(
    admin: CloudStack,
    zone: SimZone,
    *,
    offering: dict[str, Any],
    template: dict[str, Any],
    host: dict[str, Any],
) -> str:
    """Deploy a VM on `host` (as admin, with hostid) and wait until it runs; its id."""
    answer = admin.deployVirtualMachine(
        zoneid=zone.id,
        serviceofferingid=offering["id"],
        templateid=template["id"],
        hostid=host["id"],
        name=unique("vm"),
    )
    job = wait_for_job(admin, answer["jobid"], timeout=VM_TIMEOUT)
    assert job["jobstatus"] == 1, job
    return str(answer["id"])


def vm_of(admin: CloudStack, vm_id: str) -> dict[str, Any]:
    [vm] = admin.listVirtualMachines(id=vm_id, listall=True)["virtualmachine"]
    return dict(vm)


def host_of(admin: CloudStack, host_id: str) -> dict[str, Any]:
    [host] = admin.listHosts(id=host_id)["host"]
    return dict(host)


def test_maintenance_migrates_every_running_vm_away(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=2)
    offering, template = service_offering(admin), ready_template(admin, zone, root=tmp_path)
    source, target = zone.hosts
    vms = [deploy(admin, zone, offering=offering, template=template, host=source) for _ in range(2)]
    job = wait_for_job(
        admin, admin.prepareHostForMaintenance(id=source["id"])["jobid"], timeout=VM_TIMEOUT
    )
    assert job["jobstatus"] == 1, job
    assert job["jobresult"]["host"]["id"] == source["id"]
    assert job["jobresult"]["host"]["resourcestate"] == "Maintenance"
    assert host_of(admin, source["id"])["resourcestate"] == "Maintenance"
    for vm_id in vms:
        vm = vm_of(admin, vm_id)
        assert (vm["state"], vm["hostid"]) == ("Running", target["id"])
    events = admin.listEvents(type="MAINT.PREPARE", listall=True).get("event", [])
    assert any(source["name"] in event["description"] for event in events)

    error = api_error(admin.prepareHostForMaintenance, id=source["id"])
    assert error.errorcode == 431
    assert "Maintenance" in error.errortext

    job = wait_for_job(admin, admin.cancelHostMaintenance(id=source["id"])["jobid"])
    assert job["jobstatus"] == 1, job
    assert job["jobresult"]["host"]["resourcestate"] == "Enabled"
    assert host_of(admin, source["id"])["resourcestate"] == "Enabled"
    error = api_error(admin.cancelHostMaintenance, id=source["id"])
    assert error.errorcode == 431


def test_maintenance_with_nowhere_to_go_fails_and_keeps_the_vms(
    admin: CloudStack, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    offering, template = service_offering(admin), ready_template(admin, zone, root=tmp_path)
    [host] = zone.hosts
    vm_id = deploy(admin, zone, offering=offering, template=template, host=host)

    job = wait_for_job(
        admin, admin.prepareHostForMaintenance(id=host["id"])["jobid"], timeout=VM_TIMEOUT
    )
    assert job["jobstatus"] == 2, job
    assert job["jobresult"]["errorcode"] == 533
    assert "ErrorInMaintenance" in job["jobresult"]["errortext"]
    assert host_of(admin, host["id"])["resourcestate"] == "ErrorInMaintenance"
    vm = vm_of(admin, vm_id)
    assert (vm["state"], vm["hostid"]) == ("Running", host["id"])
    alerts = admin.listAlerts(type="7", keyword=host["id"]).get("alert", [])
    assert len(alerts) == 1 and "maintenance" in alerts[0]["description"]
    assert admin.listAlerts(type="17", keyword=host["id"]).get("alert")

    job = wait_for_job(admin, admin.cancelHostMaintenance(id=host["id"])["jobid"])
    assert job["jobresult"]["host"]["resourcestate"] == "Enabled"


def test_only_the_root_admin_may_put_hosts_into_maintenance(
    admin: CloudStack, tenant: Tenant, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    [host] = zone.hosts
    error = api_error(tenant.client().prepareHostForMaintenance, id=host["id"])
    assert error.errorcode == 401
    assert host_of(admin, host["id"])["resourcestate"] == "Enabled"
