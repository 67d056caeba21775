"""VM snapshot commands: createVMSnapshot, listVMSnapshot, revertToVMSnapshot,
deleteVMSnapshot."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.commands.virtual_machines import VmResponse, render
from native.api.commands.volumes import scope_clause
from native.api.params import boolean, map_of, string, uuid_of, uuids_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, ResourceTag, VirtualMachine, VmSnapshot, Zone
from native.services import vm_snapshots
from native.services.steps import Steps
from native.services.tags import tag_clause, tags_of, tags_param


class VMSnapshotResponse(ResponseObject, object_name="vmsnapshot"):
    id = Field("the ID of the vm snapshot")
    name = Field("the name of the vm snapshot")
    state = Field("the state of the vm snapshot")
    description = Field("the description of the vm snapshot")
    displayname = Field("the display name of the vm snapshot")
    zoneid = Field("the Zone ID of the vm snapshot")
    zonename = Field("the Zone name of the vm snapshot", since="4.15.1")
    virtualmachineid = Field("the vm ID of the vm snapshot")
    virtualmachinename = Field("the vm name of the vm snapshot", since="4.15.1")
    parent = Field("the parent ID of the vm snapshot")
    parentName = Field("the parent displayName of the vm snapshot")
    current = Field("indiates if this is current snapshot", type="boolean")
    type = Field("VM Snapshot type")
    created = Field("the create date of the vm snapshot", type="date")
    account = Field("the account associated with the disk volume")
    domainid = Field("the ID of the domain associated with the disk volume")
    domain = Field("the domain associated with the disk volume")
    hypervisor = Field("the type of hypervisor on which snapshot is stored")
    tags = Field("the list of resource tags associated", of=TagResponse)

    @classmethod
    def of(
        cls, session: Session, snapshot: VmSnapshot, *, tags: Sequence[ResourceTag] = ()
    ) -> VMSnapshotResponse:
        account = session.get(Account, snapshot.account_id)
        zone = session.get(Zone, snapshot.zone_id)
        vm = session.get(VirtualMachine, snapshot.vm_id)
        assert account is not None and zone is not None and vm is not None
        parent = None if snapshot.parent_id is None else session.get(VmSnapshot, snapshot.parent_id)
        return cls(
            id=snapshot.uuid,
            name=snapshot.name,
            state=snapshot.state,
            description=snapshot.description,
            displayname=snapshot.display_name,
            zoneid=zone.uuid,
            zonename=zone.name,
            virtualmachineid=vm.uuid,
            virtualmachinename=vm.name,
            parent=None if parent is None else parent.uuid,
            parentName=None if parent is None else parent.display_name,
            current=snapshot.current,
            type=snapshot.snapshot_type,
            created=snapshot.created,
            account=account.name,
            domainid=account.domain.uuid,
            domain=account.domain.name,
            hypervisor=vm.hypervisor_type,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


class ListedVMSnapshotResponse(VMSnapshotResponse, object_name="vmSnapshot"):
    """listVMSnapshot names its items `vmSnapshot`, as CloudStack does."""


class CreateVMSnapshot(
    Command,
    api="createVMSnapshot",
    is_async=True,
    response=VMSnapshotResponse,
    authorized=ALL_ROLES,
    event="VMSNAPSHOT.CREATE",
    entity_type="VMSnapshot",
    since="4.2.0",
):
    """Creates snapshot for a vm.

    A Running or Stopped VM; with `snapshotmemory` (Running only) its memory too. While a
    VM has VM snapshots its volumes cannot be attached, detached or resized.
    """

    virtualmachineid = uuid_of(VirtualMachine, description="The ID of the vm").required()
    name = string(description="The display name of the snapshot")
    description = string(description="The description of the snapshot", length=4096)
    snapshotmemory = boolean(
        description="snapshot memory if true, disk only if false; memory only for a running VM"
    )
    quiescevm = boolean(
        description="quiesce vm if true (the simulator keeps a consistent state either way)"
    )

    def create(self, ctx: CommandContext) -> str:
        snapshot = vm_snapshots.allocate_vm_snapshot(
            ctx.session,
            ctx.runtime,
            vm=self.virtualmachineid,
            display_name=self.name,
            description=self.description,
            memory=bool(self.snapshotmemory),
        )
        return snapshot.uuid

    def execute(self, ctx: CommandContext) -> VMSnapshotResponse:
        snapshot = ctx.session.scalars(
            select(VmSnapshot).where(VmSnapshot.uuid == ctx.instance_id)
        ).one()
        with Steps(ctx.session) as steps:
            vm_snapshots.take_vm_snapshot(ctx.session, ctx.runtime, steps=steps, snapshot=snapshot)
        return VMSnapshotResponse.of(ctx.session, snapshot)


class RevertToVMSnapshot(
    Command,
    api="revertToVMSnapshot",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VMSNAPSHOT.REVERTTO",
    entity_type="VMSnapshot",
    since="4.2.0",
):
    """Revert VM from a vmsnapshot.

    A memory snapshot leaves the VM running (a stopped VM is started first, as CloudStack
    does); a snapshot without memory leaves it stopped. The answer is the VM.
    """

    vmsnapshotid = uuid_of(VmSnapshot, description="The ID of the vm snapshot").required()

    def job_instance_id(self) -> str | None:
        return self.vmsnapshotid.uuid

    def execute(self, ctx: CommandContext) -> VmResponse:
        with Steps(ctx.session) as steps:
            vm = vm_snapshots.revert_to_vm_snapshot(
                ctx.session, ctx.runtime, steps=steps, snapshot=self.vmsnapshotid
            )
        return render(ctx, vm)


class DeleteVMSnapshot(
    Command,
    api="deleteVMSnapshot",
    is_async=True,
    authorized=ALL_ROLES,
    event="VMSNAPSHOT.DELETE",
    entity_type="VMSnapshot",
    since="4.2.0",
):
    """Deletes a vmsnapshot."""

    vmsnapshotid = uuid_of(VmSnapshot, description="The ID of the VM snapshot").required()

    def job_instance_id(self) -> str | None:
        return self.vmsnapshotid.uuid

    def execute(self, ctx: CommandContext) -> SuccessResult:
        with Steps(ctx.session) as steps:
            vm_snapshots.delete_vm_snapshot(
                ctx.session, ctx.runtime, steps=steps, snapshot=self.vmsnapshotid
            )
            steps.commit()
        return SuccessResult()


class ListVMSnapshot(
    ListOwnedCommand,
    api="listVMSnapshot",
    response=ListedVMSnapshotResponse,
    authorized=ALL_ROLES,
    since="4.2.0",
):
    """List virtual machine snapshot by conditions"""

    vmsnapshotid = uuid_of(VmSnapshot, description="The ID of the vm snapshot")
    vmsnapshotids = uuids_of(
        VmSnapshot,
        description="the IDs of the vm snapshots, mutually exclusive with vmsnapshotid",
        since="4.9",
    )
    virtualmachineid = uuid_of(VirtualMachine, description="the ID of the vm")
    state = string(description="state of the virtual machine snapshot")
    name = string(description="lists snapshot by snapshot name or display name")
    tags = map_of(description="List resources by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[VmSnapshot]:
        query = (
            select(VmSnapshot)
            .join(Account, Account.id == VmSnapshot.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(
                VmSnapshot.removed.is_(None),
                scope_clause(
                    self, ctx, by_id=self.vmsnapshotid is not None or bool(self.vmsnapshotids)
                ),
            )
        )
        if self.vmsnapshotid is not None:
            query = query.where(VmSnapshot.id == self.vmsnapshotid.id)
        if self.vmsnapshotids:
            query = query.where(VmSnapshot.id.in_([row.id for row in self.vmsnapshotids]))
        if self.virtualmachineid is not None:
            query = query.where(VmSnapshot.vm_id == self.virtualmachineid.id)
        if self.state is not None:
            query = query.where(VmSnapshot.state == self.state)
        if self.name is not None:
            query = query.where(
                (VmSnapshot.name == self.name) | (VmSnapshot.display_name == self.name)
            )
        if self.keyword:
            query = query.where(
                VmSnapshot.display_name.contains(self.keyword, autoescape=True)
                | VmSnapshot.description.contains(self.keyword, autoescape=True)
            )
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="VMSnapshot", id_column=VmSnapshot.id, tags=tags_param(self.tags)
                )
            )
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), VmSnapshot.id)
        found = tags_of(
            ctx.session, resource_type="VMSnapshot", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [
                ListedVMSnapshotResponse.of(ctx.session, row, tags=found.get(row.id, ()))
                for row in rows
            ],
            count,
        )
