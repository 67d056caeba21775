"""Resource limit commands: listResourceLimits, updateResourceLimit, updateResourceCount."""

from __future__ import annotations

from sqlalchemy.orm import Session

from native.api.command import ADMINS, ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.params import integer, long, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject
from native.model import Account, Domain
from native.services import accounts, limits, resource_counts
from native.services.errors import InvalidParameterValue
from native.services.limits import ACCOUNT, ResourceType

_TYPE_DESCRIPTION = (
    "Type of resource. Values are 0, 1, 2, 3, 4, 6, 7, 8, 9, 10 and 11. 0 - Instance. "
    "1 - IP. 2 - Volume. 3 - Snapshot. 4 - Template. 5 - Project. 6 - Network. 7 - VPC. "
    "8 - CPU. 9 - Memory (MiB). 10 - PrimaryStorage (GiB). 11 - SecondaryStorage (GiB)."
)


class ResourceLimitResponse(ResponseObject, object_name="resourcelimit"):
    account = Field("the account of the resource limit")
    domainid = Field("the domain ID of the resource limit")
    domain = Field("the domain name of the resource limit")
    resourcetype = Field(
        "resource type. Values include 0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11. See the resourceType "
        "parameter for more information on these values."
    )
    resourcetypename = Field(
        "resource type name. Values include user_vm, public_ip, volume, snapshot, template, "
        "network, vpc, cpu, memory, primary_storage, secondary_storage."
    )
    max = Field(
        "the maximum number of the resource. A -1 means the resource currently has no limit.",
        type="long",
    )

    @classmethod
    def of(
        cls, *, account: Account | None, domain: Domain, resource: ResourceType, maximum: int
    ) -> ResourceLimitResponse:
        return cls(
            account=None if account is None else account.name,
            domainid=domain.uuid,
            domain=domain.name,
            resourcetype=str(resource.number),
            resourcetypename=resource.label,
            max=maximum,
        )


class ResourceCountResponse(ResponseObject, object_name="resourcecount"):
    account = Field("the account for which resource count's are updated")
    domainid = Field("the domain ID for which resource count's are updated")
    domain = Field("the domain name for which resource count's are updated")
    resourcetype = Field("resource type. Values include 0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11.")
    resourcetypename = Field("resource type name.")
    resourcecount = Field("resource count", type="long")


def _account_named(ctx: CommandContext, name: str, domain: Domain | None) -> Account:
    return accounts.find_account(
        ctx.session, caller=ctx.caller, account=None, name=name, domain=domain
    )


def _types(number: int | None, name: str | None = None) -> list[ResourceType]:
    chosen = limits.resource_type(number=number, name=name)
    return list(ResourceType) if chosen is None else [chosen]


class ListResourceLimits(
    ListOwnedCommand,
    api="listResourceLimits",
    response=ResourceLimitResponse,
    authorized=ALL_ROLES,
    since="1.0",
):
    """Lists resource limits.

    Users see their own account's limits. Admins name an account (with `domainid`) or a
    domain alone; by default their own account. A type without an explicit limit shows the
    limit in force (the `max.account.*` or `max.domain.*` default).
    """

    resourcetype = integer(description=_TYPE_DESCRIPTION)
    resourcetypename = string(
        description="Type of resource (wins over resourceType if both are provided). Values are: "
        "user_vm, public_ip, volume, snapshot, template, project, network, vpc, cpu, memory, "
        "primary_storage, secondary_storage",
        since="4.12",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        types = _types(self.resourcetype, self.resourcetypename)
        session = ctx.session
        settings = ctx.runtime.settings
        account, domain = self._owner(ctx)
        if account is not None:
            items = [
                ResourceLimitResponse.of(
                    account=account,
                    domain=account.domain,
                    resource=resource,
                    maximum=limits.account_limit(
                        session, settings, account=account, resource=resource
                    ),
                )
                for resource in types
            ]
        else:
            items = [
                ResourceLimitResponse.of(
                    account=None,
                    domain=domain,
                    resource=resource,
                    maximum=limits.domain_limit(
                        session, settings, domain=domain, resource=resource
                    ),
                )
                for resource in types
            ]
        return ListResult(list(self.page_of_items(ctx, items)), len(items))

    def _owner(self, ctx: CommandContext) -> tuple[Account | None, Domain]:
        if ctx.caller.is_root_admin or ctx.caller.is_domain_admin:
            if self.account is not None:
                named = _account_named(ctx, self.account, self.domainid)
                return named, named.domain
            if self.domainid is not None:
                return None, self.domainid
        own = ctx.session.get(Account, ctx.caller.account_id)
        assert own is not None
        return own, own.domain


class UpdateResourceLimit(
    Command,
    api="updateResourceLimit",
    response=ResourceLimitResponse,
    authorized=ADMINS,
    since="1.0",
):
    """Updates resource limits for an account or domain."""

    resourcetype = integer(description=_TYPE_DESCRIPTION).required()
    max = long(description="Maximum resource limit.")
    account = string(
        description="Update resource for a specified account. Must be used with the domainId "
        "parameter."
    )
    domainid = uuid_of(
        Domain,
        description="Update resource limits for all accounts in specified domain. If used with "
        "the account parameter, updates resource limits for a specified account in specified "
        "domain.",
    )

    def execute(self, ctx: CommandContext) -> ResourceLimitResponse:
        resource = limits.resource_type(number=self.resourcetype, name=None)
        assert resource is not None
        maximum = -1 if self.max is None else self.max
        if self.account is not None:
            account = _account_named(ctx, self.account, self.domainid)
            limits.set_account_limit(
                ctx.session, caller=ctx.caller, account=account, resource=resource, maximum=maximum
            )
            return ResourceLimitResponse.of(
                account=account, domain=account.domain, resource=resource, maximum=maximum
            )
        if self.domainid is None:
            raise InvalidParameterValue(
                "AccountId or domainId have to be specified in order to update resource limit"
            )
        limits.set_domain_limit(
            ctx.session,
            ctx.runtime.settings,
            caller=ctx.caller,
            domain=self.domainid,
            resource=resource,
            maximum=maximum,
        )
        return ResourceLimitResponse.of(
            account=None, domain=self.domainid, resource=resource, maximum=maximum
        )


def _count_response(
    session: Session, recounted: resource_counts.Recounted
) -> ResourceCountResponse:
    account = session.get(Account, recounted.owner_id) if recounted.owner_type == ACCOUNT else None
    domain = account.domain if account is not None else session.get(Domain, recounted.owner_id)
    assert domain is not None
    return ResourceCountResponse(
        account=None if account is None else account.name,
        domainid=domain.uuid,
        domain=domain.name,
        resourcetype=str(recounted.resource.number),
        resourcetypename=recounted.resource.label,
        resourcecount=recounted.count,
    )


class UpdateResourceCount(
    Command,
    api="updateResourceCount",
    response=ResourceCountResponse,
    authorized=ADMINS,
    since="2.1",
):
    """Recalculate and update resource count for an account or domain.

    Counts are measured from the resources themselves; with only `domainid`, every account
    and domain of the subtree is recounted.
    """

    domainid = uuid_of(
        Domain,
        description="If account parameter specified then updates resource counts for a "
        "specified account in this domain else update resource counts for all accounts & child "
        "domains in specified domain.",
    ).required()
    account = string(
        description="Update resource count for a specified account. Must be used with the "
        "domainId parameter."
    )
    resourcetype = integer(
        description="Type of resource to update. If specifies valid values are 0, 1, 2, 3, 4, "
        "5, 6, 7, 8, 9, 10 and 11. If not specified will update all resource counts. "
        + _TYPE_DESCRIPTION
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        types = _types(self.resourcetype)
        if self.account is not None:
            account = _account_named(ctx, self.account, self.domainid)
            recounted = resource_counts.recount_account(
                ctx.session, account=account, resources=types
            )
        else:
            recounted = resource_counts.recount_domain(
                ctx.session, domain=self.domainid, resources=types
            )
        items = [_count_response(ctx.session, entry) for entry in recounted]
        return ListResult(items, len(items))
