"""Configuration commands: listConfigurations, updateConfiguration, resetConfiguration."""

from __future__ import annotations

from sqlalchemy.orm import Session

from native.api.command import ROOT_ADMIN, Command, CommandContext, ListCommand
from native.api.params import string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, Result
from native.model import Account, Cluster, Domain, StoragePool, Zone
from native.services import configurations
from native.services.configurations import Scope
from native.services.settings import Setting, Settings


class ConfigurationResponse(ResponseObject, object_name="configuration"):
    category = Field("the category of the configuration")
    name = Field("the name of the configuration")
    value = Field("the value of the configuration")
    defaultvalue = Field("the default value of the configuration", since="4.18.0")
    scope = Field("scope(zone/cluster/pool/account) of the parameter that needs to be updated")
    description = Field("the description of the configuration")
    isdynamic = Field("true if the configuration is dynamic", type="boolean")
    component = Field("the component of the configuration", since="4.18.0")
    type = Field("the type of the configuration value", since="4.18.0")

    @classmethod
    def of(
        cls, settings: Settings, session: Session, *, definition: Setting, scope: Scope
    ) -> ConfigurationResponse:
        return cls(
            category=definition.category,
            name=definition.name,
            value=configurations.effective(settings, session, definition=definition, scope=scope),
            defaultvalue=definition.default,
            scope=scope.name
            if scope.name != "global"
            else configurations.widest_override(definition),
            description=definition.description,
            isdynamic=definition.is_dynamic,
            component=definition.component,
            type=definition.type,
        )


class _Scoped(Command):
    accountid = uuid_of(
        Account,
        description="the ID of the Account to update the parameter value for corresponding account",
    )
    domainid = uuid_of(
        Domain,
        description="the ID of the Domain to update the parameter value for corresponding domain",
    )
    zoneid = uuid_of(
        Zone, description="the ID of the Zone to update the parameter value for corresponding zone"
    )
    clusterid = uuid_of(
        Cluster,
        description="the ID of the Cluster to update the parameter value for corresponding cluster",
    )
    storageid = uuid_of(
        StoragePool,
        description="the ID of the Storage pool to update the parameter value for corresponding "
        "storage pool",
    )

    def scope(self) -> Scope:
        return Scope.of(
            account=self.accountid,
            domain=self.domainid,
            zone=self.zoneid,
            cluster=self.clusterid,
            storagepool=self.storageid,
        )


class ListConfigurations(
    _Scoped,
    ListCommand,
    api="listConfigurations",
    response=ConfigurationResponse,
    authorized=ROOT_ADMIN,
    since="1.0",
):
    """Lists all configurations.

    With zoneid, clusterid, storageid, accountid or domainid, only the settings that can be
    set at that scope are listed, with the value in force there.
    """

    name = string(description="lists configuration by name")
    category = string(description="lists configurations by category")

    def execute(self, ctx: CommandContext) -> ListResult:
        settings = ctx.runtime.settings
        scope = self.scope()
        found = configurations.listed(
            settings, scope=scope, name=self.name, category=self.category, keyword=self.keyword
        )
        page = self.page_of_items(ctx, found)
        return ListResult(
            [
                ConfigurationResponse.of(settings, ctx.session, definition=definition, scope=scope)
                for definition in page
            ],
            len(found),
        )


class UpdateConfiguration(
    _Scoped,
    api="updateConfiguration",
    response=ConfigurationResponse,
    authorized=ROOT_ADMIN,
    event="CONFIGURATION.VALUE.EDIT",
    entity_type="Configuration",
    since="1.0",
):
    """Updates a configuration.

    The value is checked against the setting's type and bounds; a bad one is refused and
    nothing is stored.
    """

    name = string(description="the name of the configuration").required()
    value = string(description="the value of the configuration", length=4096).required()

    def execute(self, ctx: CommandContext) -> ConfigurationResponse:
        settings = ctx.runtime.settings
        scope = self.scope()
        definition = configurations.update(
            settings, ctx.session, name=self.name, value=self.value, scope=scope
        )
        return ConfigurationResponse.of(settings, ctx.session, definition=definition, scope=scope)

    def event_description(self, result: Result) -> str:
        return f"Set configuration {self.name} to {self.value!r} at {self.scope().name} scope"


class ResetConfiguration(
    _Scoped,
    api="resetConfiguration",
    response=ConfigurationResponse,
    authorized=ROOT_ADMIN,
    event="CONFIGURATION.VALUE.EDIT",
    entity_type="Configuration",
    since="4.16.0",
):
    """Resets a configuration. The configuration will be set to default value for global setting,
    and removed from account_details or domain_details for Account/Domain settings
    """

    name = string(description="the name of the configuration").required()

    def execute(self, ctx: CommandContext) -> ConfigurationResponse:
        settings = ctx.runtime.settings
        scope = self.scope()
        definition = configurations.reset(settings, ctx.session, name=self.name, scope=scope)
        return ConfigurationResponse.of(settings, ctx.session, definition=definition, scope=scope)

    def event_description(self, result: Result) -> str:
        return f"Reset configuration {self.name} at {self.scope().name} scope"
