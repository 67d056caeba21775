"""Cleaning up deleted accounts (CloudStack's account cleanup task).

Deleting an account (deleteAccount, or deleteDomain with cleanup) only marks it removed
and `cleanup_needed` (`accounts.remove_account`). Each round of `CLEANUP_TASK` (every
`expunge.interval` seconds, on one management server) then releases, per such account and
through the services that delete each kind of resource: its VM snapshots, its VMs
(stopped through their hosts, expunged), its networking (VPNs, networks, VPCs, public
IPs, security groups), its snapshot policies, its remaining volumes,
volume snapshots, templates and ISOs, SSH key pairs, user data, affinity groups, template
launch permissions and tags.

Every resource is handled in short transactions of its own, none held during a driver
call. A resource that cannot be released (a host or storage error, a resource in the
middle of another operation) is logged and recorded as an ERROR event; the account stays
`cleanup_needed` and the next round tries again, while other accounts go on. Once nothing
is left, whatever counts the account still holds are released (the account to zero, each
domain above it by the same amounts) and `cleanup_needed` is cleared, compare-and-swap, so
that this happens once however many servers run rounds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from native.model import (
    Account,
    AffinityGroup,
    Bucket,
    Network,
    ResourceTag,
    Snapshot,
    SnapshotPolicy,
    SshKeyPair,
    Template,
    TemplatePermission,
    User,
    UserData,
    VirtualMachine,
    VmSnapshot,
    Volume,
    Vpc,
)
from native.services import (
    affinity,
    buckets,
    limits,
    multipart,
    objects,
    snapshot_policies,
    ssh_keys,
    userdata,
)
from native.services.caller import AccountType, Caller
from native.services.errors import CloudError
from native.services.events import record_event
from native.services.expunge import expunge_vm
from native.services.limits import ACCOUNT, ResourceType
from native.services.network import account_networking
from native.services.periodic import PeriodicTask
from native.services.runtime import Runtime
from native.services.snapshots import delete_snapshot
from native.services.steps import Steps
from native.services.templates.copies import delete_template
from native.services.vm_snapshots import delete_vm_snapshot
from native.services.vm_states import VmState
from native.services.vms import destroy_vm
from native.services.volumes import delete_volume

log = logging.getLogger(__name__)

BATCH = 50
ROUND_BUDGET_SECONDS = 30.0
"""A round takes no new account after this long (the periodic tasks share one thread)."""
EVENT_TYPE = "ACCOUNT.DELETE"

Action = Callable[[Session], None]


@dataclass(kw_only=True)
class _Cleanup:
    """One attempt at one account: what failed so far."""

    runtime: Runtime
    account_id: int
    account_uuid: str
    account_name: str
    failures: list[str] = field(default_factory=list)

    def ids(self, query: Select[Any]) -> list[tuple[int, str]]:
        """The (id, uuid) rows of a short read-only query."""
        with self.runtime.db.session(write=False) as session:
            return [(int(row[0]), str(row[1])) for row in session.execute(query)]

    def attempt(self, what: str, action: Action) -> bool:
        """Run `action` in a transaction of its own; a failure is logged, recorded as an
        ERROR event and remembered. Whether it succeeded."""
        try:
            with self.runtime.db.session() as session:
                action(session)
            return True
        except CloudError as error:
            reason = error.text
        except Exception as error:
            log.exception("cleaning up %s of account %s failed", what, self.account_uuid)
            reason = f"{type(error).__name__}: {error}"
        text = f"Unable to clean up {what} of deleted account {self.account_name}: {reason}"
        log.warning("%s", text)
        self.failures.append(text)
        self._record_failure(text)
        return False

    def _record_failure(self, description: str) -> None:
        try:
            with self.runtime.db.session() as session:
                record_event(
                    session,
                    caller=None,
                    event_type=EVENT_TYPE,
                    level="ERROR",
                    description=description,
                    resource_type="Account",
                    resource_id=self.account_uuid,
                )
        except Exception:
            log.exception("could not record an event for account %s", self.account_uuid)


def _system_caller(session: Session) -> Caller:
    """The default root administrator, on whose behalf templates are deleted."""
    user = session.scalars(
        select(User)
        .join(Account, User.account_id == Account.id)
        .where(
            Account.account_type == AccountType.ADMIN,
            Account.is_default.is_(True),
            User.removed.is_(None),
        )
        .order_by(User.is_default.desc(), User.id)
        .limit(1)
    ).first()
    assert user is not None, "the seeded admin user is missing"
    return Caller.of(user)


def _live(model: Any, account_id: int) -> Select[Any]:
    return (
        select(model.id, model.uuid)
        .where(model.account_id == account_id, model.removed.is_(None))
        .order_by(model.id)
    )


def _drop_policies(session: Session, account_id: int) -> None:
    owned = select(Volume.id).where(Volume.account_id == account_id)
    policies = session.scalars(
        select(SnapshotPolicy).where(SnapshotPolicy.volume_id.in_(owned))
    ).all()
    snapshot_policies.delete_policies(session, policies=policies)


def _vm_snapshot_action(runtime: Runtime, snapshot_id: int) -> Action:
    def action(session: Session) -> None:
        snapshot = session.get(VmSnapshot, snapshot_id)
        if snapshot is None or snapshot.removed is not None:
            return
        with Steps(session) as steps:
            delete_vm_snapshot(session, runtime, steps=steps, snapshot=snapshot)
            steps.commit()

    return action


def _vm_action(runtime: Runtime, vm_id: int) -> Action:
    def action(session: Session) -> None:
        vm = session.get(VirtualMachine, vm_id)
        if vm is None or vm.removed is not None:
            return
        if vm.state == VmState.EXPUNGING:
            expunge_vm(session, runtime, vm=vm)
        else:
            destroy_vm(session, runtime, vm=vm, expunge=True)

    return action


def _clean_vms(cleanup: _Cleanup) -> None:
    """VM snapshots first (through the hosts that keep them), then the VMs: a VM whose
    snapshots could not all be deleted is left for the next round."""
    runtime, account_id = cleanup.runtime, cleanup.account_id
    kept: set[int] = set()
    snapshots = select(VmSnapshot.id, VmSnapshot.uuid, VmSnapshot.vm_id).where(
        VmSnapshot.account_id == account_id, VmSnapshot.removed.is_(None)
    )
    with runtime.db.session(write=False) as session:
        rows = [(int(r[0]), str(r[1]), int(r[2])) for r in session.execute(snapshots)]
    for snapshot_id, uuid, vm_id in rows:
        if not cleanup.attempt(f"VM snapshot {uuid}", _vm_snapshot_action(runtime, snapshot_id)):
            kept.add(vm_id)
    for vm_id, uuid in cleanup.ids(_live(VirtualMachine, account_id)):
        if vm_id not in kept:
            cleanup.attempt(f"VM {uuid}", _vm_action(runtime, vm_id))


def _clean_networking(cleanup: _Cleanup) -> None:
    """VPNs, networks, VPCs, public IPs and security groups, once the VMs are gone (a
    network that still has a VM is left for the next round)."""
    with cleanup.runtime.db.session(write=False) as session:
        steps = account_networking.cleanup_steps(
            session, cleanup.runtime, account_id=cleanup.account_id
        )
    for what, action in steps:
        cleanup.attempt(what, action)


def _volume_action(runtime: Runtime, volume_id: int) -> Action:
    def action(session: Session) -> None:
        volume = session.get(Volume, volume_id)
        if volume is None or volume.removed is not None or volume.vm_id is not None:
            return
        with Steps(session) as steps:
            delete_volume(session, runtime, steps=steps, volume=volume)
            steps.commit()

    return action


def _snapshot_action(runtime: Runtime, snapshot_id: int) -> Action:
    def action(session: Session) -> None:
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is None or snapshot.removed is not None:
            return
        with Steps(session) as steps:
            delete_snapshot(session, runtime, steps=steps, snapshot=snapshot)
            steps.commit()

    return action


def _template_action(runtime: Runtime, template_id: int) -> Action:
    def action(session: Session) -> None:
        template = session.get(Template, template_id)
        if template is None or template.removed is not None:
            return
        delete_template(
            session,
            runtime,
            caller=_system_caller(session),
            template=template,
            zone=None,
            forced=True,
        )

    return action


def _clean_storage(cleanup: _Cleanup) -> None:
    """Detached volumes (those still attached belong to VMs left for the next round),
    volume snapshots, then templates and ISOs."""
    runtime, account_id = cleanup.runtime, cleanup.account_id
    detached = _live(Volume, account_id).where(Volume.vm_id.is_(None))
    for volume_id, uuid in cleanup.ids(detached):
        cleanup.attempt(f"volume {uuid}", _volume_action(runtime, volume_id))
    for snapshot_id, uuid in cleanup.ids(_live(Snapshot, account_id)):
        cleanup.attempt(f"snapshot {uuid}", _snapshot_action(runtime, snapshot_id))
    for template_id, uuid in cleanup.ids(_live(Template, account_id)):
        cleanup.attempt(f"template {uuid}", _template_action(runtime, template_id))


def _empty_bucket(runtime: Runtime, bucket: Bucket) -> None:
    """Abort the bucket's multipart uploads, then delete every version and delete marker,
    a page at a time."""
    while uploads := multipart.list_uploads(runtime, bucket=bucket).uploads:
        for upload in uploads:
            multipart.abort_upload(
                runtime, bucket=bucket, key=upload.key, upload_id=upload.upload_id
            )
    while True:
        page = objects.list_object_versions(runtime, bucket=bucket)
        for version in page.versions:
            objects.delete_object(
                runtime, bucket=bucket, key=version.key, version_id=version.version_id
            )
        if not page.versions:
            return


def _objects_action(runtime: Runtime, bucket: Bucket) -> Action:
    """Empties the bucket; the object services open their own transactions, so the session
    this is handed stays unused (and holds no lock)."""

    def action(_session: Session) -> None:
        _empty_bucket(runtime, bucket)

    return action


def _bucket_action(runtime: Runtime, bucket: Bucket) -> Action:
    def action(session: Session) -> None:
        live = session.get(Bucket, bucket.id)
        if live is not None and live.removed is None:
            buckets.delete_bucket(session, runtime, bucket=live)

    return action


def _clean_buckets(cleanup: _Cleanup) -> None:
    """Buckets: their objects (every version), then the buckets themselves."""
    with cleanup.runtime.db.session(write=False) as session:
        owned = list(
            session.scalars(
                select(Bucket).where(
                    Bucket.account_id == cleanup.account_id, Bucket.removed.is_(None)
                )
            )
        )
    for bucket in owned:
        if cleanup.attempt(
            f"objects of bucket {bucket.name}", _objects_action(cleanup.runtime, bucket)
        ):
            cleanup.attempt(f"bucket {bucket.name}", _bucket_action(cleanup.runtime, bucket))


def _drop_small_rows(session: Session, account_id: int) -> None:
    """SSH key pairs, user data, affinity groups, launch permissions and remaining tags
    (with the account row locked, so that two servers do this one after the other)."""
    account = session.get(Account, account_id, with_for_update=True)
    assert account is not None
    for name in session.scalars(select(SshKeyPair.name).where(SshKeyPair.account_id == account_id)):
        ssh_keys.delete_key_pair(session, account=account, name=name)
    caller = _system_caller(session)
    for uuid in session.scalars(select(UserData.uuid).where(UserData.account_id == account_id)):
        userdata.delete(session, caller=caller, userdata_id=uuid)
    for group in session.scalars(
        select(AffinityGroup).where(
            AffinityGroup.account_id == account_id, AffinityGroup.removed.is_(None)
        )
    ):
        affinity.delete_group(session, group=group)
    session.execute(
        delete(TemplatePermission)
        .where(TemplatePermission.account_id == account_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(ResourceTag)
        .where(ResourceTag.account_id == account_id)
        .execution_options(synchronize_session=False)
    )


_LEFTOVERS: Sequence[Any] = (
    VirtualMachine,
    Network,
    Vpc,
    VmSnapshot,
    Volume,
    Snapshot,
    Template,
    AffinityGroup,
    Bucket,
)


def _finish(session: Session, *, account_id: int) -> bool:
    """With nothing of the account left, release the counts it still holds and clear
    `cleanup_needed`; whether this call did it (False if something is left, or if another
    server finished first)."""
    for model in _LEFTOVERS:
        if session.scalar(_live(model, account_id).limit(1)) is not None:
            return False
    claimed = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.cleanup_needed.is_(True))
        .values(cleanup_needed=False)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    account = session.get(Account, account_id)
    assert account is not None
    for resource in ResourceType:
        held = limits.stored_count(
            session, owner_type=ACCOUNT, owner_id=account_id, resource=resource
        )
        limits.release(session, account=account, resource=resource, amount=held)
    record_event(
        session,
        caller=None,
        event_type=EVENT_TYPE,
        description=f"Cleaned up the resources of deleted account {account.name}",
        resource_type="Account",
        resource_id=account.uuid,
    )
    return True


def cleanup_account(runtime: Runtime, *, account_id: int) -> bool:
    """Release everything a removed, `cleanup_needed` account still holds (see the module
    docstring); whether the account is now clean. Safe to repeat and to run concurrently."""
    with runtime.db.session(write=False) as session:
        account = session.get(Account, account_id)
        if account is None or account.removed is None or not account.cleanup_needed:
            return False
        cleanup = _Cleanup(
            runtime=runtime,
            account_id=account_id,
            account_uuid=account.uuid,
            account_name=account.name,
        )
    cleanup.attempt("snapshot policies", lambda session: _drop_policies(session, account_id))
    _clean_vms(cleanup)
    _clean_networking(cleanup)
    _clean_storage(cleanup)
    _clean_buckets(cleanup)
    cleanup.attempt(
        "key pairs, user data, affinity groups and tags",
        lambda session: _drop_small_rows(session, account_id),
    )
    if cleanup.failures:
        return False
    with runtime.db.session() as session:
        return _finish(session, account_id=account_id)


def _pending(runtime: Runtime, after: int) -> list[int]:
    with runtime.db.session(write=False) as session:
        return list(
            session.scalars(
                select(Account.id)
                .where(
                    Account.removed.is_not(None),
                    Account.cleanup_needed.is_(True),
                    Account.id > after,
                )
                .order_by(Account.id)
                .limit(BATCH)
            )
        )


def cleanup_round(runtime: Runtime) -> None:
    """One round of the cleanup task: the removed accounts still `cleanup_needed`, oldest
    first, each on its own, until ROUND_BUDGET_SECONDS have passed; an account that fails,
    or that the round did not reach, is left for the next round."""
    deadline = time.monotonic() + ROUND_BUDGET_SECONDS
    last = 0
    while batch := _pending(runtime, last):
        for account_id in batch:
            if time.monotonic() > deadline:
                return
            try:
                cleanup_account(runtime, account_id=account_id)
            except Exception:
                log.exception("cleaning up account %d failed", account_id)
        last = batch[-1]


def _interval(runtime: Runtime) -> float:
    with runtime.db.session(write=False) as session:
        return float(runtime.settings.get(session, "expunge.interval"))


CLEANUP_TASK = PeriodicTask(name="account.cleanup", interval=_interval, run=cleanup_round)
