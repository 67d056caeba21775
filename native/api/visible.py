"""Visibility rules for UUID parameters naming rows that `visibility.can_see` does not decide.

`can_see` knows identity rows and account-owned rows (VMs, volumes, snapshots…). Shared
rows follow their own area's rules; a command names the rule on the parameter:

    templateid = uuid_of(Template, visible=visible_template, description="…")

Each rule is a `params.Visible`: `(session, caller, row) -> bool`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from native.model import SnapshotPolicy, Template, Volume, Zone
from native.services import offerings
from native.services.caller import Caller
from native.services.templates import permissions
from native.services.visibility import can_see


def anyone(session: Session, caller: Caller, row: object) -> bool:
    """Anyone may name the row: OS types, or rows the service itself checks for the caller
    (admin-only host ids, offering domains, template permissions when launching)."""
    return True


def usable_offering(session: Session, caller: Caller, offering: offerings.Offering) -> bool:
    """A service or disk offering of no domain, or of a domain the caller may use."""
    return offerings.can_use(session, caller, offering)


def visible_template(session: Session, caller: Caller, template: Template) -> bool:
    """A public template or ISO, the caller's (or its domains') own, or one shared with it."""
    return permissions.can_see(session, caller, template)


def enabled_zone(session: Session, caller: Caller, zone: Zone) -> bool:
    """Any zone for root admins; an Enabled one for everyone else."""
    return caller.is_root_admin or zone.allocation_state == "Enabled"


def policy_of_visible_volume(session: Session, caller: Caller, policy: SnapshotPolicy) -> bool:
    """A snapshot policy of a volume the caller may see (any policy for root admins)."""
    volume = session.get(Volume, policy.volume_id)
    return caller.is_root_admin or (volume is not None and can_see(caller, volume, session))
