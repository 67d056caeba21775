"""Regions: the local region, and peers the root admin adds, renames and removes."""

from __future__ import annotations

import random
from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import new_account, unique


def _free_id(admin: CloudStack) -> int:
    taken = {region["id"] for region in admin.listRegions()["region"]}
    while True:
        candidate = random.randint(1000, 2_000_000_000)
        if candidate not in taken:
            return candidate


def _add(admin: CloudStack) -> dict[str, Any]:
    region: dict[str, Any] = admin.addRegion(
        id=_free_id(admin), name=unique("region"), endpoint="http://peer.example.com:8080/client/"
    )["region"]
    return region


def test_local_region_is_listed(admin: CloudStack) -> None:
    local = admin.listRegions(id=1)["region"]
    assert local == [{
        "id": 1, "name": "Local", "endpoint": local[0]["endpoint"], "gslbserviceenabled": True,
        "portableipserviceenabled": False,
    }]  # fmt: skip


def test_add_update_remove_region(admin: CloudStack) -> None:
    region = _add(admin)
    assert region["gslbserviceenabled"] is True and region["portableipserviceenabled"] is False
    assert admin.listRegions(id=region["id"])["region"] == [region]
    assert admin.listRegions(name=region["name"].upper())["region"] == [region]
    assert region in admin.listRegions(keyword=region["name"][-8:])["region"]

    renamed = admin.updateRegion(id=region["id"], name=f"{region['name']}-b")["region"]
    assert (renamed["name"], renamed["endpoint"]) == (f"{region['name']}-b", region["endpoint"])
    moved = admin.updateRegion(id=region["id"], endpoint="https://other.example.com/client/")[
        "region"
    ]
    assert (moved["name"], moved["endpoint"]) == (
        renamed["name"],
        "https://other.example.com/client/",
    )

    assert admin.removeRegion(id=region["id"]) == {"success": True}
    assert admin.listRegions(id=region["id"]) == {}


def test_users_list_regions_but_cannot_change_them(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    user = new_account(admin, endpoint=alto_server.endpoint).client()
    assert 1 in {region["id"] for region in user.listRegions()["region"]}
    for call, params in (
        (
            user.addRegion,
            {"id": _free_id(admin), "name": unique("r"), "endpoint": "http://x/client/"},
        ),
        (user.updateRegion, {"id": 1, "name": unique("r")}),
        (user.removeRegion, {"id": 1}),
    ):
        error = api_error(call, **params)
        assert (error.status, error.errorcode) == (401, 401)


def test_region_errors(admin: CloudStack) -> None:
    region = _add(admin)
    rid, name = region["id"], region["name"]
    error = api_error(admin.addRegion, id=rid, name=unique("r"), endpoint="http://x/client/")
    assert (error.status, error.errorcode, error.errortext) == (
        431, 431, f"Invalid value {rid} for parameter id: region with id {rid} already exists",
    )  # fmt: skip
    error = api_error(
        admin.addRegion, id=_free_id(admin), name=name.upper(), endpoint="http://x/client/"
    )
    assert (error.status, error.errorcode, error.errortext) == (
        431, 431, f"Invalid value for parameter name: region with name {name.upper()} already exists",
    )  # fmt: skip
    error = api_error(admin.addRegion, id=_free_id(admin), name=unique("r"), endpoint="ftp://x/")
    assert (error.status, error.errorcode, error.errortext) == (
        431, 431, "Invalid value 'ftp://x/' for parameter endpoint: use the region's http(s):// API URL",
    )  # fmt: skip
    assert api_error(
        admin.addRegion, id=0, name=unique("r"), endpoint="http://x/client/"
    ).errortext == ("Invalid value 0 for parameter id: region ids are positive")
    error = api_error(admin.addRegion, name=unique("r"), endpoint="http://x/client/")
    assert (error.errorcode, error.errortext) == (
        431, "Unable to execute API command addregion due to missing parameter id",
    )  # fmt: skip
    error = api_error(admin.addRegion, id="two", name=unique("r"), endpoint="http://x/client/")
    assert (
        (error.status, error.errorcode) == (430, 430)
        and "two" in error.errortext
        and "id" in error.errortext
    )
    assert api_error(admin.updateRegion, id=1, name=name).errortext == (
        f"Invalid value for parameter name: region with name {name} already exists"
    )
    missing = _free_id(admin)
    for call, params in (
        (admin.updateRegion, {"id": missing, "name": "x"}),
        (admin.removeRegion, {"id": missing}),
    ):
        error = api_error(call, **params)
        assert (error.status, error.errorcode, error.errortext) == (
            431, 431, f"Invalid value {missing} for parameter id: region with id {missing} does not exist",
        )  # fmt: skip
    error = api_error(admin.removeRegion, id=1)
    assert (error.status, error.errorcode, error.errortext) == (
        431, 431, "Invalid value 1 for parameter id: the local region cannot be removed",
    )  # fmt: skip
    admin.removeRegion(id=rid)
