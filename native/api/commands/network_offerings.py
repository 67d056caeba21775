"""Network offering commands: createNetworkOffering, listNetworkOfferings,
updateNetworkOffering, deleteNetworkOffering."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand
from native.api.commands.physical_networks import (
    CapabilityResponse,
    ProviderResponse,
    ServiceResponse,
)
from native.api.params import StringKind, boolean, integer, list_of, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone
from native.model import Network, NetworkOffering, Zone
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import offerings, physical_networks


def usable_network_offering(session: Session, caller: Caller, offering: NetworkOffering) -> bool:
    """Any offering for root admins; an Enabled one for everyone else."""
    return offerings.can_use(caller, offering)


def service_responses(offering: NetworkOffering) -> list[ServiceResponse]:
    """The offering's services as CloudStack lists them: Gateway left out, providers by
    name, and the Lb, SourceNat and StaticNat capabilities."""
    items = []
    for service, providers in offerings.services_of(offering).items():
        if service == "Gateway":
            continue
        shown = offerings.shown_capabilities(offering, service)
        items.append(
            ServiceResponse(
                name=service,
                provider=[ProviderResponse(name=provider) for provider in providers],
                capability=None
                if shown is None
                else [CapabilityResponse(name=name, value=value) for name, value in shown],
            )
        )
    return items


class NetworkOfferingResponse(ResponseObject, object_name="networkoffering"):
    id = Field("the id of the network offering")
    name = Field("the name of the network offering")
    displaytext = Field("an alternate display text of the network offering.")
    tags = Field("the tags for the network offering")
    created = Field("the date this network offering was created", type="date")
    traffictype = Field(
        "the traffic type for the network offering, supported types are Public, Management, "
        "Control, Guest, Vlan or Storage."
    )
    isdefault = Field("true if network offering is default, false otherwise", type="boolean")
    specifyvlan = Field("true if network offering supports vlans, false otherwise", type="boolean")
    conservemode = Field("true if network offering is ip conserve mode enabled", type="boolean")
    specifyipranges = Field(
        "true if network offering supports specifying ip ranges, false otherwise", type="boolean"
    )
    availability = Field("availability of the network offering")
    networkrate = Field("data transfer rate in megabits per second allowed.", type="integer")
    state = Field("state of the network offering. Can be Disabled/Enabled/Inactive")
    guestiptype = Field("guest type of the network offering, can be Shared or Isolated")
    service = Field("the list of supported services", of=ServiceResponse)
    forvpc = Field("true if network offering can be used by VPC networks only", type="boolean")
    ispersistent = Field(
        "true if network offering supports persistent networks, false otherwise", type="boolean"
    )
    egressdefaultpolicy = Field(
        "true if guest network default egress policy is allow; false if default egress policy "
        "is deny",
        type="boolean",
    )
    maxconnections = Field(
        "maximum number of concurrents connections to be handled by lb", type="integer"
    )
    supportsstrechedl2subnet = Field(
        "true if network offering supports network that span multiple zones",
        type="boolean",
        since="4.4",
    )
    supportspublicaccess = Field(
        "true if network offering supports public access for guest networks",
        type="boolean",
        since="4.10.0",
    )

    @classmethod
    def of(cls, offering: NetworkOffering) -> NetworkOfferingResponse:
        return cls(
            id=offering.uuid,
            name=offering.name,
            displaytext=offering.display_text,
            tags=offering.tags,
            created=offering.created,
            traffictype=offering.traffic_type,
            isdefault=offering.is_default,
            specifyvlan=offering.specify_vlan,
            conservemode=offering.conserve_mode,
            specifyipranges=offering.specify_ip_ranges,
            availability=offering.availability,
            networkrate=offering.network_rate
            if offering.network_rate is not None
            else offerings.DEFAULT_NETWORK_RATE,
            state=offering.state,
            guestiptype=offering.guest_ip_type,
            service=service_responses(offering),
            forvpc=offering.for_vpc,
            ispersistent=offering.persistent,
            egressdefaultpolicy=offering.egress_default_allow,
            maxconnections=offering.max_connections,
            supportsstrechedl2subnet=False,
            supportspublicaccess=False,
        )


class CreateNetworkOffering(
    Command,
    api="createNetworkOffering",
    response=NetworkOfferingResponse,
    event="NETWORK.OFFERING.CREATE",
    entity_type="NetworkOffering",
    since="3.0.0",
):
    """Creates a network offering.

    A service given without a provider gets VirtualRouter (VpcVirtualRouter when forvpc),
    SecurityGroup gets SecurityGroupProvider. Extension: forvpc offerings may offer
    SecurityGroup, for security groups on VPC tiers.
    """

    name = string(description="the name of the network offering").required()
    displaytext = string(
        description="the display text of the network offering, defaults to the value of 'name'.",
        length=4096,
    )
    traffictype = string(
        description="the traffic type for the network offering. Supported type in current "
        "release is GUEST only"
    ).required()
    guestiptype = string(
        description="guest type of the network offering: Shared, Isolated or L2"
    ).required()
    supportedservices = list_of(
        StringKind(), description="services supported by the network offering"
    )
    serviceproviderlist = map_of(
        description="provider to service mapping. If not specified, the provider for the "
        "service will be mapped to the default provider on the physical network"
    )
    servicecapabilitylist = map_of(
        description="desired service capabilities as part of network offering"
    )
    specifyvlan = boolean(description="true if network offering supports vlans")
    specifyipranges = boolean(
        description="true if network offering supports specifying ip ranges; defaulted to "
        "false if not specified"
    )
    conservemode = boolean(description="true if the network offering is IP conserve mode enabled")
    egressdefaultpolicy = boolean(
        description="true if guest network default egress policy is allow; false if default "
        "egress policy is deny"
    )
    availability = string(
        description="the availability of network offering. The default value is Optional. "
        "Another value is Required, which will make it as the default network offering for "
        "new networks"
    )
    forvpc = boolean(
        description="true if network offering is meant to be used for VPC, false otherwise."
    )
    ispersistent = boolean(
        description="true if network offering supports persistent networks; defaulted to false "
        "if not specified"
    )
    tags = string(description="the tags for the network offering.", length=4096)
    networkrate = integer(description="data transfer rate in megabits per second allowed")
    maxconnections = integer(
        description="maximum number of concurrent connections supported by the network offering"
    )
    enable = boolean(
        description="set to true if the offering is to be enabled during creation. Default is "
        "false",
        since="4.16",
    )

    def execute(self, ctx: CommandContext) -> NetworkOfferingResponse:
        spec = offerings.OfferingSpec(
            name=self.name,
            display_text=self.displaytext or self.name,
            guest_ip_type=self.guestiptype,
            traffic_type=self.traffictype,
            services=self.supportedservices or (),
            provider_map=self.serviceproviderlist or (),
            capability_map=self.servicecapabilitylist or (),
            specify_vlan=bool(self.specifyvlan),
            specify_ip_ranges=bool(self.specifyipranges),
            conserve_mode=self.conservemode is not False,
            egress_default_allow=self.egressdefaultpolicy is not False,
            availability=self.availability or "Optional",
            for_vpc=self.forvpc,
            persistent=bool(self.ispersistent),
            tags=self.tags,
            network_rate=self.networkrate,
            max_connections=self.maxconnections,
            enable=bool(self.enable),
        )
        return NetworkOfferingResponse.of(offerings.create_network_offering(ctx.session, spec=spec))


class ListNetworkOfferings(
    ListCommand,
    api="listNetworkOfferings",
    response=NetworkOfferingResponse,
    authorized=ALL_ROLES,
    since="3.0.0",
):
    """Lists all available network offerings.

    Users and domain admins see Enabled offerings only.
    """

    id = uuid_of(
        NetworkOffering, visible=usable_network_offering, description="list network offerings by id"
    )
    name = string(description="list network offerings by name")
    displaytext = string(description="list network offerings by display text")
    traffictype = string(description="list by traffic type")
    isdefault = boolean(
        description="true if need to list only default network offerings. Default value is false"
    )
    specifyvlan = boolean(
        description="true if need to list only network offerings which support specifying vlans"
    )
    availability = string(
        description="the availability of network offering. Default value is Required"
    )
    zoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="list network offerings available for network creation in specific zone",
    )
    state = string(description="list network offerings by state")
    guestiptype = string(description="list network offerings by guest type: Shared or Isolated")
    supportedservices = list_of(
        StringKind(), description="list network offerings supporting certain services"
    )
    sourcenatsupported = boolean(
        description="true if need to list only netwok offerings where source nat is supported, "
        "false otherwise"
    )
    specifyipranges = boolean(
        description="true if need to list only network offerings which support specifying ip ranges"
    )
    forvpc = boolean(
        description="the network offering can be used only for network creation inside the VPC"
    )
    tags = string(description="list network offerings by tags", length=4096)
    istagged = boolean(description="true if offering has tags specified")
    networkid = uuid_of(
        Network,
        description="the ID of the network. Pass this in if you want to see the available "
        "network offering that a network can be changed to.",
    )

    def _conditions(self, ctx: CommandContext) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [
            NetworkOffering.removed.is_(None),
            NetworkOffering.is_system.is_(False),
        ]
        if not ctx.caller.is_root_admin:
            conditions.append(NetworkOffering.state == "Enabled")
        exact = (
            (self.name, NetworkOffering.name),
            (self.displaytext, NetworkOffering.display_text),
            (self.traffictype, NetworkOffering.traffic_type),
            (self.availability, NetworkOffering.availability),
            (self.state, NetworkOffering.state),
            (self.guestiptype, NetworkOffering.guest_ip_type),
            (self.tags, NetworkOffering.tags),
        )
        conditions += [column == value for value, column in exact if value is not None]
        flags = (
            (self.isdefault, NetworkOffering.is_default),
            (self.specifyvlan, NetworkOffering.specify_vlan),
            (self.specifyipranges, NetworkOffering.specify_ip_ranges),
            (self.forvpc, NetworkOffering.for_vpc),
        )
        conditions += [column.is_(value) for value, column in flags if value is not None]
        if self.id is not None:
            conditions.append(NetworkOffering.id == self.id.id)
        if self.istagged is not None:
            tagged = NetworkOffering.tags.is_not(None)
            conditions.append(tagged if self.istagged else NetworkOffering.tags.is_(None))
        if self.keyword:
            conditions.append(
                or_(
                    NetworkOffering.name.contains(self.keyword, autoescape=True),
                    NetworkOffering.display_text.contains(self.keyword, autoescape=True),
                )
            )
        if self.networkid is not None:
            conditions += [
                NetworkOffering.id != self.networkid.network_offering_id,
                NetworkOffering.guest_ip_type == self.networkid.guest_type,
                NetworkOffering.for_vpc.is_(self.networkid.vpc_id is not None),
                NetworkOffering.state == "Enabled",
            ]
        return conditions

    def _wanted_services(self) -> set[str]:
        wanted = set()
        for name in self.supportedservices or ():
            service = next(
                (s for s in offerings.SERVICES if s.lower() == name.strip().lower()), None
            )
            if service is None:
                raise InvalidParameterValue(f"Invalid service {name} in supportedservices")
            wanted.add(service)
        if self.sourcenatsupported:
            wanted.add("SourceNat")
        return wanted

    def execute(self, ctx: CommandContext) -> ListResult:
        wanted = self._wanted_services()
        enabled = (
            None
            if self.zoneid is None
            else physical_networks.enabled_providers(ctx.session, zone_id=self.zoneid.id)
        )
        rows = ctx.session.scalars(
            select(NetworkOffering).where(*self._conditions(ctx)).order_by(NetworkOffering.id)
        ).all()
        kept = []
        for row in rows:
            services = offerings.services_of(row)
            if not wanted <= set(services):
                continue
            if self.sourcenatsupported is False and "SourceNat" in services:
                continue
            if enabled is not None and not all(
                provider in enabled for providers in services.values() for provider in providers
            ):
                continue
            kept.append(row)
        page = self.page_of_items(ctx, kept)
        return ListResult([NetworkOfferingResponse.of(row) for row in page], len(kept))


class UpdateNetworkOffering(
    Command,
    api="updateNetworkOffering",
    response=NetworkOfferingResponse,
    event="NETWORK.OFFERING.EDIT",
    entity_type="NetworkOffering",
    since="3.0.0",
):
    """Updates a network offering."""

    id = uuid_of(NetworkOffering, description="the id of the network offering").required()
    name = string(description="the name of the network offering")
    displaytext = string(description="the display text of the network offering", length=4096)
    state = string(description="update state for the network offering: Enabled or Disabled")
    availability = string(
        description="the availability of network offering. The value is Required makes this "
        "network offering default network offering for the zone"
    )
    tags = string(
        description="the tags for the network offering; an empty string removes them",
        length=4096,
    )
    maxconnections = integer(
        description="maximum number of concurrent connections supported by the network offering"
    )

    def execute(self, ctx: CommandContext) -> NetworkOfferingResponse:
        offerings.update_network_offering(
            ctx.session,
            offering=self.id,
            name=self.name,
            display_text=self.displaytext,
            state=self.state,
            availability=self.availability,
            tags=self.tags,
            max_connections=self.maxconnections,
        )
        return NetworkOfferingResponse.of(self.id)


class DeleteNetworkOffering(
    Command,
    api="deleteNetworkOffering",
    event="NETWORK.OFFERING.DELETE",
    entity_type="NetworkOffering",
    since="3.0.0",
):
    """Deletes a network offering."""

    id = uuid_of(NetworkOffering, description="the ID of the network offering").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        offerings.delete_network_offering(ctx.session, offering=self.id)
        return SuccessResult()
