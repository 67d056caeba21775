"""Account commands: createAccount, listAccounts, updateAccount, deleteAccount, disableAccount,
enableAccount, lockAccount."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.api.command import ADMINS, ALL_ROLES, Command, CommandContext, ListInDomainCommand
from native.api.commands.account_standing import ResourceStandingFields, standing_values
from native.api.commands.users import NewUserCommand, UserResponse
from native.api.params import boolean, integer, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, Role
from native.services import accounts, domains, limits, users
from native.services.caller import Caller, RoleType
from native.services.settings import Settings
from native.services.visibility import accounts_clause


class AccountResponse(ResponseObject, ResourceStandingFields, object_name="account"):
    id = Field("the id of the account")
    name = Field("the name of the account")
    accounttype = Field("account type (admin, domain-admin, user)", type="integer")
    roleid = Field("the ID of the role")
    roletype = Field("the type of the role (Admin, ResourceAdmin, DomainAdmin, User)")
    rolename = Field("the name of the role")
    domainid = Field("id of the Domain the account belongs to")
    domain = Field("name of the Domain the account belongs to")
    domainpath = Field("path of the Domain the account belongs to", since="4.13")
    state = Field("the state of the account")
    networkdomain = Field("the network domain")
    accountdetails = Field("details for the account", type="map")
    isdefault = Field("true if account is default, false otherwise", type="boolean", since="4.2.0")
    created = Field("the date when this account was created", type="date")
    iscleanuprequired = Field("true if the account requires cleanup", type="boolean")
    user = Field("the list of users associated with account", of=UserResponse)

    @classmethod
    def of(
        cls, session: Session, account: Account, *, caller: Caller, settings: Settings
    ) -> AccountResponse:
        return cls(
            **standing_values(limits.account_standing(session, settings, account=account)),
            id=account.uuid,
            name=account.name,
            accounttype=account.account_type,
            roleid=account.role.uuid,
            roletype=account.role.role_type,
            rolename=account.role.name,
            domainid=account.domain.uuid,
            domain=account.domain.name,
            domainpath=domains.display_path(account.domain),
            state=account.state,
            networkdomain=account.network_domain,
            accountdetails=accounts.account_details(session, account) or None,
            isdefault=account.is_default,
            created=account.created,
            iscleanuprequired=account.cleanup_needed,
            user=[
                UserResponse.of(user, caller=caller) for user in users.live_users(session, account)
            ],
        )


class CreateAccount(
    NewUserCommand,
    api="createAccount",
    response=AccountResponse,
    authorized=ADMINS,
    event="ACCOUNT.CREATE",
    entity_type="Account",
):
    """Creates an account

    The account gets its first user; `accounttype` or `roleid` (or both, of the same
    type) says what kind of account it is.
    """

    accounttype = integer(
        description="Type of the account.  Specify 0 for user, 1 for root admin, and 2 for domain admin"
    )
    roleid = uuid_of(
        Role, description="Creates the account under the specified role.", since="4.9.0"
    )
    account = string(
        description="Name of the account to be created. The user will be added to this newly "
        "created account. If no account is specified, the username will be used as the account name."
    )
    domainid = uuid_of(Domain, description="Creates the user under the specified domain.")
    networkdomain = string(description="Network domain for the account's networks")
    accountid = string(
        description="Account UUID, required for adding account from external provisioning system",
        length=40,
    )
    accountdetails = map_of(description="details for the account used to store specific parameters")

    def execute(self, ctx: CommandContext) -> AccountResponse:
        domain = self.domainid or ctx.session.get(Domain, ctx.caller.domain_id)
        assert domain is not None
        account = accounts.create_account(
            ctx.session,
            caller=ctx.caller,
            settings=ctx.runtime.settings,
            name=self.account or self.username,
            account_type=self.accounttype,
            role=self.roleid,
            domain=domain,
            network_domain=self.networkdomain,
            details=accounts.flatten_details(self.accountdetails),
            account_uuid=self.accountid,
            user=self.new_user(),
        )
        return AccountResponse.of(
            ctx.session, account, caller=ctx.caller, settings=ctx.runtime.settings
        )


class ListAccounts(
    ListInDomainCommand, api="listAccounts", response=AccountResponse, authorized=ALL_ROLES
):
    """Lists accounts and provides detailed account information for listed accounts

    A user sees only its own account. An admin sees the accounts of `domainid` (by
    default its own domain), and of the domains below it with `isrecursive` or `listall`.
    """

    id = uuid_of(Account, description="list account by account ID")
    name = string(description="list account by account name")
    accounttype = integer(description="list accounts by account type.")
    state = string(
        description="list accounts by state. Valid states are enabled, disabled, and locked."
    )
    iscleanuprequired = boolean(
        description="list accounts by cleanuprequired attribute (values are true or false)"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(Account)
            .join(Domain, Account.domain_id == Domain.id)
            .where(Account.removed.is_(None), accounts_clause(ctx.caller))
        )
        if self.id is not None:
            query = query.where(Account.id == self.id.id)
        elif ctx.caller.role_type is RoleType.USER:
            query = query.where(Account.id == ctx.caller.account_id)
        else:
            top = self.domainid or ctx.session.get(Domain, ctx.caller.domain_id)
            assert top is not None
            if self.isrecursive or self.listall:
                query = query.where(Domain.path.startswith(top.path, autoescape=True))
            else:
                query = query.where(Domain.id == top.id)
        if self.name is not None:
            query = query.where(func.lower(Account.name) == self.name.lower())
        if self.accounttype is not None:
            query = query.where(Account.account_type == self.accounttype)
        if self.state is not None:
            query = query.where(func.lower(Account.state) == self.state.lower())
        if self.iscleanuprequired is not None:
            query = query.where(Account.cleanup_needed == self.iscleanuprequired)
        if self.keyword:
            query = query.where(Account.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, Account.id)
        return ListResult(
            [
                AccountResponse.of(
                    ctx.session, row, caller=ctx.caller, settings=ctx.runtime.settings
                )
                for row in rows
            ],
            count,
        )


class _AccountByIdOrName(Command):
    """Commands naming an account by `id`, or by `account` and `domainid`."""

    id = uuid_of(Account, description="Account id")
    account = string(description="Account name")
    domainid = uuid_of(Domain, description="Domain ID of the account")

    def target(self, ctx: CommandContext) -> Account:
        return accounts.find_account(
            ctx.session, caller=ctx.caller, account=self.id, name=self.account, domain=self.domainid
        )


class UpdateAccount(
    _AccountByIdOrName,
    api="updateAccount",
    response=AccountResponse,
    authorized=ADMINS,
    event="ACCOUNT.UPDATE",
    entity_type="Account",
):
    """Updates account information for the authenticated user"""

    newname = string(description="new name for the account")
    networkdomain = string(
        description="Network domain for the account's networks; empty string will update "
        "domainName with NULL value"
    )
    roleid = uuid_of(Role, description="The UUID of the dynamic role to set for the account")
    accountdetails = map_of(description="Details for the account used to store specific parameters")

    def execute(self, ctx: CommandContext) -> AccountResponse:
        account = accounts.update_account(
            ctx.session,
            caller=ctx.caller,
            settings=ctx.runtime.settings,
            account=self.target(ctx),
            new_name=self.newname,
            network_domain=self.networkdomain,
            role=self.roleid,
            details=accounts.flatten_details(self.accountdetails),
        )
        return AccountResponse.of(
            ctx.session, account, caller=ctx.caller, settings=ctx.runtime.settings
        )


class DeleteAccount(
    Command,
    api="deleteAccount",
    is_async=True,
    authorized=ADMINS,
    event="ACCOUNT.DELETE",
    entity_type="Account",
):
    """Deletes a account, and all users associated with this account"""

    id = uuid_of(Account, description="Account id").required()

    def create(self, ctx: CommandContext) -> None:
        accounts.check_account_alterable(ctx.caller, self.id, action="delete")

    def execute(self, ctx: CommandContext) -> SuccessResult:
        accounts.delete_account(ctx.session, caller=ctx.caller, account=self.id)
        return SuccessResult()


class DisableAccount(
    _AccountByIdOrName,
    api="disableAccount",
    is_async=True,
    response=AccountResponse,
    authorized=ADMINS,
    event="ACCOUNT.DISABLE",
    entity_type="Account",
):
    """Disables an account

    With `lock=true` the account is locked (its users can no longer log in or call the
    API); with `lock=false` it is disabled.
    """

    lock = boolean(
        description="If true, only lock the account; else disable the account"
    ).required()

    def _state(self) -> str:
        return "locked" if self.lock else "disabled"

    def create(self, ctx: CommandContext) -> None:
        action = "lock" if self.lock else "disable"
        accounts.check_account_alterable(ctx.caller, self.target(ctx), action=action)

    def execute(self, ctx: CommandContext) -> AccountResponse:
        account = accounts.set_account_state(
            ctx.session, caller=ctx.caller, account=self.target(ctx), state=self._state()
        )
        return AccountResponse.of(
            ctx.session, account, caller=ctx.caller, settings=ctx.runtime.settings
        )


class EnableAccount(
    _AccountByIdOrName,
    api="enableAccount",
    response=AccountResponse,
    authorized=ADMINS,
    event="ACCOUNT.ENABLE",
    entity_type="Account",
):
    """Enables an account"""

    def execute(self, ctx: CommandContext) -> AccountResponse:
        account = accounts.set_account_state(
            ctx.session, caller=ctx.caller, account=self.target(ctx), state="enabled"
        )
        return AccountResponse.of(
            ctx.session, account, caller=ctx.caller, settings=ctx.runtime.settings
        )


class LockAccount(
    Command,
    api="lockAccount",
    response=AccountResponse,
    authorized=ADMINS,
    event="ACCOUNT.LOCK",
    entity_type="Account",
):
    """Locks an account; disableAccount with lock=true does the same"""

    account = string(description="Locks the specified account.").required()
    domainid = uuid_of(Domain, description="Locks the specified account on this domain.").required()

    def execute(self, ctx: CommandContext) -> AccountResponse:
        target = accounts.find_account(
            ctx.session, caller=ctx.caller, account=None, name=self.account, domain=self.domainid
        )
        account = accounts.set_account_state(
            ctx.session, caller=ctx.caller, account=target, state="locked"
        )
        return AccountResponse.of(
            ctx.session, account, caller=ctx.caller, settings=ctx.runtime.settings
        )
