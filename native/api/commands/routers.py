"""Virtual router commands for administrators: listRouters and rebootRouter.

A router is the virtual router of an isolated network or of a VPC (see
`services.network.routers`). Its state is `Running` while it serves; its configuration
generation, the one last applied and the last apply error are Alto extensions that show
whether it runs what the database says.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ADMINS, Command, CommandContext, ListOwnedCommand
from native.api.commands.volumes import scope_clause
from native.api.params import boolean, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject
from native.model import Account, Domain, Network, PublicIpAddress, VirtualRouter, Vpc, Zone
from native.services.errors import InvalidParameterValue
from native.services.network import routers


class RouterResponse(ResponseObject, object_name="router"):
    id = Field("the id of the router")
    name = Field("the name of the router")
    state = Field("the state of the router")
    role = Field("role of the domain router")
    zoneid = Field("the Zone ID for the router")
    zonename = Field("the Zone name for the router")
    dns1 = Field("the first DNS for the router")
    dns2 = Field("the second DNS for the router")
    publicip = Field("the public IP address for the router")
    guestnetworkid = Field("the ID of the corresponding guest network")
    guestnetworkname = Field("the name of the corresponding guest network")
    guestipaddress = Field("the guest IP address for the router")
    guestnetmask = Field("the guest netmask for the router")
    networkdomain = Field("the network domain for the router")
    vpcid = Field("VPC the router belongs to")
    vpcname = Field("the name of VPC the router belongs to")
    account = Field("the account associated with the router")
    domainid = Field("the domain ID associated with the router")
    domain = Field("the domain associated with the router")
    isredundantrouter = Field("if this router is an redundant virtual router", type="boolean")
    redundantstate = Field("the state of redundant virtual router")
    requiresupgrade = Field("true if the router template requires upgrader", type="boolean")
    healthchecksfailed = Field(
        "true if any health checks had failed (Alto: the last apply failed)", type="boolean"
    )
    created = Field("the date and time the router was created", type="date")
    generation = Field("the generation of configuration the router should run (Alto)")
    appliedgeneration = Field("the generation of configuration the router runs (Alto)")
    applyerror = Field("why the last apply of the configuration failed (Alto)")

    @classmethod
    def of(cls, session: Session, router: VirtualRouter) -> RouterResponse:
        owner = session.get(Account, router.account_id)
        zone = session.get(Zone, router.zone_id)
        assert owner is not None and zone is not None
        vpc = None if router.vpc_id is None else session.get(Vpc, router.vpc_id)
        network = None if router.network_id is None else session.get(Network, router.network_id)
        return cls(
            id=router.uuid,
            name=router.name,
            state=router.state,
            role="VIRTUAL_ROUTER",
            zoneid=zone.uuid,
            zonename=zone.name,
            dns1=zone.dns1,
            dns2=zone.dns2,
            publicip=_source_nat_address(session, router),
            guestnetworkid=None if network is None else network.uuid,
            guestnetworkname=None if network is None else network.name,
            guestipaddress=None if network is None else network.gateway,
            guestnetmask=None if network is None else network.netmask,
            networkdomain=(network.network_domain if network is not None else None)
            or (vpc.network_domain if vpc is not None else None),
            vpcid=None if vpc is None else vpc.uuid,
            vpcname=None if vpc is None else vpc.name,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            isredundantrouter=False,
            redundantstate="UNKNOWN",
            requiresupgrade=False,
            healthchecksfailed=router.apply_error is not None,
            created=router.created,
            generation=str(router.generation),
            appliedgeneration=str(router.applied_generation),
            applyerror=router.apply_error,
        )


def _source_nat_address(session: Session, router: VirtualRouter) -> str | None:
    owner = (
        PublicIpAddress.vpc_id == router.vpc_id
        if router.vpc_id is not None
        else PublicIpAddress.network_id == router.network_id
    )
    return session.scalar(
        select(PublicIpAddress.address)
        .where(owner, PublicIpAddress.is_source_nat)
        .order_by(PublicIpAddress.id)
        .limit(1)
    )


class ListRouters(ListOwnedCommand, api="listRouters", response=RouterResponse, authorized=ADMINS):
    """List routers."""

    id = uuid_of(VirtualRouter, description="the ID of the disk router")
    name = string(description="the name of the router")
    state = string(description="the state of the router")
    zoneid = uuid_of(Zone, description="the Zone ID of the router")
    networkid = uuid_of(Network, description="list by network id")
    vpcid = uuid_of(Vpc, description="List networks by VPC")
    forvpc = boolean(description="if true is passed for this parameter, list only VPC routers")

    def query(self, ctx: CommandContext) -> Select[Any]:
        query = (
            select(VirtualRouter)
            .join(Account, Account.id == VirtualRouter.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(
                VirtualRouter.removed.is_(None),
                scope_clause(self, ctx, by_id=self.id is not None),
            )
        )
        if self.id is not None:
            query = query.where(VirtualRouter.id == self.id.id)
        if self.name is not None:
            query = query.where(VirtualRouter.name == self.name)
        if self.state is not None:
            query = query.where(VirtualRouter.state == self.state)
        if self.zoneid is not None:
            query = query.where(VirtualRouter.zone_id == self.zoneid.id)
        if self.networkid is not None:
            served = self.networkid.vpc_id
            query = query.where(
                VirtualRouter.vpc_id == served
                if served is not None
                else VirtualRouter.network_id == self.networkid.id
            )
        if self.vpcid is not None:
            query = query.where(VirtualRouter.vpc_id == self.vpcid.id)
        if self.forvpc is not None:
            query = query.where(
                VirtualRouter.vpc_id.is_not(None) if self.forvpc else VirtualRouter.vpc_id.is_(None)
            )
        if self.keyword:
            query = query.where(VirtualRouter.name.contains(self.keyword, autoescape=True))
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), VirtualRouter.id)
        return ListResult([RouterResponse.of(ctx.session, row) for row in rows], count)


class RebootRouter(
    Command,
    api="rebootRouter",
    is_async=True,
    response=RouterResponse,
    authorized=ADMINS,
    event="ROUTER.REBOOT",
    entity_type="DomainRouter",
):
    """Reboots a router.

    The router applies its whole configuration again, as a rebooted virtual router
    does; 534 when its network driver cannot.
    """

    id = uuid_of(VirtualRouter, description="the ID of the router").required()
    forced = boolean(
        description="Force reboot the router (Router is force Stopped and then Started)"
    )

    def execute(self, ctx: CommandContext) -> RouterResponse:
        router = self.id
        if router.removed is not None:
            raise InvalidParameterValue(f"Router {router.uuid} has been destroyed")
        routers.apply(ctx.session, ctx.runtime, router_id=router.id)
        ctx.session.refresh(router)
        return RouterResponse.of(ctx.session, router)
