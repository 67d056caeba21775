"""`vm-data.json`: what the router's metadata service serves each guest, by guest address.

Each entry holds the guest's meta-data items by path, its public keys as [name, key] pairs
in order, and its user data (base64, or null). Addresses are unique among one router's
guests (a VPC's tiers do not overlap), so the address alone picks the guest.
"""

from __future__ import annotations

import json

from native.drivers.network.base import RouterConfig


def render(config: RouterConfig) -> str:
    guests = {
        data.address: {
            "meta-data": dict(data.meta_data),
            "public-keys": [list(pair) for pair in data.public_keys],
            "user-data": data.user_data,
        }
        for guest in config.guests
        for data in guest.vm_data
    }
    return json.dumps(guests, indent=2, sort_keys=True) + "\n"
