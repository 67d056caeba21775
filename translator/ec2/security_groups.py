"""EC2 actions on security groups and their rules, translated into native security group
commands.

An EC2 security group is a native group that belongs to a VPC (`vpcid`); native account-wide
groups are not listed (an id of one still resolves, as instances may show them). Each native
rule is one EC2 rule (`sgr-`): a protocol (native `all` is EC2's `-1`), ports (for icmp the
type and code) and one peer, a CIDR or a group. `IpPermissions` group rules with the same
protocol and ports. GroupName parameters name groups of the default VPC.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2.default_vpc import default_vpc
from translator.ec2.describe import Describer, FilterFunction, Item
from translator.ec2.tagging import ec2_tags, specified_tags, tag_resources
from translator.errors import (
    ID_ERRORS,
    CannotDelete,
    InvalidGroupDuplicate,
    InvalidGroupReserved,
    InvalidParameterValue,
    InvalidPermissionDuplicate,
    InvalidPermissionNotFound,
    MissingParameter,
)
from translator.registry import action_table, runs

GROUP = "security-group"
RULE = "security-group-rule"
DEFAULT_GROUP = "default"
GroupNotFound = ID_ERRORS[GROUP].not_found
RuleNotFound = ID_ERRORS[RULE].not_found
NAMED = {"tcp", "udp", "icmp"}
NUMBERED = {"1": "icmp", "6": "tcp", "17": "udp"}
PORTED = {"tcp", "udp"}
NAME_LIMIT = 255


@dataclass(frozen=True, kw_only=True)
class RuleKey:
    """One rule as both sides can compare it: native protocol, ports or ICMP type and code,
    and its peer (a CIDR or a group's native uuid)."""

    egress: bool
    protocol: str
    start: int | None = None
    end: int | None = None
    cidr: str | None = None
    peer: str | None = None


def _native_protocol(value: Any) -> str:
    text = str(value if value is not None else "").strip().lower()
    if text in ("-1", "all"):
        return "all"
    if text in NAMED:
        return text
    if text.isdigit() and int(text) <= 255:
        return NUMBERED.get(str(int(text)), str(int(text)))
    raise InvalidParameterValue(f"Invalid value '{value}' for IP protocol. Unknown protocol.")


def _ports(protocol: str, permission: Mapping[str, Any]) -> tuple[int | None, int | None]:
    start, end = permission.get("FromPort"), permission.get("ToPort")
    if protocol in PORTED:
        if start is None or end is None:
            raise InvalidParameterValue(
                "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."
            )
        if not (0 <= start <= 65535 and 0 <= end <= 65535) or start > end:
            raise InvalidParameterValue(
                f"Invalid value for portRange. Ports {start}-{end}: from and to ports are 0 "
                "to 65535, from not above to."
            )
        return int(start), int(end)
    if protocol == "icmp":
        kind = -1 if start is None else int(start)
        code = -1 if end is None else int(end)
        if not (-1 <= kind <= 255 and -1 <= code <= 255) or (kind == -1 and code != -1):
            raise InvalidParameterValue(
                f"Invalid value for ICMP type {kind} and code {code}: -1 (any) or 0 to 255, "
                "a code only with a type."
            )
        return kind, code
    return None, None


@dataclass(frozen=True, kw_only=True)
class Peer:
    """A group a rule names: its native uuid, and its owner's and its own name (what native
    `usersecuritygrouplist` takes)."""

    uuid: str
    account: str
    name: str


@dataclass(frozen=True, kw_only=True)
class Source:
    """One peer of a permission, a CIDR or a group, with the rule's description."""

    cidr: str | None = None
    peer: Peer | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class Permission:
    """One `IpPermissions` entry, checked: native traffic fields and its sources."""

    protocol: str
    start: int | None
    end: int | None
    sources: tuple[Source, ...]

    def keys(self, *, egress: bool) -> list[RuleKey]:
        """The rules this entry stands for, one per source."""
        return [
            RuleKey(
                egress=egress,
                protocol=self.protocol,
                start=self.start,
                end=self.end,
                cidr=source.cidr,
                peer=None if source.peer is None else source.peer.uuid,
            )
            for source in self.sources
        ]

    def native_calls(self) -> list[dict[str, Any]]:
        """Parameters of native authorizeSecurityGroupIngress/Egress: one call per distinct
        description of the sources (native gives all rules of a call one description)."""
        ports = (
            {"icmptype": self.start, "icmpcode": self.end}
            if self.protocol == "icmp"
            else {"startport": self.start, "endport": self.end}
        )
        calls = []
        for description in dict.fromkeys(source.description for source in self.sources):
            chosen = [source for source in self.sources if source.description == description]
            cidrs = [source.cidr for source in chosen if source.cidr is not None]
            peers = [source.peer for source in chosen if source.peer is not None]
            calls.append(
                {
                    "protocol": self.protocol,
                    **ports,
                    "description": description,
                    "cidrlist": cidrs or None,
                    "usersecuritygrouplist": [
                        {"account": peer.account, "group": peer.name} for peer in peers
                    ]
                    or None,
                }
            )
        return calls


def _cidr(text: Any) -> str:
    try:
        return str(ipaddress.IPv4Network(str(text).strip()))
    except ValueError:
        raise InvalidParameterValue(f"CIDR block {text} is malformed") from None


def _legacy_permission(params: Params) -> list[dict[str, Any]]:
    if all(
        params.get(name) is None for name in ("IpProtocol", "CidrIp", "SourceSecurityGroupName")
    ):
        return []
    entry: dict[str, Any] = {"IpProtocol": params.get("IpProtocol", "-1")}
    for name in ("FromPort", "ToPort"):
        if params.get(name) is not None:
            entry[name] = params[name]
    if params.get("CidrIp") is not None:
        entry["IpRanges"] = [{"CidrIp": params["CidrIp"]}]
    if params.get("SourceSecurityGroupName") is not None:
        entry["UserIdGroupPairs"] = [{"GroupName": params["SourceSecurityGroupName"]}]
    return [entry]


def _permissions(
    ctx: QueryContext, params: Params, *, group: Mapping[str, Any], revoking: bool
) -> list[Permission]:
    """The request's `IpPermissions` (or the legacy single-permission parameters), checked.
    IPv6 ranges and prefix lists are refused; when revoking, such a rule is not found."""
    entries = list(params.get("IpPermissions") or []) + _legacy_permission(params)
    if not entries:
        raise MissingParameter("The request must contain the parameter ipPermissions")
    found = []
    for entry in entries:
        protocol = _native_protocol(entry.get("IpProtocol"))
        start, end = _ports(protocol, entry)
        sources = [
            Source(cidr=_cidr(item.get("CidrIp", "")), description=item.get("Description"))
            for item in entry.get("IpRanges") or []
        ] + [
            Source(peer=_peer(ctx, pair, group=group), description=pair.get("Description"))
            for pair in entry.get("UserIdGroupPairs") or []
        ]
        if not sources and not entry.get("Ipv6Ranges") and not entry.get("PrefixListIds"):
            raise InvalidParameterValue(
                "Each permission needs at least one IP range or user id group pair."
            )
        if entry.get("Ipv6Ranges") or entry.get("PrefixListIds"):
            if revoking:
                raise InvalidPermissionNotFound(
                    "The specified rule does not exist in this security group."
                )
            raise InvalidParameterValue("IPv6 ranges and prefix lists are not supported.")
        found.append(Permission(protocol=protocol, start=start, end=end, sources=tuple(sources)))
    return found


def _peer(ctx: QueryContext, pair: Mapping[str, Any], *, group: Mapping[str, Any]) -> Peer:
    if pair.get("GroupId"):
        peer = _group_by_id(ctx, str(pair["GroupId"]))
    elif pair.get("GroupName"):
        peer = _group_by_name(ctx, str(pair["GroupName"]))
    else:
        raise InvalidParameterValue("A user id group pair needs a GroupId or a GroupName.")
    if peer.get("vpcid") != group.get("vpcid"):
        named = pair.get("GroupId") or pair.get("GroupName")
        raise InvalidParameterValue(
            f"You have specified a security group ({named}) in another VPC than the group."
        )
    return Peer(uuid=str(peer["id"]), account=str(peer["account"]), name=str(peer["name"]))


def _group_by_id(ctx: QueryContext, group_id: str) -> dict[str, Any]:
    uuid = ctx.ids.uuid(GROUP, group_id)
    try:
        rows = ctx.call("listSecurityGroups", id=uuid).get("securitygroup") or []
    except NativeFailure:
        rows = []
    if not rows:
        raise GroupNotFound(f"The security group '{group_id}' does not exist")
    return dict(rows[0])


def _group_by_name(ctx: QueryContext, name: str) -> dict[str, Any]:
    vpc_uuid = default_vpc(ctx, create=False)
    rows = []
    if vpc_uuid is not None:
        rows = [
            row
            for row in ctx.listing(
                "listSecurityGroups",
                "securitygroup",
                vpcid=vpc_uuid,
                securitygroupname=name,
            )
            if row.get("name") == name
        ]
    if not rows:
        raise GroupNotFound(f"The security group '{name}' does not exist in default VPC")
    return dict(rows[0])


def _target_group(ctx: QueryContext, params: Params) -> dict[str, Any]:
    if params.get("GroupId"):
        return _group_by_id(ctx, str(params["GroupId"]))
    if params.get("GroupName"):
        return _group_by_name(ctx, str(params["GroupName"]))
    raise MissingParameter("The request must contain the parameter groupName or groupId")


def _rule_key(rule: Mapping[str, Any], *, egress: bool) -> RuleKey:
    protocol = str(rule.get("protocol", "all"))
    if protocol == "icmp":
        start, end = rule.get("icmptype"), rule.get("icmpcode")
    else:
        start, end = rule.get("startport"), rule.get("endport")
    return RuleKey(
        egress=egress,
        protocol=protocol,
        start=None if start is None else int(start),
        end=None if end is None else int(end),
        cidr=rule.get("cidr"),
        peer=rule.get("securitygroupid"),
    )


def _native_rules(group: Mapping[str, Any]) -> list[tuple[RuleKey, dict[str, Any]]]:
    return [
        (_rule_key(rule, egress=egress), dict(rule))
        for egress, field in ((False, "ingressrule"), (True, "egressrule"))
        for rule in group.get(field) or []
    ]


# Rendering


def _aws_protocol(native: str) -> str:
    return "-1" if native == "all" else native


class Renderer:
    """Renders native groups and rules with their AWS ids, looked up in batches."""

    def __init__(self, ctx: QueryContext, groups: Sequence[Mapping[str, Any]]) -> None:
        self.ctx = ctx
        rules = [rule for group in groups for _, rule in _native_rules(group)]
        group_uuids = {str(group["id"]) for group in groups} | {
            str(rule["securitygroupid"]) for rule in rules if rule.get("securitygroupid")
        }
        self.group_ids = ctx.ids.aws_ids(GROUP, group_uuids)
        self.rule_ids = ctx.ids.aws_ids(RULE, [str(rule["ruleid"]) for rule in rules])
        self.vpc_ids = ctx.ids.aws_ids(
            "vpc", [str(group["vpcid"]) for group in groups if group.get("vpcid")]
        )

    @staticmethod
    def _ports(key: RuleKey) -> dict[str, int | None]:
        if key.protocol in PORTED or key.protocol == "icmp":
            return {"FromPort": key.start, "ToPort": key.end}
        return {}

    def permissions(self, group: Mapping[str, Any], *, egress: bool) -> list[dict[str, Any]]:
        """The group's rules of one direction as `IpPermissions`."""
        merged: dict[tuple[str, int | None, int | None], dict[str, Any]] = {}
        for key, rule in _native_rules(group):
            if key.egress != egress:
                continue
            described = {"Description": rule["description"]} if rule.get("description") else {}
            entry = merged.setdefault(
                (key.protocol, key.start, key.end),
                {
                    "IpProtocol": _aws_protocol(key.protocol),
                    **self._ports(key),
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                    "UserIdGroupPairs": [],
                },
            )
            if key.cidr is not None:
                entry["IpRanges"].append({"CidrIp": key.cidr, **described})
            elif key.peer is not None:
                entry["UserIdGroupPairs"].append(
                    {
                        "GroupId": self.group_ids.get(key.peer),
                        "UserId": self.ctx.account_id,
                        **described,
                    }
                )
        return list(merged.values())

    def group(self, group: Mapping[str, Any]) -> dict[str, Any]:
        """One `SecurityGroup`."""
        group_id = self.group_ids[str(group["id"])]
        return {
            "GroupId": group_id,
            "GroupName": group.get("name"),
            "Description": group.get("description") or "",
            "OwnerId": self.ctx.account_id,
            "VpcId": self.vpc_ids.get(str(group.get("vpcid"))),
            "SecurityGroupArn": (
                f"arn:aws:ec2:{self.ctx.region}:{self.ctx.account_id}:security-group/{group_id}"
            ),
            "IpPermissions": self.permissions(group, egress=False),
            "IpPermissionsEgress": self.permissions(group, egress=True),
            "Tags": ec2_tags(group),
        }

    def rule(
        self, group: Mapping[str, Any], key: RuleKey, rule: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One `SecurityGroupRule`."""
        rendered: dict[str, Any] = {
            "SecurityGroupRuleId": self.rule_ids.get(str(rule["ruleid"])),
            "GroupId": self.group_ids[str(group["id"])],
            "GroupOwnerId": self.ctx.account_id,
            "IsEgress": key.egress,
            "IpProtocol": _aws_protocol(key.protocol),
            "FromPort": -1,
            "ToPort": -1,
            "Description": rule.get("description"),
            "Tags": ec2_tags(rule),
        }
        rendered.update(self._ports(key))
        if key.cidr is not None:
            rendered["CidrIpv4"] = key.cidr
        if key.peer is not None:
            rendered["ReferencedGroupInfo"] = {
                "GroupId": self.group_ids.get(key.peer),
                "UserId": self.ctx.account_id,
            }
        return rendered

    def rules(self, groups: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Every rule of `groups` as `SecurityGroupRule`s."""
        return [
            self.rule(group, key, rule) for group in groups for key, rule in _native_rules(group)
        ]


def _vpc_groups(ctx: QueryContext) -> list[dict[str, Any]]:
    """The caller's own VPC groups (a native list without `account` or `listall` lists only
    the caller's account, whatever its role)."""
    return [row for row in ctx.listing("listSecurityGroups", "securitygroup") if row.get("vpcid")]


# Groups


def _check_name(params: Params) -> tuple[str, str]:
    name, description = str(params["GroupName"]), str(params["Description"])
    if not name or len(name) > NAME_LIMIT or name.lower().startswith("sg-"):
        raise InvalidParameterValue(
            f"Invalid value '{name}' for groupName: 1 to 255 characters, not starting with sg-."
        )
    if not description or len(description) > NAME_LIMIT:
        raise InvalidParameterValue("Invalid value for groupDescription: 1 to 255 characters.")
    if name.lower() == DEFAULT_GROUP:
        raise InvalidGroupReserved("The security group 'default' is reserved")
    return name, description


def _vpc_for_group(ctx: QueryContext, params: Params) -> str:
    if params.get("VpcId"):
        return ctx.ids.uuid("vpc", str(params["VpcId"]))
    found = default_vpc(ctx, create=True)
    assert found is not None
    return found


@runs("createSecurityGroup")
def create_security_group(ctx: QueryContext, params: Params) -> Output:
    name, description = _check_name(params)
    vpc_uuid = _vpc_for_group(ctx, params)
    tags = specified_tags(params, GROUP)
    try:
        created = ctx.call(
            "createSecurityGroup", name=name, description=description, vpcid=vpc_uuid
        )
    except NativeFailure as failure:
        if "already exists" in failure.text:
            raise InvalidGroupDuplicate(
                f"The security group '{name}' already exists for VPC "
                f"'{ctx.ids.aws_id('vpc', vpc_uuid)}'"
            ) from None
        if "parameter vpcid" in failure.text:
            raise ID_ERRORS["vpc"].not_found(
                f"The vpc ID '{params.get('VpcId')}' does not exist"
            ) from None
        raise
    uuid = str(created["securitygroup"]["id"])
    try:
        tag_resources(ctx, resource_type=GROUP, uuids=[uuid], tags=tags)
    except NativeFailure:
        ctx.call("deleteSecurityGroup", id=uuid)
        raise
    return {"GroupId": ctx.ids.aws_id(GROUP, uuid), "Tags": tags or None}


@runs("deleteSecurityGroup")
def delete_security_group(ctx: QueryContext, params: Params) -> Output:
    group = _target_group(ctx, params)
    group_id = ctx.ids.aws_id(GROUP, str(group["id"]))
    if group.get("name") == DEFAULT_GROUP:
        raise CannotDelete(
            f'the specified group: "{group_id}" name: "default" cannot be deleted by a user'
        )
    ctx.call("deleteSecurityGroup", id=str(group["id"]))
    return {"Return": True, "GroupId": group_id}


PERMISSION_FILTERS: Mapping[str, FilterFunction] = {
    "protocol": lambda entry: [entry["IpProtocol"]],
    "from-port": lambda entry: [entry.get("FromPort", -1)],
    "to-port": lambda entry: [entry.get("ToPort", -1)],
    "cidr": lambda entry: [item["CidrIp"] for item in entry["IpRanges"]],
    "group-id": lambda entry: [pair["GroupId"] for pair in entry["UserIdGroupPairs"]],
    "user-id": lambda entry: [pair["UserId"] for pair in entry["UserIdGroupPairs"]],
}
"""`ip-permission.<name>` filters: an `IpPermissions` entry → its values."""


def _permission_filter(field: str, pick: FilterFunction) -> FilterFunction:
    def values(group: Item) -> list[Any]:
        return [value for entry in group[field] for value in pick(entry)]

    return values


GROUPS = Describer(
    filters={
        "group-id": lambda group: [group["GroupId"]],
        "group-name": lambda group: [group["GroupName"]],
        "vpc-id": lambda group: [group.get("VpcId")],
        "description": lambda group: [group["Description"]],
        "owner-id": lambda group: [group["OwnerId"]],
        **{
            f"{prefix}ip-permission.{name}": _permission_filter(field, pick)
            for prefix, field in (("", "IpPermissions"), ("egress.", "IpPermissionsEgress"))
            for name, pick in PERMISSION_FILTERS.items()
        },
    },
    key=lambda group: str(group["GroupId"]),
)


@runs("listSecurityGroups")
def describe_security_groups(ctx: QueryContext, params: Params) -> Output:
    if params.get("GroupIds"):
        rows = [_group_by_id(ctx, str(group_id)) for group_id in params["GroupIds"]]
    elif params.get("GroupNames"):
        rows = [_group_by_name(ctx, str(name)) for name in params["GroupNames"]]
    else:
        rows = _vpc_groups(ctx)
    renderer = Renderer(ctx, rows)
    page, token = GROUPS.page([renderer.group(row) for row in rows], params)
    return {"SecurityGroups": page, "NextToken": token}


# Rules


def _rule_group(group: Mapping[str, Any], rules: Sequence[Any], *, egress: bool) -> dict[str, Any]:
    field = "egressrule" if egress else "ingressrule"
    return {"id": group["id"], "vpcid": group.get("vpcid"), field: list(rules)}


def _add_rules(
    ctx: QueryContext,
    *,
    group: Mapping[str, Any],
    permissions: Sequence[Permission],
    egress: bool,
) -> list[dict[str, Any]]:
    """Authorize each permission (one native job each); if one fails, the rules already
    added are revoked again before the error is raised."""
    command, undo = (
        ("authorizeSecurityGroupEgress", "revokeSecurityGroupEgress")
        if egress
        else ("authorizeSecurityGroupIngress", "revokeSecurityGroupIngress")
    )
    added: list[dict[str, Any]] = []
    try:
        for permission in permissions:
            for call in permission.native_calls():
                result = ctx.run(command, securitygroupid=str(group["id"]), **call)
                answer = result.get("securitygroup") or {}
                added.extend(answer.get("egressrule" if egress else "ingressrule") or [])
    except NativeFailure as failure:
        for rule in added:
            ctx.run(undo, id=str(rule["ruleid"]))
        if "already has" in failure.text:
            raise InvalidPermissionDuplicate(failure.text) from None
        raise
    return added


def _authorize(ctx: QueryContext, params: Params, *, egress: bool) -> Output:
    group = _target_group(ctx, params)
    permissions = _permissions(ctx, params, group=group, revoking=False)
    existing = {key for key, _ in _native_rules(group)}
    wanted = [key for permission in permissions for key in permission.keys(egress=egress)]
    if len(set(wanted)) != len(wanted):
        raise InvalidParameterValue("The same permission must not appear multiple times")
    if any(key in existing for key in wanted):
        raise InvalidPermissionDuplicate(
            "the specified rule already exists in security group "
            f"{ctx.ids.aws_id(GROUP, str(group['id']))}"
        )
    added = _add_rules(ctx, group=group, permissions=permissions, egress=egress)
    made = _rule_group(group, added, egress=egress)
    return {"Return": True, "SecurityGroupRules": Renderer(ctx, [made]).rules([made])}


@runs("authorizeSecurityGroupIngress")
def authorize_security_group_ingress(ctx: QueryContext, params: Params) -> Output:
    return _authorize(ctx, params, egress=False)


@runs("authorizeSecurityGroupEgress")
def authorize_security_group_egress(ctx: QueryContext, params: Params) -> Output:
    return _authorize(ctx, params, egress=True)


def _rules_to_revoke(
    ctx: QueryContext, params: Params, group: Mapping[str, Any], *, egress: bool
) -> list[dict[str, Any]]:
    present = [(key, rule) for key, rule in _native_rules(group) if key.egress == egress]
    if params.get("SecurityGroupRuleIds"):
        asked = [str(rule_id) for rule_id in params["SecurityGroupRuleIds"]]
        uuids = ctx.ids.uuids(RULE, asked)
        by_uuid = {str(rule["ruleid"]): rule for _, rule in present}
        missing = [rule_id for rule_id, uuid in zip(asked, uuids) if uuid not in by_uuid]
        if missing:
            raise RuleNotFound(
                f"The security group rule ID '{', '.join(missing)}' does not exist in group "
                f"{ctx.ids.aws_id(GROUP, str(group['id']))}"
            )
        return [by_uuid[uuid] for uuid in dict.fromkeys(uuids)]
    by_key = dict(present)
    wanted = [
        key
        for permission in _permissions(ctx, params, group=group, revoking=True)
        for key in permission.keys(egress=egress)
    ]
    if any(key not in by_key for key in wanted):
        raise InvalidPermissionNotFound("The specified rule does not exist in this security group.")
    return [by_key[key] for key in dict.fromkeys(wanted)]


def _revoke(ctx: QueryContext, params: Params, *, egress: bool) -> Output:
    group = _target_group(ctx, params)
    rules = _rules_to_revoke(ctx, params, group, egress=egress)
    gone = _rule_group(group, rules, egress=egress)
    rendered = Renderer(ctx, [gone]).rules([gone])
    command = "revokeSecurityGroupEgress" if egress else "revokeSecurityGroupIngress"
    for rule in rules:
        ctx.run(command, id=str(rule["ruleid"]))
    revoked = [
        {
            name: value
            for name, value in rule.items()
            if name not in ("GroupOwnerId", "Tags", "ReferencedGroupInfo")
        }
        | (
            {"ReferencedGroupId": rule["ReferencedGroupInfo"]["GroupId"]}
            if "ReferencedGroupInfo" in rule
            else {}
        )
        for rule in rendered
    ]
    return {"Return": True, "RevokedSecurityGroupRules": revoked}


@runs("revokeSecurityGroupIngress")
def revoke_security_group_ingress(ctx: QueryContext, params: Params) -> Output:
    return _revoke(ctx, params, egress=False)


@runs("revokeSecurityGroupEgress")
def revoke_security_group_egress(ctx: QueryContext, params: Params) -> Output:
    return _revoke(ctx, params, egress=True)


RULES = Describer(
    filters={
        "group-id": lambda rule: [rule["GroupId"]],
        "security-group-rule-id": lambda rule: [rule["SecurityGroupRuleId"]],
    },
    key=lambda rule: str(rule["SecurityGroupRuleId"]),
)


@runs("listSecurityGroups")
def describe_security_group_rules(ctx: QueryContext, params: Params) -> Output:
    groups = _vpc_groups(ctx)
    rules = Renderer(ctx, groups).rules(groups)
    asked = [str(rule_id) for rule_id in params.get("SecurityGroupRuleIds") or []]
    if asked:
        ctx.ids.uuids(RULE, asked)
        visible = {rule["SecurityGroupRuleId"] for rule in rules}
        missing = [rule_id for rule_id in asked if rule_id not in visible]
        if missing:
            raise RuleNotFound(f"The security group rule ID '{', '.join(missing)}' does not exist")
        rules = [rule for rule in rules if rule["SecurityGroupRuleId"] in asked]
    page, token = RULES.page(rules, params)
    return {"SecurityGroupRules": page, "NextToken": token}


ACTIONS: Mapping[str, Action] = action_table(
    [
        create_security_group,
        delete_security_group,
        describe_security_groups,
        authorize_security_group_ingress,
        authorize_security_group_egress,
        revoke_security_group_ingress,
        revoke_security_group_egress,
        describe_security_group_rules,
    ]
)
