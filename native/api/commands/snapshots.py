"""Volume snapshot commands: createSnapshot, copySnapshot, listSnapshots, deleteSnapshot,
revertSnapshot."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import map_of, string, uuid_of, uuids_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import enabled_zone, policy_of_visible_volume
from native.model import (
    Account,
    Domain,
    GuestOsType,
    ResourceTag,
    Snapshot,
    SnapshotPolicy,
    Template,
    Volume,
    Zone,
)
from native.services import snapshots
from native.services.errors import InvalidParameterValue
from native.services.snapshot_policies import INTERVAL_TYPES
from native.services.snapshots import SnapshotState
from native.services.steps import Steps
from native.services.tags import tag_clause, tags_of, tags_param


class SnapshotResponse(ResponseObject, object_name="snapshot"):
    id = Field("ID of the snapshot")
    name = Field("name of the snapshot")
    account = Field("the account associated with the snapshot")
    domainid = Field("the domain ID of the snapshot's account")
    domain = Field("the domain name of the snapshot's account")
    snapshottype = Field("the type of the snapshot")
    intervaltype = Field("valid types are hourly, daily, weekly, monthy, template, and none.")
    volumeid = Field("ID of the disk volume")
    volumename = Field("name of the disk volume")
    volumetype = Field("type of the disk volume")
    created = Field("the date the snapshot was created", type="date")
    state = Field(
        "the state of the snapshot. BackedUp means that snapshot is ready to be used; Creating - "
        "the snapshot is being allocated on the primary storage; BackingUp - the snapshot is "
        "being backed up on secondary storage"
    )
    physicalsize = Field("physical size of backedup snapshot on image store", type="long")
    virtualsize = Field("virtual size of backedup snapshot on image store", type="long")
    zoneid = Field("id of the availability zone")
    zonename = Field("name of the availability zone")
    revertable = Field(
        "indicates whether the underlying storage supports reverting the volume to this snapshot",
        type="boolean",
    )
    ostypeid = Field("id of the os on volume")
    osdisplayname = Field("display name of the os on volume")
    tags = Field("the list of resource tags associated with snapshot", of=TagResponse)

    @classmethod
    def of(
        cls, session: Session, snapshot: Snapshot, *, tags: Sequence[ResourceTag] = ()
    ) -> SnapshotResponse:
        account = session.get(Account, snapshot.account_id)
        zone = session.get(Zone, snapshot.zone_id)
        volume = session.get(Volume, snapshot.volume_id)
        assert account is not None and zone is not None and volume is not None
        template = None if volume.template_id is None else session.get(Template, volume.template_id)
        os_type = None if template is None else session.get(GuestOsType, template.os_type_id)
        return cls(
            id=snapshot.uuid,
            name=snapshot.name,
            account=account.name,
            domainid=account.domain.uuid,
            domain=account.domain.name,
            snapshottype=snapshot.snapshot_type,
            intervaltype=snapshot.snapshot_type,
            volumeid=volume.uuid,
            volumename=volume.name,
            volumetype=volume.volume_type,
            created=snapshot.created,
            state=snapshot.state,
            physicalsize=snapshot.physical_size,
            virtualsize=snapshot.size,
            zoneid=zone.uuid,
            zonename=zone.name,
            revertable=snapshot.state == SnapshotState.BACKED_UP and volume.removed is None,
            ostypeid=None if os_type is None else os_type.uuid,
            osdisplayname=None if os_type is None else os_type.description,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


def snapshot_response(ctx: CommandContext, snapshot: Snapshot) -> SnapshotResponse:
    """The response for one snapshot, with its tags."""
    found = tags_of(ctx.session, resource_type="Snapshot", resource_ids=[snapshot.id])
    return SnapshotResponse.of(ctx.session, snapshot, tags=found.get(snapshot.id, ()))


class CreateSnapshot(
    Command,
    api="createSnapshot",
    is_async=True,
    response=SnapshotResponse,
    authorized=ALL_ROLES,
    event="SNAPSHOT.CREATE",
    entity_type="Snapshot",
):
    """Creates an instant snapshot of a volume.

    The volume's data is copied to an image store of its zone; the snapshot is owned by
    the volume's account and counts against its snapshot and secondary storage limits.
    """

    volumeid = uuid_of(Volume, description="The ID of the disk volume").required()
    name = string(description="the name of the snapshot")
    policyid = uuid_of(
        SnapshotPolicy,
        visible=policy_of_visible_volume,
        description="policy id of the snapshot, if this is null, then use MANUAL_POLICY.",
    )

    def create(self, ctx: CommandContext) -> str:
        if self.policyid is not None and self.policyid.volume_id != self.volumeid.id:
            raise InvalidParameterValue(
                f"Snapshot policy {self.policyid.uuid} is not a policy of volume "
                f"{self.volumeid.uuid}"
            )
        snapshot = snapshots.allocate_snapshot(
            ctx.session,
            ctx.runtime.settings,
            volume=self.volumeid,
            name=self.name,
            policy=self.policyid,
        )
        return snapshot.uuid

    def execute(self, ctx: CommandContext) -> SnapshotResponse:
        snapshot = ctx.session.scalars(
            select(Snapshot).where(Snapshot.uuid == ctx.instance_id)
        ).one()
        with Steps(ctx.session) as steps:
            snapshots.back_up(ctx.session, ctx.runtime, steps=steps, snapshot=snapshot)
        return snapshot_response(ctx, snapshot)


class DeleteSnapshot(
    Command,
    api="deleteSnapshot",
    is_async=True,
    authorized=ALL_ROLES,
    event="SNAPSHOT.DELETE",
    entity_type="Snapshot",
):
    """Deletes a snapshot of a disk volume."""

    id = uuid_of(Snapshot, description="The ID of the snapshot").required()

    def create(self, ctx: CommandContext) -> None:
        if self.id.state not in (SnapshotState.BACKED_UP, SnapshotState.ERROR):
            raise InvalidParameterValue(
                f"Can't delete snapshot {self.id.uuid} with state {self.id.state}"
            )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        with Steps(ctx.session) as steps:
            snapshots.delete_snapshot(ctx.session, ctx.runtime, steps=steps, snapshot=self.id)
            steps.commit()
        return SuccessResult()


class CopySnapshot(
    Command,
    api="copySnapshot",
    is_async=True,
    response=SnapshotResponse,
    authorized=ALL_ROLES,
    event="SNAPSHOT.COPY",
    entity_type="Snapshot",
    since="4.19.0",
):
    """Copies a snapshot from one zone to another.

    Alto keeps one zone per snapshot, so the copy is a new snapshot (its own ID) of the same
    volume, in `destzoneid` (the source's zone by default), owned by the source's account.
    """

    id = uuid_of(Snapshot, description="the ID of the snapshot.").required()
    destzoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="The ID of the zone the snapshot is being copied to.",
    )
    name = string(description="the name of the copy (the source snapshot's name by default)")

    def create(self, ctx: CommandContext) -> str:
        zone = self.destzoneid or ctx.session.get(Zone, self.id.zone_id)
        assert zone is not None
        copy = snapshots.allocate_copy(
            ctx.session, ctx.runtime.settings, source=self.id, zone=zone, name=self.name
        )
        return copy.uuid

    def execute(self, ctx: CommandContext) -> SnapshotResponse:
        copy = ctx.session.scalars(select(Snapshot).where(Snapshot.uuid == ctx.instance_id)).one()
        with Steps(ctx.session) as steps:
            snapshots.copy_data(
                ctx.session, ctx.runtime, steps=steps, snapshot=copy, source=self.id
            )
        return snapshot_response(ctx, copy)


class RevertSnapshot(
    Command,
    api="revertSnapshot",
    is_async=True,
    response=SnapshotResponse,
    authorized=ALL_ROLES,
    event="SNAPSHOT.REVERT",
    entity_type="Snapshot",
    since="4.2.0",
):
    """This is supposed to revert a volume snapshot. This command is only supported with KVM
    so far

    The volume must be detached or its VM Stopped; it keeps its size.
    """

    id = uuid_of(Snapshot, description="The ID of the snapshot").required()

    def execute(self, ctx: CommandContext) -> SnapshotResponse:
        with Steps(ctx.session) as steps:
            snapshots.revert_snapshot(ctx.session, ctx.runtime, steps=steps, snapshot=self.id)
            steps.commit()
        return snapshot_response(ctx, self.id)


class ListSnapshots(
    ListOwnedCommand, api="listSnapshots", response=SnapshotResponse, authorized=ALL_ROLES
):
    """Lists all available snapshots for the account.

    `snapshottype` is MANUAL or RECURRING; `intervaltype` HOURLY, DAILY, WEEKLY or MONTHLY.
    """

    id = uuid_of(Snapshot, description="lists snapshot by snapshot ID")
    ids = uuids_of(
        Snapshot,
        description="the IDs of the snapshots, mutually exclusive with id",
        since="4.9",
    )
    volumeid = uuid_of(Volume, description="the ID of the disk volume")
    snapshottype = string(description="valid values are MANUAL or RECURRING.")
    intervaltype = string(description="valid values are HOURLY, DAILY, WEEKLY, and MONTHLY.")
    name = string(description="lists snapshot by snapshot name")
    zoneid = uuid_of(Zone, visible=enabled_zone, description="list snapshots by zone id")
    tags = map_of(description="List resources by tags (key/value pairs)")

    def _types(self, query: Select[Snapshot]) -> Select[Snapshot]:
        if self.snapshottype is not None:
            kind = self.snapshottype.strip().upper()
            if kind == "RECURRING":
                query = query.where(Snapshot.snapshot_type.in_(INTERVAL_TYPES))
            elif kind == snapshots.MANUAL:
                query = query.where(Snapshot.snapshot_type == snapshots.MANUAL)
            else:
                raise InvalidParameterValue(f"Unsupported snapshot type {self.snapshottype}")
        if self.intervaltype is not None:
            interval = self.intervaltype.strip().upper()
            if interval not in INTERVAL_TYPES:
                raise InvalidParameterValue(f"Unsupported interval type {self.intervaltype}")
            query = query.where(Snapshot.snapshot_type == interval)
        return query

    def query(self, ctx: CommandContext) -> Select[Snapshot]:
        query = (
            select(Snapshot)
            .join(Account, Account.id == Snapshot.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(
                Snapshot.removed.is_(None),
                scope_clause(self, ctx, by_id=self.id is not None or bool(self.ids)),
            )
        )
        if self.id is not None:
            query = query.where(Snapshot.id == self.id.id)
        if self.ids:
            query = query.where(Snapshot.id.in_([snapshot.id for snapshot in self.ids]))
        if self.volumeid is not None:
            query = query.where(Snapshot.volume_id == self.volumeid.id)
        if self.name is not None:
            query = query.where(Snapshot.name == self.name)
        if self.keyword:
            query = query.where(Snapshot.name.contains(self.keyword, autoescape=True))
        if self.zoneid is not None:
            query = query.where(Snapshot.zone_id == self.zoneid.id)
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="Snapshot", id_column=Snapshot.id, tags=tags_param(self.tags)
                )
            )
        return self._types(query)

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(
            ctx, self.query(ctx), Snapshot.created.desc(), Snapshot.id.desc()
        )
        found = tags_of(
            ctx.session, resource_type="Snapshot", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [SnapshotResponse.of(ctx.session, row, tags=found.get(row.id, ())) for row in rows],
            count,
        )
