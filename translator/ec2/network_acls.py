"""EC2 network ACLs on native ACL lists: DescribeNetworkAcls, CreateNetworkAcl,
CreateNetworkAclEntry, ReplaceNetworkAclEntry, DeleteNetworkAclEntry,
ReplaceNetworkAclAssociation, DeleteNetworkAcl.

A VPC made by CreateVpc gets its own ACL list `default` that allows everything both ways (as
an AWS default network ACL does); it is the VPC's default network ACL and new subnets use it.
A VPC without such a list (the default VPC) shows the built-in `default_allow` list as its
default ACL; that list cannot be changed. Native numbers items across both directions, EC2
per direction: an ingress entry N is native item N, an egress entry N native item
N + EGRESS_OFFSET (egress items numbered lower, made natively, show their own number). Every ACL ends with AWS's rule 32767 deny, which native applies anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2.describe import Describer
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.ec2.vpc_lookup import not_found, own_vpcs, vpc_row
from translator.errors import AwsError, InvalidParameterValue, MissingParameter
from translator.registry import action_table, runs

DEFAULT_LIST = "default"
BUILT_IN_DEFAULT = "default_allow"
EGRESS_OFFSET = 32767
LAST_RULE = 32767
PROTOCOLS = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp"}
"""EC2 protocol number → native protocol name (other numbers are passed as numbers)."""
EC2_PROTOCOLS = {name: number for number, name in PROTOCOLS.items()}


class NetworkAclEntryAlreadyExists(AwsError):
    code = "NetworkAclEntryAlreadyExists"


class InvalidNetworkAclEntryNotFound(AwsError):
    code = "InvalidNetworkAclEntry.NotFound"


class InvalidAssociationIdNotFound(AwsError):
    code = "InvalidAssociationID.NotFound"


def create_default_acl(ctx: QueryContext, *, vpc_uuid: str) -> str:
    """Give a new VPC its default network ACL (allow all in and out); its native uuid."""
    acl = ctx.run(
        "createNetworkACLList",
        name=DEFAULT_LIST,
        description="Default network ACL",
        vpcid=vpc_uuid,
    )["networkacllist"]
    for egress in (False, True):
        _create_item(ctx, acl_uuid=str(acl["id"]), number=100, egress=egress, protocol="all")
    return str(acl["id"])


def default_acl_uuid(ctx: QueryContext, *, vpc_uuid: str) -> str | None:
    """The native list a new subnet of the VPC uses: its `default` list, else `default_allow`."""
    found = _lists(ctx)
    own = [acl for acl in found if acl.get("vpcid") == vpc_uuid and acl["name"] == DEFAULT_LIST]
    built_in = [acl for acl in found if not acl.get("vpcid") and acl["name"] == BUILT_IN_DEFAULT]
    chosen = own or built_in
    return str(chosen[0]["id"]) if chosen else None


def _lists(ctx: QueryContext) -> list[dict[str, Any]]:
    return ctx.listing("listNetworkACLLists", "networkacllist", listall=True)


def _create_item(
    ctx: QueryContext, *, acl_uuid: str, number: int, egress: bool, protocol: str, **rule: Any
) -> None:
    ctx.run(
        "createNetworkACL",
        aclid=acl_uuid,
        number=number + (EGRESS_OFFSET if egress else 0),
        traffictype="Egress" if egress else "Ingress",
        protocol=protocol,
        action=rule.pop("action", "Allow"),
        cidrlist=rule.pop("cidrlist", "0.0.0.0/0"),
        **rule,
    )


def _entry(item: Mapping[str, Any]) -> dict[str, Any]:
    egress = item.get("traffictype") == "Egress"
    protocol = str(item.get("protocol") or "all").lower()
    number = int(item["number"])
    entry: dict[str, Any] = {
        "RuleNumber": number - EGRESS_OFFSET if egress and number > EGRESS_OFFSET else number,
        "Protocol": EC2_PROTOCOLS.get(protocol, protocol),
        "RuleAction": str(item.get("action", "Allow")).lower(),
        "Egress": egress,
        "CidrBlock": str(item.get("cidrlist") or "0.0.0.0/0").split(",")[0],
    }
    if item.get("startport") is not None:
        entry["PortRange"] = {
            "From": int(item["startport"]),
            "To": int(item.get("endport") or item["startport"]),
        }
    if protocol == "icmp":
        entry["IcmpTypeCode"] = {
            "Type": int(item.get("icmptype", -1)),
            "Code": int(item.get("icmpcode", -1)),
        }
    return entry


def _last_rules() -> list[dict[str, Any]]:
    return [
        {
            "RuleNumber": LAST_RULE,
            "Protocol": "-1",
            "RuleAction": "deny",
            "Egress": egress,
            "CidrBlock": "0.0.0.0/0",
        }
        for egress in (False, True)
    ]


def _acl_items(ctx: QueryContext) -> list[dict[str, Any]]:
    """Every network ACL the caller sees, one per (VPC, native list) pair."""
    vpcs = own_vpcs(ctx)
    lists = _lists(ctx)
    rules: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in ctx.listing("listNetworkACLs", "networkacl", listall=True):
        rules[str(item["aclid"])].append(_entry(item))
    tiers = [
        row for row in ctx.listing("listNetworks", "network", listall=True) if row.get("vpcid")
    ]
    uuids = [str(acl["id"]) for acl in lists]
    ids = ctx.ids.aws_ids("network-acl", uuids)
    ids.update(ctx.ids.aws_ids("vpc", [str(vpc["id"]) for vpc in vpcs]))
    ids.update(ctx.ids.aws_ids("subnet", [str(tier["id"]) for tier in tiers]))
    built_in = next(
        (a for a in lists if not a.get("vpcid") and a["name"] == BUILT_IN_DEFAULT), None
    )
    acls: list[dict[str, Any]] = []
    for vpc in vpcs:
        vpc_uuid = str(vpc["id"])
        own = [acl for acl in lists if acl.get("vpcid") == vpc_uuid]
        if built_in is not None and not any(acl["name"] == DEFAULT_LIST for acl in own):
            own.append(built_in)
        for acl in own:
            acl_uuid = str(acl["id"])
            if acl_uuid not in ids or vpc_uuid not in ids:
                continue
            used_by = [
                t for t in tiers if t.get("vpcid") == vpc_uuid and t.get("aclid") == acl_uuid
            ]
            acls.append(
                {
                    "NetworkAclId": ids[acl_uuid],
                    "VpcId": ids[vpc_uuid],
                    "IsDefault": acl["name"] == DEFAULT_LIST or acl is built_in,
                    "OwnerId": ctx.account_id,
                    "Entries": sorted(rules[acl_uuid], key=lambda e: (e["RuleNumber"], e["Egress"]))
                    + _last_rules(),
                    "Associations": [_association(ids, acl_uuid, str(t["id"])) for t in used_by],
                    "Tags": ec2_tags(acl),
                }
            )
    return acls


def _association(ids: Mapping[str, str], acl_uuid: str, tier_uuid: str) -> dict[str, str]:
    subnet = ids[tier_uuid]
    return {
        "NetworkAclAssociationId": f"aclassoc-{subnet.split('-', 1)[1]}",
        "NetworkAclId": ids[acl_uuid],
        "SubnetId": subnet,
    }


ACLS = Describer(
    filters={
        "network-acl-id": lambda acl: [acl["NetworkAclId"]],
        "vpc-id": lambda acl: [acl["VpcId"]],
        "default": lambda acl: [acl["IsDefault"]],
        "owner-id": lambda acl: [acl["OwnerId"]],
        "association.subnet-id": lambda acl: [a["SubnetId"] for a in acl["Associations"]],
        "association.association-id": lambda acl: [
            a["NetworkAclAssociationId"] for a in acl["Associations"]
        ],
        "association.network-acl-id": lambda acl: [a["NetworkAclId"] for a in acl["Associations"]],
        "entry.rule-number": lambda acl: [e["RuleNumber"] for e in acl["Entries"]],
        "entry.rule-action": lambda acl: [e["RuleAction"] for e in acl["Entries"]],
        "entry.protocol": lambda acl: [e["Protocol"] for e in acl["Entries"]],
        "entry.egress": lambda acl: [e["Egress"] for e in acl["Entries"]],
        "entry.cidr": lambda acl: [e["CidrBlock"] for e in acl["Entries"]],
    },
    key=lambda acl: f"{acl['NetworkAclId']}/{acl['VpcId']}",
)


@runs("listNetworkACLLists")
def describe_network_acls(ctx: QueryContext, params: Params) -> Output:
    wanted = list(params.get("NetworkAclIds") or [])
    if wanted:
        ctx.ids.uuids("network-acl", wanted)
    items = _acl_items(ctx)
    if wanted:
        seen = {item["NetworkAclId"] for item in items}
        missing = [aws_id for aws_id in wanted if aws_id not in seen]
        if missing:
            raise not_found("network-acl", missing[0])
        items = [item for item in items if item["NetworkAclId"] in wanted]
    page, token = ACLS.page(items, params)
    return {"NetworkAcls": page, "NextToken": token}


def _acl(ctx: QueryContext, aws_id: str) -> dict[str, Any]:
    """The network ACL the caller sees under `aws_id` (NotFound/Malformed otherwise)."""
    ctx.ids.uuid("network-acl", aws_id)
    for item in _acl_items(ctx):
        if item["NetworkAclId"] == aws_id:
            return item
    raise not_found("network-acl", aws_id)


@runs("createNetworkACLList")
def create_network_acl(ctx: QueryContext, params: Params) -> Output:
    vpc = vpc_row(ctx, str(params.get("VpcId") or ""))
    acl = ctx.run(
        "createNetworkACLList", name="acl", description="Network ACL", vpcid=str(vpc["id"])
    )["networkacllist"]
    uuid = str(acl["id"])
    tags = specified_tags(params, "network-acl")
    try:
        tag_resources(ctx, resource_type="network-acl", uuids=[uuid], tags=tags)
    except (AwsError, NativeFailure):
        ctx.run("deleteNetworkACLList", id=uuid)
        raise
    return {"NetworkAcl": _acl(ctx, ctx.ids.aws_id("network-acl", uuid))}


def _rule_number(params: Params) -> int:
    number = params.get("RuleNumber")
    if number is None:
        raise MissingParameter("The request must contain the parameter ruleNumber")
    if not 1 <= int(number) <= LAST_RULE - 1:
        raise InvalidParameterValue(
            f"Value ({number}) for parameter ruleNumber is invalid. "
            "Rule numbers must be between 1 and 32766."
        )
    return int(number)


def _native_rule(params: Params) -> dict[str, Any]:
    protocol = str(params.get("Protocol") or "")
    if not protocol:
        raise MissingParameter("The request must contain the parameter protocol")
    action = str(params.get("RuleAction") or "")
    if action not in ("allow", "deny"):
        raise InvalidParameterValue(f"Value ({action}) for parameter ruleAction is invalid.")
    native = PROTOCOLS.get(protocol, protocol)
    rule: dict[str, Any] = {
        "protocol": native,
        "action": action.capitalize(),
        "cidrlist": str(params.get("CidrBlock") or "0.0.0.0/0"),
    }
    ports = params.get("PortRange") or {}
    if native in ("tcp", "udp") and ports:
        rule.update(startport=ports.get("From"), endport=ports.get("To"))
    icmp = params.get("IcmpTypeCode") or {}
    if native == "icmp" and icmp:
        rule.update(icmptype=icmp.get("Type"), icmpcode=icmp.get("Code"))
    return rule


@runs("createNetworkACL")
def create_network_acl_entry(ctx: QueryContext, params: Params) -> Output:
    aws_id = str(params.get("NetworkAclId") or "")
    acl = _acl(ctx, aws_id)
    number, egress = _rule_number(params), bool(params.get("Egress"))
    if any(e["RuleNumber"] == number and e["Egress"] == egress for e in acl["Entries"]):
        raise NetworkAclEntryAlreadyExists(
            f"The network acl entry identified by {number} already exists."
        )
    rule = _native_rule(params)
    _create_item(
        ctx,
        acl_uuid=ctx.ids.uuid("network-acl", aws_id),
        number=number,
        egress=egress,
        **rule,
    )
    return {}


def _native_item(ctx: QueryContext, params: Params) -> dict[str, Any]:
    """The native item of the entry a request names (by ACL, rule number and direction);
    InvalidNetworkAclEntry.NotFound when none."""
    aws_id = str(params.get("NetworkAclId") or "")
    acl = _acl(ctx, aws_id)
    number, egress = _rule_number(params), bool(params.get("Egress"))
    if not any(e["RuleNumber"] == number and e["Egress"] == egress for e in acl["Entries"]):
        raise InvalidNetworkAclEntryNotFound(
            f"The network acl entry identified by {number} does not exist."
        )
    items = ctx.listing(
        "listNetworkACLs", "networkacl", aclid=ctx.ids.uuid("network-acl", aws_id), listall=True
    )
    [found] = [
        item
        for item in items
        if _entry(item)["RuleNumber"] == number and _entry(item)["Egress"] == egress
    ]
    return found


@runs("deleteNetworkACL")
def delete_network_acl_entry(ctx: QueryContext, params: Params) -> Output:
    ctx.run("deleteNetworkACL", id=str(_native_item(ctx, params)["id"]))
    return {}


@runs("updateNetworkACLItem")
def replace_network_acl_entry(ctx: QueryContext, params: Params) -> Output:
    item = _native_item(ctx, params)
    ctx.run(
        "updateNetworkACLItem",
        id=str(item["id"]),
        partialupgrade=False,
        number=int(item["number"]),
        traffictype=str(item["traffictype"]),
        **_native_rule(params),
    )
    return {}


@runs("replaceNetworkACLList")
def replace_network_acl_association(ctx: QueryContext, params: Params) -> Output:
    association = str(params.get("AssociationId") or "")
    acl_id = str(params.get("NetworkAclId") or "")
    acl = _acl(ctx, acl_id)
    current = [
        item
        for item in _acl_items(ctx)
        if item["VpcId"] == acl["VpcId"]
        for link in item["Associations"]
        if link["NetworkAclAssociationId"] == association
    ]
    if not current:
        raise InvalidAssociationIdNotFound(f"The association ID '{association}' does not exist")
    subnet_id = f"subnet-{association.split('-', 1)[1]}"
    ctx.run(
        "replaceNetworkACLList",
        aclid=ctx.ids.uuid("network-acl", acl_id),
        networkid=ctx.ids.uuid("subnet", subnet_id),
    )
    return {"NewAssociationId": association}


@runs("deleteNetworkACLList")
def delete_network_acl(ctx: QueryContext, params: Params) -> Output:
    aws_id = str(params.get("NetworkAclId") or "")
    acl = _acl(ctx, aws_id)
    if acl["IsDefault"]:
        raise InvalidParameterValue(f"cannot delete default network ACL {aws_id}")
    ctx.run("deleteNetworkACLList", id=ctx.ids.uuid("network-acl", aws_id))
    return {}


ACTIONS: Mapping[str, Action] = action_table(
    [
        describe_network_acls,
        create_network_acl,
        create_network_acl_entry,
        delete_network_acl_entry,
        replace_network_acl_entry,
        replace_network_acl_association,
        delete_network_acl,
    ]
)
