"""Users and API keys through the real `cs` client: createUser, listUsers, updateUser,
deleteUser, disableUser, enableUser, lockUser, registerUserKeys, getUserKeys."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from cs import CloudStack, CloudStackApiException

from tests.support.api import api_error, wait_for_job
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, client_for, new_account, unique

PASSWORD = "long-enough-1"


def add_user(client: CloudStack, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    username = overrides.pop("username", unique("user"))
    params = {
        "account": tenant.name,
        "domainid": tenant.domainid,
        "username": username,
        "password": PASSWORD,
        "email": f"{username}@example.com",
        "firstname": "Grace",
        "lastname": "Hopper",
        **overrides,
    }
    return dict(client.createUser(**params)["user"])


def keys_of(admin: CloudStack, user_id: str, endpoint: str) -> CloudStack:
    """A client signed with freshly registered keys of the user."""
    keys = admin.registerUserKeys(id=user_id)["userkeys"]
    return client_for(endpoint, keys["apikey"], keys["secretkey"])


def errorcode_of_signed_call(client: CloudStack) -> int | None:
    try:
        client.listUsers()
    except CloudStackApiException as error:
        return int(error.error["errorcode"])
    return None


def login(
    endpoint: str,
    *,
    username: str,
    password: str,
    domain_path: str,
    http: requests.Session | None = None,
) -> requests.Response:
    """A web console login, as the UI does it (POST, with the domain's path)."""
    return (http or requests.Session()).post(
        endpoint,
        data={
            "command": "login",
            "username": username,
            "password": password,
            "domain": domain_path,
            "response": "json",
        },
    )


class WebSession:
    """A logged-in web console session: its cookie and `sessionkey`."""

    def __init__(self, endpoint: str, *, username: str, password: str, domain_path: str) -> None:
        self.endpoint = endpoint
        self.http = requests.Session()
        answer = login(
            endpoint, username=username, password=password, domain_path=domain_path, http=self.http
        )
        assert answer.status_code == 200, answer.text
        self.session_key = answer.json()["loginresponse"]["sessionkey"]

    def status(self) -> int:
        """The HTTP status of a listUsers call made in this session."""
        answer = self.http.get(
            self.endpoint,
            params={"command": "listUsers", "sessionkey": self.session_key, "response": "json"},
        )
        return answer.status_code


def domain_path(domain: dict[str, Any]) -> str:
    return "/" + str(domain["path"]).removeprefix("ROOT").strip("/")


@pytest.fixture
def colleague(admin: CloudStack, tenant: Tenant) -> dict[str, Any]:
    """A second user in the tenant's account."""
    return add_user(admin, tenant)


@pytest.fixture
def stranger(admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]) -> Tenant:
    """Another account in the tenant's domain."""
    return new_account(admin, domainid=domain["id"], endpoint=alto_server.endpoint)


# --- createUser ------------------------------------------------------------------------


def test_create_user_in_an_existing_account(admin: CloudStack, tenant: Tenant) -> None:
    user = add_user(admin, tenant, timezone="UTC")

    assert user["account"] == tenant.name
    assert user["accountid"] == tenant.id
    assert user["accounttype"] == 0
    assert user["roletype"] == "User"
    assert user["domainid"] == tenant.domainid
    assert user["firstname"] == "Grace" and user["lastname"] == "Hopper"
    assert user["timezone"] == "UTC"
    assert user["state"] == "enabled"
    assert user["isdefault"] is False
    assert user["usersource"] == "native"
    assert "apikey" not in user and "secretkey" not in user
    account = admin.listAccounts(id=tenant.id)["account"][0]
    assert {u["username"] for u in account["user"]} == {tenant.user["username"], user["username"]}


def test_create_user_refusals(admin: CloudStack, tenant: Tenant) -> None:
    taken = api_error(
        add_user, client=admin, tenant=tenant, username=tenant.user["username"].upper()
    )
    assert taken.errorcode == 431
    assert "username" in taken.errortext

    short = api_error(add_user, client=admin, tenant=tenant, password="123")
    assert short.errorcode == 431
    assert "password" in short.errortext

    unknown = api_error(add_user, client=admin, tenant=tenant, account=unique("nobody"))
    assert unknown.errorcode == 431
    assert "account" in unknown.errortext

    missing = api_error(
        admin.createUser,
        account=tenant.name,
        domainid=tenant.domainid,
        username=unique("u"),
        password=PASSWORD,
        firstname="A",
        lastname="B",
    )
    assert missing.errorcode == 431
    assert "email" in missing.errortext
    assert len(admin.listUsers(account=tenant.name, domainid=tenant.domainid)["user"]) == 1


def test_a_user_may_not_create_users(tenant: Tenant) -> None:
    assert api_error(add_user, client=tenant.client(), tenant=tenant).errorcode == 401


# --- listUsers -------------------------------------------------------------------------


def test_a_user_sees_only_itself(
    tenant: Tenant, colleague: dict[str, Any], stranger: Tenant, domain: dict[str, Any]
) -> None:
    client = tenant.client()

    for params in ({}, {"listall": True}, {"domainid": domain["id"], "isrecursive": True}):
        listed = {user["id"] for user in client.listUsers(**params)["user"]}
        assert listed == {tenant.user_id}
    assert client.listUsers(id=colleague["id"]) == {}

    hidden = api_error(client.listUsers, id=stranger.user_id)
    assert hidden.errorcode == 431
    assert "id" in hidden.errortext
    assert (
        api_error(client.listUsers, account=stranger.name, domainid=domain["id"]).errorcode == 431
    )


def test_admin_lists_users_by_filters(
    admin: CloudStack, tenant: Tenant, domain: dict[str, Any]
) -> None:
    extra = add_user(admin, tenant)

    mine = admin.listUsers(account=tenant.name, domainid=domain["id"])
    assert mine["count"] == 2
    by_name = admin.listUsers(domainid=domain["id"], username=extra["username"])
    assert [user["id"] for user in by_name["user"]] == [extra["id"]]
    by_keyword = admin.listUsers(domainid=domain["id"], keyword=extra["username"][-8:])
    assert [user["id"] for user in by_keyword["user"]] == [extra["id"]]
    assert admin.listUsers(domainid=domain["id"], state="disabled") == {}
    assert admin.listUsers(domainid=domain["id"], accounttype=1) == {}
    everyone = {user["id"] for user in admin.listUsers(listall=True, fetch_list=True)}
    assert {tenant.user_id, extra["id"]} <= everyone
    assert all("secretkey" not in user for user in admin.listUsers(listall=True)["user"])


# --- updateUser ------------------------------------------------------------------------


def test_a_user_updates_itself(tenant: Tenant) -> None:
    updated = tenant.client().updateUser(
        id=tenant.user_id,
        firstname="Alan",
        lastname="Turing",
        email="alan@example.com",
        timezone="Europe/London",
    )["user"]
    assert (updated["firstname"], updated["lastname"]) == ("Alan", "Turing")
    assert updated["email"] == "alan@example.com"
    assert updated["timezone"] == "Europe/London"
    assert "secretkey" not in updated


def test_a_user_may_not_update_others(
    admin: CloudStack, tenant: Tenant, colleague: dict[str, Any], stranger: Tenant
) -> None:
    client = tenant.client()

    other_account = api_error(client.updateUser, id=stranger.user_id, firstname="Mallory")
    assert other_account.errorcode == 431
    assert "id" in other_account.errortext
    same_account = api_error(client.updateUser, id=colleague["id"], firstname="Mallory")
    assert same_account.errorcode == 531
    assert admin.listUsers(id=colleague["id"])["user"][0]["firstname"] == "Grace"


def test_a_user_changes_its_password_with_the_current_one(
    alto_server: AltoServer, tenant: Tenant, domain: dict[str, Any]
) -> None:
    client = tenant.client()
    path = domain_path(domain)
    web = WebSession(
        alto_server.endpoint,
        username=tenant.user["username"],
        password=tenant.password,
        domain_path=path,
    )
    assert web.status() == 200

    missing = api_error(client.updateUser, id=tenant.user_id, password="brand-new-pass")
    assert missing.errorcode == 431
    assert "currentpassword" in missing.errortext
    wrong = api_error(
        client.updateUser, id=tenant.user_id, password="brand-new-pass", currentpassword="nope"
    )
    assert wrong.errorcode == 431
    assert "currentpassword" in wrong.errortext
    short = api_error(
        client.updateUser, id=tenant.user_id, password="x", currentpassword=tenant.password
    )
    assert short.errorcode == 431
    assert "password" in short.errortext
    assert web.status() == 200

    client.updateUser(id=tenant.user_id, password="brand-new-pass", currentpassword=tenant.password)

    assert web.status() == 401  # the change ended the web session
    username = tenant.user["username"]
    assert login(
        alto_server.endpoint, username=username, password="brand-new-pass", domain_path=path
    ).ok
    old = login(alto_server.endpoint, username=username, password=tenant.password, domain_path=path)
    assert old.status_code == 401


def test_admin_sets_a_password_without_the_current_one(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, domain: dict[str, Any]
) -> None:
    admin.updateUser(id=tenant.user_id, password="reset-by-admin")
    answer = login(
        alto_server.endpoint,
        username=tenant.user["username"],
        password="reset-by-admin",
        domain_path=domain_path(domain),
    )
    assert answer.status_code == 200


def test_update_username_and_key_pair(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, colleague: dict[str, Any]
) -> None:
    taken = api_error(admin.updateUser, id=colleague["id"], username=tenant.user["username"])
    assert taken.errorcode == 431
    assert "username" in taken.errortext
    renamed = unique("renamed")
    assert admin.updateUser(id=colleague["id"], username=renamed)["user"]["username"] == renamed

    half = api_error(admin.updateUser, id=colleague["id"], userapikey="only-the-api-key")
    assert half.errorcode == 431
    assert "usersecretkey" in half.errortext
    duplicate = api_error(
        admin.updateUser, id=colleague["id"], userapikey=tenant.apikey, usersecretkey="s"
    )
    assert duplicate.errorcode == 431
    assert "userapikey" in duplicate.errortext

    api_key, secret_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    updated = admin.updateUser(id=colleague["id"], userapikey=api_key, usersecretkey=secret_key)[
        "user"
    ]
    assert updated["apikey"] == api_key and "secretkey" not in updated
    chosen = client_for(alto_server.endpoint, api_key, secret_key)
    assert chosen.listUsers(id=colleague["id"])["count"] == 1


# --- deleteUser ------------------------------------------------------------------------


def test_delete_user(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, colleague: dict[str, Any]
) -> None:
    client = keys_of(admin, colleague["id"], alto_server.endpoint)
    assert errorcode_of_signed_call(client) is None

    assert admin.deleteUser(id=colleague["id"]) == {"success": True}

    assert errorcode_of_signed_call(client) == 401
    assert api_error(admin.listUsers, id=colleague["id"]).errorcode == 431
    assert admin.listUsers(account=tenant.name, domainid=tenant.domainid)["count"] == 1
    # The username is free again.
    add_user(admin, tenant, username=colleague["username"])


def test_delete_user_refusals(admin: CloudStack, alto_server: AltoServer, tenant: Tenant) -> None:
    assert api_error(tenant.client().deleteUser, id=tenant.user_id).errorcode == 401
    [root] = admin.listUsers(username="admin")["user"]
    assert api_error(admin.deleteUser, id=root["id"]).errorcode == 531
    boss = new_account(
        admin, accounttype=2, domainid=tenant.domainid, endpoint=alto_server.endpoint
    )
    assert api_error(boss.client().deleteUser, id=boss.user_id).errorcode == 531


# --- disableUser / enableUser / lockUser -----------------------------------------------


def test_disable_user_then_enable(admin: CloudStack, tenant: Tenant) -> None:
    client = tenant.client()

    user = admin.disableUser(id=tenant.user_id, fetch_result=True)["user"]
    assert user["state"] == "disabled"
    assert errorcode_of_signed_call(client) == 401
    assert admin.listUsers(id=tenant.user_id)["user"][0]["state"] == "disabled"

    assert admin.enableUser(id=tenant.user_id)["user"]["state"] == "enabled"
    assert errorcode_of_signed_call(client) is None


def test_disable_user_by_polling(admin: CloudStack, tenant: Tenant) -> None:
    submitted = admin.disableUser(id=tenant.user_id)
    answer = wait_for_job(admin, submitted["jobid"])
    assert answer["jobstatus"] == 1
    assert answer["jobresult"]["user"]["state"] == "disabled"
    assert answer["jobinstancetype"] == "User"
    assert answer["jobinstanceid"] == tenant.user_id
    assert errorcode_of_signed_call(tenant.client()) == 401


def test_lock_user_then_enable(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, domain: dict[str, Any]
) -> None:
    web = WebSession(
        alto_server.endpoint,
        username=tenant.user["username"],
        password=tenant.password,
        domain_path=domain_path(domain),
    )

    assert admin.lockUser(id=tenant.user_id)["user"]["state"] == "locked"
    assert errorcode_of_signed_call(tenant.client()) == 401
    assert web.status() == 401

    admin.enableUser(id=tenant.user_id)
    assert errorcode_of_signed_call(tenant.client()) is None


def test_nobody_disables_itself_or_the_default_admin(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    [root] = admin.listUsers(username="admin")["user"]
    assert api_error(admin.disableUser, id=root["id"]).errorcode == 531
    assert api_error(admin.lockUser, id=root["id"]).errorcode == 531
    boss = new_account(admin, accounttype=2, endpoint=alto_server.endpoint)
    assert api_error(boss.client().disableUser, id=boss.user_id).errorcode == 531


def test_users_may_not_disable_users(tenant: Tenant) -> None:
    assert api_error(tenant.client().disableUser, id=tenant.user_id).errorcode == 401


# --- registerUserKeys / getUserKeys ----------------------------------------------------


def test_register_user_keys_replaces_the_old_pair(alto_server: AltoServer, tenant: Tenant) -> None:
    old = tenant.client()

    keys = old.registerUserKeys(id=tenant.user_id)["userkeys"]

    assert keys["apikey"] != tenant.apikey and keys["secretkey"] != tenant.secretkey
    assert errorcode_of_signed_call(old) == 401
    new = client_for(alto_server.endpoint, keys["apikey"], keys["secretkey"])
    assert new.getUserKeys(id=tenant.user_id)["userkeys"] == keys
    assert new.listUsers(id=tenant.user_id)["user"][0]["apikey"] == keys["apikey"]


def test_admin_reads_and_registers_keys_of_visible_users(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant
) -> None:
    assert admin.getUserKeys(id=tenant.user_id)["userkeys"] == {
        "apikey": tenant.apikey,
        "secretkey": tenant.secretkey,
    }
    boss = new_account(
        admin, accounttype=2, domainid=tenant.domainid, endpoint=alto_server.endpoint
    ).client()
    keys = boss.registerUserKeys(id=tenant.user_id)["userkeys"]
    assert boss.getUserKeys(id=tenant.user_id)["userkeys"] == keys
    assert errorcode_of_signed_call(tenant.client()) == 401


def test_keys_of_others_are_out_of_reach(
    admin: CloudStack,
    alto_server: AltoServer,
    tenant: Tenant,
    colleague: dict[str, Any],
    stranger: Tenant,
) -> None:
    client = tenant.client()

    for command in (client.getUserKeys, client.registerUserKeys):
        unseen = api_error(command, id=stranger.user_id)
        assert unseen.errorcode == 431
        assert "id" in unseen.errortext
        assert api_error(command, id=colleague["id"]).errorcode == 531
    assert errorcode_of_signed_call(stranger.client()) is None
    # A domain admin of a sibling domain cannot see this domain's users at all.
    other = admin.createDomain(name=unique("other"))["domain"]
    far = new_account(admin, accounttype=2, domainid=other["id"], endpoint=alto_server.endpoint)
    assert api_error(far.client().getUserKeys, id=tenant.user_id).errorcode == 431


def test_user_events_are_recorded(admin: CloudStack, tenant: Tenant) -> None:
    add_user(admin, tenant)
    admin.registerUserKeys(id=tenant.user_id)
    events = admin.listEvents(listall=True, pagesize=500).get("event", [])
    types = {event["type"] for event in events}
    assert {"USER.CREATE", "REGISTER.USER.KEY"} <= types
    assert all(tenant.secretkey not in event.get("description", "") for event in events)
