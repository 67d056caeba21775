"""Parameters that take a list of UUIDs (`ids` of deleteEvents here): read in one query,
each checked for visibility; the first bad one is named in the 431 and nothing is done."""

from __future__ import annotations

from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique


def event_ids(client: CloudStack, count: int) -> list[str]:
    """Make `count` events of the client's account (security groups); their ids."""
    for _ in range(count):
        client.createSecurityGroup(name=unique("sg"))
    return [str(event["id"]) for event in client.listEvents(type="SG.CREATE")["event"]]


def test_a_list_of_ids_names_only_visible_rows(
    tenant: Tenant, admin: CloudStack, alto_server: AltoServer
) -> None:
    user = tenant.client()
    own = event_ids(user, 3)
    stranger = new_account(admin, endpoint=alto_server.endpoint).client()
    [theirs] = event_ids(stranger, 1)

    error = api_error(user.deleteEvents, ids=f"{own[0]},{theirs},{own[1]}")
    assert error.errorcode == 431 and theirs in error.errortext
    error = api_error(user.deleteEvents, ids=f"{own[0]},not-a-uuid")
    assert error.errorcode == 431 and "not-a-uuid" in error.errortext
    assert set(event_ids(user, 0)) == set(own)

    assert user.deleteEvents(ids=f"{own[1]},{own[0]},{own[1]}")["success"] is True
    assert event_ids(user, 0) == [own[2]]
    assert event_ids(stranger, 0) == [theirs]
