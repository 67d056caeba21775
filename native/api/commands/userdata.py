"""User data commands: registerUserData, listUserData, deleteUserData."""

from __future__ import annotations

from sqlalchemy import func, select

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.ssh_keys import accounts_of, owner_account
from native.api.params import string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, UserData
from native.services import userdata


class UserDataResponse(ResponseObject, object_name="userdata"):
    id = Field("ID of the userdata")
    name = Field("Name of the userdata")
    accountid = Field("the owner id of the userdata")
    account = Field("the owner of the userdata")
    domainid = Field("the domain id of the userdata owner")
    domain = Field("the domain name of the userdata owner")
    userdata = Field("base64 encoded userdata content")
    params = Field("list of parameters which contains the list of keys or string parameters")

    @classmethod
    def of(cls, row: UserData, *, owner: Account) -> UserDataResponse:
        return cls(
            id=row.uuid,
            name=row.name,
            accountid=owner.uuid,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            userdata=row.user_data,
            params=row.params,
        )


class RegisterUserData(
    Command,
    api="registerUserData",
    response=UserDataResponse,
    authorized=ALL_ROLES,
    event="REGISTER.USER.DATA",
    entity_type="UserData",
    since="4.18",
):
    """Register a new userdata."""

    name = string(description="Name of the userdata").required()
    userdata = string(
        description="Base64 encoded userdata content. Using HTTP GET (via querystring), you can "
        "send up to 4KB of data after base64 encoding. Using HTTP POST (via POST body), you can "
        "send up to 32KB of data after base64 encoding.",
        length=1048576,
    ).required()
    variables = string(
        description="comma separated list of variables declared in userdata content",
        api_name="params",
    )
    account = string(
        description="an optional account for the userdata. Must be used with domainId."
    )
    domainid = uuid_of(
        Domain,
        description="an optional domainId for the userdata. If the account parameter is used, "
        "domainId must also be used.",
    )

    def execute(self, ctx: CommandContext) -> UserDataResponse:
        owner = owner_account(ctx, name=self.account, domain=self.domainid)
        row = userdata.register(
            ctx.session,
            account=owner,
            name=self.name,
            user_data=self.userdata,
            params=self.variables,
        )
        return UserDataResponse.of(row, owner=owner)


class ListUserData(
    ListOwnedCommand,
    api="listUserData",
    response=UserDataResponse,
    authorized=ALL_ROLES,
    since="4.18",
):
    """List registered userdatas"""

    id = string(description="the ID of the Userdata", length=40)
    name = string(description="Userdata name to look for")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(UserData)
            .join(Account, UserData.account_id == Account.id)
            .join(Domain, Account.domain_id == Domain.id)
            .where(self.owner_clause(ctx))
        )
        if self.id is not None:
            query = query.where(UserData.uuid == self.id.strip())
        if self.name is not None:
            query = query.where(UserData.name == self.name)
        if self.keyword:
            query = query.where(
                func.lower(UserData.name).contains(self.keyword.lower(), autoescape=True)
            )
        rows, count = self.page_of_query(ctx, query, UserData.id)
        items = [UserDataResponse.of(row, owner=accounts_of(ctx, row.account_id)) for row in rows]
        return ListResult(items, count)


class DeleteUserData(
    Command,
    api="deleteUserData",
    authorized=ALL_ROLES,
    event="DELETE.USER.DATA",
    entity_type="UserData",
    since="4.18",
):
    """Deletes a userdata"""

    id = string(description="the ID of the Userdata", length=40).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        userdata.delete(ctx.session, caller=ctx.caller, userdata_id=self.id)
        return SuccessResult()
