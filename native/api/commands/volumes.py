"""Volume commands: createVolume, attachVolume, detachVolume, resizeVolume, migrateVolume,
deleteVolume, listVolumes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.params import boolean, long, map_of, string, uuid_of, uuids_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone, usable_offering
from native.model import (
    Account,
    Cluster,
    DiskOffering,
    Domain,
    Host,
    Pod,
    ResourceTag,
    ServiceOffering,
    Snapshot,
    StoragePool,
    Template,
    VirtualMachine,
    Volume,
    Zone,
)
from native.services import snapshots, volume_attach, volume_migration, volumes
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.steps import Steps
from native.services.tags import tag_clause, tags_of, tags_param
from native.services.visibility import owned_clause

DESTROYED_STATES = ("Destroy", "Expunging", "Expunged")


def _hypervisor(session: Session, volume: Volume, vm: VirtualMachine | None) -> str:
    if vm is not None and vm.hypervisor_type not in ("", "None", "Any"):
        return vm.hypervisor_type
    pool = None if volume.pool_id is None else session.get(StoragePool, volume.pool_id)
    if pool is not None and pool.cluster_id is not None:
        cluster = session.get(Cluster, pool.cluster_id)
        if cluster is not None:
            return cluster.hypervisor_type
    return "None"


class VolumeResponse(ResponseObject, object_name="volume"):
    id = Field("ID of the disk volume")
    name = Field("name of the disk volume")
    zoneid = Field("ID of the availability zone")
    zonename = Field("name of the availability zone")
    type = Field("type of the disk volume (ROOT or DATADISK)")
    deviceid = Field(
        "the ID of the device on user vm the volume is attahed to. This tag is not returned "
        "when the volume is detached.",
        type="long",
    )
    devicename = Field(
        "the guest device name the volume was attached under, if the attach gave one"
    )
    virtualmachineid = Field("id of the virtual machine")
    vmname = Field("name of the virtual machine")
    vmdisplayname = Field("display name of the virtual machine")
    vmstate = Field("state of the virtual machine")
    provisioningtype = Field("provisioning type used to create volumes.", since="4.4.0")
    size = Field("size of the disk volume", type="long")
    miniops = Field("min iops of the disk volume", type="long")
    maxiops = Field("max iops of the disk volume", type="long")
    created = Field("the date the disk volume was created", type="date")
    attached = Field("the date the volume was attached to a VM instance", type="date")
    state = Field("the state of the disk volume")
    account = Field("the account associated with the disk volume")
    domainid = Field("the ID of the domain associated with the disk volume")
    domain = Field("the domain associated with the disk volume")
    storagetype = Field("shared or local storage")
    hypervisor = Field("Hypervisor the volume belongs to")
    diskofferingid = Field("ID of the disk offering")
    diskofferingname = Field("name of the disk offering")
    diskofferingdisplaytext = Field("the display text of the disk offering")
    serviceofferingid = Field("ID of the service offering for root disk")
    serviceofferingname = Field("name of the service offering for root disk")
    serviceofferingdisplaytext = Field("the display text of the service offering for root disk")
    storage = Field("name of the primary storage hosting the disk volume")
    storageid = Field(
        "id of the primary storage hosting the disk volume; returned to admin user only"
    )
    podid = Field("Pod id of the volume; returned to admin user only")
    podname = Field("Pod name of the volume; returned to admin user only")
    clusterid = Field("cluster id of the volume; returned to admin user only")
    clustername = Field("cluster name of the volume; returned to admin user only")
    path = Field("the path of the volume; returned to admin user only")
    destroyed = Field("the boolean state of whether the volume is destroyed or not", type="boolean")
    isextractable = Field("true if the volume is extractable, false otherwise", type="boolean")
    displayvolume = Field(
        "an optional field whether to the display the volume to the end user or not.",
        type="boolean",
    )
    snapshotid = Field("ID of the snapshot from which this volume was created")
    templateid = Field("ID of the template the ROOT volume was created from")
    templatename = Field("name of the template the ROOT volume was created from")
    templatedisplaytext = Field("display text of the template the ROOT volume was created from")
    format = Field("the format of the disk volume")
    lastresized = Field("the date the volume's last resize started", type="date")
    sizebeforeresize = Field("size of the disk volume before its last resize", type="long")
    diskofferingidbeforeresize = Field("ID of the disk offering before the last resize")
    tags = Field("the list of resource tags associated", of=TagResponse)

    @classmethod
    def of(
        cls, session: Session, volume: Volume, *, caller: Caller, tags: Sequence[ResourceTag] = ()
    ) -> VolumeResponse:
        account = session.get(Account, volume.account_id)
        zone = session.get(Zone, volume.zone_id)
        assert account is not None and zone is not None
        template = None if volume.template_id is None else session.get(Template, volume.template_id)
        snapshot = None if volume.snapshot_id is None else session.get(Snapshot, volume.snapshot_id)
        return cls(
            id=volume.uuid,
            name=volume.name,
            zoneid=zone.uuid,
            zonename=zone.name,
            type=volume.volume_type,
            provisioningtype=volume.provisioning_type,
            size=volume.size,
            miniops=volume.min_iops,
            maxiops=volume.max_iops,
            created=volume.created,
            attached=volume.attached,
            state=volume.state,
            account=account.name,
            domainid=account.domain.uuid,
            domain=account.domain.name,
            destroyed=volume.state in DESTROYED_STATES,
            isextractable=True if template is None else template.is_extractable,
            displayvolume=volume.display_volume,
            snapshotid=None if snapshot is None else snapshot.uuid,
            templateid=None if template is None else template.uuid,
            templatename=None if template is None else template.name,
            templatedisplaytext=None if template is None else template.display_text,
            format=volume.format,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            **_resize_fields(session, volume),
            **_vm_fields(session, volume),
            **_storage_fields(session, volume, admin=caller.is_root_admin),
        )


def _resize_fields(session: Session, volume: Volume) -> dict[str, Any]:
    """The fields describing the volume's last resize (none if it was never resized)."""
    if volume.resized is None:
        return {}
    before = (
        None
        if volume.resized_from_offering_id is None
        else session.get(DiskOffering, volume.resized_from_offering_id)
    )
    return {
        "lastresized": volume.resized,
        "sizebeforeresize": volume.resized_from,
        "diskofferingidbeforeresize": None if before is None else before.uuid,
    }


def _vm_fields(session: Session, volume: Volume) -> dict[str, Any]:
    """The fields naming the volume's VM, offerings and hypervisor."""
    vm = None if volume.vm_id is None else session.get(VirtualMachine, volume.vm_id)
    offering = (
        None
        if volume.disk_offering_id is None
        else session.get(DiskOffering, volume.disk_offering_id)
    )
    service = (
        None
        if vm is None or volume.volume_type != volumes.ROOT
        else session.get(ServiceOffering, vm.service_offering_id)
    )
    sized_by = service or offering
    return {
        "deviceid": None if vm is None else volume.device_id,
        "devicename": None if vm is None else volume.device_name,
        "virtualmachineid": None if vm is None else vm.uuid,
        "vmname": None if vm is None else vm.name,
        "vmdisplayname": None if vm is None else vm.display_name or vm.name,
        "vmstate": None if vm is None else vm.state,
        "storagetype": "shared" if sized_by is None else sized_by.storage_type,
        "hypervisor": _hypervisor(session, volume, vm),
        "diskofferingid": None if offering is None else offering.uuid,
        "diskofferingname": None if offering is None else offering.name,
        "diskofferingdisplaytext": None if offering is None else offering.display_text,
        "serviceofferingid": None if service is None else service.uuid,
        "serviceofferingname": None if service is None else service.name,
        "serviceofferingdisplaytext": None if service is None else service.display_text,
    }


def _storage_fields(session: Session, volume: Volume, *, admin: bool) -> dict[str, Any]:
    """The fields naming where the volume is stored (all but the pool name for admins only)."""
    pool = None if volume.pool_id is None else session.get(StoragePool, volume.pool_id)
    if pool is None:
        return {}
    if not admin:
        return {"storage": pool.name}
    pod = None if pool.pod_id is None else session.get(Pod, pool.pod_id)
    cluster = None if pool.cluster_id is None else session.get(Cluster, pool.cluster_id)
    return {
        "storage": pool.name,
        "storageid": pool.uuid,
        "podid": None if pod is None else pod.uuid,
        "podname": None if pod is None else pod.name,
        "clusterid": None if cluster is None else cluster.uuid,
        "clustername": None if cluster is None else cluster.name,
        "path": volume.path,
    }


def scope_clause(
    command: ListOwnedCommand, ctx: CommandContext, *, by_id: bool
) -> ColumnElement[bool]:
    """Whose rows a list shows: as `owner_clause`, except that asking by id (without
    `account` or `domainid`) looks among everything the caller may see, as CloudStack does."""
    if by_id and command.account is None and command.domainid is None:
        return owned_clause(
            caller=ctx.caller, account=None, domain=None, is_recursive=False, list_all=True
        )
    return command.owner_clause(ctx)


def volume_response(ctx: CommandContext, volume: Volume) -> VolumeResponse:
    """The response for one volume, with its tags."""
    found = tags_of(ctx.session, resource_type="Volume", resource_ids=[volume.id])
    return VolumeResponse.of(ctx.session, volume, caller=ctx.caller, tags=found.get(volume.id, ()))


def _volume_by_uuid(ctx: CommandContext, uuid: str | None) -> Volume:
    volume = ctx.session.scalars(select(Volume).where(Volume.uuid == uuid)).one()
    return volume


class CreateVolume(
    Command,
    api="createVolume",
    is_async=True,
    response=VolumeResponse,
    authorized=ALL_ROLES,
    event="VOLUME.CREATE",
    entity_type="Volume",
):
    """Creates a disk volume from a disk offering. This disk volume must still be attached to
    a virtual machine to make use of it.

    The volume is Allocated, on no storage, until it is first attached; one made from a
    snapshot (or for a VM, `virtualmachineid`) is put on primary storage at once.
    """

    name = string(description="the name of the disk volume")
    account = string(
        description="the account associated with the disk volume. Must be used with the "
        "domainId parameter."
    )
    domainid = uuid_of(
        Domain,
        description="the domain ID associated with the disk offering. If used with the account "
        "parameter returns the disk volume associated with the account for the specified domain.",
    )
    diskofferingid = uuid_of(
        DiskOffering,
        visible=usable_offering,
        description="the ID of the disk offering. Either diskOfferingId or snapshotId must be "
        "passed in.",
    )
    size = long(description="Arbitrary volume size (GB), for custom disk offerings")
    zoneid = uuid_of(Zone, visible=enabled_zone, description="the ID of the availability zone")
    snapshotid = uuid_of(
        Snapshot,
        description="the snapshot ID for the disk volume. Either diskOfferingId or snapshotId "
        "must be passed in.",
    )
    virtualmachineid = uuid_of(
        VirtualMachine,
        description="the ID of the virtual machine; to be used with snapshot Id, VM to which the "
        "volume gets attached after creation",
    )
    miniops = long(description="min iops")
    maxiops = long(description="max iops")
    displayvolume = boolean(
        description="an optional field, whether to display the volume to the end user or not."
    )

    def create(self, ctx: CommandContext) -> str:
        owner = volumes.owner_account(
            ctx.session, caller=ctx.caller, name=self.account, domain=self.domainid
        )
        zone = self.zoneid
        if zone is None and self.virtualmachineid is not None:
            zone = ctx.session.get(Zone, self.virtualmachineid.zone_id)
        volume = volumes.allocate_volume(
            ctx.session,
            ctx.runtime.settings,
            caller=ctx.caller,
            spec=volumes.NewVolume(
                name=self.name,
                owner=owner,
                zone=zone,
                offering=self.diskofferingid,
                size_gb=self.size,
                snapshot=self.snapshotid,
                min_iops=self.miniops,
                max_iops=self.maxiops,
                display=self.displayvolume is not False,
            ),
        )
        if self.virtualmachineid is not None:
            volume_attach.check_attachable(
                ctx.session, volume=volume, vm=self.virtualmachineid, device_id=None
            )
        return volume.uuid

    def execute(self, ctx: CommandContext) -> VolumeResponse:
        volume = _volume_by_uuid(ctx, ctx.instance_id)
        with Steps(ctx.session) as steps:
            steps.on_undo(lambda s: volumes.discard_volume(s, volume_id=volume.id))
            if self.snapshotid is not None:
                snapshots.create_from_snapshot(
                    ctx.session,
                    ctx.runtime,
                    steps=steps,
                    volume=volume,
                    snapshot=self.snapshotid,
                    vm=self.virtualmachineid,
                )
            if self.virtualmachineid is not None:
                volume_attach.attach_volume(
                    ctx.session,
                    ctx.runtime,
                    steps=steps,
                    volume=volume,
                    vm=self.virtualmachineid,
                    device_id=None,
                )
            steps.commit()
        return volume_response(ctx, volume)


class AttachVolume(
    Command,
    api="attachVolume",
    is_async=True,
    response=VolumeResponse,
    authorized=ALL_ROLES,
    event="VOLUME.ATTACH",
    entity_type="Volume",
):
    """Attaches a disk volume to a virtual machine.

    Data disks take device 1, 2, 4, 5… (0 is the ROOT disk, 3 the CD-ROM). An Allocated
    volume is created on primary storage the VM reaches; a running VM gets it hot-plugged.
    `devicename` (Alto's own) keeps the guest device name the caller chose, such as EC2's
    `/dev/sdf`, with the attachment; no two volumes of a VM share one.
    """

    id = uuid_of(Volume, description="the ID of the disk volume").required()
    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine"
    ).required()
    deviceid = long(
        description="the ID of the device to map the volume to within the guest OS. If no "
        "deviceId is passed in, the next available deviceId will be chosen."
    )
    devicename = string(
        description="the guest device name to keep with the attachment (such as /dev/sdf)",
        length=64,
    )

    def create(self, ctx: CommandContext) -> None:
        volume_attach.check_attachable(
            ctx.session,
            volume=self.id,
            vm=self.virtualmachineid,
            device_id=self.deviceid,
            device_name=self.devicename,
        )

    def execute(self, ctx: CommandContext) -> VolumeResponse:
        with Steps(ctx.session) as steps:
            volume = volume_attach.attach_volume(
                ctx.session,
                ctx.runtime,
                steps=steps,
                volume=self.id,
                vm=self.virtualmachineid,
                device_id=self.deviceid,
                device_name=self.devicename,
            )
            steps.commit()
        return volume_response(ctx, volume)


class DetachVolume(
    Command,
    api="detachVolume",
    is_async=True,
    response=VolumeResponse,
    authorized=ALL_ROLES,
    event="VOLUME.DETACH",
    entity_type="Volume",
):
    """Detaches a disk volume from a virtual machine.

    Name the volume by `id`, or by `virtualmachineid` and `deviceid`.
    """

    id = uuid_of(Volume, description="the ID of the disk volume")
    deviceid = long(
        description="the device ID on the virtual machine where volume is detached from"
    )
    virtualmachineid = uuid_of(
        VirtualMachine,
        description="the ID of the virtual machine where the volume is detached from",
    )

    def target(self, ctx: CommandContext) -> Volume:
        if self.id is not None:
            return self.id
        if self.virtualmachineid is None or self.deviceid is None:
            raise InvalidParameterValue(
                "Please provide either a volume id, or a tuple(device id, instance id)"
            )
        volume = ctx.session.scalars(
            select(Volume).where(
                Volume.vm_id == self.virtualmachineid.id,
                Volume.device_id == self.deviceid,
                Volume.removed.is_(None),
            )
        ).first()
        if volume is None:
            raise InvalidParameterValue(
                f"Unable to find volume with device id {self.deviceid} on VM "
                f"{self.virtualmachineid.uuid}"
            )
        return volume

    def job_instance_id(self) -> str | None:
        return None if self.id is None else self.id.uuid

    def create(self, ctx: CommandContext) -> None:
        volume_attach.check_detachable(ctx.session, volume=self.target(ctx))

    def execute(self, ctx: CommandContext) -> VolumeResponse:
        with Steps(ctx.session) as steps:
            volume = self.target(ctx)
            volume_attach.detach_volume(ctx.session, ctx.runtime, steps=steps, volume=volume)
            steps.commit()
        return volume_response(ctx, volume)


class ResizeVolume(
    Command,
    api="resizeVolume",
    is_async=True,
    response=VolumeResponse,
    authorized=ALL_ROLES,
    event="VOLUME.RESIZE",
    entity_type="Volume",
):
    """Resizes a volume

    A data disk of a custom offering (or a ROOT disk) takes a new `size` in GB; a data disk
    may instead get another disk offering. Shrinking needs `shrinkok=true`.
    """

    id = uuid_of(Volume, description="the ID of the disk volume").required()
    size = long(description="New volume size in GB")
    diskofferingid = uuid_of(
        DiskOffering, visible=usable_offering, description="new disk offering id"
    )
    shrinkok = boolean(description="Verify OK to Shrink")
    miniops = long(description="New minimum number of IOPS")
    maxiops = long(description="New maximum number of IOPS")

    def change(self) -> volumes.Resize:
        return volumes.Resize(
            size_gb=self.size,
            offering=self.diskofferingid,
            shrink_ok=bool(self.shrinkok),
            min_iops=self.miniops,
            max_iops=self.maxiops,
        )

    def create(self, ctx: CommandContext) -> None:
        volumes.plan_resize(ctx.session, ctx.runtime.settings, volume=self.id, change=self.change())

    def execute(self, ctx: CommandContext) -> VolumeResponse:
        with Steps(ctx.session) as steps:
            volumes.resize_volume(
                ctx.session, ctx.runtime, steps=steps, volume=self.id, change=self.change()
            )
            steps.commit()
        return volume_response(ctx, self.id)


class MigrateVolume(
    Command,
    api="migrateVolume",
    is_async=True,
    response=VolumeResponse,
    authorized=ALL_ROLES,
    event="VOLUME.MIGRATE",
    entity_type="Volume",
):
    """Migrate volume

    Copies the volume's data to the storage pool `storageid`; a volume of a running VM
    needs `livemigrate=true`.
    """

    volumeid = uuid_of(Volume, description="the ID of the volume").required()
    storageid = uuid_of(
        StoragePool, description="destination storage pool ID to migrate the volume to"
    ).required()
    livemigrate = boolean(
        description="if the volume should be live migrated when it is attached to a running vm"
    )

    def job_instance_id(self) -> str | None:
        return self.volumeid.uuid

    def create(self, ctx: CommandContext) -> None:
        volume_migration.check_migratable(
            ctx.session, volume=self.volumeid, pool=self.storageid, live=bool(self.livemigrate)
        )

    def execute(self, ctx: CommandContext) -> VolumeResponse:
        with Steps(ctx.session) as steps:
            volume_migration.migrate_volume(
                ctx.session,
                ctx.runtime,
                steps=steps,
                volume=self.volumeid,
                pool=self.storageid,
                live=bool(self.livemigrate),
            )
        return volume_response(ctx, self.volumeid)


class DeleteVolume(
    Command,
    api="deleteVolume",
    authorized=ALL_ROLES,
    event="VOLUME.DELETE",
    entity_type="Volume",
):
    """Deletes a detached disk volume."""

    id = uuid_of(Volume, description="The ID of the disk volume").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        with Steps(ctx.session) as steps:
            volumes.delete_volume(ctx.session, ctx.runtime, steps=steps, volume=self.id)
            steps.commit()
        return SuccessResult()


class ListVolumes(
    ListOwnedCommand, api="listVolumes", response=VolumeResponse, authorized=ALL_ROLES
):
    """Lists all volumes.

    Without `listall`, `account` or `domainid`, a caller sees its own account's volumes
    (all it may see when asking by `id` or `ids`). `podid`, `clusterid`, `hostid` and
    `storageid` are for root admins.
    """

    id = uuid_of(Volume, description="the ID of the disk volume")
    ids = uuids_of(
        Volume,
        description="the IDs of the volumes, mutually exclusive with id",
        since="4.9",
    )
    name = string(description="the name of the disk volume")
    type = string(description="the type of disk volume")
    virtualmachineid = uuid_of(VirtualMachine, description="the ID of the virtual machine")
    zoneid = uuid_of(Zone, visible=enabled_zone, description="the ID of the availability zone")
    podid = uuid_of(Pod, description="the pod id the disk volume belongs to")
    clusterid = uuid_of(Cluster, description="the cluster id the disk volume belongs to")
    hostid = uuid_of(Host, description="list volumes on specified host")
    storageid = uuid_of(
        StoragePool, description="the ID of the storage pool, available to ROOT admin only"
    )
    diskofferingid = uuid_of(
        DiskOffering, visible=usable_offering, description="list volumes by disk offering"
    )
    state = string(
        description="state of the volume. Possible values are: Ready, Allocated, Destroy, Expunging, Expunged."
    )
    displayvolume = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this parameter"
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def _placement(self, query: Select[Volume]) -> Select[Volume]:
        if self.podid is not None or self.clusterid is not None or self.storageid is not None:
            query = query.join(StoragePool, StoragePool.id == Volume.pool_id)
        if self.podid is not None:
            query = query.where(StoragePool.pod_id == self.podid.id)
        if self.clusterid is not None:
            query = query.where(StoragePool.cluster_id == self.clusterid.id)
        if self.storageid is not None:
            query = query.where(StoragePool.id == self.storageid.id)
        if self.hostid is not None:
            query = query.join(VirtualMachine, VirtualMachine.id == Volume.vm_id).where(
                VirtualMachine.host_id == self.hostid.id
            )
        return query

    def query(self, ctx: CommandContext) -> Select[Volume]:
        query = (
            select(Volume)
            .join(Account, Account.id == Volume.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(
                Volume.removed.is_(None),
                scope_clause(self, ctx, by_id=self.id is not None or bool(self.ids)),
            )
        )
        if self.id is not None:
            query = query.where(Volume.id == self.id.id)
        if self.ids:
            query = query.where(Volume.id.in_([volume.id for volume in self.ids]))
        if self.name is not None:
            query = query.where(Volume.name == self.name)
        if self.keyword:
            query = query.where(Volume.name.contains(self.keyword, autoescape=True))
        if self.type is not None:
            query = query.where(Volume.volume_type == self.type.upper())
        if self.virtualmachineid is not None:
            query = query.where(Volume.vm_id == self.virtualmachineid.id)
        if self.zoneid is not None:
            query = query.where(Volume.zone_id == self.zoneid.id)
        if self.diskofferingid is not None:
            query = query.where(Volume.disk_offering_id == self.diskofferingid.id)
        if self.state is not None:
            query = query.where(Volume.state == self.state)
        if self.displayvolume is not None and ctx.caller.is_root_admin:
            query = query.where(Volume.display_volume.is_(self.displayvolume))
        elif not ctx.caller.is_root_admin:
            query = query.where(Volume.display_volume.is_(True))
        if self.tags:
            query = query.where(
                tag_clause(resource_type="Volume", id_column=Volume.id, tags=tags_param(self.tags))
            )
        return self._placement(query)

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), Volume.id)
        found = tags_of(ctx.session, resource_type="Volume", resource_ids=[row.id for row in rows])
        related = _related_rows(ctx.session, rows)
        responses = [
            VolumeResponse.of(ctx.session, row, caller=ctx.caller, tags=found.get(row.id, ()))
            for row in rows
        ]
        del related
        return ListResult(responses, count)


def _related_rows(session: Session, rows: Sequence[Volume]) -> list[object]:
    """The rows a page of volume responses names (owners, zones, templates, snapshots,
    pools, offerings, VMs), loaded in one query per table. The session's identity map holds
    only referenced objects: keep the list until the responses are made, and their
    `Session.get` calls find these rows without a query each."""
    held: list[object] = []

    def load(model: Any, ids: Iterable[int | None]) -> None:
        wanted = {row_id for row_id in ids if row_id is not None}
        if wanted:
            held.extend(session.scalars(select(model).where(model.id.in_(wanted))).all())

    load(Account, (row.account_id for row in rows))
    load(Zone, (row.zone_id for row in rows))
    load(Template, (row.template_id for row in rows))
    load(Snapshot, (row.snapshot_id for row in rows))
    load(StoragePool, (row.pool_id for row in rows))
    load(DiskOffering, (row.disk_offering_id for row in rows))
    load(VirtualMachine, (row.vm_id for row in rows))
    vms = [row for row in held if isinstance(row, VirtualMachine)]
    load(ServiceOffering, (vm.service_offering_id for vm in vms))
    return held
