"""Affinity group commands: createAffinityGroup, deleteAffinityGroup, listAffinityGroups,
listAffinityGroupTypes, updateVMAffinityGroup."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand, ListOwnedCommand
from native.api.params import string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, AffinityGroup, AffinityGroupVm, Domain, VirtualMachine
from native.services import affinity, volumes
from native.services.errors import InvalidParameterValue


class AffinityGroupResponse(ResponseObject, object_name="affinitygroup"):
    id = Field("the ID of the affinity group")
    name = Field("the name of the affinity group")
    description = Field("the description of the affinity group")
    type = Field("the type of the affinity group")
    account = Field("the account owning the affinity group")
    domainid = Field("the domain ID of the affinity group")
    domain = Field("the domain name of the affinity group")
    virtualmachineIds = Field(
        "virtual machine IDs associated with this affinity group", type="list"
    )

    @classmethod
    def of(
        cls, group: AffinityGroup, *, account: Account, domain: Domain, members: Sequence[str]
    ) -> AffinityGroupResponse:
        return cls(
            id=group.uuid,
            name=group.name,
            description=group.description,
            type=group.group_type,
            account=account.name,
            domainid=domain.uuid,
            domain=domain.name,
            virtualmachineIds=list(members),
        )

    @classmethod
    def page(cls, session: Session, groups: Sequence[AffinityGroup]) -> list[AffinityGroupResponse]:
        """Responses for a page of groups in a fixed number of queries."""
        members = affinity.member_uuids(session, group_ids=[group.id for group in groups])
        owners = {
            account.id: account
            for account in session.scalars(
                select(Account).where(Account.id.in_({group.account_id for group in groups}))
            )
        }
        return [
            cls.of(
                group,
                account=owners[group.account_id],
                domain=owners[group.account_id].domain,
                members=members.get(group.id, []),
            )
            for group in groups
        ]


class AffinityGroupTypeResponse(ResponseObject, object_name="affinityGroupType"):
    type = Field("the type of the affinity group")


class CreateAffinityGroup(
    Command,
    api="createAffinityGroup",
    is_async=True,
    response=AffinityGroupResponse,
    authorized=ALL_ROLES,
    event="AG.CREATE",
    entity_type="AffinityGroup",
):
    """Creates an affinity/anti-affinity group"""

    name = string(description="name of the affinity group").required()
    type = string(
        description="Type of the affinity group from the available affinity/anti-affinity group "
        "types"
    ).required()
    description = string(description="optional description of the affinity group", length=4096)
    account = string(description="an account for the affinity group. Must be used with domainId.")
    domainid = uuid_of(Domain, description="domainId of the account owning the affinity group")

    def create(self, ctx: CommandContext) -> str:
        owner = volumes.owner_account(
            ctx.session, caller=ctx.caller, name=self.account, domain=self.domainid
        )
        group = affinity.create_group(
            ctx.session,
            owner=owner,
            name=self.name,
            group_type=self.type,
            description=self.description,
        )
        return group.uuid

    def execute(self, ctx: CommandContext) -> AffinityGroupResponse:
        group = ctx.session.scalars(
            select(AffinityGroup).where(AffinityGroup.uuid == ctx.instance_id)
        ).one()
        return AffinityGroupResponse.page(ctx.session, [group])[0]


class DeleteAffinityGroup(
    Command,
    api="deleteAffinityGroup",
    is_async=True,
    authorized=ALL_ROLES,
    event="AG.DELETE",
    entity_type="AffinityGroup",
):
    """Deletes affinity group"""

    id = uuid_of(
        AffinityGroup,
        description="The ID of the affinity group. Mutually exclusive with name parameter",
    )
    name = string(
        description="The name of the affinity group. Mutually exclusive with ID parameter"
    )
    account = string(
        description="the account of the affinity group. Must be specified with domain ID"
    )
    domainid = uuid_of(Domain, description="the domain ID of account owning the affinity group")

    def target(self, ctx: CommandContext) -> AffinityGroup:
        if (self.id is None) == (self.name is None):
            raise InvalidParameterValue(
                "Either id or name parameter is required to delete an affinity group"
            )
        if self.id is not None:
            return self.id
        owner = volumes.owner_account(
            ctx.session, caller=ctx.caller, name=self.account, domain=self.domainid
        )
        assert self.name is not None
        return affinity.find_group(ctx.session, owner=owner, name=self.name)

    def create(self, ctx: CommandContext) -> None:
        self.target(ctx)

    def job_instance_id(self) -> str | None:
        return None if self.id is None else self.id.uuid

    def execute(self, ctx: CommandContext) -> SuccessResult:
        affinity.delete_group(ctx.session, group=self.target(ctx))
        return SuccessResult()


class ListAffinityGroups(
    ListOwnedCommand,
    api="listAffinityGroups",
    response=AffinityGroupResponse,
    authorized=ALL_ROLES,
):
    """Lists affinity groups"""

    id = uuid_of(AffinityGroup, description="list the affinity group by the ID provided")
    name = string(description="lists affinity groups by name")
    type = string(description="lists affinity groups by type")
    virtualmachineid = uuid_of(
        VirtualMachine, description="lists affinity groups by virtual machine ID"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(AffinityGroup)
            .join(Account, Account.id == AffinityGroup.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(AffinityGroup.removed.is_(None))
        )
        if self.id is None and self.virtualmachineid is None:
            query = query.where(self.owner_clause(ctx))
        if self.id is not None:
            query = query.where(AffinityGroup.id == self.id.id)
        if self.name is not None:
            query = query.where(AffinityGroup.name == self.name)
        if self.type is not None:
            query = query.where(AffinityGroup.group_type == self.type)
        if self.keyword:
            query = query.where(AffinityGroup.name.contains(self.keyword, autoescape=True))
        if self.virtualmachineid is not None:
            query = query.where(
                exists().where(
                    and_(
                        AffinityGroupVm.group_id == AffinityGroup.id,
                        AffinityGroupVm.vm_id == self.virtualmachineid.id,
                    )
                )
            )
        rows, count = self.page_of_query(ctx, query, AffinityGroup.id)
        return ListResult(AffinityGroupResponse.page(ctx.session, rows), count)


class ListAffinityGroupTypes(
    ListCommand,
    api="listAffinityGroupTypes",
    response=AffinityGroupTypeResponse,
    authorized=ALL_ROLES,
):
    """Lists affinity group types available"""

    def execute(self, ctx: CommandContext) -> ListResult:
        items = [AffinityGroupTypeResponse(type=kind) for kind in affinity.GROUP_TYPES]
        return ListResult(self.page_of_items(ctx, items), len(items))


def groups_named(
    session: Session,
    *,
    owner: Account,
    ids: Sequence[AffinityGroup] | None,
    names: Sequence[str] | None,
) -> list[AffinityGroup]:
    """The groups given by ids or by names of the owner (431 if both are given)."""
    if ids and names:
        raise InvalidParameterValue(
            "affinitygroupids parameter is mutually exclusive with affinitygroupnames parameter"
        )
    if names:
        return [affinity.find_group(session, owner=owner, name=name) for name in names]
    return list(ids or [])
