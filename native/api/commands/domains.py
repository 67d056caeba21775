"""Domain commands: createDomain, listDomains, listDomainChildren, updateDomain, deleteDomain."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ADMINS, Command, CommandContext, ListCommand
from native.api.params import boolean, integer, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Domain
from native.services import domains


class DomainResponse(ResponseObject, object_name="domain"):
    id = Field("the ID of the domain")
    name = Field("the name of the domain")
    level = Field("the level of the domain", type="integer")
    parentdomainid = Field("the domain ID of the parent domain")
    parentdomainname = Field("the domain name of the parent domain")
    haschild = Field("whether the domain has one or more sub-domains", type="boolean")
    networkdomain = Field("the network domain")
    path = Field("the path of the domain")
    state = Field("the state of the domain")
    created = Field("the date when this domain was created", type="date")

    @classmethod
    def of(cls, session: Session, domain: Domain) -> DomainResponse:
        parent = domain.parent
        return cls(
            id=domain.uuid,
            name=domain.name,
            level=domain.level,
            parentdomainid=None if parent is None else parent.uuid,
            parentdomainname=None if parent is None else parent.name,
            haschild=bool(domains.live_children(session, domain)),
            networkdomain=domain.network_domain,
            path=domains.display_path(domain),
            state=domain.state,
            created=domain.created,
        )


class CreateDomain(
    Command,
    api="createDomain",
    response=DomainResponse,
    authorized=ADMINS,
    event="DOMAIN.CREATE",
    entity_type="Domain",
    since="1.0",
):
    """Creates a domain"""

    name = string(description="creates domain with this name").required()
    parentdomainid = uuid_of(
        Domain, description="assigns new domain a parent domain by domain ID of the parent"
    )
    networkdomain = string(description="Network domain for networks in the domain")
    domainid = string(
        description="Domain UUID, required for adding domain from another Region", length=40
    )

    def execute(self, ctx: CommandContext) -> DomainResponse:
        parent = self.parentdomainid or ctx.session.get(Domain, ctx.caller.domain_id)
        assert parent is not None
        domain = domains.create_domain(
            ctx.session,
            caller=ctx.caller,
            name=self.name,
            parent=parent,
            network_domain=self.networkdomain,
        )
        if self.domainid:
            domain.uuid = self.domainid
        return DomainResponse.of(ctx.session, domain)


def _filtered(query: Select[Domain], command: ListDomains | ListDomainChildren) -> Select[Domain]:
    query = query.where(Domain.removed.is_(None))
    if command.name is not None:
        query = query.where(Domain.name == command.name)
    if command.keyword:
        query = query.where(Domain.name.contains(command.keyword, autoescape=True))
    return query


def _page(ctx: CommandContext, command: ListCommand, query: Select[Domain]) -> ListResult:
    rows, count = command.page_of_query(ctx, query, Domain.path)
    return ListResult([DomainResponse.of(ctx.session, row) for row in rows], count)


class ListDomains(
    ListCommand, api="listDomains", response=DomainResponse, authorized=ADMINS, since="1.0"
):
    """Lists domains and provides detailed information for listed domains

    Without `listall` only the given domain (by default the caller's own) is listed;
    with it, the whole subtree below it.
    """

    id = uuid_of(Domain, description="List domain by domain ID.")
    name = string(description="List domain by domain name.")
    level = integer(description="List domains by domain level.")
    listall = boolean(
        description="If set to false, list only resources belonging to the command's caller; if set "
        "to true - list resources that the caller is authorized to see. Default value is false"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        top = self.id or ctx.session.get(Domain, ctx.caller.domain_id)
        assert top is not None
        query = _filtered(select(Domain), self)
        if self.listall:
            query = query.where(Domain.path.startswith(top.path, autoescape=True))
        else:
            query = query.where(Domain.id == top.id)
        if self.level is not None:
            query = query.where(Domain.level == self.level)
        return _page(ctx, self, query)


class ListDomainChildren(
    ListCommand, api="listDomainChildren", response=DomainResponse, authorized=ADMINS, since="1.0"
):
    """Lists all children domains belonging to a specified domain"""

    id = uuid_of(Domain, description="list children domain by parent domain ID.")
    name = string(description="list children domains by name")
    isrecursive = boolean(
        description='to return the entire tree, use the value "true". To return the first level '
        'children, use the value "false".'
    )
    listall = boolean(
        description="If set to false, list only resources belonging to the command's caller; if set "
        "to true - list resources that the caller is authorized to see. Default value is false"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        parent = self.id or ctx.session.get(Domain, ctx.caller.domain_id)
        assert parent is not None
        query = _filtered(select(Domain), self)
        if self.isrecursive or self.listall:
            query = query.where(
                Domain.path.startswith(parent.path, autoescape=True), Domain.id != parent.id
            )
        else:
            query = query.where(Domain.parent_id == parent.id)
        return _page(ctx, self, query)


class UpdateDomain(
    Command,
    api="updateDomain",
    response=DomainResponse,
    authorized=ADMINS,
    event="DOMAIN.UPDATE",
    entity_type="Domain",
    since="2.0.0",
):
    """Updates a domain with a new name"""

    id = uuid_of(Domain, description="ID of domain to update").required()
    name = string(description="updates domain with this name")
    networkdomain = string(
        description="Network domain for the domain's networks; empty string will update domainName with NULL value"
    )

    def execute(self, ctx: CommandContext) -> DomainResponse:
        domain = domains.update_domain(
            ctx.session,
            caller=ctx.caller,
            domain=self.id,
            name=self.name,
            network_domain=self.networkdomain,
        )
        return DomainResponse.of(ctx.session, domain)


class DeleteDomain(
    Command,
    api="deleteDomain",
    is_async=True,
    authorized=ADMINS,
    event="DOMAIN.DELETE",
    entity_type="Domain",
    since="1.0",
):
    """Deletes a specified domain"""

    id = uuid_of(Domain, description="ID of domain to delete").required()
    cleanup = boolean(
        description="true if all domain resources (child domains, accounts) have to be cleaned up, "
        "false otherwise"
    )

    def create(self, ctx: CommandContext) -> None:
        domains.check_deletable(
            ctx.session, caller=ctx.caller, domain=self.id, cleanup=bool(self.cleanup)
        )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        domains.delete_domain(
            ctx.session, caller=ctx.caller, domain=self.id, cleanup=bool(self.cleanup)
        )
        return SuccessResult()
