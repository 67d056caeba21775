"""Disk offering commands: createDiskOffering, listDiskOfferings, updateDiskOffering,
deleteDiskOffering."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from native.api.command import ADMINS, ALL_ROLES, Command, CommandContext, ListCommand
from native.api.commands.service_offerings import placement_names
from native.api.params import boolean, integer, long, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone, usable_offering
from native.model import DiskOffering, Domain, Zone
from native.services import offerings
from native.services.offerings import GIB


class DiskOfferingResponse(ResponseObject, object_name="diskoffering"):
    id = Field("unique ID of the disk offering")
    name = Field("the name of the disk offering")
    displaytext = Field("an alternate display text of the disk offering.")
    disksize = Field("the size of the disk offering in GB", type="long")
    created = Field("the date this disk offering was created", type="date")
    iscustomized = Field("true if disk offering uses custom size, false otherwise", type="boolean")
    miniops = Field("the min iops of the disk offering", type="long", since="4.4")
    maxiops = Field("the max iops of the disk offering", type="long", since="4.4")
    iscustomizediops = Field(
        "true if disk offering uses custom iops, false otherwise", type="boolean", since="4.4"
    )
    tags = Field("the tags for the disk offering")
    storagetype = Field("the storage type for this disk offering")
    provisioningtype = Field(
        "provisioning type used to create volumes. Valid values are thin, sparse, fat.",
        since="4.4.0",
    )
    displayoffering = Field(
        "whether to display the offering to the end user or not.", type="boolean"
    )
    domainid = Field("the domain ID(s) this disk offering belongs to")
    domain = Field("the domain name(s) this disk offering belongs to")
    zoneid = Field("the zone ID(s) this disk offering belongs to", since="4.13.0")
    zone = Field("the zone name(s) this disk offering belongs to", since="4.13.0")
    state = Field("state of the disk offering")

    @classmethod
    def of(cls, session: Session, offering: DiskOffering) -> DiskOfferingResponse:
        domain_id, domain, zone_id, zone = placement_names(session, offering)
        return cls(
            id=offering.uuid,
            name=offering.name,
            displaytext=offering.display_text,
            disksize=offering.disk_size // GIB,
            created=offering.created,
            iscustomized=offering.is_customized,
            miniops=offering.min_iops,
            maxiops=offering.max_iops,
            iscustomizediops=offering.customized_iops,
            tags=offering.tags,
            storagetype=offering.storage_type,
            provisioningtype=offering.provisioning_type,
            displayoffering=offering.display_offering,
            domainid=domain_id,
            domain=domain,
            zoneid=zone_id,
            zone=zone,
            state=offering.state,
        )


class CreateDiskOffering(
    Command,
    api="createDiskOffering",
    response=DiskOfferingResponse,
    authorized=ADMINS,
    event="DISK.OFFERING.CREATE",
    entity_type="DiskOffering",
):
    """Creates a disk offering.

    A fixed offering gives `disksize` (GB); a custom one (`customized=true`, no size) lets
    each volume choose its size within the custom.diskoffering.size.min/max settings.
    """

    name = string(description="name of the disk offering").required()
    displaytext = string(
        description="An alternate display text of the disk offering, defaults to 'name'.",
        length=4096,
    )
    disksize = long(description="size of the disk offering in GB (1GB = 1,073,741,824 bytes)")
    customized = boolean(description="whether disk offering size is custom or not")
    tags = string(description="tags for the disk offering", length=4096)
    storagetype = string(
        description="the storage type of the disk offering. Values are local and shared."
    )
    provisioningtype = string(
        description="provisioning type used to create volumes. Valid values are thin, sparse, fat."
    )
    miniops = long(description="min iops of the disk offering")
    maxiops = long(description="max iops of the disk offering")
    customizediops = boolean(description="whether disk offering iops is custom or not")
    displayoffering = boolean(
        description="an optional field, whether to display the offering to the end user or not."
    )
    domainid = uuid_of(
        Domain, description="the ID of the containing domain, null for public offerings"
    )
    zoneid = uuid_of(
        Zone, description="the ID of the containing zone, null for public offerings", since="4.13"
    )

    def execute(self, ctx: CommandContext) -> DiskOfferingResponse:
        spec = offerings.DiskSpec(
            name=self.name,
            display_text=self.displaytext,
            disk_size_gb=self.disksize,
            customized=self.customized,
            tags=self.tags,
            storage_type=self.storagetype,
            provisioning_type=self.provisioningtype,
            min_iops=self.miniops,
            max_iops=self.maxiops,
            customized_iops=bool(self.customizediops),
            display_offering=self.displayoffering is not False,
        )
        offering = offerings.create_disk_offering(
            ctx.session,
            ctx.runtime.settings,
            caller=ctx.caller,
            spec=spec,
            placement=offerings.Placement(domain=self.domainid, zone=self.zoneid),
        )
        return DiskOfferingResponse.of(ctx.session, offering)


class ListDiskOfferings(
    ListCommand, api="listDiskOfferings", response=DiskOfferingResponse, authorized=ALL_ROLES
):
    """Lists all available disk offerings.

    Users see public offerings and those of their domain or the domains above it, and
    only those marked to display.
    """

    id = uuid_of(DiskOffering, visible=usable_offering, description="ID of the disk offering")
    name = string(description="name of the disk offering")
    domainid = uuid_of(Domain, description="the ID of the domain of the disk offering.")
    zoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="id of zone disk offering is associated with",
        since="4.13",
    )

    def _conditions(self, ctx: CommandContext) -> list[ColumnElement[bool]]:
        conditions = [
            DiskOffering.removed.is_(None),
            offerings.offering_domain_clause(ctx.caller, DiskOffering.domain_id),
        ]
        if not ctx.caller.is_root_admin:
            conditions.append(DiskOffering.display_offering.is_(True))
        if self.id is not None:
            conditions.append(DiskOffering.id == self.id.id)
        if self.name is not None:
            conditions.append(DiskOffering.name == self.name)
        if self.keyword:
            conditions.append(DiskOffering.name.contains(self.keyword, autoescape=True))
        if self.domainid is not None:
            conditions.append(DiskOffering.domain_id == self.domainid.id)
        if self.zoneid is not None:
            conditions.append(
                (DiskOffering.zone_id == self.zoneid.id) | DiskOffering.zone_id.is_(None)
            )
        return conditions

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(DiskOffering)
            .outerjoin(Domain, Domain.id == DiskOffering.domain_id)
            .where(*self._conditions(ctx))
        )
        rows, count = self.page_of_query(ctx, query, DiskOffering.sort_key.desc(), DiskOffering.id)
        return ListResult([DiskOfferingResponse.of(ctx.session, row) for row in rows], count)


class UpdateDiskOffering(
    Command,
    api="updateDiskOffering",
    response=DiskOfferingResponse,
    authorized=ADMINS,
    event="DISK.OFFERING.EDIT",
    entity_type="DiskOffering",
):
    """Updates a disk offering."""

    id = uuid_of(
        DiskOffering, visible=usable_offering, description="ID of the disk offering"
    ).required()
    name = string(description="updates name of the disk offering with this value")
    displaytext = string(
        description="updates alternate display text of the disk offering with this value",
        length=4096,
    )
    sortkey = integer(description="sort key of the disk offering, integer")
    displayoffering = boolean(
        description="an optional field, whether to display the offering to the end user or not."
    )
    tags = string(
        description="comma-separated list of tags for the disk offering (empty to clear)",
        length=4096,
        since="4.15",
    )

    def execute(self, ctx: CommandContext) -> DiskOfferingResponse:
        offerings.check_manageable(ctx.caller, ctx.session, self.id)
        offerings.update_offering(
            self.id,
            name=self.name,
            display_text=self.displaytext,
            sort_key=self.sortkey,
            tags={"tags": self.tags},
        )
        if self.displayoffering is not None:
            self.id.display_offering = self.displayoffering
        ctx.session.flush()
        return DiskOfferingResponse.of(ctx.session, self.id)


class DeleteDiskOffering(
    Command,
    api="deleteDiskOffering",
    authorized=ADMINS,
    event="DISK.OFFERING.DELETE",
    entity_type="DiskOffering",
):
    """Deletes a disk offering."""

    id = uuid_of(
        DiskOffering, visible=usable_offering, description="ID of the disk offering"
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        offerings.check_manageable(ctx.caller, ctx.session, self.id)
        offerings.delete_offering(self.id)
        return SuccessResult()
