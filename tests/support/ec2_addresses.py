"""What the Elastic IP tests share: a tenant's default VPC placed in the EC2 test zone, and
instances deployed natively on its default subnet (or on a VPC of their own).

The default VPC is the account's native VPC named `default` (translator/ec2/default_vpc.py):
made here in `ec2_zone` before any EC2 call, so that AllocateAddress uses it whichever zone
the server lists first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from cs import CloudStack
from sqlalchemy import select

from native.model import AwsId
from native.services.db import Database
from tests.support.server import AltoServer
from tests.support.tenants import unique
from tests.support.vms import deploy, succeeded
from tests.support.zones import SimZone

VPC_OFFERING = "Default VPC offering"
TIER_OFFERING = "DefaultIsolatedNetworkOfferingForVpcNetworks"


@dataclass(frozen=True)
class Site:
    """The session's EC2 zone, template and offering."""

    server: AltoServer
    zone: SimZone
    template: dict[str, Any]
    offering: dict[str, Any]


def _vpc(
    client: CloudStack, zone: SimZone, *, name: str, cidr: str, start: bool = True
) -> dict[str, Any]:
    [offering] = client.listVPCOfferings(name=VPC_OFFERING)["vpcoffering"]
    answer = client.createVPC(
        name=name,
        displaytext=name,
        zoneid=zone.id,
        cidr=cidr,
        vpcofferingid=offering["id"],
        start="true" if start else "false",
    )
    return dict(succeeded(client, answer)["vpc"])


def _tier(
    client: CloudStack, zone: SimZone, vpc: dict[str, Any], *, name: str, gateway: str, mask: str
) -> dict[str, Any]:
    [offering] = client.listNetworkOfferings(name=TIER_OFFERING)["networkoffering"]
    return dict(
        client.createNetwork(
            name=name,
            displaytext=name,
            zoneid=zone.id,
            vpcid=vpc["id"],
            networkofferingid=offering["id"],
            gateway=gateway,
            netmask=mask,
        )["network"]
    )


def default_subnet_in(client: CloudStack, zone: SimZone) -> str:
    """Give the tenant its default VPC (172.31.0.0/16, not started, as EC2 makes it) and
    default subnet in `zone`; the subnet's native network id."""
    vpc = _vpc(client, zone, name="default", cidr="172.31.0.0/16", start=False)
    tier = _tier(client, zone, vpc, name="default", gateway="172.31.0.1", mask="255.255.240.0")
    return str(tier["id"])


def other_vpc_tier(client: CloudStack, zone: SimZone) -> dict[str, Any]:
    """A VPC (10.40.0.0/16) other than the default, with one tier; the tier."""
    vpc = _vpc(client, zone, name=unique("vpc"), cidr="10.40.0.0/16")
    return _tier(client, zone, vpc, name=unique("tier"), gateway="10.40.1.1", mask="255.255.255.0")


def instance(site: Site, client: CloudStack, network_id: str) -> dict[str, Any]:
    """A VM deployed natively on `network_id`; its `virtualmachine` object."""
    return deploy(client, site.zone, site.offering, site.template, networkids=network_id)


@cache
def _database(url: str) -> Database:
    return Database(url=url)


def aws_id_of(server: AltoServer, kind: str, uuid: str) -> str:
    """The AWS id native made with a resource (read from the server's `aws_id` table)."""
    with _database(server.db_url).session(write=False) as session:
        found = session.scalar(select(AwsId.aws_id).where(AwsId.kind == kind, AwsId.uuid == uuid))
    assert found is not None, (kind, uuid)
    return str(found)
