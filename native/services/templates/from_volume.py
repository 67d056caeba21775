"""createTemplate: a private template made from a stopped VM's ROOT volume, from a
backed-up volume snapshot, or (Alto extension) from a ready template the caller may launch.

`prepare` (in the request) checks the source and makes the template row, counted against
the owner's template limit; `fill` (in the job) copies the data onto an image store of the
source's zone. A failed fill removes the template and its copy again.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.storage.base import StorageDriver, StorageError
from native.model import (
    Account,
    Cluster,
    ImageStore,
    Snapshot,
    StoragePool,
    Template,
    TemplateStore,
    VirtualMachine,
    Volume,
    Zone,
    utcnow,
)
from native.services import limits
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, PermissionDenied, ResourceUnavailable
from native.services.limits import ResourceType
from native.services.runtime import Runtime
from native.services.settings import Settings
from native.services.steps import Steps, Undo
from native.services.stores import image_store_driver, pool_driver
from native.services.templates import download, permissions
from native.services.templates.registration import ImageSpec, add_copy, new_template
from native.services.visibility import can_see_account

log = logging.getLogger(__name__)


def hypervisor_of(session: Session, volume: Volume) -> str | None:
    """The hypervisor a volume was made for: its VM's, else its template's, else its
    storage pool's (or the pool's cluster's); None when nothing says."""
    vm = None if volume.vm_id is None else session.get(VirtualMachine, volume.vm_id)
    if vm is not None:
        return vm.hypervisor_type
    origin = None if volume.template_id is None else session.get(Template, volume.template_id)
    if origin is not None:
        return origin.hypervisor_type
    pool = None if volume.pool_id is None else session.get(StoragePool, volume.pool_id)
    if pool is None:
        return None
    cluster = None if pool.cluster_id is None else session.get(Cluster, pool.cluster_id)
    return pool.hypervisor_type or (cluster.hypervisor_type if cluster is not None else None)


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a new template's data comes from: a driver, the path on it, size and zone."""

    driver: StorageDriver
    path: str
    size: int
    zone_id: int


def _owned(session: Session, caller: Caller, account_id: int, what: str, uuid: str) -> Account:
    owner = session.get(Account, account_id)
    assert owner is not None
    if not can_see_account(caller, owner):
        raise PermissionDenied(f"Account {caller.account_name} does not own {what} {uuid}")
    return owner


def check_volume(session: Session, *, caller: Caller, volume: Volume) -> Account:
    """The owner of a ROOT volume fit to make a template from: Ready on primary storage and
    attached to a Stopped VM (431 otherwise, 531 when not the caller's)."""
    owner = _owned(session, caller, volume.account_id, "volume", volume.uuid)
    if volume.removed is not None or volume.volume_type != "ROOT":
        raise InvalidParameterValue(
            f"Volume {volume.uuid} is not a ROOT volume; templates are made from ROOT volumes"
        )
    if volume.state != "Ready" or volume.pool_id is None or volume.path is None:
        raise InvalidParameterValue(
            f"Volume {volume.uuid} is not in Ready state on primary storage"
        )
    vm = None if volume.vm_id is None else session.get(VirtualMachine, volume.vm_id)
    if vm is None or vm.state != "Stopped":
        raise InvalidParameterValue(
            f"VolumeId: {volume.uuid} please stop vm "
            f"{'' if vm is None else vm.uuid} before creating template"
        )
    return owner


def check_snapshot(session: Session, *, caller: Caller, snapshot: Snapshot) -> Account:
    """The owner of a snapshot fit to make a template from: BackedUp on an image store."""
    owner = _owned(session, caller, snapshot.account_id, "snapshot", snapshot.uuid)
    if snapshot.state != "BackedUp" or snapshot.store_id is None or snapshot.install_path is None:
        raise InvalidParameterValue(
            f"Snapshot {snapshot.uuid} is not backed up to secondary storage; its state is "
            f"{snapshot.state}"
        )
    return owner


def ready_copy(session: Session, template: Template) -> tuple[TemplateStore, ImageStore] | None:
    """The template's first downloaded copy on a live image store, if any."""
    row = session.execute(
        select(TemplateStore, ImageStore)
        .join(ImageStore, ImageStore.id == TemplateStore.store_id)
        .where(
            TemplateStore.template_id == template.id,
            TemplateStore.download_state == download.DOWNLOADED,
            ImageStore.removed.is_(None),
        )
        .order_by(TemplateStore.id)
    ).first()
    return None if row is None else (row[0], row[1])


def check_template(session: Session, *, caller: Caller, template: Template) -> Account:
    """The caller's account, which will own a copy of a template it may launch (531
    otherwise) that has a ready copy (431 for an ISO, a removed or an unready template)."""
    if template.removed is not None or template.format == "ISO":
        raise InvalidParameterValue(f"{template.uuid} is not a template that can be copied")
    if not permissions.can_see(session, caller, template):
        raise PermissionDenied(
            f"Account {caller.account_name} does not have permission to use template "
            f"{template.uuid}"
        )
    if ready_copy(session, template) is None:
        raise InvalidParameterValue(f"Template {template.uuid} is not ready in any zone")
    owner = session.get(Account, caller.account_id)
    assert owner is not None
    return owner


def _volume_of(session: Session, snapshot: Snapshot | None) -> Volume | None:
    return None if snapshot is None else session.get(Volume, snapshot.volume_id)


def _like_source(session: Session, spec: ImageSpec, volume: Volume | None) -> ImageSpec:
    """The spec with the source volume's format and its VM's hypervisor, where known."""
    if volume is None:
        return spec
    vm = None if volume.vm_id is None else session.get(VirtualMachine, volume.vm_id)
    hypervisor = spec.hypervisor if vm is None else vm.hypervisor_type
    return dataclasses.replace(spec, format=volume.format, hypervisor=hypervisor)


def prepare(
    session: Session,
    settings: Settings,
    *,
    caller: Caller,
    spec: ImageSpec,
    volume: Volume | None,
    snapshot: Snapshot | None,
    source_template: Template | None = None,
) -> Template:
    """Check the source (exactly one of volume, snapshot and source template) and make the
    template row (owned by the source's owner; by the caller for a template's copy)."""
    if [volume, snapshot, source_template].count(None) != 2:
        raise InvalidParameterValue(
            "Specify exactly one of volumeid, snapshotid and sourcetemplateid"
        )
    if volume is not None:
        owner = check_volume(session, caller=caller, volume=volume)
        origin = f"volume {volume.uuid}"
    elif snapshot is not None:
        owner = check_snapshot(session, caller=caller, snapshot=snapshot)
        origin = f"snapshot {snapshot.uuid}"
    else:
        assert source_template is not None
        owner = check_template(session, caller=caller, template=source_template)
        origin = f"template {source_template.uuid}"
        spec = dataclasses.replace(
            spec, format=source_template.format, hypervisor=source_template.hypervisor_type
        )
    if spec.is_featured and not caller.is_root_admin:
        raise PermissionDenied("Only root admins may create featured templates")
    spec = _like_source(session, spec, volume or _volume_of(session, snapshot))
    template = new_template(session, settings, owner=owner, spec=spec, cross_zones=False)
    if volume is not None:
        template.source_volume_id = volume.id
        template.size = volume.size
    elif snapshot is not None:
        template.source_snapshot_id = snapshot.id
        template.size = snapshot.size
    elif source_template is not None:
        found = ready_copy(session, source_template)
        template.source_template_id = source_template.id
        template.size = (found[0].size if found else None) or source_template.size
    session.flush()
    log.info("template %s prepared from %s", template.uuid, origin)
    return template


def _template_source(
    session: Session, runtime: Runtime, caller: Caller, template: Template
) -> Source:
    source = session.get(Template, template.source_template_id)
    assert source is not None
    check_template(session, caller=caller, template=source)
    found = ready_copy(session, source)
    assert found is not None
    copy, store = found
    assert copy.install_path is not None and copy.zone_id is not None
    return Source(
        driver=image_store_driver(runtime, store),
        path=copy.install_path,
        size=copy.size or source.size or 0,
        zone_id=copy.zone_id,
    )


def _source(session: Session, runtime: Runtime, caller: Caller, template: Template) -> Source:
    if template.source_template_id is not None:
        return _template_source(session, runtime, caller, template)
    if template.source_volume_id is not None:
        volume = session.get(Volume, template.source_volume_id)
        assert volume is not None
        check_volume(session, caller=caller, volume=volume)
        pool = session.get(StoragePool, volume.pool_id)
        assert pool is not None and volume.path is not None
        return Source(
            driver=pool_driver(runtime, pool),
            path=volume.path,
            size=volume.size,
            zone_id=volume.zone_id,
        )
    snapshot = session.get(Snapshot, template.source_snapshot_id)
    assert snapshot is not None
    check_snapshot(session, caller=caller, snapshot=snapshot)
    store = session.get(ImageStore, snapshot.store_id)
    assert store is not None and snapshot.install_path is not None
    return Source(
        driver=image_store_driver(runtime, store),
        path=snapshot.install_path,
        size=snapshot.size,
        zone_id=snapshot.zone_id,
    )


def _forget(template_id: int) -> Undo:
    def undo(session: Session) -> None:
        template = session.get(Template, template_id)
        if template is None or template.removed is not None:
            return
        template.removed = utcnow()
        template.state = "Inactive"
        owner = session.get(Account, template.account_id)
        assert owner is not None
        limits.release(session, account=owner, resource=ResourceType.TEMPLATE, amount=1)

    return undo


def fill(session: Session, runtime: Runtime, *, caller: Caller, template: Template) -> Zone:
    """Copy the source's data onto an image store of its zone and mark the copy ready; the
    zone. On failure the template is removed again and no copy is left (534 for storage)."""
    with Steps(session) as steps:
        steps.on_undo(_forget(template.id))
        source = _source(session, runtime, caller, template)
        zone = session.get(Zone, source.zone_id)
        assert zone is not None
        copy = add_copy(session, template=template, zone=zone)
        if copy is None:
            raise ResourceUnavailable(f"Unable to find an image store in zone {zone.name}")
        copy.download_state = download.IN_PROGRESS
        copy.owner_msid = runtime.msid
        copy.state = "Creating"
        copy.status = "Creating"
        store = session.get(ImageStore, copy.store_id)
        assert store is not None and copy.install_path is not None
        target = image_store_driver(runtime, store)
        steps.on_undo(download.undo_copy(runtime, copy.id, store, copy.install_path))
        steps.commit()
        try:
            written = source.driver.copy_to(
                source=source.path, target=target, target_path=copy.install_path
            )
        except StorageError as exc:
            raise ResourceUnavailable(
                f"Failed to create template {template.name} on image store {store.name}: {exc}"
            ) from None
        download.finish_copy(
            session,
            runtime.settings,
            msid=runtime.msid,
            copy_id=copy.id,
            physical=written,
            virtual=template.size or written,
        )
        session.flush()
        steps.done()
    return zone
