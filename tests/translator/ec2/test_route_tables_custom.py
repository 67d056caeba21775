"""Route tables of their own through boto3: CreateRouteTable with tags, routes to an
internet gateway, AssociateRouteTable / ReplaceRouteTableAssociation /
DisassociateRouteTable, DeleteRouteTable, their errors, and other accounts."""

from __future__ import annotations

from dataclasses import dataclass
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


def _table(ec2: Any, table_id: str) -> dict[str, Any]:
    [table] = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"]
    return dict(table)


@dataclass(frozen=True)
class Vpc:
    """A tenant's VPC with two subnets and a route table of its own (tagged Name=web)."""

    ec2: Any
    vpc_id: str
    subnet_id: str
    other_subnet: str
    table_id: str
    main_id: str


@pytest.fixture
def vpc(alto_server: AltoServer, tenant: Tenant, ec2_zone: SimZone) -> Vpc:
    ec2 = aws_client(alto_server, tenant, "ec2")
    vpc_id = new_vpc(ec2, az=az_of(ec2, ec2_zone.id), cidr="10.84.0.0/16")["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.84.1.0/24")["Subnet"]["SubnetId"]
    other_subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.84.2.0/24")["Subnet"]["SubnetId"]
    table_id = ec2.create_route_table(
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "web"}]}
        ],
    )["RouteTable"]["RouteTableId"]
    [main] = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"]
    return Vpc(ec2, vpc_id, subnet_id, other_subnet, table_id, main["RouteTableId"])


def _attached_gateway(vpc: Vpc) -> str:
    igw = str(vpc.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"])
    vpc.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc.vpc_id)
    return igw


def test_a_new_table_has_the_local_route_and_its_tags(vpc: Vpc) -> None:
    ec2, table_id = vpc.ec2, vpc.table_id
    created = _table(ec2, table_id)
    assert table_id.startswith("rtb-") and created["VpcId"] == vpc.vpc_id
    assert created["Associations"] == [] and created["Tags"] == [{"Key": "Name", "Value": "web"}]
    assert created["Routes"] == [
        {
            "DestinationCidrBlock": "10.84.0.0/16",
            "GatewayId": "local",
            "Origin": "CreateRouteTable",
            "State": "active",
        }
    ]
    ec2.create_tags(Resources=[table_id], Tags=[{"Key": "tier", "Value": "public"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [table_id]}])["Tags"]
    assert {(t["Key"], t["ResourceType"]) for t in tags} == {
        ("Name", "route-table"),
        ("tier", "route-table"),
    }


def test_routes_to_an_internet_gateway(vpc: Vpc) -> None:
    ec2, table_id = vpc.ec2, vpc.table_id
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    default = {"RouteTableId": table_id, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw}
    assert _code(ec2.create_route, **default) == "InvalidParameterValue"
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc.vpc_id)
    ec2.create_route(**default)
    assert _code(ec2.create_route, **default) == "RouteAlreadyExists"
    assert _table(ec2, table_id)["Routes"][1] == {
        "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": igw,
        "Origin": "CreateRoute",
        "State": "active",
    }
    assert [r["DestinationCidrBlock"] for r in _table(ec2, vpc.main_id)["Routes"]] == [
        "10.84.0.0/16",
        "0.0.0.0/0",
    ]
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0")
    assert [r["DestinationCidrBlock"] for r in _table(ec2, table_id)["Routes"]] == ["10.84.0.0/16"]


def test_associate_replace_and_disassociate(vpc: Vpc) -> None:
    ec2, table_id = vpc.ec2, vpc.table_id
    answer = ec2.associate_route_table(RouteTableId=table_id, SubnetId=vpc.subnet_id)
    association_id = answer["AssociationId"]
    assert association_id.startswith("rtbassoc-")
    assert answer["AssociationState"] == {"State": "associated"}
    assert _table(ec2, table_id)["Associations"] == [
        {
            "Main": False,
            "RouteTableAssociationId": association_id,
            "RouteTableId": table_id,
            "SubnetId": vpc.subnet_id,
            "AssociationState": {"State": "associated"},
        }
    ]
    [found] = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [vpc.subnet_id]}]
    )["RouteTables"]
    assert found["RouteTableId"] == table_id
    assert (
        _code(ec2.associate_route_table, RouteTableId=vpc.main_id, SubnetId=vpc.subnet_id)
        == "Resource.AlreadyAssociated"
    )

    second = ec2.create_route_table(VpcId=vpc.vpc_id)["RouteTable"]["RouteTableId"]
    replaced = ec2.replace_route_table_association(
        AssociationId=association_id, RouteTableId=second
    )
    assert replaced["AssociationState"] == {"State": "associated"}
    assert _table(ec2, table_id)["Associations"] == []
    [moved] = _table(ec2, second)["Associations"]
    assert moved["SubnetId"] == vpc.subnet_id
    ec2.disassociate_route_table(AssociationId=replaced["NewAssociationId"])
    assert _table(ec2, second)["Associations"] == []
    assert (
        _code(ec2.disassociate_route_table, AssociationId=replaced["NewAssociationId"])
        == "InvalidAssociationID.NotFound"
    )
    assert (
        _code(ec2.disassociate_route_table, AssociationId="rtbassoc-x")
        == "InvalidAssociationID.Malformed"
    )


def test_delete_route_table(vpc: Vpc) -> None:
    ec2, table_id = vpc.ec2, vpc.table_id
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=vpc.other_subnet)
    assert _code(ec2.delete_route_table, RouteTableId=table_id) == "DependencyViolation"
    assert _code(ec2.delete_route_table, RouteTableId=vpc.main_id) == "DependencyViolation"
    second = ec2.create_route_table(VpcId=vpc.vpc_id)["RouteTable"]["RouteTableId"]
    ec2.delete_route_table(RouteTableId=second)
    assert _code(ec2.describe_route_tables, RouteTableIds=[second]) == (
        "InvalidRouteTableID.NotFound"
    )


def test_tables_of_another_vpc_or_account(
    vpc: Vpc, alto_server: AltoServer, admin: Any, ec2_zone: SimZone
) -> None:
    ec2, table_id = vpc.ec2, vpc.table_id
    igw = _attached_gateway(vpc)
    other_vpc = new_vpc(ec2, az=az_of(ec2, ec2_zone.id), cidr="10.85.0.0/16")["VpcId"]
    foreign = ec2.create_route_table(VpcId=other_vpc)["RouteTable"]["RouteTableId"]
    assert (
        _code(ec2.associate_route_table, RouteTableId=foreign, SubnetId=vpc.subnet_id)
        == "InvalidParameterValue"
    )
    default = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw}
    assert _code(ec2.create_route, RouteTableId=foreign, **default) == "InvalidParameterValue"

    association_id = ec2.associate_route_table(RouteTableId=table_id, SubnetId=vpc.subnet_id)[
        "AssociationId"
    ]

    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    assert stranger.describe_route_tables()["RouteTables"] == []
    assert _code(stranger.describe_route_tables, RouteTableIds=[table_id]) == (
        "InvalidRouteTableID.NotFound"
    )
    assert _code(stranger.delete_route_table, RouteTableId=table_id) == (
        "InvalidRouteTableID.NotFound"
    )
    assert _code(stranger.create_route_table, VpcId=vpc.vpc_id) == "InvalidVpcID.NotFound"
    assert (
        _code(stranger.create_route, RouteTableId=table_id, **default)
        == "InvalidRouteTableID.NotFound"
    )
    assert (
        _code(stranger.disassociate_route_table, AssociationId=association_id)
        == "InvalidAssociationID.NotFound"
    )


def test_route_and_table_limits(vpc: Vpc, tenant: Tenant, admin: Any) -> None:
    ec2 = vpc.ec2
    igw = _attached_gateway(vpc)
    admin.updateConfiguration(name="vpc.max.route.tables", value="2", accountid=tenant.id)
    admin.updateConfiguration(name="vpc.route.table.max.routes", value="1", accountid=tenant.id)
    assert _code(ec2.create_route_table, VpcId=vpc.vpc_id) == "RouteTableLimitExceeded"
    ec2.create_route(RouteTableId=vpc.table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    second = {"DestinationCidrBlock": "203.0.113.0/24", "GatewayId": igw}
    assert _code(ec2.create_route, RouteTableId=vpc.table_id, **second) == "RouteLimitExceeded"
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc.vpc_id]}])
    assert len(tables["RouteTables"]) == 2
    destinations = [route["DestinationCidrBlock"] for route in _table(ec2, vpc.table_id)["Routes"]]
    assert sorted(destinations) == ["0.0.0.0/0", "10.84.0.0/16"]
