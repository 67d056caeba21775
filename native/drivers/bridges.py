"""Host bridge names shared by the network and hypervisor drivers: a guest network's
router and its VMs' NICs are plugged into the same bridge, so both sides compute its name
here, from the network alone.
"""

from __future__ import annotations

import hashlib

IFNAMSIZ = 15
"""The longest Linux interface name."""


def short_hash(text: str, *, length: int) -> str:
    """The first `length` hex digits of the SHA-256 of `text` (stable device-name parts)."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def vlan_bridge(vlan: int) -> str:
    """`brvlan<vlan>`: the host bridge of one VLAN, whatever role its users give it (a VLAN
    is one layer-2 segment of the zone). ValueError outside 1–4094."""
    if not 1 <= vlan <= 4094:
        raise ValueError(f"Invalid VLAN {vlan}")
    return f"brvlan{vlan}"


def guest_bridge(*, vlan: int | None, network_uuid: str) -> str:
    """The host bridge of a guest network, where its router and its VMs' NICs are plugged.

    `brvlan<vlan>` for a VLAN network; for an untagged one `brnet` and ten hex digits of the
    SHA-256 of its uuid (15 characters, Linux's limit), so the name is stable, short, and
    the same wherever it is computed.
    """
    if vlan is not None:
        return vlan_bridge(vlan)
    return "brnet" + short_hash(network_uuid.strip().lower(), length=10)
