"""VPC private gateway and static route commands: createPrivateGateway,
listPrivateGateways, deletePrivateGateway, createStaticRoute, listStaticRoutes,
deleteStaticRoute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import (
    ALL_ROLES,
    ROOT_ADMIN,
    Command,
    CommandContext,
    ListOwnedCommand,
)
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import boolean, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import (
    Account,
    Domain,
    InternetGateway,
    NetworkAcl,
    PhysicalNetwork,
    PrivateGateway,
    ResourceTag,
    StaticRoute,
    Vpc,
    VpcRouteTable,
    Zone,
)
from native.services.errors import InvalidParameterValue
from native.services.network import acls, route_tables, routers, vpc_gateways
from native.services.tags import tag_clause, tags_of, tags_param


class PrivateGatewayResponse(ResponseObject, object_name="privategateway"):
    id = Field("the id of the private gateway")
    gateway = Field("the gateway")
    netmask = Field("the private gateway's netmask")
    ipaddress = Field("the private gateway's ip address")
    zoneid = Field("zone id of the private gateway")
    zonename = Field("the name of the zone the private gateway belongs to")
    vlan = Field("the network implementation uri for the private gateway")
    vpcid = Field("VPC id the private gateway belongs to")
    vpcname = Field("VPC name the private gateway belongs to")
    physicalnetworkid = Field("the physical network id")
    account = Field("the account associated with the private gateway")
    domainid = Field("the ID of the domain associated with the private gateway")
    domain = Field("the domain associated with the private gateway")
    state = Field("State of the gateway, can be Creating, Ready, Deleting")
    sourcenatsupported = Field("Souce Nat enable status", type="boolean")
    aclid = Field("ACL Id set for private gateway")
    aclname = Field("ACL name set for private gateway")

    @classmethod
    def of(cls, session: Session, row: PrivateGateway) -> PrivateGatewayResponse:
        zone = session.get(Zone, row.zone_id)
        vpc = session.get(Vpc, row.vpc_id)
        owner = session.get(Account, row.account_id)
        assert zone is not None and vpc is not None and owner is not None
        physical = (
            None
            if row.physical_network_id is None
            else session.get(PhysicalNetwork, row.physical_network_id)
        )
        acl = None if row.acl_id is None else session.get(NetworkAcl, row.acl_id)
        return cls(
            id=row.uuid,
            gateway=row.gateway,
            netmask=row.netmask,
            ipaddress=row.ip_address,
            zoneid=zone.uuid,
            zonename=zone.name,
            vlan=row.vlan,
            vpcid=vpc.uuid,
            vpcname=vpc.name,
            physicalnetworkid=None if physical is None else physical.uuid,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            state=row.state,
            sourcenatsupported=row.source_nat_supported,
            aclid=None if acl is None else acl.uuid,
            aclname=None if acl is None else acl.name,
        )


class StaticRouteResponse(ResponseObject, object_name="staticroute"):
    id = Field("the ID of static route")
    state = Field("the state of the static route")
    vpcid = Field("VPC the static route belongs to")
    gatewayid = Field("VPC gateway the route is created for")
    gatewayip = Field("IP of VPC gateway the route is created for", since="4.21.0")
    nexthop = Field("Next hop of the static route", since="4.21.0")
    internetgatewayid = Field("the internet gateway the route leads out through (Alto)")
    routetableid = Field("the route table the static route is in (Alto)")
    cidr = Field("static route CIDR")
    account = Field("the account associated with the static route")
    domainid = Field("the ID of the domain associated with the static route")
    domain = Field("the domain associated with the static route")
    domainpath = Field("the domain path associated with the static route", since="4.19.2.0")
    tags = Field("the list of resource tags associated with static route", of=TagResponse)

    @classmethod
    def of(
        cls, session: Session, route: StaticRoute, *, tags: Sequence[ResourceTag] = ()
    ) -> StaticRouteResponse:
        vpc = session.get(Vpc, route.vpc_id)
        owner = session.get(Account, route.account_id)
        assert vpc is not None and owner is not None
        gateway = (
            None if route.gateway_id is None else session.get(PrivateGateway, route.gateway_id)
        )
        internet = (
            None
            if route.internet_gateway_id is None
            else session.get(InternetGateway, route.internet_gateway_id)
        )
        table = session.get(VpcRouteTable, route.route_table_id)
        assert table is not None
        return cls(
            id=route.uuid,
            state=route.state,
            vpcid=vpc.uuid,
            gatewayid=None if gateway is None else gateway.uuid,
            gatewayip=None if gateway is None else gateway.gateway,
            nexthop=route.next_hop,
            internetgatewayid=None if internet is None else internet.uuid,
            routetableid=table.uuid,
            cidr=route.cidr,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            domainpath=owner.domain.path,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


def route_response(ctx: CommandContext, route: StaticRoute) -> StaticRouteResponse:
    """The response for one static route, with its tags."""
    found = tags_of(ctx.session, resource_type="StaticRoute", resource_ids=[route.id])
    return StaticRouteResponse.of(ctx.session, route, tags=found.get(route.id, ()))


def _vpc_of(ctx: CommandContext, vpc_id: int) -> Vpc:
    vpc = ctx.session.get(Vpc, vpc_id)
    assert vpc is not None
    return vpc


class CreatePrivateGateway(
    Command,
    api="createPrivateGateway",
    is_async=True,
    response=PrivateGatewayResponse,
    authorized=ROOT_ADMIN,
    event="PRIVATE.GATEWAY.CREATE",
    entity_type="PrivateGateway",
):
    """Creates a private gateway

    The VPC's router gets address `ipaddress` on VLAN `vlan` of the physical network (the
    zone's guest one by default), reaching `gateway`; traffic through it is filtered by
    ACL list `aclid` (`default_deny` by default).
    """

    vpcid = uuid_of(Vpc, description="the VPC network belongs to").required()
    ipaddress = string(description="the IP address of the Private gateaway").required()
    gateway = string(description="the gateway of the Private gateway").required()
    netmask = string(description="the netmask of the Private gateway").required()
    vlan = string(description="the network implementation uri for the private gateway").required()
    physicalnetworkid = uuid_of(
        PhysicalNetwork, description="the Physical Network ID the network belongs to"
    )
    aclid = uuid_of(
        NetworkAcl, visible=acls.visible_acl, description="the ID of the network ACL", since="4.4"
    )
    sourcenatsupported = boolean(
        description="source NAT supported value. Default value false. If 'true' source NAT is "
        "enabled on the private gateway 'false': sourcenat is not supported",
        since="4.3",
    )

    def create(self, ctx: CommandContext) -> str:
        row = vpc_gateways.create_private_gateway(
            ctx.session,
            vpc=self.vpcid,
            physical=self.physicalnetworkid,
            vlan=self.vlan,
            ip_address=self.ipaddress,
            gateway=self.gateway,
            netmask=self.netmask,
            acl=self.aclid,
            source_nat=bool(self.sourcenatsupported),
        )
        return row.uuid

    def execute(self, ctx: CommandContext) -> PrivateGatewayResponse:
        row = ctx.session.scalars(
            select(PrivateGateway).where(PrivateGateway.uuid == ctx.instance_id)
        ).one()
        row_id = row.id
        routers.apply_change(
            ctx.session,
            ctx.runtime,
            vpc=_vpc_of(ctx, row.vpc_id),
            undo=lambda session: vpc_gateways.discard_gateway(session, gateway_id=row_id),
        )
        row.state = vpc_gateways.READY
        ctx.session.flush()
        return PrivateGatewayResponse.of(ctx.session, row)


class ListPrivateGateways(
    ListOwnedCommand,
    api="listPrivateGateways",
    response=PrivateGatewayResponse,
    authorized=ALL_ROLES,
):
    """List private gateways"""

    id = uuid_of(PrivateGateway, description="list private gateway by id")
    ipaddress = string(description="list gateways by ip address")
    vlan = string(description="list gateways by vlan")
    vpcid = uuid_of(Vpc, description="list gateways by vpc")
    state = string(description="list gateways by state")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(PrivateGateway)
            .join(Account, Account.id == PrivateGateway.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(
                PrivateGateway.removed.is_(None),
                scope_clause(self, ctx, by_id=self.id is not None or self.vpcid is not None),
            )
        )
        exact = {
            PrivateGateway.id: None if self.id is None else self.id.id,
            PrivateGateway.ip_address: self.ipaddress,
            PrivateGateway.vpc_id: None if self.vpcid is None else self.vpcid.id,
            PrivateGateway.state: self.state,
            PrivateGateway.vlan: None
            if self.vlan is None
            else f"vlan://{vpc_gateways.parse_vlan(self.vlan)}",
        }
        for column, value in exact.items():
            if value is not None:
                query = query.where(column == value)
        rows, count = self.page_of_query(ctx, query, PrivateGateway.id)
        return ListResult([PrivateGatewayResponse.of(ctx.session, row) for row in rows], count)


class DeletePrivateGateway(
    Command,
    api="deletePrivateGateway",
    is_async=True,
    authorized=ROOT_ADMIN,
    event="PRIVATE.GATEWAY.DELETE",
    entity_type="PrivateGateway",
):
    """Deletes a Private gateway

    A gateway that static routes still use cannot be deleted.
    """

    id = uuid_of(PrivateGateway, description="the ID of the private gateway").required()

    def create(self, ctx: CommandContext) -> None:
        vpc_gateways.check_gateway_deletable(ctx.session, gateway=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        gateway = self.id
        vpc_gateways.check_gateway_deletable(ctx.session, gateway=gateway)
        gateway_id = gateway.id
        vpc_gateways.mark_gateway_removed(ctx.session, gateway_id=gateway_id, removed=True)
        routers.apply_change(
            ctx.session,
            ctx.runtime,
            vpc=_vpc_of(ctx, gateway.vpc_id),
            undo=lambda session: vpc_gateways.mark_gateway_removed(
                session, gateway_id=gateway_id, removed=False
            ),
        )
        return SuccessResult()


class CreateStaticRoute(
    Command,
    api="createStaticRoute",
    is_async=True,
    response=StaticRouteResponse,
    authorized=ALL_ROLES,
    event="STATIC.ROUTE.CREATE",
    entity_type="StaticRoute",
):
    """Creates a static route

    The route, in route table `routetableid` (by default the main table of VPC `vpcid`),
    sends `cidr` (outside the VPC's CIDR, overlapping none of the table's other routes)
    through private gateway `gatewayid`, to `nexthop`, or out through internet gateway
    `internetgatewayid` attached to the VPC.
    """

    gatewayid = uuid_of(
        PrivateGateway,
        description="the gateway id we are creating static route for. Mutually exclusive with "
        "the nexthop parameter",
    )
    vpcid = uuid_of(
        Vpc,
        description="the vpc id for which the static route is created. This is required for "
        "nexthop parameter",
        since="4.21.0",
    )
    nexthop = string(
        description="the next hop of static route. Mutually exclusive with the gatewayid parameter",
        since="4.21.0",
    )
    internetgatewayid = uuid_of(
        InternetGateway,
        description="the internet gateway (attached to the VPC) the route leads out through "
        "(Alto extension). Mutually exclusive with gatewayid and nexthop",
    )
    routetableid = uuid_of(
        VpcRouteTable,
        description="the route table of the route (Alto extension); by default the main route "
        "table of the VPC",
    )
    cidr = string(description="static route cidr").required()

    def _vpc(self, ctx: CommandContext) -> Vpc:
        given = sum(t is not None for t in (self.gatewayid, self.nexthop, self.internetgatewayid))
        if given > 1:
            raise InvalidParameterValue(
                "gatewayid, nexthop and internetgatewayid are mutually exclusive"
            )
        if given == 0:
            raise InvalidParameterValue(
                "One of gatewayid or nexthop must be specified (or internetgatewayid)"
            )
        vpc_ids = {self.vpcid.id} if self.vpcid is not None else set()
        vpc_ids |= {row.vpc_id for row in (self.gatewayid, self.routetableid) if row is not None}
        if len(vpc_ids) > 1:
            raise InvalidParameterValue("The gateway does not belong to the VPC given")
        if not vpc_ids:
            raise InvalidParameterValue(
                "vpcid is required with the nexthop and internetgatewayid parameters "
                "(or routetableid)"
            )
        return _vpc_of(ctx, vpc_ids.pop())

    def create(self, ctx: CommandContext) -> str:
        vpc = self._vpc(ctx)
        route = vpc_gateways.create_static_route(
            ctx.session,
            vpc=vpc,
            table=self.routetableid or route_tables.main_table(ctx.session, vpc_id=vpc.id),
            cidr=self.cidr,
            target=vpc_gateways.RouteTarget(
                gateway=self.gatewayid,
                next_hop=self.nexthop,
                internet_gateway=self.internetgatewayid,
            ),
            route_limit=int(
                ctx.runtime.settings.get(
                    ctx.session, vpc_gateways.ROUTE_LIMIT, account_id=vpc.account_id
                )
            ),
        )
        return route.uuid

    def execute(self, ctx: CommandContext) -> StaticRouteResponse:
        route = ctx.session.scalars(
            select(StaticRoute).where(StaticRoute.uuid == ctx.instance_id)
        ).one()
        route_id = route.id
        routers.apply_change(
            ctx.session,
            ctx.runtime,
            vpc=_vpc_of(ctx, route.vpc_id),
            undo=lambda session: vpc_gateways.remove_route(session, route_id=route_id),
        )
        vpc_gateways.set_route_state(ctx.session, route_id=route_id, state=vpc_gateways.ACTIVE)
        return route_response(ctx, route)


class ListStaticRoutes(
    ListOwnedCommand, api="listStaticRoutes", response=StaticRouteResponse, authorized=ALL_ROLES
):
    """Lists all static routes"""

    id = uuid_of(StaticRoute, description="list static route by id")
    vpcid = uuid_of(Vpc, description="list static routes by vpc id")
    gatewayid = uuid_of(PrivateGateway, description="list static routes by gateway id")
    routetableid = uuid_of(
        VpcRouteTable, description="list static routes of this route table (Alto extension)"
    )
    state = string(description="list static routes by state", since="4.21.0")
    tags = map_of(description="List resources by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[Any]:
        by_id = any(
            row is not None for row in (self.id, self.vpcid, self.gatewayid, self.routetableid)
        )
        query = (
            select(StaticRoute)
            .join(Account, Account.id == StaticRoute.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(scope_clause(self, ctx, by_id=by_id))
        )
        exact = {
            StaticRoute.id: None if self.id is None else self.id.id,
            StaticRoute.vpc_id: None if self.vpcid is None else self.vpcid.id,
            StaticRoute.gateway_id: None if self.gatewayid is None else self.gatewayid.id,
            StaticRoute.route_table_id: None if self.routetableid is None else self.routetableid.id,
            StaticRoute.state: self.state,
        }
        for column, value in exact.items():
            if value is not None:
                query = query.where(column == value)
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="StaticRoute",
                    id_column=StaticRoute.id,
                    tags=tags_param(self.tags),
                )
            )
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), StaticRoute.id)
        found = tags_of(
            ctx.session, resource_type="StaticRoute", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [StaticRouteResponse.of(ctx.session, row, tags=found.get(row.id, ())) for row in rows],
            count,
        )


class DeleteStaticRoute(
    Command,
    api="deleteStaticRoute",
    is_async=True,
    authorized=ALL_ROLES,
    event="STATIC.ROUTE.DELETE",
    entity_type="StaticRoute",
):
    """Deletes a static route

    The route is taken out of the VPC's router, then removed.
    """

    id = uuid_of(StaticRoute, description="the ID of the static route").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        route_id = self.id.id
        vpc_gateways.set_route_state(ctx.session, route_id=route_id, state=vpc_gateways.REVOKE)
        routers.apply_change(
            ctx.session,
            ctx.runtime,
            vpc=_vpc_of(ctx, self.id.vpc_id),
            undo=lambda session: vpc_gateways.set_route_state(
                session, route_id=route_id, state=vpc_gateways.ACTIVE
            ),
        )
        vpc_gateways.remove_route(ctx.session, route_id=route_id)
        return SuccessResult()
