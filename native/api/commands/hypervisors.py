"""Hypervisor commands: listHypervisors."""

from __future__ import annotations

from native.api.command import ALL_ROLES, CommandContext, ListCommand
from native.api.params import uuid_of
from native.api.responses import Field, ListResult, ResponseObject
from native.api.visible import enabled_zone
from native.model import Zone


class HypervisorResponse(ResponseObject, object_name="hypervisor"):
    name = Field("Hypervisor name")


class ListHypervisors(
    ListCommand,
    api="listHypervisors",
    response=HypervisorResponse,
    authorized=ALL_ROLES,
    since="1.0",
):
    """List hypervisors

    The hypervisor types this management server has drivers for.
    """

    zoneid = uuid_of(Zone, visible=enabled_zone, description="the zone id for listing hypervisors.")

    def execute(self, ctx: CommandContext) -> ListResult:
        names = ctx.runtime.drivers.hypervisor_types
        page = self.page_of_items(ctx, names)
        return ListResult([HypervisorResponse(name=name) for name in page], len(names))
