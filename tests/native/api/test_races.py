"""Racing creations of the same name: exactly one wins, the others get a clear 431."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cs import CloudStack, CloudStackApiException

from tests.support.server import AltoServer
from tests.support.tenants import admin_client, unique

RACERS = 8


def race(server: AltoServer, call: Callable[[CloudStack], Any]) -> list[Any]:
    """Run `call` at once from RACERS clients; each outcome is a result or the API error."""

    def attempt(client: CloudStack) -> Any:
        try:
            return call(client)
        except CloudStackApiException as exc:
            return exc.error

    clients = [admin_client(server) for _ in range(RACERS)]
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(attempt, clients))


def test_one_domain_wins(alto_server: AltoServer) -> None:
    name = unique("race")
    outcomes = race(alto_server, lambda client: client.createDomain(name=name))
    winners = [outcome for outcome in outcomes if "domain" in outcome]
    losers = [outcome for outcome in outcomes if "errorcode" in outcome]
    assert len(winners) == 1 and len(losers) == RACERS - 1
    assert {loser["errorcode"] for loser in losers} == {431}
    listed = admin_client(alto_server).listDomains(listall=True, keyword=name)
    assert listed["count"] == 1


def test_one_account_wins(alto_server: AltoServer) -> None:
    name = unique("race")

    def create(client: CloudStack) -> Any:
        return client.createAccount(
            accounttype=0,
            username=name,
            account=name,
            password="correct horse battery",
            email="race@example.com",
            firstname="Race",
            lastname="Condition",
        )

    outcomes = race(alto_server, create)
    assert sum("account" in outcome for outcome in outcomes) == 1
    assert {outcome["errorcode"] for outcome in outcomes if "errorcode" in outcome} == {431}
    assert admin_client(alto_server).listAccounts(listall=True, keyword=name)["count"] == 1
