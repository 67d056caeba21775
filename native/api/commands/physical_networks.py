"""Physical network commands: physical networks (create, list, update, delete), their
traffic types (add, list, update, delete) and service providers (list, update), and
listSupportedNetworkServices.

The async updates change the row at once (so bad input fails at once); the async deletes
check at once and remove the row in their job.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from native.api.command import Command, CommandContext, ListCommand
from native.api.params import StringKind, list_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import (
    Domain,
    NetworkServiceProvider,
    PhysicalNetwork,
    PhysicalNetworkTrafficType,
    Zone,
)
from native.services.errors import InvalidParameterValue
from native.services.network import offerings, physical_networks


class PhysicalNetworkResponse(ResponseObject, object_name="physicalnetwork"):
    id = Field("the uuid of the physical network")
    name = Field("name of the physical network")
    zoneid = Field("zone id of the physical network")
    zonename = Field("zone name of the physical network", since="4.15")
    state = Field("state of the physical network")
    vlan = Field("the vlan of the physical network")
    isolationmethods = Field("isolation methods")
    broadcastdomainrange = Field("Broadcast domain range of the physical network")
    networkspeed = Field("the speed of the physical network")
    tags = Field("comma separated tag")
    domainid = Field("the domain id of the physical network owner")

    @classmethod
    def of(cls, ctx: CommandContext, row: PhysicalNetwork) -> PhysicalNetworkResponse:
        zone = ctx.session.get(Zone, row.zone_id)
        domain = None if row.domain_id is None else ctx.session.get(Domain, row.domain_id)
        assert zone is not None
        return cls(
            id=row.uuid,
            name=row.name,
            zoneid=zone.uuid,
            zonename=zone.name,
            state=row.state,
            vlan=row.vlan,
            isolationmethods=row.isolation_methods,
            broadcastdomainrange=row.broadcast_domain_range,
            networkspeed=row.network_speed,
            tags=row.tags,
            domainid=None if domain is None else domain.uuid,
        )


class TrafficTypeResponse(ResponseObject, object_name="traffictype"):
    id = Field("id of the network provider")
    traffictype = Field("the trafficType to be added to the physical network")
    physicalnetworkid = Field("the physical networkId of the provider")
    kvmnetworklabel = Field(
        "The network name label of the physical device dedicated to this traffic on a KVM host"
    )
    vlan = Field("The VLAN id to be used for Management traffic by VMware host")

    @classmethod
    def of(cls, ctx: CommandContext, row: PhysicalNetworkTrafficType) -> TrafficTypeResponse:
        physical = ctx.session.get(PhysicalNetwork, row.physical_network_id)
        assert physical is not None
        return cls(
            id=row.uuid,
            traffictype=row.traffic_type,
            physicalnetworkid=physical.uuid,
            kvmnetworklabel=row.kvm_label,
            vlan=row.vlan,
        )


class CapabilityResponse(ResponseObject, object_name="capability"):
    name = Field("the capability name")
    value = Field("the capability value")
    canchooseservicecapability = Field(
        "can this service capability value can be choosable while creatine network offerings",
        type="boolean",
    )


class ProviderResponse(ResponseObject, object_name="networkserviceprovider"):
    name = Field("the provider name")
    physicalnetworkid = Field("the physical network this belongs to")
    destinationphysicalnetworkid = Field("the destination physical network")
    state = Field("state of the network provider")
    id = Field("uuid of the network provider")
    servicelist = Field("services for this provider", type="list")

    @classmethod
    def of(cls, ctx: CommandContext, row: NetworkServiceProvider) -> ProviderResponse:
        physical = ctx.session.get(PhysicalNetwork, row.physical_network_id)
        assert physical is not None
        return cls(
            name=row.provider_name,
            physicalnetworkid=physical.uuid,
            state=row.state,
            id=row.uuid,
            servicelist=list(physical_networks.PROVIDER_SERVICES.get(row.provider_name, ())),
        )


class ServiceResponse(ResponseObject, object_name="service"):
    name = Field("the service name")
    provider = Field("the service provider name", of=ProviderResponse)
    capability = Field("the list of capabilities", of=CapabilityResponse)


class NetworkServiceResponse(ServiceResponse, object_name="networkservice"):
    """A network service as listSupportedNetworkServices shows it."""


def _physical_network(ctx: CommandContext, uuid: str | None) -> PhysicalNetwork:
    return ctx.session.scalars(select(PhysicalNetwork).where(PhysicalNetwork.uuid == uuid)).one()


class CreatePhysicalNetwork(
    Command,
    api="createPhysicalNetwork",
    is_async=True,
    response=PhysicalNetworkResponse,
    event="PHYSICAL.NETWORK.CREATE",
    entity_type="PhysicalNetwork",
    since="3.0.0",
):
    """Creates a physical network"""

    name = string(description="the name of the physical network").required()
    zoneid = uuid_of(Zone, description="the Zone ID for the physical network").required()
    vlan = string(description="the VLAN for the physical network")
    isolationmethods = string(
        description="the isolation method for the physical network[VLAN/L3/GRE]"
    )
    tags = string(description="Tag the physical network")
    networkspeed = string(description="the speed for the physical network[1G/10G]")
    broadcastdomainrange = string(
        description="the broadcast domain range for the physical network[Pod or Zone]. In "
        "Acton release it can be Zone only in Advance zone, and Pod in Basic"
    )
    domainid = uuid_of(Domain, description="domain ID of the account owning a physical network")

    def create(self, ctx: CommandContext) -> str:
        if self.zoneid.removed is not None:
            raise InvalidParameterValue("Unable to find zone by the id specified")
        row = physical_networks.create_physical_network(
            ctx.session,
            zone=self.zoneid,
            name=self.name,
            vlan=self.vlan,
            isolation_methods=self.isolationmethods,
            tags=self.tags,
            network_speed=self.networkspeed,
            broadcast_domain_range=self.broadcastdomainrange,
            domain=self.domainid,
        )
        return row.uuid

    def execute(self, ctx: CommandContext) -> PhysicalNetworkResponse:
        return PhysicalNetworkResponse.of(ctx, _physical_network(ctx, ctx.instance_id))


class ListPhysicalNetworks(
    ListCommand, api="listPhysicalNetworks", response=PhysicalNetworkResponse, since="3.0.0"
):
    """Lists physical networks"""

    id = uuid_of(PhysicalNetwork, description="list physical network by id")
    name = string(description="search by name")
    zoneid = uuid_of(Zone, description="the Zone ID for the physical network")

    def execute(self, ctx: CommandContext) -> ListResult:
        conditions: list[ColumnElement[bool]] = [PhysicalNetwork.removed.is_(None)]
        if self.id is not None:
            conditions.append(PhysicalNetwork.id == self.id.id)
        if self.name is not None:
            conditions.append(PhysicalNetwork.name == self.name)
        if self.zoneid is not None:
            conditions.append(PhysicalNetwork.zone_id == self.zoneid.id)
        if self.keyword:
            conditions.append(PhysicalNetwork.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(
            ctx, select(PhysicalNetwork).where(*conditions), PhysicalNetwork.id
        )
        return ListResult([PhysicalNetworkResponse.of(ctx, row) for row in rows], count)


class UpdatePhysicalNetwork(
    Command,
    api="updatePhysicalNetwork",
    is_async=True,
    response=PhysicalNetworkResponse,
    event="PHYSICAL.NETWORK.UPDATE",
    entity_type="PhysicalNetwork",
    since="3.0.0",
):
    """Updates a physical network"""

    id = uuid_of(PhysicalNetwork, description="physical network id").required()
    networkspeed = string(description="the speed for the physical network[1G/10G]")
    tags = list_of(StringKind(), description="Tag the physical network")
    state = string(description="Enabled/Disabled")
    vlan = string(
        description="the VLAN for the physical network: its guest VLAN ranges (100-199,300); "
        "VLANs that networks hold cannot be dropped"
    )

    def create(self, ctx: CommandContext) -> None:
        physical_networks.update_physical_network(
            ctx.session,
            physical_network=self.id,
            state=self.state,
            vlan=self.vlan,
            tags=None if self.tags is None else ",".join(self.tags),
            network_speed=self.networkspeed,
        )

    def execute(self, ctx: CommandContext) -> PhysicalNetworkResponse:
        return PhysicalNetworkResponse.of(ctx, self.id)


class DeletePhysicalNetwork(
    Command,
    api="deletePhysicalNetwork",
    is_async=True,
    event="PHYSICAL.NETWORK.DELETE",
    entity_type="PhysicalNetwork",
    since="3.0.0",
):
    """Deletes a Physical Network."""

    id = uuid_of(PhysicalNetwork, description="the ID of the Physical network").required()

    def create(self, ctx: CommandContext) -> None:
        physical_networks.check_deletable(ctx.session, physical_network=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        physical_networks.delete_physical_network(ctx.session, physical_network=self.id)
        return SuccessResult()


class AddTrafficType(
    Command,
    api="addTrafficType",
    is_async=True,
    response=TrafficTypeResponse,
    event="TRAFFIC.TYPE.CREATE",
    entity_type="PhysicalNetworkTrafficType",
    since="3.0.0",
):
    """Adds traffic type to a physical network"""

    physicalnetworkid = uuid_of(PhysicalNetwork, description="the Physical Network ID").required()
    traffictype = string(
        description="the trafficType to be added to the physical network"
    ).required()
    kvmnetworklabel = string(
        description="The network name label of the physical device dedicated to this traffic "
        "on a KVM host"
    )
    vlan = string(description="The VLAN id to be used for Management traffic by the host")

    def create(self, ctx: CommandContext) -> str:
        row = physical_networks.add_traffic_type(
            ctx.session,
            physical_network=self.physicalnetworkid,
            traffic_type=self.traffictype,
            kvm_label=self.kvmnetworklabel,
            vlan=self.vlan,
        )
        return row.uuid

    def execute(self, ctx: CommandContext) -> TrafficTypeResponse:
        row = ctx.session.query(PhysicalNetworkTrafficType).filter_by(uuid=ctx.instance_id).one()
        return TrafficTypeResponse.of(ctx, row)


class ListTrafficTypes(
    ListCommand, api="listTrafficTypes", response=TrafficTypeResponse, since="3.0.0"
):
    """Lists traffic types of a given physical network."""

    physicalnetworkid = uuid_of(PhysicalNetwork, description="the Physical Network ID").required()

    def execute(self, ctx: CommandContext) -> ListResult:
        rows = physical_networks.traffic_types(
            ctx.session, physical_network_id=self.physicalnetworkid.id
        )
        page = self.page_of_items(ctx, rows)
        return ListResult([TrafficTypeResponse.of(ctx, row) for row in page], len(rows))


class UpdateTrafficType(
    Command,
    api="updateTrafficType",
    is_async=True,
    response=TrafficTypeResponse,
    event="TRAFFIC.TYPE.UPDATE",
    entity_type="PhysicalNetworkTrafficType",
    since="3.0.0",
):
    """Updates traffic type of a physical network"""

    id = uuid_of(PhysicalNetworkTrafficType, description="traffic type id").required()
    kvmnetworklabel = string(
        description="The network name label of the physical device dedicated to this traffic "
        "on a KVM host"
    )

    def create(self, ctx: CommandContext) -> None:
        physical_networks.update_traffic_type(
            ctx.session, traffic_type=self.id, kvm_label=self.kvmnetworklabel
        )

    def execute(self, ctx: CommandContext) -> TrafficTypeResponse:
        return TrafficTypeResponse.of(ctx, self.id)


class DeleteTrafficType(
    Command,
    api="deleteTrafficType",
    is_async=True,
    event="TRAFFIC.TYPE.DELETE",
    entity_type="PhysicalNetworkTrafficType",
    since="3.0.0",
):
    """Deletes traffic type of a physical network"""

    id = uuid_of(PhysicalNetworkTrafficType, description="traffic type id").required()

    def create(self, ctx: CommandContext) -> None:
        physical_networks.check_traffic_type_deletable(ctx.session, traffic_type=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        physical_networks.delete_traffic_type(ctx.session, traffic_type=self.id)
        return SuccessResult()


class ListNetworkServiceProviders(
    ListCommand, api="listNetworkServiceProviders", response=ProviderResponse, since="3.0.0"
):
    """Lists network serviceproviders for a given physical network."""

    physicalnetworkid = uuid_of(PhysicalNetwork, description="the Physical Network ID")
    name = string(description="list providers by name")
    state = string(description="list providers by state")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(NetworkServiceProvider).join(
            PhysicalNetwork, PhysicalNetwork.id == NetworkServiceProvider.physical_network_id
        )
        conditions: list[ColumnElement[bool]] = [PhysicalNetwork.removed.is_(None)]
        if self.physicalnetworkid is not None:
            conditions.append(
                NetworkServiceProvider.physical_network_id == self.physicalnetworkid.id
            )
        if self.name is not None:
            conditions.append(NetworkServiceProvider.provider_name == self.name)
        if self.state is not None:
            conditions.append(NetworkServiceProvider.state == self.state)
        if self.keyword:
            conditions.append(
                NetworkServiceProvider.provider_name.contains(self.keyword, autoescape=True)
            )
        rows, count = self.page_of_query(ctx, query.where(*conditions), NetworkServiceProvider.id)
        return ListResult([ProviderResponse.of(ctx, row) for row in rows], count)


class UpdateNetworkServiceProvider(
    Command,
    api="updateNetworkServiceProvider",
    is_async=True,
    response=ProviderResponse,
    event="SERVICE.PROVIDER.UPDATE",
    entity_type="PhysicalNetworkServiceProvider",
    since="3.0.0",
):
    """Updates a network serviceProvider of a physical network"""

    id = uuid_of(NetworkServiceProvider, description="network service provider id").required()
    state = string(description="Enabled/Disabled the physical network service provider")

    def create(self, ctx: CommandContext) -> None:
        if self.state is not None:
            physical_networks.update_provider(ctx.session, provider=self.id, state=self.state)

    def execute(self, ctx: CommandContext) -> ProviderResponse:
        return ProviderResponse.of(ctx, self.id)


class ListSupportedNetworkServices(
    ListCommand,
    api="listSupportedNetworkServices",
    response=NetworkServiceResponse,
    since="3.0.0",
):
    """Lists all network services provided by CloudStack or for the given Provider."""

    provider = string(description="network service provider name")
    service = string(description="network service name to list providers and capabilities of")

    def _services(self) -> list[str]:
        names = [s for s in offerings.SERVICES if s != "Gateway"]
        if self.service is not None:
            wanted = next((s for s in names if s.lower() == self.service.strip().lower()), None)
            if wanted is None:
                raise InvalidParameterValue(f"Invalid Network Service={self.service}")
            names = [wanted]
        if self.provider is not None:
            provider = next(
                (
                    p
                    for p in physical_networks.PROVIDERS
                    if p.lower() == self.provider.strip().lower()
                ),
                None,
            )
            if provider is None:
                raise InvalidParameterValue(f"Invalid Network Service Provider={self.provider}")
            names = [s for s in names if s in physical_networks.PROVIDER_SERVICES[provider]]
        return names

    def execute(self, ctx: CommandContext) -> ListResult:
        names = self._services()
        items = [
            NetworkServiceResponse(
                name=name,
                provider=[
                    ProviderResponse(name=provider)
                    for provider in physical_networks.PROVIDERS
                    if name in physical_networks.PROVIDER_SERVICES[provider]
                ],
                capability=[
                    CapabilityResponse(
                        name=capability,
                        canchooseservicecapability=capability in offerings.CHOOSABLE,
                    )
                    for capability in offerings.SERVICE_CAPABILITIES[name]
                ],
            )
            for name in self.page_of_items(ctx, names)
        ]
        return ListResult(items, len(names))
