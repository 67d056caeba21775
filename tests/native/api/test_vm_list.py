"""listVirtualMachines: filters, tags, details, paging, and who sees what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, offering, ready_template, succeeded
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("listzone")


@pytest.fixture(scope="module")
def zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root, hosts=2)


@pytest.fixture(scope="module")
def template(admin: CloudStack, zone: SimZone, root: Path) -> dict[str, Any]:
    return ready_template(admin, zone, root=root)


def ids(client: CloudStack, **params: Any) -> set[str]:
    return {vm["id"] for vm in client.listVirtualMachines(**params).get("virtualmachine", [])}


def test_filters_and_paging(
    tenant: Tenant, admin: CloudStack, zone: SimZone, template: dict[str, Any]
) -> None:
    user = tenant.client()
    so, other = offering(admin), offering(admin)
    web = [deploy(user, zone, so, template, name=unique("web")) for _ in range(3)]
    db = deploy(user, zone, other, template, name=unique("db"), startvm="false")
    mine = {vm["id"] for vm in web} | {db["id"]}

    assert ids(user) == mine
    assert ids(user, state="Stopped") == {db["id"]}
    assert ids(user, state="running") == mine - {db["id"]}
    assert ids(user, name=db["name"]) == {db["id"]}
    assert ids(user, keyword="web") == {vm["id"] for vm in web}
    assert ids(user, serviceofferingid=other["id"]) == {db["id"]}
    assert ids(user, templateid=template["id"]) == mine
    assert ids(user, zoneid=zone.id) == mine
    assert ids(user, ids=f"{web[0]['id']},{db['id']}") == {web[0]["id"], db["id"]}
    host = admin.listVirtualMachines(id=web[0]["id"])["virtualmachine"][0]["hostid"]
    on_host = ids(admin, hostid=host, listall=True)
    assert web[0]["id"] in on_host and db["id"] not in on_host
    assert api_error(user.listVirtualMachines, hostid=host).errorcode == 531

    pages = [user.listVirtualMachines(page=page, pagesize=3) for page in (1, 2)]
    assert [p["count"] for p in pages] == [4, 4]
    assert len(pages[0]["virtualmachine"]) == 3 and len(pages[1]["virtualmachine"]) == 1
    assert {vm["id"] for p in pages for vm in p["virtualmachine"]} == mine
    exact = user.listVirtualMachines(page=1, pagesize=4)
    assert (exact["count"], len(exact["virtualmachine"])) == (4, 4)
    assert user.listVirtualMachines(page=3, pagesize=2).get("virtualmachine", []) == []

    succeeded(
        user,
        user.createTags(
            resourceids=db["id"],
            resourcetype="UserVm",
            **{"tags[0].key": "tier", "tags[0].value": "data"},
        ),
    )
    tagged = user.listVirtualMachines(**{"tags[0].key": "tier", "tags[0].value": "data"})
    assert [vm["id"] for vm in tagged["virtualmachine"]] == [db["id"]]
    assert tagged["virtualmachine"][0]["tags"][0]["key"] == "tier"

    [minimal] = user.listVirtualMachines(id=db["id"], details="min")["virtualmachine"]
    assert "serviceofferingid" not in minimal and "templateid" not in minimal
    assert minimal["state"] == "Stopped"
    [full] = user.listVirtualMachines(id=db["id"], details="all")["virtualmachine"]
    assert full["serviceofferingid"] == other["id"]
    assert [nic["isdefault"] for nic in full["nic"]] == [True]


def test_others_and_destroyed_vms_stay_hidden(
    tenant: Tenant,
    admin: CloudStack,
    alto_server: AltoServer,
    zone: SimZone,
    template: dict[str, Any],
) -> None:
    user = tenant.client()
    vm = deploy(user, zone, offering(admin), template, startvm="false")
    stranger = new_account(admin, endpoint=alto_server.endpoint).client()
    assert stranger.listVirtualMachines() == {}
    assert api_error(stranger.listVirtualMachines, id=vm["id"]).errorcode == 431
    assert vm["id"] in ids(admin, listall=True)
    assert vm["id"] not in ids(admin)

    succeeded(user, user.destroyVirtualMachine(id=vm["id"]))
    assert ids(user) == set()
    assert ids(admin, listall=True, state="Destroyed") >= {vm["id"]}
