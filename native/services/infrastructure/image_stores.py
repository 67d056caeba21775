"""Image stores (secondary storage): local directories, NFS exports and S3 buckets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.storage.base import StorageError
from native.model import ImageStore, Snapshot, Template, TemplateStore, Zone
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceUnavailable
from native.services.infrastructure.common import nonblank, soft_delete
from native.services.runtime import Runtime
from native.services.steps import Steps
from native.services.stores import SECRET_DETAILS

PROVIDERS = {"file": ("Local", "NFS"), "nfs": ("NFS",), "s3": ("S3",)}
"""URL schemes of image stores and the provider names each accepts (the first is the default)."""

S3_DETAILS = ("endpoint", "accesskey", "secretkey")
HELD_TEMPLATE_STATES = ("DOWNLOADED", "DOWNLOAD_IN_PROGRESS")
GONE_SNAPSHOT_STATES = ("Destroyed", "Error")


@dataclass(frozen=True, kw_only=True)
class NewImageStore:
    """What addImageStore was given."""

    url: str | None
    name: str | None = None
    provider: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


def details_of(entries: list[dict[str, str]] | None) -> dict[str, str]:
    """`details[i].key/value` pairs as a dict (keys lower-cased); 431 for a pair without a key."""
    details: dict[str, str] = {}
    for entry in entries or []:
        key = entry.get("key")
        if not key:
            raise InvalidParameterValue("Invalid details: every entry needs a key and a value")
        details[key.strip().lower()] = entry.get("value", "")
    return details


def _url(new: NewImageStore) -> str:
    if new.url:
        return new.url.strip()
    bucket = new.details.get("bucket")
    if bucket and (new.provider or "").upper() == "S3":
        return f"s3://{bucket}"
    raise InvalidParameterValue("Unable to add image store: url is required")


def _provider(scheme: str, given: str | None, url: str) -> str:
    accepted = PROVIDERS.get(scheme)
    if accepted is None:
        raise InvalidParameterValue(
            f"Invalid image store URL {url!r}: use file:///path, nfs://server/export or s3://bucket"
        )
    if given is None:
        return accepted[0]
    for name in accepted:
        if name.lower() == given.strip().lower():
            return name
    raise InvalidParameterValue(
        f"Invalid provider {given!r} for {scheme}:// image stores: use {' or '.join(accepted)}"
    )


def _validate_location(scheme: str, url: str, details: Mapping[str, str]) -> None:
    parts = urlsplit(url)
    if scheme == "file" and (
        parts.netloc not in ("", "localhost") or not parts.path.startswith("/")
    ):
        raise InvalidParameterValue(f"Invalid image store URL {url!r}: use file:///absolute/path")
    if scheme == "nfs" and (not parts.hostname or not parts.path.startswith("/")):
        raise InvalidParameterValue(f"Invalid NFS URL {url!r}: use nfs://server/export")
    if scheme == "s3":
        missing = [key for key in S3_DETAILS if not details.get(key)]
        if not parts.netloc or missing:
            raise InvalidParameterValue(
                f"An S3 image store needs s3://bucket and the details {', '.join(S3_DETAILS)}"
                + (f" (missing {', '.join(missing)})" if missing else "")
            )


def add_image_store(
    session: Session, runtime: Runtime, *, zone: Zone | None, new: NewImageStore
) -> ImageStore:
    """Check the store through its driver and record it (zone-wide, or region-wide without
    a zone). Secret details are sealed at rest.

    431 for a bad URL, provider or missing S3 details; 534 if the store cannot be reached
    (an NFS export that will not mount, an S3 bucket that does not answer). The driver call
    runs with no transaction open; no row is left on failure.
    """
    url = _url(new)
    scheme = urlsplit(url).scheme
    provider = _provider(scheme, new.provider, url)
    _validate_location(scheme, url, new.details)
    name = nonblank(new.name, what="image store name") if new.name is not None else url
    with Steps(session) as steps:
        steps.commit()
        try:
            stats = runtime.drivers.storage(url, details=new.details).stats()
        except StorageError as error:
            raise ResourceUnavailable(f"Image store {url} is not usable: {error}") from None
        sealed = {
            key: runtime.secrets.seal(value) if key in SECRET_DETAILS else value
            for key, value in new.details.items()
        }
        store = ImageStore(
            name=name,
            zone_id=None if zone is None else zone.id,
            provider=provider,
            protocol=scheme,
            url=url,
            scope="ZONE" if zone is not None else "REGION",
            details=json.dumps(sealed) if sealed else None,
            capacity_bytes=stats.capacity,
            used_bytes=stats.used,
        )
        session.add(store)
        session.flush()
    return store


def update_image_store(
    session: Session, *, store: ImageStore, name: str | None, readonly: bool | None
) -> ImageStore:
    """Rename a store or make it read-only (no new templates or snapshots go to it)."""
    if name is not None:
        store.name = nonblank(name, what="image store name")
    if readonly is not None:
        store.readonly = readonly
    session.flush()
    return store


def delete_image_store(session: Session, *, store: ImageStore) -> None:
    """Remove a store that holds no ready (or downloading) template and no live snapshot;
    536 otherwise."""
    templates = session.scalars(
        select(TemplateStore.id)
        .join(Template, Template.id == TemplateStore.template_id)
        .where(
            TemplateStore.store_id == store.id,
            TemplateStore.download_state.in_(HELD_TEMPLATE_STATES),
            Template.removed.is_(None),
        )
    ).first()
    if templates is not None:
        raise ResourceInUse(f"Cannot delete image store {store.name}: it still holds templates")
    snapshots = session.scalars(
        select(Snapshot.id).where(
            Snapshot.store_id == store.id,
            Snapshot.removed.is_(None),
            Snapshot.state.not_in(GONE_SNAPSHOT_STATES),
        )
    ).first()
    if snapshots is not None:
        raise ResourceInUse(f"Cannot delete image store {store.name}: it still holds snapshots")
    soft_delete(store)
    session.flush()
