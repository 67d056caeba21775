"""Port forwarding rule commands: createPortForwardingRule, listPortForwardingRules,
updatePortForwardingRule, deletePortForwardingRule.

Every change is an async job that applies the router (see native.services.network.rules).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.firewall_rules import (
    display_filter,
    rule_by_uuid,
    rule_list_query,
    rule_state,
    tag_filter,
    visible_rule,
)
from native.api.commands.tags import TagResponse
from native.api.params import StringKind, boolean, integer, list_of, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import (
    Network,
    NetworkRule,
    PublicIpAddress,
    ResourceTag,
    VirtualMachine,
)
from native.services.caller import Caller
from native.services.network import routers, rules
from native.services.tags import tags_of

_VISIBLE = visible_rule("PortForwarding")


class PortForwardingRuleResponse(ResponseObject, object_name="portforwardingrule"):
    id = Field("the ID of the port forwarding rule")
    privateport = Field("the starting port of port forwarding rule's private port range")
    privateendport = Field("the ending port of port forwarding rule's private port range")
    protocol = Field("the protocol of the port forwarding rule")
    publicport = Field("the starting port of port forwarding rule's public port range")
    publicendport = Field("the ending port of port forwarding rule's private port range")
    virtualmachineid = Field("the VM ID for the port forwarding rule")
    virtualmachinename = Field("the VM name for the port forwarding rule")
    virtualmachinedisplayname = Field("the VM display name for the port forwarding rule")
    ipaddressid = Field("the public ip address id for the port forwarding rule")
    ipaddress = Field("the public ip address for the port forwarding rule")
    state = Field("the state of the rule")
    cidrlist = Field(
        "the cidr list to forward traffic from. Multiple entries are separated by a single "
        "comma character (,)."
    )
    tags = Field("the list of resource tags associated with the rule", of=TagResponse)
    vmguestip = Field("the vm ip address for the port forwarding rule")
    networkid = Field("the id of the guest network the port forwarding rule belongs to")
    fordisplay = Field("is firewall for display to the regular user", type="boolean")

    @classmethod
    def of(
        cls,
        session: Session,
        rule: NetworkRule,
        *,
        caller: Caller,
        tags: Sequence[ResourceTag] = (),
    ) -> PortForwardingRuleResponse:
        """The response for one port forward (ports as strings, as CloudStack gives them)."""
        ip = (
            None if rule.ip_address_id is None else session.get(PublicIpAddress, rule.ip_address_id)
        )
        vm = None if rule.vm_id is None else session.get(VirtualMachine, rule.vm_id)
        network = session.get(Network, rule.network_id)
        assert ip is not None and network is not None
        return cls(
            id=rule.uuid,
            privateport=str(rule.private_start_port),
            privateendport=str(rule.private_end_port),
            protocol=rule.protocol,
            publicport=str(rule.start_port),
            publicendport=str(rule.end_port),
            virtualmachineid=None if vm is None else vm.uuid,
            virtualmachinename=None if vm is None else vm.name,
            virtualmachinedisplayname=None if vm is None else vm.display_name or vm.name,
            ipaddressid=ip.uuid,
            ipaddress=ip.address,
            state=rule_state(rule.state),
            cidrlist=rule.source_cidrs or "",
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            vmguestip=rule.vm_ip,
            networkid=network.uuid,
            fordisplay=rule.display if caller.is_root_admin else None,
        )


def forward_response(ctx: CommandContext, rule: NetworkRule) -> PortForwardingRuleResponse:
    """The response for one port forward, with its tags (read afresh)."""
    ctx.session.refresh(rule)
    found = tags_of(ctx.session, resource_type="PortForwardingRule", resource_ids=[rule.id])
    return PortForwardingRuleResponse.of(
        ctx.session, rule, caller=ctx.caller, tags=found.get(rule.id, ())
    )


class CreatePortForwardingRule(
    Command,
    api="createPortForwardingRule",
    is_async=True,
    response=PortForwardingRuleResponse,
    authorized=ALL_ROLES,
    event="NET.RULEADD",
    entity_type="FirewallRule",
    since="1.0",
):
    """Creates a port forwarding rule

    Traffic to the public ports of the IP goes to the VM's private ports. With
    `openfirewall` (the default outside VPCs) an ingress firewall rule from anywhere to the
    public ports is created with it, and deleted with it.
    """

    ipaddressid = uuid_of(
        PublicIpAddress, description="the IP address id of the port forwarding rule"
    ).required()
    privateport = integer(
        description="the starting port of port forwarding rule's private port range"
    ).required()
    privateendport = integer(
        description="the ending port of port forwarding rule's private port range"
    )
    protocol = string(
        description="the protocol for the port forwarding rule. Valid values are TCP or UDP."
    ).required()
    publicport = integer(
        description="the starting port of port forwarding rule's public port range"
    ).required()
    publicendport = integer(
        description="the ending port of port forwarding rule's private port range"
    )
    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine for the port forwarding rule"
    ).required()
    cidrlist = list_of(
        StringKind(),
        description="the cidr list to forward traffic from. Multiple entries must be separated "
        "by a single comma character (,). This param will be used only for VPC tiers. By "
        "default, all CIDRs are allowed.",
    )
    openfirewall = boolean(
        description="if true, firewall rule for source/end public port is automatically "
        "created; if false - firewall rule has to be created explicitly. If not specified 1) "
        "defaulted to false when PF rule is being created for VPC guest network 2) in all "
        "other cases defaulted to true"
    )
    networkid = uuid_of(
        Network,
        description="the network of the virtual machine the port forwarding rule will be "
        "created for. Required when public IP address is not associated with any guest network "
        "yet (VPC case).",
    )
    vmguestip = string(
        description="VM guest nic secondary IP address for the port forwarding rule",
        since="4.4",
    )
    fordisplay = boolean(
        description="an optional field, whether to the display the rule to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> str:
        made = rules.add_port_forward(
            ctx.session,
            ip=self.ipaddressid,
            vm=self.virtualmachineid,
            protocol=self.protocol,
            public_ports=(self.publicport, self.publicendport),
            private_ports=(self.privateport, self.privateendport),
            network=self.networkid,
            guest_ip=self.vmguestip,
            open_firewall=self.openfirewall,
            source_cidrs=self.cidrlist,
            display=self.fordisplay is not False,
        )
        return made[0].uuid

    def execute(self, ctx: CommandContext) -> PortForwardingRuleResponse:
        rule = rule_by_uuid(ctx.session, ctx.instance_id)
        ip_id = rule.ip_address_id
        assert ip_id is not None
        rules.apply_added(
            ctx.session,
            ctx.runtime,
            rule_ids=rules.with_related(ctx.session, [rule.id]),
            network=rules.network_of(ctx.session, rule),
            undo=lambda session: rules.untie_if_unused(session, ip_id=ip_id),
        )
        return forward_response(ctx, rule)


class DeletePortForwardingRule(
    Command,
    api="deletePortForwardingRule",
    is_async=True,
    authorized=ALL_ROLES,
    event="NET.RULEDELETE",
    entity_type="FirewallRule",
    since="1.0",
):
    """Deletes a port forwarding rule

    The firewall rule opened with it goes too.
    """

    id = uuid_of(
        NetworkRule, visible=_VISIBLE, description="the ID of the port forwarding rule"
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        rule = self.id
        ip_id = rule.ip_address_id
        assert ip_id is not None
        rules.revoke(
            ctx.session,
            ctx.runtime,
            rule_ids=[rule.id],
            network=rules.network_of(ctx.session, rule),
        )
        rules.untie_if_unused(ctx.session, ip_id=ip_id)
        return SuccessResult()


class UpdatePortForwardingRule(
    Command,
    api="updatePortForwardingRule",
    is_async=True,
    response=PortForwardingRuleResponse,
    authorized=ALL_ROLES,
    event="NET.RULEMODIFY",
    entity_type="FirewallRule",
    since="4.2",
):
    """Updates a port forwarding rule. Only the private port and the virtual machine can be
    updated.
    """

    id = uuid_of(
        NetworkRule, visible=_VISIBLE, description="the ID of the port forwarding rule"
    ).required()
    privateport = integer(description="the private start port of the port forwarding rule")
    privateendport = integer(
        description="the private end port of the port forwarding rule", since="4.13"
    )
    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine for the port forwarding rule"
    )
    vmguestip = string(
        description="VM guest nic Secondary ip address for the port forwarding rule",
        since="4.5",
    )
    fordisplay = boolean(
        description="an optional field, whether to the display the rule to the end user or not",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> PortForwardingRuleResponse:
        rule = self.id
        undo = rules.update_port_forward(
            ctx.session,
            rule=rule,
            vm=self.virtualmachineid,
            guest_ip=self.vmguestip,
            private_ports=(self.privateport, self.privateendport),
        )
        if self.fordisplay is not None:
            rule.display = self.fordisplay
        routers.apply_change(
            ctx.session, ctx.runtime, network=rules.network_of(ctx.session, rule), undo=undo
        )
        return forward_response(ctx, rule)


class ListPortForwardingRules(
    ListOwnedCommand,
    api="listPortForwardingRules",
    response=PortForwardingRuleResponse,
    authorized=ALL_ROLES,
    since="1.0",
):
    """Lists all port forwarding rules for an IP address."""

    id = uuid_of(NetworkRule, visible=_VISIBLE, description="Lists rule with the specified ID.")
    ipaddressid = uuid_of(
        PublicIpAddress, description="the ID of IP address of the port forwarding services"
    )
    networkid = uuid_of(
        Network, description="list port forwarding rules for certain network", since="4.3"
    )
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = rule_list_query(self, ctx, purpose="PortForwarding", by_id=self.id is not None)
        if self.id is not None:
            query = query.where(NetworkRule.id == self.id.id)
        if self.ipaddressid is not None:
            query = query.where(NetworkRule.ip_address_id == self.ipaddressid.id)
        if self.networkid is not None:
            query = query.where(NetworkRule.network_id == self.networkid.id)
        query = tag_filter(query, purpose="PortForwarding", entries=self.tags)
        query = display_filter(query, caller=ctx.caller, fordisplay=self.fordisplay)
        rows, count = self.page_of_query(ctx, query, NetworkRule.id)
        found = tags_of(
            ctx.session, resource_type="PortForwardingRule", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [
                PortForwardingRuleResponse.of(
                    ctx.session, row, caller=ctx.caller, tags=found.get(row.id, ())
                )
                for row in rows
            ],
            count,
        )
