"""Checks of addresses, CIDRs, port ranges and protocols, with CloudStack's error codes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from native.services.errors import InvalidParameterValue

PROTOCOLS_WITH_PORTS = ("tcp", "udp")
PROTOCOLS = ("tcp", "udp", "icmp", "all")


def address(text: str, *, what: str) -> ipaddress.IPv4Address:
    """An IPv4 address; 431 naming `what` otherwise."""
    try:
        return ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise InvalidParameterValue(f"Invalid {what}: {text} is not an IPv4 address") from None


def network(text: str, *, what: str = "cidr") -> ipaddress.IPv4Network:
    """An IPv4 CIDR with no host bits set; 431 naming `what` otherwise."""
    try:
        return ipaddress.IPv4Network(text.strip())
    except ValueError:
        raise InvalidParameterValue(f"Invalid {what}: {text} is not a valid IPv4 CIDR") from None


def network_of(*, gateway: str, netmask: str) -> ipaddress.IPv4Network:
    """The network a gateway and netmask describe; 431 if either is malformed."""
    address(gateway, what="gateway")
    address(netmask, what="netmask")
    try:
        return ipaddress.IPv4Network(f"{gateway.strip()}/{netmask.strip()}", strict=False)
    except ValueError:
        raise InvalidParameterValue(f"Invalid netmask {netmask}") from None


def cidr_list(text: str | Sequence[str] | None, *, what: str = "cidrlist") -> list[str]:
    """Comma-separated (or listed) CIDRs, each checked and normalised; [] for None."""
    if text is None:
        return []
    items = text.split(",") if isinstance(text, str) else list(text)
    return [str(network(item, what=what)) for item in items if item.strip()]


def overlapping(
    candidate: ipaddress.IPv4Network, others: Iterable[tuple[str, ipaddress.IPv4Network]]
) -> str | None:
    """The label of the first of `others` that overlaps `candidate`, None if none does."""
    for label, other in others:
        if candidate.overlaps(other):
            return label
    return None


def in_range(value: ipaddress.IPv4Address, *, start: str, end: str) -> bool:
    return ipaddress.IPv4Address(start) <= value <= ipaddress.IPv4Address(end)


def protocol(text: str, *, allowed: Sequence[str] = PROTOCOLS) -> str:
    """A protocol name, lower-cased (a protocol number is accepted for `all`-capable
    rules as CloudStack does: 6 tcp, 17 udp, 1 icmp); 431 naming it otherwise."""
    value = text.strip().lower()
    value = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "all"}.get(value, value)
    if value not in allowed:
        raise InvalidParameterValue(f"Invalid protocol {text}: use one of {', '.join(allowed)}")
    return value


def port_range(
    *, protocol_name: str, start: int | None, end: int | None, what: str = "port"
) -> tuple[int | None, int | None]:
    """The (start, end) ports of a rule: both set and 1..65535, start <= end, for tcp and
    udp (end defaults to start); both None for other protocols, where ports are a 431."""
    if protocol_name not in PROTOCOLS_WITH_PORTS:
        if start is not None or end is not None:
            raise InvalidParameterValue(
                f"Ports are not allowed for protocol {protocol_name}; only tcp and udp have ports"
            )
        return None, None
    if start is None:
        raise InvalidParameterValue(f"Start {what} is required for protocol {protocol_name}")
    end = start if end is None else end
    for value in (start, end):
        if not 1 <= value <= 65535:
            raise InvalidParameterValue(f"Invalid {what} {value}: ports are 1 to 65535")
    if start > end:
        raise InvalidParameterValue(
            f"Invalid {what} range {start}-{end}: the start port is greater than the end port"
        )
    return start, end


def icmp(
    *, protocol_name: str, icmp_type: int | None, icmp_code: int | None
) -> tuple[int | None, int | None]:
    """ICMP type and code (-1 means any; both default to -1) for icmp; 431 if given for
    another protocol or out of range."""
    if protocol_name != "icmp":
        if icmp_type is not None or icmp_code is not None:
            raise InvalidParameterValue("ICMP type and code are only allowed for protocol icmp")
        return None, None
    icmp_type = -1 if icmp_type is None else icmp_type
    icmp_code = -1 if icmp_code is None else icmp_code
    if not -1 <= icmp_type <= 255 or not -1 <= icmp_code <= 255:
        raise InvalidParameterValue("Invalid ICMP type or code: use -1 (any) or 0 to 255")
    return icmp_type, icmp_code


def ports_overlap(
    first: tuple[int | None, int | None], second: tuple[int | None, int | None]
) -> bool:
    """Whether two port ranges share a port (a range with no ports covers every port)."""
    if first[0] is None or second[0] is None:
        return True
    return first[0] <= (second[1] or second[0]) and second[0] <= (first[1] or first[0])
