"""What the EC2 instance tests share: a tenant's EC2 site (boto3 client, the AMI of the session
template, the instance type of the session offering, the availability zone of the session
zone) and native helpers for key pairs and VPC subnets.

    site = ec2_site(alto_server, tenant, ec2_zone, ec2_template, ec2_offering)
    reservation = site.run(MinCount=1, MaxCount=1)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from cs import CloudStack
from sqlalchemy import select

from native.model import AwsId
from native.services.db import Database
from tests.support.aws import aws_client
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique
from tests.support.vms import succeeded
from tests.support.zones import SimZone

VPC_OFFERING = "Default VPC offering"
TIER_OFFERING = "DefaultIsolatedNetworkOfferingForVpcNetworks"
FAST_WAITER = {"Delay": 1, "MaxAttempts": 60}


@cache
def _database(url: str) -> Database:
    return Database(url=url)


def aws_id_of(server: AltoServer, kind: str, uuid: str) -> str:
    """The AWS id native made with a resource (read from the server's `aws_id` table)."""
    with _database(server.db_url).session(write=False) as session:
        found = session.scalar(select(AwsId.aws_id).where(AwsId.kind == kind, AwsId.uuid == uuid))
    assert found is not None, (kind, uuid)
    return str(found)


@dataclass(frozen=True)
class Ec2Site:
    """One tenant's view of the session's EC2 zone, template and offering."""

    server: AltoServer
    tenant: Tenant
    ec2: Any
    image_id: str
    instance_type: str
    zone_name: str

    @property
    def account_id(self) -> str:
        """The tenant's 12-digit AWS account id."""
        return str(aws_client(self.server, self.tenant, "sts").get_caller_identity()["Account"])

    def run(self, **params: Any) -> dict[str, Any]:
        """RunInstances of the session AMI and type in the session zone (params override)."""
        request: dict[str, Any] = {
            "ImageId": self.image_id,
            "InstanceType": self.instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "Placement": {"AvailabilityZone": self.zone_name},
        }
        request.update(params)
        return dict(self.ec2.run_instances(**request))

    def instance(self, instance_id: str) -> dict[str, Any]:
        """DescribeInstances of one instance."""
        [reservation] = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        [found] = reservation["Instances"]
        return dict(found)

    def wait(self, waiter: str, *instance_ids: str) -> None:
        """A boto3 waiter on the instances, polling every second."""
        self.ec2.get_waiter(waiter).wait(InstanceIds=list(instance_ids), WaiterConfig=FAST_WAITER)


def ec2_site(
    server: AltoServer,
    tenant: Tenant,
    zone: SimZone,
    template: dict[str, Any],
    offering: dict[str, Any],
) -> Ec2Site:
    """The tenant's site: its boto3 client and the AWS names of the session resources."""
    ec2 = aws_client(server, tenant, "ec2")
    [az] = [
        row["ZoneName"]
        for row in ec2.describe_availability_zones()["AvailabilityZones"]
        if row["ZoneId"] == zone.id
    ]
    return Ec2Site(
        server=server,
        tenant=tenant,
        ec2=ec2,
        image_id=aws_id_of(server, "image", str(template["id"])),
        instance_type=str(offering["name"]),
        zone_name=str(az),
    )


def key_pair(client: CloudStack) -> str:
    """A native SSH key pair of the client's account; its name."""
    name = unique("key")
    client.createSSHKeyPair(name=name)
    return name


def vpc_subnet(client: CloudStack, zone: SimZone, *, cidr: str = "10.50.0.0/16") -> dict[str, Any]:
    """A native VPC with one tier (the first /24 of `cidr`); the tier's `network` object."""
    [vpc_offering] = client.listVPCOfferings(name=VPC_OFFERING)["vpcoffering"]
    name = unique("vpc")
    vpc = succeeded(
        client,
        client.createVPC(
            name=name, displaytext=name, zoneid=zone.id, cidr=cidr, vpcofferingid=vpc_offering["id"]
        ),
    )["vpc"]
    [tier_offering] = client.listNetworkOfferings(name=TIER_OFFERING)["networkoffering"]
    prefix = cidr.rsplit(".", 2)[0]
    return dict(
        client.createNetwork(
            name=unique("tier"),
            displaytext="tier",
            zoneid=zone.id,
            vpcid=vpc["id"],
            networkofferingid=tier_offering["id"],
            gateway=f"{prefix}.0.1",
            netmask="255.255.255.0",
        )["network"]
    )
