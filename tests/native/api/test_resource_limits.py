"""Resource limits through the real `cs` client: listResourceLimits, updateResourceLimit,
updateResourceCount."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.tenants import Tenant, new_account, unique
from tests.support.zones import SimZone, build_zone

TYPE_NAMES = [
    "user_vm",
    "public_ip",
    "volume",
    "snapshot",
    "template",
    "project",
    "network",
    "vpc",
    "cpu",
    "memory",
    "primary_storage",
    "secondary_storage",
]


def limits_of(client: CloudStack, **params: Any) -> dict[str, int]:
    answer = client.listResourceLimits(**params).get("resourcelimit", [])
    return {limit["resourcetypename"]: limit["max"] for limit in answer}


def configured(admin: CloudStack, name: str) -> int:
    [setting] = admin.listConfigurations(name=name)["configuration"]
    return int(setting["value"])


def test_a_user_sees_the_defaults_of_its_account(admin: CloudStack, tenant: Tenant) -> None:
    answer = tenant.client().listResourceLimits()["resourcelimit"]

    assert [limit["resourcetypename"] for limit in answer] == TYPE_NAMES
    assert [limit["resourcetype"] for limit in answer] == [str(n) for n in range(12)]
    assert {limit["account"] for limit in answer} == {tenant.name}
    assert {limit["domainid"] for limit in answer} == {tenant.domainid}
    by_name = {limit["resourcetypename"]: limit["max"] for limit in answer}
    assert by_name["user_vm"] == configured(admin, "max.account.user.vms")
    assert by_name["primary_storage"] == configured(admin, "max.account.primary.storage")
    assert limits_of(admin) == {name: -1 for name in TYPE_NAMES}


def test_admin_sets_an_account_limit(admin: CloudStack, tenant: Tenant) -> None:
    answer = admin.updateResourceLimit(
        account=tenant.name, domainid=tenant.domainid, resourcetype=2, max=3
    )["resourcelimit"]

    assert answer["account"] == tenant.name
    assert (answer["resourcetype"], answer["resourcetypename"], answer["max"]) == ("2", "volume", 3)
    assert limits_of(tenant.client(), resourcetype=2) == {"volume": 3}
    assert limits_of(tenant.client(), resourcetypename="volume") == {"volume": 3}
    assert limits_of(admin, account=tenant.name, domainid=tenant.domainid)["volume"] == 3
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=2)
    assert limits_of(tenant.client(), resourcetype=2) == {"volume": -1}


def test_bad_limits_are_refused(admin: CloudStack, tenant: Tenant) -> None:
    owner = {"account": tenant.name, "domainid": tenant.domainid}
    for params in (
        {"resourcetype": 2, "max": -2, **owner},
        {"resourcetype": 12, "max": 1, **owner},
        {"resourcetype": 2, "max": 1},
        {"resourcetype": 2, "max": 5, "account": "admin"},
    ):
        error = api_error(admin.updateResourceLimit, **params)
        assert error.errorcode == 431, params
    error = api_error(admin.listResourceLimits, resourcetypename="gpus")
    assert error.errorcode == 431
    error = api_error(tenant.client().updateResourceLimit, resourcetype=2, max=100, **owner)
    assert error.errorcode == 401


def test_domain_limits_and_their_parents(admin: CloudStack, domain: dict[str, Any]) -> None:
    answer = admin.updateResourceLimit(domainid=domain["id"], resourcetype=8, max=10)
    assert "account" not in answer["resourcelimit"]
    assert answer["resourcelimit"]["domainid"] == domain["id"]
    assert limits_of(admin, domainid=domain["id"], resourcetype=8) == {"cpu": 10}

    child = admin.createDomain(name=unique("child"), parentdomainid=domain["id"])["domain"]
    error = api_error(admin.updateResourceLimit, domainid=child["id"], resourcetype=8, max=11)
    assert error.errorcode == 431 and "less than or equal to 10" in error.errortext
    admin.updateResourceLimit(domainid=child["id"], resourcetype=8, max=10)

    [root] = admin.listDomains(name="ROOT")["domain"]
    error = api_error(admin.updateResourceLimit, domainid=root["id"], resourcetype=8, max=10)
    assert error.errorcode == 531


def test_a_domain_admin_cannot_raise_its_own_limits(
    admin: CloudStack, tenant: Tenant, domain: dict[str, Any]
) -> None:
    boss = new_account(admin, accounttype=2, domainid=domain["id"], endpoint=tenant.endpoint)
    client = boss.client()

    error = api_error(client.updateResourceLimit, domainid=domain["id"], resourcetype=0, max=99)
    assert error.errorcode == 531
    error = api_error(
        client.updateResourceLimit, account=boss.name, domainid=domain["id"], resourcetype=0, max=99
    )
    assert error.errorcode == 531
    client.updateResourceLimit(account=tenant.name, domainid=domain["id"], resourcetype=0, max=1)
    assert limits_of(tenant.client(), resourcetype=0) == {"user_vm": 1}
    stranger = new_account(admin, endpoint=tenant.endpoint)
    error = api_error(
        client.updateResourceLimit,
        account=stranger.name,
        domainid=stranger.domainid,
        resourcetype=0,
        max=1,
    )
    assert error.errorcode == 431


def test_update_resource_count(admin: CloudStack, tenant: Tenant) -> None:
    answer = admin.updateResourceCount(domainid=tenant.domainid)
    counts = answer["resourcecount"]
    assert answer["count"] == 12
    assert [count["resourcetypename"] for count in counts] == TYPE_NAMES
    assert all("account" not in count for count in counts)
    assert {count["resourcecount"] for count in counts} == {0}

    [single] = admin.updateResourceCount(
        domainid=tenant.domainid, account=tenant.name, resourcetype=3
    )["resourcecount"]
    assert single == {
        "account": tenant.name,
        "domainid": tenant.domainid,
        "domain": counts[0]["domain"],
        "resourcetype": "3",
        "resourcetypename": "snapshot",
        "resourcecount": 0,
    }
    error = api_error(tenant.client().updateResourceCount, domainid=tenant.domainid)
    assert error.errorcode == 401


@pytest.fixture(scope="module")
def zone(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> SimZone:
    return build_zone(admin, root=tmp_path_factory.mktemp("limits-zone"), hosts=1)


@pytest.fixture(scope="module")
def disk_offering(admin: CloudStack) -> dict[str, Any]:
    return dict(
        admin.createDiskOffering(name=unique("disk"), displaytext="1 GiB", disksize=1)[
            "diskoffering"
        ]
    )


def create_volume(client: CloudStack, zone: SimZone, offering: dict[str, Any]) -> dict[str, Any]:
    answer = client.createVolume(name=unique("vol"), zoneid=zone.id, diskofferingid=offering["id"])
    return wait_for_job(client, answer["jobid"])


def test_going_over_a_limit_gives_532_and_a_recount_restores_it(
    admin: CloudStack, tenant: Tenant, zone: SimZone, disk_offering: dict[str, Any]
) -> None:
    client = tenant.client()
    owner = {"account": tenant.name, "domainid": tenant.domainid}
    admin.updateResourceLimit(resourcetype=2, max=2, **owner)
    for _ in range(2):
        assert create_volume(client, zone, disk_offering)["jobstatus"] == 1

    error = api_error(
        client.createVolume, name=unique("vol"), zoneid=zone.id, diskofferingid=disk_offering["id"]
    )
    assert error.errorcode == 532
    assert "volume" in error.errortext
    assert len(client.listVolumes()["volume"]) == 2

    [volumes, storage] = [
        admin.updateResourceCount(resourcetype=kind, **owner)["resourcecount"][0]
        for kind in (2, 10)
    ]
    assert volumes["resourcecount"] == 2
    assert storage["resourcecount"] == 2 * 1024**3


def test_an_account_shows_its_limits_counts_and_what_is_left(
    admin: CloudStack, tenant: Tenant, zone: SimZone, disk_offering: dict[str, Any]
) -> None:
    client = tenant.client()
    owner = {"account": tenant.name, "domainid": tenant.domainid}
    admin.updateResourceLimit(resourcetype=2, max=5, **owner)
    admin.updateResourceLimit(resourcetype=10, max=-1, **owner)
    assert create_volume(client, zone, disk_offering)["jobstatus"] == 1

    [account] = client.listAccounts()["account"]
    assert (account["volumelimit"], account["volumetotal"], account["volumeavailable"]) == (
        "5",
        1,
        "4",
    )
    assert account["primarystoragetotal"] == 1
    assert account["primarystoragelimit"] == account["primarystorageavailable"] == "Unlimited"
    assert account["vmlimit"] == str(configured(admin, "max.account.user.vms"))
    assert account["vmtotal"] == 0
    [seen_by_admin] = admin.listAccounts(id=tenant.id)["account"]
    assert seen_by_admin["volumetotal"] == 1
