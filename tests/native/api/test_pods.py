"""Pods through the real `cs` client: createPod, listPods, updatePod, deletePod."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import unique
from tests.support.zones import build_zone


@pytest.fixture
def zone(admin: CloudStack) -> dict[str, Any]:
    return dict(
        admin.createZone(name=unique("zone"), networktype="Advanced", dns1="8.8.8.8")["zone"]
    )


RANGE = {"gateway": "192.168.50.1", "netmask": "255.255.255.0", "startip": "192.168.50.10"}


def test_create_and_list_pods(admin: CloudStack, zone: dict[str, Any]) -> None:
    name = unique("pod")
    pod = admin.createPod(zoneid=zone["id"], name=name, endip="192.168.50.20", **RANGE)["pod"]
    assert pod["name"] == name
    assert pod["zoneid"] == zone["id"] and pod["zonename"] == zone["name"]
    assert (pod["gateway"], pod["netmask"]) == ("192.168.50.1", "255.255.255.0")
    assert (pod["startip"], pod["endip"]) == ("192.168.50.10", "192.168.50.20")
    assert pod["allocationstate"] == "Enabled"
    single = admin.createPod(zoneid=zone["id"], name=unique("pod"), **RANGE)["pod"]
    assert single["endip"] == single["startip"]

    listed = admin.listPods(zoneid=zone["id"])
    assert listed["count"] == 2
    assert admin.listPods(name=name)["pod"][0]["id"] == pod["id"]
    assert admin.listPods(zoneid=zone["id"], keyword=name[-8:])["count"] == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"gateway": "nope"},
        {"netmask": "255.0.255.0"},
        {"startip": "10.0.0.5"},
        {"endip": "192.168.50.5"},
        {"startip": "192.168.50.1"},
        {"name": ""},
    ],
)
def test_bad_ranges_are_refused(
    admin: CloudStack, zone: dict[str, Any], bad: dict[str, str]
) -> None:
    params = {"zoneid": zone["id"], "name": unique("pod"), **RANGE, **bad}
    assert api_error(admin.createPod, **params).errorcode == 431
    assert admin.listPods(zoneid=zone["id"]) == {}


def test_pod_names_are_unique_in_a_zone(admin: CloudStack, zone: dict[str, Any]) -> None:
    name = unique("pod")
    admin.createPod(zoneid=zone["id"], name=name, **RANGE)
    assert api_error(admin.createPod, zoneid=zone["id"], name=name, **RANGE).errorcode == 431


def test_update_pod_keeps_host_addresses_in_range(admin: CloudStack, tmp_path: Path) -> None:
    built = build_zone(admin, root=tmp_path, hosts=1)
    pod = built.pod
    prefix = pod["startip"].rsplit(".", 1)[0]
    updated = admin.updatePod(id=pod["id"], endip=f"{prefix}.50", allocationstate="Disabled")["pod"]
    assert updated["endip"] == f"{prefix}.50" and updated["allocationstate"] == "Disabled"
    error = api_error(admin.updatePod, id=pod["id"], startip=f"{prefix}.100", endip=f"{prefix}.120")
    assert error.errorcode == 431 and built.hosts[0]["ipaddress"] in error.errortext
    renamed = admin.updatePod(id=pod["id"], name="renamed")["pod"]
    assert renamed["name"] == "renamed"


def test_delete_pod(admin: CloudStack, zone: dict[str, Any]) -> None:
    pod = admin.createPod(zoneid=zone["id"], name=unique("pod"), **RANGE)["pod"]
    cluster = admin.addCluster(
        zoneid=zone["id"], podid=pod["id"], clustername=unique("c"), hypervisor="Simulator"
    )["cluster"]
    assert api_error(admin.deletePod, id=pod["id"]).errorcode == 536
    admin.deleteCluster(id=cluster["id"])
    assert admin.deletePod(id=pod["id"])["success"] is True
    assert admin.listPods(zoneid=zone["id"]) == {}
