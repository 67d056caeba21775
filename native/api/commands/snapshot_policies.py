"""Snapshot policy commands: createSnapshotPolicy, listSnapshotPolicies,
updateSnapshotPolicy, deleteSnapshotPolicies."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand
from native.api.commands.tags import TagResponse
from native.api.params import boolean, integer, string, uuid_of, uuids_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import policy_of_visible_volume
from native.model import Account, Domain, ResourceTag, SnapshotPolicy, Volume
from native.services import snapshot_policies
from native.services.errors import InvalidParameterValue
from native.services.tags import tags_of
from native.services.visibility import accounts_clause


class SnapshotPolicyResponse(ResponseObject, object_name="snapshotpolicy"):
    id = Field("the ID of the snapshot policy")
    volumeid = Field("the ID of the disk volume")
    schedule = Field("time the snapshot is scheduled to be taken.")
    intervaltype = Field("the interval type of the snapshot policy", type="short")
    maxsnaps = Field("maximum number of snapshots retained", type="integer")
    timezone = Field("the time zone of the snapshot policy")
    fordisplay = Field(
        "is this policy for display to the regular user", type="boolean", since="4.4"
    )
    tags = Field("the list of resource tags associated", of=TagResponse)

    @classmethod
    def of(
        cls, session: Session, policy: SnapshotPolicy, *, tags: Sequence[ResourceTag] = ()
    ) -> SnapshotPolicyResponse:
        volume = session.get(Volume, policy.volume_id)
        assert volume is not None
        return cls(
            id=policy.uuid,
            volumeid=volume.uuid,
            schedule=policy.schedule,
            intervaltype=snapshot_policies.interval_number(policy.interval_type),
            maxsnaps=policy.max_snaps,
            timezone=policy.timezone,
            fordisplay=policy.display,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
        )


def _response(ctx: CommandContext, policy: SnapshotPolicy) -> SnapshotPolicyResponse:
    found = tags_of(ctx.session, resource_type="SnapshotPolicy", resource_ids=[policy.id])
    return SnapshotPolicyResponse.of(ctx.session, policy, tags=found.get(policy.id, ()))


class CreateSnapshotPolicy(
    Command,
    api="createSnapshotPolicy",
    response=SnapshotPolicyResponse,
    authorized=ALL_ROLES,
    event="SNAPSHOTPOLICY.CREATE",
    entity_type="SnapshotPolicy",
):
    """Creates a snapshot policy for the account.

    A volume has one policy per interval type: creating another of the same type updates it.
    """

    volumeid = uuid_of(Volume, description="the ID of the disk volume").required()
    intervaltype = string(
        description="valid values are HOURLY, DAILY, WEEKLY, and MONTHLY"
    ).required()
    schedule = string(
        description="time the snapshot is scheduled to be taken. Format is: * if HOURLY, MM * if "
        "DAILY, MM:HH * if WEEKLY, MM:HH:DD (1-7) * if MONTHLY, MM:HH:DD (1-28)"
    ).required()
    timezone = string(
        description="Specifies a timezone for this command. For more information on the timezone "
        "parameter, see TimeZone Format."
    ).required()
    maxsnaps = integer(description="maximum number of snapshots to retain").required()
    fordisplay = boolean(
        description="an optional field, whether to the display the policy to the end user or not",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> SnapshotPolicyResponse:
        spec = snapshot_policies.PolicySpec(
            interval_type=snapshot_policies.parse_interval_type(self.intervaltype),
            schedule=self.schedule,
            timezone=self.timezone,
            max_snaps=self.maxsnaps,
            display=self.fordisplay is not False,
        )
        policy = snapshot_policies.create_policy(ctx.session, volume=self.volumeid, spec=spec)
        return _response(ctx, policy)


class UpdateSnapshotPolicy(
    Command,
    api="updateSnapshotPolicy",
    is_async=True,
    response=SnapshotPolicyResponse,
    authorized=ALL_ROLES,
    event="SNAPSHOTPOLICY.UPDATE",
    entity_type="SnapshotPolicy",
    since="4.4",
):
    """Updates the snapshot policy.

    Besides CloudStack's `fordisplay`, Alto takes a new `schedule`, `timezone` or
    `maxsnaps`; a new schedule or time zone moves the next run.
    """

    id = uuid_of(
        SnapshotPolicy,
        visible=policy_of_visible_volume,
        description="the ID of the snapshot policy",
    ).required()
    fordisplay = boolean(
        description="an optional field, whether to the display the snapshot policy to the end "
        "user or not."
    )
    schedule = string(description="the new schedule of the policy (format as createSnapshotPolicy)")
    timezone = string(description="the new time zone of the policy")
    maxsnaps = integer(description="the new maximum number of snapshots to retain")

    def execute(self, ctx: CommandContext) -> SnapshotPolicyResponse:
        policy = snapshot_policies.update_policy(
            ctx.session,
            policy=self.id,
            schedule=self.schedule,
            timezone=self.timezone,
            max_snaps=self.maxsnaps,
            display=self.fordisplay,
        )
        return _response(ctx, policy)


class DeleteSnapshotPolicies(
    Command,
    api="deleteSnapshotPolicies",
    authorized=ALL_ROLES,
    event="SNAPSHOTPOLICY.DELETE",
    entity_type="SnapshotPolicy",
):
    """Deletes snapshot policies for the account."""

    id = uuid_of(
        SnapshotPolicy,
        visible=policy_of_visible_volume,
        description="the Id of the snapshot policy",
    )
    ids = uuids_of(
        SnapshotPolicy,
        visible=policy_of_visible_volume,
        description="list of snapshots policy IDs separated by comma",
    )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        policies = [*([] if self.id is None else [self.id]), *(self.ids or [])]
        if not policies:
            raise InvalidParameterValue("Either parameter id or parameter ids must be given")
        snapshot_policies.delete_policies(ctx.session, policies=policies)
        return SuccessResult()


class ListSnapshotPolicies(
    ListCommand,
    api="listSnapshotPolicies",
    response=SnapshotPolicyResponse,
    authorized=ALL_ROLES,
):
    """Lists snapshot policies.

    The policies of the volumes the caller may see, those of `volumeid` or the one `id`.
    """

    volumeid = uuid_of(Volume, description="the ID of the disk volume")
    id = uuid_of(
        SnapshotPolicy,
        visible=policy_of_visible_volume,
        description="the ID of the snapshot policy",
    )
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(SnapshotPolicy)
            .join(Volume, Volume.id == SnapshotPolicy.volume_id)
            .join(Account, Account.id == Volume.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(Volume.removed.is_(None), accounts_clause(ctx.caller))
        )
        if self.volumeid is not None:
            query = query.where(SnapshotPolicy.volume_id == self.volumeid.id)
        if self.id is not None:
            query = query.where(SnapshotPolicy.id == self.id.id)
        if self.fordisplay is not None and ctx.caller.is_root_admin:
            query = query.where(SnapshotPolicy.display.is_(self.fordisplay))
        elif not ctx.caller.is_root_admin:
            query = query.where(SnapshotPolicy.display.is_(True))
        rows, count = self.page_of_query(ctx, query, SnapshotPolicy.id)
        found = tags_of(
            ctx.session, resource_type="SnapshotPolicy", resource_ids=[row.id for row in rows]
        )
        return ListResult(
            [
                SnapshotPolicyResponse.of(ctx.session, row, tags=found.get(row.id, ()))
                for row in rows
            ],
            count,
        )
