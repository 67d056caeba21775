"""A template's copies across zones: copyTemplate/copyIso and deleteTemplate/deleteIso.

Both do their driver work outside any transaction: the rows are committed first (see
`steps.Steps`) and what a failure leaves is undone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.storage.base import StorageError
from native.model import Account, ImageStore, Template, TemplateStore, VirtualMachine, Zone, utcnow
from native.services import limits
from native.services import tags as tagging
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceUnavailable
from native.services.limits import ResourceType
from native.services.runtime import Runtime
from native.services.steps import Steps
from native.services.stores import image_store_driver
from native.services.templates import download
from native.services.templates.permissions import check_manage, kind
from native.services.templates.registration import add_copy
from native.services.volume_provisioning import ready_template_copy, release_template_copies

log = logging.getLogger(__name__)


def resource_type(template: Template) -> str:
    """The tag resource type of the row: `ISO` or `Template`."""
    return "ISO" if template.format == "ISO" else "Template"


def copies_in(session: Session, *, template: Template, zone: Zone | None) -> list[TemplateStore]:
    """The template's copy rows in the zone (every zone when None), locked for update."""
    query = select(TemplateStore).where(TemplateStore.template_id == template.id)
    if zone is not None:
        query = query.where(TemplateStore.zone_id == zone.id)
    return list(session.scalars(query.order_by(TemplateStore.id).with_for_update()))


def users_of(session: Session, template: Template) -> list[str]:
    """The UUIDs of the live VMs made from the template or with the ISO attached."""
    column = VirtualMachine.iso_id if template.format == "ISO" else VirtualMachine.template_id
    return list(
        session.scalars(
            select(VirtualMachine.uuid)
            .where(
                column == template.id,
                VirtualMachine.removed.is_(None),
                VirtualMachine.state.not_in(("Expunging", "Expunged")),
            )
            .limit(20)
        )
    )


def check_deletable(
    session: Session, *, caller: Caller, template: Template, zone: Zone | None, forced: bool
) -> None:
    """531 unless the caller may delete it; 536 while VMs use it (unless `forced`); 431 when it
    has no copy in the given zone."""
    check_manage(session, caller, template)
    if zone is not None and not copies_in(session, template=template, zone=zone):
        raise InvalidParameterValue(
            f"{kind(template)} {template.uuid} has no copy in zone {zone.uuid}"
        )
    users = users_of(session, template)
    if users and not forced:
        raise ResourceInUse(
            f"Unable to delete {kind(template).lower()} with id: {template.uuid} because VM "
            f"instances: [{', '.join(users)}] are using it",
            uuids=[template.uuid],
        )


@dataclass(frozen=True)
class _Gone:
    store: ImageStore
    path: str


def delete_template(
    session: Session,
    runtime: Runtime,
    *,
    caller: Caller,
    template: Template,
    zone: Zone | None,
    forced: bool,
) -> None:
    """Delete the template's copies in the zone (all zones when None) and give back their
    bytes; with no copy left, the template itself goes and its limit count is released.

    Rows are committed before files are removed; a file that cannot be removed is logged.
    """
    check_deletable(session, caller=caller, template=template, zone=zone, forced=forced)
    owner = session.get(Account, template.account_id)
    assert owner is not None
    gone: list[_Gone] = []
    freed = 0
    for copy in copies_in(session, template=template, zone=zone):
        store = session.get(ImageStore, copy.store_id)
        if store is not None and copy.install_path:
            gone.append(_Gone(store, copy.install_path))
        if copy.download_state == download.DOWNLOADED:
            freed += copy.physical_size or 0
        session.delete(copy)
    session.flush()
    limits.release(session, account=owner, resource=ResourceType.SECONDARY_STORAGE, amount=freed)
    left = session.scalar(
        select(TemplateStore.id).where(TemplateStore.template_id == template.id).limit(1)
    )
    if left is None:
        template.removed = utcnow()
        template.state = "Inactive"
        limits.release(session, account=owner, resource=ResourceType.TEMPLATE, amount=1)
        tagging.remove_tags_of(
            session, resource_type=resource_type(template), resource_id=template.id
        )
    session.commit()
    for item in gone:
        try:
            image_store_driver(runtime, item.store).delete(path=item.path)
        except StorageError as exc:
            log.warning(
                "could not remove %s from image store %s: %s", item.path, item.store.name, exc
            )
    release_template_copies(session, runtime, template=template)


def check_copyable(
    session: Session,
    *,
    caller: Caller,
    template: Template,
    source: Zone | None,
    targets: Sequence[Zone],
) -> tuple[ImageStore, TemplateStore]:
    """The downloaded copy to copy from; 531 unless the caller may change the template, 431
    for a source zone among the targets or a template not ready in the source zone."""
    check_manage(session, caller, template)
    if not targets:
        raise InvalidParameterValue("Please specify a destination zone: destzoneid or destzoneids")
    if source is not None and any(zone.id == source.id for zone in targets):
        raise InvalidParameterValue("Please specify different source and destination zones.")
    if source is not None:
        found = ready_template_copy(session, template_id=template.id, zone_id=source.id)
    else:
        found = _any_ready_copy(session, template)
    if found is None:
        where = f"zone {source.uuid}" if source is not None else "any zone"
        raise InvalidParameterValue(
            f"{kind(template)} {template.uuid} is not ready in {where}; it cannot be copied"
        )
    return found


def _any_ready_copy(
    session: Session, template: Template
) -> tuple[ImageStore, TemplateStore] | None:
    row = session.execute(
        select(ImageStore, TemplateStore)
        .join(TemplateStore, TemplateStore.store_id == ImageStore.id)
        .where(
            TemplateStore.template_id == template.id,
            TemplateStore.download_state == download.DOWNLOADED,
            ImageStore.removed.is_(None),
        )
        .order_by(TemplateStore.id)
    ).first()
    return None if row is None else (row[0], row[1])


def copy_template(
    session: Session,
    runtime: Runtime,
    *,
    caller: Caller,
    template: Template,
    source: Zone | None,
    targets: Sequence[Zone],
) -> None:
    """Copy a downloaded copy of the template to an image store of each target zone that has
    none yet. All or nothing: on failure, no new copy is left (534 for a store failure)."""
    origin_store, origin = check_copyable(
        session, caller=caller, template=template, source=source, targets=targets
    )
    assert origin.install_path is not None
    with Steps(session) as steps:
        made: list[tuple[TemplateStore, ImageStore]] = []
        for zone in targets:
            if session.scalar(
                select(TemplateStore.id).where(
                    TemplateStore.template_id == template.id, TemplateStore.zone_id == zone.id
                )
            ):
                continue
            copy = add_copy(session, template=template, zone=zone)
            if copy is None:
                raise ResourceUnavailable(f"Unable to find an image store in zone {zone.name}")
            _start(copy, msid=runtime.msid, status="Copying")
            store = session.get(ImageStore, copy.store_id)
            assert store is not None and copy.install_path is not None
            steps.on_undo(download.undo_copy(runtime, copy.id, store, copy.install_path))
            made.append((copy, store))
        steps.commit()
        source_driver = image_store_driver(runtime, origin_store)
        for copy, store in made:
            assert copy.install_path is not None
            try:
                size = source_driver.copy_to(
                    source=origin.install_path,
                    target=image_store_driver(runtime, store),
                    target_path=copy.install_path,
                )
            except StorageError as exc:
                raise ResourceUnavailable(
                    f"Failed to copy {kind(template).lower()} {template.name} to image store "
                    f"{store.name}: {exc}"
                ) from None
            download.finish_copy(
                session,
                runtime.settings,
                msid=runtime.msid,
                copy_id=copy.id,
                physical=size,
                virtual=origin.size or size,
            )
        session.flush()
        steps.done()


def _start(copy: TemplateStore, *, msid: str, status: str) -> None:
    copy.download_state = download.IN_PROGRESS
    copy.owner_msid = msid
    copy.state = "Creating"
    copy.status = status
