"""Zone commands: createZone, listZones, updateZone, deleteZone."""

from __future__ import annotations

from sqlalchemy import select

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand
from native.api.commands.capacity import CapacityResponse, zone_capacities
from native.api.params import boolean, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone
from native.model import Domain, Zone
from native.services.infrastructure import zones
from native.services.infrastructure.capacity_report import Level, Scope
from native.services.infrastructure.zones import ZoneChanges


class ZoneResponse(ResponseObject, object_name="zone"):
    id = Field("Zone id")
    name = Field("Zone name")
    description = Field("Zone description")
    dns1 = Field("the first DNS for the Zone")
    dns2 = Field("the second DNS for the Zone")
    internaldns1 = Field("the first internal DNS for the Zone")
    internaldns2 = Field("the second internal DNS for the Zone")
    guestcidraddress = Field("the guest CIDR address for the Zone")
    networktype = Field("the network type of the zone; can be Basic or Advanced")
    securitygroupsenabled = Field(
        "true if security groups support is enabled, false otherwise", type="boolean"
    )
    allocationstate = Field("the allocation state of the cluster")
    zonetoken = Field("Zone Token")
    dhcpprovider = Field("the dhcp Provider for the Zone")
    domain = Field("Network domain name for the networks in the zone")
    domainid = Field("the UUID of the containing domain, null for public zones")
    domainname = Field("the name of the containing domain, null for public zones")
    localstorageenabled = Field(
        "true if local storage offering enabled, false otherwise", type="boolean"
    )
    type = Field("The type of the zone - core or edge", since="4.18.0")
    capacity = Field("the capacity of the Zone", of=CapacityResponse)

    @classmethod
    def of(cls, ctx: CommandContext, zone: Zone, *, capacities: bool = False) -> ZoneResponse:
        admin = ctx.caller.is_root_admin
        domain = None if zone.domain_id is None else ctx.session.get(Domain, zone.domain_id)
        return cls(
            id=zone.uuid,
            name=zone.name,
            description=zone.description,
            dns1=zone.dns1,
            dns2=zone.dns2,
            internaldns1=zone.internal_dns1 if admin else None,
            internaldns2=zone.internal_dns2 if admin else None,
            guestcidraddress=zone.guest_cidr,
            networktype=zone.network_type,
            securitygroupsenabled=zone.security_group_enabled,
            allocationstate=zone.allocation_state,
            zonetoken=zones.zone_token(zone) if admin else None,
            dhcpprovider="VirtualRouter",
            domain=zone.network_domain,
            domainid=None if domain is None else domain.uuid,
            domainname=None if domain is None else domain.name,
            localstorageenabled=zone.local_storage_enabled,
            type="Core",
            capacity=zone_capacities(ctx, scope=Scope(zone_id=zone.id), level=Level.ZONE)
            if capacities
            else None,
        )


class _ZoneFields(Command):
    description = string(description="the details for the Zone", length=1024)
    dns2 = string(description="the second DNS for the Zone")
    internaldns2 = string(description="the second internal DNS for the Zone")
    guestcidraddress = string(description="the guest CIDR address for the Zone")
    domain = string(description="Network domain name for the networks in the zone")
    allocationstate = string(
        description="Allocation state of this Zone for allocation of new resources"
    )
    localstorageenabled = boolean(
        description="true if local storage offering enabled, false otherwise"
    )

    def changes(self, **more: str | None) -> ZoneChanges:
        return ZoneChanges(
            description=self.description,
            dns2=self.dns2,
            internal_dns2=self.internaldns2,
            guest_cidr=self.guestcidraddress,
            network_domain=self.domain,
            allocation_state=self.allocationstate,
            local_storage_enabled=self.localstorageenabled,
            **more,
        )


class CreateZone(
    _ZoneFields,
    api="createZone",
    response=ZoneResponse,
    event="ZONE.CREATE",
    entity_type="Zone",
    since="1.0",
):
    """Creates a Zone.

    A new zone is Disabled until updateZone sets allocationstate=Enabled (unless created
    Enabled); internaldns1 defaults to dns1.
    """

    name = string(description="the name of the Zone").required()
    networktype = string(
        description="network type of the zone, can be Basic or Advanced"
    ).required()
    dns1 = string(description="the first DNS for the Zone").required()
    internaldns1 = string(description="the first internal DNS for the Zone")
    domainid = uuid_of(Domain, description="the ID of the containing domain, null for public zones")
    securitygroupenabled = boolean(
        description="true if network is security group enabled, false otherwise"
    )

    def execute(self, ctx: CommandContext) -> ZoneResponse:
        zone = zones.create_zone(
            ctx.session,
            name=self.name,
            network_type_name=self.networktype,
            dns1=self.dns1,
            changes=self.changes(internal_dns1=self.internaldns1),
            domain=self.domainid,
            security_group_enabled=bool(self.securitygroupenabled),
        )
        return ZoneResponse.of(ctx, zone)


class UpdateZone(
    _ZoneFields,
    api="updateZone",
    response=ZoneResponse,
    event="ZONE.EDIT",
    entity_type="Zone",
    since="1.0",
):
    """Updates a Zone."""

    id = uuid_of(Zone, description="the ID of the Zone").required()
    name = string(description="the name of the Zone")
    dns1 = string(description="the first DNS for the Zone")
    internaldns1 = string(description="the first internal DNS for the Zone")

    def execute(self, ctx: CommandContext) -> ZoneResponse:
        zone = zones.update_zone(
            ctx.session,
            zone=self.id,
            changes=self.changes(name=self.name, dns1=self.dns1, internal_dns1=self.internaldns1),
        )
        return ZoneResponse.of(ctx, zone)


class DeleteZone(
    Command,
    api="deleteZone",
    event="ZONE.DELETE",
    entity_type="Zone",
    since="1.0",
):
    """Deletes a Zone.

    Refused (536) while the zone has pods, primary storage or image stores.
    """

    id = uuid_of(Zone, description="the ID of the Zone").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        zones.delete_zone(ctx.session, zone=self.id)
        return SuccessResult()


class ListZones(
    ListCommand, api="listZones", response=ZoneResponse, authorized=ALL_ROLES, since="1.0"
):
    """Lists zones.

    Root admins see every zone; other callers only Enabled ones.
    """

    id = uuid_of(Zone, visible=enabled_zone, description="the ID of the zone")
    name = string(description="the name of the zone", since="4.3.0")
    available = boolean(
        description="true if you want to retrieve all available Zones. False if you only want "
        "to return the Zones from which you have at least one VM. Default is false."
    )
    networktype = string(
        description="the network type of the zone that the virtual machine belongs to"
    )
    domainid = uuid_of(Domain, description="the ID of the domain associated with the zone")
    showcapacities = boolean(
        description="flag to display the capacity of the zones", since="4.10.0"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(Zone).where(Zone.removed.is_(None), zones.visible_zones_clause(ctx.caller))
        if self.id is not None:
            query = query.where(Zone.id == self.id.id)
        if self.name is not None:
            query = query.where(Zone.name == self.name)
        if self.networktype is not None:
            query = query.where(Zone.network_type == zones.network_type(self.networktype))
        if self.domainid is not None:
            query = query.where(Zone.domain_id == self.domainid.id)
        if self.available:
            query = query.where(Zone.allocation_state == "Enabled")
        if self.keyword:
            query = query.where(Zone.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, Zone.id)
        capacities = bool(self.showcapacities) and ctx.caller.is_root_admin
        return ListResult([ZoneResponse.of(ctx, row, capacities=capacities) for row in rows], count)
