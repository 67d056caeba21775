"""listApis: the self-description CloudMonkey's `sync` and marvin consume."""

from __future__ import annotations

from typing import Any

from cs import CloudStack

from tests.support.server import AltoServer
from tests.support.tenants import new_account


def by_name(apis: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {api["name"]: api for api in apis["api"]}


def test_each_api_describes_its_parameters_and_response(admin: CloudStack) -> None:
    apis = by_name(admin.listApis())
    create = apis["createDomain"]
    assert create["isasync"] is False
    assert create["description"] == "Creates a domain"
    assert create["since"]
    params = {param["name"]: param for param in create["params"]}
    assert params["name"]["required"] is True
    assert params["name"]["type"] == "string"
    assert params["name"]["length"] == 255
    assert params["parentdomainid"] == {
        "name": "parentdomainid",
        "description": params["parentdomainid"]["description"],
        "type": "uuid",
        "length": 40,
        "required": False,
        "related": "listDomains",
    }
    fields = {field["name"]: field for field in create["response"]}
    assert {"id", "name", "level", "path", "haschild"} <= set(fields)
    assert fields["level"]["type"] == "integer"
    assert "listDomains" in create["related"].split(",")

    delete = apis["deleteDomain"]
    assert delete["isasync"] is True
    paging = {param["name"]: param["type"] for param in apis["listDomains"]["params"]}
    assert paging["page"] == "integer" and paging["listall"] == "boolean"
    details = {param["name"]: param["type"] for param in apis["createAccount"]["params"]}
    assert details["accountdetails"] == "map"


def test_filter_by_name(admin: CloudStack) -> None:
    answer = admin.listApis(name="queryAsyncJobResult")
    assert answer["count"] == 1
    assert answer["api"][0]["name"] == "queryAsyncJobResult"


def test_users_see_only_what_they_may_call(admin: CloudStack, alto_server: AltoServer) -> None:
    user = new_account(admin, endpoint=alto_server.endpoint).client()
    names = set(by_name(user.listApis()))
    assert {"listAccounts", "queryAsyncJobResult", "registerUserKeys"} <= names
    assert not names & {"createDomain", "createAccount", "updateConfiguration", "listAlerts"}
    assert names < set(by_name(admin.listApis()))
