"""Hosts through the real `cs` client: addHost, listHosts, updateHost, reconnectHost,
deleteHost, on simulator clusters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.tenants import unique
from tests.support.vms import deploy, offering, ready_template
from tests.support.zones import SimZone, add_host, build_zone


@pytest.fixture
def zone(admin: CloudStack, tmp_path: Path) -> SimZone:
    return build_zone(admin, root=tmp_path, hosts=1, cpu=4, mem=8192, host_tags="ssd")


def host_params(zone: SimZone, url: str) -> dict[str, Any]:
    return {
        "zoneid": zone.id,
        "podid": zone.pod["id"],
        "clusterid": zone.cluster["id"],
        "hypervisor": "Simulator",
        "url": url,
        "username": "root",
        "password": "password",
    }


def hosts_named(admin: CloudStack, zone: SimZone) -> list[str]:
    return [host["name"] for host in admin.listHosts(zoneid=zone.id).get("host", [])]


def test_add_host_reports_its_size_and_state(admin: CloudStack, zone: SimZone) -> None:
    name = unique("big")
    host = add_host(admin, zone, cpu=16, mem=65536, host_url_params="&speed=2400", name=name)

    assert host["name"] == name
    assert host["state"] == "Up" and host["resourcestate"] == "Enabled"
    assert host["type"] == "Routing" and host["hypervisor"] == "Simulator"
    assert (host["cpunumber"], host["cpuspeed"], host["cpusockets"]) == (16, 2400, 1)
    assert host["memorytotal"] == 65536 * 1024**2
    assert host["cpuallocated"] == "0%" and host["cpuallocatedvalue"] == 0
    assert host["memoryallocated"] == 0 and host["memoryallocatedpercentage"] == "0%"
    assert host["cpuwithoverprovisioning"] == str(16 * 2400)
    assert host["zoneid"] == zone.id and host["podid"] == zone.pod["id"]
    assert host["clusterid"] == zone.cluster["id"]
    assert host["clustername"] == zone.cluster["name"]
    assert host["lastpinged"].endswith("+0000") and host["created"].endswith("+0000")
    assert "password" not in host


def test_hosts_get_distinct_addresses_from_the_pod_range(admin: CloudStack, zone: SimZone) -> None:
    add_host(admin, zone)
    add_host(admin, zone)
    addresses = [host["ipaddress"] for host in admin.listHosts(zoneid=zone.id)["host"]]
    prefix = zone.pod["startip"].rsplit(".", 1)[0]
    assert len(addresses) == 3 == len(set(addresses))
    assert zone.pod["startip"] in addresses
    assert all(address.startswith(prefix + ".") for address in addresses)


def test_a_freed_address_is_handed_out_again(admin: CloudStack, zone: SimZone) -> None:
    second = add_host(admin, zone)
    admin.deleteHost(id=second["id"])
    third = add_host(admin, zone)
    assert third["ipaddress"] == second["ipaddress"]


def test_list_hosts_filters(admin: CloudStack, zone: SimZone) -> None:
    plain = add_host(admin, zone, host_tags="hdd,gpu")
    tagged = zone.hosts[0]
    assert [h["id"] for h in admin.listHosts(id=plain["id"])["host"]] == [plain["id"]]
    assert [h["id"] for h in admin.listHosts(name=plain["name"])["host"]] == [plain["id"]]
    by_cluster = admin.listHosts(clusterid=zone.cluster["id"])
    assert by_cluster["count"] == 2
    assert [h["id"] for h in admin.listHosts(zoneid=zone.id, hosttags="gpu")["host"]] == [
        plain["id"]
    ]
    assert [h["id"] for h in admin.listHosts(zoneid=zone.id, hosttags="ssd")["host"]] == [
        tagged["id"]
    ]
    assert admin.listHosts(zoneid=zone.id, state="Up", type="Routing")["count"] == 2
    assert admin.listHosts(zoneid=zone.id, resourcestate="Disabled") == {}
    assert admin.listHosts(zoneid=zone.id, keyword=plain["name"][-8:])["count"] == 1
    assert admin.listHosts(podid=zone.pod["id"], hypervisor="Simulator")["count"] == 2


def test_duplicate_host_is_refused(admin: CloudStack, zone: SimZone) -> None:
    url = zone.hosts[0]["name"]
    same_url = f"simulator://{url}?cpu=4&mem=8192"
    error = api_error(admin.addHost, **host_params(zone, same_url))
    assert error.errorcode == 431
    other_size = f"simulator://{url}?cpu=2&mem=1024"
    error = api_error(admin.addHost, **host_params(zone, other_size))
    assert error.errorcode == 431 and "already added" in error.errortext
    [host] = admin.listHosts(id=zone.hosts[0]["id"])["host"]
    assert host["state"] == "Up" and host["cpunumber"] == 4


@pytest.mark.parametrize(
    "url",
    [
        "kvm://host1",
        "simulator://bad name",
        "simulator://ok-host?cpu=zero",
        "simulator://ok-host?cpu=0",
        "simulator://ok-host?fail=start",
    ],
)
def test_bad_host_urls_leave_nothing(admin: CloudStack, zone: SimZone, url: str) -> None:
    before = hosts_named(admin, zone)
    error = api_error(admin.addHost, **host_params(zone, url))
    assert error.errorcode == 431, error
    assert hosts_named(admin, zone) == before


def test_add_host_checks_cluster_and_hypervisor(admin: CloudStack, zone: SimZone) -> None:
    params = host_params(zone, f"simulator://{unique('h')}")
    assert api_error(admin.addHost, **{**params, "hypervisor": "KVM"}).errorcode == 431
    params.pop("clusterid")
    assert api_error(admin.addHost, **params).errorcode == 431
    name = unique("newcluster")
    [host] = admin.addHost(**{**params, "clustername": name})["host"]
    assert host["clustername"] == name
    [cluster] = admin.listClusters(name=name)["cluster"]
    assert cluster["podid"] == zone.pod["id"] and cluster["hypervisortype"] == "Simulator"


def test_a_host_that_fails_to_connect_is_not_added(admin: CloudStack, zone: SimZone) -> None:
    url = f"simulator://{unique('flaky')}?fail=connect:1"
    error = api_error(admin.addHost, **host_params(zone, url))
    assert error.errorcode == 534 and "Simulated failure" in error.errortext
    assert len(hosts_named(admin, zone)) == 1
    [host] = admin.addHost(**host_params(zone, url.replace("fail=connect:1", "cpu=2")))["host"]
    assert host["cpunumber"] == 2


def test_a_vmware_host_that_does_not_answer_is_not_added(admin: CloudStack, zone: SimZone) -> None:
    pytest.importorskip("pyVmomi")
    cluster = admin.addCluster(
        zoneid=zone.id, podid=zone.pod["id"], clustername=unique("vsphere"), hypervisor="VMware"
    )["cluster"]
    assert cluster["hypervisortype"] == "VMware"
    error = api_error(
        admin.addHost,
        zoneid=zone.id,
        podid=zone.pod["id"],
        clusterid=cluster["id"],
        hypervisor="VMware",
        url="https://127.0.0.1:1",
        username="root",
        password="secret",
    )
    assert error.errorcode == 534 and "Cannot reach VMware host" in error.errortext
    assert admin.listHosts(clusterid=cluster["id"]) == {}
    assert admin.deleteCluster(id=cluster["id"])["success"] is True


def test_update_host(admin: CloudStack, zone: SimZone) -> None:
    host_id = zone.hosts[0]["id"]
    updated = admin.updateHost(id=host_id, hosttags="fast, ssd ,fast", allocationstate="Disable")
    assert updated["host"]["hosttags"] == "fast,ssd"
    assert updated["host"]["resourcestate"] == "Disabled"
    name = unique("renamed")
    updated = admin.updateHost(id=host_id, name=name, allocationstate="Enable", hosttags="")
    assert updated["host"]["name"] == name and updated["host"]["resourcestate"] == "Enabled"
    assert "hosttags" not in updated["host"]
    assert api_error(admin.updateHost, id=host_id, allocationstate="Maintenance").errorcode == 431


def test_reconnect_host(admin: CloudStack, zone: SimZone) -> None:
    host_id = zone.hosts[0]["id"]
    admin.configureSimulator(hostid=host_id, name="connect", value="fail")
    job = wait_for_job(admin, admin.reconnectHost(id=host_id)["jobid"])
    assert job["jobstatus"] == 2 and job["jobresult"]["errorcode"] == 534
    admin.configureSimulator(hostid=host_id, name="connect", value="ok")
    job = wait_for_job(admin, admin.reconnectHost(id=host_id)["jobid"])
    assert job["jobstatus"] == 1
    assert job["jobresult"]["host"]["state"] == "Up"


def test_delete_host(admin: CloudStack, zone: SimZone) -> None:
    extra = add_host(admin, zone)
    assert admin.deleteHost(id=extra["id"])["success"] is True
    assert api_error(admin.listHosts, id=extra["id"]).errorcode == 431
    [again] = admin.addHost(**host_params(zone, f"simulator://{extra['name']}?cpu=8&mem=16384"))[
        "host"
    ]
    assert again["id"] != extra["id"] and again["state"] == "Up"


def test_vms_show_in_the_figures_and_hold_their_host_and_pool(
    admin: CloudStack, tmp_path: Path
) -> None:
    built = build_zone(admin, root=tmp_path, hosts=1, cpu=4, mem=4096)
    host = built.hosts[0]
    template = ready_template(admin, built, root=tmp_path)
    vm_id = deploy(admin, built, offering(admin), template, hostid=host["id"])["id"]

    [listed] = admin.listHosts(id=host["id"])["host"]
    assert listed["cpuallocatedvalue"] == 500 and listed["cpuallocated"] == "6.25%"
    assert listed["memoryallocated"] == 256 * 1024**2
    assert listed["memoryallocatedpercentage"] == "6.25%"
    cpu = admin.listCapacity(zoneid=built.id, type=1)["capacity"][0]
    assert (cpu["capacityused"], cpu["percentused"]) == (500, "6.25")

    for forced in (False, True):
        error = api_error(admin.deleteHost, id=host["id"], forced=forced)
        assert error.errorcode == 536, error
    error = api_error(admin.deleteStoragePool, id=built.pool["id"], forced=True)
    assert error.errorcode == 536
    wait_for_job(admin, admin.stopVirtualMachine(id=vm_id)["jobid"])
    assert admin.deleteHost(id=host["id"], forced=True)["success"] is True
