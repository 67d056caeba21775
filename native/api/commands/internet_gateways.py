"""Internet gateway commands (Alto extensions for EC2's internet gateways):
createInternetGateway, listInternetGateways, attachInternetGateway, detachInternetGateway,
deleteInternetGateway."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.ssh_keys import owner_account
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, InternetGateway, ResourceTag, Vpc
from native.services.network import internet_gateways
from native.services.network.internet_gateways import TAG_TYPE
from native.services.tags import tag_clause, tags_of, tags_param


class InternetGatewayResponse(ResponseObject, object_name="internetgateway"):
    id = Field("the ID of the internet gateway")
    vpcid = Field("the ID of the VPC the gateway is attached to (absent while detached)")
    state = Field("Attached or Detached")
    account = Field("the owner of the internet gateway")
    domainid = Field("the domain ID of the owner")
    domain = Field("the domain name of the owner")
    created = Field("the date the gateway was created", type="date")
    tags = Field("the list of resource tags associated with the gateway", of=TagResponse)

    @classmethod
    def of(
        cls, session: Session, gateway: InternetGateway, *, tags: Sequence[ResourceTag] = ()
    ) -> InternetGatewayResponse:
        owner = session.get(Account, gateway.account_id)
        vpc = None if gateway.vpc_id is None else session.get(Vpc, gateway.vpc_id)
        assert owner is not None
        return cls(
            id=gateway.uuid,
            vpcid=None if vpc is None else vpc.uuid,
            state="Detached" if vpc is None else "Attached",
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            created=gateway.created,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


def gateway_response(session: Session, gateway: InternetGateway) -> InternetGatewayResponse:
    """The response for one gateway, with its tags."""
    found = tags_of(session, resource_type=TAG_TYPE, resource_ids=[gateway.id])
    return InternetGatewayResponse.of(session, gateway, tags=found.get(gateway.id, ()))


class CreateInternetGateway(
    Command,
    api="createInternetGateway",
    response=InternetGatewayResponse,
    authorized=ALL_ROLES,
    event="INTERNET.GATEWAY.CREATE",
    entity_type="InternetGateway",
    since="4.21.0",
):
    """Creates an internet gateway, detached (Alto extension)"""

    account = string(description="the account that owns the gateway (with domainid)")
    domainid = uuid_of(Domain, description="the domain of the account that owns the gateway")

    def execute(self, ctx: CommandContext) -> InternetGatewayResponse:
        owner = owner_account(ctx, name=self.account, domain=self.domainid)
        gateway = internet_gateways.create_gateway(ctx.session, owner=owner)
        return InternetGatewayResponse.of(ctx.session, gateway)


class ListInternetGateways(
    ListOwnedCommand,
    api="listInternetGateways",
    response=InternetGatewayResponse,
    authorized=ALL_ROLES,
    since="4.21.0",
):
    """Lists internet gateways (Alto extension)"""

    id = uuid_of(InternetGateway, description="list the gateway of this ID")
    vpcid = uuid_of(Vpc, description="list the gateway attached to this VPC")
    tags = map_of(description="List resources by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[Any]:
        query = (
            select(InternetGateway)
            .join(Account, Account.id == InternetGateway.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(scope_clause(self, ctx, by_id=self.id is not None or self.vpcid is not None))
        )
        if self.id is not None:
            query = query.where(InternetGateway.id == self.id.id)
        if self.vpcid is not None:
            query = query.where(InternetGateway.vpc_id == self.vpcid.id)
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type=TAG_TYPE, id_column=InternetGateway.id, tags=tags_param(self.tags)
                )
            )
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), InternetGateway.id)
        found = tags_of(ctx.session, resource_type=TAG_TYPE, resource_ids=[row.id for row in rows])
        return ListResult(
            [
                InternetGatewayResponse.of(ctx.session, row, tags=found.get(row.id, ()))
                for row in rows
            ],
            count,
        )


class AttachInternetGateway(
    Command,
    api="attachInternetGateway",
    response=InternetGatewayResponse,
    authorized=ALL_ROLES,
    event="INTERNET.GATEWAY.ATTACH",
    entity_type="InternetGateway",
    since="4.21.0",
):
    """Attaches an internet gateway to a VPC of its account (Alto extension)

    431 if the gateway is attached already or the VPC has a gateway.
    """

    id = uuid_of(InternetGateway, description="the ID of the internet gateway").required()
    vpcid = uuid_of(Vpc, description="the ID of the VPC").required()

    def execute(self, ctx: CommandContext) -> InternetGatewayResponse:
        internet_gateways.attach(ctx.session, gateway=self.id, vpc=self.vpcid)
        return gateway_response(ctx.session, self.id)


class DetachInternetGateway(
    Command,
    api="detachInternetGateway",
    response=InternetGatewayResponse,
    authorized=ALL_ROLES,
    event="INTERNET.GATEWAY.DETACH",
    entity_type="InternetGateway",
    since="4.21.0",
):
    """Detaches an internet gateway from its VPC (Alto extension)

    431 unless the gateway is attached to `vpcid`.
    """

    id = uuid_of(InternetGateway, description="the ID of the internet gateway").required()
    vpcid = uuid_of(Vpc, description="the ID of the VPC").required()

    def execute(self, ctx: CommandContext) -> InternetGatewayResponse:
        internet_gateways.detach(ctx.session, gateway=self.id, vpc=self.vpcid)
        return gateway_response(ctx.session, self.id)


class DeleteInternetGateway(
    Command,
    api="deleteInternetGateway",
    authorized=ALL_ROLES,
    event="INTERNET.GATEWAY.DELETE",
    entity_type="InternetGateway",
    since="4.21.0",
):
    """Deletes a detached internet gateway (Alto extension; 536 while attached)"""

    id = uuid_of(InternetGateway, description="the ID of the internet gateway").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        internet_gateways.delete(ctx.session, gateway=self.id)
        return SuccessResult()
