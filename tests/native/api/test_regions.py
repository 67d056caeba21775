"""Regions: the local region, and peers the root admin adds, renames and removes."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from tests.support.server import AltoServer
from tests.support.tenants import admin_client, new_account


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def api_error(call: Callable[..., Any], **params: Any) -> tuple[int, int, str]:
    """(HTTP status, errorcode, errortext) of a call that must fail."""
    with pytest.raises(CloudStackApiException) as caught:
        call(**params)
    error = caught.value.error
    return caught.value.response.status_code, error["errorcode"], error["errortext"]


@pytest.fixture(scope="module")
def admin(alto_server: AltoServer) -> CloudStack:
    return admin_client(alto_server)


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
    moved = admin.updateRegion(id=region["id"], endpoint="https://other.example.com/client/")["region"]
    assert (moved["name"], moved["endpoint"]) == (renamed["name"], "https://other.example.com/client/")

    assert admin.removeRegion(id=region["id"]) == {"success": True}
    assert admin.listRegions(id=region["id"]) == {}


def test_users_list_regions_but_cannot_change_them(admin: CloudStack, alto_server: AltoServer) -> None:
    user = new_account(admin, endpoint=alto_server.endpoint).client()
    assert 1 in {region["id"] for region in user.listRegions()["region"]}
    for call, params in (
        (user.addRegion, {"id": _free_id(admin), "name": unique("r"), "endpoint": "http://x/client/"}),
        (user.updateRegion, {"id": 1, "name": unique("r")}),
        (user.removeRegion, {"id": 1}),
    ):
        assert api_error(call, **params)[:2] == (401, 401)


def test_region_errors(admin: CloudStack) -> None:
    region = _add(admin)
    rid, name = region["id"], region["name"]
    assert api_error(admin.addRegion, id=rid, name=unique("r"), endpoint="http://x/client/") == (
        431, 431, f"Invalid value {rid} for parameter id: region with id {rid} already exists",
    )  # fmt: skip
    assert api_error(admin.addRegion, id=_free_id(admin), name=name.upper(), endpoint="http://x/client/") == (
        431, 431, f"Invalid value for parameter name: region with name {name.upper()} already exists",
    )  # fmt: skip
    assert api_error(admin.addRegion, id=_free_id(admin), name=unique("r"), endpoint="ftp://x/") == (
        431, 431, "Invalid value 'ftp://x/' for parameter endpoint: use the region's http(s):// API URL",
    )  # fmt: skip
    assert api_error(admin.addRegion, id=0, name=unique("r"), endpoint="http://x/client/")[2] == (
        "Invalid value 0 for parameter id: region ids are positive"
    )
    status, code, text = api_error(admin.addRegion, name=unique("r"), endpoint="http://x/client/")
    assert (code, text) == (431, "Unable to execute API command addregion due to missing parameter id")
    status, code, text = api_error(admin.addRegion, id="two", name=unique("r"), endpoint="http://x/client/")
    assert (status, code) == (430, 430) and "two" in text and "id" in text
    assert api_error(admin.updateRegion, id=1, name=name)[2] == (
        f"Invalid value for parameter name: region with name {name} already exists"
    )
    missing = _free_id(admin)
    for call, params in ((admin.updateRegion, {"id": missing, "name": "x"}), (admin.removeRegion, {"id": missing})):
        assert api_error(call, **params) == (
            431, 431, f"Invalid value {missing} for parameter id: region with id {missing} does not exist",
        )  # fmt: skip
    assert api_error(admin.removeRegion, id=1) == (
        431, 431, "Invalid value 1 for parameter id: the local region cannot be removed",
    )  # fmt: skip
    admin.removeRegion(id=rid)
