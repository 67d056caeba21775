"""Host maintenance commands: prepareHostForMaintenance and cancelHostMaintenance."""

from __future__ import annotations

from native.api.command import ROOT_ADMIN, Command, CommandContext
from native.api.commands.hosts import HostResponse
from native.api.params import uuid_of
from native.model import Host
from native.services import maintenance


class PrepareHostForMaintenance(
    Command,
    api="prepareHostForMaintenance",
    is_async=True,
    response=HostResponse,
    authorized=ROOT_ADMIN,
    event="MAINT.PREPARE",
    entity_type="Host",
    since="1.0",
):
    """Prepares a host for maintenance.

    The host leaves the planner at once (resource state PrepareForMaintenance); the job
    live-migrates its running VMs to other hosts and ends with the host in Maintenance.
    If a VM cannot move, the host is left in ErrorInMaintenance with an alert (VMs already
    moved stay moved) and the job fails naming the VMs left.
    """

    host = uuid_of(Host, description="the host ID", api_name="id").required()

    def create(self, ctx: CommandContext) -> str | None:
        maintenance.begin_maintenance(ctx.session, host=self.host)
        return None

    def execute(self, ctx: CommandContext) -> HostResponse:
        maintenance.drain_host(ctx.session, ctx.runtime, host=self.host)
        return HostResponse.of(ctx.session, ctx.runtime, self.host)


class CancelHostMaintenance(
    Command,
    api="cancelHostMaintenance",
    is_async=True,
    response=HostResponse,
    authorized=ROOT_ADMIN,
    event="MAINT.CANCEL",
    entity_type="Host",
    since="1.0",
):
    """Cancels host maintenance.

    The host goes back to Enabled from PrepareForMaintenance, ErrorInMaintenance or
    Maintenance; a drain still running stops before its next VM.
    """

    host = uuid_of(Host, description="the host ID", api_name="id").required()

    def create(self, ctx: CommandContext) -> str | None:
        maintenance.cancel_maintenance(ctx.session, host=self.host)
        return None

    def execute(self, ctx: CommandContext) -> HostResponse:
        ctx.session.refresh(self.host)
        return HostResponse.of(ctx.session, ctx.runtime, self.host)
