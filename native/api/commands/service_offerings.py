"""Service offering commands: createServiceOffering, listServiceOfferings,
updateServiceOffering, deleteServiceOffering."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from native.api.command import ADMINS, ALL_ROLES, Command, CommandContext, ListCommand
from native.api.params import boolean, integer, long, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone, usable_offering
from native.model import DiskOffering, Domain, ServiceOffering, VirtualMachine, Zone
from native.services import offerings
from native.services.errors import InvalidParameterValue
from native.services.offerings import GIB


def placement_names(
    session: Session, offering: ServiceOffering | DiskOffering
) -> tuple[str | None, str | None, str | None, str | None]:
    """The (domain uuid, domain name, zone uuid, zone name) an offering is restricted to."""
    domain = None if offering.domain_id is None else session.get(Domain, offering.domain_id)
    zone = None if offering.zone_id is None else session.get(Zone, offering.zone_id)
    return (
        None if domain is None else domain.uuid,
        None if domain is None else domain.name,
        None if zone is None else zone.uuid,
        None if zone is None else zone.name,
    )


class ServiceOfferingResponse(ResponseObject, object_name="serviceoffering"):
    id = Field("the id of the service offering")
    name = Field("the name of the service offering")
    displaytext = Field("an alternate display text of the service offering.")
    cpunumber = Field("the number of CPU", type="integer")
    cpuspeed = Field("the clock rate CPU speed in Mhz", type="integer")
    memory = Field("the memory in MB", type="integer")
    created = Field("the date this service offering was created", type="date")
    storagetype = Field("the storage type for this service offering")
    provisioningtype = Field(
        "provisioning type used to create volumes. Valid values are thin, sparse, fat.",
        since="4.4.0",
    )
    offerha = Field("the ha support in the service offering", type="boolean")
    limitcpuuse = Field("restrict the CPU usage to committed service offering", type="boolean")
    isvolatile = Field(
        "true if the vm needs to be volatile, i.e., on every reboot of vm from API root disk "
        "is discarded and creates a new root disk",
        type="boolean",
    )
    storagetags = Field("the tags for the service offering")
    domainid = Field("the domain ID(s) this offering belongs to")
    domain = Field("the domain name(s) this offering belongs to")
    zoneid = Field("the zone ID(s) this offering belongs to", since="4.13.0")
    zone = Field("the zone name(s) this offering belongs to", since="4.13.0")
    hosttags = Field("the host tag for the service offering")
    issystem = Field("is this a system vm offering", type="boolean")
    defaultuse = Field("is this a  default system vm offering", type="boolean")
    deploymentplanner = Field("deployment strategy used to deploy VM.")
    serviceofferingdetails = Field(
        "additional key/value details tied with this service offering", type="map", since="4.2.0"
    )
    iscustomized = Field("is true if the offering is customized", type="boolean", since="4.3.0")
    rootdisksize = Field("Root disk size in GB", type="long", since="4.15")
    state = Field("state of the service offering")

    @classmethod
    def of(cls, session: Session, offering: ServiceOffering) -> ServiceOfferingResponse:
        domain_id, domain, zone_id, zone = placement_names(session, offering)
        bounds = {
            "mincpunumber": offering.min_cpu_number,
            "maxcpunumber": offering.max_cpu_number,
            "minmemory": offering.min_memory,
            "maxmemory": offering.max_memory,
        }
        return cls(
            id=offering.uuid,
            name=offering.name,
            displaytext=offering.display_text,
            cpunumber=offering.cpu_number,
            cpuspeed=offering.cpu_speed,
            memory=offering.memory,
            created=offering.created,
            storagetype=offering.storage_type,
            provisioningtype=offering.provisioning_type,
            offerha=offering.offer_ha,
            limitcpuuse=offering.limit_cpu_use,
            isvolatile=offering.is_volatile,
            storagetags=offering.storage_tags,
            domainid=domain_id,
            domain=domain,
            zoneid=zone_id,
            zone=zone,
            hosttags=offering.host_tags,
            issystem=offering.is_system,
            defaultuse=False,
            deploymentplanner=offering.deployment_planner,
            serviceofferingdetails={k: str(v) for k, v in bounds.items() if v is not None} or None,
            iscustomized=offering.is_customized,
            rootdisksize=None
            if offering.root_disk_size is None
            else offering.root_disk_size // GIB,
            state=offering.state,
        )


class CreateServiceOffering(
    Command,
    api="createServiceOffering",
    response=ServiceOfferingResponse,
    authorized=ADMINS,
    event="SERVICE.OFFERING.CREATE",
    entity_type="ServiceOffering",
):
    """Creates a service offering.

    Give cpunumber, cpuspeed and memory for a fixed offering; leave cpunumber and memory
    out (optionally bounded by mincpunumber/maxcpunumber and minmemory/maxmemory) for a
    custom one. Domain admins create offerings for the domains they manage only.
    """

    name = string(description="the name of the service offering").required()
    displaytext = string(
        description="The display text of the service offering, defaults to 'name'.", length=4096
    )
    cpunumber = integer(description="the CPU number of the service offering")
    cpuspeed = integer(description="the CPU speed of the service offering in MHz.")
    memory = integer(description="the total memory of the service offering in MB")
    customized = boolean(description="Whether service offering size is custom or not", since="4.13")
    mincpunumber = integer(
        description="The minimum number of CPUs to be set with Custom Computer Offering",
        since="4.13",
    )
    maxcpunumber = integer(
        description="The maximum number of CPUs to be set with Custom Computer Offering",
        since="4.13",
    )
    minmemory = integer(
        description="The minimum memory size of the custom service offering in MB", since="4.13"
    )
    maxmemory = integer(
        description="The maximum memory size of the custom service offering in MB", since="4.13"
    )
    hosttags = string(description="the host tag for this service offering.", length=1024)
    tags = string(description="the tags for this service offering.", length=1024)
    offerha = boolean(description="the HA for the service offering")
    limitcpuuse = boolean(description="restrict the CPU usage to committed service offering")
    isvolatile = boolean(
        description="true if the virtual machine needs to be volatile so that on every reboot of "
        "VM, original root disk is dettached then destroyed and a fresh root disk is created "
        "and attached to VM"
    )
    storagetype = string(
        description="the storage type of the service offering. Values are local and shared."
    )
    rootdisksize = long(description="the Root disk size in GB.", since="4.15")
    provisioningtype = string(
        description="provisioning type used to create volumes. Valid values are thin, sparse, fat."
    )
    deploymentplanner = string(
        description="The deployment planner heuristics used to deploy a VM of this offering."
    )
    domainid = uuid_of(
        Domain, description="the ID of the containing domain, null for public offerings"
    )
    zoneid = uuid_of(
        Zone, description="the ID of the containing zone, null for public offerings", since="4.13"
    )
    issystem = boolean(description="is this a system vm offering (only false is supported)")

    def execute(self, ctx: CommandContext) -> ServiceOfferingResponse:
        if self.issystem:
            raise InvalidParameterValue(
                "System VM offerings are not supported; issystem must be false"
            )
        spec = offerings.ComputeSpec(
            name=self.name,
            display_text=self.displaytext,
            cpu_number=self.cpunumber,
            cpu_speed=self.cpuspeed,
            memory=self.memory,
            customized=self.customized,
            min_cpu_number=self.mincpunumber,
            max_cpu_number=self.maxcpunumber,
            min_memory=self.minmemory,
            max_memory=self.maxmemory,
            host_tags=self.hosttags,
            storage_tags=self.tags,
            offer_ha=bool(self.offerha),
            limit_cpu_use=bool(self.limitcpuuse),
            is_volatile=bool(self.isvolatile),
            storage_type=self.storagetype,
            root_disk_size_gb=self.rootdisksize,
            provisioning_type=self.provisioningtype,
            deployment_planner=self.deploymentplanner,
        )
        offering = offerings.create_service_offering(
            ctx.session,
            caller=ctx.caller,
            spec=spec,
            placement=offerings.Placement(domain=self.domainid, zone=self.zoneid),
        )
        return ServiceOfferingResponse.of(ctx.session, offering)


class ListServiceOfferings(
    ListCommand,
    api="listServiceOfferings",
    response=ServiceOfferingResponse,
    authorized=ALL_ROLES,
):
    """Lists all available service offerings.

    Users see public offerings and those of their domain or the domains above it; with
    `virtualmachineid`, the offerings the VM may change to (same storage type, not its own).
    """

    id = uuid_of(ServiceOffering, visible=usable_offering, description="ID of the service offering")
    name = string(description="name of the service offering")
    domainid = uuid_of(
        Domain, description="the ID of the domain associated with the service offering"
    )
    zoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="id of zone offering is associated with",
        since="4.13",
    )
    issystem = boolean(description="is this a system vm offering")
    virtualmachineid = uuid_of(
        VirtualMachine,
        description="the ID of the virtual machine. Pass this in if you want to see the "
        "available service offering that a virtual machine can be changed to.",
    )
    cpunumber = integer(
        description="the CPU number that listed offerings must support", since="4.15"
    )
    memory = integer(description="the RAM memory that listed offering must support", since="4.15")
    cpuspeed = integer(description="the CPU speed that listed offerings must support", since="4.15")

    def _conditions(self, ctx: CommandContext) -> list[ColumnElement[bool]]:
        conditions = [
            ServiceOffering.removed.is_(None),
            offerings.offering_domain_clause(ctx.caller, ServiceOffering.domain_id),
            ServiceOffering.is_system.is_(bool(self.issystem)),
        ]
        if self.id is not None:
            conditions.append(ServiceOffering.id == self.id.id)
        if self.name is not None:
            conditions.append(ServiceOffering.name == self.name)
        if self.keyword:
            conditions.append(ServiceOffering.name.contains(self.keyword, autoescape=True))
        if self.domainid is not None:
            conditions.append(ServiceOffering.domain_id == self.domainid.id)
        if self.zoneid is not None:
            conditions.append(
                (ServiceOffering.zone_id == self.zoneid.id) | ServiceOffering.zone_id.is_(None)
            )
        if self.virtualmachineid is not None:
            current = ctx.session.get(ServiceOffering, self.virtualmachineid.service_offering_id)
            conditions.append(ServiceOffering.id != self.virtualmachineid.service_offering_id)
            if current is not None:
                conditions.append(ServiceOffering.storage_type == current.storage_type)
        conditions.extend(self._size_conditions())
        return conditions

    def _size_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        wanted = (
            (
                self.cpunumber,
                ServiceOffering.cpu_number,
                ServiceOffering.min_cpu_number,
                ServiceOffering.max_cpu_number,
            ),
            (
                self.memory,
                ServiceOffering.memory,
                ServiceOffering.min_memory,
                ServiceOffering.max_memory,
            ),
        )
        for value, fixed, low, high in wanted:
            if value is None:
                continue
            custom = (
                ServiceOffering.is_customized.is_(True)
                & (low.is_(None) | (low <= value))
                & (high.is_(None) | (high >= value))
            )
            conditions.append((fixed == value) | custom)
        if self.cpuspeed is not None:
            conditions.append(
                (ServiceOffering.cpu_speed == self.cpuspeed) | ServiceOffering.cpu_speed.is_(None)
            )
        return conditions

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(ServiceOffering)
            .outerjoin(Domain, Domain.id == ServiceOffering.domain_id)
            .where(*self._conditions(ctx))
        )
        rows, count = self.page_of_query(
            ctx, query, ServiceOffering.sort_key.desc(), ServiceOffering.id
        )
        return ListResult([ServiceOfferingResponse.of(ctx.session, row) for row in rows], count)


class UpdateServiceOffering(
    Command,
    api="updateServiceOffering",
    response=ServiceOfferingResponse,
    authorized=ADMINS,
    event="SERVICE.OFFERING.EDIT",
    entity_type="ServiceOffering",
):
    """Updates a service offering."""

    id = uuid_of(
        ServiceOffering,
        visible=usable_offering,
        description="the ID of the service offering to be updated",
    ).required()
    name = string(description="the name of the service offering to be updated")
    displaytext = string(
        description="the display text of the service offering to be updated", length=4096
    )
    sortkey = integer(description="sort key of the service offering, integer")
    hosttags = string(
        description="comma-separated list of host tags for the service offering (empty to clear)",
        length=1024,
        since="4.16",
    )
    storagetags = string(
        description="comma-separated list of tags for the service offering (empty to clear)",
        length=1024,
        since="4.16",
    )

    def execute(self, ctx: CommandContext) -> ServiceOfferingResponse:
        offerings.check_manageable(ctx.caller, ctx.session, self.id)
        offerings.update_offering(
            self.id,
            name=self.name,
            display_text=self.displaytext,
            sort_key=self.sortkey,
            tags={"host_tags": self.hosttags, "storage_tags": self.storagetags},
        )
        ctx.session.flush()
        return ServiceOfferingResponse.of(ctx.session, self.id)


class DeleteServiceOffering(
    Command,
    api="deleteServiceOffering",
    authorized=ADMINS,
    event="SERVICE.OFFERING.DELETE",
    entity_type="ServiceOffering",
):
    """Deletes a service offering."""

    id = uuid_of(
        ServiceOffering, visible=usable_offering, description="the ID of the service offering"
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        offerings.check_manageable(ctx.caller, ctx.session, self.id)
        offerings.delete_offering(self.id)
        return SuccessResult()
