"""listCapacity through the real `cs` client: figures per zone, pod and cluster, and how the
cluster's overprovisioning factors change them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.networks import create_network
from tests.support.vms import succeeded
from tests.support.zones import SimZone, build_zone

MIB = 1024**2
GIB = 1024**3


@pytest.fixture
def zone(admin: CloudStack, tmp_path: Path) -> SimZone:
    built = build_zone(admin, root=tmp_path, hosts=2, cpu=4, mem=4096)
    admin.updateStoragePool(id=built.pool["id"], capacitybytes=10 * GIB)
    return built


def by_type(answer: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {capacity["type"]: capacity for capacity in answer.get("capacity", [])}


def test_zone_figures(admin: CloudStack, zone: SimZone) -> None:
    figures = by_type(admin.listCapacity(zoneid=zone.id))

    assert set(figures) == {0, 1, 2, 3, 4, 5, 6}
    assert figures[0]["name"] == "MEMORY"
    assert (figures[0]["capacitytotal"], figures[0]["capacityused"]) == (2 * 4096 * MIB, 0)
    assert figures[1]["name"] == "CPU"
    assert (figures[1]["capacitytotal"], figures[1]["percentused"]) == (2 * 4 * 2000, "0")
    assert figures[2]["capacitytotal"] == 10 * GIB
    assert figures[3]["name"] == "STORAGE_ALLOCATED"
    assert figures[3]["capacitytotal"] == 20 * GIB
    assert figures[5]["name"] == "PRIVATE_IP"
    assert (figures[5]["capacitytotal"], figures[5]["capacityused"]) == (200, 2)
    assert figures[5]["percentused"] == "1"
    assert figures[6]["name"] == "SECONDARY_STORAGE" and figures[6]["capacitytotal"] > 0
    assert all(
        f["zoneid"] == zone.id and f["zonename"] == zone.zone["name"] for f in figures.values()
    )
    assert all("podid" not in f for f in figures.values())


def test_pod_and_cluster_figures(admin: CloudStack, zone: SimZone) -> None:
    pod = by_type(admin.listCapacity(podid=zone.pod["id"]))
    assert set(pod) == {0, 1, 2, 3, 5}
    assert all(f["podid"] == zone.pod["id"] for f in pod.values())
    cluster = by_type(admin.listCapacity(clusterid=zone.cluster["id"]))
    assert set(cluster) == {0, 1, 2, 3}
    assert cluster[1]["clustername"] == zone.cluster["name"]
    assert cluster[1]["capacitytotal"] == 2 * 4 * 2000


def test_overprovisioning_factors_at_cluster_and_pool_scope(
    admin: CloudStack, zone: SimZone
) -> None:
    admin.updateConfiguration(
        name="cpu.overprovisioning.factor", value="2.5", clusterid=zone.cluster["id"]
    )
    admin.updateConfiguration(
        name="mem.overprovisioning.factor", value="1.5", clusterid=zone.cluster["id"]
    )
    admin.updateConfiguration(
        name="storage.overprovisioning.factor", value="3", storageid=zone.pool["id"]
    )
    figures = by_type(admin.listCapacity(zoneid=zone.id))
    assert figures[1]["capacitytotal"] == int(2 * 4 * 2000 * 2.5)
    assert figures[0]["capacitytotal"] == int(2 * 4096 * MIB * 1.5)
    assert figures[3]["capacitytotal"] == 30 * GIB
    assert figures[2]["capacitytotal"] == 10 * GIB
    [host] = admin.listHosts(id=zone.hosts[0]["id"])["host"]
    assert host["cpuwithoverprovisioning"] == str(int(4 * 2000 * 2.5))

    admin.resetConfiguration(name="cpu.overprovisioning.factor", clusterid=zone.cluster["id"])
    assert by_type(admin.listCapacity(zoneid=zone.id, type=1))[1]["capacitytotal"] == 16000


def test_type_filter_and_sorting(admin: CloudStack, zone: SimZone) -> None:
    assert set(by_type(admin.listCapacity(zoneid=zone.id, type=5))) == {5}
    ordered = admin.listCapacity(zoneid=zone.id, sortby="usage")["capacity"]
    percents = [float(capacity["percentused"]) for capacity in ordered]
    assert percents == sorted(percents, reverse=True)
    assert api_error(admin.listCapacity, zoneid=zone.id, type=42).errorcode == 431
    assert api_error(admin.listCapacity, zoneid=zone.id, sortby="name").errorcode == 431


def test_capacity_of_every_zone_without_filters(admin: CloudStack, zone: SimZone) -> None:
    zones = {capacity["zoneid"] for capacity in admin.listCapacity(type=1)["capacity"]}
    assert zone.id in zones


def test_public_ip_figures_count_the_zones_addresses_and_those_taken(
    admin: CloudStack, zone: SimZone
) -> None:
    before = by_type(admin.listCapacity(zoneid=zone.id, type=4))[4]
    assert before["name"] == "VIRTUAL_NETWORK_PUBLIC_IP"
    size = 250 - 10 + 1  # PUBLIC_RANGE: .10 to .250
    assert (before["capacitytotal"], before["capacityused"]) == (size, 0)

    network = create_network(admin, zone, "10.61.0")
    succeeded(admin, admin.associateIpAddress(networkid=network["id"]))
    after = by_type(admin.listCapacity(zoneid=zone.id, type=4))[4]
    assert after["capacityused"] >= 1
    assert after["capacityused"] == len(
        admin.listPublicIpAddresses(zoneid=zone.id, listall=True)["publicipaddress"]
    )
    assert 4 not in by_type(admin.listCapacity(podid=zone.pod["id"]))
