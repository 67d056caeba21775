"""VPC route table commands (Alto extensions, for EC2's route tables): createRouteTable,
listRouteTables, deleteRouteTable, associateRouteTable.

Routes are added to a table with createStaticRoute `routetableid`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import boolean, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, Network, ResourceTag, Vpc, VpcRouteTable
from native.services.network import route_tables, routers
from native.services.tags import tag_clause, tags_of, tags_param

SINCE = "4.21.0"


class RouteTableResponse(ResponseObject, object_name="routetable"):
    id = Field("the ID of the route table")
    name = Field("the name of the route table")
    vpcid = Field("the ID of the VPC the route table belongs to")
    vpcname = Field("the name of the VPC the route table belongs to")
    ismain = Field("whether this is the VPC's main route table", type="boolean")
    networkids = Field(
        "the IDs of the VPC tiers that use the route table (for the main table: those "
        "associated with no other table)",
        type="list",
    )
    account = Field("the owner of the route table")
    domainid = Field("the domain ID of the owner")
    domain = Field("the domain name of the owner")
    created = Field("the date the route table was created", type="date")
    tags = Field("the list of resource tags associated with the route table", of=TagResponse)

    @classmethod
    def of(
        cls, session: Session, table: VpcRouteTable, *, tags: Sequence[ResourceTag] = ()
    ) -> RouteTableResponse:
        vpc = session.get(Vpc, table.vpc_id)
        owner = session.get(Account, table.account_id)
        assert vpc is not None and owner is not None
        networks = route_tables.associated_networks(session, table=table)
        return cls(
            id=table.uuid,
            name=table.name,
            vpcid=vpc.uuid,
            vpcname=vpc.name,
            ismain=table.is_main,
            networkids=[network.uuid for network in networks],
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            created=table.created,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


def table_response(session: Session, table: VpcRouteTable) -> RouteTableResponse:
    """The response for one route table, with its tags."""
    found = tags_of(session, resource_type="RouteTable", resource_ids=[table.id])
    return RouteTableResponse.of(session, table, tags=found.get(table.id, ()))


def _table_by_uuid(ctx: CommandContext) -> VpcRouteTable:
    return ctx.session.scalars(
        select(VpcRouteTable).where(VpcRouteTable.uuid == ctx.instance_id)
    ).one()


class CreateRouteTable(
    Command,
    api="createRouteTable",
    is_async=True,
    response=RouteTableResponse,
    authorized=ALL_ROLES,
    event="ROUTE.TABLE.CREATE",
    entity_type="RouteTable",
    since=SINCE,
):
    """Creates an empty route table of a VPC (Alto extension)

    Tiers use it once associated with it (associateRouteTable); routes are added with
    createStaticRoute `routetableid`.
    """

    vpcid = uuid_of(Vpc, description="the ID of the VPC").required()
    name = string(description="the name of the route table")

    def create(self, ctx: CommandContext) -> str:
        limit = int(
            ctx.runtime.settings.get(
                ctx.session, route_tables.TABLE_LIMIT, account_id=self.vpcid.account_id
            )
        )
        return route_tables.create_table(
            ctx.session, vpc=self.vpcid, name=self.name, limit=limit
        ).uuid

    def execute(self, ctx: CommandContext) -> RouteTableResponse:
        return table_response(ctx.session, _table_by_uuid(ctx))


class ListRouteTables(
    ListOwnedCommand,
    api="listRouteTables",
    response=RouteTableResponse,
    authorized=ALL_ROLES,
    since=SINCE,
):
    """Lists VPC route tables (Alto extension)"""

    id = uuid_of(VpcRouteTable, description="list the route table of this ID")
    vpcid = uuid_of(Vpc, description="list the route tables of this VPC")
    networkid = uuid_of(Network, description="list the route table this VPC tier uses")
    ismain = boolean(description="list only main (true) or only custom (false) route tables")
    name = string(description="list route tables by name")
    tags = map_of(description="List resources by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[Any]:
        by_id = any(row is not None for row in (self.id, self.vpcid, self.networkid))
        query = (
            select(VpcRouteTable)
            .join(Account, Account.id == VpcRouteTable.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(scope_clause(self, ctx, by_id=by_id))
        )
        if self.networkid is not None:
            used = route_tables.table_of(ctx.session, network=self.networkid)
            query = query.where(VpcRouteTable.id == (None if used is None else used.id))
        exact = {
            VpcRouteTable.id: None if self.id is None else self.id.id,
            VpcRouteTable.vpc_id: None if self.vpcid is None else self.vpcid.id,
            VpcRouteTable.is_main: self.ismain,
            VpcRouteTable.name: self.name,
        }
        for column, value in exact.items():
            if value is not None:
                query = query.where(column == value)
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="RouteTable",
                    id_column=VpcRouteTable.id,
                    tags=tags_param(self.tags),
                )
            )
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), VpcRouteTable.id)
        found = tags_of(
            ctx.session, resource_type="RouteTable", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [RouteTableResponse.of(ctx.session, row, tags=found.get(row.id, ())) for row in rows],
            count,
        )


class DeleteRouteTable(
    Command,
    api="deleteRouteTable",
    is_async=True,
    authorized=ALL_ROLES,
    event="ROUTE.TABLE.DELETE",
    entity_type="RouteTable",
    since=SINCE,
):
    """Deletes a route table with its routes (Alto extension)

    431 for a VPC's main table; 536 while a tier is associated with it.
    """

    id = uuid_of(VpcRouteTable, description="the ID of the route table").required()

    def create(self, ctx: CommandContext) -> None:
        route_tables.check_deletable(ctx.session, table=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        route_tables.delete_table(ctx.session, table=self.id)
        return SuccessResult()


class AssociateRouteTable(
    Command,
    api="associateRouteTable",
    is_async=True,
    response=RouteTableResponse,
    authorized=ALL_ROLES,
    event="ROUTE.TABLE.ASSOCIATE",
    entity_type="RouteTable",
    since=SINCE,
):
    """Makes a VPC tier use a route table of its VPC (Alto extension)

    Associating the main table takes the tier back to the default. The VPC's router
    applies the change; 431 if the tier is not in the table's VPC.
    """

    networkid = uuid_of(Network, description="the ID of the VPC tier").required()
    routetableid = uuid_of(VpcRouteTable, description="the ID of the route table").required()

    def create(self, ctx: CommandContext) -> None:
        route_tables.check_associable(ctx.session, network=self.networkid, table=self.routetableid)

    def execute(self, ctx: CommandContext) -> RouteTableResponse:
        network, table = self.networkid, self.routetableid
        network_id, before = network.id, network.route_table_id
        route_tables.associate(ctx.session, network=network, table=table)
        routers.apply_change(
            ctx.session,
            ctx.runtime,
            network=network,
            undo=lambda session: route_tables.set_association(
                session, network_id=network_id, table_id=before
            ),
        )
        return table_response(ctx.session, table)
