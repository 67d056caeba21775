"""Network ACL commands: createNetworkACLList, listNetworkACLLists, updateNetworkACLList,
deleteNetworkACLList, replaceNetworkACLList, createNetworkACL, updateNetworkACLItem,
deleteNetworkACL, listNetworkACLs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import StringKind, boolean, integer, list_of, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import (
    Account,
    Domain,
    Network,
    NetworkAcl,
    NetworkAclItem,
    PrivateGateway,
    ResourceTag,
    Vpc,
)
from native.services.errors import InvalidParameterValue
from native.services.network import acls
from native.services.tags import tag_clause, tags_of, tags_param


class NetworkAclListResponse(ResponseObject, object_name="networkacllist"):
    id = Field("The ID of the ACL")
    name = Field("The Name of the ACL")
    description = Field("Description of the ACL")
    vpcid = Field("Id of the VPC this ACL is associated with")
    vpcname = Field("Name of the VPC this ACL is associated with")
    fordisplay = Field("Is ACL for display to the regular user", type="boolean", since="4.4")
    tags = Field("the list of resource tags associated with the ACL list", of=TagResponse)

    @classmethod
    def of(
        cls,
        session: Session,
        acl: NetworkAcl,
        *,
        admin: bool,
        tags: Sequence[ResourceTag] = (),
    ) -> NetworkAclListResponse:
        vpc = acls.vpc_of(session, acl)
        return cls(
            id=acl.uuid,
            name=acl.name,
            description=acl.description,
            vpcid=None if vpc is None else vpc.uuid,
            vpcname=None if vpc is None else vpc.name,
            fordisplay=acl.display if admin else None,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


class NetworkAclItemResponse(ResponseObject, object_name="networkacl"):
    id = Field("the ID of the ACL Item")
    protocol = Field("the protocol of the ACL")
    startport = Field("the starting port of ACL's port range")
    endport = Field("the ending port of ACL's port range")
    traffictype = Field("the traffic type for the ACL")
    state = Field("the state of the rule")
    cidrlist = Field(
        "the cidr list to forward traffic from. Multiple entries are separated by a single "
        "comma character (,)."
    )
    icmptype = Field("type of the icmp message being sent", type="integer")
    icmpcode = Field("error code for this icmp message", type="integer")
    tags = Field("the list of resource tags associated with the network ACLs", of=TagResponse)
    aclid = Field("the ID of the ACL this item belongs to")
    aclname = Field("the name of the ACL this item belongs to")
    number = Field("Number of the ACL Item", type="integer")
    action = Field("Action of ACL Item. Allow/Deny")
    fordisplay = Field("is rule for display to the regular user", type="boolean", since="4.4")
    reason = Field("an explanation on why this ACL rule is being applied", since="4.12")

    @classmethod
    def of(
        cls,
        session: Session,
        item: NetworkAclItem,
        *,
        admin: bool,
        tags: Sequence[ResourceTag] = (),
    ) -> NetworkAclItemResponse:
        acl = session.get(NetworkAcl, item.acl_id)
        assert acl is not None
        return cls(
            id=item.uuid,
            protocol=item.protocol,
            startport=None if item.start_port is None else str(item.start_port),
            endport=None if item.end_port is None else str(item.end_port),
            traffictype=item.traffic_type,
            state=item.state,
            cidrlist=item.cidrs,
            icmptype=item.icmp_type,
            icmpcode=item.icmp_code,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            aclid=acl.uuid,
            aclname=acl.name,
            number=item.number,
            action=item.action,
            fordisplay=item.display if admin else None,
            reason=item.reason,
        )


def item_response(ctx: CommandContext, item: NetworkAclItem) -> NetworkAclItemResponse:
    """The response for one ACL item, with its tags."""
    found = tags_of(ctx.session, resource_type="NetworkACL", resource_ids=[item.id])
    return NetworkAclItemResponse.of(
        ctx.session, item, admin=ctx.caller.is_root_admin, tags=found.get(item.id, ())
    )


def _owned_lists(ctx: CommandContext, scope: ColumnElement[bool]) -> Select[Any]:
    """ACL lists the scope may see (the default lists always), joined so that `scope`
    (a condition on the VPC owner's Account and Domain) applies."""
    return (
        select(NetworkAcl)
        .outerjoin(Vpc, Vpc.id == NetworkAcl.vpc_id)
        .outerjoin(Account, Account.id == Vpc.account_id)
        .outerjoin(Domain, Domain.id == Account.domain_id)
        .where(
            NetworkAcl.removed.is_(None),
            or_(NetworkAcl.vpc_id.is_(None), and_(Vpc.removed.is_(None), scope)),
        )
    )


class CreateNetworkAclList(
    Command,
    api="createNetworkACLList",
    is_async=True,
    response=NetworkAclListResponse,
    authorized=ALL_ROLES,
    event="NETWORK.ACL.CREATE",
    entity_type="NetworkAcl",
):
    """Creates a network ACL. If no VPC is given, then it creates a global ACL that can be
    used by everyone.

    Alto requires `vpcid`: the built-in `default_allow` and `default_deny` lists are the
    only global ones.
    """

    name = string(description="Name of the network ACL list").required()
    description = string(description="Description of the network ACL list")
    vpcid = uuid_of(
        Vpc, description="ID of the VPC associated with this network ACL list"
    ).required()
    fordisplay = boolean(
        description="an optional field, whether to the display the list to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> str:
        acl = acls.create_list(
            ctx.session,
            vpc=self.vpcid,
            name=self.name,
            description=self.description,
            display=self.fordisplay is not False,
        )
        return acl.uuid

    def execute(self, ctx: CommandContext) -> NetworkAclListResponse:
        acl = ctx.session.scalars(
            select(NetworkAcl).where(NetworkAcl.uuid == ctx.instance_id)
        ).one()
        return NetworkAclListResponse.of(ctx.session, acl, admin=ctx.caller.is_root_admin)


class ListNetworkAclLists(
    ListOwnedCommand,
    api="listNetworkACLLists",
    response=NetworkAclListResponse,
    authorized=ALL_ROLES,
):
    """Lists all network ACLs

    The default lists `default_allow` and `default_deny` are listed for everyone, with the
    lists of the VPCs the caller may see.
    """

    id = uuid_of(
        NetworkAcl, visible=acls.visible_acl, description="Lists network ACL with the specified ID."
    )
    networkid = uuid_of(Network, description="list network ACLs by network ID")
    vpcid = uuid_of(Vpc, description="list network ACLs by VPC ID")
    name = string(description="list network ACLs by specified name")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        by_id = self.id is not None or self.vpcid is not None or self.networkid is not None
        query = _owned_lists(ctx, scope_clause(self, ctx, by_id=by_id))
        if self.id is not None:
            query = query.where(NetworkAcl.id == self.id.id)
        if self.vpcid is not None:
            query = query.where(
                or_(NetworkAcl.vpc_id == self.vpcid.id, NetworkAcl.vpc_id.is_(None))
            )
        if self.networkid is not None:
            query = query.where(NetworkAcl.id == self.networkid.acl_id)
        if self.name is not None:
            query = query.where(NetworkAcl.name == self.name)
        if self.fordisplay is not None:
            query = query.where(NetworkAcl.display.is_(self.fordisplay))
        if self.keyword:
            query = query.where(
                or_(
                    NetworkAcl.name.contains(self.keyword, autoescape=True),
                    NetworkAcl.description.contains(self.keyword, autoescape=True),
                )
            )
        rows, count = self.page_of_query(ctx, query, NetworkAcl.id)
        found = tags_of(
            ctx.session, resource_type="NetworkACLList", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [
                NetworkAclListResponse.of(
                    ctx.session,
                    row,
                    admin=ctx.caller.is_root_admin,
                    tags=found.get(row.id, ()),
                )
                for row in rows
            ],
            count,
        )


class UpdateNetworkAclList(
    Command,
    api="updateNetworkACLList",
    is_async=True,
    response=NetworkAclListResponse,
    authorized=ALL_ROLES,
    event="NETWORK.ACL.UPDATE",
    entity_type="NetworkAcl",
):
    """Updates network ACL list

    The default lists cannot be changed.
    """

    id = uuid_of(
        NetworkAcl, visible=acls.visible_acl, description="the ID of the network ACL"
    ).required()
    name = string(description="Name of the network ACL list", since="4.11")
    description = string(description="Description of the network ACL list", since="4.11")
    fordisplay = boolean(
        description="an optional field, whether to the display the list to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> None:
        acls.check_changeable(self.id)

    def execute(self, ctx: CommandContext) -> NetworkAclListResponse:
        acl = self.id
        acls.check_changeable(acl)
        if self.name and self.name.strip():
            acl.name = self.name
        if self.description and self.description.strip():
            acl.description = self.description
        if self.fordisplay is not None:
            acl.display = self.fordisplay
        ctx.session.flush()
        return NetworkAclListResponse.of(ctx.session, acl, admin=ctx.caller.is_root_admin)


class DeleteNetworkAclList(
    Command,
    api="deleteNetworkACLList",
    is_async=True,
    authorized=ALL_ROLES,
    event="NETWORK.ACL.DELETE",
    entity_type="NetworkAcl",
):
    """Deletes a network ACL

    A list still used by a tier or a private gateway, and the default lists, cannot be
    deleted.
    """

    id = uuid_of(
        NetworkAcl, visible=acls.visible_acl, description="the ID of the network ACL"
    ).required()

    def create(self, ctx: CommandContext) -> None:
        acls.check_deletable(ctx.session, acl=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        acls.delete_list(ctx.session, acl=self.id)
        return SuccessResult()


class ReplaceNetworkAclList(
    Command,
    api="replaceNetworkACLList",
    is_async=True,
    authorized=ALL_ROLES,
    event="NETWORK.ACL.REPLACE",
    entity_type="NetworkAcl",
):
    """Replaces ACL associated with a network or private gateway

    The list must be one of the VPC's own or a default list; the VPC's router is applied
    with the new list.
    """

    aclid = uuid_of(
        NetworkAcl, visible=acls.visible_acl, description="the ID of the network ACL"
    ).required()
    networkid = uuid_of(Network, description="the ID of the network")
    gatewayid = uuid_of(PrivateGateway, description="the ID of the private gateway")

    def job_instance_id(self) -> str | None:
        return self.aclid.uuid

    def _check(self, ctx: CommandContext) -> None:
        if (self.networkid is None) == (self.gatewayid is None):
            raise InvalidParameterValue("Exactly one of networkid and gatewayid must be specified")
        if self.networkid is not None:
            if self.networkid.vpc_id is None:
                raise InvalidParameterValue(f"Network is not part of a VPC: {self.networkid.uuid}")
            acls.check_replaceable(
                ctx.session,
                acl=self.aclid,
                vpc_id=self.networkid.vpc_id,
                target=f"Network: {self.networkid.uuid}",
            )
        elif self.gatewayid is not None:
            if self.gatewayid.state != "Ready":
                raise InvalidParameterValue("Gateway is not in Ready state")
            acls.check_replaceable(
                ctx.session,
                acl=self.aclid,
                vpc_id=self.gatewayid.vpc_id,
                target=f"private gateway: {self.gatewayid.uuid}",
            )

    def create(self, ctx: CommandContext) -> None:
        self._check(ctx)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        if self.networkid is not None:
            acls.replace_on_tier(ctx.session, ctx.runtime, acl=self.aclid, tier=self.networkid)
        elif self.gatewayid is not None:
            acls.replace_on_gateway(
                ctx.session, ctx.runtime, acl=self.aclid, gateway=self.gatewayid
            )
        return SuccessResult()


class _ItemFields(Command):
    """The fields of an ACL item shared by createNetworkACL and updateNetworkACLItem."""

    protocol = string(
        description="the protocol for the ACL rule. Valid values are TCP/UDP/ICMP/ALL or valid "
        "protocol number"
    )
    startport = integer(description="the starting port of ACL")
    endport = integer(description="the ending port of ACL")
    cidrlist = list_of(
        StringKind(),
        description="the cidr list to allow traffic from/to. Multiple entries must be separated "
        "by a single comma character (,).",
    )
    icmptype = integer(description="type of the ICMP message being sent")
    icmpcode = integer(description="error code for this ICMP message")
    traffictype = string(
        description="the traffic type for the ACL, can be ingress or egress, defaulted to "
        "ingress if not specified"
    )
    number = integer(description="The number of the ACL item, its ordering")
    action = string(description="scl entry action, allow or deny")
    fordisplay = boolean(
        description="an optional field, whether to the display the rule to the end user or not",
        since="4.4",
    )
    reason = string(
        description="A description indicating why the ACL rule is required.", since="4.12"
    )

    def spec(self) -> acls.ItemSpec:
        return acls.ItemSpec(
            protocol=self.protocol,
            start_port=self.startport,
            end_port=self.endport,
            icmp_type=self.icmptype,
            icmp_code=self.icmpcode,
            cidrs=self.cidrlist,
            traffic_type=self.traffictype,
            action=self.action,
            number=self.number,
            reason=self.reason,
            display=self.fordisplay,
        )


class CreateNetworkAcl(
    _ItemFields,
    api="createNetworkACL",
    is_async=True,
    response=NetworkAclItemResponse,
    authorized=ALL_ROLES,
    event="NETWORK.ACL.ITEM.CREATE",
    entity_type="NetworkAclItem",
):
    """Creates a ACL rule in the given network (the network has to belong to VPC)

    The rule joins list `aclid` (or the list of tier `networkid`) with `number` (the
    list's highest plus one by default); the VPC's router is applied with it.
    """

    protocol = string(
        description="the protocol for the ACL rule. Valid values are TCP/UDP/ICMP/ALL or valid "
        "protocol number"
    ).required()
    networkid = uuid_of(Network, description="The network of the VM the ACL will be created for")
    aclid = uuid_of(
        NetworkAcl,
        visible=acls.visible_acl,
        description="The network ACL list the rule joins",
    )

    def create(self, ctx: CommandContext) -> str:
        if self.aclid is not None:
            acl = self.aclid
        elif self.networkid is not None:
            acl = acls.list_of_tier(ctx.session, tier=self.networkid)
        else:
            raise InvalidParameterValue(
                "Cannot create Network ACL Item. ACL Id or network Id is required"
            )
        return acls.create_item(ctx.session, acl=acl, spec=self.spec()).uuid

    def execute(self, ctx: CommandContext) -> NetworkAclItemResponse:
        item = ctx.session.scalars(
            select(NetworkAclItem).where(NetworkAclItem.uuid == ctx.instance_id)
        ).one()
        acl = ctx.session.get(NetworkAcl, item.acl_id)
        assert acl is not None
        item_id = item.id
        acls.apply_acl(
            ctx.session,
            ctx.runtime,
            acl=acl,
            undo=lambda session: acls.remove_item(session, item_id=item_id),
        )
        acls.set_state(ctx.session, item_id=item_id, state=acls.ACTIVE)
        return item_response(ctx, item)


class UpdateNetworkAclItem(
    _ItemFields,
    api="updateNetworkACLItem",
    is_async=True,
    response=NetworkAclItemResponse,
    authorized=ALL_ROLES,
    event="NETWORK.ACL.ITEM.UPDATE",
    entity_type="NetworkAclItem",
):
    """Updates ACL item with specified ID

    With `partialupgrade` (the default) fields not given keep their values; without, they
    are reset. The VPC's router is applied with the change; if that fails the item is
    put back as it was.
    """

    id = uuid_of(
        NetworkAclItem, visible=acls.visible_item, description="the ID of the network ACL item"
    ).required()
    partialupgrade = boolean(
        description="Indicates if the ACL rule is to be updated partially (merging the "
        "parameters sent with current configuration) or completely (disconsidering all of the "
        "current configurations). The default value is 'true'.",
        since="4.12",
    )

    def merged(self) -> acls.ItemSpec:
        return acls.merged_spec(self.id, self.spec(), partial=self.partialupgrade is not False)

    def create(self, ctx: CommandContext) -> None:
        acls.check_update(ctx.session, item=self.id, spec=self.merged())

    def execute(self, ctx: CommandContext) -> NetworkAclItemResponse:
        item = self.id
        acl = ctx.session.get(NetworkAcl, item.acl_id)
        assert acl is not None
        saved, item_id = acls.snapshot(item), item.id
        acls.update_item(ctx.session, item=item, spec=self.merged())
        acls.apply_acl(
            ctx.session,
            ctx.runtime,
            acl=acl,
            undo=lambda session: acls.restore(session, item_id=item_id, saved=saved),
        )
        acls.set_state(ctx.session, item_id=item_id, state=acls.ACTIVE)
        return item_response(ctx, item)


class DeleteNetworkAcl(
    Command,
    api="deleteNetworkACL",
    is_async=True,
    authorized=ALL_ROLES,
    event="NETWORK.ACL.ITEM.DELETE",
    entity_type="NetworkAclItem",
):
    """Deletes a network ACL

    The item is taken out of its VPC's router, then removed.
    """

    id = uuid_of(
        NetworkAclItem, visible=acls.visible_item, description="the ID of the network ACL"
    ).required()

    def _acl(self, ctx: CommandContext) -> NetworkAcl:
        acl = ctx.session.get(NetworkAcl, self.id.acl_id)
        assert acl is not None
        if acl.vpc_id is None:
            raise InvalidParameterValue("ACL Items in default ACL cannot be deleted")
        return acl

    def create(self, ctx: CommandContext) -> None:
        self._acl(ctx)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        acl, item_id = self._acl(ctx), self.id.id
        acls.set_state(ctx.session, item_id=item_id, state=acls.REVOKE)
        acls.apply_acl(
            ctx.session,
            ctx.runtime,
            acl=acl,
            undo=lambda session: acls.set_state(session, item_id=item_id, state=acls.ACTIVE),
        )
        acls.remove_item(ctx.session, item_id=item_id)
        return SuccessResult()


class ListNetworkAcls(
    ListOwnedCommand, api="listNetworkACLs", response=NetworkAclItemResponse, authorized=ALL_ROLES
):
    """Lists all network ACL items

    Items of the default lists are listed for everyone, with those of the lists of the
    VPCs the caller may see.
    """

    id = uuid_of(
        NetworkAclItem,
        visible=acls.visible_item,
        description="Lists network ACL Item with the specified ID",
    )
    networkid = uuid_of(Network, description="list network ACL items by network ID")
    aclid = uuid_of(
        NetworkAcl, visible=acls.visible_acl, description="list network ACL items by ACL ID"
    )
    traffictype = string(description="list network ACL items by traffic type - ingress or egress")
    protocol = string(description="list network ACL items by protocol")
    action = string(description="list network ACL items by action")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[Any]:
        by_id = self.id is not None or self.aclid is not None or self.networkid is not None
        lists = _owned_lists(ctx, scope_clause(self, ctx, by_id=by_id)).with_only_columns(
            NetworkAcl.id
        )
        query = select(NetworkAclItem).where(NetworkAclItem.acl_id.in_(lists))
        if self.networkid is not None:
            query = query.where(NetworkAclItem.acl_id == self.networkid.acl_id)
        exact: dict[Any, object] = {
            NetworkAclItem.id: None if self.id is None else self.id.id,
            NetworkAclItem.acl_id: None if self.aclid is None else self.aclid.id,
            NetworkAclItem.display: self.fordisplay,
        }
        for column, value in exact.items():
            if value is not None:
                query = query.where(column == value)
        folded = {
            NetworkAclItem.traffic_type: self.traffictype,
            NetworkAclItem.protocol: self.protocol,
            NetworkAclItem.action: self.action,
        }
        for folded_column, text in folded.items():
            if text is not None:
                query = query.where(func.lower(folded_column) == text.strip().lower())
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="NetworkACL",
                    id_column=NetworkAclItem.id,
                    tags=tags_param(self.tags),
                )
            )
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(
            ctx, self.query(ctx), NetworkAclItem.acl_id, NetworkAclItem.number
        )
        found = tags_of(
            ctx.session, resource_type="NetworkACL", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [
                NetworkAclItemResponse.of(
                    ctx.session, row, admin=ctx.caller.is_root_admin, tags=found.get(row.id, ())
                )
                for row in rows
            ],
            count,
        )
