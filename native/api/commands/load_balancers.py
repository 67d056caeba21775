"""Load balancer rule commands: createLoadBalancerRule, listLoadBalancerRules,
updateLoadBalancerRule, deleteLoadBalancerRule, assignToLoadBalancerRule,
removeFromLoadBalancerRule and listLoadBalancerRuleInstances.

Every change is an async job applied to the router of the rule's network; bad input and
conflicts (537) are refused before the job is queued. Their policies are in
`lb_policies`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand, ListOwnedCommand
from native.api.commands.ssh_keys import owner_account
from native.api.commands.tags import TagResponse
from native.api.commands.virtual_machines import VmResponse
from native.api.commands.volumes import scope_clause
from native.api.params import (
    StringKind,
    boolean,
    integer,
    list_of,
    map_of,
    string,
    uuid_of,
    uuids_of,
)
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone
from native.model import (
    Account,
    Domain,
    LbVmMap,
    Network,
    NetworkRule,
    PublicIpAddress,
    ResourceTag,
    VirtualMachine,
    Zone,
)
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import load_balancers
from native.services.network.load_balancers import PURPOSE, REVOKE, TAG_TYPE
from native.services.tags import tag_clause, tags_of, tags_param
from native.services.visibility import can_see


def visible_lb_rule(session: Session, caller: Caller, rule: NetworkRule) -> bool:
    """A load balancer rule of an account the caller may see."""
    return rule.purpose == PURPOSE and can_see(caller, rule, session)


def visible_public_ip(session: Session, caller: Caller, ip: PublicIpAddress) -> bool:
    """An allocated public IP of an account the caller may see."""
    return ip.state == "Allocated" and can_see(caller, ip, session)


class LoadBalancerResponse(ResponseObject, object_name="loadbalancer"):
    id = Field("the load balancer rule ID")
    name = Field("the name of the load balancer")
    description = Field("the description of the load balancer")
    publicipid = Field("the public ip address id")
    publicip = Field("the public ip address")
    publicport = Field("the public port")
    privateport = Field("the private port")
    algorithm = Field("the load balancer algorithm (source, roundrobin, leastconn)")
    networkid = Field("the id of the guest network the lb rule belongs to")
    cidrlist = Field(
        "the CIDR list to allow traffic, all other CIDRs will be blocked. Multiple entries "
        "must be separated by a single comma character (,)."
    )
    account = Field("the account of the load balancer rule")
    domainid = Field("the domain ID of the load balancer rule")
    domain = Field("the domain of the load balancer rule")
    state = Field("the state of the rule")
    zoneid = Field("the id of the zone the rule belongs to")
    zonename = Field("the name of the zone the load balancer rule belongs to", since="4.11")
    protocol = Field("the protocol of the loadbalanacer rule")
    tags = Field("the list of resource tags associated with load balancer", of=TagResponse)
    fordisplay = Field("is rule for display to the regular user", type="boolean", since="4.4")

    @classmethod
    def of(
        cls, session: Session, rule: NetworkRule, *, caller: Caller, tags: Sequence[ResourceTag]
    ) -> LoadBalancerResponse:
        ip = session.get(PublicIpAddress, rule.ip_address_id)
        network = session.get(Network, rule.network_id)
        account = session.get(Account, rule.account_id)
        assert ip is not None and network is not None and account is not None
        zone = session.get(Zone, ip.zone_id)
        assert zone is not None
        return cls(
            id=rule.uuid,
            name=rule.name,
            description=rule.description,
            publicipid=ip.uuid,
            publicip=ip.address,
            publicport=str(rule.start_port),
            privateport=str(rule.private_start_port),
            algorithm=rule.algorithm,
            networkid=network.uuid,
            cidrlist=rule.source_cidrs or "",
            account=account.name,
            domainid=account.domain.uuid,
            domain=account.domain.name,
            state="Deleting" if rule.state == REVOKE else rule.state,
            zoneid=zone.uuid,
            zonename=zone.name,
            protocol=rule.lb_protocol,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            fordisplay=rule.display if caller.is_root_admin else None,
        )


class LoadBalancerRuleResponse(LoadBalancerResponse, object_name="loadbalancerrule"):
    """A load balancer rule as listLoadBalancerRules names it."""


def rule_response(ctx: CommandContext, rule: NetworkRule) -> LoadBalancerResponse:
    """The response for one rule, with its tags."""
    found = tags_of(ctx.session, resource_type=TAG_TYPE, resource_ids=[rule.id])
    return LoadBalancerResponse.of(
        ctx.session, rule, caller=ctx.caller, tags=found.get(rule.id, ())
    )


def display_flag(ctx: CommandContext, value: bool | None) -> bool:
    """`fordisplay` is for root admins; for anyone else a rule is always displayed."""
    return True if value is None or not ctx.caller.is_root_admin else value


class CreateLoadBalancerRule(
    Command,
    api="createLoadBalancerRule",
    is_async=True,
    response=LoadBalancerResponse,
    authorized=ALL_ROLES,
    event="LB.CREATE",
    entity_type="FirewallRule",
):
    """Creates a load balancer rule

    The rule belongs to the public IP's owner and serves the IP's network (`networkid`: a
    tier of the IP's VPC). With `openfirewall` (default true, false in a VPC) an ingress
    firewall rule opens the public port from `cidrlist`.
    """

    algorithm = string(
        description="load balancer algorithm (source, roundrobin, leastconn)"
    ).required()
    description = string(description="the description of the load balancer rule", length=4096)
    name = string(description="name of the load balancer rule").required()
    privateport = integer(
        description="the private port of the private IP address/virtual machine where the "
        "network traffic will be load balanced to"
    ).required()
    publicipid = uuid_of(
        PublicIpAddress,
        visible=visible_public_ip,
        description="public IP address ID from where the network traffic will be load "
        "balanced from",
    )
    publicport = integer(
        description="the public port from where the network traffic will be load balanced from"
    ).required()
    openfirewall = boolean(
        description="if true, firewall rule for source/end public port is automatically "
        "created; if false - firewall rule has to be created explicitly. If not specified 1) "
        "defaulted to false when LB rule is being created for VPC guest network 2) in all "
        "other cases defaulted to true"
    )
    account = string(
        description="the account associated with the load balancer. Must be used with the "
        "domainId parameter."
    )
    domainid = uuid_of(Domain, description="the domain ID associated with the load balancer")
    cidrlist = list_of(
        StringKind(),
        description="the CIDR list to allow traffic, all other CIDRs will be blocked. Multiple "
        "entries must be separated by a single comma character (,). By default, all CIDRs are "
        "allowed.",
        since="4.18.0.0",
    )
    networkid = uuid_of(
        Network,
        description="The guest network this rule will be created for. Required when public Ip "
        "address is not associated with any Guest network yet (VPC case)",
    )
    protocol = string(description="The protocol for the LB such as tcp, udp or tcp-proxy.")
    fordisplay = boolean(
        description="an optional field, whether to the display the rule to the end user or not",
        since="4.4",
    )

    def _check_owner(self, ctx: CommandContext, ip: PublicIpAddress) -> None:
        if self.account is None and self.domainid is None:
            return
        owner = owner_account(ctx, name=self.account, domain=self.domainid)
        if owner.id != ip.account_id:
            raise InvalidParameterValue(
                f"IP address {ip.address} does not belong to account {owner.name}"
            )

    def create(self, ctx: CommandContext) -> str:
        if self.publicipid is None:
            raise InvalidParameterValue(
                "Unable to execute API command createloadbalancerrule due to missing "
                "parameter publicipid"
            )
        self._check_owner(ctx, self.publicipid)
        rule = load_balancers.create_rule(
            ctx.session,
            spec=load_balancers.NewRule(
                name=self.name,
                description=self.description,
                ip=self.publicipid,
                network=self.networkid,
                algorithm=self.algorithm,
                public_port=self.publicport,
                private_port=self.privateport,
                protocol=self.protocol,
                open_firewall=self.openfirewall,
                cidrs=self.cidrlist,
                display=display_flag(ctx, self.fordisplay),
            ),
        )
        return rule.uuid

    def execute(self, ctx: CommandContext) -> LoadBalancerResponse:
        rule = load_balancers.find_rule(ctx.session, uuid=ctx.instance_id)
        load_balancers.activate_rule(ctx.session, ctx.runtime, rule=rule)
        return rule_response(ctx, rule)


class ListLoadBalancerRules(
    ListOwnedCommand,
    api="listLoadBalancerRules",
    response=LoadBalancerRuleResponse,
    authorized=ALL_ROLES,
):
    """Lists load balancer rules.

    Without `listall`, `account` or `domainid` a caller sees its own account's rules (all
    it may see when asking by `id`). `fordisplay` is for root admins.
    """

    id = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    )
    name = string(description="the name of the load balancer rule")
    publicipid = uuid_of(
        PublicIpAddress,
        visible=visible_public_ip,
        description="the public IP address ID of the load balancer rule",
    )
    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine of the load balancer rule"
    )
    zoneid = uuid_of(Zone, visible=enabled_zone, description="the availability zone ID")
    networkid = uuid_of(Network, description="list by network ID the rule belongs to")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[NetworkRule]:
        query = (
            select(NetworkRule)
            .join(Account, Account.id == NetworkRule.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(
                NetworkRule.purpose == PURPOSE,
                scope_clause(self, ctx, by_id=self.id is not None),
            )
        )
        if self.id is not None:
            query = query.where(NetworkRule.id == self.id.id)
        if self.name is not None:
            query = query.where(NetworkRule.name == self.name)
        if self.keyword:
            query = query.where(
                or_(
                    NetworkRule.name.contains(self.keyword, autoescape=True),
                    NetworkRule.description.contains(self.keyword, autoescape=True),
                )
            )
        if self.publicipid is not None:
            query = query.where(NetworkRule.ip_address_id == self.publicipid.id)
        if self.networkid is not None:
            query = query.where(NetworkRule.network_id == self.networkid.id)
        if self.virtualmachineid is not None:
            query = query.where(
                exists().where(
                    LbVmMap.rule_id == NetworkRule.id,
                    LbVmMap.vm_id == self.virtualmachineid.id,
                )
            )
        if self.zoneid is not None:
            query = query.join(
                PublicIpAddress, PublicIpAddress.id == NetworkRule.ip_address_id
            ).where(PublicIpAddress.zone_id == self.zoneid.id)
        if ctx.caller.is_root_admin and self.fordisplay is not None:
            query = query.where(NetworkRule.display.is_(self.fordisplay))
        elif not ctx.caller.is_root_admin:
            query = query.where(NetworkRule.display.is_(True))
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type=TAG_TYPE, id_column=NetworkRule.id, tags=tags_param(self.tags)
                )
            )
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), NetworkRule.id)
        found = tags_of(ctx.session, resource_type=TAG_TYPE, resource_ids=[r.id for r in rows])
        return ListResult(
            [
                LoadBalancerRuleResponse.of(
                    ctx.session, row, caller=ctx.caller, tags=found.get(row.id, ())
                )
                for row in rows
            ],
            count,
        )


class UpdateLoadBalancerRule(
    Command,
    api="updateLoadBalancerRule",
    is_async=True,
    response=LoadBalancerResponse,
    authorized=ALL_ROLES,
    event="LB.UPDATE",
    entity_type="FirewallRule",
):
    """Updates load balancer

    A new algorithm is applied to the router; name, description and `fordisplay` (root
    admins) are only stored.
    """

    id = uuid_of(
        NetworkRule,
        visible=visible_lb_rule,
        description="the ID of the load balancer rule to update",
    ).required()
    algorithm = string(description="load balancer algorithm (source, roundrobin, leastconn)")
    description = string(description="the description of the load balancer rule", length=4096)
    name = string(description="the name of the load balancer rule")
    fordisplay = boolean(
        description="an optional field, whether to the display the rule to the end user or not",
        since="4.4",
    )

    def change(self, ctx: CommandContext) -> load_balancers.RuleChange:
        return load_balancers.RuleChange(
            name=self.name,
            description=self.description,
            algorithm=self.algorithm,
            display=self.fordisplay if ctx.caller.is_root_admin else None,
        )

    def create(self, ctx: CommandContext) -> None:
        load_balancers.check_change(self.change(ctx))

    def execute(self, ctx: CommandContext) -> LoadBalancerResponse:
        load_balancers.update_rule(ctx.session, ctx.runtime, rule=self.id, change=self.change(ctx))
        return rule_response(ctx, self.id)


class DeleteLoadBalancerRule(
    Command,
    api="deleteLoadBalancerRule",
    is_async=True,
    authorized=ALL_ROLES,
    event="LB.DELETE",
    entity_type="FirewallRule",
):
    """Deletes a load balancer rule.

    Its members, stickiness and health check policies, tags and the firewall rule
    `openfirewall` made go with it.
    """

    id = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        load_balancers.delete_rule(ctx.session, ctx.runtime, rule=self.id)
        return SuccessResult()


def _vm_ip_pairs(
    ctx: CommandContext, entries: Sequence[Mapping[str, str]] | None
) -> list[tuple[VirtualMachine, str]]:
    """`vmidipmap[i].vmid` / `vmidipmap[i].vmip` as (VM, address) pairs; 431 for an
    unknown VM or a missing address."""
    pairs = []
    for entry in entries or ():
        lowered = {key.lower(): value.strip() for key, value in entry.items()}
        uuid, ip = lowered.get("vmid", ""), lowered.get("vmip") or lowered.get("ip")
        vm = ctx.session.scalars(
            select(VirtualMachine).where(
                VirtualMachine.uuid == uuid, VirtualMachine.removed.is_(None)
            )
        ).first()
        if vm is None or not can_see(ctx.caller, vm, ctx.session):
            raise InvalidParameterValue(f"Unable to find virtual machine {uuid} of vmidipmap")
        if not ip:
            raise InvalidParameterValue(f"Invalid ip address {ip} passed in vmidipmap for {uuid}")
        pairs.append((vm, ip))
    return pairs


class _Membership(Command):
    """The parameters naming a rule's members (assign and remove)."""

    id = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    ).required()
    virtualmachineids = uuids_of(
        VirtualMachine,
        description="the list of IDs of the virtual machine that are being assigned to the "
        "load balancer rule(i.e. virtualMachineIds=1,2,3)",
    )
    vmidipmap = map_of(
        description="VM ID and IP map, vmidipmap[0].vmid=1 vmidipmap[0].vmip=10.1.1.75",
        since="4.4",
    )

    def members(self, ctx: CommandContext) -> list[load_balancers.Member]:
        return load_balancers.resolve_members(
            ctx.session,
            rule=self.id,
            vms=self.virtualmachineids or [],
            vm_ips=_vm_ip_pairs(ctx, self.vmidipmap),
        )

    def rows(self, ctx: CommandContext) -> list[LbVmMap]:
        return load_balancers.mapped_rows(
            ctx.session,
            rule=self.id,
            vms=self.virtualmachineids or [],
            vm_ips=_vm_ip_pairs(ctx, self.vmidipmap),
        )


class AssignToLoadBalancerRule(
    _Membership,
    api="assignToLoadBalancerRule",
    is_async=True,
    authorized=ALL_ROLES,
    event="LB.ASSIGN.TO.RULE",
    entity_type="FirewallRule",
):
    """Assigns virtual machine or a list of virtual machines to a load balancer rule.

    Each VM must belong to the rule's owner and have a NIC on the rule's network; it is
    balanced to at that NIC's address (`vmidipmap` names the address).
    """

    def create(self, ctx: CommandContext) -> None:
        load_balancers.add_members(ctx.session, rule=self.id, members=self.members(ctx))

    def execute(self, ctx: CommandContext) -> SuccessResult:
        load_balancers.activate_members(
            ctx.session, ctx.runtime, rule=self.id, members=self.members(ctx)
        )
        return SuccessResult()


class RemoveFromLoadBalancerRule(
    _Membership,
    api="removeFromLoadBalancerRule",
    is_async=True,
    authorized=ALL_ROLES,
    event="LB.REMOVE.FROM.RULE",
    entity_type="FirewallRule",
):
    """Removes a virtual machine or a list of virtual machines from a load balancer rule."""

    def create(self, ctx: CommandContext) -> None:
        self.rows(ctx)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        load_balancers.remove_members(ctx.session, ctx.runtime, rule=self.id, rows=self.rows(ctx))
        return SuccessResult()


class LbRuleInstanceResponse(VmResponse, object_name="loadbalancerruleinstance"):
    """A VM behind (or, with `applied=false`, available to) a load balancer rule."""


class LbRuleVmIpResponse(ResponseObject, object_name="lbrulevmidip"):
    loadbalancerruleinstance = Field("the user vm set for lb rule", type="object")
    lbvmipaddresses = Field("IP addresses of the vm set of lb rule", type="list")


class ListLoadBalancerRuleInstances(
    ListCommand,
    api="listLoadBalancerRuleInstances",
    response=LbRuleInstanceResponse,
    authorized=ALL_ROLES,
):
    """List all virtual machine instances that are assigned to a load balancer rule.

    With `applied=false`, the owner's VMs on the rule's network that are not assigned;
    with `lbvmips=true`, each VM comes with the addresses it is balanced to.
    """

    id = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    ).required()
    applied = boolean(
        description="true if listing all virtual machines currently applied to the load "
        "balancer rule; default is true"
    )
    lbvmips = boolean(
        description="true if load balancer rule VM IP information to be included; default is false"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        found: list[tuple[VirtualMachine, list[str]]]
        if self.applied is False:
            found = [(vm, []) for vm in load_balancers.candidates_of(ctx.session, rule=self.id)]
        else:
            found = load_balancers.members_of(ctx.session, rule=self.id)
        page = self.page_of_items(ctx, found)
        vms = VmResponse.page(ctx.session, [vm for vm, _ in page], caller=ctx.caller)
        instances = [LbRuleInstanceResponse(**vm.values) for vm in vms]
        if not self.lbvmips:
            return ListResult(instances, len(found))
        return ListResult(
            [
                LbRuleVmIpResponse(loadbalancerruleinstance=instance, lbvmipaddresses=ips)
                for instance, (_, ips) in zip(instances, page, strict=True)
            ],
            len(found),
        )
