"""IAM: GetUser and ListRoles, enough for SDK and Terraform start-up.

IAM users are the native users of the caller's account; Alto has no IAM roles, so ListRoles
answers an empty list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext, native_time
from translator.errors import NoSuchEntity
from translator.registry import action_table


def _user(ctx: QueryContext, row: Mapping[str, Any]) -> Output:
    name = str(row["username"])
    return {
        "Path": "/",
        "UserName": name,
        "UserId": str(row["id"]),
        "Arn": f"arn:aws:iam::{ctx.account_id}:user/{name}",
        "CreateDate": native_time(str(row["created"])),
    }


def get_user(ctx: QueryContext, params: Params) -> Output:
    name = params.get("UserName") or ctx.caller.username
    try:
        rows = ctx.listing(
            "listUsers",
            "user",
            username=str(name),
            account=ctx.caller.account_name,
            domainid=ctx.caller.domain_uuid,
        )
    except NativeFailure:
        rows = []
    if not rows:
        raise NoSuchEntity(f"The user with name {name} cannot be found.")
    return {"User": _user(ctx, rows[0])}


def list_roles(ctx: QueryContext, params: Params) -> Output:
    return {"Roles": [], "IsTruncated": False}


ACTIONS: Mapping[str, Action] = action_table([get_user, list_roles])
