"""Resource tags through the real `cs` client: createTags, deleteTags, listTags.

Accounts and users are taggable in CloudStack and exist without any zone, so they carry
most permission and filter checks; a volume shows tags on a resource of a zone.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, offering, ready_template, succeeded
from tests.support.zones import build_zone


def tag_list(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in pairs.items()]


def create_tags(client: CloudStack, **params: Any) -> dict[str, Any]:
    params["tags"] = tag_list(params["tags"])
    return wait_for_job(client, client.createTags(**params)["jobid"])


def delete_tags(client: CloudStack, **params: Any) -> dict[str, Any]:
    if "tags" in params:
        params["tags"] = [
            {"key": key} if value is None else {"key": key, "value": value}
            for key, value in params["tags"].items()
        ]
    return wait_for_job(client, client.deleteTags(**params)["jobid"])


def tags_of(client: CloudStack, **params: Any) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in client.listTags(**params).get("tag", [])}


def test_tags_on_an_account_and_a_user(tenant: Tenant) -> None:
    client = tenant.client()
    done = create_tags(
        client,
        resourcetype="Account",
        resourceids=[tenant.id],
        tags={"env": "prod", "team": "blue"},
        customer="acme",
    )
    assert done["jobstatus"] == 1 and done["jobresult"]["success"] is True
    create_tags(client, resourcetype="User", resourceids=[tenant.user_id], tags={"env": "dev"})

    listed = client.listTags(resourcetype="Account")["tag"]
    assert len(listed) == 2
    tag = next(item for item in listed if item["key"] == "env")
    assert tag == {
        "key": "env",
        "value": "prod",
        "resourcetype": "Account",
        "resourceid": tenant.id,
        "account": tenant.name,
        "domainid": tenant.domainid,
        "domain": tag["domain"],
        "customer": "acme",
    }
    assert tags_of(client, resourcetype="user") == {"env": "dev"}
    assert tags_of(client, resourceid=tenant.user_id) == {"env": "dev"}


def test_list_filters(tenant: Tenant) -> None:
    client = tenant.client()
    create_tags(
        client,
        resourcetype="Account",
        resourceids=[tenant.id],
        tags={"env": "prod", "owner": "ops", "cost": "42"},
        customer="acme",
    )
    create_tags(client, resourcetype="User", resourceids=[tenant.user_id], tags={"env": "test"})

    assert tags_of(client, key="env", resourcetype="Account") == {"env": "prod"}
    assert client.listTags(key="env", value="test")["tag"][0]["resourcetype"] == "User"
    assert tags_of(client, keyword="OPS") == {"owner": "ops"}
    assert set(tags_of(client, customer="acme")) == {"env", "owner", "cost"}
    page = client.listTags(resourcetype="Account", page=2, pagesize=2)
    assert page["count"] == 3 and len(page["tag"]) == 1
    assert client.listTags(key="nothing") == {}
    error = api_error(client.listTags, resourcetype="Bogus")
    assert error.errorcode == 431


def test_duplicate_key_and_bad_input_are_refused(tenant: Tenant) -> None:
    client = tenant.client()
    create_tags(client, resourcetype="Account", resourceids=[tenant.id], tags={"env": "prod"})

    error = api_error(
        client.createTags,
        resourcetype="Account",
        resourceids=tenant.id,
        tags=tag_list({"ENV": "x"}),
    )
    assert error.errorcode == 431 and "tag env already on Account" in error.errortext
    error = api_error(
        client.createTags,
        resourcetype="UserVm",
        resourceids=str(uuid.uuid4()),
        tags=tag_list({"a": "b"}),
    )
    assert error.errorcode == 431 and "Unable to find resource" in error.errortext
    error = api_error(
        client.createTags, resourcetype="Zone", resourceids=tenant.id, tags=tag_list({"a": "b"})
    )
    assert error.errorcode == 431 and "doesn't support resource tags" in error.errortext
    error = api_error(client.createTags, resourcetype="Account", resourceids=tenant.id)
    assert error.errorcode == 431
    error = api_error(
        client.createTags, resourcetype="Account", resourceids=tenant.id, tags={"key": "novalue"}
    )
    assert error.errorcode == 431
    assert tags_of(client) == {"env": "prod"}


def test_other_tenants_cannot_tag_or_untag(admin: CloudStack, tenant: Tenant) -> None:
    create_tags(tenant.client(), resourcetype="Account", resourceids=[tenant.id], tags={"a": "1"})
    stranger = new_account(admin, endpoint=tenant.endpoint).client()

    for call, extra in (
        (stranger.createTags, {"tags": tag_list({"b": "2"})}),
        (stranger.deleteTags, {}),
    ):
        error = api_error(call, resourcetype="Account", resourceids=tenant.id, **extra)
        assert error.errorcode == 431
    assert tags_of(stranger, listall=True) == {}
    assert tags_of(tenant.client()) == {"a": "1"}
    as_admin = tags_of(admin, account=tenant.name, domainid=tenant.domainid)
    assert as_admin == {"a": "1"}
    assert tenant.id in {tag["resourceid"] for tag in admin.listTags(listall=True)["tag"]}
    assert "a" not in tags_of(admin)


def test_domain_admin_tags_accounts_of_its_domain(
    admin: CloudStack, tenant: Tenant, domain: dict[str, Any]
) -> None:
    boss = new_account(admin, accounttype=2, domainid=domain["id"], endpoint=tenant.endpoint)
    create_tags(boss.client(), resourcetype="Account", resourceids=[tenant.id], tags={"by": "boss"})

    [tag] = tenant.client().listTags()["tag"]
    assert (tag["key"], tag["account"]) == ("by", tenant.name)
    assert tags_of(boss.client(), listall=True) == {"by": "boss"}


def test_delete_by_key_by_value_or_all(tenant: Tenant) -> None:
    client = tenant.client()
    create_tags(
        client,
        resourcetype="Account",
        resourceids=[tenant.id],
        tags={"a": "1", "b": "2", "c": "3", "d": "4"},
    )

    delete_tags(client, resourcetype="Account", resourceids=[tenant.id], tags={"a": None})
    delete_tags(client, resourcetype="Account", resourceids=[tenant.id], tags={"b": "wrong"})
    delete_tags(client, resourcetype="Account", resourceids=[tenant.id], tags={"C": "3"})
    assert tags_of(client) == {"b": "2", "d": "4"}

    delete_tags(client, resourcetype="Account", resourceids=[tenant.id])
    assert tags_of(client) == {}


def test_tags_on_a_volume(admin: CloudStack, tenant: Tenant, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    offering = admin.createDiskOffering(name=unique("disk"), displaytext="d", disksize=1)
    client = tenant.client()
    submitted = client.createVolume(
        name=unique("vol"), zoneid=zone.id, diskofferingid=offering["diskoffering"]["id"]
    )
    wait_for_job(client, submitted["jobid"])
    volume_id = submitted["id"]

    create_tags(client, resourcetype="Volume", resourceids=[volume_id], tags={"app": "db"})

    [volume] = client.listVolumes(id=volume_id)["volume"]
    assert [(tag["key"], tag["value"]) for tag in volume["tags"]] == [("app", "db")]
    [tag] = client.listTags(resourcetype="Volume")["tag"]
    assert (tag["resourceid"], tag["account"]) == (volume_id, tenant.name)
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    error = api_error(
        stranger.createTags,
        resourcetype="Volume",
        resourceids=volume_id,
        tags=tag_list({"x": "y"}),
    )
    assert error.errorcode == 431
    error = api_error(
        client.createTags, resourcetype="Template", resourceids=volume_id, tags=tag_list({"x": "y"})
    )
    assert error.errorcode == 431


def test_tags_on_a_vm_nic_go_with_it(admin: CloudStack, tenant: Tenant, tmp_path: Path) -> None:
    zone = build_zone(admin, root=tmp_path, hosts=1)
    client = tenant.client()
    vm = deploy(client, zone, offering(admin), ready_template(admin, zone, root=tmp_path))
    nic_id = vm["nic"][0]["id"]

    create_tags(client, resourcetype="Nic", resourceids=[nic_id], tags={"role": "web"})
    assert tags_of(client, resourcetype="Nic", resourceid=nic_id) == {"role": "web"}
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    error = api_error(
        stranger.createTags, resourcetype="Nic", resourceids=nic_id, tags=tag_list({"x": "y"})
    )
    assert error.errorcode == 431

    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    assert tags_of(admin, resourcetype="Nic", resourceid=nic_id, listall=True) == {}
