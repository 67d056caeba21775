"""Snapshot policies through the real `cs` client: createSnapshotPolicy,
listSnapshotPolicies, updateSnapshotPolicy, deleteSnapshotPolicies (the scheduler itself is
tested in tests/native/services/test_snapshot_schedule.py)."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account
from tests.support.vms import succeeded
from tests.support.volumes import (
    Lab,
    attach,
    build_lab,
    detach,
    lab_vm,
    new_volume,
)


@pytest.fixture(scope="module")
def lab(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return build_lab(admin, tmp_path_factory.mktemp("policies"), hosts=1)


@pytest.fixture
def volume(tenant: Tenant, lab: Lab) -> dict[str, Any]:
    """A Ready data volume of the tenant, attached to a running VM."""
    client = tenant.client()
    return attach(client, new_volume(client, lab), lab_vm(client, lab))


def policy(client: CloudStack, volume: dict[str, Any], **params: Any) -> dict[str, Any]:
    values = {"intervaltype": "HOURLY", "schedule": "15", "timezone": "UTC", "maxsnaps": 3}
    values.update(params)
    return dict(client.createSnapshotPolicy(volumeid=volume["id"], **values)["snapshotpolicy"])


def policies(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listSnapshotPolicies(**params).get("snapshotpolicy", []))


def test_create_and_list_policies(tenant: Tenant, volume: dict[str, Any]) -> None:
    client = tenant.client()
    hourly = policy(client, volume)
    assert hourly["volumeid"] == volume["id"]
    assert hourly["intervaltype"] == 0
    assert (hourly["schedule"], hourly["timezone"], hourly["maxsnaps"]) == ("15", "UTC", 3)
    assert hourly["fordisplay"] is True

    again = policy(client, volume, schedule="45", maxsnaps=5)
    assert again["id"] == hourly["id"]
    assert (again["schedule"], again["maxsnaps"]) == ("45", 5)

    weekly = policy(
        client, volume, intervaltype="WEEKLY", schedule="30:02:1", timezone="Europe/Paris"
    )
    assert weekly["intervaltype"] == 2
    listed = policies(client, volumeid=volume["id"])
    assert sorted(p["intervaltype"] for p in listed) == [0, 2]
    assert [p["id"] for p in policies(client, id=weekly["id"])] == [weekly["id"]]


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"intervaltype": "YEARLY"}, "Unsupported interval type"),
        ({"schedule": "61"}, "minute"),
        ({"intervaltype": "DAILY", "schedule": "10"}, "Incorrect schedule format"),
        ({"intervaltype": "MONTHLY", "schedule": "00:01:31"}, "between 1 and 28"),
        ({"timezone": "Nowhere/Atlantis"}, "Invalid timezone"),
        ({"maxsnaps": 0}, "maxSnaps"),
    ],
)
def test_bad_policies_are_refused(
    tenant: Tenant, volume: dict[str, Any], params: dict[str, Any], text: str
) -> None:
    error = api_error(lambda: policy(tenant.client(), volume, **params))
    assert error.errorcode == 431
    assert text in error.errortext


def test_an_allocated_volume_gets_no_policy(tenant: Tenant, lab: Lab) -> None:
    client = tenant.client()
    error = api_error(lambda: policy(client, new_volume(client, lab)))
    assert (error.errorcode, "not in Ready state" in error.errortext) == (431, True)


def test_update_policy(admin: CloudStack, tenant: Tenant, volume: dict[str, Any]) -> None:
    client = tenant.client()
    created = policy(client, volume)
    answer = client.updateSnapshotPolicy(
        id=created["id"], schedule="05", maxsnaps=7, timezone="Asia/Tokyo"
    )
    updated = succeeded(client, answer)["snapshotpolicy"]
    assert (updated["schedule"], updated["maxsnaps"], updated["timezone"]) == (
        "05",
        7,
        "Asia/Tokyo",
    )
    hidden = succeeded(client, client.updateSnapshotPolicy(id=created["id"], fordisplay=False))
    assert hidden["snapshotpolicy"]["fordisplay"] is False
    assert policies(client, volumeid=volume["id"]) == []
    assert [p["id"] for p in policies(admin, volumeid=volume["id"])] == [created["id"]]


def test_delete_policies(tenant: Tenant, volume: dict[str, Any]) -> None:
    client = tenant.client()
    hourly = policy(client, volume)
    daily = policy(client, volume, intervaltype="DAILY", schedule="00:03")
    monthly = policy(client, volume, intervaltype="MONTHLY", schedule="00:03:28")

    assert client.deleteSnapshotPolicies(id=hourly["id"])["success"] is True
    assert client.deleteSnapshotPolicies(ids=f"{daily['id']},{monthly['id']}")["success"] is True
    assert policies(client, volumeid=volume["id"]) == []
    error = api_error(client.deleteSnapshotPolicies)
    assert error.errorcode == 431


def test_policies_are_private_to_their_account(
    admin: CloudStack, tenant: Tenant, volume: dict[str, Any], alto_server: Any
) -> None:
    created = policy(tenant.client(), volume)
    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)
    assert policies(other.client()) == []
    error = api_error(other.client().deleteSnapshotPolicies, id=created["id"])
    assert error.errorcode == 431
    error = api_error(lambda: policy(other.client(), volume))
    assert error.errorcode == 431


def test_a_snapshot_taken_for_a_policy_is_recurring(tenant: Tenant, volume: dict[str, Any]) -> None:
    client = tenant.client()
    daily = policy(client, volume, intervaltype="DAILY", schedule="00:01")
    answer = client.createSnapshot(volumeid=volume["id"], policyid=daily["id"])
    snapshot = succeeded(client, answer)["snapshot"]
    assert (snapshot["snapshottype"], snapshot["intervaltype"]) == ("DAILY", "DAILY")
    recurring = client.listSnapshots(snapshottype="RECURRING")["snapshot"]
    assert [s["id"] for s in recurring] == [snapshot["id"]]
    assert [s["id"] for s in client.listSnapshots(intervaltype="daily")["snapshot"]] == [
        snapshot["id"]
    ]


def test_deleting_a_volume_deletes_its_policies(
    admin: CloudStack, tenant: Tenant, volume: dict[str, Any]
) -> None:
    client = tenant.client()
    created = policy(client, volume)
    detach(client, volume)
    assert client.deleteVolume(id=volume["id"])["success"] is True
    assert created["id"] not in {p["id"] for p in policies(admin)}
