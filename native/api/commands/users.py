"""User commands: createUser, listUsers, updateUser, deleteUser, disableUser, enableUser,
lockUser, registerUserKeys, getUserKeys."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import func, or_, select

from native.api.command import ADMINS, ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.params import integer, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, User
from native.services import accounts, users
from native.services.caller import Caller, RoleType


class UserResponse(ResponseObject, object_name="user"):
    id = Field("the user ID")
    username = Field("the user name")
    firstname = Field("the user firstname")
    lastname = Field("the user lastname")
    email = Field("the user email address")
    created = Field("the date and time the user account was created", type="date")
    state = Field("the user state")
    account = Field("the account name of the user")
    accountid = Field("the account ID of the user")
    accounttype = Field("the account type of the user", type="integer")
    roleid = Field("the ID of the role")
    roletype = Field("the type of the role")
    rolename = Field("the name of the role")
    domainid = Field("the domain ID of the user")
    domain = Field("the domain name of the user")
    apikey = Field("the api key of the user")
    timezone = Field("the timezone user was created in")
    isdefault = Field("true if user is default, false otherwise", type="boolean", since="4.2.0")
    usersource = Field("the source type of the user in lowercase, such as native, ldap, saml2")
    iscallerchilddomain = Field(
        "the boolean value representing if the updating target is in caller's child domain",
        type="boolean",
    )

    @classmethod
    def of(cls, user: User, *, caller: Caller) -> UserResponse:
        account = user.account
        return cls(
            id=user.uuid,
            username=user.username,
            firstname=user.first_name,
            lastname=user.last_name,
            email=user.email,
            created=user.created,
            state=user.state,
            account=account.name,
            accountid=account.uuid,
            accounttype=account.account_type,
            roleid=account.role.uuid,
            roletype=account.role.role_type,
            rolename=account.role.name,
            domainid=account.domain.uuid,
            domain=account.domain.name,
            apikey=user.api_key,
            timezone=user.timezone,
            isdefault=user.is_default,
            usersource=user.source.lower(),
            iscallerchilddomain=account.domain.path.startswith(caller.domain_path),
        )


class UserKeysResponse(ResponseObject, object_name="userkeys"):
    apikey = Field("the api key of the registered user")
    secretkey = Field("the secret key of the registered user")


class NewUserCommand(Command):
    """The parameters of a new user, shared by createUser and createAccount."""

    username = string(description="Unique username.").required()
    password = string(description="Clear text password.").required()
    email = string(description="email").required()
    firstname = string(description="firstname").required()
    lastname = string(description="lastname").required()
    timezone = string(description="Specifies a timezone for this command.")
    userid = string(
        description="User UUID, required for adding account from external provisioning system",
        length=40,
    )

    def new_user(self) -> users.NewUser:
        return users.NewUser(
            username=self.username,
            password=self.password,
            first_name=self.firstname,
            last_name=self.lastname,
            email=self.email,
            timezone=self.timezone,
            uuid=self.userid,
        )


class CreateUser(
    NewUserCommand,
    api="createUser",
    response=UserResponse,
    authorized=ADMINS,
    event="USER.CREATE",
    entity_type="User",
):
    """Creates a user for an account that already exists"""

    account = string(description="Creates the user under the specified account.").required()
    domainid = uuid_of(
        Domain,
        description="Creates the user under the specified domain. Has to be accompanied with the "
        "account parameter",
    )

    def execute(self, ctx: CommandContext) -> UserResponse:
        account = accounts.find_account(
            ctx.session, caller=ctx.caller, account=None, name=self.account, domain=self.domainid
        )
        user = users.create_user(
            ctx.session,
            caller=ctx.caller,
            settings=ctx.runtime.settings,
            account=account,
            spec=self.new_user(),
        )
        return UserResponse.of(user, caller=ctx.caller)


class ListUsers(ListOwnedCommand, api="listUsers", response=UserResponse, authorized=ALL_ROLES):
    """Lists user accounts

    A user sees only itself, as in CloudStack; admins see the users of the accounts they
    may see, scoped by `account`, `domainid`, `isrecursive` and `listall`.
    """

    id = uuid_of(User, description="List user by ID.")
    username = string(description="List user by the username")
    accounttype = integer(
        description="List users by account type. Valid types include admin, domain-admin, read-only-admin, or user."
    )
    state = string(description="List users by state of the user account.")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(User)
            .join(Account, User.account_id == Account.id)
            .join(Domain, Account.domain_id == Domain.id)
            .where(User.removed.is_(None), Account.removed.is_(None))
        )
        if self.id is not None:
            query = query.where(User.id == self.id.id)
        else:
            query = query.where(self.owner_clause(ctx))
        if ctx.caller.role_type is RoleType.USER:
            query = query.where(User.id == ctx.caller.user_id)
        if self.username is not None:
            query = query.where(User.username == self.username)
        if self.accounttype is not None:
            query = query.where(Account.account_type == self.accounttype)
        if self.state is not None:
            query = query.where(func.lower(User.state) == self.state.lower())
        if self.keyword:
            query = query.where(
                or_(
                    *(
                        column.contains(self.keyword, autoescape=True)
                        for column in (
                            User.username,
                            User.first_name,
                            User.last_name,
                            User.email,
                            Account.name,
                        )
                    )
                )
            )
        rows, count = self.page_of_query(ctx, query, User.id)
        return ListResult([UserResponse.of(row, caller=ctx.caller) for row in rows], count)


class UpdateUser(
    Command,
    api="updateUser",
    response=UserResponse,
    authorized=ALL_ROLES,
    event="USER.UPDATE",
    entity_type="User",
):
    """Updates a user account"""

    id = uuid_of(User, description="User uuid").required()
    username = string(description="Unique username")
    password = string(description="Clear text password")
    currentpassword = string(
        description="Current password that was being used by the user. You must inform the current password "
        "when updating the password."
    )
    firstname = string(description="first name")
    lastname = string(description="last name")
    email = string(description="email")
    timezone = string(description="Specifies a timezone for this command.")
    userapikey = string(
        description="The API key for the user. Must be specified with userSecretKey"
    )
    usersecretkey = string(
        description="The secret key for the user. Must be specified with userApiKey"
    )

    def execute(self, ctx: CommandContext) -> UserResponse:
        changes = users.UserChanges(
            username=self.username,
            password=self.password,
            current_password=self.currentpassword,
            first_name=self.firstname,
            last_name=self.lastname,
            email=self.email,
            timezone=self.timezone,
            api_key=self.userapikey,
            secret_key=self.usersecretkey,
        )
        user = users.update_user(
            ctx.session,
            caller=ctx.caller,
            settings=ctx.runtime.settings,
            secrets=ctx.runtime.secrets,
            user=self.id,
            changes=changes,
        )
        return UserResponse.of(user, caller=ctx.caller)


class DeleteUser(
    Command,
    api="deleteUser",
    authorized=ADMINS,
    event="USER.DELETE",
    entity_type="User",
):
    """Deletes a user for an account"""

    id = uuid_of(User, description="id of the user to be deleted").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        users.delete_user(ctx.session, caller=ctx.caller, user=self.id)
        return SuccessResult()


class _UserStateChange(Command):
    """Sets the user's state to `new_state`."""

    new_state: ClassVar[str]

    def execute(self, ctx: CommandContext) -> UserResponse:
        target: User = self._values["id"]
        user = users.set_user_state(
            ctx.session, caller=ctx.caller, user=target, state=self.new_state
        )
        return UserResponse.of(user, caller=ctx.caller)


class DisableUser(
    _UserStateChange,
    api="disableUser",
    is_async=True,
    response=UserResponse,
    authorized=ADMINS,
    event="USER.DISABLE",
    entity_type="User",
):
    """Disables a user account"""

    new_state = "disabled"
    id = uuid_of(User, description="Disables user by user ID.").required()

    def create(self, ctx: CommandContext) -> None:
        users.check_may_act_on_user(ctx.caller, self.id)
        users.check_not_self_or_default(ctx.caller, self.id, action="disable")


class EnableUser(
    _UserStateChange,
    api="enableUser",
    response=UserResponse,
    authorized=ADMINS,
    event="USER.ENABLE",
    entity_type="User",
):
    """Enables a user account"""

    new_state = "enabled"
    id = uuid_of(User, description="Enables user by user ID.").required()


class LockUser(
    _UserStateChange,
    api="lockUser",
    response=UserResponse,
    authorized=ADMINS,
    event="USER.LOCK",
    entity_type="User",
):
    """Locks a user account"""

    new_state = "locked"
    id = uuid_of(User, description="Locks user by user ID.").required()


class RegisterUserKeys(
    Command,
    api="registerUserKeys",
    response=UserKeysResponse,
    authorized=ALL_ROLES,
    event="REGISTER.USER.KEY",
    entity_type="User",
):
    """This command allows a user to register for the developer API, returning a secret key and an API key.

    The user's previous key pair stops working at once.
    """

    id = uuid_of(User, description="User id").required()

    def execute(self, ctx: CommandContext) -> UserKeysResponse:
        api_key, secret_key = users.register_keys(
            ctx.session, caller=ctx.caller, secrets=ctx.runtime.secrets, user=self.id
        )
        return UserKeysResponse(apikey=api_key, secretkey=secret_key)


class GetUserKeys(
    Command,
    api="getUserKeys",
    response=UserKeysResponse,
    authorized=ALL_ROLES,
    since="4.10.0",
):
    """This command allows the user to query the seceret and API keys for the account"""

    id = uuid_of(User, description="ID of the user whose keys are required").required()

    def execute(self, ctx: CommandContext) -> UserKeysResponse:
        api_key, secret_key = users.get_keys(
            caller=ctx.caller, secrets=ctx.runtime.secrets, user=self.id
        )
        return UserKeysResponse(apikey=api_key, secretkey=secret_key)
