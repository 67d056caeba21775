"""The VM life cycle through `cs`: deployVirtualMachine, start, stop, reboot, destroy,
recover, expunge, updateVirtualMachine, scale/changeService, migrate, and failures that
must leave nothing reserved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, unique
from tests.support.vms import (
    allocated,
    deploy,
    host_of,
    job_result,
    offering,
    ready_template,
    succeeded,
    vm_of,
)
from tests.support.zones import SimZone, add_host, build_zone

JOB_TIMEOUT = 60.0
MIB = 1024 * 1024


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("vmzone")


@pytest.fixture(scope="module")
def zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root, hosts=2)


@pytest.fixture(scope="module")
def template(admin: CloudStack, zone: SimZone, root: Path) -> dict[str, Any]:
    return ready_template(admin, zone, root=root)


@pytest.fixture(scope="module")
def small(admin: CloudStack) -> dict[str, Any]:
    return offering(admin)


# --- tests -----------------------------------------------------------------------------


def test_full_life_cycle(
    tenant: Tenant,
    admin: CloudStack,
    zone: SimZone,
    template: dict[str, Any],
    small: dict[str, Any],
) -> None:
    user = tenant.client()
    answer = user.deployVirtualMachine(
        zoneid=zone.id,
        serviceofferingid=small["id"],
        templateid=template["id"],
        displayname="web one",
    )
    assert answer["id"]
    vm = succeeded(user, answer)["virtualmachine"]
    assert vm["id"] == answer["id"]
    assert vm["state"] == "Running"
    assert vm["displayname"] == "web one" and vm["name"].startswith("VM-")
    assert vm["account"] == tenant.name and vm["domainid"] == tenant.domainid
    assert vm["zoneid"] == zone.id and vm["templateid"] == template["id"]
    assert vm["serviceofferingid"] == small["id"]
    assert (vm["cpunumber"], vm["cpuspeed"], vm["memory"]) == (1, 500, 256)
    assert vm["rootdevicetype"] == "ROOT" and vm["rootdeviceid"] == 0
    assert vm["hypervisor"] == "Simulator"
    assert "hostid" not in vm and "instancename" not in vm

    seen = vm_of(admin, vm["id"])
    assert seen["instancename"].startswith("i-") and seen["instancename"].endswith("-VM")
    host = host_of(admin, seen["hostid"])
    assert int(host["cpuallocatedvalue"]) >= 500

    stopped = succeeded(user, user.stopVirtualMachine(id=vm["id"]))["virtualmachine"]
    assert stopped["state"] == "Stopped"
    assert "hostid" not in vm_of(admin, vm["id"])
    started = succeeded(user, user.startVirtualMachine(id=vm["id"]))["virtualmachine"]
    assert started["state"] == "Running"
    assert (
        succeeded(user, user.rebootVirtualMachine(id=vm["id"]))["virtualmachine"]["state"]
        == "Running"
    )

    error = api_error(user.startVirtualMachine, id=vm["id"])
    assert error.errorcode == 431 and "Running" in error.errortext

    destroyed = succeeded(user, user.destroyVirtualMachine(id=vm["id"]))["virtualmachine"]
    assert destroyed["state"] == "Destroyed"
    assert user.listVirtualMachines(id=vm["id"]) == {}
    assert vm_of(admin, vm["id"])["state"] == "Destroyed"
    assert api_error(user.recoverVirtualMachine, id=vm["id"]).errorcode == 531
    assert admin.recoverVirtualMachine(id=vm["id"])["virtualmachine"]["state"] == "Stopped"
    assert vm_of(user, vm["id"])["state"] == "Stopped"

    assert api_error(user.destroyVirtualMachine, id=vm["id"], expunge="true").errorcode == 531
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge="true"))
    assert admin.listVirtualMachines(id=vm["id"], listall=True) == {}
    volumes = admin.listVolumes(zoneid=zone.id, listall=True).get("volume", [])
    assert [v for v in volumes if v.get("virtualmachineid") == vm["id"]] == []


def test_deploy_stopped_then_start_on_a_chosen_host(
    admin: CloudStack, zone: SimZone, template: dict[str, Any], small: dict[str, Any]
) -> None:
    vm = deploy(admin, zone, small, template, startvm="false")
    assert vm["state"] == "Stopped"
    target = zone.hosts[1]
    started = succeeded(admin, admin.startVirtualMachine(id=vm["id"], hostid=target["id"]))
    assert started["virtualmachine"]["hostid"] == target["id"]
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge="true"))


def test_users_cannot_pick_hosts_or_touch_others_vms(
    tenant: Tenant,
    admin: CloudStack,
    zone: SimZone,
    template: dict[str, Any],
    small: dict[str, Any],
) -> None:
    user = tenant.client()
    error = api_error(
        user.deployVirtualMachine,
        zoneid=zone.id,
        serviceofferingid=small["id"],
        templateid=template["id"],
        hostid=zone.hosts[0]["id"],
    )
    assert error.errorcode == 531
    theirs = deploy(admin, zone, small, template, startvm="false")
    assert api_error(user.stopVirtualMachine, id=theirs["id"]).errorcode == 431
    succeeded(admin, admin.destroyVirtualMachine(id=theirs["id"], expunge="true"))


def test_bad_deploys_fail_at_once(
    tenant: Tenant, zone: SimZone, template: dict[str, Any], small: dict[str, Any]
) -> None:
    user = tenant.client()
    base = {"zoneid": zone.id, "serviceofferingid": small["id"], "templateid": template["id"]}
    assert api_error(user.deployVirtualMachine, **base, userdata="not base64!").errorcode == 431
    assert api_error(user.deployVirtualMachine, **base, name="bad_name!").errorcode == 431
    assert api_error(user.deployVirtualMachine, **base, keypair="nope").errorcode == 431
    assert (
        api_error(user.deployVirtualMachine, **{**base, "templateid": small["id"]}).errorcode == 431
    )
    assert user.listVirtualMachines() == {}


def test_a_failed_start_leaves_nothing_reserved(
    admin: CloudStack, tmp_path: Path, small: dict[str, Any]
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1, host_url_params="&fail=start:1")
    template = ready_template(admin, zone, root=tmp_path)
    answer = admin.deployVirtualMachine(
        zoneid=zone.id, serviceofferingid=small["id"], templateid=template["id"]
    )
    job = job_result(admin, answer)
    assert job["jobstatus"] == 2
    assert job["jobresult"]["errorcode"] == 534
    assert allocated(admin, zone) == (0, 0)
    assert admin.listVirtualMachines(id=answer["id"], listall=True) == {}
    [pool] = admin.listStoragePools(id=zone.pool["id"])["storagepool"]
    assert int(pool["disksizeallocated"]) == 0
    assert list((tmp_path / "primary").rglob("*")) == [] or not any(
        p.is_file() for p in (tmp_path / "primary").rglob("*")
    )


def test_a_failing_host_is_skipped_for_a_good_one(
    admin: CloudStack, tmp_path: Path, small: dict[str, Any]
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1, host_url_params="&fail=start:1")
    good = add_host(admin, zone)
    template = ready_template(admin, zone, root=tmp_path)
    vm = deploy(admin, zone, small, template)
    assert vm["hostid"] == good["id"]
    cpu, memory = allocated(admin, zone)
    assert (cpu, memory) == (500, 256 * MIB)


def test_update_scale_and_change_service(
    admin: CloudStack, zone: SimZone, template: dict[str, Any], small: dict[str, Any]
) -> None:
    vm = deploy(admin, zone, small, template)
    bigger = offering(admin, cpu=2, speed=500, mem=512)
    error = api_error(
        admin.changeServiceForVirtualMachine, id=vm["id"], serviceofferingid=bigger["id"]
    )
    assert error.errorcode == 431
    error = job_result(
        admin, admin.scaleVirtualMachine(id=vm["id"], serviceofferingid=bigger["id"])
    )
    assert error["jobstatus"] == 2 and error["jobresult"]["errorcode"] == 431

    succeeded(admin, admin.stopVirtualMachine(id=vm["id"]))
    changed = admin.changeServiceForVirtualMachine(id=vm["id"], serviceofferingid=bigger["id"])
    assert (
        changed["virtualmachine"]["cpunumber"] == 2 and changed["virtualmachine"]["memory"] == 512
    )
    updated = admin.updateVirtualMachine(
        id=vm["id"], displayname="renamed", name="renamed-vm", userdata="aGVsbG8="
    )["virtualmachine"]
    assert updated["displayname"] == "renamed" and updated["name"] == "renamed-vm"
    assert "userdata" not in updated
    listed = admin.listVirtualMachines(id=vm["id"], userdata="true")["virtualmachine"][0]
    assert listed["userdata"] == "aGVsbG8="
    started = succeeded(admin, admin.startVirtualMachine(id=vm["id"]))["virtualmachine"]
    host = host_of(admin, started["hostid"])
    assert int(host["cpuallocatedvalue"]) >= 1000
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge="true"))


def test_live_scale_when_enabled(admin: CloudStack, tmp_path: Path, small: dict[str, Any]) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    template = ready_template(admin, zone, root=tmp_path, isdynamicallyscalable="true")
    vm = deploy(admin, zone, small, template)
    bigger = offering(admin, cpu=2, speed=500, mem=512)
    admin.updateConfiguration(name="enable.dynamic.scale.vm", value="true", zoneid=zone.id)
    succeeded(admin, admin.scaleVirtualMachine(id=vm["id"], serviceofferingid=bigger["id"]))
    scaled = vm_of(admin, vm["id"])
    assert (scaled["state"], scaled["cpunumber"], scaled["memory"]) == ("Running", 2, 512)
    assert allocated(admin, zone) == (1000, 512 * MIB)


def test_migrate_a_running_vm(
    admin: CloudStack, zone: SimZone, template: dict[str, Any], small: dict[str, Any]
) -> None:
    source, target = zone.hosts[0], zone.hosts[1]
    vm = deploy(admin, zone, small, template, hostid=source["id"])
    before = int(host_of(admin, target["id"])["cpuallocatedvalue"])
    moved = succeeded(
        admin, admin.migrateVirtualMachine(virtualmachineid=vm["id"], hostid=target["id"])
    )
    assert moved["virtualmachine"]["hostid"] == target["id"]
    assert int(host_of(admin, target["id"])["cpuallocatedvalue"]) == before + 500
    auto = succeeded(admin, admin.migrateVirtualMachine(virtualmachineid=vm["id"]))
    assert auto["virtualmachine"]["hostid"] == source["id"]
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge="true"))


def test_hosts_for_migration_flag_where_a_running_vm_can_go(
    admin: CloudStack,
    tenant: Tenant,
    zone: SimZone,
    template: dict[str, Any],
    small: dict[str, Any],
) -> None:
    source, target = zone.hosts[0], zone.hosts[1]
    vm = deploy(admin, zone, small, template, hostid=source["id"])
    answer = admin.findHostsForMigration(virtualmachineid=vm["id"])
    [candidate] = answer["host"]
    assert answer["count"] == 1
    assert (candidate["id"], candidate["name"], candidate["clusterid"]) == (
        target["id"], target["name"], zone.cluster["id"],
    )  # fmt: skip
    assert candidate["suitableformigration"] is True
    assert candidate["requiresStorageMotion"] is False

    admin.updateHost(id=target["id"], allocationstate="Disable")
    try:
        [disabled] = admin.findHostsForMigration(virtualmachineid=vm["id"])["host"]
        assert disabled["suitableformigration"] is False
    finally:
        admin.updateHost(id=target["id"], allocationstate="Enable")
    nothing = admin.findHostsForMigration(virtualmachineid=vm["id"], keyword="no-such")
    assert nothing.get("host", []) == []

    succeeded(admin, admin.stopVirtualMachine(id=vm["id"]))
    error = api_error(admin.findHostsForMigration, virtualmachineid=vm["id"])
    assert (error.errorcode, "not Running" in error.errortext) == (431, True)
    assert api_error(tenant.client().findHostsForMigration, virtualmachineid=vm["id"]).errorcode in (
        401, 432,
    )  # fmt: skip
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge="true"))


def test_custom_size_data_disk_and_root_size(
    tenant: Tenant, admin: CloudStack, zone: SimZone, template: dict[str, Any]
) -> None:
    user = tenant.client()
    custom = admin.createServiceOffering(name=unique("custom"), customized="true")[
        "serviceoffering"
    ]
    disk = admin.createDiskOffering(name=unique("disk"), displaytext="1 GB", disksize=1)[
        "diskoffering"
    ]
    vm = deploy(
        user,
        zone,
        custom,
        template,
        diskofferingid=disk["id"],
        rootdisksize=2,
        **{"details[0].cpuNumber": "2", "details[0].cpuSpeed": "600", "details[0].memory": "300"},
    )
    assert (vm["cpunumber"], vm["cpuspeed"], vm["memory"]) == (2, 600, 300)
    volumes = user.listVolumes(virtualmachineid=vm["id"])["volume"]
    sizes = {v["type"]: v["size"] for v in volumes}
    assert sizes == {"ROOT": 2 * 1024**3, "DATADISK": 1024**3}
    error = api_error(
        user.deployVirtualMachine,
        zoneid=zone.id,
        serviceofferingid=custom["id"],
        templateid=template["id"],
    )
    assert error.errorcode == 431


def test_limits_are_charged_and_given_back(
    tenant: Tenant,
    admin: CloudStack,
    zone: SimZone,
    template: dict[str, Any],
    small: dict[str, Any],
) -> None:
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=0, max=1)
    user = tenant.client()
    vm = deploy(user, zone, small, template, startvm="false")
    error = api_error(
        user.deployVirtualMachine,
        zoneid=zone.id,
        serviceofferingid=small["id"],
        templateid=template["id"],
    )
    assert error.errorcode == 532
    succeeded(user, user.destroyVirtualMachine(id=vm["id"]))
    second = deploy(user, zone, small, template, startvm="false")
    assert second["state"] == "Stopped"
    assert api_error(admin.recoverVirtualMachine, id=vm["id"]).errorcode == 532
