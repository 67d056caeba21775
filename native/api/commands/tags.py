"""Resource tag commands: createTags, deleteTags, listTags."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.params import StringKind, boolean, list_of, map_of, string
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, ResourceTag
from native.services import tags as tagging


class TagResponse(ResponseObject, object_name="tag"):
    key = Field("tag key name")
    value = Field("tag value")
    resourcetype = Field("resource type")
    resourceid = Field("id of the resource")
    account = Field("the account associated with the tag")
    domainid = Field("the ID of the domain associated with the tag")
    domain = Field("the domain associated with the tag")
    customer = Field("customer associated with the tag")

    @classmethod
    def of(cls, tag: ResourceTag, *, session: Session) -> TagResponse:
        """The response for a tag; its owner's account and domain come from `session`."""
        account, domain = tagging.owner_names(session, account_id=tag.account_id)
        return cls(
            key=tag.key,
            value=tag.value,
            resourcetype=tag.resource_type,
            resourceid=tag.resource_uuid,
            account=account.name,
            domainid=domain.uuid,
            domain=domain.name,
            customer=tag.customer,
        )


class CreateTags(
    Command,
    api="createTags",
    is_async=True,
    authorized=ALL_ROLES,
    event="CREATE_TAGS",
    entity_type="ResourceTag",
    since="4.0.0",
):
    """Creates resource tag(s)

    Alto extensions: a tag's value may be empty (given as `tags[i].value=`), and `replace`
    overwrites the value of a key a resource already has.
    """

    resourceids = list_of(
        StringKind(), description="list of resources to create the tags for"
    ).required()
    resourcetype = string(description="type of the resource").required()
    tags = map_of(description="Map of tags (key/value pairs)").required()
    customer = string(
        description="identifies client specific tag. When the value is not null, the tag can't be "
        "used by cloudStack code internally"
    )
    replace = boolean(
        description="true to give a key that a resource already has the new value instead of "
        "refusing it (Alto extension). Default false"
    )

    def create(self, ctx: CommandContext) -> str | None:
        tagging.check_new_tags(
            ctx.session,
            caller=ctx.caller,
            resource_type=self.resourcetype,
            resource_uuids=self.resourceids,
            tags=tagging.new_tags_param(self.tags),
            replace=bool(self.replace),
        )
        return None

    def execute(self, ctx: CommandContext) -> SuccessResult:
        tagging.create_tags(
            ctx.session,
            caller=ctx.caller,
            resource_type=self.resourcetype,
            resource_uuids=self.resourceids,
            tags=tagging.new_tags_param(self.tags),
            customer=self.customer,
            replace=bool(self.replace),
        )
        return SuccessResult()


class DeleteTags(
    Command,
    api="deleteTags",
    is_async=True,
    authorized=ALL_ROLES,
    event="DELETE_TAGS",
    entity_type="ResourceTag",
    since="4.0.0",
):
    """Deleting resource tag(s)

    A tag given with a key only matches any value; one with a value (even an empty one)
    matches that value.
    """

    resourceids = list_of(StringKind(), description="Delete tags for resource id(s)").required()
    resourcetype = string(description="Delete tag by resource type").required()
    tags = map_of(description="Delete tags matching key/value pairs")

    def create(self, ctx: CommandContext) -> str | None:
        tagging.resolve_all(
            ctx.session,
            caller=ctx.caller,
            entry=tagging.taggable(self.resourcetype),
            uuids=self.resourceids,
        )
        return None

    def execute(self, ctx: CommandContext) -> SuccessResult:
        tagging.delete_tags(
            ctx.session,
            caller=ctx.caller,
            resource_type=self.resourcetype,
            resource_uuids=self.resourceids,
            tags=tagging.deleted_tags_param(self.tags),
        )
        return SuccessResult()


class ListTags(
    ListOwnedCommand, api="listTags", response=TagResponse, authorized=ALL_ROLES, since="4.0.0"
):
    """List resource tag(s)"""

    resourcetype = string(description="list by resource type")
    resourceid = string(description="list by resource id")
    key = string(description="list by key")
    value = string(description="list by value")
    customer = string(description="list by customer name")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(ResourceTag)
            .join(Account, ResourceTag.account_id == Account.id)
            .join(Domain, Account.domain_id == Domain.id)
            .where(self.owner_clause(ctx))
        )
        if self.resourcetype is not None:
            entry = tagging.taggable(self.resourcetype)
            query = query.where(ResourceTag.resource_type == entry.resource_type)
        if self.resourceid is not None:
            query = query.where(ResourceTag.resource_uuid == self.resourceid.strip())
        if self.key is not None:
            query = query.where(ResourceTag.key == self.key)
        if self.value is not None:
            query = query.where(ResourceTag.value == self.value)
        if self.customer is not None:
            query = query.where(ResourceTag.customer == self.customer)
        if self.keyword:
            keyword = self.keyword.lower()
            query = query.where(
                func.lower(ResourceTag.key).contains(keyword, autoescape=True)
                | func.lower(ResourceTag.value).contains(keyword, autoescape=True)
            )
        rows, count = self.page_of_query(ctx, query, ResourceTag.id)
        owners = tagging.load_owners(ctx.session, account_ids={row.account_id for row in rows})
        responses = [TagResponse.of(row, session=ctx.session) for row in rows]
        del owners
        return ListResult(responses, count)
