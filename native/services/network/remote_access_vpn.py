"""Remote-access VPNs (L2TP over IPsec on a public IP of an isolated network or a VPC) and
the VPN users of accounts.

A VPN is stored `Added` (its checks fail at once with 431/537), applied to the router
serving its IP, then `Running`; removing it sets `Removed`, applies, and deletes it. The
client range the caller gives (`a-b`) is split as CloudStack splits it: the VPN server
takes `a` (`local_ip`), the clients `a+1`..`b` (`ip_range`). The pre-shared key is random
and stored sealed.

VPN users belong to an account and are served by every remote-access VPN of the account:
a user is stored `Add`, applied to those VPNs' routers, then `Active`; removing sets
`Revoke`, applies, and deletes. Passwords are stored sealed. When an apply fails (534)
the change is taken back, so the database and the routers agree.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import string

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from native.model import Account, Network, PublicIpAddress, RemoteAccessVpn, Vpc, VpnUser
from native.services import tags
from native.services.errors import InvalidParameterValue, ResourceLimitExceeded
from native.services.network import ipam, routers, rule_conflicts, rules, vpn
from native.services.runtime import Runtime

ADDED = "Added"
RUNNING = "Running"
REMOVED = "Removed"
USER_ADD = "Add"
USER_ACTIVE = "Active"
USER_REVOKE = "Revoke"
VPN_PORTS = (500, 1701, 4500)
"""The UDP ports an L2TP/IPsec VPN takes on its public IP (IKE, L2TP, NAT traversal)."""

_USERNAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9@._-]{2,63}")
_PASSWORD = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9@+=._-]{2,31}")
_PSK_ALPHABET = string.ascii_letters + string.digits


def client_range(text: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    """The first and last address of an `a-b` range, checked as CloudStack checks it, and
    holding at least two addresses (the server's and one client's); 431 otherwise."""
    parts = text.split("-")
    if len(parts) != 2:
        raise InvalidParameterValue(f"IP range [{text}] is an invalid IP range.")
    try:
        start, end = (ipaddress.IPv4Address(part.strip()) for part in parts)
    except ValueError:
        raise InvalidParameterValue(
            f"One or both IPs sets in the range [{text}] are invalid IPs."
        ) from None
    if start > end:
        raise InvalidParameterValue(f"Range of IPs [{text}] is invalid.")
    if start == end:
        raise InvalidParameterValue(
            f"IP range [{text}] is too small: the VPN server takes its first address and the "
            "clients need at least one more"
        )
    return start, end


def scope_of_ip(session: Session, *, ip: PublicIpAddress) -> vpn.Scope:
    """The network or the VPC a remote-access VPN on `ip` would serve; 431 if the IP is not
    allocated, not associated with a network or VPC, or its network lacks the Vpn service."""
    if ip.state != ipam.ALLOCATED or ip.account_id is None:
        raise InvalidParameterValue(f"The Ip address is not ready to be used yet: {ip.address}")
    if ip.vpc_id is not None:
        return None, session.get(Vpc, ip.vpc_id)
    if ip.network_id is None:
        raise InvalidParameterValue(
            f"Unable to create remote access vpn for the ipAddress: {ip.address} as ip is not "
            "associated with any network or VPC"
        )
    network = session.get(Network, ip.network_id)
    assert network is not None
    rules.require_service(session, network=network, service="Vpn")
    return network, None


def scope_of(session: Session, vpn_row: RemoteAccessVpn) -> vpn.Scope:
    """The network or the VPC whose router serves a remote-access VPN."""
    if vpn_row.vpc_id is not None:
        return None, session.get(Vpc, vpn_row.vpc_id)
    return session.get(Network, vpn_row.network_id), None


def _check_unique(session: Session, *, ip: PublicIpAddress, scope: vpn.Scope) -> None:
    on_ip = select(RemoteAccessVpn.id).where(RemoteAccessVpn.public_ip_id == ip.id)
    if session.scalar(on_ip) is not None:
        raise InvalidParameterValue(
            f"A remote Access VPN already exists for the public IP address [{ip.address}]."
        )
    network, vpc = scope
    if vpc is not None:
        clause, where = RemoteAccessVpn.vpc_id == vpc.id, f"VPC {vpc.name}"
    else:
        assert network is not None
        clause, where = RemoteAccessVpn.network_id == network.id, f"network {network.name}"
    if session.scalar(select(RemoteAccessVpn.id).where(clause)) is not None:
        raise InvalidParameterValue(f"A remote access VPN already exists for {where}.")


def _check_outside_guest(
    start: ipaddress.IPv4Address, end: ipaddress.IPv4Address, *, cidr: str | None, text: str
) -> None:
    if cidr is None:
        return
    guest = ipaddress.IPv4Network(cidr, strict=False)
    if start <= guest.broadcast_address and guest.network_address <= end:
        raise InvalidParameterValue(
            f"Invalid ip range: {text} overlaps with guest ip range {guest.network_address}-"
            f"{guest.broadcast_address} ({guest})"
        )


def new_preshared_key(length: int) -> str:
    """A random pre-shared key of letters and digits."""
    return "".join(secrets.choice(_PSK_ALPHABET) for _ in range(length))


def create_vpn(
    session: Session,
    runtime: Runtime,
    *,
    ip: PublicIpAddress,
    ip_range: str | None,
    display: bool,
) -> RemoteAccessVpn:
    """Store an `Added` remote-access VPN on `ip` (see the module docstring).

    `ip_range` defaults to the `remote.access.vpn.client.iprange` setting. 431 for an IP
    that takes no VPN (`scope_of_ip`), one that already has one, a network or VPC that
    already has one, a malformed range or one overlapping the guest CIDR; 537 if static
    NAT, a port forward or a load balancer uses the IP or the VPN's UDP ports.
    """
    network, vpc = scope = scope_of_ip(session, ip=ip)
    _check_unique(session, ip=ip, scope=scope)
    text = ip_range or vpn.setting(
        session, runtime.settings, vpn.CLIENT_IP_RANGE, account_id=ip.account_id
    )
    start, end = client_range(text)
    cidr = vpc.cidr if vpc is not None else network.cidr if network is not None else None
    _check_outside_guest(start, end, cidr=cidr, text=text)
    for port in VPN_PORTS:
        rule_conflicts.check_public_ports_free(
            session, ip=ip, protocol="udp", start_port=port, end_port=port
        )
    length = int(vpn.setting(session, runtime.settings, vpn.PSK_LENGTH, account_id=ip.account_id))
    assert ip.account_id is not None and ip.domain_id is not None
    row = RemoteAccessVpn(
        public_ip_id=ip.id,
        network_id=None if network is None else network.id,
        vpc_id=None if vpc is None else vpc.id,
        account_id=ip.account_id,
        domain_id=ip.domain_id,
        ip_range=f"{start + 1}-{end}",
        local_ip=str(start),
        preshared_key=runtime.secrets.seal(new_preshared_key(length)),
        state=ADDED,
        display=display,
    )
    vpn.insert(session, row, conflict=f"A remote access VPN already exists for {ip.address}.")
    return row


def start_vpn(session: Session, runtime: Runtime, *, vpn_id: int) -> RemoteAccessVpn:
    """Apply an `Added` VPN to its router and mark it `Running`; if the apply fails the
    VPN is deleted and the 534 propagates."""
    row = session.get(RemoteAccessVpn, vpn_id)
    assert row is not None
    network, vpc = scope_of(session, row)

    def undo(undo_session: Session) -> None:
        undo_session.execute(
            delete(RemoteAccessVpn)
            .where(RemoteAccessVpn.id == vpn_id, RemoteAccessVpn.state == ADDED)
            .execution_options(synchronize_session=False)
        )

    routers.apply_change(session, runtime, network=network, vpc=vpc, undo=undo)
    row = session.get(RemoteAccessVpn, vpn_id)
    assert row is not None
    row.state = RUNNING
    session.flush()
    return row


def destroy_vpn(session: Session, runtime: Runtime, *, vpn_row: RemoteAccessVpn) -> None:
    """Take a VPN off its router and delete it with its tags; if the apply fails the VPN
    keeps its state and the 534 propagates."""
    vpn_id, previous = vpn_row.id, vpn_row.state
    network, vpc = scope_of(session, vpn_row)
    vpn_row.state = REMOVED
    session.flush()

    def undo(undo_session: Session) -> None:
        undo_session.execute(
            update(RemoteAccessVpn)
            .where(RemoteAccessVpn.id == vpn_id, RemoteAccessVpn.state == REMOVED)
            .values(state=previous)
            .execution_options(synchronize_session=False)
        )

    routers.apply_change(session, runtime, network=network, vpc=vpc, undo=undo)
    tags.remove_tags_of(session, resource_type="RemoteAccessVpn", resource_id=vpn_id)
    session.execute(
        delete(RemoteAccessVpn)
        .where(RemoteAccessVpn.id == vpn_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def scopes_of_account(session: Session, *, account_id: int) -> list[vpn.Scope]:
    """The networks and VPCs whose routers serve the account's remote-access VPNs."""
    rows = session.scalars(
        select(RemoteAccessVpn)
        .where(RemoteAccessVpn.account_id == account_id, RemoteAccessVpn.state != REMOVED)
        .order_by(RemoteAccessVpn.id)
    ).all()
    return [scope_of(session, row) for row in rows]


def check_credentials(*, username: str, password: str) -> None:
    """431 unless the user name and password use the characters CloudStack allows."""
    if not _USERNAME.fullmatch(username):
        raise InvalidParameterValue(
            f"Username [{username}] is invalid. Username has to begin with an alphabet have "
            "3-64 characters including alphabets, numbers and the set '@.-_'."
        )
    if not _PASSWORD.fullmatch(password):
        raise InvalidParameterValue(
            "Password has to be 3-32 characters including alphabets, numbers and the set '@+=.-_'"
        )


def add_user(
    session: Session, runtime: Runtime, *, owner: Account, username: str, password: str
) -> VpnUser:
    """Store an `Add` VPN user of `owner` (applied by `apply_added_user`).

    431 for a malformed user name or password, a name the account already has, or an
    account without a remote-access VPN; 532 past the `remote.access.vpn.user.limit`.
    """
    check_credentials(username=username, password=password)
    if not scopes_of_account(session, account_id=owner.id):
        raise InvalidParameterValue(
            f"Unable to add VPN user {username}: account {owner.name} has no remote access VPN"
        )
    taken = select(VpnUser.id).where(VpnUser.account_id == owner.id, VpnUser.username == username)
    if session.scalar(taken) is not None:
        raise InvalidParameterValue(
            f"VPN User with name {username} is already added for account {owner.name}"
        )
    count = session.scalar(
        select(func.count()).select_from(VpnUser).where(VpnUser.account_id == owner.id)
    )
    limit = int(vpn.setting(session, runtime.settings, vpn.USER_LIMIT, account_id=owner.id))
    if (count or 0) >= limit:
        raise ResourceLimitExceeded(
            f"Cannot add more than [{limit}] remote access VPN users to account {owner.name}."
        )
    user = VpnUser(
        account_id=owner.id,
        domain_id=owner.domain_id,
        username=username,
        password=runtime.secrets.seal(password),
        state=USER_ADD,
    )
    vpn.insert(session, user, conflict=f"VPN User with name {username} is already added")
    return user


def apply_added_user(session: Session, runtime: Runtime, *, user_id: int) -> VpnUser:
    """Apply an `Add` user to the routers of its account's VPNs and mark it `Active`; if
    an apply fails the user is deleted and the 534 propagates."""
    user = session.get(VpnUser, user_id)
    assert user is not None

    def undo(undo_session: Session) -> None:
        undo_session.execute(
            delete(VpnUser)
            .where(VpnUser.id == user_id, VpnUser.state == USER_ADD)
            .execution_options(synchronize_session=False)
        )

    scopes = scopes_of_account(session, account_id=user.account_id)
    vpn.apply_to_all(session, runtime, scopes=scopes, undo=undo)
    user = session.get(VpnUser, user_id)
    assert user is not None
    user.state = USER_ACTIVE
    session.flush()
    return user


def remove_user(session: Session, runtime: Runtime, *, user: VpnUser) -> None:
    """Take a user off the routers of its account's VPNs and delete it; if an apply fails
    the user stays `Active` and the 534 propagates."""
    user_id, account_id = user.id, user.account_id
    user.state = USER_REVOKE
    session.flush()

    def undo(undo_session: Session) -> None:
        undo_session.execute(
            update(VpnUser)
            .where(VpnUser.id == user_id, VpnUser.state == USER_REVOKE)
            .values(state=USER_ACTIVE)
            .execution_options(synchronize_session=False)
        )

    scopes = scopes_of_account(session, account_id=account_id)
    vpn.apply_to_all(session, runtime, scopes=scopes, undo=undo)
    session.execute(
        delete(VpnUser).where(VpnUser.id == user_id).execution_options(synchronize_session=False)
    )
    session.flush()
