"""DescribeAccountAttributes: the platform, the default VPC and limits of the caller's account.

`max-instances` and the elastic IP limits are the account's native `user_vm` and `public_ip`
resource limits (listResourceLimits); an unlimited (-1) native limit shows as UNLIMITED.
`default-vpc` is `none` until the account has a default VPC: reading never makes one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from translator.context import Action, Output, Params, QueryContext
from translator.ec2.default_vpc import default_vpc
from translator.errors import InvalidParameterValue
from translator.registry import action_table, runs

UNLIMITED = 10000
SECURITY_GROUPS_PER_INTERFACE = 5


def _limit(ctx: QueryContext, resource: str) -> int:
    rows = ctx.listing("listResourceLimits", "resourcelimit", resourcetypename=resource)
    maximum = int(rows[0]["max"]) if rows else -1
    return UNLIMITED if maximum < 0 else maximum


def _default_vpc(ctx: QueryContext) -> list[str]:
    uuid = default_vpc(ctx, create=False)
    return ["none"] if uuid is None else [ctx.ids.aws_id("vpc", uuid)]


ATTRIBUTES: Mapping[str, Callable[[QueryContext], list[str]]] = {
    "supported-platforms": lambda ctx: ["VPC"],
    "default-vpc": _default_vpc,
    "max-instances": lambda ctx: [str(_limit(ctx, "user_vm"))],
    "max-elastic-ips": lambda ctx: [str(_limit(ctx, "public_ip"))],
    "vpc-max-elastic-ips": lambda ctx: [str(_limit(ctx, "public_ip"))],
    "vpc-max-security-groups-per-interface": lambda ctx: [str(SECURITY_GROUPS_PER_INTERFACE)],
}
"""Attribute name → its values for the caller, in AWS's order."""


@runs("listResourceLimits")
def describe_account_attributes(ctx: QueryContext, params: Params) -> Output:
    names = list(params.get("AttributeNames") or ATTRIBUTES)
    unknown = [name for name in names if name not in ATTRIBUTES]
    if unknown:
        raise InvalidParameterValue(
            f"Value ({unknown[0]}) for parameter attributeName is invalid. Unknown attribute."
        )
    return {
        "AccountAttributes": [
            {
                "AttributeName": name,
                "AttributeValues": [{"AttributeValue": value} for value in ATTRIBUTES[name](ctx)],
            }
            for name in names
        ]
    }


ACTIONS: Mapping[str, Action] = action_table([describe_account_attributes])
