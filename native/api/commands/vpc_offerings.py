"""VPC offering commands: createVPCOffering, listVPCOfferings, updateVPCOffering,
deleteVPCOffering.

The async update changes the row at once (so bad input fails at once); the async delete
checks at once and removes the offering in its job.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand
from native.api.commands.physical_networks import ProviderResponse, ServiceResponse
from native.api.params import StringKind, boolean, list_of, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone
from native.model import VpcOffering, Zone
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import offerings, physical_networks


def usable_vpc_offering(session: Session, caller: Caller, offering: VpcOffering) -> bool:
    """Any VPC offering for root admins; an Enabled one for everyone else."""
    return offerings.can_use(caller, offering)


class VpcOfferingResponse(ResponseObject, object_name="vpcoffering"):
    id = Field("the id of the vpc offering")
    name = Field("the name of the vpc offering")
    displaytext = Field("an alternate display text of the vpc offering.")
    created = Field("the date this vpc offering was created", type="date")
    isdefault = Field("true if vpc offering is default, false otherwise", type="boolean")
    state = Field("state of the vpc offering. Can be Disabled/Enabled")
    service = Field("the list of supported services", of=ServiceResponse)
    distributedvpcrouter = Field(
        "indicates if the vpc offering supports distributed router for one-hop forwarding",
        type="boolean",
        since="4.4",
    )
    supportsregionLevelvpc = Field(
        "indicated if the offering can support region level vpc", type="boolean", since="4.4"
    )

    @classmethod
    def of(cls, offering: VpcOffering) -> VpcOfferingResponse:
        return cls(
            id=offering.uuid,
            name=offering.name,
            displaytext=offering.display_text,
            created=offering.created,
            isdefault=offering.is_default,
            state=offering.state,
            service=[
                ServiceResponse(
                    name=service,
                    provider=[ProviderResponse(name=provider) for provider in providers],
                )
                for service, providers in offerings.services_of(offering).items()
                if service != "Gateway"
            ],
            distributedvpcrouter=False,
            supportsregionLevelvpc=offerings.supports_region_level(offering),
        )


def _offering(ctx: CommandContext, uuid: str | None) -> VpcOffering:
    return ctx.session.scalars(select(VpcOffering).where(VpcOffering.uuid == uuid)).one()


class CreateVpcOffering(
    Command,
    api="createVPCOffering",
    is_async=True,
    response=VpcOfferingResponse,
    event="VPC.OFFERING.CREATE",
    entity_type="VpcOffering",
    since="4.0.0",
):
    """Creates VPC offering

    SourceNat and NetworkACL are always offered; services default to VpcVirtualRouter.
    """

    name = string(description="the name of the vpc offering").required()
    displaytext = string(
        description="the display text of the vpc offering, defaults to the 'name'", length=4096
    )
    supportedservices = list_of(StringKind(), description="services supported by the vpc offering")
    serviceproviderlist = map_of(
        description="provider to service mapping. If not specified, the provider for the "
        "service will be mapped to the default provider on the physical network"
    )
    servicecapabilitylist = map_of(
        description="desired service capabilities as part of vpc offering", since="4.4"
    )
    enable = boolean(
        description="set to true if the offering is to be enabled during creation. Default is "
        "false",
        since="4.16",
    )

    def create(self, ctx: CommandContext) -> str:
        row = offerings.create_vpc_offering(
            ctx.session,
            name=self.name,
            display_text=self.displaytext or self.name,
            services=self.supportedservices or (),
            provider_map=self.serviceproviderlist or (),
            capability_map=self.servicecapabilitylist or (),
            enable=bool(self.enable),
        )
        return row.uuid

    def execute(self, ctx: CommandContext) -> VpcOfferingResponse:
        return VpcOfferingResponse.of(_offering(ctx, ctx.instance_id))


class ListVpcOfferings(
    ListCommand,
    api="listVPCOfferings",
    response=VpcOfferingResponse,
    authorized=ALL_ROLES,
    since="4.0.0",
):
    """Lists VPC offerings

    Users and domain admins see Enabled offerings only.
    """

    id = uuid_of(VpcOffering, visible=usable_vpc_offering, description="list VPC offerings by id")
    name = string(description="list VPC offerings by name")
    displaytext = string(description="list VPC offerings by display text")
    isdefault = boolean(
        description="true if need to list only default VPC offerings. Default value is false"
    )
    supportedservices = list_of(
        StringKind(), description="list VPC offerings supporting certain services"
    )
    state = string(description="list VPC offerings by state")
    zoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="id of zone VPC offering is associated with",
        since="4.13",
    )

    def _conditions(self, ctx: CommandContext) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [VpcOffering.removed.is_(None)]
        if not ctx.caller.is_root_admin:
            conditions.append(VpcOffering.state == "Enabled")
        if self.id is not None:
            conditions.append(VpcOffering.id == self.id.id)
        if self.name is not None:
            conditions.append(VpcOffering.name == self.name)
        if self.displaytext is not None:
            conditions.append(VpcOffering.display_text == self.displaytext)
        if self.isdefault is not None:
            conditions.append(VpcOffering.is_default.is_(self.isdefault))
        if self.state is not None:
            conditions.append(VpcOffering.state == self.state)
        if self.keyword:
            conditions.append(
                or_(
                    VpcOffering.name.contains(self.keyword, autoescape=True),
                    VpcOffering.display_text.contains(self.keyword, autoescape=True),
                )
            )
        return conditions

    def execute(self, ctx: CommandContext) -> ListResult:
        wanted = set()
        for name in self.supportedservices or ():
            service = next(
                (s for s in offerings.SERVICES if s.lower() == name.strip().lower()), None
            )
            if service is None:
                raise InvalidParameterValue(f"Invalid service {name} in supportedservices")
            wanted.add(service)
        enabled = (
            None
            if self.zoneid is None
            else physical_networks.enabled_providers(ctx.session, zone_id=self.zoneid.id)
        )
        rows = ctx.session.scalars(
            select(VpcOffering).where(*self._conditions(ctx)).order_by(VpcOffering.id)
        ).all()
        kept = []
        for row in rows:
            services = offerings.services_of(row)
            providers = {provider for listed in services.values() for provider in listed}
            if wanted <= set(services) and (enabled is None or providers <= enabled):
                kept.append(row)
        page = self.page_of_items(ctx, kept)
        return ListResult([VpcOfferingResponse.of(row) for row in page], len(kept))


class UpdateVpcOffering(
    Command,
    api="updateVPCOffering",
    is_async=True,
    response=VpcOfferingResponse,
    event="VPC.OFFERING.UPDATE",
    entity_type="VpcOffering",
    since="4.0.0",
):
    """Updates VPC offering"""

    id = uuid_of(VpcOffering, description="the id of the VPC offering").required()
    name = string(description="the name of the VPC offering")
    displaytext = string(description="the display text of the VPC offering", length=4096)
    state = string(
        description="update state for the VPC offering; supported states - Enabled/Disabled"
    )

    def create(self, ctx: CommandContext) -> None:
        offerings.update_vpc_offering(
            ctx.session,
            offering=self.id,
            name=self.name,
            display_text=self.displaytext,
            state=self.state,
        )

    def execute(self, ctx: CommandContext) -> VpcOfferingResponse:
        return VpcOfferingResponse.of(self.id)


class DeleteVpcOffering(
    Command,
    api="deleteVPCOffering",
    is_async=True,
    event="VPC.OFFERING.DELETE",
    entity_type="VpcOffering",
    since="4.0.0",
):
    """Deletes VPC offering"""

    id = uuid_of(VpcOffering, description="the ID of the VPC offering").required()

    def create(self, ctx: CommandContext) -> None:
        offerings.check_vpc_offering_deletable(ctx.session, offering=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        offerings.delete_vpc_offering(ctx.session, offering=self.id)
        return SuccessResult()
