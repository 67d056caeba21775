"""Guest networks for black-box tests, made through the API as a user would."""

from __future__ import annotations

from typing import Any

from cs import CloudStack

from tests.support.tenants import unique
from tests.support.zones import SimZone

ISOLATED = "DefaultIsolatedNetworkOfferingWithSourceNatService"


def create_network(
    client: CloudStack, zone: SimZone, prefix: str, *, netmask: str = "255.255.255.0"
) -> dict[str, Any]:
    """An isolated network of the default offering with gateway `<prefix>.1`."""
    [found] = client.listNetworkOfferings(name=ISOLATED)["networkoffering"]
    return dict(
        client.createNetwork(
            name=unique("net"),
            zoneid=zone.id,
            networkofferingid=found["id"],
            gateway=f"{prefix}.1",
            netmask=netmask,
        )["network"]
    )
