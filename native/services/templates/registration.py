"""registerTemplate / registerIso: check the request, make the template and one copy row per
zone (on the zone's image store), and count it against the owner's template limit.

The download itself runs in the background (`download`); registration returns at once
with the copies NOT_DOWNLOADED.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Account, GuestOsType, Template, TemplateStore, Zone
from native.services import limits
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, PermissionDenied, ResourceUnavailable
from native.services.limits import ResourceType
from native.services.settings import Settings
from native.services.stores import zone_image_stores
from native.services.templates.permissions import kind

TEMPLATE_FORMATS = ("QCOW2", "RAW", "VHD", "VHDX", "OVA", "VMDK", "TAR")
ISO_FORMAT = "ISO"
URL_SCHEMES = ("http", "https", "file")
CHECKSUM_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-224": "sha224", "SHA-256": "sha256",
                       "SHA-384": "sha384", "SHA-512": "sha512"}  # fmt: skip
"""CloudStack's `{ALGORITHM}hex` prefixes and the hashlib name of each."""
_DIGEST_LENGTHS = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
_CHECKSUM = re.compile(r"^(?:\{(?P<algorithm>[A-Za-z0-9-]+)\})?(?P<digest>[0-9a-fA-F]+)$")


@dataclass(frozen=True, kw_only=True)
class Checksum:
    """An expected digest: the hashlib algorithm name and the lower-case hex value."""

    algorithm: str
    digest: str

    def __str__(self) -> str:
        prefix = next(name for name, lib in CHECKSUM_ALGORITHMS.items() if lib == self.algorithm)
        return f"{{{prefix}}}{self.digest}"


def parse_checksum(text: str | None) -> Checksum | None:
    """`{SHA-256}hex`, `{MD5}hex` (…), or bare hex taken as MD5; None when not given.

    A malformed value, an unknown algorithm or a digest of the wrong length is a 431.
    """
    if not text or not text.strip():
        return None
    matched = _CHECKSUM.match(text.strip())
    algorithm = None
    if matched is not None:
        algorithm = CHECKSUM_ALGORITHMS.get((matched.group("algorithm") or "MD5").upper())
    if matched is None or algorithm is None:
        raise InvalidParameterValue(
            f"Invalid checksum {text}: use {{ALGORITHM}}hex with one of "
            f"{', '.join(CHECKSUM_ALGORITHMS)}, or a bare MD5 hex digest"
        )
    digest = matched.group("digest").lower()
    if len(digest) != _DIGEST_LENGTHS[algorithm]:
        raise InvalidParameterValue(
            f"Invalid checksum {text}: a {algorithm} digest has {_DIGEST_LENGTHS[algorithm]} "
            "hex digits"
        )
    return Checksum(algorithm=algorithm, digest=digest)


def check_url(url: str, *, caller: Caller) -> str:
    """The URL, trimmed, if it is a well-formed http, https or file URL; 431 otherwise.

    `file://` URLs read the management server's own files, so only root admins may give
    them (531 for others).
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise InvalidParameterValue(f"Invalid URL {url}: it cannot be parsed") from None
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise InvalidParameterValue(
            f"Unsupported scheme for url: {url}; use {', '.join(URL_SCHEMES)}"
        )
    if scheme in ("http", "https") and not parts.hostname:
        raise InvalidParameterValue(f"Invalid URL {url}: it names no host")
    if scheme == "file":
        if not parts.path or parts.netloc not in ("", "localhost"):
            raise InvalidParameterValue(f"Invalid URL {url}: use file:///absolute/path")
        if not caller.is_root_admin:
            raise PermissionDenied("Only root admins may register images from file:// URLs")
    return text


def check_format(text: str, *, iso: bool) -> str:
    """The canonical image format name; 431 for one CloudStack does not know."""
    if iso:
        return ISO_FORMAT
    chosen = text.strip().upper()
    if chosen not in TEMPLATE_FORMATS:
        raise InvalidParameterValue(
            f"Image format is incorrect {text}. Supported formats are {', '.join(TEMPLATE_FORMATS)}"
        )
    return chosen


def check_hypervisor(text: str, *, known: Sequence[str]) -> str:
    """The hypervisor type as the driver catalogue spells it; 431 for an unknown one."""
    for name in known:
        if name.lower() == text.strip().lower():
            return name
    raise InvalidParameterValue(
        f"Hypervisor {text} is not supported; supported hypervisors: {', '.join(known)}"
    )


def details_json(details: Sequence[Mapping[str, str]] | None) -> str | None:
    """The `details[0].key=value` map parameter flattened into a JSON object (None if empty)."""
    merged: dict[str, str] = {}
    for entry in details or ():
        merged.update(entry)
    return json.dumps(merged, sort_keys=True) if merged else None


def extension(image_format: str) -> str:
    """The file extension of an image format (`qcow2`, `raw`, `iso`…)."""
    return image_format.lower()


def install_path(template: Template) -> str:
    """Where the template's copy lives on an image store, relative to the store's root."""
    return (
        f"template/tmpl/{template.account_id}/{template.id}/"
        f"{template.uuid}.{extension(template.format)}"
    )


def add_copy(session: Session, *, template: Template, zone: Zone) -> TemplateStore | None:
    """A NOT_DOWNLOADED copy row on the first image store serving the zone that has none of
    this template yet; None when there is no such store."""
    taken = set(
        session.scalars(
            select(TemplateStore.store_id).where(TemplateStore.template_id == template.id)
        )
    )
    for store in zone_image_stores(session, zone_id=zone.id):
        if store.id in taken:
            continue
        copy = TemplateStore(
            template_id=template.id,
            store_id=store.id,
            zone_id=zone.id,
            install_path=install_path(template),
        )
        session.add(copy)
        session.flush()
        return copy
    return None


@dataclass(frozen=True, kw_only=True)
class ImageSpec:
    """What registerTemplate/registerIso (or createTemplate) ask for, already checked."""

    name: str
    display_text: str | None
    format: str
    hypervisor: str
    os_type: GuestOsType
    url: str | None = None
    checksum: Checksum | None = None
    is_public: bool = False
    is_featured: bool = False
    is_extractable: bool = False
    bootable: bool = True
    password_enabled: bool = False
    ssh_key_enabled: bool = False
    is_dynamically_scalable: bool = False
    requires_hvm: bool = True
    bits: int = 64
    details: str | None = None


def new_template(
    session: Session, settings: Settings, *, owner: Account, spec: ImageSpec, cross_zones: bool
) -> Template:
    """The template row, counted against the owner's template limit (532 when over it)."""
    if not spec.name.strip():
        raise InvalidParameterValue("The name of a template cannot be empty")
    if spec.bits not in (32, 64):
        raise InvalidParameterValue(f"Invalid bits {spec.bits}: use 32 or 64")
    limits.consume(session, settings, account=owner, resource=ResourceType.TEMPLATE, amount=1)
    template = Template(
        name=spec.name,
        display_text=spec.display_text or spec.name,
        format=spec.format,
        account_id=owner.id,
        domain_id=owner.domain_id,
        os_type_id=spec.os_type.id,
        hypervisor_type=spec.hypervisor,
        url=spec.url,
        checksum=None if spec.checksum is None else str(spec.checksum),
        is_public=spec.is_public,
        is_featured=spec.is_featured,
        is_extractable=spec.is_extractable,
        bootable=spec.bootable,
        password_enabled=spec.password_enabled,
        ssh_key_enabled=spec.ssh_key_enabled,
        is_dynamically_scalable=spec.is_dynamically_scalable,
        cross_zones=cross_zones,
        requires_hvm=spec.requires_hvm,
        bits=spec.bits,
        details=spec.details,
    )
    session.add(template)
    session.flush()
    return template


def register(
    session: Session,
    settings: Settings,
    *,
    caller: Caller,
    owner: Account,
    spec: ImageSpec,
    zones: Sequence[Zone],
    cross_zones: bool,
) -> Template:
    """Register a template or ISO to download from `spec.url` into each zone's image store.

    Only root admins may make it featured. 534 when none of the zones has an image store.
    """
    if spec.is_featured and not caller.is_root_admin:
        raise PermissionDenied(f"Only root admins may register featured {spec.format} images")
    template = new_template(session, settings, owner=owner, spec=spec, cross_zones=cross_zones)
    copies = [copy for zone in zones if (copy := add_copy(session, template=template, zone=zone))]
    if not copies:
        names = ", ".join(zone.name for zone in zones) or "any zone"
        raise ResourceUnavailable(
            f"Unable to find an image store in {names} to download {kind(template).lower()} "
            f"{spec.name} to"
        )
    return template


def zones_for(
    session: Session, *, zone_ids: Sequence[str], visible: bool
) -> tuple[list[Zone], bool]:
    """The zones named by `zoneid`/`zoneids` values, and whether `-1` asked for every zone.

    `visible` is whether the caller sees disabled zones too (root admins). 431 for an unknown
    zone or when none is given.
    """
    if not zone_ids:
        raise InvalidParameterValue("Please specify a valid zone: zoneid or zoneids is required")
    if "-1" in zone_ids:
        query = select(Zone).where(Zone.removed.is_(None)).order_by(Zone.id)
        if not visible:
            query = query.where(Zone.allocation_state == "Enabled")
        return list(session.scalars(query)), True
    zones = []
    for uuid in dict.fromkeys(zone_ids):
        zone = session.scalars(
            select(Zone).where(Zone.uuid == uuid, Zone.removed.is_(None))
        ).first()
        if zone is None or not (visible or zone.allocation_state == "Enabled"):
            raise InvalidParameterValue(f"Unable to find zone by id {uuid}")
        zones.append(zone)
    return zones, False
