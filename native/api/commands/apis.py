"""listApis: the API's self-description, derived from the command declarations."""

from __future__ import annotations

from native.api.command import ALL_ROLES, REGISTRY, Command, CommandContext
from native.api.params import Param, string
from native.api.responses import Field, ListResult, ResponseObject
from native.services.caller import Caller
from native.services.rbac import ALLOW, first_matching_permission, rule_pairs


class ApiParameterResponse(ResponseObject, object_name="params"):
    name = Field("the name of the api parameter")
    description = Field("description of the api parameter")
    type = Field("parameter type")
    length = Field("length of the parameter", type="integer")
    required = Field("true if this parameter is required for the api request", type="boolean")
    since = Field("version of CloudStack the api was introduced in")
    related = Field("comma separated related apis to get the parameter")


class ApiResponseResponse(ResponseObject, object_name="response"):
    name = Field("the name of the api response field")
    description = Field("description of the api response field")
    type = Field("response field type")


class ApiResponse(ResponseObject, object_name="api"):
    name = Field("the name of the api command")
    description = Field("description of the api")
    since = Field("version of CloudStack the api was introduced in")
    isasync = Field("true if api is asynchronous", type="boolean")
    related = Field("comma separated related apis")
    params = Field("the list params the api accepts", of=ApiParameterResponse)
    response = Field("api response fields", of=ApiResponseResponse)
    type = Field("response type")


def _param_related(param: Param[object]) -> str | None:
    entity = param.kind.describe_related()
    if entity is None:
        return None
    lister = REGISTRY.find(f"list{entity}s")
    return None if lister is None else lister.api_name


def describe(command: type[Command]) -> ApiResponse:
    """The listApis entry of one command, entirely from its declaration."""
    related = [
        other.api_name
        for other in REGISTRY.all()
        if other is not command
        and command.response is not None
        and other.response is command.response
    ]
    fields = [] if command.response is None else list(command.response.fields.values())
    return ApiResponse(
        name=command.api_name,
        description=command.summary(),
        since=command.since,
        isasync=command.is_async,
        related=",".join(related) or None,
        params=[
            ApiParameterResponse(
                name=param.name,
                description=param.description,
                type=param.kind.type_name,
                length=param.length,
                required=param.is_required,
                since=param.since,
                related=_param_related(param),
            )
            for param in command.params.values()
        ],
        response=[
            ApiResponseResponse(name=field.name, description=field.description, type=field.type)
            for field in fields
        ],
        type=None if command.response is None else command.response.object_name,
    )


def available_to(ctx: CommandContext, caller: Caller) -> list[type[Command]]:
    """The commands the caller's role type and role rules both allow, by name."""
    rules = rule_pairs(ctx.session, caller.role_id)
    return [
        command
        for command in REGISTRY.all()
        if caller.role_type in command.authorized
        and first_matching_permission(rules, command.api_name) == ALLOW
    ]


class ListApis(Command, api="listApis", response=ApiResponse, authorized=ALL_ROLES, since="4.1.0"):
    """lists all available apis on the server, provided by the Api Discovery plugin"""

    name = string(description="API name")

    def execute(self, ctx: CommandContext) -> ListResult:
        commands = available_to(ctx, ctx.caller)
        if self.name is not None:
            commands = [
                command for command in commands if command.api_name.lower() == self.name.lower()
            ]
        return ListResult([describe(command) for command in commands], len(commands))
