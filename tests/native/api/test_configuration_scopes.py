"""Configuration at zone, cluster and storage pool scope through the real `cs` client:
listConfigurations, updateConfiguration and resetConfiguration with zoneid, clusterid and
storageid."""

from __future__ import annotations

from pathlib import Path

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.zones import SimZone, build_zone


@pytest.fixture
def zone(admin: CloudStack, tmp_path: Path) -> SimZone:
    return build_zone(admin, root=tmp_path, hosts=1)


def value_of(admin: CloudStack, name: str, **scope: str) -> tuple[str, str]:
    [setting] = admin.listConfigurations(name=name, **scope)["configuration"]
    return setting["value"], setting["scope"]


def test_cluster_scope(admin: CloudStack, zone: SimZone) -> None:
    cluster = {"clusterid": zone.cluster["id"]}
    name = "cpu.overprovisioning.factor"
    updated = admin.updateConfiguration(name=name, value="4", **cluster)["configuration"]
    assert (updated["value"], updated["scope"]) == ("4", "cluster")
    assert value_of(admin, name, **cluster) == ("4", "cluster")
    assert value_of(admin, name)[0] == "1.0"
    [listed] = admin.listClusters(id=zone.cluster["id"])["cluster"]
    assert listed["cpuovercommitratio"] == "4"

    reset = admin.resetConfiguration(name=name, **cluster)["configuration"]
    assert reset["value"] == "1.0"
    assert value_of(admin, name, **cluster) == ("1.0", "cluster")


def test_storage_pool_scope(admin: CloudStack, zone: SimZone) -> None:
    pool = {"storageid": zone.pool["id"]}
    name = "storage.overprovisioning.factor"
    admin.updateConfiguration(name=name, value="5", **pool)
    assert value_of(admin, name, **pool) == ("5", "storagepool")
    [listed] = admin.listStoragePools(id=zone.pool["id"])["storagepool"]
    assert listed["overprovisionfactor"] == "5"
    admin.resetConfiguration(name=name, **pool)
    assert value_of(admin, name, **pool)[0] == "2.0"


def test_zone_scope(admin: CloudStack, zone: SimZone) -> None:
    name = "enable.dynamic.scale.vm"
    admin.updateConfiguration(name=name, value="true", zoneid=zone.id)
    assert value_of(admin, name, zoneid=zone.id) == ("true", "zone")
    assert value_of(admin, name)[0] == "false"
    zone_settings = admin.listConfigurations(zoneid=zone.id)["configuration"]
    assert {setting["scope"] for setting in zone_settings} == {"zone"}


def test_scopes_are_checked(admin: CloudStack, zone: SimZone) -> None:
    error = api_error(
        admin.updateConfiguration, name="default.page.size", value="100", zoneid=zone.id
    )
    assert error.errorcode == 431 and "zone scope" in error.errortext
    error = api_error(
        admin.updateConfiguration,
        name="cpu.overprovisioning.factor",
        value="2",
        zoneid=zone.id,
        clusterid=zone.cluster["id"],
    )
    assert error.errorcode == 431
    error = api_error(
        admin.updateConfiguration,
        name="cpu.overprovisioning.factor",
        value="lots",
        clusterid=zone.cluster["id"],
    )
    assert error.errorcode == 431
