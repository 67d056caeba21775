"""Service offerings through the real `cs` client: createServiceOffering,
listServiceOfferings, updateServiceOffering, deleteServiceOffering."""

from __future__ import annotations

from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique


def fixed(admin: CloudStack, **params: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": unique("so"),
        "cpunumber": 2,
        "cpuspeed": 1000,
        "memory": 2048,
    }
    values.update(params)
    return dict(admin.createServiceOffering(**values)["serviceoffering"])


def listed_ids(client: CloudStack, **params: Any) -> set[str]:
    return {o["id"] for o in client.listServiceOfferings(**params).get("serviceoffering", [])}


def test_create_a_fixed_offering_with_every_attribute(admin: CloudStack) -> None:
    offering = fixed(
        admin,
        displaytext="Two cores",
        hosttags="ssd, fast",
        tags="gold",
        offerha="true",
        limitcpuuse="true",
        isvolatile="true",
        storagetype="local",
        rootdisksize=20,
        provisioningtype="fat",
        deploymentplanner="UserDispersingPlanner",
    )
    assert offering["displaytext"] == "Two cores"
    assert (offering["cpunumber"], offering["cpuspeed"], offering["memory"]) == (2, 1000, 2048)
    assert offering["iscustomized"] is False
    assert offering["hosttags"] == "ssd,fast"
    assert offering["storagetags"] == "gold"
    assert offering["offerha"] is True and offering["limitcpuuse"] is True
    assert offering["isvolatile"] is True
    assert offering["storagetype"] == "local"
    assert offering["rootdisksize"] == 20
    assert offering["provisioningtype"] == "fat"
    assert offering["deploymentplanner"] == "UserDispersingPlanner"
    assert offering["issystem"] is False
    assert offering["created"].endswith("+0000")
    assert "domainid" not in offering and "zoneid" not in offering


def test_custom_offerings_fix_nothing_or_bound_cpu_and_memory(admin: CloudStack) -> None:
    free = admin.createServiceOffering(name=unique("custom"), customized="true")["serviceoffering"]
    assert free["iscustomized"] is True
    assert "cpunumber" not in free and "memory" not in free
    implicit = admin.createServiceOffering(name=unique("custom"))["serviceoffering"]
    assert implicit["iscustomized"] is True
    bounded = admin.createServiceOffering(
        name=unique("bounded"),
        customized="true",
        cpuspeed=2000,
        mincpunumber=1,
        maxcpunumber=4,
        minmemory=512,
        maxmemory=4096,
    )["serviceoffering"]
    assert bounded["cpuspeed"] == 2000
    assert bounded["serviceofferingdetails"] == {
        "mincpunumber": "1",
        "maxcpunumber": "4",
        "minmemory": "512",
        "maxmemory": "4096",
    }
    ids = listed_ids(admin, cpunumber=3, memory=1024)
    assert bounded["id"] in ids
    assert bounded["id"] not in listed_ids(admin, cpunumber=8)


def test_bad_sizes_are_refused(admin: CloudStack) -> None:
    cases: list[dict[str, Any]] = [
        {"cpunumber": 0, "cpuspeed": 1000, "memory": 1024},
        {"cpunumber": 1, "cpuspeed": 1000, "memory": 16},
        {"cpunumber": 1, "memory": 1024},
        {"customized": "true", "cpunumber": 2, "memory": 1024},
        {"customized": "true", "mincpunumber": 4, "maxcpunumber": 2},
        {"customized": "true", "minmemory": 512},
        {"cpunumber": 1, "cpuspeed": 1000, "memory": 1024, "storagetype": "tape"},
        {"cpunumber": 1, "cpuspeed": 1000, "memory": 1024, "deploymentplanner": "Nope"},
        {"cpunumber": 1, "cpuspeed": 1000, "memory": 1024, "issystem": "true"},
    ]
    for case in cases:
        error = api_error(admin.createServiceOffering, name=unique("bad"), **case)
        assert error.errorcode == 431, (case, error)
    assert api_error(admin.createServiceOffering, cpunumber=1).errorcode == 431


def test_users_see_public_offerings_and_those_of_their_domains(
    admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any], tenant: Tenant
) -> None:
    public = fixed(admin)
    mine = fixed(admin, domainid=domain["id"])
    other_domain = admin.createDomain(name=unique("dom"))["domain"]
    theirs = fixed(admin, domainid=other_domain["id"])
    assert mine["domainid"] == domain["id"] and mine["domain"] == domain["name"]
    child = admin.createDomain(name=unique("child"), parentdomainid=domain["id"])["domain"]
    below = new_account(admin, domainid=child["id"], endpoint=alto_server.endpoint)

    seen = listed_ids(tenant.client())
    assert {public["id"], mine["id"]} <= seen and theirs["id"] not in seen
    assert mine["id"] in listed_ids(below.client())
    assert listed_ids(tenant.client(), id=mine["id"]) == {mine["id"]}
    assert api_error(tenant.client().listServiceOfferings, id=theirs["id"]).errorcode == 431
    assert listed_ids(admin, domainid=domain["id"]) == {mine["id"]}


def test_list_filters_by_name_keyword_and_system(admin: CloudStack) -> None:
    offering = fixed(admin)
    assert listed_ids(admin, name=offering["name"]) == {offering["id"]}
    assert listed_ids(admin, keyword=offering["name"][-8:]) == {offering["id"]}
    assert admin.listServiceOfferings(issystem="true") == {}


def test_update_and_delete(admin: CloudStack, tenant: Tenant) -> None:
    offering = fixed(admin, hosttags="a")
    updated = admin.updateServiceOffering(
        id=offering["id"],
        name="renamed",
        displaytext="new text",
        sortkey=5,
        hosttags="b,c",
        storagetags="gold",
    )["serviceoffering"]
    assert (updated["name"], updated["displaytext"]) == ("renamed", "new text")
    assert updated["hosttags"] == "b,c" and updated["storagetags"] == "gold"
    cleared = admin.updateServiceOffering(id=offering["id"], hosttags="")["serviceoffering"]
    assert "hosttags" not in cleared
    assert (
        api_error(tenant.client().updateServiceOffering, id=offering["id"], name="x").errorcode
        == 401
    )
    assert api_error(tenant.client().deleteServiceOffering, id=offering["id"]).errorcode == 401
    assert admin.deleteServiceOffering(id=offering["id"]) == {"success": True}
    assert offering["id"] not in listed_ids(admin)
    assert api_error(admin.deleteServiceOffering, id=offering["id"]).errorcode == 431


def test_domain_admins_manage_offerings_of_their_domains_only(
    admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]
) -> None:
    domain_admin = new_account(
        admin, accounttype=2, domainid=domain["id"], endpoint=alto_server.endpoint
    ).client()
    own = fixed(domain_admin, domainid=domain["id"])
    assert own["domainid"] == domain["id"]
    assert (
        api_error(
            domain_admin.createServiceOffering,
            name=unique("so"),
            cpunumber=1,
            cpuspeed=1,
            memory=64,
        ).errorcode
        == 531
    )
    public = fixed(admin)
    assert api_error(domain_admin.deleteServiceOffering, id=public["id"]).errorcode == 531
    assert (
        domain_admin.updateServiceOffering(id=own["id"], name="mine")["serviceoffering"]["name"]
        == "mine"
    )
