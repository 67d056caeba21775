"""DHCP options through boto3: each VPC's own domain and DNS servers under its `dopt-` id;
options sets of an account's own (CreateDhcpOptions, AssociateDhcpOptions, DeleteDhcpOptions,
tags); bad configurations, sets in use and other accounts."""

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


def test_vpc_dhcp_options(
    alto_server: AltoServer, tenant: Tenant, admin: Any, ec2_zone: SimZone
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    vpc = new_vpc(ec2, az=az_of(ec2, ec2_zone.id), cidr="10.97.0.0/16")
    options_id = vpc["DhcpOptionsId"]
    assert options_id.startswith("dopt-")
    [options] = ec2.describe_dhcp_options(DhcpOptionsIds=[options_id])["DhcpOptions"]
    configurations = {
        c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]
    }
    assert configurations["domain-name-servers"] == ["AmazonProvidedDNS"]
    assert configurations["domain-name"][0].endswith("cloud.internal")
    assert options["OwnerId"] == vpc["OwnerId"]
    by_vpc = ec2.describe_vpcs(Filters=[{"Name": "dhcp-options-id", "Values": [options_id]}])
    assert [found["VpcId"] for found in by_vpc["Vpcs"]] == [vpc["VpcId"]]
    filtered = ec2.describe_dhcp_options(
        Filters=[{"Name": "value", "Values": ["AmazonProvidedDNS"]}]
    )["DhcpOptions"]
    assert [found["DhcpOptionsId"] for found in filtered] == [options_id]
    assert _code(ec2.describe_dhcp_options, DhcpOptionsIds=["dopt-0123456789abcdef0"]) == (
        "InvalidDhcpOptionID.NotFound"
    )
    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    assert stranger.describe_dhcp_options()["DhcpOptions"] == []
    assert _code(stranger.describe_dhcp_options, DhcpOptionsIds=[options_id]) == (
        "InvalidDhcpOptionID.NotFound"
    )


def _configurations(options: dict[str, Any]) -> dict[str, list[str]]:
    return {c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]}


CONFIGURATIONS = [
    {"Key": "domain-name", "Values": ["corp.example"]},
    {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS", "9.9.9.9"]},
    {"Key": "ntp-servers", "Values": ["10.0.0.123"]},
    {"Key": "netbios-name-servers", "Values": ["10.0.0.139", "10.0.0.140"]},
    {"Key": "netbios-node-type", "Values": ["2"]},
]


def test_options_sets_of_an_account(
    alto_server: AltoServer, tenant: Tenant, ec2_zone: SimZone
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    vpc = new_vpc(ec2, az=az_of(ec2, ec2_zone.id), cidr="10.96.0.0/16")
    own_default = vpc["DhcpOptionsId"]
    made = ec2.create_dhcp_options(
        DhcpConfigurations=CONFIGURATIONS,
        TagSpecifications=[
            {"ResourceType": "dhcp-options", "Tags": [{"Key": "Name", "Value": "corp"}]}
        ],
    )["DhcpOptions"]
    options_id = made["DhcpOptionsId"]
    assert options_id.startswith("dopt-") and options_id != own_default
    assert _configurations(made) == {c["Key"]: c["Values"] for c in CONFIGURATIONS}
    assert made["Tags"] == [{"Key": "Name", "Value": "corp"}]
    assert made["OwnerId"] == vpc["OwnerId"]

    [described] = ec2.describe_dhcp_options(DhcpOptionsIds=[options_id])["DhcpOptions"]
    assert described == made
    listed = {o["DhcpOptionsId"] for o in ec2.describe_dhcp_options()["DhcpOptions"]}
    assert listed == {own_default, options_id}
    for name, value in (("key", "ntp-servers"), ("value", "10.0.0.139"), ("tag:Name", "corp")):
        found = ec2.describe_dhcp_options(Filters=[{"Name": name, "Values": [value]}])
        assert [o["DhcpOptionsId"] for o in found["DhcpOptions"]] == [options_id], name
    ec2.create_tags(Resources=[options_id], Tags=[{"Key": "env", "Value": "prod"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["dhcp-options"]}])
    assert {(t["ResourceId"], t["Key"], t["Value"]) for t in tags["Tags"]} == {
        (options_id, "Name", "corp"),
        (options_id, "env", "prod"),
    }

    ec2.associate_dhcp_options(DhcpOptionsId=options_id, VpcId=vpc["VpcId"])
    [associated] = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"]
    assert associated["DhcpOptionsId"] == options_id
    by_options = ec2.describe_vpcs(Filters=[{"Name": "dhcp-options-id", "Values": [options_id]}])
    assert [found["VpcId"] for found in by_options["Vpcs"]] == [vpc["VpcId"]]
    assert _code(ec2.delete_dhcp_options, DhcpOptionsId=options_id) == "DependencyViolation"

    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc["VpcId"])
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["DhcpOptionsId"] == own_default
    ec2.associate_dhcp_options(DhcpOptionsId=options_id, VpcId=vpc["VpcId"])
    ec2.associate_dhcp_options(DhcpOptionsId=own_default, VpcId=vpc["VpcId"])
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["DhcpOptionsId"] == own_default
    ec2.delete_dhcp_options(DhcpOptionsId=options_id)
    assert _code(ec2.describe_dhcp_options, DhcpOptionsIds=[options_id]) == (
        "InvalidDhcpOptionID.NotFound"
    )
    assert _code(ec2.delete_dhcp_options, DhcpOptionsId=options_id) == (
        "InvalidDhcpOptionID.NotFound"
    )
    assert (
        ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [options_id]}])["Tags"] == []
    )


@pytest.mark.parametrize(
    "configurations",
    [
        [{"Key": "domain-search", "Values": ["corp.example"]}],
        [{"Key": "domain-name", "Values": ["a.example", "b.example"]}],
        [{"Key": "domain-name", "Values": ["not a domain"]}],
        [{"Key": "domain-name-servers", "Values": ["8.8.8.8", "resolver.example"]}],
        [
            {
                "Key": "ntp-servers",
                "Values": ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"],
            }
        ],
        [{"Key": "netbios-node-type", "Values": ["3"]}],
        [{"Key": "netbios-node-type", "Values": ["two"]}],
        [
            {"Key": "ntp-servers", "Values": ["10.0.0.1"]},
            {"Key": "ntp-servers", "Values": ["10.0.0.2"]},
        ],
        [{"Key": "ntp-servers", "Values": []}],
    ],
)
def test_bad_configurations(
    alto_server: AltoServer, tenant: Tenant, configurations: list[dict[str, Any]]
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    assert _code(ec2.create_dhcp_options, DhcpConfigurations=configurations) == (
        "InvalidParameterValue"
    )
    assert ec2.describe_dhcp_options()["DhcpOptions"] == []


def test_bad_ids_and_defaults(alto_server: AltoServer, tenant: Tenant, ec2_zone: SimZone) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    az = az_of(ec2, ec2_zone.id)
    vpc = new_vpc(ec2, az=az, cidr="10.95.0.0/16")
    other = new_vpc(ec2, az=az, cidr="10.94.0.0/16")
    assert _code(ec2.describe_dhcp_options, DhcpOptionsIds=["dopt-nope"]) == (
        "InvalidDhcpOptionsId.Malformed"
    )
    assert _code(ec2.create_dhcp_options, DhcpConfigurations=[]) == "MissingParameter"
    missing = "dopt-0123456789abcdef0"
    assert _code(ec2.associate_dhcp_options, DhcpOptionsId=missing, VpcId=vpc["VpcId"]) == (
        "InvalidDhcpOptionID.NotFound"
    )
    assert _code(ec2.delete_dhcp_options, DhcpOptionsId=missing) == ("InvalidDhcpOptionID.NotFound")
    made = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]}]
    )["DhcpOptions"]
    assert _code(
        ec2.associate_dhcp_options,
        DhcpOptionsId=made["DhcpOptionsId"],
        VpcId="vpc-0123456789abcdef0",
    ) == ("InvalidVpcID.NotFound")
    assert _code(
        ec2.associate_dhcp_options, DhcpOptionsId=other["DhcpOptionsId"], VpcId=vpc["VpcId"]
    ) == ("InvalidParameterValue")
    assert _code(ec2.delete_dhcp_options, DhcpOptionsId=vpc["DhcpOptionsId"]) == (
        "DependencyViolation"
    )
    ec2.delete_dhcp_options(DhcpOptionsId=made["DhcpOptionsId"])


def test_sets_are_private_to_their_account(
    alto_server: AltoServer, tenant: Tenant, admin: Any, ec2_zone: SimZone
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    made = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name", "Values": ["mine.example"]}]
    )["DhcpOptions"]
    options_id = made["DhcpOptionsId"]
    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    their_vpc = new_vpc(stranger, az=az_of(stranger, ec2_zone.id), cidr="10.93.0.0/16")
    assert [o["DhcpOptionsId"] for o in stranger.describe_dhcp_options()["DhcpOptions"]] == [
        their_vpc["DhcpOptionsId"]
    ]
    not_found = "InvalidDhcpOptionID.NotFound"
    assert _code(stranger.describe_dhcp_options, DhcpOptionsIds=[options_id]) == not_found
    assert (
        _code(stranger.associate_dhcp_options, DhcpOptionsId=options_id, VpcId=their_vpc["VpcId"])
        == not_found
    )
    assert _code(stranger.delete_dhcp_options, DhcpOptionsId=options_id) == not_found
    assert (
        _code(stranger.create_tags, Resources=[options_id], Tags=[{"Key": "k", "Value": "v"}])
        == not_found
    )
    assert [o["DhcpOptionsId"] for o in ec2.describe_dhcp_options()["DhcpOptions"]] == [options_id]
