"""Actions on existing VMs: start, stop, reboot, destroy, recover, expunge, update, scale,
changeService, migrate, SSH key and password resets, getVMPassword, the console output,
updateVMAffinityGroup."""

from __future__ import annotations

import base64

from sqlalchemy import select

from native.api.command import ALL_ROLES, ROOT_ADMIN, Command, CommandContext
from native.api.commands.affinity_groups import groups_named
from native.api.commands.virtual_machines import VmResponse, render
from native.api.params import StringKind, boolean, list_of, map_of, string, uuid_of, uuids_of
from native.api.responses import Field, ResponseObject, SuccessResult
from native.api.visible import anyone
from native.model import (
    AffinityGroup,
    Domain,
    GuestOsType,
    Host,
    SecurityGroup,
    ServiceOffering,
    StoragePool,
    VirtualMachine,
    Volume,
    utcnow,
)
from native.services import affinity, vm_orchestrator, vms
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.expunge import expunge_vm
from native.services.network import security_groups
from native.services.vm_states import VmEvent, VmState, accepts, refusal


def _details(entries: list[dict[str, str]] | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    for entry in entries or []:
        merged.update(entry)
    return merged


class _VmCommand(Command):
    """A command acting on the VM named by `id` (checked visible to the caller)."""

    id = uuid_of(VirtualMachine, description="The ID of the virtual machine").required()

    def vm(self, ctx: CommandContext) -> VirtualMachine:
        vms.check_access(ctx.session, ctx.caller, self.id)
        return self.id

    def refuse_unless(self, ctx: CommandContext, event: VmEvent) -> None:
        vm = self.vm(ctx)
        if not accepts(vm, event):
            raise refusal(vm, event)


class StartVirtualMachine(
    _VmCommand,
    api="startVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.START",
    entity_type="VirtualMachine",
):
    """Starts a virtual machine."""

    hostid = uuid_of(
        Host,
        visible=anyone,
        description="destination Host ID to deploy the VM to - parameter available for root admin only",
    )

    def create(self, ctx: CommandContext) -> None:
        if self.hostid is not None and not ctx.caller.is_root_admin:
            raise PermissionDenied(
                "Parameter hostid can only be specified by a Root Admin, permission denied"
            )
        self.refuse_unless(ctx, VmEvent.START_REQUESTED)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        host_id = None if self.hostid is None else self.hostid.id
        vm_orchestrator.start_vm(ctx.session, ctx.runtime, vm=vm, host_id=host_id)
        return render(ctx, vm)


class StopVirtualMachine(
    _VmCommand,
    api="stopVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.STOP",
    entity_type="VirtualMachine",
):
    """Stops a virtual machine."""

    forced = boolean(
        description="Force stop the VM (vm is marked as Stopped even when command fails to be send to the backend, otherwise a force poweroff is attempted). The caller knows the VM is stopped."
    )

    def create(self, ctx: CommandContext) -> None:
        self.refuse_unless(ctx, VmEvent.STOP_REQUESTED)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        vm_orchestrator.stop_vm(ctx.session, ctx.runtime, vm=vm, force=bool(self.forced))
        return render(ctx, vm)


class RebootVirtualMachine(
    _VmCommand,
    api="rebootVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.REBOOT",
    entity_type="VirtualMachine",
):
    """Reboots a virtual machine."""

    def create(self, ctx: CommandContext) -> None:
        self.refuse_unless(ctx, VmEvent.REBOOT_REQUESTED)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        vm_orchestrator.reboot_vm(ctx.session, ctx.runtime, vm=vm)
        return render(ctx, vm)


class DestroyVirtualMachine(
    _VmCommand,
    api="destroyVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.DESTROY",
    entity_type="VirtualMachine",
):
    """Destroys a virtual machine.

    Without `expunge` the VM is kept Destroyed (recoverable) for `expunge.delay` seconds.
    A VM with delete protection is refused (431).
    """

    expunge = boolean(
        description="If true is passed, the vm is expunged immediately. False by default.",
        since="4.2.1",
    )

    def create(self, ctx: CommandContext) -> None:
        vm = self.vm(ctx)
        if vm.delete_protection:
            raise InvalidParameterValue(
                f"Instance [{vm.uuid}] has delete protection enabled and cannot be deleted."
            )
        if self.expunge:
            vms.check_user_expunge(ctx.session, ctx.runtime, caller=ctx.caller, vm=vm)
        if vm.state not in (VmState.RUNNING, VmState.STOPPED, VmState.ERROR) and not (
            vm.state == VmState.DESTROYED and self.expunge
        ):
            raise refusal(vm, VmEvent.DESTROY_REQUESTED)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        vms.destroy_vm(ctx.session, ctx.runtime, vm=vm, expunge=bool(self.expunge))
        return render(ctx, vm)


class RecoverVirtualMachine(
    _VmCommand,
    api="recoverVirtualMachine",
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.RECOVER",
    entity_type="VirtualMachine",
):
    """Recovers a virtual machine."""

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        vms.check_user_expunge(ctx.session, ctx.runtime, caller=ctx.caller, vm=vm)
        vms.recover_vm(ctx.session, ctx.runtime, vm=vm)
        return render(ctx, vm)


class ExpungeVirtualMachine(
    _VmCommand,
    api="expungeVirtualMachine",
    is_async=True,
    authorized=ALL_ROLES,
    event="VM.EXPUNGE",
    entity_type="VirtualMachine",
):
    """Expunge a virtual machine. Once expunged, it cannot be recoverd."""

    def create(self, ctx: CommandContext) -> None:
        vm = self.vm(ctx)
        vms.check_user_expunge(ctx.session, ctx.runtime, caller=ctx.caller, vm=vm)
        if vm.state not in (VmState.DESTROYED, VmState.ERROR, VmState.EXPUNGING):
            raise InvalidParameterValue(
                f"Please specify a VM that is in Destroyed state; VM {vm.uuid} is {vm.state}"
            )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        expunge_vm(ctx.session, ctx.runtime, vm=self.vm(ctx))
        return SuccessResult()


class UpdateVirtualMachine(
    _VmCommand,
    api="updateVirtualMachine",
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.UPDATE",
    entity_type="VirtualMachine",
):
    """Updates properties of a virtual machine. The VM has to be stopped and restarted for the new properties to take effect.

    `securitygroupids` or `securitygroupnames` replace the VM's security groups; the VM
    must be Stopped (431 otherwise), and the routers enforcing the groups concerned are
    applied. Alto extension: this works on every network type, isolated networks and VPC
    tiers included (CloudStack allows it only in security-group zones).
    """

    displayname = string(description="user generated name")
    name = string(
        description="new host name of the vm. The VM has to be stopped/started for this update to take affect",
        since="4.13",
    )
    userdata = string(
        description="an optional binary data that can be sent to the virtual machine upon a successful deployment. This binary data must be base64 encoded.",
        length=1048576,
    )
    userdataid = string(description="the ID of the userdata", since="4.18", length=40)
    haenable = boolean(
        description="true if high-availability is enabled for the virtual machine, false otherwise"
    )
    details = map_of(description="Details in key/value pairs.")
    ostypeid = uuid_of(
        GuestOsType,
        visible=anyone,
        description="the ID of the OS type that best represents this VM.",
    )
    displayvm = boolean(
        description="an optional field, whether to the display the vm to the end user or not."
    )
    securitygroupids = uuids_of(
        SecurityGroup,
        description="list of security group ids to be applied on the virtual machine. The VM "
        "must be Stopped. Alto extension: allowed on every network type, VPC tiers included.",
        since="4.14",
    )
    securitygroupnames = list_of(
        StringKind(),
        description="comma separated list of security groups names that going to be applied "
        "to the virtual machine. The VM must be Stopped. Mutually exclusive with "
        "securitygroupids parameter",
        since="4.14",
    )
    deleteprotection = boolean(
        description="Set delete protection for the virtual machine. If true, the instance will "
        "be protected from deletion. Note: If the instance is managed by another service like "
        "autoscaling groups or CKS, delete protection will be ignored.",
        since="4.20.0",
    )

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        new_groups = None
        if self.securitygroupids or self.securitygroupnames:
            new_groups = security_groups.groups_for_vm(
                ctx.session,
                vm=vm,
                owner=vms.owner_of(ctx.session, vm),
                ids=self.securitygroupids,
                names=self.securitygroupnames,
            )
        change = vms.VmUpdate(
            display_name=self.displayname,
            name=self.name,
            user_data=self.userdata,
            userdata_id=self.userdataid,
            ha_enabled=self.haenable,
            details=None if self.details is None else _details(self.details),
            os_type=self.ostypeid,
            display_vm=self.displayvm,
        )
        if self.deleteprotection is not None:
            vm.delete_protection = self.deleteprotection
        vms.update_vm(ctx.session, caller=ctx.caller, vm=vm, change=change)
        if new_groups is not None:
            security_groups.set_vm_groups(ctx.session, ctx.runtime, vm=vm, groups=new_groups)
        return render(ctx, vm)


class ScaleVirtualMachine(
    _VmCommand,
    api="scaleVirtualMachine",
    is_async=True,
    authorized=ALL_ROLES,
    event="VM.DYNAMIC.SCALE",
    entity_type="VirtualMachine",
):
    """Scales the virtual machine to a new service offering. This command also considers the volume size in the service offering or disk offering linked to the new service offering and apply all characteristics to the root volume."""

    serviceofferingid = uuid_of(
        ServiceOffering,
        visible=anyone,
        description="the ID of the service offering for the virtual machine",
    ).required()
    details = map_of(
        description="name value pairs of custom parameters for cpuspeed, memory and cpunumber. example details[i].name=value"
    )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        vms.change_offering(
            ctx.session,
            ctx.runtime,
            vm=self.vm(ctx),
            offering=self.serviceofferingid,
            details=_details(self.details),
            live=True,
        )
        return SuccessResult()


class ChangeServiceForVirtualMachine(
    _VmCommand,
    api="changeServiceForVirtualMachine",
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.UPGRADE",
    entity_type="VirtualMachine",
):
    """Changes the service offering for a virtual machine. The virtual machine must be in a "Stopped" state for this command to take effect."""

    serviceofferingid = uuid_of(
        ServiceOffering,
        visible=anyone,
        description="the service offering ID to apply to the virtual machine",
    ).required()
    details = map_of(
        description="name value pairs of custom parameters for cpuspeed, memory and cpunumber. example details[i].name=value"
    )

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        vms.change_offering(
            ctx.session,
            ctx.runtime,
            vm=vm,
            offering=self.serviceofferingid,
            details=_details(self.details),
            live=False,
        )
        return render(ctx, vm)


class MigrateVirtualMachine(
    Command,
    api="migrateVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ROOT_ADMIN,
    event="VM.MIGRATE",
    entity_type="VirtualMachine",
):
    """Attempts Migration of a VM to a different host or Root volume of the vm to a different storage pool

    A Running VM is live-migrated (to `hostid`, or where the planner places it in its
    cluster); a Stopped VM's volumes move to `storageid`.
    """

    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine"
    ).required()
    hostid = uuid_of(Host, visible=anyone, description="Destination Host ID to migrate VM to.")
    storageid = uuid_of(
        StoragePool,
        visible=anyone,
        description="Destination storage pool ID to migrate VM volumes to. Required for migrating the root disk volume",
    )
    autoselect = boolean(
        description="Automatically select a destination host which do not require storage migration, if hostId and storageId are not specified. false by default",
        since="4.16.0",
    )

    def job_instance_id(self) -> str | None:
        return self.virtualmachineid.uuid

    def create(self, ctx: CommandContext) -> None:
        vm = self.virtualmachineid
        if vm.state == VmState.RUNNING:
            if self.storageid is not None:
                raise InvalidParameterValue(
                    "Live storage migration is not supported; stop the VM to move its volumes"
                )
        elif vm.state == VmState.STOPPED:
            if self.storageid is None:
                raise InvalidParameterValue(
                    f"VM {vm.uuid} is not Running; give a storageid to move its volumes"
                )
        else:
            raise refusal(vm, VmEvent.MIGRATION_REQUESTED)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.virtualmachineid
        if vm.state == VmState.RUNNING:
            target = None if self.hostid is None else self.hostid.id
            vm_orchestrator.migrate_vm(ctx.session, ctx.runtime, vm=vm, target_host_id=target)
        else:
            assert self.storageid is not None
            moves = [
                (volume, self.storageid) for volume in vm_orchestrator.vm_volumes(ctx.session, vm)
            ]
            vm_orchestrator.move_volumes(ctx.session, ctx.runtime, vm=vm, moves=moves)
        return render(ctx, vm)


class MigrateVirtualMachineWithVolume(
    Command,
    api="migrateVirtualMachineWithVolume",
    is_async=True,
    response=VmResponse,
    authorized=ROOT_ADMIN,
    event="VM.MIGRATE",
    entity_type="VirtualMachine",
):
    """Attempts Migration of a VM with its volumes to a different host

    A Running VM moves to `hostid`; a Stopped VM's volumes move as `migrateto` says
    (moving the volumes of a running VM is not supported yet).
    """

    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine"
    ).required()
    hostid = uuid_of(Host, visible=anyone, description="Destination Host ID to migrate VM to.")
    migrateto = map_of(
        description="Storage to pool mapping. This parameter specifies the mapping between a volume and a pool where you want to migrate that volume. Format of this parameter: migrateto[volume-index].volume=<uuid>&migrateto[volume-index].pool=<uuid>"
    )

    def job_instance_id(self) -> str | None:
        return self.virtualmachineid.uuid

    def _moves(self, ctx: CommandContext) -> list[tuple[Volume, StoragePool]]:
        moves = []
        for entry in self.migrateto or []:
            volume = ctx.session.scalars(
                select(Volume).where(
                    Volume.uuid == entry.get("volume", ""), Volume.removed.is_(None)
                )
            ).first()
            pool = ctx.session.scalars(
                select(StoragePool).where(
                    StoragePool.uuid == entry.get("pool", ""), StoragePool.removed.is_(None)
                )
            ).first()
            if volume is None or pool is None:
                raise InvalidParameterValue(
                    f"Invalid migrateto entry {entry}: unknown volume or pool"
                )
            moves.append((volume, pool))
        return moves

    def create(self, ctx: CommandContext) -> None:
        vm = self.virtualmachineid
        moves = self._moves(ctx)
        if vm.state == VmState.RUNNING and moves:
            raise InvalidParameterValue(
                "Moving the volumes of a running VM is not supported; stop it first"
            )
        if vm.state == VmState.RUNNING and self.hostid is None:
            raise InvalidParameterValue("Please specify a destination host (hostid)")
        if vm.state not in (VmState.RUNNING, VmState.STOPPED):
            raise refusal(vm, VmEvent.MIGRATION_REQUESTED)

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.virtualmachineid
        if vm.state == VmState.RUNNING:
            assert self.hostid is not None
            vm_orchestrator.migrate_vm(
                ctx.session, ctx.runtime, vm=vm, target_host_id=self.hostid.id
            )
        else:
            vm_orchestrator.move_volumes(ctx.session, ctx.runtime, vm=vm, moves=self._moves(ctx))
        return render(ctx, vm)


class ResetSSHKeyForVirtualMachine(
    _VmCommand,
    api="resetSSHKeyForVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.RESETSSHKEY",
    entity_type="VirtualMachine",
):
    """Resets the SSH Key for virtual machine. The virtual machine must be in a "Stopped" state."""

    keypair = string(description="name of the ssh key pair used to login to the virtual machine")
    keypairs = list_of(
        StringKind(),
        description="names of the ssh key pairs to be used to login to the virtual machine",
        since="4.17",
    )
    account = string(description="an optional account for the ssh key. Must be used with domainId.")
    domainid = uuid_of(
        Domain,
        description="an optional domainId for the virtual machine. If the account parameter is used, domainId must also be used.",
    )

    def _names(self) -> list[str]:
        return [*([self.keypair] if self.keypair else []), *(self.keypairs or [])]

    def create(self, ctx: CommandContext) -> None:
        vm = self.vm(ctx)
        if vm.state != VmState.STOPPED:
            raise InvalidParameterValue(f"Vm {vm.uuid} should be stopped to do SSH Key reset")

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        password = vms.reset_ssh_keys(ctx.session, ctx.runtime, vm=vm, names=self._names())
        return render(ctx, vm, password=password)


class ResetPasswordForVirtualMachine(
    _VmCommand,
    api="resetPasswordForVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.RESETPASSWORD",
    entity_type="VirtualMachine",
):
    """Resets the password for virtual machine. The virtual machine must be in a "Stopped" state and the template must already support this feature for this command to take effect."""

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        password = vms.reset_password(ctx.session, ctx.runtime, vm=vm)
        return render(ctx, vm, password=password)


class PasswordResponse(ResponseObject, object_name="password"):
    encryptedpassword = Field("The base64 encoded encrypted password of the VM")


class GetVMPassword(
    _VmCommand, api="getVMPassword", response=PasswordResponse, authorized=ALL_ROLES
):
    """Returns an encrypted password for the VM"""

    def execute(self, ctx: CommandContext) -> PasswordResponse:
        return PasswordResponse(
            encryptedpassword=vms.encrypted_password(ctx.runtime, vm=self.vm(ctx))
        )


class ConsoleOutputResponse(ResponseObject, object_name="consoleoutput"):
    id = Field("the ID of the virtual machine")
    output = Field("the base64-encoded console output of the virtual machine (may be empty)")
    timestamp = Field("the date the console output was read", type="date")


class GetVirtualMachineConsoleOutput(
    _VmCommand,
    api="getVirtualMachineConsoleOutput",
    response=ConsoleOutputResponse,
    authorized=ALL_ROLES,
):
    """Returns the serial console output of a running virtual machine, as its hypervisor
    keeps it (Alto extension; empty when the hypervisor keeps none or the VM is not
    running)."""

    def execute(self, ctx: CommandContext) -> ConsoleOutputResponse:
        vm = self.vm(ctx)
        output = vms.console_output(ctx.session, ctx.runtime, vm=vm)
        return ConsoleOutputResponse(
            id=vm.uuid, output=base64.b64encode(output).decode(), timestamp=utcnow()
        )


class UpdateVMAffinityGroup(
    _VmCommand,
    api="updateVMAffinityGroup",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.AG.UPDATE",
    entity_type="VirtualMachine",
):
    """Updates the affinity/anti-affinity group associations of a virtual machine. The VM has to be stopped and restarted for the new properties to take effect."""

    affinitygroupids = uuids_of(
        AffinityGroup,
        description="comma separated list of affinity groups id that are going to be applied to the virtual machine. Should be passed only when vm is created from a zone with Basic Network support. Mutually exclusive with securitygroupnames parameter",
    )
    affinitygroupnames = list_of(
        StringKind(),
        description="comma separated list of affinity groups names that are going to be applied to the virtual machine. Mutually exclusive with affinitygroupids parameter",
    )

    def _groups(self, ctx: CommandContext) -> list[AffinityGroup]:
        owner = vms.owner_of(ctx.session, self.vm(ctx))
        return groups_named(
            ctx.session, owner=owner, ids=self.affinitygroupids, names=self.affinitygroupnames
        )

    def create(self, ctx: CommandContext) -> None:
        vm = self.vm(ctx)
        affinity.check_groups_of(vm.account_id, self._groups(ctx))
        if vm.state != VmState.STOPPED:
            raise InvalidParameterValue(
                f"Unable to update affinity groups of the virtual machine {vm.uuid}, VM must be in Stopped state"
            )

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.vm(ctx)
        affinity.set_vm_groups(ctx.session, vm=vm, groups=self._groups(ctx))
        return render(ctx, vm)
