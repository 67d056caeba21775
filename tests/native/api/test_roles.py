"""Roles and role permissions, black-box through the `cs` client against a real server.

The rules really decide: a user whose role allows only some commands gets HTTP 401 for
the rest, in rule order (the first matching rule wins).
"""

from __future__ import annotations

import uuid
from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique

READ_ONLY_ROLE = "Read-Only User - Default"


def _role(admin: CloudStack, *, role_type: str = "User", **params: Any) -> dict[str, Any]:
    role: dict[str, Any] = admin.createRole(name=unique("role"), type=role_type, **params)["role"]
    return role


def _rule(admin: CloudStack, role: dict[str, Any], rule: str, permission: str) -> str:
    created = admin.createRolePermission(roleid=role["id"], rule=rule, permission=permission)
    return str(created["rolepermission"]["id"])


def _builtin(admin: CloudStack, name: str) -> dict[str, Any]:
    [role] = admin.listRoles(name=name)["role"]
    assert role["isdefault"] is True
    return dict(role)


def _tenant(admin: CloudStack, server: AltoServer, role: dict[str, Any]) -> Tenant:
    return new_account(admin, roleid=role["id"], endpoint=server.endpoint)


def _denied(client: CloudStack, command: str, **params: Any) -> str:
    error = api_error(getattr(client, command), **params)
    assert (error.status, error.errorcode) == (401, 401), error.errortext
    assert command in error.errortext
    return error.errortext


# --- roles -------------------------------------------------------------------------------


def test_create_list_update_delete_role(admin: CloudStack) -> None:
    name = unique("role")
    created = admin.createRole(name=name, type="DomainAdmin", description="ops team")["role"]
    assert created == {
        "id": created["id"], "name": name, "type": "DomainAdmin", "description": "ops team", "isdefault": False,
    }  # fmt: skip

    assert admin.listRoles(id=created["id"])["role"] == [created]
    assert admin.listRoles(name=name)["role"] == [created]
    assert created in admin.listRoles(type="DomainAdmin")["role"]
    assert created in admin.listRoles(keyword=name[-8:])["role"]

    renamed = admin.updateRole(id=created["id"], name=f"{name}-b", description="new text")["role"]
    assert (renamed["name"], renamed["description"]) == (f"{name}-b", "new text")

    assert admin.deleteRole(id=created["id"]) == {"success": True}
    assert admin.listRoles(name=f"{name}-b") == {}
    error = api_error(admin.listRoles, id=created["id"])
    assert (error.status, error.errorcode) == (431, 431) and created["id"] in error.errortext


def test_builtin_roles_are_listed(admin: CloudStack) -> None:
    builtin = {
        role["name"]: role["type"] for role in admin.listRoles()["role"] if role["isdefault"]
    }
    assert builtin == {
        "Root Admin": "Admin", "Domain Admin": "DomainAdmin", "User": "User", READ_ONLY_ROLE: "User",
    }  # fmt: skip


def test_create_role_errors(admin: CloudStack) -> None:
    error = api_error(admin.createRole, name=unique("r"))
    assert (error.errorcode, error.errortext) == (
        431, "Either the type or the roleid parameter must be specified",
    )  # fmt: skip
    template = _role(admin)
    error = api_error(admin.createRole, name=unique("r"), type="User", roleid=template["id"])
    assert (error.errorcode, error.errortext) == (
        431, "Only one of the type and roleid parameters may be specified",
    )  # fmt: skip
    error = api_error(admin.createRole, name=unique("r"), type="Superuser")
    assert (error.status, error.errorcode) == (431, 431)
    assert "'Superuser'" in error.errortext and "type" in error.errortext
    error = api_error(admin.createRole, name=template["name"].upper(), type="User")
    assert (error.status, error.errorcode) == (431, 431)
    assert template["name"].upper() in error.errortext and "already exists" in error.errortext
    error = api_error(admin.createRole, type="User")
    assert (error.status, error.errorcode) == (431, 431) and "name" in error.errortext


def test_clone_role_copies_rules_in_order(admin: CloudStack) -> None:
    source = _role(admin)
    _rule(admin, source, "listAccounts", "allow")
    _rule(admin, source, "list*", "deny")
    _rule(admin, source, "*", "allow")
    clone = admin.createRole(name=unique("clone"), roleid=source["id"])["role"]
    assert clone["type"] == "User"
    rules = admin.listRolePermissions(roleid=clone["id"])["rolepermission"]
    assert [(rule["rule"], rule["permission"]) for rule in rules] == [
        ("listAccounts", "allow"), ("list*", "deny"), ("*", "allow"),
    ]  # fmt: skip
    assert {rule["roleid"] for rule in rules} == {clone["id"]}
    assert {rule["rolename"] for rule in rules} == {clone["name"]}


def test_builtin_roles_cannot_change(admin: CloudStack) -> None:
    role = _builtin(admin, "User")
    [rule] = admin.listRolePermissions(roleid=role["id"])["rolepermission"]
    for call, params in (
        (admin.updateRole, {"id": role["id"], "name": unique("x")}),
        (
            admin.createRolePermission,
            {"roleid": role["id"], "rule": "listZones", "permission": "deny"},
        ),
        (
            admin.updateRolePermission,
            {"roleid": role["id"], "ruleid": rule["id"], "permission": "deny"},
        ),
        (admin.updateRolePermission, {"roleid": role["id"], "ruleorder": rule["id"]}),
        (admin.deleteRolePermission, {"id": rule["id"]}),
    ):
        error = api_error(call, **params)
        assert (error.status, error.errorcode) == (531, 531)
        assert (
            f"built-in role User ({role['id']})" in error.errortext
            and "cannot be changed" in error.errortext
        )
    error = api_error(admin.deleteRole, id=role["id"])
    assert (error.errorcode, error.errortext) == (
        531,
        f"The built-in role User ({role['id']}) cannot be deleted",
    )
    assert admin.listRolePermissions(roleid=role["id"])["rolepermission"] == [rule]


def test_role_in_use_cannot_be_deleted_or_retyped(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    role = _role(admin)
    tenant = _tenant(admin, alto_server, role)
    error = api_error(admin.deleteRole, id=role["id"])
    assert (error.status, error.errorcode) == (536, 536)
    assert (
        error.errortext
        == f"Role {role['name']} ({role['id']}) is in use by 1 account(s) and cannot be deleted"
    )
    error = api_error(admin.updateRole, id=role["id"], type="DomainAdmin")
    assert (error.errorcode, error.errortext) == (
        536, f"Cannot change the type of role {role['name']}: accounts still use it",
    )  # fmt: skip

    admin.deleteAccount(id=tenant.id, fetch_result=True)
    assert admin.deleteRole(id=role["id"]) == {"success": True}


def test_users_see_only_roles_at_or_below_their_level(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    user = new_account(admin, endpoint=alto_server.endpoint).client()
    assert {role["type"] for role in user.listRoles()["role"]} == {"User"}
    error = api_error(user.listRoles, id=_builtin(admin, "Root Admin")["id"])
    assert (error.status, error.errorcode) == (431, 431)
    domain_admin = new_account(admin, accounttype=2, endpoint=alto_server.endpoint).client()
    assert {role["type"] for role in domain_admin.listRoles()["role"]} == {"DomainAdmin", "User"}
    assert {role["type"] for role in admin.listRoles()["role"]} >= {"Admin", "DomainAdmin", "User"}
    _denied(user, "createRole", name=unique("r"), type="User")


# --- role permissions --------------------------------------------------------------------


def test_role_permission_lifecycle(admin: CloudStack) -> None:
    role = _role(admin)
    first = admin.createRolePermission(
        roleid=role["id"], rule="listAccounts", permission="ALLOW", description="read accounts"
    )["rolepermission"]
    assert first == {
        "id": first["id"], "roleid": role["id"], "rolename": role["name"], "roletype": "User",
        "rule": "listAccounts", "permission": "allow", "description": "read accounts",
    }  # fmt: skip
    second = _rule(admin, role, "*", "Deny")
    listed = admin.listRolePermissions(roleid=role["id"])["rolepermission"]
    assert [(rule["id"], rule["permission"]) for rule in listed] == [
        (first["id"], "allow"),
        (second, "deny"),
    ]

    admin.updateRolePermission(roleid=role["id"], ruleorder=f"{second},{first['id']}")
    assert [rule["id"] for rule in admin.listRolePermissions(roleid=role["id"])["rolepermission"]] == [
        second, first["id"],
    ]  # fmt: skip
    admin.updateRolePermission(roleid=role["id"], ruleid=first["id"], permission="deny")
    assert admin.deleteRolePermission(id=second) == {"success": True}
    assert [
        (rule["rule"], rule["permission"])
        for rule in admin.listRolePermissions(roleid=role["id"])["rolepermission"]
    ] == [("listAccounts", "deny")]

    everything = admin.listRolePermissions()["rolepermission"]
    assert first["id"] in {rule["id"] for rule in everything}


def test_role_permission_errors(admin: CloudStack) -> None:
    role = _role(admin)
    other = _role(admin)
    first = _rule(admin, role, "listAccounts", "allow")
    second = _rule(admin, role, "*", "deny")
    foreign = _rule(admin, other, "*", "deny")

    error = api_error(
        admin.createRolePermission, roleid=role["id"], rule="list-all", permission="allow"
    )
    assert (error.status, error.errorcode) == (431, 431)
    assert "'list-all'" in error.errortext and "rule" in error.errortext
    error = api_error(
        admin.createRolePermission, roleid=role["id"], rule="listZones", permission="maybe"
    )
    assert (error.errorcode, error.errortext) == (
        431, "Invalid value 'maybe' for parameter permission: it should be allow or deny",
    )  # fmt: skip
    error = api_error(
        admin.createRolePermission, roleid=role["id"], rule="LISTACCOUNTS", permission="deny"
    )
    assert (error.errorcode, error.errortext) == (
        431,
        f"Role {role['name']} already has a rule for LISTACCOUNTS",
    )
    error = api_error(admin.createRolePermission, roleid=role["id"], permission="deny")
    assert error.errorcode == 431 and "rule" in error.errortext

    for ruleorder in (first, f"{first},{first},{second}", f"{first},{second},{foreign}"):
        error = api_error(admin.updateRolePermission, roleid=role["id"], ruleorder=ruleorder)
        assert (error.errorcode, error.errortext) == (
            431,
            (f"Invalid value for parameter ruleorder: it must list each of the 2 rule id(s) of role "
            f"{role['name']} exactly once"),
        )  # fmt: skip
    error = api_error(
        admin.updateRolePermission, roleid=role["id"], ruleorder=f"{second},{first}", ruleid=first,
        permission="deny",
    )  # fmt: skip
    assert (error.errorcode, error.errortext) == (
        431, "Parameters permission and ruleid must be mutually exclusive with ruleorder",
    )  # fmt: skip
    for params in ({}, {"ruleid": first}, {"permission": "deny"}):
        error = api_error(admin.updateRolePermission, roleid=role["id"], **params)
        assert (error.errorcode, error.errortext) == (
            431, "Either ruleorder, or ruleid together with permission, must be specified",
        )  # fmt: skip
    error = api_error(admin.updateRolePermission, roleid=role["id"], ruleid=first, permission="x")
    assert (error.errorcode, error.errortext) == (
        431, "Invalid value 'x' for parameter permission: it should be allow or deny",
    )  # fmt: skip
    error = api_error(
        admin.updateRolePermission, roleid=role["id"], ruleid=foreign, permission="allow"
    )
    assert (error.errorcode, error.errortext) == (
        431, f"Invalid value {foreign} for parameter ruleid: it is not a rule of role {role['name']}",
    )  # fmt: skip
    error = api_error(admin.deleteRolePermission, id=str(uuid.uuid4()))
    assert error.errorcode == 431 and "parameter id" in error.errortext

    rules = admin.listRolePermissions(roleid=role["id"])["rolepermission"]
    assert [(rule["id"], rule["permission"]) for rule in rules] == [
        (first, "allow"),
        (second, "deny"),
    ]


# --- enforcement -------------------------------------------------------------------------


def test_custom_role_rules_are_enforced_in_order(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    role = _role(admin)
    allow_accounts = _rule(admin, role, "listAccounts", "allow")
    allow_apis = _rule(admin, role, "listApis", "allow")
    deny_rest = _rule(admin, role, "*", "deny")
    tenant = _tenant(admin, alto_server, role)
    user = tenant.client()

    assert [account["id"] for account in user.listAccounts()["account"]] == [tenant.id]
    _denied(user, "listDomains")  # an admin-only command: denied whatever the rules
    _denied(user, "listCapabilities")  # open to users, but the role's `*` deny matches
    _denied(user, "listEvents")
    assert {api["name"] for api in user.listApis()["api"]} == {"listAccounts", "listApis"}

    # Rules are evaluated in order: with `*` deny first, nothing is allowed any more.
    admin.updateRolePermission(
        roleid=role["id"], ruleorder=f"{deny_rest},{allow_accounts},{allow_apis}"
    )
    _denied(user, "listAccounts")
    _denied(user, "listApis")

    admin.updateRolePermission(
        roleid=role["id"], ruleorder=f"{allow_accounts},{allow_apis},{deny_rest}"
    )
    assert user.listAccounts()["count"] == 1
    # A rule after the catch-all never matches.
    _rule(admin, role, "listCapabilities", "allow")
    _denied(user, "listCapabilities")

    admin.updateRolePermission(roleid=role["id"], ruleid=allow_accounts, permission="deny")
    _denied(user, "listAccounts")
    assert {api["name"] for api in user.listApis()["api"]} == {"listApis"}


def test_read_only_builtin_role(admin: CloudStack, alto_server: AltoServer) -> None:
    tenant = _tenant(admin, alto_server, _builtin(admin, READ_ONLY_ROLE))
    user = tenant.client()
    assert user.listAccounts()["account"][0]["id"] == tenant.id
    assert user.listCapabilities()["capability"]["dynamicrolesenabled"] is True
    user.listEvents()
    _denied(user, "registerUserKeys", id=tenant.user_id)
    _denied(user, "updateUser", id=tenant.user_id, firstname="x")
    _denied(user, "archiveEvents", type="USER.UPDATE")
    names = {api["name"] for api in user.listApis()["api"]}
    assert {"listAccounts", "listApis", "listEvents", "queryAsyncJobResult"} <= names
    assert all(name.startswith("list") or name == "queryAsyncJobResult" for name in names), names
    assert "listDomains" not in names  # the role allows it, the account type does not


def test_role_commands_record_events(admin: CloudStack) -> None:
    role = _role(admin)
    rule = _rule(admin, role, "listZones", "allow")
    admin.updateRolePermission(roleid=role["id"], ruleid=rule, permission="deny")
    admin.deleteRolePermission(id=rule)
    admin.updateRole(id=role["id"], description="x")
    admin.deleteRole(id=role["id"])
    events = admin.listEvents(keyword=role["name"], pagesize=50)["event"]
    assert [event["type"] for event in events] == [
        "ROLE.DELETE", "ROLE.UPDATE", "ROLE.PERMISSION.DELETE", "ROLE.PERMISSION.UPDATE",
        "ROLE.PERMISSION.CREATE", "ROLE.CREATE",
    ]  # fmt: skip
    assert {event["level"] for event in events} == {"INFO"}
