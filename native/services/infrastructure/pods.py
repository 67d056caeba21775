"""Pods: their management (private) IP range, and handing out addresses from it to hosts."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Cluster, Host, Pod, Zone
from native.services.errors import InsufficientCapacity, InvalidParameterValue
from native.services.infrastructure.common import (
    allocation_state,
    check_name_free,
    nonblank,
    refuse_if_used,
    soft_delete,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, kw_only=True)
class IpRange:
    """A pod's management network: gateway, netmask, and the first and last usable address."""

    gateway: str
    netmask: str
    start_ip: str
    end_ip: str

    @classmethod
    def parse(cls, *, gateway: str, netmask: str, start_ip: str, end_ip: str | None) -> IpRange:
        """Validate the range: addresses well formed, start ≤ end, all in the gateway's subnet.

        `end_ip` defaults to `start_ip`. 431 saying what is wrong.
        """
        gate = _address(gateway, "gateway")
        try:
            subnet = ipaddress.ip_network(f"{gate}/{netmask.strip()}", strict=False)
        except ValueError:
            raise InvalidParameterValue(f"Invalid netmask {netmask!r}") from None
        first = _address(start_ip, "startip")
        last = first if not end_ip else _address(end_ip, "endip")
        if int(first) > int(last):
            raise InvalidParameterValue(f"Invalid IP range: startip {first} is after endip {last}")
        for what, address in (("startip", first), ("endip", last)):
            if address not in subnet:
                raise InvalidParameterValue(
                    f"Invalid {what} {address}: it is not in the subnet {subnet} of the gateway"
                )
        if int(first) <= int(gate) <= int(last):
            raise InvalidParameterValue(f"The gateway {gate} must not be inside the IP range")
        return cls(
            gateway=str(gate), netmask=str(subnet.netmask), start_ip=str(first), end_ip=str(last)
        )


def _address(text: str, what: str) -> Address:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise InvalidParameterValue(f"Invalid {what} {text!r}: it is not an IP address") from None


def range_size(pod: Pod) -> int:
    """How many addresses the pod's range holds (0 without a range)."""
    if not pod.start_ip or not pod.end_ip:
        return 0
    return int(ipaddress.ip_address(pod.end_ip)) - int(ipaddress.ip_address(pod.start_ip)) + 1


def create_pod(
    session: Session, *, zone: Zone, name: str, ip_range: IpRange, state: str | None
) -> Pod:
    """A new pod of the zone; 431 if the name is taken there."""
    name = nonblank(name, what="pod name")
    check_name_free(session, Pod, name, Pod.zone_id == zone.id, what="pod")
    pod = Pod(
        zone_id=zone.id,
        name=name,
        gateway=ip_range.gateway,
        netmask=ip_range.netmask,
        start_ip=ip_range.start_ip,
        end_ip=ip_range.end_ip,
        allocation_state=allocation_state(state, default="Enabled"),
    )
    session.add(pod)
    session.flush()
    return pod


def update_pod(
    session: Session,
    *,
    pod: Pod,
    name: str | None,
    ip_range: IpRange | None,
    state: str | None,
) -> Pod:
    """Rename, change the range or the allocation state of a pod.

    A new range must still hold every address given to the pod's hosts (431 otherwise).
    """
    if name is not None:
        name = nonblank(name, what="pod name")
        check_name_free(
            session, Pod, name, Pod.zone_id == pod.zone_id, what="pod", exclude_id=pod.id
        )
        pod.name = name
    if ip_range is not None:
        first, last = (int(ipaddress.ip_address(ip)) for ip in (ip_range.start_ip, ip_range.end_ip))
        for address in _allocated(session, pod):
            if not first <= int(ipaddress.ip_address(address)) <= last:
                raise InvalidParameterValue(
                    f"The new IP range of pod {pod.name} leaves out {address}, used by a host"
                )
        pod.gateway, pod.netmask = ip_range.gateway, ip_range.netmask
        pod.start_ip, pod.end_ip = ip_range.start_ip, ip_range.end_ip
    if state is not None:
        pod.allocation_state = allocation_state(state, default="Enabled")
    session.flush()
    return pod


def delete_pod(session: Session, *, pod: Pod) -> None:
    """Remove a pod without clusters; 536 otherwise."""
    refuse_if_used(session, f"pod {pod.name}", {"clusters": (Cluster, Cluster.pod_id == pod.id)})
    soft_delete(pod)
    session.flush()


def _allocated(session: Session, pod: Pod) -> set[str]:
    return set(
        session.scalars(
            select(Host.private_ip).where(
                Host.pod_id == pod.id, Host.removed.is_(None), Host.private_ip.is_not(None)
            )
        )
    )


def allocate_pod_ip(session: Session, *, pod: Pod) -> str:
    """The lowest address of the pod's range that no live host of the pod holds.

    Locks the pod row (SELECT … FOR UPDATE) so concurrent allocations in one pod are
    serialised: the caller must store the address on its host in the same transaction.
    533 when the range is full or the pod has none.
    """
    session.scalars(select(Pod.id).where(Pod.id == pod.id).with_for_update()).one()
    if not pod.start_ip or not pod.end_ip:
        raise InsufficientCapacity(f"Pod {pod.name} has no management IP range")
    taken = _allocated(session, pod)
    first = ipaddress.ip_address(pod.start_ip)
    for offset in range(range_size(pod)):
        candidate = str(first + offset)
        if candidate not in taken:
            return candidate
    raise InsufficientCapacity(f"No free management IP address left in pod {pod.name}")
