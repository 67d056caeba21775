"""The default VPC across two zones through boto3: a default subnet per availability zone,
RunInstances into either zone without a subnet, CreateDefaultSubnet, and subnets of one
VPC in both zones."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.aws import aws_client
from tests.support.ec2_instances import FAST_WAITER, aws_id_of
from tests.support.ec2_vpc import az_of, new_vpc
from tests.support.server import AltoServer
from tests.support.tenants import Tenant
from tests.support.vms import ready_template
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def far_zone(ec2_admin: CloudStack, ec2_root: Path) -> SimZone:
    return build_zone(ec2_admin, root=ec2_root / "far", hosts=1)


@pytest.fixture(scope="module")
def far_image(
    ec2_admin: CloudStack, far_zone: SimZone, ec2_root: Path, alto_server: AltoServer
) -> str:
    template = ready_template(ec2_admin, far_zone, root=ec2_root / "far")
    return aws_id_of(alto_server, "image", str(template["id"]))


@pytest.fixture
def ec2(alto_server: AltoServer, tenant: Tenant) -> Any:
    return aws_client(alto_server, tenant, "ec2")


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


def default_subnets(ec2: Any) -> dict[str, dict[str, Any]]:
    """The caller's default subnets by availability zone."""
    found = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    return {subnet["AvailabilityZone"]: subnet for subnet in found["Subnets"]}


def zone_id_of(ec2: Any, az: str) -> str:
    [zone] = ec2.describe_availability_zones(ZoneNames=[az])["AvailabilityZones"]
    return str(zone["ZoneId"])


Launch = Callable[[SimZone], dict[str, Any]]


@pytest.fixture
def launch(
    ec2: Any,
    ec2_zone: SimZone,
    far_zone: SimZone,
    far_image: str,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
    alto_server: AltoServer,
) -> Launch:
    """RunInstances of one instance into a zone (either), without a subnet."""
    images = {
        ec2_zone.id: aws_id_of(alto_server, "image", str(ec2_template["id"])),
        far_zone.id: far_image,
    }

    def run(zone: SimZone) -> dict[str, Any]:
        [instance] = ec2.run_instances(
            ImageId=images[zone.id],
            InstanceType=str(ec2_offering["name"]),
            MinCount=1,
            MaxCount=1,
            Placement={"AvailabilityZone": az_of(ec2, zone.id)},
        )["Instances"]
        return dict(instance)

    return run


def test_instances_in_two_zones_get_their_zones_default_subnets(
    ec2: Any, ec2_zone: SimZone, far_zone: SimZone, launch: Launch
) -> None:
    near_az, far_az = az_of(ec2, ec2_zone.id), az_of(ec2, far_zone.id)
    far = launch(far_zone)
    near = launch(ec2_zone)
    waiter = ec2.get_waiter("instance_running")
    waiter.wait(InstanceIds=[far["InstanceId"], near["InstanceId"]], WaiterConfig=FAST_WAITER)

    subnets = default_subnets(ec2)
    assert set(subnets) == {near_az, far_az}
    assert subnets[far_az]["CidrBlock"] == "172.31.0.0/20"
    assert subnets[near_az]["CidrBlock"] == "172.31.16.0/20"
    assert far["SubnetId"] == subnets[far_az]["SubnetId"]
    assert near["SubnetId"] == subnets[near_az]["SubnetId"]
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert {s["VpcId"] for s in subnets.values()} == {vpc["VpcId"]}
    assert {far["VpcId"], near["VpcId"]} == {vpc["VpcId"]}
    assert all(subnet["MapPublicIpOnLaunch"] for subnet in subnets.values())

    ec2.terminate_instances(InstanceIds=[far["InstanceId"], near["InstanceId"]])
    ec2.get_waiter("instance_terminated").wait(
        InstanceIds=[far["InstanceId"], near["InstanceId"]], WaiterConfig=FAST_WAITER
    )


def test_create_default_subnet(ec2: Any, ec2_zone: SimZone, far_zone: SimZone) -> None:
    near_az, far_az = az_of(ec2, ec2_zone.id), az_of(ec2, far_zone.id)
    assert _code(ec2.create_default_subnet, AvailabilityZone=far_az) == "DefaultVpcDoesNotExist"
    ec2.create_default_vpc()
    [first] = default_subnets(ec2).values()
    assert first["CidrBlock"] == "172.31.0.0/20"
    other = far_az if first["AvailabilityZone"] != far_az else near_az
    subnet = ec2.create_default_subnet(AvailabilityZone=other)["Subnet"]
    assert subnet["AvailabilityZone"] == other and subnet["DefaultForAz"] is True
    assert subnet["CidrBlock"] == "172.31.16.0/20" and subnet["VpcId"] == first["VpcId"]
    assert set(default_subnets(ec2)) == {first["AvailabilityZone"], other}
    assert _code(ec2.create_default_subnet, AvailabilityZone=other) == (
        "DefaultSubnetAlreadyExistsInAvailabilityZone"
    )
    assert _code(ec2.create_default_subnet, AvailabilityZone="nowhere-1z") == (
        "InvalidParameterValue"
    )
    assert _code(ec2.create_default_subnet) == "MissingParameter"

    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    again = ec2.create_default_subnet(AvailabilityZoneId=zone_id_of(ec2, other))["Subnet"]
    assert again["CidrBlock"] == "172.31.16.0/20"


def test_a_vpc_takes_subnets_in_every_zone(ec2: Any, ec2_zone: SimZone, far_zone: SimZone) -> None:
    near_az, far_az = az_of(ec2, ec2_zone.id), az_of(ec2, far_zone.id)
    vpc_id = new_vpc(ec2, az=near_az, cidr="10.70.0.0/16")["VpcId"]
    far = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.70.2.0/24", AvailabilityZone=far_az)
    near = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.70.1.0/24")
    assert far["Subnet"]["AvailabilityZone"] == far_az
    assert far["Subnet"]["AvailabilityZoneId"] == far_zone.id
    assert near["Subnet"]["AvailabilityZone"] == near_az
    assert _code(
        ec2.create_subnet,
        VpcId=vpc_id,
        CidrBlock="10.70.3.0/24",
        AvailabilityZone=near_az,
        AvailabilityZoneId=far_zone.id,
    ) == ("InvalidParameterCombination")


def test_an_elastic_ip_is_never_a_zones_source_nat_address(
    ec2: Any, tenant: Tenant, ec2_zone: SimZone, far_zone: SimZone, launch: Launch
) -> None:
    ec2.create_default_vpc()
    [vpc] = tenant.client().listVPCs()["vpc"]
    zone = far_zone if vpc["zoneid"] != far_zone.id else ec2_zone
    instance = launch(zone)
    ec2.get_waiter("instance_running").wait(
        InstanceIds=[instance["InstanceId"]], WaiterConfig=FAST_WAITER
    )
    address = ec2.allocate_address(Domain="vpc")
    owned = tenant.client().listPublicIpAddresses()["publicipaddress"]
    [elastic] = [ip for ip in owned if not ip["issourcenat"]]
    assert elastic["ipaddress"] == address["PublicIp"]
    assert {ip["zoneid"] for ip in owned if ip["issourcenat"]} == {zone.id, vpc["zoneid"]}
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])


def test_concurrent_first_calls_leave_one_default_vpc_and_subnet(
    ec2: Any, ec2_zone: SimZone, far_zone: SimZone, alto_server: AltoServer, tenant: Tenant
) -> None:
    clients = [aws_client(alto_server, tenant, "ec2") for _ in range(4)]
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        groups = list(
            pool.map(
                lambda pair: pair[1].create_security_group(
                    GroupName=f"racer-{pair[0]}", Description="first call"
                ),
                enumerate(clients),
            )
        )
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    described = ec2.describe_security_groups(GroupIds=[group["GroupId"] for group in groups])
    assert {group["VpcId"] for group in described["SecurityGroups"]} == {vpc["VpcId"]}
    assert len(tenant.client().listVPCs()["vpc"]) == 1
    assert len(default_subnets(ec2)) == 1

    other = next(az_of(ec2, z.id) for z in (ec2_zone, far_zone) if z.id != vpc_zone(tenant))

    def make_default_subnet(client: Any) -> str:
        try:
            return str(client.create_default_subnet(AvailabilityZone=other)["Subnet"]["SubnetId"])
        except ClientError as error:
            return str(error.response["Error"]["Code"])

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        answers = list(pool.map(make_default_subnet, clients))
    made = [answer for answer in answers if answer.startswith("subnet-")]
    assert len(made) == 1, answers
    assert set(answers) - set(made) <= {"DefaultSubnetAlreadyExistsInAvailabilityZone"}
    assert default_subnets(ec2)[other]["SubnetId"] == made[0]


def vpc_zone(tenant: Tenant) -> str:
    [vpc] = tenant.client().listVPCs()["vpc"]
    return str(vpc["zoneid"])
