"""Firewall rule commands: ingress rules on public IPs (createFirewallRule,
listFirewallRules, updateFirewallRule, deleteFirewallRule) and egress rules of isolated
networks (createEgressFirewallRule and the rest).

Every change is an async job that applies the router (see native.services.network.rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import (
    StringKind,
    Visible,
    boolean,
    integer,
    list_of,
    map_of,
    string,
    uuid_of,
)
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import (
    Account,
    Domain,
    Network,
    NetworkRule,
    PublicIpAddress,
    ResourceTag,
)
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import rules
from native.services.tags import tag_clause, tags_of, tags_param
from native.services.visibility import can_see

RULE_TYPES = ("user", "system")


def rule_state(state: str) -> str:
    """A rule's state as CloudStack shows it (`Revoke` is shown as `Deleting`)."""
    return "Deleting" if state == rules.REVOKE else state


def visible_rule(purpose: str, traffic_type: str | None = None) -> Visible[NetworkRule]:
    """The rule for naming rules of one purpose (and traffic type) the caller may see."""

    def visible(session: Session, caller: Caller, row: NetworkRule) -> bool:
        return (
            row.purpose == purpose
            and (traffic_type is None or row.traffic_type == traffic_type)
            and can_see(caller, row, session)
        )

    return visible


def rule_by_uuid(session: Session, uuid: str | None) -> NetworkRule:
    """A rule by uuid; 431 if there is none (any more)."""
    rule = session.scalars(select(NetworkRule).where(NetworkRule.uuid == uuid)).first()
    if rule is None:
        raise InvalidParameterValue(f"Unable to find rule by id {uuid}")
    return rule


def rule_list_query(
    command: ListOwnedCommand, ctx: CommandContext, *, purpose: str, by_id: bool
) -> Select[Any]:
    """Live rules of `purpose` whose owners the list command's scope selects."""
    return (
        select(NetworkRule)
        .join(Account, Account.id == NetworkRule.account_id)
        .join(Domain, Domain.id == Account.domain_id)
        .where(
            NetworkRule.purpose == purpose,
            NetworkRule.state != rules.REVOKE,
            scope_clause(command, ctx, by_id=by_id),
        )
    )


def tag_filter(
    query: Select[Any], *, purpose: str, entries: list[dict[str, str]] | None
) -> Select[Any]:
    """`query` narrowed to rules carrying the `tags` parameter's tags."""
    if not entries:
        return query
    return query.where(
        tag_clause(
            resource_type=rules.TAG_TYPES[purpose],
            id_column=NetworkRule.id,
            tags=tags_param(entries),
        )
    )


def display_filter(query: Select[Any], *, caller: Caller, fordisplay: bool | None) -> Select[Any]:
    """Root admins may filter by the display flag; others see displayed rules only."""
    if caller.is_root_admin:
        return query if fordisplay is None else query.where(NetworkRule.display.is_(fordisplay))
    return query.where(NetworkRule.display.is_(True))


def check_rule_type(value: str | None) -> None:
    """431 unless the `type` parameter is `user` or `system` (or absent)."""
    if value is not None and value.lower() not in RULE_TYPES:
        raise InvalidParameterValue(f"Invalid type {value}: use user or system")


class FirewallRuleResponse(ResponseObject, object_name="firewallrule"):
    id = Field("the ID of the firewall rule")
    protocol = Field("the protocol of the firewall rule")
    startport = Field("the starting port of firewall rule's port range", type="integer")
    endport = Field("the ending port of firewall rule's port range", type="integer")
    ipaddressid = Field("the public ip address id for the firewall rule")
    networkid = Field("the network id of the firewall rule")
    ipaddress = Field("the public ip address for the firewall rule")
    state = Field("the state of the rule")
    cidrlist = Field(
        "the cidr list to forward traffic from. Multiple entries are separated by a single "
        "comma character (,)."
    )
    icmptype = Field("type of the icmp message being sent", type="integer")
    icmpcode = Field("error code for this icmp message", type="integer")
    tags = Field("the list of resource tags associated with the rule", of=TagResponse)
    fordisplay = Field("is rule for display to the regular user", type="boolean")
    destcidrlist = Field(
        "the cidr list to forward traffic to. Multiple entries are separated by a single comma "
        "character (,)."
    )
    traffictype = Field("the traffic type for the firewall rule", since="4.17.0")

    @classmethod
    def of(
        cls,
        session: Session,
        rule: NetworkRule,
        *,
        caller: Caller,
        tags: Sequence[ResourceTag] = (),
    ) -> FirewallRuleResponse:
        """The response for an ingress or egress firewall rule."""
        network = session.get(Network, rule.network_id)
        ip = (
            None if rule.ip_address_id is None else session.get(PublicIpAddress, rule.ip_address_id)
        )
        assert network is not None
        return cls(
            id=rule.uuid,
            protocol=rule.protocol,
            startport=rule.start_port,
            endport=rule.end_port,
            ipaddressid=None if ip is None else ip.uuid,
            networkid=network.uuid,
            ipaddress=None if ip is None else ip.address,
            state=rule_state(rule.state),
            cidrlist=rule.source_cidrs or "",
            icmptype=rule.icmp_type,
            icmpcode=rule.icmp_code,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            fordisplay=rule.display if caller.is_root_admin else None,
            destcidrlist=rule.dest_cidrs or "",
            traffictype=rule.traffic_type,
        )


def firewall_response(ctx: CommandContext, rule: NetworkRule) -> FirewallRuleResponse:
    """The response for one firewall rule, with its tags (read afresh)."""
    ctx.session.refresh(rule)
    found = tags_of(ctx.session, resource_type="FirewallRule", resource_ids=[rule.id])
    return FirewallRuleResponse.of(
        ctx.session, rule, caller=ctx.caller, tags=found.get(rule.id, ())
    )


def _list_firewall(
    command: ListOwnedCommand, ctx: CommandContext, query: Select[Any]
) -> ListResult:
    rows, count = command.page_of_query(ctx, query, NetworkRule.id)
    found = tags_of(
        ctx.session, resource_type="FirewallRule", resource_ids=[row.id for row in rows]
    )
    return ListResult(
        [
            FirewallRuleResponse.of(ctx.session, row, caller=ctx.caller, tags=found.get(row.id, ()))
            for row in rows
        ],
        count,
    )


def _apply_new(ctx: CommandContext) -> FirewallRuleResponse:
    rule = rule_by_uuid(ctx.session, ctx.instance_id)
    rules.apply_added(
        ctx.session, ctx.runtime, rule_ids=[rule.id], network=rules.network_of(ctx.session, rule)
    )
    return firewall_response(ctx, rule)


def _revoke(ctx: CommandContext, rule: NetworkRule) -> SuccessResult:
    rules.revoke(
        ctx.session, ctx.runtime, rule_ids=[rule.id], network=rules.network_of(ctx.session, rule)
    )
    return SuccessResult()


def _set_display(
    ctx: CommandContext, rule: NetworkRule, display: bool | None
) -> FirewallRuleResponse:
    if display is not None:
        rule.display = display
        ctx.session.flush()
    return firewall_response(ctx, rule)


_INGRESS = visible_rule("Firewall", "Ingress")
_EGRESS = visible_rule("Firewall", "Egress")
_FORDISPLAY = "an optional field, whether to the display the rule to the end user or not"


class CreateFirewallRule(
    Command,
    api="createFirewallRule",
    is_async=True,
    response=FirewallRuleResponse,
    authorized=ALL_ROLES,
    event="FIREWALL.OPEN",
    entity_type="FirewallRule",
    since="1.0",
):
    """Creates a firewall rule for a given IP address

    Traffic of `protocol` to the ports from the CIDRs (anywhere by default) is let in to
    the IP; everything else to it is dropped. Not for IPs of a VPC (ACLs filter there).
    """

    ipaddressid = uuid_of(
        PublicIpAddress, description="the IP address id of the port forwarding rule"
    ).required()
    protocol = string(
        description="the protocol for the firewall rule. Valid values are TCP/UDP/ICMP."
    ).required()
    startport = integer(description="the starting port of firewall rule")
    endport = integer(description="the ending port of firewall rule")
    cidrlist = list_of(
        StringKind(),
        description="the CIDR list to forward traffic from. Multiple entries must be separated "
        "by a single comma character (,).",
    )
    icmptype = integer(description="type of the ICMP message being sent")
    icmpcode = integer(description="error code for this icmp message")
    type = string(description="type of firewallrule: system/user")
    fordisplay = boolean(description=_FORDISPLAY, since="4.4")

    def create(self, ctx: CommandContext) -> str:
        check_rule_type(self.type)
        rule = rules.add_firewall_rule(
            ctx.session,
            ip=self.ipaddressid,
            protocol=self.protocol,
            ports=(self.startport, self.endport),
            source_cidrs=self.cidrlist,
            icmp=(self.icmptype, self.icmpcode),
            display=self.fordisplay is not False,
        )
        return rule.uuid

    def execute(self, ctx: CommandContext) -> FirewallRuleResponse:
        return _apply_new(ctx)


class DeleteFirewallRule(
    Command,
    api="deleteFirewallRule",
    is_async=True,
    authorized=ALL_ROLES,
    event="FIREWALL.CLOSE",
    entity_type="FirewallRule",
    since="1.0",
):
    """Deletes a firewall rule"""

    id = uuid_of(
        NetworkRule, visible=_INGRESS, description="the ID of the firewall rule"
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        return _revoke(ctx, self.id)


class UpdateFirewallRule(
    Command,
    api="updateFirewallRule",
    is_async=True,
    response=FirewallRuleResponse,
    authorized=ALL_ROLES,
    event="FIREWALL.UPDATE",
    entity_type="FirewallRule",
    since="4.4",
):
    """Updates firewall rule"""

    id = uuid_of(
        NetworkRule, visible=_INGRESS, description="the ID of the firewall rule"
    ).required()
    fordisplay = boolean(description=_FORDISPLAY, since="4.4")

    def execute(self, ctx: CommandContext) -> FirewallRuleResponse:
        return _set_display(ctx, self.id, self.fordisplay)


class ListFirewallRules(
    ListOwnedCommand,
    api="listFirewallRules",
    response=FirewallRuleResponse,
    authorized=ALL_ROLES,
    since="1.0",
):
    """Lists all firewall rules for an IP address."""

    id = uuid_of(NetworkRule, visible=_INGRESS, description="Lists rule with the specified ID.")
    ipaddressid = uuid_of(
        PublicIpAddress, description="the ID of IP address of the firewall services"
    )
    networkid = uuid_of(Network, description="list firewall rules for certain network", since="4.3")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = rule_list_query(self, ctx, purpose="Firewall", by_id=self.id is not None).where(
            NetworkRule.traffic_type == "Ingress"
        )
        if self.id is not None:
            query = query.where(NetworkRule.id == self.id.id)
        if self.ipaddressid is not None:
            query = query.where(NetworkRule.ip_address_id == self.ipaddressid.id)
        if self.networkid is not None:
            query = query.where(NetworkRule.network_id == self.networkid.id)
        query = tag_filter(query, purpose="Firewall", entries=self.tags)
        query = display_filter(query, caller=ctx.caller, fordisplay=self.fordisplay)
        return _list_firewall(self, ctx, query)


class CreateEgressFirewallRule(
    Command,
    api="createEgressFirewallRule",
    is_async=True,
    response=FirewallRuleResponse,
    authorized=ALL_ROLES,
    event="FIREWALL.EGRESS.OPEN",
    entity_type="FirewallRule",
    since="4.2.0",
):
    """Creates a egress firewall rule for a given network

    Traffic of `protocol` from the sources (inside the network's CIDR, all of it by
    default) to the destinations (anywhere by default) is let out, whatever the
    offering's default egress policy.
    """

    networkid = uuid_of(
        Network, description="the network id of the port forwarding rule"
    ).required()
    protocol = string(
        description="the protocol for the firewall rule. Valid values are TCP/UDP/ICMP/ALL or "
        "valid protocol number"
    ).required()
    startport = integer(description="the starting port of firewall rule")
    endport = integer(description="the ending port of firewall rule")
    cidrlist = list_of(
        StringKind(),
        description="the cidr list to forward traffic from. Multiple entries must be separated by a single comma character (,).",
    )
    destcidrlist = list_of(
        StringKind(),
        description="the cidr list to forward traffic to. Multiple entries must be separated by "
        "a single comma character (,).",
        since="4.13",
    )
    icmptype = integer(description="type of the icmp message being sent")
    icmpcode = integer(description="error code for this icmp message")
    type = string(description="type of firewallrule: system/user")
    fordisplay = boolean(description=_FORDISPLAY, since="4.4")

    def create(self, ctx: CommandContext) -> str:
        check_rule_type(self.type)
        rule = rules.add_egress_rule(
            ctx.session,
            network=self.networkid,
            protocol=self.protocol,
            ports=(self.startport, self.endport),
            source_cidrs=self.cidrlist,
            dest_cidrs=self.destcidrlist,
            icmp=(self.icmptype, self.icmpcode),
            display=self.fordisplay is not False,
        )
        return rule.uuid

    def execute(self, ctx: CommandContext) -> FirewallRuleResponse:
        return _apply_new(ctx)


class DeleteEgressFirewallRule(
    Command,
    api="deleteEgressFirewallRule",
    is_async=True,
    authorized=ALL_ROLES,
    event="FIREWALL.EGRESS.CLOSE",
    entity_type="FirewallRule",
    since="4.2.0",
):
    """Deletes an egress firewall rule"""

    id = uuid_of(NetworkRule, visible=_EGRESS, description="the ID of the firewall rule").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        return _revoke(ctx, self.id)


class UpdateEgressFirewallRule(
    Command,
    api="updateEgressFirewallRule",
    is_async=True,
    response=FirewallRuleResponse,
    authorized=ALL_ROLES,
    event="FIREWALL.EGRESS.UPDATE",
    entity_type="FirewallRule",
    since="4.4",
):
    """Updates egress firewall rule"""

    id = uuid_of(
        NetworkRule, visible=_EGRESS, description="the ID of the egress firewall rule"
    ).required()
    fordisplay = boolean(description=_FORDISPLAY, since="4.4")

    def execute(self, ctx: CommandContext) -> FirewallRuleResponse:
        return _set_display(ctx, self.id, self.fordisplay)


class ListEgressFirewallRules(
    ListOwnedCommand,
    api="listEgressFirewallRules",
    response=FirewallRuleResponse,
    authorized=ALL_ROLES,
    since="4.0",
):
    """Lists all egress firewall rules for network ID."""

    id = uuid_of(NetworkRule, visible=_EGRESS, description="Lists rule with the specified ID.")
    networkid = uuid_of(Network, description="the network ID for the egress firewall services")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = rule_list_query(self, ctx, purpose="Firewall", by_id=self.id is not None).where(
            NetworkRule.traffic_type == "Egress"
        )
        if self.id is not None:
            query = query.where(NetworkRule.id == self.id.id)
        if self.networkid is not None:
            query = query.where(NetworkRule.network_id == self.networkid.id)
        query = tag_filter(query, purpose="Firewall", entries=self.tags)
        query = display_filter(query, caller=ctx.caller, fordisplay=self.fordisplay)
        return _list_firewall(self, ctx, query)
