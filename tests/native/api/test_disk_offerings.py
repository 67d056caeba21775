"""Disk offerings through the real `cs` client: createDiskOffering, listDiskOfferings,
updateDiskOffering, deleteDiskOffering."""

from __future__ import annotations

from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, unique


def listed_ids(client: CloudStack, **params: Any) -> set[str]:
    return {o["id"] for o in client.listDiskOfferings(**params).get("diskoffering", [])}


def test_fixed_and_custom_disk_offerings(admin: CloudStack) -> None:
    fixed = admin.createDiskOffering(
        name=unique("do"),
        displaytext="Twenty",
        disksize=20,
        tags="ssd",
        storagetype="shared",
        provisioningtype="sparse",
        miniops=100,
        maxiops=500,
    )["diskoffering"]
    assert fixed["disksize"] == 20
    assert fixed["iscustomized"] is False
    assert (fixed["miniops"], fixed["maxiops"]) == (100, 500)
    assert fixed["iscustomizediops"] is False
    assert fixed["tags"] == "ssd" and fixed["provisioningtype"] == "sparse"
    assert fixed["displayoffering"] is True
    custom = admin.createDiskOffering(name=unique("do"), customized="true", customizediops="true")[
        "diskoffering"
    ]
    assert custom["iscustomized"] is True and custom["disksize"] == 0
    assert custom["iscustomizediops"] is True


def test_bad_disk_offerings_are_refused(admin: CloudStack) -> None:
    cases: list[dict[str, Any]] = [
        {"customized": "false"},
        {"customized": "true", "disksize": 5},
        {"disksize": 0, "customized": "false"},
        {"disksize": 5000},
        {"disksize": 5, "miniops": 500, "maxiops": 100},
        {"disksize": 5, "customizediops": "true", "miniops": 1},
        {"disksize": 5, "storagetype": "floppy"},
        {"disksize": 5, "provisioningtype": "thick"},
    ]
    for case in cases:
        error = api_error(admin.createDiskOffering, name=unique("bad"), **case)
        assert error.errorcode == 431, (case, error)


def test_users_see_displayed_offerings_of_their_domains(
    admin: CloudStack, domain: dict[str, Any], tenant: Tenant
) -> None:
    public = admin.createDiskOffering(name=unique("do"), disksize=1)["diskoffering"]
    hidden = admin.createDiskOffering(name=unique("do"), disksize=1, displayoffering="false")[
        "diskoffering"
    ]
    mine = admin.createDiskOffering(name=unique("do"), disksize=1, domainid=domain["id"])[
        "diskoffering"
    ]
    elsewhere = admin.createDomain(name=unique("dom"))["domain"]
    theirs = admin.createDiskOffering(name=unique("do"), disksize=1, domainid=elsewhere["id"])[
        "diskoffering"
    ]
    seen = listed_ids(tenant.client())
    assert {public["id"], mine["id"]} <= seen
    assert hidden["id"] not in seen and theirs["id"] not in seen
    assert {hidden["id"], theirs["id"]} <= listed_ids(admin)
    assert listed_ids(admin, name=mine["name"]) == {mine["id"]}


def test_update_and_delete(admin: CloudStack, tenant: Tenant) -> None:
    offering = admin.createDiskOffering(name=unique("do"), disksize=2, tags="a")["diskoffering"]
    updated = admin.updateDiskOffering(
        id=offering["id"],
        name="renamed",
        displaytext="text",
        sortkey=3,
        tags="b",
        displayoffering="false",
    )["diskoffering"]
    assert (updated["name"], updated["displaytext"], updated["tags"]) == ("renamed", "text", "b")
    assert updated["displayoffering"] is False
    assert api_error(tenant.client().deleteDiskOffering, id=offering["id"]).errorcode == 401
    assert admin.deleteDiskOffering(id=offering["id"]) == {"success": True}
    assert offering["id"] not in listed_ids(admin)
