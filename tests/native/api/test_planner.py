"""The deployment planner through `cs`: host tags, storage tags, affinity and
anti-affinity groups, and the firstfit and userdispersing planners."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, unique
from tests.support.vms import deploy, job_result, offering, ready_template
from tests.support.zones import add_host, build_zone


@pytest.fixture
def planner_settings(admin: CloudStack) -> Iterator[None]:
    """Restores the planner settings a test changes."""
    names = ("vm.allocation.algorithm", "deployment.planner.weighers")
    saved = {
        name: admin.listConfigurations(name=name)["configuration"][0]["value"] for name in names
    }
    yield
    for name, value in saved.items():
        admin.updateConfiguration(name=name, value=value)


def hosts_of(client: CloudStack, vm_ids: list[str]) -> list[str]:
    return [
        client.listVirtualMachines(id=vm_id, listall=True)["virtualmachine"][0]["hostid"]
        for vm_id in vm_ids
    ]


def test_host_tags_choose_the_tagged_host(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=2)
    tagged = add_host(admin, zone, host_tags="gpu,fast")
    template = ready_template(admin, zone, root=tmp_path)
    gpu = offering(admin, hosttags="gpu")
    vms = [deploy(admin, zone, gpu, template)["hostid"] for _ in range(3)]
    assert vms == [tagged["id"]] * 3
    none = offering(admin, hosttags="tpu")
    job = job_result(
        admin,
        admin.deployVirtualMachine(
            zoneid=zone.id, serviceofferingid=none["id"], templateid=template["id"]
        ),
    )
    assert job["jobstatus"] == 2 and job["jobresult"]["errorcode"] == 533


def test_a_disabled_host_cluster_or_pod_takes_no_vm(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=2)
    template = ready_template(admin, zone, root=tmp_path)
    so = offering(admin)

    def refused() -> bool:
        job = job_result(
            admin,
            admin.deployVirtualMachine(
                zoneid=zone.id, serviceofferingid=so["id"], templateid=template["id"]
            ),
        )
        return job["jobstatus"] == 2 and job["jobresult"]["errorcode"] == 533

    first, second = (host["id"] for host in zone.hosts)
    admin.updateHost(id=first, allocationstate="Disable")
    assert {deploy(admin, zone, so, template)["hostid"] for _ in range(2)} == {second}
    admin.updateHost(id=first, allocationstate="Enable")
    for update, target in (
        (admin.updateCluster, zone.cluster["id"]),
        (admin.updatePod, zone.pod["id"]),
    ):
        update(id=target, allocationstate="Disabled")
        assert refused()
        update(id=target, allocationstate="Enabled")
    assert deploy(admin, zone, so, template)["state"] == "Running"


def test_storage_tags_need_a_tagged_pool(admin: CloudStack, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1, pool_tags="ssd")
    template = ready_template(admin, zone, root=tmp_path)
    assert deploy(admin, zone, offering(admin, tags="ssd"), template)["state"] == "Running"
    hdd = offering(admin, tags="hdd")
    job = job_result(
        admin,
        admin.deployVirtualMachine(
            zoneid=zone.id, serviceofferingid=hdd["id"], templateid=template["id"]
        ),
    )
    assert job["jobstatus"] == 2 and job["jobresult"]["errorcode"] == 533


def test_anti_affinity_spreads_and_affinity_packs(
    tenant: Tenant, admin: CloudStack, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=3)
    template = ready_template(admin, zone, root=tmp_path)
    so = offering(admin)
    user = tenant.client()
    spread = job_result(
        user, user.createAffinityGroup(name=unique("spread"), type="host anti-affinity")
    )
    assert spread["jobstatus"] == 1
    spread_group = spread["jobresult"]["affinitygroup"]
    assert spread_group["type"] == "host anti-affinity" and spread_group["account"] == tenant.name
    pack = job_result(user, user.createAffinityGroup(name=unique("pack"), type="host affinity"))
    pack_group = pack["jobresult"]["affinitygroup"]

    spread_vms = [
        deploy(user, zone, so, template, affinitygroupids=spread_group["id"])["id"]
        for _ in range(3)
    ]
    assert len(set(hosts_of(admin, spread_vms))) == 3
    fourth = job_result(
        user,
        user.deployVirtualMachine(
            zoneid=zone.id,
            serviceofferingid=so["id"],
            templateid=template["id"],
            affinitygroupnames=spread_group["name"],
        ),
    )
    assert fourth["jobstatus"] == 2 and fourth["jobresult"]["errorcode"] == 533

    pack_vms = [
        deploy(user, zone, so, template, affinitygroupids=pack_group["id"])["id"] for _ in range(3)
    ]
    assert len(set(hosts_of(admin, pack_vms))) == 1

    [listed] = user.listAffinityGroups(id=spread_group["id"])["affinitygroup"]
    assert sorted(listed["virtualmachineIds"]) == sorted(spread_vms)
    [vm] = user.listVirtualMachines(id=spread_vms[0])["virtualmachine"]
    assert [g["id"] for g in vm["affinitygroup"]] == [spread_group["id"]]
    assert {t["type"] for t in user.listAffinityGroupTypes()["affinityGroupType"]} == {
        "host affinity",
        "host anti-affinity",
    }
    busy = job_result(user, user.deleteAffinityGroup(id=pack_group["id"]))
    assert busy["jobstatus"] == 2 and busy["jobresult"]["errorcode"] == 536


def test_update_vm_affinity_group_needs_a_stopped_vm(
    tenant: Tenant, admin: CloudStack, tmp_path: Path
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    template = ready_template(admin, zone, root=tmp_path)
    user = tenant.client()
    group = job_result(user, user.createAffinityGroup(name=unique("g"), type="host affinity"))
    group_id = group["jobresult"]["affinitygroup"]["id"]
    vm = deploy(user, zone, offering(admin), template)
    assert (
        api_error(user.updateVMAffinityGroup, id=vm["id"], affinitygroupids=group_id).errorcode
        == 431
    )
    job_result(user, user.stopVirtualMachine(id=vm["id"]))
    updated = job_result(user, user.updateVMAffinityGroup(id=vm["id"], affinitygroupids=group_id))
    assert [g["id"] for g in updated["jobresult"]["virtualmachine"]["affinitygroup"]] == [group_id]
    assert user.listAffinityGroups(virtualmachineid=vm["id"])["count"] == 1


def test_firstfit_packs_and_userdispersing_spreads(
    tenant: Tenant, admin: CloudStack, tmp_path: Path, planner_settings: None
) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=2)
    template = ready_template(admin, zone, root=tmp_path)
    so = offering(admin)
    admin.updateConfiguration(name="deployment.planner.weighers", value="")
    admin.updateConfiguration(name="vm.allocation.algorithm", value="firstfit")
    packed = [deploy(admin, zone, so, template)["id"] for _ in range(2)]
    assert hosts_of(admin, packed) == [zone.hosts[0]["id"]] * 2

    admin.updateConfiguration(name="vm.allocation.algorithm", value="userdispersing")
    user = tenant.client()
    spread = [deploy(user, zone, so, template)["id"] for _ in range(2)]
    assert sorted(hosts_of(admin, spread)) == sorted(h["id"] for h in zone.hosts)
