"""prepareHostForMaintenance drains a host by live migration; cancelHostMaintenance undoes it."""

from __future__ import annotations

from pathlib import Path

from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.tenants import Tenant
from tests.support.vms import JOB_TIMEOUT, deploy, host_of, offering, ready_template, vm_of
from tests.support.zones import build_zone


def test_maintenance_migrates_every_running_vm_away(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=2)
    so, template = offering(admin), ready_template(admin, zone, root=tmp_path)
    source, target = zone.hosts
    vms = [deploy(admin, zone, so, template, hostid=source["id"])["id"] for _ in range(2)]
    job = wait_for_job(
        admin, admin.prepareHostForMaintenance(id=source["id"])["jobid"], timeout=JOB_TIMEOUT
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
    so, template = offering(admin), ready_template(admin, zone, root=tmp_path)
    [host] = zone.hosts
    vm_id = deploy(admin, zone, so, template, hostid=host["id"])["id"]

    job = wait_for_job(
        admin, admin.prepareHostForMaintenance(id=host["id"])["jobid"], timeout=JOB_TIMEOUT
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
