"""Role commands: createRole, listRoles, updateRole, deleteRole and the role permission rules."""

from __future__ import annotations

from native.api.command import ALL_ROLES, ROOT_ADMIN, Command, CommandContext, ListCommand
from native.api.params import UuidKind, list_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, Result, SuccessResult
from native.model import Role, RolePermission
from native.services import roles


class RoleResponse(ResponseObject, object_name="role"):
    id = Field("the ID of the role")
    name = Field("the name of the role")
    type = Field("the type of the role")
    description = Field("the description of the role")
    isdefault = Field("true if role is default, false otherwise", type="boolean")

    @classmethod
    def of(cls, role: Role) -> RoleResponse:
        return cls(
            id=role.uuid,
            name=role.name,
            type=role.role_type,
            description=role.description,
            isdefault=role.is_default,
        )


class RolePermissionResponse(ResponseObject, object_name="rolepermission"):
    id = Field("the ID of the role permission")
    roleid = Field("the ID of the role to which the role permission belongs")
    rolename = Field("the name of the role to which the role permission belongs")
    roletype = Field("the type of the role to which the role permission belongs")
    rule = Field("the api name or wildcard rule")
    permission = Field("the permission type of the api name or wildcard rule, allow/deny")
    description = Field("the description of the role permission")

    @classmethod
    def of(cls, rule: RolePermission) -> RolePermissionResponse:
        return cls(
            id=rule.uuid,
            roleid=rule.role.uuid,
            rolename=rule.role.name,
            roletype=rule.role.role_type,
            rule=rule.rule,
            permission=rule.permission.lower(),
            description=rule.description,
        )


class CreateRole(
    Command,
    api="createRole",
    response=RoleResponse,
    authorized=ROOT_ADMIN,
    event="ROLE.CREATE",
    entity_type="Role",
    since="4.9.0",
):
    """Creates a role"""

    name = string(description="Creates a role with this unique name").required()
    type = string(description="The type of the role, valid options are: Admin, DomainAdmin, User")
    roleid = uuid_of(
        Role,
        description="ID of the role to be cloned from. Either roleid or type must be passed in",
        since="4.15.0",
    )
    role_description = string(
        description="The description of the role", length=1024, api_name="description"
    )

    def execute(self, ctx: CommandContext) -> RoleResponse:
        role = roles.create_role(
            ctx.session,
            name=self.name,
            role_type=None if self.type is None else roles.parse_role_type(self.type),
            template=self.roleid,
            description=self.role_description,
        )
        return RoleResponse.of(role)


class ListRoles(
    ListCommand, api="listRoles", response=RoleResponse, authorized=ALL_ROLES, since="4.9.0"
):
    """Lists dynamic roles in CloudStack

    Callers see only the roles at or below their own privilege.
    """

    id = uuid_of(Role, description="List role by role ID.")
    name = string(description="List role by role name.")
    type = string(
        description="List role by role type, valid options are: Admin, DomainAdmin, User."
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        if self.id is not None:
            found = [self.id]
        else:
            found = roles.visible_roles(
                ctx.session,
                caller=ctx.caller,
                name=self.name,
                role_type=None if self.type is None else roles.parse_role_type(self.type),
                keyword=self.keyword,
            )
        page = self.page_of_items(ctx, found)
        return ListResult([RoleResponse.of(role) for role in page], len(found))


class UpdateRole(
    Command,
    api="updateRole",
    response=RoleResponse,
    authorized=ROOT_ADMIN,
    event="ROLE.UPDATE",
    entity_type="Role",
    since="4.9.0",
):
    """Updates a role"""

    id = uuid_of(Role, description="ID of the role").required()
    name = string(description="creates a role with this unique name")
    type = string(description="The type of the role, valid options are: Admin, DomainAdmin, User")
    role_description = string(
        description="The description of the role", length=1024, api_name="description"
    )

    def execute(self, ctx: CommandContext) -> RoleResponse:
        role = roles.update_role(
            ctx.session,
            role=self.id,
            name=self.name,
            role_type=None if self.type is None else roles.parse_role_type(self.type),
            description=self.role_description,
        )
        return RoleResponse.of(role)


class DeleteRole(
    Command,
    api="deleteRole",
    authorized=ROOT_ADMIN,
    event="ROLE.DELETE",
    entity_type="Role",
    since="4.9.0",
):
    """Deletes a role"""

    id = uuid_of(Role, description="ID of the role").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        roles.delete_role(ctx.session, role=self.id)
        return SuccessResult()


class CreateRolePermission(
    Command,
    api="createRolePermission",
    response=RolePermissionResponse,
    authorized=ROOT_ADMIN,
    event="ROLE.PERMISSION.CREATE",
    entity_type="RolePermission",
    since="4.9.0",
):
    """Adds an API permission to a role

    The rule is appended at the end of the role's evaluation order.
    """

    roleid = uuid_of(Role, description="ID of the role").required()
    rule = string(description="The API name or wildcard rule such as list*").required()
    permission = string(description="The rule permission, allow or deny. Default: deny.").required()
    rule_description = string(
        description="The description of the role permission", length=1024, api_name="description"
    )

    def execute(self, ctx: CommandContext) -> RolePermissionResponse:
        added = roles.add_permission(
            ctx.session,
            role=self.roleid,
            rule=self.rule,
            permission=self.permission,
            description=self.rule_description,
        )
        return RolePermissionResponse.of(added)

    def event_description(self, result: Result) -> str:
        return f"Added rule {self.rule} {self.permission.lower()} to role {self.roleid.name}"


class ListRolePermissions(
    Command,
    api="listRolePermissions",
    response=RolePermissionResponse,
    authorized=ROOT_ADMIN,
    since="4.9.0",
):
    """Lists role permissions

    The rules of a role come in evaluation order: the first one matching a command decides.
    """

    roleid = uuid_of(Role, description="ID of the role")

    def execute(self, ctx: CommandContext) -> ListResult:
        rules = roles.permissions(ctx.session, role=self.roleid)
        return ListResult([RolePermissionResponse.of(rule) for rule in rules], len(rules))


class UpdateRolePermission(
    Command,
    api="updateRolePermission",
    authorized=ROOT_ADMIN,
    event="ROLE.PERMISSION.UPDATE",
    entity_type="RolePermission",
    since="4.9.0",
):
    """Updates a role permission order

    Either `ruleorder` (every rule id of the role, in the new order) or `ruleid` with
    `permission` (allow or deny) is given.
    """

    roleid = uuid_of(Role, description="ID of the role").required()
    ruleorder = list_of(
        UuidKind(RolePermission),
        description="The ids of all the role's permission rules, in the new evaluation order",
    )
    ruleid = uuid_of(RolePermission, description="Role permission rule id", since="4.11")
    permission = string(description="Rule permission, can be: allow or deny", since="4.11")

    def execute(self, ctx: CommandContext) -> SuccessResult:
        roles.update_permissions(
            ctx.session,
            role=self.roleid,
            order=self.ruleorder,
            rule=self.ruleid,
            permission=self.permission,
        )
        return SuccessResult()

    def event_description(self, result: Result) -> str:
        if self.ruleorder is not None:
            return f"Reordered the permissions of role {self.roleid.name}"
        assert self.ruleid is not None and self.permission is not None
        return (
            f"Set rule {self.ruleid.rule} of role {self.roleid.name} to {self.permission.lower()}"
        )


class DeleteRolePermission(
    Command,
    api="deleteRolePermission",
    authorized=ROOT_ADMIN,
    event="ROLE.PERMISSION.DELETE",
    entity_type="RolePermission",
    since="4.9.0",
):
    """Deletes a role permission"""

    id = uuid_of(RolePermission, description="ID of the role permission").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        roles.delete_permission(ctx.session, rule=self.id)
        return SuccessResult()

    def event_description(self, result: Result) -> str:
        return f"Deleted rule {self.id.rule} of role {self.id.role.name}"
