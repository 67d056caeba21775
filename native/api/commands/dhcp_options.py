"""DHCP options set commands (Alto extensions, for EC2's DHCP options):
createDhcpOptionsSet, listDhcpOptionsSets, deleteDhcpOptionsSet. A VPC takes a set with
updateVPC `dhcpoptionssetid`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.ssh_keys import owner_account
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import StringKind, integer, list_of, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, DhcpOptionsSet, Domain, ResourceTag, Vpc
from native.services.network import dhcp_options
from native.services.tags import tag_clause, tags_of, tags_param


class DhcpOptionsSetResponse(ResponseObject, object_name="dhcpoptionsset"):
    id = Field("the ID of the DHCP options set")
    domainname = Field("the domain name the set hands out")
    domainnameservers = Field(
        "the DNS servers the set hands out, in order; VirtualRouter is the VPC's router",
        type="list",
    )
    ntpservers = Field("the NTP servers the set hands out", type="list")
    netbiosnameservers = Field("the NetBIOS name servers the set hands out", type="list")
    netbiosnodetype = Field("the NetBIOS node type (1, 2, 4 or 8)", type="integer")
    vpcids = Field("the IDs of the VPCs that use the set", type="list")
    account = Field("the owner of the set")
    domainid = Field("the domain ID of the owner")
    domain = Field("the domain name of the owner")
    created = Field("the date the set was created", type="date")
    tags = Field("the list of resource tags associated with the set", of=TagResponse)

    @classmethod
    def of(
        cls, ctx: CommandContext, row: DhcpOptionsSet, *, tags: Sequence[ResourceTag] = ()
    ) -> DhcpOptionsSetResponse:
        session = ctx.session
        owner = session.get(Account, row.account_id)
        assert owner is not None
        return cls(
            id=row.uuid,
            domainname=row.domain_name,
            domainnameservers=dhcp_options.split(row.domain_name_servers) or None,
            ntpservers=dhcp_options.split(row.ntp_servers) or None,
            netbiosnameservers=dhcp_options.split(row.netbios_name_servers) or None,
            netbiosnodetype=row.netbios_node_type,
            vpcids=[vpc.uuid for vpc in dhcp_options.vpcs_using(session, options_set_id=row.id)]
            or None,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            created=row.created,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


class CreateDhcpOptionsSet(
    Command,
    api="createDhcpOptionsSet",
    response=DhcpOptionsSetResponse,
    authorized=ALL_ROLES,
    event="DHCP.OPTIONS.SET.CREATE",
    entity_type="DhcpOptionsSet",
    since="4.21.0",
):
    """Creates a DHCP options set (Alto extension)

    At least one option is needed; each server list holds at most four IPv4 addresses
    (`VirtualRouter` among the DNS servers stands for the VPC's router).
    """

    account = string(description="the account that owns the set (with domainid)")
    domainid = uuid_of(Domain, description="the domain of the account that owns the set")
    domainname = string(description="the domain name the VPC's tiers get")
    domainnameservers = list_of(
        StringKind(),
        description="up to four DNS servers: IPv4 addresses or VirtualRouter (the VPC's router)",
    )
    ntpservers = list_of(StringKind(), description="up to four NTP servers (IPv4 addresses)")
    netbiosnameservers = list_of(
        StringKind(), description="up to four NetBIOS name servers (IPv4 addresses)"
    )
    netbiosnodetype = integer(description="the NetBIOS node type: 1, 2, 4 or 8")

    def execute(self, ctx: CommandContext) -> DhcpOptionsSetResponse:
        row = dhcp_options.create_set(
            ctx.session,
            spec=dhcp_options.NewOptionsSet(
                owner=owner_account(ctx, name=self.account, domain=self.domainid),
                domain_name=self.domainname,
                domain_name_servers=self.domainnameservers or (),
                ntp_servers=self.ntpservers or (),
                netbios_name_servers=self.netbiosnameservers or (),
                netbios_node_type=self.netbiosnodetype,
            ),
        )
        return DhcpOptionsSetResponse.of(ctx, row)


class ListDhcpOptionsSets(
    ListOwnedCommand,
    api="listDhcpOptionsSets",
    response=DhcpOptionsSetResponse,
    authorized=ALL_ROLES,
    since="4.21.0",
):
    """Lists DHCP options sets (Alto extension)"""

    id = uuid_of(DhcpOptionsSet, description="list the set of this ID")
    vpcid = uuid_of(Vpc, description="list the set this VPC uses")
    domainname = string(description="list sets that hand out this domain name")
    tags = map_of(description="list sets by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[Any]:
        by_id = self.id is not None or self.vpcid is not None
        query = (
            select(DhcpOptionsSet)
            .join(Account, Account.id == DhcpOptionsSet.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(DhcpOptionsSet.removed.is_(None), scope_clause(self, ctx, by_id=by_id))
        )
        if self.id is not None:
            query = query.where(DhcpOptionsSet.id == self.id.id)
        if self.vpcid is not None:
            query = query.where(DhcpOptionsSet.id == self.vpcid.dhcp_options_set_id)
        if self.domainname is not None:
            query = query.where(DhcpOptionsSet.domain_name == self.domainname)
        if self.keyword:
            query = query.where(
                or_(
                    DhcpOptionsSet.domain_name.contains(self.keyword, autoescape=True),
                    DhcpOptionsSet.uuid == self.keyword,
                )
            )
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type=dhcp_options.TAG_TYPE,
                    id_column=DhcpOptionsSet.id,
                    tags=tags_param(self.tags),
                )
            )
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), DhcpOptionsSet.id)
        found = tags_of(
            ctx.session, resource_type=dhcp_options.TAG_TYPE, resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [DhcpOptionsSetResponse.of(ctx, row, tags=found.get(row.id, ())) for row in rows],
            count,
        )


class DeleteDhcpOptionsSet(
    Command,
    api="deleteDhcpOptionsSet",
    authorized=ALL_ROLES,
    event="DHCP.OPTIONS.SET.DELETE",
    entity_type="DhcpOptionsSet",
    since="4.21.0",
):
    """Deletes a DHCP options set (Alto extension; 536 while a VPC uses it)"""

    id = uuid_of(DhcpOptionsSet, description="the ID of the DHCP options set").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        dhcp_options.delete_set(ctx.session, options_set=self.id)
        return SuccessResult()
