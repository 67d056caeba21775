"""Security group commands: createSecurityGroup, deleteSecurityGroup, listSecurityGroups,
authorizeSecurityGroupIngress/Egress, revokeSecurityGroupIngress/Egress; and the
`securitygroup` response object (also part of VM responses) with its rules.

Alto extension of CloudStack: security groups work on every guest network, isolated
networks and VPC tiers included, not only in security-group zones (see
native/services/network/security_groups.py for what a group means).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.params import StringKind, integer, list_of, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, Result, SuccessResult
from native.model import (
    Account,
    Domain,
    SecurityGroup,
    SecurityGroupRule,
    SecurityGroupVm,
    VirtualMachine,
    Vpc,
)
from native.services import volumes
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import security_groups as groups
from native.services.tags import tag_clause, tags_of, tags_param
from native.services.visibility import can_see


class SecurityGroupRuleResponse(ResponseObject, object_name="securitygrouprule"):
    ruleid = Field("the id of the security group rule")
    protocol = Field("the protocol of the security group rule")
    startport = Field("the starting IP of the security group rule", type="integer")
    endport = Field("the ending IP of the security group rule ", type="integer")
    icmptype = Field("the type of the ICMP message response", type="integer")
    icmpcode = Field("the code for the ICMP message response", type="integer")
    cidr = Field("the CIDR notation for the base IP address of the security group rule")
    securitygroupname = Field("security group name")
    securitygroupid = Field("the ID of the security group the rule allows (Alto extension)")
    description = Field("the description of the rule (Alto extension)")
    account = Field("account owning the security group rule")
    tags = Field("the list of resource tags associated with the rule", of=TagResponse)

    @classmethod
    def of(
        cls,
        rule: SecurityGroupRule,
        *,
        allowed: tuple[SecurityGroup, Account] | None,
        tags: Sequence[TagResponse] = (),
    ) -> SecurityGroupRuleResponse:
        """The rule; `allowed` is its peer group and that group's owner, if it has one."""
        return cls(
            ruleid=rule.uuid,
            protocol=rule.protocol,
            startport=rule.start_port,
            endport=rule.end_port,
            icmptype=rule.icmp_type,
            icmpcode=rule.icmp_code,
            cidr=rule.cidr,
            securitygroupname=None if allowed is None else allowed[0].name,
            securitygroupid=None if allowed is None else allowed[0].uuid,
            description=rule.description,
            account=None if allowed is None else allowed[1].name,
            tags=list(tags),
        )


class SecurityGroupResponse(ResponseObject, object_name="securitygroup"):
    id = Field("the ID of the security group")
    name = Field("the name of the security group")
    description = Field("the description of the security group")
    account = Field("the account owning the security group")
    domainid = Field("the domain ID of the security group")
    domain = Field("the domain name of the security group")
    vpcid = Field("the ID of the VPC of the security group (Alto extension)")
    ingressrule = Field(
        "the list of ingress rules associated with the security group", of=SecurityGroupRuleResponse
    )
    egressrule = Field(
        "the list of egress rules associated with the security group", of=SecurityGroupRuleResponse
    )
    tags = Field("the list of resource tags associated with the rule", of=TagResponse)
    virtualmachinecount = Field(
        "the number of virtualmachines associated with this securitygroup",
        type="integer",
        since="4.14",
    )
    virtualmachineids = Field(
        "the list of virtualmachine ids associated with this securitygroup",
        type="set",
        since="4.14",
    )

    @classmethod
    def of(
        cls,
        group: SecurityGroup,
        *,
        owner: Account,
        vpc_uuid: str | None = None,
        ingress: Sequence[SecurityGroupRuleResponse] = (),
        egress: Sequence[SecurityGroupRuleResponse] = (),
        **extra: object,
    ) -> SecurityGroupResponse:
        return cls(
            id=group.uuid,
            name=group.name,
            description=group.description,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            vpcid=vpc_uuid,
            ingressrule=list(ingress),
            egressrule=list(egress),
            **extra,
        )


def _tag_responses(
    session: Session, *, resource_type: str, ids: Sequence[int]
) -> dict[int, list[TagResponse]]:
    found = tags_of(session, resource_type=resource_type, resource_ids=ids)
    return {
        resource_id: [TagResponse.of(tag, session=session) for tag in rows]
        for resource_id, rows in found.items()
    }


def _accounts(session: Session, ids: set[int]) -> dict[int, Account]:
    if not ids:
        return {}
    return {
        account.id: account
        for account in session.scalars(select(Account).where(Account.id.in_(ids)))
    }


def rule_responses(
    session: Session, rules: Sequence[SecurityGroupRule]
) -> dict[int, SecurityGroupRuleResponse]:
    """Responses for rules by rule id, with their peers and tags, in a fixed number of
    queries."""
    peer_ids = {rule.allowed_group_id for rule in rules if rule.allowed_group_id is not None}
    peers = (
        {
            peer.id: peer
            for peer in session.scalars(select(SecurityGroup).where(SecurityGroup.id.in_(peer_ids)))
        }
        if peer_ids
        else {}
    )
    owners = _accounts(session, {peer.account_id for peer in peers.values()})
    tagged = _tag_responses(
        session, resource_type="SecurityGroupRule", ids=[rule.id for rule in rules]
    )
    answer = {}
    for rule in rules:
        peer = None if rule.allowed_group_id is None else peers.get(rule.allowed_group_id)
        answer[rule.id] = SecurityGroupRuleResponse.of(
            rule,
            allowed=None if peer is None else (peer, owners[peer.account_id]),
            tags=tagged.get(rule.id, []),
        )
    return answer


def _members(session: Session, group_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for group_id, vm_uuid in session.execute(
        select(SecurityGroupVm.security_group_id, VirtualMachine.uuid)
        .join(VirtualMachine, VirtualMachine.id == SecurityGroupVm.vm_id)
        .where(SecurityGroupVm.security_group_id.in_(group_ids))
        .order_by(VirtualMachine.id)
    ).all():
        found[group_id].append(vm_uuid)
    return found


def vpc_uuids_of(session: Session, page: Sequence[SecurityGroup]) -> dict[int | None, str]:
    """VPC id → uuid for the VPCs of `page`'s groups."""
    wanted = {group.vpc_id for group in page if group.vpc_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Vpc.id, Vpc.uuid).where(Vpc.id.in_(wanted))).all()
    return {vpc_id: uuid for vpc_id, uuid in rows}


def group_responses(session: Session, page: Sequence[SecurityGroup]) -> list[SecurityGroupResponse]:
    """Full responses (rules, members, tags) for a page of groups in a fixed number of
    queries."""
    ids = [group.id for group in page]
    rules = session.scalars(
        select(SecurityGroupRule)
        .where(SecurityGroupRule.security_group_id.in_(ids))
        .order_by(SecurityGroupRule.id)
    ).all()
    rendered = rule_responses(session, rules)
    by_group: dict[tuple[int, str], list[SecurityGroupRuleResponse]] = defaultdict(list)
    for rule in rules:
        by_group[(rule.security_group_id, rule.rule_type)].append(rendered[rule.id])
    owners = _accounts(session, {group.account_id for group in page})
    vpc_uuids = vpc_uuids_of(session, page)
    members = _members(session, ids)
    tagged = _tag_responses(session, resource_type="SecurityGroup", ids=ids)
    return [
        SecurityGroupResponse.of(
            group,
            owner=owners[group.account_id],
            vpc_uuid=vpc_uuids.get(group.vpc_id),
            ingress=by_group[(group.id, groups.INGRESS)],
            egress=by_group[(group.id, groups.EGRESS)],
            tags=tagged.get(group.id, []),
            virtualmachinecount=len(members[group.id]),
            virtualmachineids=members[group.id],
        )
        for group in page
    ]


class CreateSecurityGroup(
    Command,
    api="createSecurityGroup",
    response=SecurityGroupResponse,
    authorized=ALL_ROLES,
    event="SG.CREATE",
    entity_type="SecurityGroup",
):
    """Creates a security group. Alto extension: security groups work on every guest network, isolated networks and VPC tiers included, not only in security-group zones.

    The new group has no rules: its members accept no inbound traffic until ingress rules
    allow it, and may send anything until the group gets egress rules (CloudStack's
    behaviour). Names are unique per account; `default` is reserved for the group every
    account has. Alto extension: with `vpcid` the group belongs to that VPC of the account
    (names are unique per VPC; every VPC has its own `default`) and starts with an egress
    rule allowing everything (0.0.0.0/0, protocol all), as on AWS.
    """

    name = string(description="name of the security group").required()
    description = string(description="the description of the security group", length=4096)
    account = string(
        description="an optional account for the security group. Must be used with domainId."
    )
    domainid = uuid_of(
        Domain,
        description="an optional domainId for the security group. If the account parameter is "
        "used, domainId must also be used.",
    )
    vpcid = uuid_of(
        Vpc, description="the ID of the VPC the security group belongs to (Alto extension)"
    )

    def execute(self, ctx: CommandContext) -> SecurityGroupResponse:
        owner = volumes.owner_account(
            ctx.session, caller=ctx.caller, name=self.account, domain=self.domainid
        )
        group = groups.create_group(
            ctx.session,
            owner=owner,
            name=self.name,
            description=self.description,
            vpc=self.vpcid,
        )
        return group_responses(ctx.session, [group])[0]


class _NamedGroupCommand(Command):
    """A command on the group given by `_group_id_param`, or by name (+ account/domainid)."""

    account = string(
        description="an optional account for the security group. Must be used with domainId."
    )
    domainid = uuid_of(
        Domain,
        description="an optional domainId for the security group. If the account parameter is "
        "used, domainId must also be used.",
    )

    def named_group(
        self, ctx: CommandContext, *, by_id: SecurityGroup | None, name: str | None, what: str
    ) -> SecurityGroup:
        """The group by id or by name of the account (the caller's by default); 431 unless
        exactly one of the two is given."""
        if (by_id is None) == (name is None):
            raise InvalidParameterValue(f"Either {what}id or {what}name must be specified")
        if by_id is not None:
            return by_id
        assert name is not None
        owner = volumes.owner_account(
            ctx.session, caller=ctx.caller, name=self.account, domain=self.domainid
        )
        return groups.find_group(ctx.session, owner=owner, name=name)


class DeleteSecurityGroup(
    _NamedGroupCommand,
    api="deleteSecurityGroup",
    authorized=ALL_ROLES,
    event="SG.DELETE",
    entity_type="SecurityGroup",
):
    """Deletes security group

    The `default` group cannot be deleted (431); nor can a group while VMs that are not
    destroyed are its members or another group's rule names it (536). Destroyed members
    leave the group.
    """

    id = uuid_of(
        SecurityGroup,
        description="The ID of the security group. Mutually exclusive with name parameter",
    )
    name = string(
        description="The name of the security group. Mutually exclusive with id parameter"
    )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        group = self.named_group(ctx, by_id=self.id, name=self.name, what="")
        groups.delete_group(ctx.session, group=group)
        return SuccessResult()

    def event_description(self, result: Result) -> str:
        label = self.name if self.id is None else f"{self.id.name} ({self.id.uuid})"
        return f"{self.summary()}: {label}"


class ListSecurityGroups(
    ListOwnedCommand,
    api="listSecurityGroups",
    response=SecurityGroupResponse,
    authorized=ALL_ROLES,
):
    """Lists security groups"""

    securitygroupname = string(description="lists security groups by name")
    virtualmachineid = uuid_of(
        VirtualMachine, description="lists security groups by virtual machine id"
    )
    id = uuid_of(SecurityGroup, description="list the security group by the id provided")
    tags = map_of(description="List resources by tags (key/value pairs)")
    vpcid = uuid_of(
        Vpc, description="lists the security groups of the VPC with this ID (Alto extension)"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(SecurityGroup)
            .join(Account, Account.id == SecurityGroup.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(Account.removed.is_(None))
        )
        if self.id is not None:
            query = query.where(SecurityGroup.id == self.id.id)
        elif self.virtualmachineid is None:
            query = query.where(self.owner_clause(ctx))
        if self.virtualmachineid is not None:
            query = query.where(
                exists().where(
                    SecurityGroupVm.security_group_id == SecurityGroup.id,
                    SecurityGroupVm.vm_id == self.virtualmachineid.id,
                )
            )
        if self.securitygroupname is not None:
            query = query.where(SecurityGroup.name == self.securitygroupname)
        if self.vpcid is not None:
            query = query.where(SecurityGroup.vpc_id == self.vpcid.id)
        if self.keyword:
            query = query.where(
                or_(
                    SecurityGroup.name.contains(self.keyword, autoescape=True),
                    SecurityGroup.description.contains(self.keyword, autoescape=True),
                )
            )
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="SecurityGroup",
                    id_column=SecurityGroup.id,
                    tags=tags_param(self.tags),
                )
            )
        rows, count = self.page_of_query(ctx, query, SecurityGroup.id)
        return ListResult(group_responses(ctx.session, rows), count)


class _AuthorizeRule(_NamedGroupCommand):
    """authorizeSecurityGroupIngress/Egress: validate and store in create(), apply in the
    job. The job acts on the group (its `jobinstanceid`); its result is the group with the
    rules just added."""

    rule_type: ClassVar[str]

    protocol = string(
        description="the protocol for the rule. Valid values are TCP/UDP/ICMP/ALL or valid "
        "protocol number (see /etc/protocols). ALL is default."
    )
    startport = integer(description="start port for this rule")
    endport = integer(description="end port for this rule")
    icmptype = integer(description="type of the icmp message being sent")
    icmpcode = integer(description="error code for this icmp message")
    cidrlist = list_of(StringKind(), description="the cidr list associated")
    usersecuritygrouplist = map_of(
        description="user to security group mapping: usersecuritygrouplist[0].account=A&"
        "usersecuritygrouplist[0].group=G names group G of account A (of the security "
        "group's domain) as peer"
    )
    securitygroupid = uuid_of(
        SecurityGroup,
        description="The ID of the security group. Mutually exclusive with securityGroupName "
        "parameter",
    )
    securitygroupname = string(
        description="The name of the security group. Mutually exclusive with securityGroupId "
        "parameter"
    )
    description = string(
        description="a description of the rules, shown with each (Alto extension)", length=255
    )

    _group_uuid: str | None = None

    def _specs(self, ctx: CommandContext, group: SecurityGroup) -> list[groups.RuleSpec]:
        allowed = groups.traffic(
            protocol=self.protocol,
            start_port=self.startport,
            end_port=self.endport,
            icmp_type=self.icmptype,
            icmp_code=self.icmpcode,
        )
        peers = groups.peer_groups(
            ctx.session, group=group, entries=self.usersecuritygrouplist or []
        )
        return groups.rule_specs(
            allowed=allowed,
            cidr_list=self.cidrlist or [],
            groups=peers,
            description=self.description,
        )

    def create(self, ctx: CommandContext) -> None:
        group = self.named_group(
            ctx, by_id=self.securitygroupid, name=self.securitygroupname, what="securitygroup"
        )
        groups.add_rules(
            ctx.session, group=group, rule_type=self.rule_type, specs=self._specs(ctx, group)
        )
        self._group_uuid = group.uuid

    def job_instance_id(self) -> str | None:
        return self._group_uuid

    def execute(self, ctx: CommandContext) -> SecurityGroupResponse:
        group = ctx.session.scalars(
            select(SecurityGroup).where(SecurityGroup.uuid == ctx.instance_id)
        ).first()
        if group is None:
            raise InvalidParameterValue(f"Unable to find security group {ctx.instance_id}")
        rules = groups.authorize(
            ctx.session,
            ctx.runtime,
            group=group,
            rule_type=self.rule_type,
            specs=self._specs(ctx, group),
        )
        rendered = rule_responses(ctx.session, rules)
        added = [rendered[rule.id] for rule in rules]
        owner = ctx.session.get(Account, group.account_id)
        assert owner is not None
        return SecurityGroupResponse.of(
            group,
            owner=owner,
            vpc_uuid=vpc_uuids_of(ctx.session, [group]).get(group.vpc_id),
            ingress=added if self.rule_type == groups.INGRESS else (),
            egress=added if self.rule_type == groups.EGRESS else (),
            tags=[],
        )


class AuthorizeSecurityGroupIngress(
    _AuthorizeRule,
    api="authorizeSecurityGroupIngress",
    is_async=True,
    response=SecurityGroupResponse,
    authorized=ALL_ROLES,
    event="SG.AUTH.INGRESS",
    entity_type="SecurityGroup",
):
    """Authorizes a particular ingress rule for this security group

    One rule per CIDR of `cidrlist` and per group of `usersecuritygrouplist` (traffic from
    that group's members). Ports only with tcp/udp, in order (0-0: every port); ICMP type
    and code only with icmp (-1: any). A rule the group already has is a 431 and nothing
    is added. Alto extension: enforced for members on every guest network, isolated
    networks and VPC tiers included, by the network's router.
    """

    rule_type = groups.INGRESS


class AuthorizeSecurityGroupEgress(
    _AuthorizeRule,
    api="authorizeSecurityGroupEgress",
    is_async=True,
    response=SecurityGroupResponse,
    authorized=ALL_ROLES,
    event="SG.AUTH.EGRESS",
    entity_type="SecurityGroup",
    since="3.0.0",
):
    """Authorizes a particular egress rule for this security group

    A group without egress rules lets its members send anything; with egress rules only
    what they allow (to each CIDR of `cidrlist` and to the members of each group of
    `usersecuritygrouplist`) leaves. Checks as for authorizeSecurityGroupIngress. Alto
    extension: enforced on every guest network, isolated networks and VPC tiers included.
    """

    rule_type = groups.EGRESS


def visible_rule(session: Session, caller: Caller, rule: SecurityGroupRule) -> bool:
    """A rule of a group the caller may see."""
    group = session.get(SecurityGroup, rule.security_group_id)
    return group is not None and can_see(caller, group, session)


class _RevokeRule(Command):
    """revokeSecurityGroupIngress/Egress: the rule goes, then the routers are applied (a
    failed apply puts it back)."""

    rule_type: ClassVar[str]

    id = uuid_of(
        SecurityGroupRule, visible=visible_rule, description="The ID of the rule"
    ).required()

    def rule(self) -> SecurityGroupRule:
        if self.id.rule_type != self.rule_type:
            raise InvalidParameterValue(
                f"Mismatch in rule type for security rule with id {self.id.uuid}: it is an "
                f"{self.id.rule_type} rule"
            )
        return self.id

    def create(self, ctx: CommandContext) -> None:
        self.rule()

    def job_instance_id(self) -> str | None:
        return self.id.uuid

    def execute(self, ctx: CommandContext) -> SuccessResult:
        groups.revoke(ctx.session, ctx.runtime, rule=self.rule())
        return SuccessResult()


class RevokeSecurityGroupIngress(
    _RevokeRule,
    api="revokeSecurityGroupIngress",
    is_async=True,
    authorized=ALL_ROLES,
    event="SG.REVOKE.INGRESS",
    entity_type="SecurityGroupRule",
):
    """Deletes a particular ingress rule from this security group"""

    rule_type = groups.INGRESS


class RevokeSecurityGroupEgress(
    _RevokeRule,
    api="revokeSecurityGroupEgress",
    is_async=True,
    authorized=ALL_ROLES,
    event="SG.REVOKE.EGRESS",
    entity_type="SecurityGroupRule",
    since="3.0.0",
):
    """Deletes a particular egress rule from this security group"""

    rule_type = groups.EGRESS
