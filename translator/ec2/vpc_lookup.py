"""Look-ups the VPC networking actions share: native rows by AWS id, and NotFound errors
for ids that exist but that the caller cannot see."""

from __future__ import annotations

from typing import Any

from translator.context import NativeFailure, QueryContext
from translator.errors import ID_ERRORS, AwsError


def own_vpcs(ctx: QueryContext) -> list[dict[str, Any]]:
    """The native VPCs the caller sees (its own account's, all of them)."""
    return ctx.listing("listVPCs", "vpc", listall=True)


def not_found(kind: str, aws_id: str) -> AwsError:
    """The NotFound error of an AWS id that exists but that the caller cannot see."""
    return ID_ERRORS[kind].not_found(f"The {kind} ID '{aws_id}' does not exist")


def native_row(
    ctx: QueryContext, command: str, key: str, *, kind: str, aws_id: str
) -> dict[str, Any]:
    """The native row (`command` by `id`) of an AWS id of `kind` the caller can see; the
    kind's NotFound for one it cannot see, Malformed for a malformed id."""
    uuid = ctx.ids.uuid(kind, aws_id)
    try:
        rows = ctx.listing(command, key, id=uuid, listall=True)
    except NativeFailure as failure:
        if failure.errorcode in (431, 531):
            raise not_found(kind, aws_id) from None
        raise
    if not rows:
        raise not_found(kind, aws_id)
    return rows[0]


def vpc_row(ctx: QueryContext, aws_id: str) -> dict[str, Any]:
    """The native row of a VPC by its AWS id (InvalidVpcID.NotFound/.Malformed)."""
    return native_row(ctx, "listVPCs", "vpc", kind="vpc", aws_id=aws_id)
