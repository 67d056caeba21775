"""Alto extensions of the template commands, for callers that know accounts by ID and copy
templates into their own: updateTemplatePermissions and listTemplatePermissions `accountids`;
createTemplate `sourcetemplateid` (and `ostypeid` taken from the source)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def zone(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> SimZone:
    return build_zone(admin, root=tmp_path_factory.mktemp("zone"), hosts=1)


def _registered(admin: CloudStack, zone: SimZone, root: Path, **params: Any) -> dict[str, Any]:
    image = root / f"{unique('disk')}.raw"
    image.write_bytes(b"\0" * 4096)
    [template] = admin.registerTemplate(
        name=unique("tpl"),
        url=image.as_uri(),
        zoneid=zone.id,
        format="RAW",
        hypervisor="Simulator",
        **params,
    )["template"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        [found] = admin.listTemplates(templatefilter="all", id=template["id"])["template"]
        if found["isready"]:
            return dict(found)
        time.sleep(0.1)
    raise AssertionError(f"template {template['id']} never got ready")


def test_share_and_unshare_by_account_id(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, zone: SimZone, tmp_path: Path
) -> None:
    template = _registered(admin, zone, tmp_path, account=tenant.name, domainid=tenant.domainid)
    alice = tenant.client()
    bob = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)
    stranger = new_account(
        admin,
        domainid=admin.createDomain(name=unique("dom"))["domain"]["id"],
        endpoint=alto_server.endpoint,
    )

    alice.updateTemplatePermissions(id=template["id"], accountids=bob.id, op="add")
    shared = alice.listTemplatePermissions(id=template["id"])["templatepermission"]
    assert (shared["account"], shared["accountids"]) == ([bob.name], [bob.id])

    alice.updateTemplatePermissions(id=template["id"], accountids=bob.id, op="remove")
    shared = alice.listTemplatePermissions(id=template["id"])["templatepermission"]
    assert shared.get("accountids", []) == []

    for account_id in (stranger.id, "no-such-account"):
        error = api_error(
            alice.updateTemplatePermissions, id=template["id"], accountids=account_id, op="add"
        )
        assert error.errorcode == 431
    error = api_error(alice.updateTemplatePermissions, id=template["id"], accountids=bob.id)
    assert error.errorcode == 431


def test_create_a_template_from_a_template(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, zone: SimZone, tmp_path: Path
) -> None:
    [os_type] = admin.listOsTypes(description="Ubuntu 22.04 LTS")["ostype"]
    public = _registered(admin, zone, tmp_path, ispublic="true", ostypeid=os_type["id"])
    private = _registered(admin, zone, tmp_path)
    client = tenant.client()

    answer = client.createTemplate(name=unique("copy"), sourcetemplateid=public["id"])
    job = wait_for_job(client, answer["jobid"])
    assert job["jobstatus"] == 1, job
    made = job["jobresult"]["template"]
    assert made["id"] == answer["id"] and made["id"] != public["id"]
    assert (made["account"], made["ispublic"], made["isready"]) == (tenant.name, False, True)
    assert (made["sourcetemplateid"], made["ostypeid"]) == (public["id"], os_type["id"])
    assert (made["format"], made["size"], made["zoneid"]) == ("RAW", public["size"], zone.id)

    for params in (
        {"sourcetemplateid": private["id"]},
        {},
    ):
        assert api_error(client.createTemplate, name=unique("bad"), **params).errorcode == 431
