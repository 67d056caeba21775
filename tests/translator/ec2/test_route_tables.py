"""DescribeRouteTables through boto3: each VPC's main route table."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import aws_client
from tests.support.ec2_vpc import az_of, new_vpc
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.vms import deploy
from tests.support.zones import SimZone


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return str(caught.value.response["Error"]["Code"])


def test_each_vpc_has_its_main_route_table(
    alto_server: AltoServer, tenant: Tenant, admin: Any, ec2_zone: SimZone
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    az = az_of(ec2, ec2_zone.id)
    first = new_vpc(ec2, az=az, cidr="10.80.0.0/16")["VpcId"]
    second = new_vpc(ec2, az=az, cidr="10.81.0.0/16")["VpcId"]
    main = ec2.describe_route_tables(
        Filters=[
            {"Name": "association.main", "Values": ["true"]},
            {"Name": "vpc-id", "Values": [first]},
        ]
    )["RouteTables"]
    [table] = main
    table_id = table["RouteTableId"]
    assert table_id.startswith("rtb-") and len(table_id) == 21
    assert table["VpcId"] == first
    assert table["Routes"] == [
        {
            "DestinationCidrBlock": "10.80.0.0/16",
            "GatewayId": "local",
            "Origin": "CreateRouteTable",
            "State": "active",
        }
    ]
    [association] = table["Associations"]
    assert association["Main"] is True and association["RouteTableId"] == table_id
    assert association["RouteTableAssociationId"].startswith("rtbassoc-")
    everything = ec2.describe_route_tables()["RouteTables"]
    assert {t["VpcId"] for t in everything} == {first, second}
    assert ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"] == [table]
    assert ec2.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [table_id]}])[
        "RouteTables"
    ] == [table]
    assert (
        ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": ["subnet-0123456789abcdef0"]}]
        )["RouteTables"]
        == []
    )
    assert _code(ec2.describe_route_tables, RouteTableIds=["rtb-0123456789abcdef0"]) == (
        "InvalidRouteTableID.NotFound"
    )
    assert _code(ec2.describe_route_tables, RouteTableIds=["rtb-x"]) == (
        "InvalidRouteTableID.Malformed"
    )
    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    assert stranger.describe_route_tables()["RouteTables"] == []
    assert _code(stranger.describe_route_tables, RouteTableIds=[table_id]) == (
        "InvalidRouteTableID.NotFound"
    )


def test_routes_to_an_instance_are_static_routes_of_the_vpc(
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    vpc_id = new_vpc(ec2, az=az_of(ec2, ec2_zone.id), cidr="10.82.0.0/16")["VpcId"]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.82.1.0/24")
    user = tenant.client()
    [native_vpc] = user.listVPCs(cidr="10.82.0.0/16")["vpc"]
    [tier] = user.listNetworks(vpcid=native_vpc["id"])["network"]
    deploy(user, ec2_zone, ec2_offering, ec2_template, networkids=tier["id"])
    [eni] = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NetworkInterfaces"
    ]
    instance_id = eni["Attachment"]["InstanceId"]
    [table] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    table_id = table["RouteTableId"]

    answer = ec2.create_route(
        RouteTableId=table_id, DestinationCidrBlock="192.168.50.0/24", InstanceId=instance_id
    )
    assert answer["Return"] is True
    [native_route] = user.listStaticRoutes(vpcid=native_vpc["id"])["staticroute"]
    assert (native_route["cidr"], native_route["nexthop"]) == (
        "192.168.50.0/24",
        eni["PrivateIpAddress"],
    )
    [shown] = [
        route
        for route in ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]["Routes"]
        if route["DestinationCidrBlock"] == "192.168.50.0/24"
    ]
    assert shown["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    assert shown["InstanceId"] == instance_id and shown["State"] == "active"
    assert (
        _code(
            ec2.create_route,
            RouteTableId=table_id,
            DestinationCidrBlock="192.168.50.0/24",
            NetworkInterfaceId=eni["NetworkInterfaceId"],
        )
        == "RouteAlreadyExists"
    )
    assert (
        _code(
            ec2.create_route,
            RouteTableId=table_id,
            DestinationCidrBlock="10.82.5.0/24",
            InstanceId=instance_id,
        )
        == "InvalidParameterValue"
    )
    assert (
        _code(
            ec2.create_route,
            RouteTableId=table_id,
            DestinationCidrBlock="192.168.60.0/24",
            NatGatewayId="nat-0123456789abcdef0",
        )
        == "InvalidParameterValue"
    )
    ec2.replace_route(
        RouteTableId=table_id,
        DestinationCidrBlock="192.168.50.0/24",
        NetworkInterfaceId=eni["NetworkInterfaceId"],
    )
    assert len(user.listStaticRoutes(vpcid=native_vpc["id"])["staticroute"]) == 1
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="192.168.50.0/24")
    assert "staticroute" not in user.listStaticRoutes(vpcid=native_vpc["id"])
    assert (
        _code(ec2.delete_route, RouteTableId=table_id, DestinationCidrBlock="192.168.50.0/24")
        == "InvalidRoute.NotFound"
    )
    assert (
        _code(
            ec2.replace_route,
            RouteTableId=table_id,
            DestinationCidrBlock="192.168.50.0/24",
            InstanceId=instance_id,
        )
        == "InvalidRoute.NotFound"
    )
