"""Configuration settings: listed, validated, set and reset per scope, and really applied.

Every test that changes a setting restores it (the server is shared by the whole suite).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique

PAGE_SIZE = "default.page.size"


@pytest.fixture(scope="module")
def tenant(admin: CloudStack, alto_server: AltoServer) -> Tenant:
    return new_account(admin, endpoint=alto_server.endpoint)


def _setting(admin: CloudStack, name: str, **scope: str) -> dict[str, Any]:
    [found] = [
        entry
        for entry in admin.listConfigurations(name=name, **scope)["configuration"]
        if entry["name"] == name
    ]
    return dict(found)


@contextmanager
def _set(admin: CloudStack, name: str, value: str, **scope: str) -> Iterator[dict[str, Any]]:
    """Set a value for the duration of the block, then reset it."""
    try:
        yield admin.updateConfiguration(name=name, value=value, **scope)["configuration"]
    finally:
        admin.resetConfiguration(name=name, **scope)


def test_list_configurations(admin: CloudStack) -> None:
    page_size = _setting(admin, PAGE_SIZE)
    assert page_size == {
        "category": "Advanced", "name": PAGE_SIZE, "value": page_size["value"], "defaultvalue": "500",
        "scope": "global", "description": page_size["description"], "isdynamic": True,
        "component": "ManagementServer", "type": "Long",
    }  # fmt: skip
    everything = admin.listConfigurations()
    names = [entry["name"] for entry in everything["configuration"]]
    assert names == sorted(names) and everything["count"] == len(names)
    assert {PAGE_SIZE, "allow.user.view.destroyed.vm", "security.password.min.length"} <= set(names)
    secure = admin.listConfigurations(category="secure")["configuration"]
    assert {entry["category"] for entry in secure} == {"Secure"}
    assert [
        entry["name"] for entry in admin.listConfigurations(keyword="page.size")["configuration"]
    ] == [PAGE_SIZE]
    assert admin.listConfigurations(name="no.such.setting") == {}
    assert _setting(admin, "allow.user.view.destroyed.vm")["scope"] == "account"


def test_update_and_reset_global_value(admin: CloudStack) -> None:
    with _set(admin, "security.password.min.length", "12") as updated:
        assert (updated["name"], updated["value"], updated["defaultvalue"]) == (
            "security.password.min.length", "12", "8",
        )  # fmt: skip
        assert _setting(admin, "security.password.min.length")["value"] == "12"
    reset = _setting(admin, "security.password.min.length")
    assert reset["value"] == "8"
    events = admin.listEvents(
        type="CONFIGURATION.VALUE.EDIT", keyword="security.password.min.length"
    )["event"]
    assert [event["description"] for event in events[:2]] == [
        "Reset configuration security.password.min.length at global scope",
        "Set configuration security.password.min.length to '12' at global scope",
    ]


def test_page_size_setting_caps_list_commands(admin: CloudStack) -> None:
    total = admin.listRoles()["count"]
    assert total >= 4
    with _set(admin, PAGE_SIZE, "3"):
        error = api_error(admin.listRoles, pagesize=4)
        assert (error.status, error.errorcode, error.errortext) == (
            431, 431, "Page size can't exceed max allowed page size value: 3",
        )  # fmt: skip
        first_page = admin.listRoles()
        assert first_page["count"] == total and len(first_page["role"]) == 3
        assert len(admin.listRoles(pagesize=3, page=2)["role"]) == min(3, total - 3)
        assert len(admin.listRoles(fetch_list=True, pagesize=3)) == total
    assert len(admin.listRoles(pagesize=4)["role"]) == 4


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        (
            PAGE_SIZE,
            "lots",
            "Invalid value 'lots' for configuration default.page.size of type Long",
        ),
        (
            PAGE_SIZE,
            "0",
            "Invalid value '0' for configuration default.page.size of type Long: must be at least 1",
        ),
        (
            "allow.user.view.destroyed.vm",
            "yes",
            "Invalid value 'yes' for configuration allow.user.view.destroyed.vm of type Boolean: must be true or false",
        ),
        (
            "security.password.min.length",
            "300",
            "Invalid value '300' for configuration security.password.min.length of type Integer: must be at most 255",
        ),
    ],
)
def test_bad_value_is_refused_and_nothing_stored(
    admin: CloudStack, name: str, value: str, why: str
) -> None:
    before = _setting(admin, name)["value"]
    error = api_error(admin.updateConfiguration, name=name, value=value)
    assert (error.status, error.errorcode) == (431, 431)
    assert error.errortext.startswith(why)
    assert _setting(admin, name)["value"] == before
    newest = admin.listEvents(type="CONFIGURATION.VALUE.EDIT", level="ERROR")["event"][0]
    assert newest["description"] == f"Error while running updateConfiguration: {error.errortext}"


def test_account_scope(admin: CloudStack, tenant: Tenant) -> None:
    scoped = admin.listConfigurations(accountid=tenant.id)["configuration"]
    assert {entry["name"] for entry in scoped} == {
        "allow.user.view.destroyed.vm",
        "allow.user.expunge.recover.vm",
        "destroyed.vm.view.duration",
        "remote.access.vpn.client.iprange",
        "remote.access.vpn.user.limit",
        "vpc.max.route.tables",
        "vpc.route.table.max.routes",
    }
    assert {entry["scope"] for entry in scoped} == {"account"}
    user = tenant.client()
    assert user.listCapabilities()["capability"]["allowuserviewdestroyedvm"] is False
    with _set(admin, "allow.user.view.destroyed.vm", "true", accountid=tenant.id) as updated:
        assert (updated["value"], updated["scope"]) == ("true", "account")
        assert (
            _setting(admin, "allow.user.view.destroyed.vm", accountid=tenant.id)["value"] == "true"
        )
        assert _setting(admin, "allow.user.view.destroyed.vm")["value"] == "false"
        assert user.listCapabilities()["capability"]["allowuserviewdestroyedvm"] is True
        assert admin.listCapabilities()["capability"]["allowuserviewdestroyedvm"] is False
    assert _setting(admin, "allow.user.view.destroyed.vm", accountid=tenant.id)["value"] == "false"
    assert user.listCapabilities()["capability"]["allowuserviewdestroyedvm"] is False


def test_domain_scope_falls_back_to_global(admin: CloudStack, alto_server: AltoServer) -> None:
    domain = admin.createDomain(name=unique("cfg"))["domain"]
    user = new_account(admin, domainid=domain["id"], endpoint=alto_server.endpoint).client()
    name = "allow.user.create.projects"
    assert [
        entry["name"] for entry in admin.listConfigurations(domainid=domain["id"])["configuration"]
    ] == [name]
    with _set(admin, name, "false", domainid=domain["id"]):
        assert user.listCapabilities()["capability"]["allowusercreateprojects"] is False
        assert admin.listCapabilities()["capability"]["allowusercreateprojects"] is True
        with _set(admin, name, "true", domainid=domain["id"]):
            assert user.listCapabilities()["capability"]["allowusercreateprojects"] is True
        assert user.listCapabilities()["capability"]["allowusercreateprojects"] is True
    assert _setting(admin, name, domainid=domain["id"])["value"] == "true"


def test_configuration_errors(admin: CloudStack, tenant: Tenant) -> None:
    error = api_error(admin.updateConfiguration, name="no.such.setting", value="1")
    assert (error.status, error.errorcode, error.errortext) == (
        431, 431, "Configuration no.such.setting does not exist",
    )  # fmt: skip
    error = api_error(admin.resetConfiguration, name="no.such.setting")
    assert (error.status, error.errorcode, error.errortext) == (
        431, 431, "Configuration no.such.setting does not exist",
    )  # fmt: skip
    error = api_error(admin.updateConfiguration, name=PAGE_SIZE, value="5", accountid=tenant.id)
    assert (error.errorcode, error.errortext) == (
        431, "Configuration default.page.size cannot be set at account scope; valid scopes: global",
    )  # fmt: skip
    error = api_error(admin.resetConfiguration, name=PAGE_SIZE, domainid=tenant.domainid)
    assert (error.errorcode, error.errortext) == (
        431, "Configuration default.page.size cannot be reset at domain scope; valid scopes: global",
    )  # fmt: skip
    error = api_error(
        admin.updateConfiguration, name="allow.user.view.destroyed.vm", value="true", accountid=tenant.id,
        domainid=tenant.domainid,
    )  # fmt: skip
    assert error.errorcode == 431 and "accountid and domainid" in error.errortext
    error = api_error(admin.listConfigurations, accountid=tenant.id, domainid=tenant.domainid)
    assert error.errorcode == 431 and "accountid and domainid" in error.errortext
    error = api_error(admin.updateConfiguration, name=PAGE_SIZE)
    assert (error.errorcode, error.errortext) == (
        431, "Unable to execute API command updateconfiguration due to missing parameter value",
    )  # fmt: skip
    error = api_error(admin.listConfigurations, accountid=str(uuid.uuid4()))
    assert error.errorcode == 431 and "accountid" in error.errortext
    user = tenant.client()
    for call, params in (
        (user.listConfigurations, {}),
        (user.updateConfiguration, {"name": PAGE_SIZE, "value": "1"}),
        (user.resetConfiguration, {"name": PAGE_SIZE}),
    ):
        error = api_error(call, **params)
        assert (error.status, error.errorcode) == (401, 401)
    assert _setting(admin, PAGE_SIZE)["value"] == "500"
