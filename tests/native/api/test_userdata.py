"""Registered user data through the real `cs` client: registerUserData, listUserData,
deleteUserData."""

from __future__ import annotations

import base64
from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account, unique


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def listed(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listUserData(**params).get("userdata", []))


def test_register_list_and_delete(tenant: Tenant) -> None:
    client = tenant.client()
    name = unique("ud")
    content = b64("#cloud-config\nhostname: {{ ds.meta_data.hostname }}\n")

    made = client.registerUserData(name=name, userdata=content, params="key1, key2,key1")[
        "userdata"
    ]

    assert made["name"] == name and made["userdata"] == content
    assert made["params"] == "key1,key2"
    assert made["account"] == tenant.name and made["accountid"] == tenant.id
    assert made["domainid"] == tenant.domainid
    assert [row["id"] for row in listed(client, id=made["id"])] == [made["id"]]
    assert [row["name"] for row in listed(client, name=name)] == [name]
    assert client.deleteUserData(id=made["id"])["success"] is True
    assert listed(client) == []


def test_bad_content_is_refused(tenant: Tenant) -> None:
    client = tenant.client(method="post")
    for bad in ("not base64 at all!", b64("x" * 32769)):
        error = api_error(client.registerUserData, name=unique("bad"), userdata=bad)
        assert error.errorcode == 431
    error = api_error(client.registerUserData, name=unique("bad"), userdata="@@@")
    assert "base 64" in error.errortext
    assert listed(client) == []


def test_names_and_content_are_unique_per_account(admin: CloudStack, tenant: Tenant) -> None:
    client = tenant.client()
    name = unique("same")
    client.registerUserData(name=name, userdata=b64("one"))

    error = api_error(client.registerUserData, name=name, userdata=b64("two"))
    assert error.errorcode == 431 and f"A userdata with name {name} already exists" in (
        error.errortext
    )
    error = api_error(client.registerUserData, name=unique("copy"), userdata=b64("one"))
    assert error.errorcode == 431 and "same content" in error.errortext

    other = new_account(admin, domainid=tenant.domainid, endpoint=tenant.endpoint)
    assert other.client().registerUserData(name=name, userdata=b64("one"))["userdata"]


def test_other_tenants_neither_see_nor_delete(admin: CloudStack, tenant: Tenant) -> None:
    made = tenant.client().registerUserData(name=unique("mine"), userdata=b64("secret"))
    stranger = new_account(admin, endpoint=tenant.endpoint).client()

    assert listed(stranger, id=made["userdata"]["id"]) == []
    error = api_error(stranger.deleteUserData, id=made["userdata"]["id"])
    assert error.errorcode == 431
    assert [row["name"] for row in listed(tenant.client())] == [made["userdata"]["name"]]
    as_admin = listed(admin, account=tenant.name, domainid=tenant.domainid, keyword="mine")
    assert [row["id"] for row in as_admin] == [made["userdata"]["id"]]


def test_admin_registers_for_an_account(admin: CloudStack, tenant: Tenant) -> None:
    made = admin.registerUserData(
        name=unique("given"), userdata=b64("hello"), account=tenant.name, domainid=tenant.domainid
    )["userdata"]
    assert made["account"] == tenant.name
    assert [row["id"] for row in listed(tenant.client())] == [made["id"]]
