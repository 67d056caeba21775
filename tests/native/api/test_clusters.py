"""Clusters through the real `cs` client: addCluster, listClusters, updateCluster,
deleteCluster, and listHypervisors."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, unique


@pytest.fixture
def pod(admin: CloudStack) -> dict[str, Any]:
    zone = admin.createZone(name=unique("zone"), networktype="Advanced", dns1="8.8.8.8")["zone"]
    return dict(
        admin.createPod(
            zoneid=zone["id"],
            name=unique("pod"),
            gateway="172.16.0.1",
            netmask="255.255.255.0",
            startip="172.16.0.10",
            endip="172.16.0.20",
        )["pod"]
    )


def new_cluster(admin: CloudStack, pod: dict[str, Any], **extra: Any) -> dict[str, Any]:
    params = {
        "zoneid": pod["zoneid"],
        "podid": pod["id"],
        "clustername": unique("cluster"),
        "hypervisor": "Simulator",
        **extra,
    }
    return dict(admin.addCluster(**params)["cluster"])


def test_add_and_list_clusters(admin: CloudStack, pod: dict[str, Any]) -> None:
    cluster = new_cluster(admin, pod, hypervisor="simulator")
    assert cluster["hypervisortype"] == "Simulator"
    assert cluster["clustertype"] == "CloudManaged"
    assert cluster["allocationstate"] == "Enabled" and cluster["managedstate"] == "Managed"
    assert (cluster["podid"], cluster["zoneid"]) == (pod["id"], pod["zoneid"])
    assert cluster["cpuovercommitratio"] == "1.0"
    other = new_cluster(admin, pod, allocationstate="Disabled")
    assert admin.listClusters(podid=pod["id"])["count"] == 2
    [found] = admin.listClusters(zoneid=pod["zoneid"], allocationstate="Disabled")["cluster"]
    assert found["id"] == other["id"]
    assert admin.listClusters(name=cluster["name"])["cluster"][0]["id"] == cluster["id"]
    assert admin.listClusters(podid=pod["id"], hypervisor="Simulator")["count"] == 2


def test_bad_clusters_are_refused(admin: CloudStack, pod: dict[str, Any]) -> None:
    for extra in (
        {"hypervisor": "Hyperv"},
        {"clustertype": "ExternalManaged"},
        {"clustername": " "},
    ):
        params = {
            "zoneid": pod["zoneid"],
            "podid": pod["id"],
            "clustername": unique("c"),
            "hypervisor": "Simulator",
            **extra,
        }
        assert api_error(admin.addCluster, **params).errorcode == 431, extra
    taken = new_cluster(admin, pod)
    error = api_error(
        admin.addCluster,
        zoneid=pod["zoneid"],
        podid=pod["id"],
        clustername=taken["name"],
        hypervisor="Simulator",
    )
    assert error.errorcode == 431
    assert admin.listClusters(podid=pod["id"])["count"] == 1


def test_update_and_delete_cluster(admin: CloudStack, pod: dict[str, Any]) -> None:
    cluster = new_cluster(admin, pod)
    name = unique("renamed")
    updated = admin.updateCluster(
        id=cluster["id"], clustername=name, allocationstate="Disabled", managedstate="Unmanaged"
    )["cluster"]
    assert updated["name"] == name
    assert (updated["allocationstate"], updated["managedstate"]) == ("Disabled", "Unmanaged")
    assert admin.deleteCluster(id=cluster["id"])["success"] is True
    assert admin.listClusters(podid=pod["id"]) == {}


def test_list_hypervisors(admin: CloudStack, tenant: Tenant) -> None:
    kvm = ["KVM"] if importlib.util.find_spec("libvirt") else []
    vmware = ["VMware"] if importlib.util.find_spec("pyVmomi") else []
    expected = [{"name": name} for name in [*kvm, "Simulator", *vmware]]
    assert admin.listHypervisors()["hypervisor"] == expected
    assert tenant.client().listHypervisors()["count"] == len(expected)
