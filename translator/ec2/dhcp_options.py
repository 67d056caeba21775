"""EC2 DHCP options on native VPCs and DHCP options sets: CreateDhcpOptions,
DescribeDhcpOptions, AssociateDhcpOptions and DeleteDhcpOptions.

Every native VPC that uses no set of its own gives its tiers its network domain and DNS
servers (its `dns1`/`dns2`, else its router: AWS's `AmazonProvidedDNS`). Those are the
VPC's default DHCP options; their `dopt-` id (kind `dhcp-options`) is made with the VPC
row, and associating `default` (or that id) goes back to them. Options sets of their own
are native DHCP options sets (`createDhcpOptionsSet`, kind `dhcp-options-set`, taggable);
`AmazonProvidedDNS` is their `VirtualRouter`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2.describe import Describer
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.vpc_lookup import not_found, own_vpcs, vpc_row
from translator.errors import DependencyViolation, InvalidParameterValue
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

PROVIDED_DNS = "AmazonProvidedDNS"
NATIVE_PROVIDED_DNS = "VirtualRouter"
DEFAULT = "default"
NATIVE_OPTIONS: Mapping[str, str] = {
    "domain-name": "domainname",
    "domain-name-servers": "domainnameservers",
    "ntp-servers": "ntpservers",
    "netbios-name-servers": "netbiosnameservers",
    "netbios-node-type": "netbiosnodetype",
}
"""EC2 DHCP option key → the createDhcpOptionsSet parameter (and response field)."""
SINGLE_VALUED = ("domain-name", "netbios-node-type")


def _configuration(key: str, values: Iterable[Any]) -> dict[str, Any]:
    return {"Key": key, "Values": [{"Value": str(value)} for value in values]}


def options_item(ctx: QueryContext, vpc: Mapping[str, Any], *, aws_id: str) -> dict[str, Any]:
    """The default DHCP options of a native VPC row in EC2's `DhcpOptions` shape."""
    servers = [str(vpc[key]) for key in ("dns1", "dns2") if vpc.get(key)] or [PROVIDED_DNS]
    configurations = [_configuration("domain-name-servers", servers)]
    if vpc.get("networkdomain"):
        configurations.insert(0, _configuration("domain-name", [vpc["networkdomain"]]))
    return {
        "DhcpOptionsId": aws_id,
        "OwnerId": ctx.account_id,
        "DhcpConfigurations": configurations,
        "Tags": [],
    }


def set_item(ctx: QueryContext, row: Mapping[str, Any], *, aws_id: str) -> dict[str, Any]:
    """A native DHCP options set row in EC2's `DhcpOptions` shape."""
    configurations = []
    for key, field in NATIVE_OPTIONS.items():
        value = row.get(field)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if key == "domain-name-servers":
            values = [PROVIDED_DNS if v == NATIVE_PROVIDED_DNS else v for v in values]
        configurations.append(_configuration(key, values))
    return {
        "DhcpOptionsId": aws_id,
        "OwnerId": ctx.account_id,
        "DhcpConfigurations": configurations,
        "Tags": ec2_tags(row),
    }


def vpc_options_ids(ctx: QueryContext, vpcs: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Native VPC uuid → the `dopt-` id of the DHCP options its tiers get: its set's, or
    its own default options'."""
    rows = list(vpcs)
    defaults = ctx.ids.aws_ids("dhcp-options", [str(row["id"]) for row in rows])
    sets = ctx.ids.aws_ids(
        "dhcp-options-set",
        [str(row["dhcpoptionssetid"]) for row in rows if row.get("dhcpoptionssetid")],
    )
    found = {}
    for row in rows:
        uuid, set_uuid = str(row["id"]), row.get("dhcpoptionssetid")
        chosen = sets.get(str(set_uuid)) if set_uuid else defaults.get(uuid)
        if chosen is not None:
            found[uuid] = chosen
    return found


def _set_rows(ctx: QueryContext) -> list[dict[str, Any]]:
    return ctx.listing("listDhcpOptionsSets", "dhcpoptionsset", listall=True)


def _all_items(ctx: QueryContext) -> list[dict[str, Any]]:
    vpcs = own_vpcs(ctx)
    defaults = ctx.ids.aws_ids("dhcp-options", [str(vpc["id"]) for vpc in vpcs])
    items = [
        options_item(ctx, vpc, aws_id=defaults[str(vpc["id"])])
        for vpc in vpcs
        if str(vpc["id"]) in defaults
    ]
    rows = _set_rows(ctx)
    sets = ctx.ids.aws_ids("dhcp-options-set", [str(row["id"]) for row in rows])
    items += [
        set_item(ctx, row, aws_id=sets[str(row["id"])]) for row in rows if str(row["id"]) in sets
    ]
    return items


def _native_value(key: str, values: list[str]) -> str | list[str]:
    if key in SINGLE_VALUED:
        if len(values) != 1:
            raise InvalidParameterValue(
                f"Value ({','.join(values)}) for parameter value is invalid. "
                f"Option {key} takes exactly one value"
            )
        return values[0]
    if key == "domain-name-servers":
        return [NATIVE_PROVIDED_DNS if v.lower() == PROVIDED_DNS.lower() else v for v in values]
    return values


def native_options(configurations: Iterable[Mapping[str, Any]]) -> dict[str, str | list[str]]:
    """createDhcpOptionsSet parameters for EC2 `DhcpConfigurations`; InvalidParameterValue
    for an unknown or repeated key, a key without values, or several values where one is
    allowed (native checks the values themselves)."""
    native: dict[str, str | list[str]] = {}
    for configuration in configurations:
        key = str(configuration.get("Key") or "")
        values = [str(value) for value in configuration.get("Values") or []]
        if key not in NATIVE_OPTIONS:
            raise InvalidParameterValue(
                f"Value ({key}) for parameter name is invalid. Unknown DHCP option"
            )
        if NATIVE_OPTIONS[key] in native:
            raise InvalidParameterValue(
                f"Value ({key}) for parameter name is invalid. Duplicate DHCP option"
            )
        if not values:
            raise InvalidParameterValue(f"Value for parameter {key} is missing")
        native[NATIVE_OPTIONS[key]] = _native_value(key, values)
    return native


@runs("createDhcpOptionsSet")
def create_dhcp_options(ctx: QueryContext, params: Params) -> Output:
    options = native_options(params.get("DhcpConfigurations") or [])
    try:
        row = ctx.call("createDhcpOptionsSet", **options)["dhcpoptionsset"]
    except NativeFailure as failure:
        raise aws_error_of(failure) from None
    uuid = str(row["id"])
    tags = specified_tags(params, "dhcp-options")
    try:
        tag_resources(ctx, resource_type="dhcp-options", uuids=[uuid], tags=tags)
    except NativeFailure as failure:
        ctx.call("deleteDhcpOptionsSet", id=uuid)
        raise aws_error_of(failure) from None
    row["tags"] = [{"key": tag["Key"], "value": tag["Value"]} for tag in tags]
    aws_id = ctx.ids.aws_id("dhcp-options-set", uuid)
    return {"DhcpOptions": set_item(ctx, row, aws_id=aws_id)}


OPTIONS = Describer(
    filters={
        "dhcp-options-id": lambda options: [options["DhcpOptionsId"]],
        "owner-id": lambda options: [options["OwnerId"]],
        "key": lambda options: [c["Key"] for c in options["DhcpConfigurations"]],
        "value": lambda options: [
            value["Value"] for c in options["DhcpConfigurations"] for value in c["Values"]
        ],
    },
    key=lambda options: str(options["DhcpOptionsId"]),
)


@runs("listVPCs", "listDhcpOptionsSets")
def describe_dhcp_options(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("DhcpOptionsIds") or [])
    for aws_id in wanted:
        ctx.ids.check_form("dhcp-options", aws_id)
    items = _all_items(ctx)
    if wanted:
        seen = {item["DhcpOptionsId"] for item in items}
        missing = [aws_id for aws_id in wanted if aws_id not in seen]
        if missing:
            raise not_found("dhcp-options", missing[0])
        items = [item for item in items if item["DhcpOptionsId"] in wanted]
    page, token = OPTIONS.page(items, params)
    return {"DhcpOptions": page, "NextToken": token}


def _own_set(ctx: QueryContext, aws_id: str) -> dict[str, Any] | None:
    """The caller's native set of a `dopt-` id; None for a VPC's default options' id;
    InvalidDhcpOptionID.NotFound (or .Malformed) for anything else."""
    ctx.ids.check_form("dhcp-options", aws_id)
    rows = _set_rows(ctx)
    sets = ctx.ids.aws_ids("dhcp-options-set", [str(row["id"]) for row in rows])
    for row in rows:
        if sets.get(str(row["id"])) == aws_id:
            return row
    defaults = ctx.ids.aws_ids("dhcp-options", [str(vpc["id"]) for vpc in own_vpcs(ctx)])
    if aws_id in defaults.values():
        return None
    raise not_found("dhcp-options", aws_id)


@runs("updateVPC")
def associate_dhcp_options(ctx: QueryContext, params: Params) -> Output:
    options_id = str(params.get("DhcpOptionsId") or "")
    vpc = vpc_row(ctx, str(params.get("VpcId") or ""))
    vpc_uuid = str(vpc["id"])
    if options_id == DEFAULT:
        change: dict[str, Any] = {"resetdhcpoptions": True}
    elif (row := _own_set(ctx, options_id)) is not None:
        change = {"dhcpoptionssetid": str(row["id"])}
    elif ctx.ids.aws_ids("dhcp-options", [vpc_uuid]).get(vpc_uuid) == options_id:
        change = {"resetdhcpoptions": True}
    else:
        raise InvalidParameterValue(
            f"The DHCP options {options_id} are the default options of another VPC; "
            f"associate '{DEFAULT}' to give {params['VpcId']} its own"
        )
    try:
        ctx.run("updateVPC", id=vpc_uuid, **change)
    except NativeFailure as failure:
        raise aws_error_of(failure) from None
    return {}


@runs("deleteDhcpOptionsSet")
def delete_dhcp_options(ctx: QueryContext, params: Params) -> Output:
    aws_id = str(params.get("DhcpOptionsId") or "")
    row = _own_set(ctx, aws_id)
    if row is None:
        raise DependencyViolation(
            f"The dhcpOptions '{aws_id}' has dependencies and cannot be deleted."
        )
    try:
        ctx.call("deleteDhcpOptionsSet", id=str(row["id"]))
    except NativeFailure as failure:
        if failure.errorcode == 536:
            raise DependencyViolation(
                f"The dhcpOptions '{aws_id}' has dependencies and cannot be deleted."
            ) from None
        raise aws_error_of(failure) from None
    return {}


ACTIONS: Mapping[str, Action] = action_table(
    [create_dhcp_options, describe_dhcp_options, associate_dhcp_options, delete_dhcp_options]
)
