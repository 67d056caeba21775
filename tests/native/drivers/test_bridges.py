"""Host bridge names, as the network and hypervisor drivers both compute them."""

from __future__ import annotations

import pytest

from native.drivers.bridges import guest_bridge, vlan_bridge


def test_guest_bridge_names() -> None:
    assert guest_bridge(vlan=101, network_uuid="anything") == "brvlan101"
    name = guest_bridge(vlan=None, network_uuid="6f1c2d3e-0000-4000-8000-000000000001")
    assert name == guest_bridge(vlan=None, network_uuid="6F1C2D3E-0000-4000-8000-000000000001")
    assert name.startswith("brnet") and len(name) == 15
    assert name != guest_bridge(vlan=None, network_uuid="6f1c2d3e-0000-4000-8000-000000000002")


def test_vlans_outside_the_range_are_refused() -> None:
    for vlan in (0, 4095):
        with pytest.raises(ValueError):
            vlan_bridge(vlan)
