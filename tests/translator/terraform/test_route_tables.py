"""Terraform's `aws_route_table` (with an inline route to an internet gateway) and
`aws_route_table_association` against Alto: `apply`, a second `plan` showing no changes, and
`destroy`."""

from __future__ import annotations

from pathlib import Path

from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique
from tests.support.terraform import run_terraform
from tests.support.zones import SimZone
from tests.translator.terraform.test_terraform import (
    DESTROY,
    apply_then_plan,
    prepare_vpc_configuration,
)

HERE = Path(__file__).parent


def test_route_table_with_a_gateway_route_and_an_association(
    tf_env: dict[str, str],
    workdir: Path,
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
) -> None:
    name = unique("tf-rtb")
    ec2 = prepare_vpc_configuration(
        workdir,
        server=alto_server,
        tenant=tenant,
        zone_id=ec2_zone.id,
        file="route_tables.tf",
        name=name,
    )

    state = apply_then_plan(workdir, tf_env)

    assert sorted(state.split()) == [
        "aws_internet_gateway.main",
        "aws_route_table.web",
        "aws_route_table_association.web",
        "aws_subnet.db",
        "aws_subnet.web",
        "aws_vpc.main",
    ]
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    [igw] = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}]
    )["InternetGateways"]
    [web] = ec2.describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
            {"Name": "cidr-block", "Values": ["10.88.1.0/24"]},
        ]
    )["Subnets"]
    [table] = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": [name]}])[
        "RouteTables"
    ]
    assert table["VpcId"] == vpc["VpcId"]
    assert table["Tags"] == [{"Key": "Name", "Value": name}]
    assert [
        (route["DestinationCidrBlock"], route["GatewayId"], route["State"])
        for route in table["Routes"]
    ] == [
        ("10.88.0.0/16", "local", "active"),
        ("0.0.0.0/0", igw["InternetGatewayId"], "active"),
    ]
    assert [(a["SubnetId"], a["Main"]) for a in table["Associations"]] == [(web["SubnetId"], False)]

    run_terraform(workdir, *DESTROY, env=tf_env)

    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"] == []
    assert (
        ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": [name]}])["RouteTables"]
        == []
    )
