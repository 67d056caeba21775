"""IP address management: guest addresses and MACs of NICs, guest VLANs, public addresses.

Nothing here is handed out twice, even to concurrent requests on several management
servers: a guest address is a row unique per network (a taken one makes the insert fail
and the next candidate is tried), VLANs and public addresses are pre-made rows taken with
a conditional update (`... WHERE network_id IS NULL` / `state = 'Free'`).
"""

from __future__ import annotations

import functools
import ipaddress
import secrets
from collections.abc import Iterator

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import (
    Account,
    GuestVlan,
    Network,
    Nic,
    PhysicalNetwork,
    PublicIpAddress,
    PublicIpRange,
    new_uuid,
    utcnow,
)
from native.model.aws_ids import record_bulk_insert
from native.services.errors import InsufficientCapacity, InvalidParameterValue, ResourceInUse
from native.services.network import cidrs

FREE = "Free"
ALLOCATED = "Allocated"
MAX_RANGE = 65536
_ATTEMPTS = 64


def guest_range(network: Network) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    """The first and last guest address of a network (its CIDR's hosts by default)."""
    assert network.cidr is not None
    block = ipaddress.IPv4Network(network.cidr)
    first = ipaddress.IPv4Address(network.ip_start) if network.ip_start else block[1]
    last = ipaddress.IPv4Address(network.ip_end) if network.ip_end else block[-2]
    return first, last


def _candidates(session: Session, network: Network) -> Iterator[str]:
    first, last = guest_range(network)
    used = set(
        session.scalars(
            select(Nic.ip4_address).where(
                Nic.network_id == network.id, Nic.ip4_address.is_not(None)
            )
        )
    )
    used.add(network.gateway)
    for number in range(int(first), int(last) + 1):
        text = str(ipaddress.IPv4Address(number))
        if text not in used:
            yield text


def new_mac() -> str:
    """A random locally administered unicast MAC (02:00:xx:xx:xx:xx)."""
    tail = secrets.token_bytes(4)
    return "02:00:" + ":".join(f"{byte:02x}" for byte in tail)


def _requested(network: Network, address: str, *, router: bool) -> str:
    """`address` checked to be in the network's guest range (the gateway: routers only)."""
    wanted = cidrs.address(address, what="IP address")
    first, last = guest_range(network)
    is_gateway = str(wanted) == network.gateway
    if (not first <= wanted <= last and not is_gateway) or (is_gateway and not router):
        raise InvalidParameterValue(
            f"IP address {address} is outside the guest range {first}-{last} of network "
            f"{network.name}"
        )
    return str(wanted)


def add_nic(
    session: Session,
    *,
    network: Network,
    vm_id: int | None = None,
    router_id: int | None = None,
    address: str | None = None,
    is_default: bool = False,
    device_id: int = 0,
) -> Nic:
    """Add a NIC on `network` with a free guest address (or exactly `address`) and a
    fresh MAC. 431 if `address` is outside the network's range or taken (the gateway
    address is a router's only); 533 when the network has no free address. L2 networks
    (no CIDR) give NICs no address."""
    insert = functools.partial(
        _insert_nic,
        session,
        network=network,
        vm_id=vm_id,
        router_id=router_id,
        is_default=is_default,
        device_id=device_id,
    )
    if network.cidr is None:
        return insert(address=None)
    if address is not None:
        wanted = _requested(network, address, router=router_id is not None)
        try:
            return insert(address=wanted)
        except IntegrityError:
            raise InvalidParameterValue(
                f"IP address {address} is already in use in network {network.name}"
            ) from None
    for attempt, candidate in enumerate(_candidates(session, network)):
        if attempt >= _ATTEMPTS:
            break
        try:
            return insert(address=candidate)
        except IntegrityError:
            continue
    raise InsufficientCapacity(f"Network {network.name} has no free IP address")


def _insert_nic(
    session: Session,
    *,
    network: Network,
    address: str | None,
    vm_id: int | None,
    router_id: int | None,
    is_default: bool,
    device_id: int,
) -> Nic:
    """Insert in a savepoint; IntegrityError (nothing added) when the address is taken."""
    nic = Nic(
        network_id=network.id,
        vm_id=vm_id,
        router_id=router_id,
        ip4_address=address,
        mac_address=new_mac(),
        is_default=is_default,
        device_id=device_id,
    )
    with session.begin_nested():
        session.add(nic)
    return nic


def parse_vlan_ranges(text: str) -> list[tuple[int, int]]:
    """`"100-199,300"` as [(100, 199), (300, 300)]; 431 unless every VLAN is 1..4094."""
    ranges = []
    for part in filter(None, (item.strip() for item in text.split(","))):
        low, _, high = part.partition("-")
        try:
            start, end = int(low), int(high or low)
        except ValueError:
            raise InvalidParameterValue(f"Invalid VLAN range {part}") from None
        if not 1 <= start <= end <= 4094:
            raise InvalidParameterValue(
                f"Invalid VLAN range {part}: VLANs are 1 to 4094 and the start is not above the end"
            )
        ranges.append((start, end))
    return ranges


def set_guest_vlans(session: Session, *, physical_network: PhysicalNetwork, text: str) -> None:
    """Make the physical network's guest VLANs exactly `text`'s ranges: add rows for new
    numbers, remove free rows no longer in range; 536 if a removed one is in use."""
    wanted = {number for start, end in parse_vlan_ranges(text) for number in range(start, end + 1)}
    rows = session.scalars(
        select(GuestVlan).where(GuestVlan.physical_network_id == physical_network.id)
    ).all()
    existing = {row.vnet: row for row in rows}
    busy = sorted(
        number
        for number, row in existing.items()
        if number not in wanted and row.network_id is not None
    )
    if busy:
        raise ResourceInUse(
            f"VLAN {busy[0]} of physical network {physical_network.name} is in use; it cannot "
            "be removed from the range"
        )
    session.execute(
        delete(GuestVlan).where(
            GuestVlan.physical_network_id == physical_network.id,
            GuestVlan.vnet.not_in(wanted) if wanted else GuestVlan.id.is_not(None),
        )
    )
    session.add_all(
        GuestVlan(
            physical_network_id=physical_network.id, zone_id=physical_network.zone_id, vnet=number
        )
        for number in sorted(wanted - set(existing))
    )
    physical_network.vlan = text
    session.flush()


def take_vlan(session: Session, *, network: Network, physical_network_id: int) -> int:
    """Take the lowest free guest VLAN of the physical network for `network`; 533 if none."""
    for _ in range(_ATTEMPTS):
        free = session.scalar(
            select(GuestVlan.id)
            .where(
                GuestVlan.physical_network_id == physical_network_id, GuestVlan.network_id.is_(None)
            )
            .order_by(GuestVlan.vnet)
            .limit(1)
        )
        if free is None:
            break
        taken = session.execute(
            update(GuestVlan)
            .where(GuestVlan.id == free, GuestVlan.network_id.is_(None))
            .values(network_id=network.id, account_id=network.account_id, taken=utcnow())
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            vnet = session.scalar(select(GuestVlan.vnet).where(GuestVlan.id == free))
            assert vnet is not None
            return vnet
    raise InsufficientCapacity("No free guest VLAN is left in the zone's range")


def take_specific_vlan(
    session: Session, *, network: Network, physical_network_id: int, vnet: int
) -> None:
    """Take VLAN `vnet` for `network`: 431 if it is not in the guest range, 536 if taken.
    (A VLAN outside every physical network's range, as admins may give a shared network,
    is not tracked and always allowed.)"""
    row = session.scalars(
        select(GuestVlan).where(
            GuestVlan.physical_network_id == physical_network_id, GuestVlan.vnet == vnet
        )
    ).first()
    if row is None:
        return
    taken = session.execute(
        update(GuestVlan)
        .where(GuestVlan.id == row.id, GuestVlan.network_id.is_(None))
        .values(network_id=network.id, account_id=network.account_id, taken=utcnow())
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise ResourceInUse(f"VLAN {vnet} is already in use by another network")


def release_vlan(session: Session, *, network_id: int) -> None:
    """Give back the guest VLAN a network holds (if any)."""
    session.execute(
        update(GuestVlan)
        .where(GuestVlan.network_id == network_id)
        .values(network_id=None, account_id=None, taken=None)
        .execution_options(synchronize_session=False)
    )


def add_public_range(session: Session, *, ip_range: PublicIpRange) -> None:
    """Store a public range with one Free address row per address in it.

    431 when the addresses are malformed, out of order, outside gateway/netmask's
    network, or more than 65536; 431 when it overlaps another range of the zone.
    """
    block = cidrs.network_of(gateway=ip_range.gateway, netmask=ip_range.netmask)
    start = cidrs.address(ip_range.start_ip, what="start IP")
    end = cidrs.address(ip_range.end_ip, what="end IP")
    if start > end:
        raise InvalidParameterValue(
            f"Invalid IP range {start}-{end}: the start IP is greater than the end IP"
        )
    for value in (start, end):
        if value not in block:
            raise InvalidParameterValue(
                f"IP {value} is outside the network {block} of gateway {ip_range.gateway} "
                f"and netmask {ip_range.netmask}"
            )
    if int(end) - int(start) + 1 > MAX_RANGE:
        raise InvalidParameterValue(f"An IP range may hold at most {MAX_RANGE} addresses")
    for other in session.scalars(
        select(PublicIpRange).where(
            PublicIpRange.zone_id == ip_range.zone_id, PublicIpRange.removed.is_(None)
        )
    ):
        if (
            other.id != ip_range.id
            and int(start) <= int(ipaddress.IPv4Address(other.end_ip))
            and int(ipaddress.IPv4Address(other.start_ip)) <= int(end)
        ):
            raise InvalidParameterValue(
                f"The IP range {start}-{end} overlaps the range {other.start_ip}-{other.end_ip} "
                "of the zone"
            )
    ip_range.start_ip, ip_range.end_ip = str(start), str(end)
    session.add(ip_range)
    session.flush()
    rows = [
        {
            "uuid": new_uuid(),
            "zone_id": ip_range.zone_id,
            "range_id": ip_range.id,
            "address": str(ipaddress.IPv4Address(number)),
            "state": FREE,
            "update_count": 0,
            "is_source_nat": False,
            "is_static_nat": False,
            "is_system": False,
            "for_display": True,
        }
        for number in range(int(start), int(end) + 1)
    ]
    session.execute(insert(PublicIpAddress), rows)
    record_bulk_insert(
        session.connection(), kind="elastic-ip", uuids=[str(row["uuid"]) for row in rows]
    )


def acquire_public_ip(
    session: Session,
    *,
    zone_id: int,
    account: Account,
    network_id: int | None = None,
    vpc_id: int | None = None,
    source_nat: bool = False,
    address: str | None = None,
) -> PublicIpAddress:
    """Take a free public address of the zone (exactly `address` when given) for the
    account, associated with a network or a VPC. Ranges dedicated to the account are
    used first, then shared ones. 533 when none is free; 431 if `address` is not a free
    public address of the zone."""
    query = (
        select(PublicIpAddress.id)
        .join(PublicIpRange, PublicIpAddress.range_id == PublicIpRange.id)
        .where(
            PublicIpAddress.zone_id == zone_id,
            PublicIpAddress.state == FREE,
            PublicIpRange.removed.is_(None),
            PublicIpRange.network_id.is_(None),
            PublicIpRange.for_virtual_network.is_(True),
            (PublicIpRange.account_id.is_(None)) | (PublicIpRange.account_id == account.id),
        )
        .order_by(PublicIpRange.account_id.is_(None), PublicIpAddress.id)
    )
    if address is not None:
        query = query.where(
            PublicIpAddress.address == str(cidrs.address(address, what="ipaddress"))
        )
    for _ in range(_ATTEMPTS):
        found = session.scalar(query.limit(1))
        if found is None:
            break
        taken = session.execute(
            update(PublicIpAddress)
            .where(PublicIpAddress.id == found, PublicIpAddress.state == FREE)
            .values(
                state=ALLOCATED,
                account_id=account.id,
                domain_id=account.domain_id,
                allocated=utcnow(),
                network_id=network_id,
                vpc_id=vpc_id,
                is_source_nat=source_nat,
                update_count=PublicIpAddress.update_count + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            row = session.get(PublicIpAddress, found)
            assert row is not None
            session.refresh(row)
            return row
    if address is not None:
        raise InvalidParameterValue(f"IP address {address} is not a free public IP of the zone")
    raise InsufficientCapacity("Insufficient address capacity: no free public IP in the zone")


def release_public_ip(session: Session, *, ip: PublicIpAddress) -> None:
    """Give a public address back to its range (Free, no owner, no association)."""
    session.execute(
        update(PublicIpAddress)
        .where(PublicIpAddress.id == ip.id)
        .values(
            state=FREE,
            account_id=None,
            domain_id=None,
            allocated=None,
            network_id=None,
            vpc_id=None,
            is_source_nat=False,
            is_static_nat=False,
            vm_id=None,
            vm_ip=None,
            is_portable=False,
            static_nat_uuid=None,
            update_count=PublicIpAddress.update_count + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(ip)


def remove_public_range(session: Session, *, ip_range: PublicIpRange) -> None:
    """Remove a public range and its (free) addresses; 536 while any of them is taken."""
    session.execute(
        delete(PublicIpAddress)
        .where(PublicIpAddress.range_id == ip_range.id, PublicIpAddress.state == FREE)
        .execution_options(synchronize_session=False)
    )
    taken = session.scalar(
        select(PublicIpAddress.address)
        .where(PublicIpAddress.range_id == ip_range.id)
        .order_by(PublicIpAddress.id)
        .limit(1)
    )
    if taken is not None:
        raise ResourceInUse(
            f"The IP range {ip_range.start_ip}-{ip_range.end_ip} can't be deleted: its public "
            f"IP address {taken} is allocated"
        )
    ip_range.removed = utcnow()
    session.flush()


def dedicate_public_range(session: Session, *, ip_range: PublicIpRange, account: Account) -> None:
    """Dedicate a public range to `account`: 431 if it is dedicated already, is a shared
    network's range, or has an address another account holds."""
    if ip_range.account_id is not None:
        raise InvalidParameterValue(
            f"Public IP range {ip_range.start_ip}-{ip_range.end_ip} is already dedicated"
        )
    if ip_range.network_id is not None:
        raise InvalidParameterValue(
            f"Public IP range {ip_range.start_ip}-{ip_range.end_ip} is the range of a guest "
            "network and can't be dedicated"
        )
    other = session.scalar(
        select(PublicIpAddress.address).where(
            PublicIpAddress.range_id == ip_range.id,
            PublicIpAddress.state != FREE,
            PublicIpAddress.account_id != account.id,
        )
    )
    if other is not None:
        raise InvalidParameterValue(
            f"Public IP address {other} in range {ip_range.start_ip}-{ip_range.end_ip} is "
            f"allocated to another account than {account.name}"
        )
    ip_range.account_id, ip_range.domain_id = account.id, account.domain_id
    session.flush()


def release_public_range(session: Session, *, ip_range: PublicIpRange) -> None:
    """Give a dedicated public range back to the zone's shared pool; 431 if it is not
    dedicated."""
    if ip_range.account_id is None:
        raise InvalidParameterValue(
            f"Public IP range {ip_range.start_ip}-{ip_range.end_ip} is not dedicated"
        )
    ip_range.account_id, ip_range.domain_id = None, None
    session.flush()
