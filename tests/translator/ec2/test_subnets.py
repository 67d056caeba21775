"""EC2 subnets through boto3: create, describe with filters, modify, delete, waiters, errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import aws_client
from tests.support.ec2_vpc import az_of, new_vpc
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.zones import SimZone


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


@pytest.fixture
def ec2(alto_server: AltoServer, tenant: Tenant) -> Any:
    return aws_client(alto_server, tenant, "ec2")


@pytest.fixture
def az(ec2: Any, ec2_zone: SimZone) -> str:
    return az_of(ec2, ec2_zone.id)


@pytest.fixture
def vpc_id(ec2: Any, az: str) -> str:
    return str(new_vpc(ec2, az=az, cidr="10.50.0.0/16")["VpcId"])


def test_create_subnet_has_the_fields_clients_read(
    ec2: Any, az: str, vpc_id: str, ec2_zone: SimZone
) -> None:
    subnet = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.50.1.0/24",
        AvailabilityZone=az,
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "a"}]}],
    )["Subnet"]
    subnet_id = subnet["SubnetId"]
    assert subnet_id.startswith("subnet-") and len(subnet_id) == 24
    ec2.get_waiter("subnet_available").wait(SubnetIds=[subnet_id])
    described = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    assert described["VpcId"] == vpc_id
    assert described["CidrBlock"] == "10.50.1.0/24"
    assert described["AvailabilityZone"] == az
    assert described["AvailabilityZoneId"] == ec2_zone.id
    assert described["AvailableIpAddressCount"] == 251
    assert described["DefaultForAz"] is False
    assert described["MapPublicIpOnLaunch"] is False
    assert described["MapCustomerOwnedIpOnLaunch"] is False
    assert described["AssignIpv6AddressOnCreation"] is False
    assert described["Ipv6CidrBlockAssociationSet"] == []
    assert described["EnableDns64"] is False and described["Ipv6Native"] is False
    assert described["PrivateDnsNameOptionsOnLaunch"] == {
        "HostnameType": "ip-name",
        "EnableResourceNameDnsARecord": False,
        "EnableResourceNameDnsAAAARecord": False,
    }
    assert described["State"] == "available"
    assert described["SubnetArn"] == (
        f"arn:aws:ec2:us-east-1:{described['OwnerId']}:subnet/{subnet_id}"
    )
    assert described["Tags"] == [{"Key": "Name", "Value": "a"}]


def test_subnet_without_a_zone_goes_to_the_vpcs_zone(ec2: Any, az: str, vpc_id: str) -> None:
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.2.0/28")["Subnet"]
    assert subnet["AvailabilityZone"] == az
    assert subnet["AvailableIpAddressCount"] == 11


def test_describe_subnets_filters(ec2: Any, az: str, vpc_id: str) -> None:
    first = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.3.0/24")["Subnet"]
    second = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.50.4.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "k", "Value": "v"}]}],
    )["Subnet"]
    ids = {first["SubnetId"], second["SubnetId"]}

    def found(name: str, *values: str) -> set[str]:
        listed = ec2.describe_subnets(Filters=[{"Name": name, "Values": list(values)}])
        return {subnet["SubnetId"] for subnet in listed["Subnets"]}

    assert found("vpc-id", vpc_id) == ids
    assert found("subnet-id", first["SubnetId"]) == {first["SubnetId"]}
    assert found("cidr-block", "10.50.4.0/24") == {second["SubnetId"]}
    assert found("availability-zone", az) >= ids
    assert found("default-for-az", "false") >= ids
    assert found("state", "available") >= ids
    assert found("tag:k", "v") == {second["SubnetId"]}
    page = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], MaxResults=5)
    assert {subnet["SubnetId"] for subnet in page["Subnets"]} == ids


def test_bad_subnets_are_refused(ec2: Any, az: str, vpc_id: str, ec2_zone: SimZone) -> None:
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.8.0/22")
    assert _code(ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.50.9.0/24") == (
        "InvalidSubnet.Conflict"
    )
    assert _code(ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.60.0.0/24") == (
        "InvalidSubnet.Range"
    )
    assert _code(ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.50.0.0/29") == (
        "InvalidSubnet.Range"
    )
    assert _code(ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.50.0.1/24") == (
        "InvalidParameterValue"
    )
    assert _code(
        ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.50.20.0/24", AvailabilityZone="us-east-1zz"
    ) == ("InvalidParameterValue")
    assert _code(ec2.create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock="10.0.0.0/24") == (
        "InvalidVpcID.NotFound"
    )
    assert _code(ec2.describe_subnets, SubnetIds=["subnet-x"]) == "InvalidSubnetID.Malformed"
    assert _code(ec2.describe_subnets, SubnetIds=["subnet-0123456789abcdef0"]) == (
        "InvalidSubnetID.NotFound"
    )
    listed = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert [subnet["CidrBlock"] for subnet in listed] == ["10.50.8.0/22"]


def test_modify_subnet_map_public_ip(ec2: Any, vpc_id: str) -> None:
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.5.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["MapPublicIpOnLaunch"]
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": False})
    assert not ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["MapPublicIpOnLaunch"]
    assert (
        _code(
            ec2.modify_subnet_attribute,
            SubnetId=subnet_id,
            AssignIpv6AddressOnCreation={"Value": True},
        )
        == "InvalidParameterValue"
    )


def test_delete_subnet(ec2: Any, vpc_id: str) -> None:
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.6.0/24")["Subnet"]["SubnetId"]
    ec2.delete_subnet(SubnetId=subnet_id)
    assert _code(ec2.describe_subnets, SubnetIds=[subnet_id]) == "InvalidSubnetID.NotFound"
    assert _code(ec2.delete_subnet, SubnetId=subnet_id) == "InvalidSubnetID.NotFound"


def test_default_subnet_is_default_for_its_zone(ec2: Any) -> None:
    vpc_id = ec2.create_default_vpc()["Vpc"]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    [subnet] = subnets["Subnets"]
    assert subnet["VpcId"] == vpc_id and subnet["CidrBlock"] == "172.31.0.0/20"
    assert subnet["MapPublicIpOnLaunch"] is True


def test_another_account_cannot_see_or_use_the_subnet(
    ec2: Any, vpc_id: str, alto_server: AltoServer, admin: Any
) -> None:
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.7.0/24")["Subnet"]["SubnetId"]
    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    assert subnet_id not in {s["SubnetId"] for s in stranger.describe_subnets()["Subnets"]}
    assert _code(stranger.describe_subnets, SubnetIds=[subnet_id]) == "InvalidSubnetID.NotFound"
    assert _code(stranger.delete_subnet, SubnetId=subnet_id) == "InvalidSubnetID.NotFound"
    assert _code(stranger.create_subnet, VpcId=vpc_id, CidrBlock="10.50.99.0/24") == (
        "InvalidVpcID.NotFound"
    )
