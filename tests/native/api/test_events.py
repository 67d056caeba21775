"""Events: recorded by commands, listed newest first, scoped to what the caller owns."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cs import CloudStack

import native.api.commands  # noqa: F401  (registers every command)
from native.api.command import REGISTRY
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique


def _events(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.listEvents(pagesize=100, **params).get("event", [])
    return events


class _Team:
    """A domain with a domain admin (who made a sub-domain) and a user (who renamed itself)."""

    def __init__(self, admin: CloudStack, server: AltoServer) -> None:
        self.domain = admin.createDomain(name=unique("evdom"))["domain"]
        self.lead: Tenant = new_account(
            admin, accounttype=2, domainid=self.domain["id"], endpoint=server.endpoint
        )
        self.member: Tenant = new_account(
            admin, domainid=self.domain["id"], endpoint=server.endpoint
        )
        self.subdomain = self.lead.client().createDomain(name=unique("sub"))["domain"]
        self.member.client().updateUser(id=self.member.user_id, firstname="Renamed")


@pytest.fixture(scope="module")
def team(admin: CloudStack, alto_server: AltoServer) -> _Team:
    return _Team(admin, alto_server)


def test_domain_create_is_recorded(admin: CloudStack) -> None:
    name = unique("evt")
    domain = admin.createDomain(name=name)["domain"]
    newest = _events(admin, type="DOMAIN.CREATE")[0]
    assert newest == {
        "id": newest["id"], "username": "admin", "type": "DOMAIN.CREATE", "level": "INFO",
        "description": f"Creates a domain: {name}", "account": "admin", "domainid": newest["domainid"],
        "domain": "ROOT", "created": newest["created"], "state": "Completed",
        "resourceid": domain["id"], "resourcetype": "Domain",
    }  # fmt: skip
    assert _events(admin, id=newest["id"]) == [newest]
    assert _events(admin, resourceid=domain["id"], resourcetype="domain") == [newest]
    assert _events(admin, keyword=name) == [newest]


def test_failed_command_records_an_error_event(admin: CloudStack) -> None:
    name = unique("dup")
    admin.createDomain(name=name)
    error = api_error(admin.createDomain, name=name)
    assert (error.status, error.errorcode) == (431, 431)
    newest = _events(admin, type="DOMAIN.CREATE", level="ERROR")[0]
    assert newest["description"] == f"Error while running createDomain: {error.errortext}"
    assert (newest["level"], newest["username"], newest["account"]) == ("ERROR", "admin", "admin")


def test_events_are_listed_newest_first(admin: CloudStack) -> None:
    events = _events(admin, listall=True)
    created = [event["created"] for event in events]
    assert created == sorted(created, reverse=True)


def test_users_see_only_their_own_accounts_events(admin: CloudStack, team: _Team) -> None:
    member_events = _events(team.member.client(), listall=True)
    assert {event["account"] for event in member_events} == {team.member.name}
    assert "USER.UPDATE" in {event["type"] for event in member_events}
    lead_event = next(
        event
        for event in _events(team.lead.client())
        if event["resourceid"] == team.subdomain["id"]
    )
    assert lead_event["type"] == "DOMAIN.CREATE" and lead_event["account"] == team.lead.name
    error = api_error(team.member.client().listEvents, id=lead_event["id"])
    assert (error.status, error.errorcode) == (431, 431) and lead_event["id"] in error.errortext

    # A domain admin sees its own events, and with listall those of its domain's accounts.
    assert {event["account"] for event in _events(team.lead.client())} == {team.lead.name}
    assert {event["account"] for event in _events(team.lead.client(), listall=True)} >= {
        team.lead.name, team.member.name,
    }  # fmt: skip
    # The root admin sees only its own unless it asks for more.
    assert team.lead.name not in {event["account"] for event in _events(admin)}
    in_domain = _events(admin, domainid=team.domain["id"])
    assert {event["account"] for event in in_domain} == {team.lead.name, team.member.name}
    by_account = _events(admin, account=team.member.name, domainid=team.domain["id"])
    assert {event["account"] for event in by_account} == {team.member.name}


def test_list_events_filters(admin: CloudStack, team: _Team) -> None:
    everything = _events(admin, domainid=team.domain["id"])
    assert _events(admin, domainid=team.domain["id"], level="info") == [
        event for event in everything if event["level"] == "INFO"
    ]
    assert _events(admin, domainid=team.domain["id"], type="user.update") == [
        event for event in everything if event["type"] == "USER.UPDATE"
    ]
    assert (
        _events(admin, domainid=team.domain["id"], startdate="2000-01-01", enddate="2999-01-01")
        == everything
    )
    assert _events(admin, domainid=team.domain["id"], enddate="2000-01-01") == []
    first = everything[-1]
    assert _events(admin, listall=True, startid=first["id"]) == [first]
    pending = _events(admin, listall=True, duration=1, entrytime=3600)
    assert all(event["state"] != "Completed" for event in pending)
    page = admin.listEvents(domainid=team.domain["id"], page=1, pagesize=1)
    assert page["count"] == len(everything) and page["event"] == everything[:1]


def test_list_events_errors(admin: CloudStack) -> None:
    error = api_error(admin.listEvents, level="LOUD")
    assert (error.status, error.errorcode, error.errortext) == (
        431, 431, "Invalid value 'LOUD' for parameter level: use one of INFO, WARN, ERROR",
    )  # fmt: skip
    error = api_error(admin.listEvents, duration=5)
    assert (error.errorcode, error.errortext) == (
        431, "Missing parameter entrytime: duration and entrytime go together",
    )  # fmt: skip
    error = api_error(admin.listEvents, entrytime=5)
    assert (error.errorcode, error.errortext) == (
        431, "Missing parameter duration: duration and entrytime go together",
    )  # fmt: skip
    error = api_error(admin.listEvents, duration=10, entrytime=5)
    assert (error.errorcode, error.errortext) == (
        431, "Invalid value 5 for parameter entrytime: it must be greater than duration (10)",
    )  # fmt: skip
    error = api_error(admin.listEvents, startdate="yesterday")
    assert (error.status, error.errorcode) == (430, 430) and "startdate" in error.errortext
    error = api_error(admin.listEvents, id="not-a-uuid")
    assert (error.status, error.errorcode) == (431, 431) and "not-a-uuid" in error.errortext
    error = api_error(admin.listEvents, account="nobody-here")
    assert (error.status, error.errorcode) == (431, 431) and "nobody-here" in error.errortext


def test_list_event_types_come_from_the_commands(admin: CloudStack, team: _Team) -> None:
    declared = sorted({command.event_type for command in REGISTRY.all() if command.event_type})
    listed = admin.listEventTypes()
    assert listed["count"] == len(declared)
    assert [entry["name"] for entry in listed["eventtype"]] == declared
    assert {"DOMAIN.CREATE", "ROLE.CREATE", "CONFIGURATION.VALUE.EDIT"} <= set(declared)
    assert team.member.client().listEventTypes()["count"] == len(declared)


def test_archive_and_delete_own_events(
    admin: CloudStack, alto_server: AltoServer, team: _Team
) -> None:
    user = new_account(admin, domainid=team.domain["id"], endpoint=alto_server.endpoint)
    client = user.client()
    for name in ("One", "Two", "Three"):
        client.updateUser(id=user.user_id, firstname=name)
    own = _events(client, type="USER.UPDATE")
    assert len(own) == 3

    assert client.archiveEvents(ids=own[0]["id"]) == {"success": True}
    assert [event["id"] for event in _events(client, type="USER.UPDATE")] == [
        e["id"] for e in own[1:]
    ]
    assert [event["id"] for event in _events(client, archived=True)] == [own[0]["id"]]
    error = api_error(client.archiveEvents, ids=own[0]["id"])
    assert (error.errorcode, error.errortext) == (
        431,
        (f"Invalid value for parameter ids: {own[0]['id']} are not unarchived events of yours "
        "matching the given type and dates"),
    )  # fmt: skip

    # Someone else's events cannot even be named.
    lead_event = _events(team.lead.client())[0]
    error = api_error(client.archiveEvents, ids=lead_event["id"])
    assert (error.status, error.errorcode) == (431, 431) and lead_event["id"] in error.errortext
    error = api_error(client.deleteEvents, ids=lead_event["id"])
    assert (error.status, error.errorcode) == (431, 431) and lead_event["id"] in error.errortext

    # Filters select only the caller's own events, never those of others in the domain.
    assert client.archiveEvents(
        type="USER.UPDATE", startdate="2000-01-01", enddate="2999-01-01"
    ) == {"success": True}
    assert _events(client, type="USER.UPDATE") == []
    assert "USER.UPDATE" in {event["type"] for event in _events(team.member.client())}

    assert client.deleteEvents(ids=",".join(event["id"] for event in own)) == {"success": True}
    assert _events(client, archived=True) == []
    error = api_error(admin.listEvents, id=own[0]["id"])
    assert error.errorcode == 431


def test_archive_and_delete_errors(admin: CloudStack) -> None:
    for command in (admin.archiveEvents, admin.deleteEvents):
        error = api_error(command)
        assert (error.errorcode, error.errortext) == (
            431,
            "either ids, type, startdate or enddate must be specified",
        )
        error = api_error(command, type="X", startdate="2020-01-01")
        assert (error.errorcode, error.errortext) == (
            431, "enddate must be specified with startdate parameter",
        )  # fmt: skip
        error = api_error(command, startdate="2020-02-01", enddate="2020-01-01")
        assert (error.errorcode, error.errortext) == (
            431, "Invalid date range: startdate 2020-02-01 00:00:00 is after enddate 2020-01-01 00:00:00",
        )  # fmt: skip
        error = api_error(command, ids=str(uuid.uuid4()))
        assert (error.status, error.errorcode) == (431, 431) and "ids" in error.errortext
