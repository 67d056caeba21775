"""Region commands: listRegions, addRegion, updateRegion, removeRegion."""

from __future__ import annotations

from native.api.command import ALL_ROLES, ROOT_ADMIN, Command, CommandContext, ListCommand
from native.api.params import integer, string
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Region
from native.services import regions


class RegionResponse(ResponseObject, object_name="region"):
    id = Field("the ID of the region", type="integer")
    name = Field("the name of the region")
    endpoint = Field("the end point of the region")
    gslbserviceenabled = Field(
        "true if GSLB service is enabled in the region, false otherwise", type="boolean"
    )
    portableipserviceenabled = Field(
        "true if portable IP service is enabled in the region, false otherwise", type="boolean"
    )

    @classmethod
    def of(cls, region: Region) -> RegionResponse:
        return cls(
            id=region.id,
            name=region.name,
            endpoint=region.endpoint,
            gslbserviceenabled=True,
            portableipserviceenabled=False,
        )


class ListRegions(
    ListCommand, api="listRegions", response=RegionResponse, authorized=ALL_ROLES, since="3.0.0"
):
    """Lists Regions"""

    id = integer(description="List Region by region ID.")
    name = string(description="List Region by region name.")

    def execute(self, ctx: CommandContext) -> ListResult:
        found = regions.list_regions(
            ctx.session, region_id=self.id, name=self.name, keyword=self.keyword
        )
        page = self.page_of_items(ctx, found)
        return ListResult([RegionResponse.of(region) for region in page], len(found))


class AddRegion(
    Command, api="addRegion", response=RegionResponse, authorized=ROOT_ADMIN, since="3.0.0"
):
    """Adds a Region"""

    id = integer(description="Id of the Region").required()
    name = string(description="Name of the region").required()
    endpoint = string(description="Region service endpoint", length=1024).required()

    def execute(self, ctx: CommandContext) -> RegionResponse:
        region = regions.add_region(
            ctx.session, region_id=self.id, name=self.name, endpoint=self.endpoint
        )
        return RegionResponse.of(region)


class UpdateRegion(
    Command, api="updateRegion", response=RegionResponse, authorized=ROOT_ADMIN, since="3.0.0"
):
    """Updates a region"""

    id = integer(description="Id of region to update").required()
    name = string(description="updates region with this name")
    endpoint = string(description="updates region with this end point", length=1024)

    def execute(self, ctx: CommandContext) -> RegionResponse:
        region = regions.find_region(ctx.session, self.id)
        regions.update_region(ctx.session, region=region, name=self.name, endpoint=self.endpoint)
        return RegionResponse.of(region)


class RemoveRegion(Command, api="removeRegion", authorized=ROOT_ADMIN, since="3.0.0"):
    """Removes specified region"""

    id = integer(description="ID of the region to delete").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        regions.remove_region(ctx.session, region=regions.find_region(ctx.session, self.id))
        return SuccessResult()
