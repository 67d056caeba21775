"""STS: GetCallerIdentity, enough for SDKs and Terraform to learn who and where they are."""

from __future__ import annotations

from collections.abc import Mapping

from translator.context import Action, Output, Params, QueryContext
from translator.registry import action_table


def user_arn(ctx: QueryContext) -> str:
    """The caller's IAM user ARN: the native user under the account's 12-digit id."""
    return f"arn:aws:iam::{ctx.account_id}:user/{ctx.caller.username}"


def get_caller_identity(ctx: QueryContext, params: Params) -> Output:
    return {"UserId": ctx.caller.user_uuid, "Account": ctx.account_id, "Arn": user_arn(ctx)}


ACTIONS: Mapping[str, Action] = action_table([get_caller_identity])
