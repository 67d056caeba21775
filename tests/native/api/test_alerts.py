"""Alerts: listed, archived and deleted by the root admin.

Nothing in the API raises an alert on demand, so the tests add alert rows straight into
the server's database (as the management server does when something needs attention)
and observe them only through the API.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cs import CloudStack

from native.model import Alert
from native.services.db import Database
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import new_account


@pytest.fixture(scope="module")
def database(alto_server: AltoServer) -> Iterator[Database]:
    db = Database(url=alto_server.db_url)
    try:
        yield db
    finally:
        db.dispose()


class _Raised:
    """Three alerts of one fresh type, sent a day apart (oldest first)."""

    def __init__(self, database: Database) -> None:
        self.type = random.randint(1000, 30000)
        self.name = f"ALERT.TEST.{uuid.uuid4().hex[:8].upper()}"
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.sent = [now - dt.timedelta(days=days) for days in (2, 1, 0)]
        with database.session() as session:
            rows = [
                Alert(
                    alert_type=self.type,
                    name=self.name,
                    description=f"{self.name} #{number}",
                    sent=sent,
                )
                for number, sent in enumerate(self.sent)
            ]
            session.add_all(rows)
            session.flush()
            self.ids = [row.uuid for row in rows]

    def listed(self, admin: CloudStack, **params: Any) -> list[str]:
        alerts = admin.listAlerts(type=str(self.type), **params).get("alert", [])
        return [alert["id"] for alert in alerts]


@pytest.fixture
def raised(database: Database) -> _Raised:
    return _Raised(database)


def test_list_alerts(admin: CloudStack, raised: _Raised) -> None:
    newest = admin.listAlerts(id=raised.ids[2])["alert"]
    assert newest == [{
        "id": raised.ids[2], "type": raised.type, "name": raised.name, "description": f"{raised.name} #2",
        "sent": raised.sent[2].strftime("%Y-%m-%dT%H:%M:%S+0000"),
    }]  # fmt: skip
    assert raised.listed(admin) == raised.ids[::-1]
    assert [alert["id"] for alert in admin.listAlerts(name=raised.name)["alert"]] == raised.ids[
        ::-1
    ]
    assert [alert["id"] for alert in admin.listAlerts(keyword=f"{raised.name} #1")["alert"]] == [
        raised.ids[1]
    ]
    page = admin.listAlerts(name=raised.name, page=2, pagesize=2)
    assert page["count"] == 3 and [alert["id"] for alert in page["alert"]] == [raised.ids[0]]


def test_archive_and_delete_alerts(admin: CloudStack, raised: _Raised) -> None:
    assert admin.archiveAlerts(ids=raised.ids[0]) == {"success": True}
    assert raised.listed(admin) == [raised.ids[2], raised.ids[1]]
    error = api_error(admin.archiveAlerts, ids=raised.ids[0])
    assert (error.errorcode, error.errortext) == (
        431,
        (f"Invalid value for parameter ids: {raised.ids[0]} are not unarchived alerts matching the "
        "given type and dates"),
    )  # fmt: skip
    yesterday = raised.sent[1]
    assert admin.archiveAlerts(
        type=str(raised.type), startdate=(yesterday - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
        enddate=(yesterday + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
    ) == {"success": True}  # fmt: skip
    assert raised.listed(admin) == [raised.ids[2]]
    # Deleting takes archived alerts too.
    assert admin.deleteAlerts(type=str(raised.type), enddate="2999-01-01") == {"success": True}
    assert raised.listed(admin) == []
    error = api_error(admin.listAlerts, id=raised.ids[0])
    assert error.errorcode == 431 and raised.ids[0] in error.errortext


def test_alert_errors(admin: CloudStack, alto_server: AltoServer) -> None:
    for command in (admin.archiveAlerts, admin.deleteAlerts):
        error = api_error(command)
        assert (error.status, error.errorcode, error.errortext) == (
            431, 431, "either ids, type, startdate or enddate must be specified",
        )  # fmt: skip
        assert api_error(command, type="1", startdate="2020-01-01").errortext == (
            "enddate must be specified with startdate parameter"
        )
        assert api_error(command, type="x").errortext == (
            "Invalid value 'x' for parameter type: an alert type is a number"
        )
        error = api_error(command, ids=str(uuid.uuid4()))
        assert (error.status, error.errorcode) == (431, 431) and "ids" in error.errortext
    assert api_error(admin.listAlerts, type="cpu").errortext == (
        "Invalid value 'cpu' for parameter type: an alert type is a number"
    )
    user = new_account(admin, endpoint=alto_server.endpoint).client()
    for call, params in (
        (user.listAlerts, {}),
        (user.archiveAlerts, {"type": "1"}),
        (user.deleteAlerts, {"type": "1"}),
    ):
        error = api_error(call, **params)
        assert (error.status, error.errorcode) == (401, 401)
