"""Internet gateways through boto3: create, attach (the main route table routes through
it), detach, delete, and the errors of each."""

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
    return str(caught.value.response["Error"]["Code"])


def _routes(ec2: Any, vpc_id: str) -> list[tuple[str, str]]:
    [table] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    return [(route["DestinationCidrBlock"], route["GatewayId"]) for route in table["Routes"]]


def test_gateway_lifecycle(
    alto_server: AltoServer, tenant: Tenant, admin: Any, ec2_zone: SimZone
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    az = az_of(ec2, ec2_zone.id)
    vpc_id = new_vpc(ec2, az=az, cidr="10.95.0.0/16")["VpcId"]
    other_vpc = new_vpc(ec2, az=az, cidr="10.96.0.0/16")["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]
    igw_id = igw["InternetGatewayId"]
    assert igw_id.startswith("igw-") and igw["Attachments"] == []
    second = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]

    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    [described] = ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"]
    assert described["Attachments"] == [{"VpcId": vpc_id, "State": "available"}]
    by_vpc = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    assert [found["InternetGatewayId"] for found in by_vpc] == [igw_id]
    assert _routes(ec2, vpc_id) == [("10.95.0.0/16", "local"), ("0.0.0.0/0", igw_id)]
    assert _code(ec2.attach_internet_gateway, InternetGatewayId=igw_id, VpcId=other_vpc) == (
        "Resource.AlreadyAssociated"
    )
    assert _code(ec2.attach_internet_gateway, InternetGatewayId=second, VpcId=vpc_id) == (
        "Resource.AlreadyAssociated"
    )
    assert _code(ec2.delete_internet_gateway, InternetGatewayId=igw_id) == "DependencyViolation"
    assert _code(ec2.delete_vpc, VpcId=vpc_id) == "DependencyViolation"
    assert _code(ec2.detach_internet_gateway, InternetGatewayId=igw_id, VpcId=other_vpc) == (
        "Gateway.NotAttached"
    )

    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert _routes(ec2, vpc_id) == [("10.95.0.0/16", "local")]
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    assert _code(ec2.describe_internet_gateways, InternetGatewayIds=[igw_id]) == (
        "InvalidInternetGatewayID.NotFound"
    )
    assert _code(ec2.describe_internet_gateways, InternetGatewayIds=["igw-x"]) == (
        "InvalidInternetGatewayID.Malformed"
    )
    ec2.delete_vpc(VpcId=vpc_id)

    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    assert stranger.describe_internet_gateways()["InternetGateways"] == []
    assert _code(stranger.attach_internet_gateway, InternetGatewayId=second, VpcId=other_vpc) == (
        "InvalidInternetGatewayID.NotFound"
    )


def test_gateway_tags(alto_server: AltoServer, tenant: Tenant, admin: Any) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    igw = ec2.create_internet_gateway(
        TagSpecifications=[
            {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": "edge"}]}
        ]
    )["InternetGateway"]
    igw_id = igw["InternetGatewayId"]
    assert igw["Tags"] == [{"Key": "Name", "Value": "edge"}]
    ec2.create_tags(Resources=[igw_id], Tags=[{"Key": "team", "Value": "net"}])
    [named] = ec2.describe_internet_gateways(Filters=[{"Name": "tag:Name", "Values": ["edge"]}])[
        "InternetGateways"
    ]
    assert named["InternetGatewayId"] == igw_id
    assert sorted((t["Key"], t["Value"]) for t in named["Tags"]) == [
        ("Name", "edge"),
        ("team", "net"),
    ]
    described = ec2.describe_tags(
        Filters=[{"Name": "resource-type", "Values": ["internet-gateway"]}]
    )["Tags"]
    assert {(t["ResourceId"], t["Key"]) for t in described} == {
        (igw_id, "Name"),
        (igw_id, "team"),
    }
    ec2.delete_tags(Resources=[igw_id], Tags=[{"Key": "team"}])
    [after] = ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"]
    assert after["Tags"] == [{"Key": "Name", "Value": "edge"}]
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [igw_id]}])["Tags"] == []
    assert admin.listTags(listall=True, resourcetype="InternetGateway") == {}
