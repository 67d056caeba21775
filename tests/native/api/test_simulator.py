"""configureSimulator through the real `cs` client: taking simulator hosts down and up and
injecting failures."""

from __future__ import annotations

from pathlib import Path

from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.tenants import Tenant
from tests.support.zones import build_zone


def test_a_host_taken_down_does_not_answer_until_brought_up(
    admin: CloudStack, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    host_id = zone.hosts[0]["id"]

    assert admin.configureSimulator(hostid=host_id, name="host", value="down")["success"] is True
    job = wait_for_job(admin, admin.reconnectHost(id=host_id)["jobid"])
    assert job["jobstatus"] == 2 and job["jobresult"]["errorcode"] == 534
    assert "down" in job["jobresult"]["errortext"]

    admin.configureSimulator(hostid=host_id, name="host", value="up")
    job = wait_for_job(admin, admin.reconnectHost(id=host_id)["jobid"])
    assert job["jobstatus"] == 1


def test_bad_settings_are_refused(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    host_id = zone.hosts[0]["id"]
    for name, value in (("host", "sideways"), ("start", "explode"), ("start", "fail:x")):
        error = api_error(admin.configureSimulator, hostid=host_id, name=name, value=value)
        assert error.errorcode == 431, (name, value, error)
    assert api_error(admin.configureSimulator, name="host", value="down").errorcode == 431


def test_only_the_root_admin_configures_the_simulator(
    admin: CloudStack, tenant: Tenant, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    error = api_error(
        tenant.client().configureSimulator, hostid=zone.hosts[0]["id"], name="host", value="down"
    )
    assert error.errorcode == 401
    [host] = admin.listHosts(id=zone.hosts[0]["id"])["host"]
    assert host["state"] == "Up"
