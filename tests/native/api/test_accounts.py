"""Accounts through the real `cs` client: createAccount, listAccounts, updateAccount,
deleteAccount, disableAccount, enableAccount, lockAccount."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique


def account_params(name: str | None = None, **overrides: Any) -> dict[str, Any]:
    name = name or unique("acct")
    params: dict[str, Any] = {
        "accounttype": 0,
        "account": name,
        "username": name,
        "password": "s3cret-enough",
        "email": f"{name}@example.com",
        "firstname": "Ada",
        "lastname": "Lovelace",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def listed_names(client: CloudStack, **params: Any) -> set[str]:
    return {account["name"] for account in client.listAccounts(**params).get("account", [])}


def assert_unauthorized(tenant: Tenant) -> None:
    error = api_error(tenant.client().listAccounts)
    assert error.errorcode == 401


# --- createAccount -------------------------------------------------------------------


def test_create_account_returns_the_account_and_its_first_user(
    admin: CloudStack, domain: dict[str, Any]
) -> None:
    params = account_params(
        domainid=domain["id"], networkdomain="corp.example", timezone="Europe/Paris"
    )
    account = admin.createAccount(**params)["account"]

    assert account["name"] == params["account"]
    assert account["accounttype"] == 0
    assert account["roletype"] == "User"
    assert account["rolename"] and account["roleid"]
    assert account["domainid"] == domain["id"]
    assert account["domain"] == domain["name"]
    assert account["domainpath"] == f"ROOT/{domain['name']}"
    assert account["state"] == "enabled"
    assert account["networkdomain"] == "corp.example"
    assert account["isdefault"] is False
    assert account["iscleanuprequired"] is False
    assert account["created"].endswith("+0000")
    [user] = account["user"]
    assert user["username"] == params["username"]
    assert user["firstname"] == "Ada" and user["lastname"] == "Lovelace"
    assert user["email"] == params["email"]
    assert user["timezone"] == "Europe/Paris"
    assert user["accountid"] == account["id"]
    assert user["state"] == "enabled"
    assert user["usersource"] == "native"
    assert "secretkey" not in user and "password" not in user


def test_account_name_defaults_to_the_username(admin: CloudStack, domain: dict[str, Any]) -> None:
    username = unique("solo")
    account = admin.createAccount(
        **account_params(account=None, username=username, domainid=domain["id"])
    )
    assert account["account"]["name"] == username


def test_create_account_by_roleid_with_chosen_uuids_and_details(
    admin: CloudStack, domain: dict[str, Any]
) -> None:
    role = admin.createAccount(**account_params(accounttype=2, domainid=domain["id"]))["account"][
        "roleid"
    ]
    account_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())

    account = admin.createAccount(
        **account_params(
            accounttype=None,
            roleid=role,
            domainid=domain["id"],
            accountid=account_id,
            userid=user_id,
            accountdetails={"team": "storage"},
        )
    )["account"]

    assert account["id"] == account_id
    assert account["user"][0]["id"] == user_id
    assert account["accounttype"] == 2
    assert account["roletype"] == "DomainAdmin"
    assert account["accountdetails"] == {"team": "storage"}


def test_role_type_must_match_the_account_type(admin: CloudStack, domain: dict[str, Any]) -> None:
    role = admin.createAccount(**account_params(accounttype=2, domainid=domain["id"]))["account"][
        "roleid"
    ]
    name = unique("mismatch")
    error = api_error(
        admin.createAccount,
        **account_params(name, accounttype=0, roleid=role, domainid=domain["id"]),
    )
    assert error.errorcode == 431
    assert "roleid" in error.errortext
    assert name not in listed_names(admin, domainid=domain["id"])


def test_unknown_roleid_is_refused(admin: CloudStack, domain: dict[str, Any]) -> None:
    error = api_error(
        admin.createAccount, **account_params(accounttype=None, roleid=str(uuid.uuid4()))
    )
    assert error.errorcode == 431
    assert "roleid" in error.errortext


@pytest.mark.parametrize("missing", ["username", "password", "email", "firstname", "lastname"])
def test_missing_required_parameter_is_named(admin: CloudStack, missing: str) -> None:
    error = api_error(admin.createAccount, **account_params(**{missing: None}))
    assert error.errorcode == 431
    assert missing in error.errortext


def test_account_type_or_role_is_required(admin: CloudStack) -> None:
    error = api_error(admin.createAccount, **account_params(accounttype=None))
    assert error.errorcode == 431
    assert "accounttype" in error.errortext and "roleid" in error.errortext


def test_unknown_account_type_is_refused(admin: CloudStack) -> None:
    error = api_error(admin.createAccount, **account_params(accounttype=7))
    assert error.errorcode == 431
    assert "accounttype" in error.errortext


def test_too_short_password_leaves_nothing_behind(
    admin: CloudStack, domain: dict[str, Any]
) -> None:
    name = unique("short")
    error = api_error(
        admin.createAccount, **account_params(name, password="abc", domainid=domain["id"])
    )
    assert error.errorcode == 431
    assert "password" in error.errortext
    assert name not in listed_names(admin, domainid=domain["id"])
    assert "user" not in admin.listUsers(username=name, domainid=domain["id"], isrecursive=True)


def test_duplicate_account_name_in_a_domain_is_refused(
    admin: CloudStack, domain: dict[str, Any]
) -> None:
    name = unique("dup")
    admin.createAccount(**account_params(name, domainid=domain["id"]))

    error = api_error(
        admin.createAccount,
        **account_params(name.upper(), username=unique("other"), domainid=domain["id"]),
    )
    assert error.errorcode == 431
    assert "account" in error.errortext and name.upper() in error.errortext
    # The same name is fine in another domain.
    admin.createAccount(**account_params(name, username=unique("elsewhere")))


def test_duplicate_username_in_a_domain_is_refused_and_nothing_is_half_made(
    admin: CloudStack, domain: dict[str, Any]
) -> None:
    taken = unique("taken")
    admin.createAccount(**account_params(taken, domainid=domain["id"]))
    fresh = unique("fresh")

    error = api_error(
        admin.createAccount, **account_params(fresh, username=taken, domainid=domain["id"])
    )
    assert error.errorcode == 431
    assert "username" in error.errortext
    assert fresh not in listed_names(admin, domainid=domain["id"])


def test_a_user_may_not_create_accounts(admin: CloudStack, alto_server: AltoServer) -> None:
    tenant = new_account(admin, endpoint=alto_server.endpoint)
    error = api_error(tenant.client().createAccount, **account_params())
    assert error.errorcode == 401


def test_domain_admin_creates_user_accounts_only_in_its_subtree(
    admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]
) -> None:
    child = admin.createDomain(name=unique("child"), parentdomainid=domain["id"])["domain"]
    grandchild = admin.createDomain(name=unique("leaf"), parentdomainid=child["id"])["domain"]
    boss = new_account(
        admin, accounttype=2, domainid=child["id"], endpoint=alto_server.endpoint
    ).client()

    below = boss.createAccount(**account_params(domainid=grandchild["id"]))["account"]
    assert below["domainid"] == grandchild["id"]
    peer = boss.createAccount(**account_params(accounttype=2, domainid=child["id"]))["account"]
    assert peer["roletype"] == "DomainAdmin"
    # Its own domain is the default.
    assert boss.createAccount(**account_params())["account"]["domainid"] == child["id"]

    in_parent = api_error(boss.createAccount, **account_params(domainid=domain["id"]))
    assert in_parent.errorcode == 431
    assert "domainid" in in_parent.errortext
    root_admin = api_error(
        boss.createAccount, **account_params(accounttype=1, domainid=grandchild["id"])
    )
    assert root_admin.errorcode == 531


# --- listAccounts ----------------------------------------------------------------------


def test_a_user_sees_only_its_own_account(
    admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]
) -> None:
    alice = new_account(admin, domainid=domain["id"], endpoint=alto_server.endpoint)
    bob = new_account(admin, domainid=domain["id"], endpoint=alto_server.endpoint)

    for params in ({}, {"listall": True}, {"domainid": domain["id"], "isrecursive": True}):
        answer = alice.client().listAccounts(**params)
        assert answer["count"] == 1
        assert [account["id"] for account in answer["account"]] == [alice.id]

    error = api_error(alice.client().listAccounts, id=bob.id)
    assert error.errorcode == 431
    assert "id" in error.errortext


def test_admin_lists_a_domain_and_optionally_its_subtree(
    admin: CloudStack, domain: dict[str, Any]
) -> None:
    child = admin.createDomain(name=unique("child"), parentdomainid=domain["id"])["domain"]
    top = admin.createAccount(**account_params(domainid=domain["id"]))["account"]["name"]
    low = admin.createAccount(**account_params(domainid=child["id"]))["account"]["name"]

    assert listed_names(admin, domainid=domain["id"]) == {top}
    assert listed_names(admin, domainid=domain["id"], isrecursive=True) == {top, low}
    assert low in listed_names(admin, listall=True)
    assert top not in listed_names(admin)  # the admin's own domain (ROOT) only
    assert listed_names(admin, domainid=domain["id"], isrecursive=True, name=low.upper()) == {low}
    assert listed_names(admin, domainid=domain["id"], isrecursive=True, keyword=top[-8:]) == {top}
    assert listed_names(admin, domainid=domain["id"], isrecursive=True, state="disabled") == set()
    assert listed_names(admin, domainid=domain["id"], isrecursive=True, accounttype=1) == set()
    assert admin.listAccounts(domainid=domain["id"], name="no-such-account") == {}


def test_list_accounts_pages(admin: CloudStack, domain: dict[str, Any]) -> None:
    for _ in range(3):
        admin.createAccount(**account_params(domainid=domain["id"]))
    first = admin.listAccounts(domainid=domain["id"], page=1, pagesize=2)
    second = admin.listAccounts(domainid=domain["id"], page=2, pagesize=2)
    assert first["count"] == second["count"] == 3
    assert len(first["account"]) == 2 and len(second["account"]) == 1
    assert len(admin.listAccounts(domainid=domain["id"], fetch_list=True)) == 3


# --- updateAccount ---------------------------------------------------------------------


def test_update_account(admin: CloudStack, domain: dict[str, Any]) -> None:
    account = admin.createAccount(**account_params(domainid=domain["id"]))["account"]
    new_name = unique("renamed")

    updated = admin.updateAccount(
        id=account["id"],
        newname=new_name,
        networkdomain="new.example",
        accountdetails={"cost-centre": "42"},
    )["account"]
    assert updated["name"] == new_name
    assert updated["networkdomain"] == "new.example"
    assert updated["accountdetails"] == {"cost-centre": "42"}

    by_name = admin.updateAccount(account=new_name, domainid=domain["id"], networkdomain="")[
        "account"
    ]
    assert by_name["id"] == account["id"]
    assert "networkdomain" not in by_name


def test_update_account_refuses_a_taken_name_and_another_role_type(
    admin: CloudStack, domain: dict[str, Any]
) -> None:
    first = admin.createAccount(**account_params(domainid=domain["id"]))["account"]
    second = admin.createAccount(**account_params(domainid=domain["id"]))["account"]
    domain_admin_role = admin.createAccount(**account_params(accounttype=2, domainid=domain["id"]))[
        "account"
    ]["roleid"]

    taken = api_error(admin.updateAccount, id=second["id"], newname=first["name"])
    assert taken.errorcode == 431
    assert "newname" in taken.errortext
    role = api_error(admin.updateAccount, id=second["id"], roleid=domain_admin_role)
    assert role.errorcode == 431
    assert "roleid" in role.errortext
    assert (
        admin.updateAccount(id=second["id"], roleid=second["roleid"])["account"]["roletype"]
        == "User"
    )


def test_users_may_not_update_accounts(admin: CloudStack, alto_server: AltoServer) -> None:
    tenant = new_account(admin, endpoint=alto_server.endpoint)
    error = api_error(tenant.client().updateAccount, id=tenant.id, newname=unique("mine"))
    assert error.errorcode == 401


# --- deleteAccount ---------------------------------------------------------------------


def test_delete_account_with_fetch_result(
    admin: CloudStack, domain: dict[str, Any], tenant: Tenant
) -> None:
    assert tenant.client().listAccounts()["count"] == 1

    assert admin.deleteAccount(id=tenant.id, fetch_result=True) == {"success": True}

    assert tenant.name not in listed_names(admin, domainid=domain["id"])
    assert api_error(admin.listAccounts, id=tenant.id).errorcode == 431
    assert "user" not in admin.listUsers(
        domainid=domain["id"], isrecursive=True, username=tenant.name
    )
    assert_unauthorized(tenant)


def test_delete_account_by_polling_the_job(
    admin: CloudStack, domain: dict[str, Any], tenant: Tenant
) -> None:
    submitted = admin.deleteAccount(id=tenant.id)
    assert set(submitted) == {"jobid"}
    done = wait_for_job(admin, submitted["jobid"])

    assert done["jobstatus"] == 1
    assert done["jobresult"] == {"success": True}
    assert done["jobinstancetype"] == "Account"
    assert done["jobinstanceid"] == tenant.id
    assert_unauthorized(tenant)
    # The name is free again.
    admin.createAccount(
        **account_params(tenant.name, username=unique("again"), domainid=domain["id"])
    )


def test_default_and_own_accounts_cannot_be_deleted(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    [root_admin] = admin.listAccounts(name="admin")["account"]
    refused = api_error(admin.deleteAccount, id=root_admin["id"])
    assert refused.errorcode == 531

    boss = new_account(admin, accounttype=2, endpoint=alto_server.endpoint)
    own = api_error(boss.client().deleteAccount, id=boss.id)
    assert own.errorcode == 531
    assert boss.client().listAccounts()["count"] >= 1


# --- disableAccount / enableAccount / lockAccount --------------------------------------


@pytest.mark.parametrize(("lock", "state"), [(False, "disabled"), (True, "locked")])
def test_disabled_or_locked_account_is_refused_until_enabled(
    admin: CloudStack, alto_server: AltoServer, lock: bool, state: str
) -> None:
    tenant = new_account(admin, endpoint=alto_server.endpoint)

    account = admin.disableAccount(id=tenant.id, lock=lock, fetch_result=True)["account"]
    assert account["state"] == state
    assert_unauthorized(tenant)
    assert admin.listAccounts(id=tenant.id)["account"][0]["state"] == state

    enabled = admin.enableAccount(id=tenant.id)["account"]
    assert enabled["state"] == "enabled"
    assert tenant.client().listAccounts()["account"][0]["id"] == tenant.id


def test_disable_account_by_name_and_polling(
    admin: CloudStack, domain: dict[str, Any], tenant: Tenant
) -> None:
    submitted = admin.disableAccount(account=tenant.name, domainid=domain["id"], lock=False)
    done = wait_for_job(admin, submitted["jobid"])
    assert done["jobstatus"] == 1
    assert done["jobresult"]["account"]["state"] == "disabled"
    assert_unauthorized(tenant)

    admin.enableAccount(account=tenant.name, domainid=domain["id"])
    assert tenant.client().listAccounts()["count"] == 1


def test_disable_account_needs_lock(admin: CloudStack, alto_server: AltoServer) -> None:
    tenant = new_account(admin, endpoint=alto_server.endpoint)
    error = api_error(admin.disableAccount, id=tenant.id)
    assert error.errorcode == 431
    assert "lock" in error.errortext


def test_lock_account(admin: CloudStack, domain: dict[str, Any], tenant: Tenant) -> None:
    assert (
        admin.lockAccount(account=tenant.name, domainid=domain["id"])["account"]["state"]
        == "locked"
    )
    assert_unauthorized(tenant)
    admin.enableAccount(id=tenant.id)
    assert tenant.client().listAccounts()["count"] == 1


def test_default_and_own_accounts_cannot_be_disabled(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    [root_admin] = admin.listAccounts(name="admin")["account"]
    assert api_error(admin.disableAccount, id=root_admin["id"], lock=False).errorcode == 531
    boss = new_account(admin, accounttype=2, endpoint=alto_server.endpoint)
    assert api_error(boss.client().disableAccount, id=boss.id, lock=True).errorcode == 531


def test_domain_admin_cannot_touch_a_root_admin_account_in_its_subtree(
    admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]
) -> None:
    boss = new_account(admin, accounttype=2, domainid=domain["id"], endpoint=alto_server.endpoint)
    root = new_account(admin, accounttype=1, domainid=domain["id"], endpoint=alto_server.endpoint)
    client = boss.client()

    assert api_error(client.disableAccount, id=root.id, lock=True).errorcode == 531
    assert api_error(client.deleteAccount, id=root.id).errorcode == 531
    assert api_error(client.updateAccount, id=root.id, newname=unique("pwned")).errorcode == 531
    assert api_error(client.registerUserKeys, id=root.user_id).errorcode == 531
    assert api_error(client.getUserKeys, id=root.user_id).errorcode == 531
    assert root.client().listAccounts()["count"] >= 1


def test_domain_admin_manages_accounts_below_it(
    admin: CloudStack, alto_server: AltoServer, domain: dict[str, Any]
) -> None:
    boss = new_account(
        admin, accounttype=2, domainid=domain["id"], endpoint=alto_server.endpoint
    ).client()
    tenant = new_account(boss, domainid=domain["id"], endpoint=alto_server.endpoint)

    assert (
        boss.disableAccount(id=tenant.id, lock=True, fetch_result=True)["account"]["state"]
        == "locked"
    )
    assert_unauthorized(tenant)
    boss.enableAccount(id=tenant.id)
    assert boss.deleteAccount(id=tenant.id, fetch_result=True) == {"success": True}
    assert_unauthorized(tenant)


# --- events ----------------------------------------------------------------------------


def test_account_commands_record_events(admin: CloudStack, alto_server: AltoServer) -> None:
    tenant = new_account(admin, endpoint=alto_server.endpoint)
    admin.disableAccount(id=tenant.id, lock=False, fetch_result=True)
    events = admin.listEvents(listall=True, pagesize=500).get("event", [])
    descriptions = {(event["type"], event.get("description", "")) for event in events}
    assert any(kind == "ACCOUNT.CREATE" and tenant.name in text for kind, text in descriptions)
    assert any(kind == "ACCOUNT.DISABLE" for kind, _ in descriptions)
