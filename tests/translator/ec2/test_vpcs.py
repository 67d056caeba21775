"""EC2 VPCs through boto3 and the aws CLI: create, describe, attributes, delete, default VPC."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, aws_client, cli_available
from tests.support.ec2_vpc import ZONE_TAG, az_of, new_vpc
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


def test_create_vpc_is_available_with_its_fields(
    ec2: Any, az: str, alto_server: AltoServer, tenant: Tenant
) -> None:
    vpc = new_vpc(ec2, az=az, cidr="10.20.0.0/16", tags=[{"Key": "Name", "Value": "web"}])
    assert vpc["VpcId"].startswith("vpc-") and len(vpc["VpcId"]) == 21
    ec2.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])
    described = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]
    owner = aws_client(alto_server, tenant, "sts").get_caller_identity()["Account"]
    assert described["CidrBlock"] == "10.20.0.0/16"
    assert described["State"] == "available"
    assert described["InstanceTenancy"] == "default"
    assert described["IsDefault"] is False
    assert described["OwnerId"] == owner
    assert described["DhcpOptionsId"]
    association = described["CidrBlockAssociationSet"][0]
    assert association["AssociationId"].startswith("vpc-cidr-assoc-")
    assert association["CidrBlock"] == "10.20.0.0/16"
    assert association["CidrBlockState"] == {"State": "associated"}
    assert {"Key": "Name", "Value": "web"} in described["Tags"]
    assert {"Key": ZONE_TAG, "Value": az} in described["Tags"]


def test_describe_vpcs_filters(ec2: Any, az: str) -> None:
    first = new_vpc(ec2, az=az, cidr="10.1.0.0/16", tags=[{"Key": "tier", "Value": "a"}])
    second = new_vpc(ec2, az=az, cidr="192.168.0.0/24")
    ids = {first["VpcId"], second["VpcId"]}

    def found(*filters: tuple[str, list[str]]) -> set[str]:
        listed = ec2.describe_vpcs(Filters=[{"Name": n, "Values": v} for n, v in filters])
        return {vpc["VpcId"] for vpc in listed["Vpcs"]} & ids

    assert found(("vpc-id", [first["VpcId"]])) == {first["VpcId"]}
    assert found(("cidr", ["192.168.0.0/24"])) == {second["VpcId"]}
    assert found(("cidr-block-association.cidr-block", ["10.1.*"])) == {first["VpcId"]}
    assert found(("is-default", ["false"])) == ids
    assert found(("state", ["available"])) == ids
    assert found(("owner-id", [first["OwnerId"]])) == ids
    assert found(("tag:tier", ["a"])) == {first["VpcId"]}
    assert _code(ec2.describe_vpcs, Filters=[{"Name": "color", "Values": ["x"]}]) == (
        "InvalidParameterValue"
    )


def test_bad_vpc_requests_get_aws_errors(ec2: Any, az: str) -> None:
    assert _code(ec2.create_vpc, CidrBlock="10.0.0.0/8") == "InvalidVpc.Range"
    assert _code(ec2.create_vpc, CidrBlock="10.0.0.0/29") == "InvalidVpc.Range"
    assert _code(ec2.create_vpc, CidrBlock="10.0.0.300/16") == "InvalidParameterValue"
    assert (
        _code(ec2.create_vpc, CidrBlock="10.0.0.0/16", InstanceTenancy="dedicated")
        == "InvalidParameterValue"
    )
    assert _code(ec2.describe_vpcs, VpcIds=["vpc-nothex"]) == "InvalidVpcID.Malformed"
    assert _code(ec2.describe_vpcs, VpcIds=["vpc-0123456789abcdef0"]) == "InvalidVpcID.NotFound"
    assert _code(ec2.delete_vpc, VpcId="vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"
    listed = ec2.describe_vpcs()["Vpcs"]
    assert all(vpc["CidrBlock"] not in ("10.0.0.0/8", "10.0.0.0/29") for vpc in listed)


def test_vpc_attributes_default_and_modify(ec2: Any, az: str) -> None:
    vpc_id = new_vpc(ec2, az=az)["VpcId"]

    def attribute(name: str, member: str) -> bool:
        answer = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=name)
        assert answer["VpcId"] == vpc_id
        return bool(answer[member]["Value"])

    assert attribute("enableDnsSupport", "EnableDnsSupport") is True
    assert attribute("enableDnsHostnames", "EnableDnsHostnames") is False
    assert attribute("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics") is (
        False
    )
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableNetworkAddressUsageMetrics={"Value": True})
    assert attribute("enableDnsHostnames", "EnableDnsHostnames") is True
    assert attribute("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics")
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": False})
    assert attribute("enableDnsSupport", "EnableDnsSupport") is False
    assert (
        _code(ec2.modify_vpc_attribute, VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        == "InvalidParameterValue"
    )
    assert (
        _code(ec2.describe_vpc_attribute, VpcId=vpc_id, Attribute="color")
        == "InvalidParameterValue"
    )
    assert _code(ec2.modify_vpc_attribute, VpcId=vpc_id) == "MissingParameter"


def test_no_vpc_has_classic_link(ec2: Any, az: str) -> None:
    vpc_id = new_vpc(ec2, az=az)["VpcId"]
    linked = ec2.describe_vpc_classic_link(VpcIds=[vpc_id])["Vpcs"]
    assert [(v["VpcId"], v["ClassicLinkEnabled"]) for v in linked] == [(vpc_id, False)]
    dns = ec2.describe_vpc_classic_link_dns_support(VpcIds=[vpc_id])["Vpcs"]
    assert dns == [{"VpcId": vpc_id, "ClassicLinkDnsSupported": False}]
    assert _code(ec2.describe_vpc_classic_link, VpcIds=["vpc-0123456789abcdef0"]) == (
        "InvalidVpcID.NotFound"
    )


def test_delete_vpc_refused_while_it_has_subnets(ec2: Any, az: str) -> None:
    vpc_id = new_vpc(ec2, az=az, cidr="10.30.0.0/16")["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    assert _code(ec2.delete_vpc, VpcId=vpc_id) == "DependencyViolation"
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=vpc_id)
    assert _code(ec2.describe_vpcs, VpcIds=[vpc_id]) == "InvalidVpcID.NotFound"


def test_create_default_vpc_once(ec2: Any) -> None:
    vpc = ec2.create_default_vpc()["Vpc"]
    assert vpc["IsDefault"] is True and vpc["CidrBlock"] == "172.31.0.0/16"
    assert _code(ec2.create_default_vpc) == "DefaultVpcAlreadyExists"
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert [found["VpcId"] for found in default] == [vpc["VpcId"]]
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is True


def test_default_vpc_reaches_the_internet_through_its_own_gateway(ec2: Any) -> None:
    vpc_id = ec2.create_default_vpc()["Vpc"]["VpcId"]
    attached = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    assert len(attached) == 1
    assert attached[0]["Attachments"] == [{"VpcId": vpc_id, "State": "available"}]
    [main] = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"]
    routes = {route["DestinationCidrBlock"]: route["GatewayId"] for route in main["Routes"]}
    assert routes == {"172.31.0.0/16": "local", "0.0.0.0/0": attached[0]["InternetGatewayId"]}
    [subnet] = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert subnet["DefaultForAz"] is True and subnet["MapPublicIpOnLaunch"] is True


def test_another_account_sees_none_of_the_vpcs(
    ec2: Any, az: str, alto_server: AltoServer, admin: Any
) -> None:
    vpc_id = new_vpc(ec2, az=az)["VpcId"]
    other = new_account(admin, endpoint=alto_server.endpoint)
    stranger = aws_client(alto_server, other, "ec2")
    assert vpc_id not in {vpc["VpcId"] for vpc in stranger.describe_vpcs()["Vpcs"]}
    assert _code(stranger.describe_vpcs, VpcIds=[vpc_id]) == "InvalidVpcID.NotFound"
    assert _code(stranger.delete_vpc, VpcId=vpc_id) == "InvalidVpcID.NotFound"
    assert (
        _code(stranger.modify_vpc_attribute, VpcId=vpc_id, EnableDnsSupport={"Value": False})
        == "InvalidVpcID.NotFound"
    )


@pytest.mark.parametrize(
    "cli",
    [
        CLI_V1,
        pytest.param(
            CLI_V2, marks=pytest.mark.skipif(not cli_available(CLI_V2), reason="no aws CLI v2")
        ),
    ],
)
def test_aws_cli_creates_a_vpc_and_subnet(
    alto_server: AltoServer, tenant: Tenant, az: str, cli: str
) -> None:
    spec = f"ResourceType=vpc,Tags=[{{Key={ZONE_TAG},Value={az}}}]"
    vpc = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "create-vpc",
        "--cidr-block",
        "10.40.0.0/16",
        "--tag-specifications",
        spec,
        cli=cli,
    )["Vpc"]
    aws_cli(alto_server, tenant, "ec2", "wait", "vpc-available", "--vpc-ids", vpc["VpcId"], cli=cli)
    subnet = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "create-subnet",
        "--vpc-id",
        vpc["VpcId"],
        "--cidr-block",
        "10.40.1.0/24",
        "--availability-zone",
        az,
        cli=cli,
    )["Subnet"]
    aws_cli(
        alto_server,
        tenant,
        "ec2",
        "wait",
        "subnet-available",
        "--subnet-ids",
        subnet["SubnetId"],
        cli=cli,
    )
    listed = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "describe-subnets",
        "--filters",
        f"Name=vpc-id,Values={vpc['VpcId']}",
        cli=cli,
    )["Subnets"]
    assert [(s["SubnetId"], s["CidrBlock"], s["AvailabilityZone"]) for s in listed] == [
        (subnet["SubnetId"], "10.40.1.0/24", az)
    ]
