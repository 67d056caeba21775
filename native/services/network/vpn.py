"""What remote-access and site-to-site VPNs share: their settings, and applying a change to
several routers at once.

The settings keep CloudStack's names and defaults. Until the settings registry declares
them, their CloudStack defaults apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Base, Network, Vpc
from native.services.errors import InvalidParameterValue, ResourceUnavailable
from native.services.network import routers
from native.services.network.rules import Undo
from native.services.runtime import Runtime
from native.services.settings import Settings

CLIENT_IP_RANGE = "remote.access.vpn.client.iprange"
PSK_LENGTH = "remote.access.vpn.psk.length"
USER_LIMIT = "remote.access.vpn.user.limit"
CONNECTION_LIMIT = "site2site.vpn.vpngateway.connection.limit"
SUBNET_LIMIT = "site2site.vpn.customergateway.subnets.limit"

Scope = tuple[Network | None, Vpc | None]
"""The network or the VPC whose router a change is applied to."""


def setting(
    session: Session, settings: Settings, name: str, *, account_id: int | None = None
) -> str:
    """The effective raw value of VPN setting `name`, at the account's scope when the
    setting allows it."""
    return str(settings.raw(session, name, account_id=account_id))


def insert(session: Session, row: Base, *, conflict: str) -> None:
    """Add and flush a new row; 431 saying `conflict` if a concurrent request stored the
    same one first (a unique constraint refuses it)."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise InvalidParameterValue(conflict) from None


def apply_to_all(
    session: Session, runtime: Runtime, *, scopes: Sequence[Scope], undo: Undo
) -> None:
    """Apply a change made in the session to the routers of every scope, in order.

    If one apply fails (534), `undo` takes the change back (see `routers.apply_change`)
    and the routers already applied are applied again so they match the database; the
    534 propagates.
    """
    for index, (network, vpc) in enumerate(scopes):
        try:
            routers.apply_change(session, runtime, network=network, vpc=vpc, undo=undo)
        except ResourceUnavailable:
            for done_network, done_vpc in scopes[:index]:
                try:
                    routers.apply_change(session, runtime, network=done_network, vpc=done_vpc)
                except ResourceUnavailable:
                    session.rollback()
            raise
    if not scopes:
        session.commit()
