"""attachIso and detachIso."""

from __future__ import annotations

from native.api.command import ALL_ROLES, Command, CommandContext
from native.api.commands.virtual_machines import VmResponse, render
from native.api.params import uuid_of
from native.api.visible import anyone
from native.model import Template, VirtualMachine
from native.services import vm_iso, vms


class AttachIso(
    Command,
    api="attachIso",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="ISO.ATTACH",
    entity_type="VirtualMachine",
):
    """Attaches an ISO to a virtual machine."""

    id = uuid_of(Template, visible=anyone, description="the ID of the ISO file").required()
    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine"
    ).required()

    def job_instance_id(self) -> str | None:
        return self.virtualmachineid.uuid

    def create(self, ctx: CommandContext) -> None:
        vms.check_access(ctx.session, ctx.caller, self.virtualmachineid)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.virtualmachineid
        vm_iso.attach_iso(ctx.session, ctx.runtime, caller=ctx.caller, vm=vm, iso=self.id)
        return render(ctx, vm)


class DetachIso(
    Command,
    api="detachIso",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="ISO.DETACH",
    entity_type="VirtualMachine",
):
    """Detaches any ISO file (if any) currently attached to a virtual machine."""

    virtualmachineid = uuid_of(
        VirtualMachine, description="The ID of the virtual machine"
    ).required()

    def job_instance_id(self) -> str | None:
        return self.virtualmachineid.uuid

    def create(self, ctx: CommandContext) -> None:
        vms.check_access(ctx.session, ctx.caller, self.virtualmachineid)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.virtualmachineid
        vm_iso.detach_iso(ctx.session, ctx.runtime, vm=vm)
        return render(ctx, vm)
