"""Zones: create, update, delete, and which zones a caller may see."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from native.model import Domain, ImageStore, Pod, StoragePool, Zone
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.infrastructure.common import (
    allocation_state,
    check_name_free,
    nonblank,
    refuse_if_used,
    soft_delete,
)

NETWORK_TYPES = ("Basic", "Advanced")


def network_type(text: str) -> str:
    """`Basic` or `Advanced` (any case); 431 otherwise."""
    for known in NETWORK_TYPES:
        if text.strip().lower() == known.lower():
            return known
    raise InvalidParameterValue(f"Invalid network type {text!r}: use {' or '.join(NETWORK_TYPES)}")


def _ip(text: str | None, *, what: str) -> str | None:
    if text is None or text == "":
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise InvalidParameterValue(f"Invalid {what} {text!r}: it is not an IP address") from None


def _cidr(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise InvalidParameterValue(f"Invalid guest CIDR {text!r}") from None


def zone_token(zone: Zone) -> str:
    """The zone's token (CloudStack shows one per zone); stable, derived from its UUID."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"zone-token:{zone.uuid}"))


@dataclass(frozen=True, kw_only=True)
class ZoneChanges:
    """What updateZone may change; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    dns1: str | None = None
    dns2: str | None = None
    internal_dns1: str | None = None
    internal_dns2: str | None = None
    guest_cidr: str | None = None
    network_domain: str | None = None
    allocation_state: str | None = None
    local_storage_enabled: bool | None = None


def create_zone(
    session: Session,
    *,
    name: str,
    network_type_name: str,
    dns1: str,
    changes: ZoneChanges,
    domain: Domain | None = None,
    security_group_enabled: bool = False,
) -> Zone:
    """A new zone, Disabled unless `changes.allocation_state` says otherwise.

    `internal_dns1` defaults to `dns1`. 431 for a taken name, a bad network type or a bad
    address.
    """
    name = nonblank(name, what="zone name")
    check_name_free(session, Zone, name, what="zone")
    first_dns = _ip(dns1, what="dns1")
    zone = Zone(
        name=name,
        network_type=network_type(network_type_name),
        dns1=first_dns,
        internal_dns1=_ip(changes.internal_dns1, what="internaldns1") or first_dns,
        domain_id=None if domain is None else domain.id,
        security_group_enabled=security_group_enabled,
        allocation_state=allocation_state(changes.allocation_state, default="Disabled"),
    )
    _apply(zone, changes)
    session.add(zone)
    session.flush()
    return zone


def update_zone(session: Session, *, zone: Zone, changes: ZoneChanges) -> Zone:
    """Change the given fields of a zone; 431 for a taken name or a bad value."""
    if changes.name is not None:
        name = nonblank(changes.name, what="zone name")
        check_name_free(session, Zone, name, what="zone", exclude_id=zone.id)
        zone.name = name
    if changes.allocation_state is not None:
        zone.allocation_state = allocation_state(changes.allocation_state, default="Disabled")
    _apply(zone, changes)
    session.flush()
    return zone


def _apply(zone: Zone, changes: ZoneChanges) -> None:
    if changes.description is not None:
        zone.description = changes.description
    for attribute, what in (
        ("dns1", "dns1"),
        ("dns2", "dns2"),
        ("internal_dns1", "internaldns1"),
        ("internal_dns2", "internaldns2"),
    ):
        value = getattr(changes, attribute)
        if value is not None:
            if attribute in ("dns1", "internal_dns1") and value == "":
                raise InvalidParameterValue(f"Invalid {what}: it must not be empty")
            setattr(zone, attribute, _ip(value, what=what))
    if changes.guest_cidr is not None:
        zone.guest_cidr = _cidr(changes.guest_cidr)
    if changes.network_domain is not None:
        zone.network_domain = changes.network_domain or None
    if changes.local_storage_enabled is not None:
        zone.local_storage_enabled = changes.local_storage_enabled


def delete_zone(session: Session, *, zone: Zone) -> None:
    """Remove an empty zone; 536 while it has pods, primary storage or image stores."""
    refuse_if_used(
        session,
        f"zone {zone.name}",
        {
            "pods": (Pod, Pod.zone_id == zone.id),
            "primary storage pools": (StoragePool, StoragePool.zone_id == zone.id),
            "image stores": (ImageStore, ImageStore.zone_id == zone.id),
        },
    )
    soft_delete(zone)
    session.flush()


def visible_zones_clause(caller: Caller) -> ColumnElement[bool]:
    """Zones the caller may list (see `zones_visible_to`)."""
    return zones_visible_to(root_admin=caller.is_root_admin)


def zones_visible_to(*, root_admin: bool) -> ColumnElement[bool]:
    """Zones an account may list: every zone for root admins, Enabled ones for others."""
    if root_admin:
        return true()
    return Zone.allocation_state == "Enabled"
