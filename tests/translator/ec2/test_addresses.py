"""Elastic IP addresses through boto3 and the aws CLI: Allocate, Associate, Disassociate,
Release, DescribeAddresses (filters), DescribeAddressesAttribute, errors and tenant
isolation. Instances are native VMs on the tenant's default subnet (or on another VPC)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, aws_client, cli_available
from tests.support.ec2_addresses import (
    Site,
    aws_id_of,
    default_subnet_in,
    instance,
    other_vpc_tier,
)
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.zones import SimZone

ALLOCATION = re.compile(r"eipalloc-[0-9a-f]{17}")
ASSOCIATION = re.compile(r"eipassoc-[0-9a-f]{17}")
MISSING_ALLOCATION = "eipalloc-0123456789abcdef0"


@pytest.fixture(scope="module")
def site(
    alto_server: AltoServer,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> Site:
    return Site(alto_server, ec2_zone, ec2_template, ec2_offering)


@pytest.fixture
def client(tenant: Tenant) -> CloudStack:
    return tenant.client()


@pytest.fixture
def subnet(client: CloudStack, site: Site) -> str:
    """The tenant's default subnet (native network id), in the EC2 test zone."""
    return default_subnet_in(client, site.zone)


@pytest.fixture
def ec2(alto_server: AltoServer, tenant: Tenant, subnet: str) -> Any:
    return aws_client(alto_server, tenant, "ec2")


def _error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] in (400, 500)
    return str(response["Error"]["Code"]), str(response["Error"]["Message"])


def _code(call: Any, **kwargs: Any) -> str:
    return _error(call, **kwargs)[0]


def _addresses(ec2: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return list(ec2.describe_addresses(**kwargs)["Addresses"])


def _names(addresses: list[dict[str, Any]]) -> set[str]:
    return {address["AllocationId"] for address in addresses}


def _filter(name: str, *values: str) -> dict[str, Any]:
    return {"Filters": [{"Name": name, "Values": list(values)}]}


def test_allocate_describe_release(ec2: Any, client: CloudStack, subnet: str) -> None:
    tags = [{"Key": "Name", "Value": "web"}, {"Key": "team", "Value": "blue"}]
    allocated = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tags}]
    )
    allocation_id = allocated["AllocationId"]
    assert ALLOCATION.fullmatch(allocation_id)
    assert allocated["PublicIp"].startswith("203.0.113.")
    assert allocated["Domain"] == "vpc" and allocated["PublicIpv4Pool"] == "amazon"
    assert allocated["NetworkBorderGroup"] == "us-east-1"
    [address] = _addresses(ec2, AllocationIds=[allocation_id])
    assert address == {
        "PublicIp": allocated["PublicIp"],
        "AllocationId": allocation_id,
        "Domain": "vpc",
        "PublicIpv4Pool": "amazon",
        "NetworkBorderGroup": "us-east-1",
        "Tags": tags,
    }
    [vpc] = client.listNetworks(id=subnet)["network"]
    [source_nat] = client.listPublicIpAddresses(vpcid=vpc["vpcid"], issourcenat=True)[
        "publicipaddress"
    ]
    assert source_nat["ipaddress"] != allocated["PublicIp"]
    assert _addresses(ec2) == [address]
    assert _addresses(ec2, PublicIps=[allocated["PublicIp"]]) == [address]
    for name, value in [
        ("allocation-id", allocation_id),
        ("public-ip", allocated["PublicIp"]),
        ("domain", "vpc"),
        ("tag:Name", "web"),
        ("tag-key", "team"),
        ("public-ipv4-pool", "amazon"),
        ("network-border-group", "us-east-1"),
    ]:
        assert _addresses(ec2, **_filter(name, value)) == [address], name
    assert _addresses(ec2, **_filter("tag:Name", "db")) == []
    assert _addresses(ec2, **_filter("instance-id", "i-*")) == []

    second = ec2.allocate_address()
    assert second["AllocationId"] != allocation_id and second["Domain"] == "vpc"
    assert _names(_addresses(ec2)) == {allocation_id, second["AllocationId"]}

    ec2.release_address(AllocationId=allocation_id)
    assert _names(_addresses(ec2)) == {second["AllocationId"]}
    assert _code(ec2.describe_addresses, AllocationIds=[allocation_id]) == (
        "InvalidAllocationID.NotFound"
    )
    assert _code(ec2.release_address, AllocationId=allocation_id) == (
        "InvalidAllocationID.NotFound"
    )
    ec2.release_address(PublicIp=second["PublicIp"])
    assert _addresses(ec2) == []


def test_source_nat_is_not_an_elastic_ip(
    ec2: Any, client: CloudStack, subnet: str, alto_server: AltoServer
) -> None:
    ec2.allocate_address()
    [vpc] = client.listNetworks(id=subnet)["network"]
    [source_nat] = client.listPublicIpAddresses(vpcid=vpc["vpcid"], issourcenat=True)[
        "publicipaddress"
    ]
    snat_id = aws_id_of(alto_server, "elastic-ip", source_nat["id"])
    assert snat_id not in _names(_addresses(ec2))
    assert _code(ec2.release_address, AllocationId=snat_id) == "InvalidAllocationID.NotFound"
    assert _code(ec2.describe_addresses, PublicIps=[source_nat["ipaddress"]]) == (
        "InvalidAddress.NotFound"
    )
    assert client.listPublicIpAddresses(id=source_nat["id"])["publicipaddress"][0]["issourcenat"]


def test_associate_and_disassociate(
    ec2: Any, site: Site, tenant: Tenant, client: CloudStack, subnet: str, alto_server: AltoServer
) -> None:
    allocated = ec2.allocate_address(Domain="vpc")
    allocation_id = allocated["AllocationId"]
    first, second = (instance(site, client, subnet) for _ in range(2))
    first_id = aws_id_of(alto_server, "instance", first["id"])
    second_id = aws_id_of(alto_server, "instance", second["id"])
    nic_id = aws_id_of(alto_server, "network-interface", first["nic"][0]["id"])
    account = aws_client(alto_server, tenant, "sts").get_caller_identity()["Account"]

    association = ec2.associate_address(AllocationId=allocation_id, InstanceId=first_id)
    association_id = association["AssociationId"]
    assert ASSOCIATION.fullmatch(association_id)
    [address] = _addresses(ec2, AllocationIds=[allocation_id])
    assert address["AssociationId"] == association_id
    assert address["InstanceId"] == first_id and address["NetworkInterfaceId"] == nic_id
    assert address["PrivateIpAddress"] == first["nic"][0]["ipaddress"]
    assert address["NetworkInterfaceOwnerId"] == account
    for name, value in [
        ("association-id", association_id),
        ("instance-id", first_id),
        ("network-interface-id", nic_id),
        ("private-ip-address", first["nic"][0]["ipaddress"]),
        ("network-interface-owner-id", account),
    ]:
        assert _addresses(ec2, **_filter(name, value)) == [address], name
    assert _addresses(ec2, AllocationIds=[allocation_id]) == [address]
    again = ec2.associate_address(AllocationId=allocation_id, InstanceId=first_id)
    assert again["AssociationId"] == association_id

    code, message = _error(ec2.associate_address, AllocationId=allocation_id, InstanceId=second_id)
    assert code == "Resource.AlreadyAssociated" and association_id in message
    code, _ = _error(ec2.release_address, AllocationId=allocation_id)
    assert code == "InvalidIPAddress.InUse"
    moved = ec2.associate_address(
        AllocationId=allocation_id, InstanceId=second_id, AllowReassociation=True
    )["AssociationId"]
    assert ASSOCIATION.fullmatch(moved) and moved != association_id
    [address] = _addresses(ec2, AllocationIds=[allocation_id])
    assert (address["AssociationId"], address["InstanceId"]) == (moved, second_id)

    ec2.disassociate_address(AssociationId=moved)
    [address] = _addresses(ec2, AllocationIds=[allocation_id])
    assert "AssociationId" not in address and "InstanceId" not in address
    assert _code(ec2.disassociate_address, AssociationId=moved) == ("InvalidAssociationID.NotFound")
    third = ec2.associate_address(PublicIp=allocated["PublicIp"], NetworkInterfaceId=nic_id)
    assert third["AssociationId"] not in (association_id, moved)
    assert _addresses(ec2, AllocationIds=[allocation_id])[0]["InstanceId"] == first_id
    ec2.disassociate_address(PublicIp=allocated["PublicIp"])
    ec2.release_address(AllocationId=allocation_id)
    assert _addresses(ec2) == []


def test_associate_with_an_instance_of_another_vpc(
    ec2: Any, site: Site, client: CloudStack, alto_server: AltoServer
) -> None:
    tier = other_vpc_tier(client, site.zone)
    vm = instance(site, client, tier["id"])
    vm_id = aws_id_of(alto_server, "instance", vm["id"])
    allocation_id = ec2.allocate_address()["AllocationId"]
    private_ip = vm["nic"][0]["ipaddress"]
    association_id = ec2.associate_address(
        AllocationId=allocation_id, InstanceId=vm_id, PrivateIpAddress=private_ip
    )["AssociationId"]
    [address] = _addresses(ec2, **_filter("association-id", association_id))
    assert (address["InstanceId"], address["PrivateIpAddress"]) == (vm_id, private_ip)
    ec2.disassociate_address(AssociationId=association_id)
    ec2.release_address(AllocationId=allocation_id)


def test_association_errors(
    ec2: Any, site: Site, client: CloudStack, subnet: str, alto_server: AltoServer
) -> None:
    allocation_id = ec2.allocate_address()["AllocationId"]
    vm = instance(site, client, subnet)
    vm_id = aws_id_of(alto_server, "instance", vm["id"])
    missing_instance = "i-0123456789abcdef0"
    cases: list[tuple[str, dict[str, Any]]] = [
        ("MissingParameter", {"AllocationId": allocation_id}),
        ("MissingParameter", {"InstanceId": vm_id}),
        ("InvalidAllocationID.Malformed", {"AllocationId": "eipalloc-xyz", "InstanceId": vm_id}),
        ("InvalidAllocationID.NotFound", {"AllocationId": MISSING_ALLOCATION, "InstanceId": vm_id}),
        ("InvalidAddress.NotFound", {"PublicIp": "198.51.100.7", "InstanceId": vm_id}),
        (
            "InvalidInstanceID.NotFound",
            {"AllocationId": allocation_id, "InstanceId": missing_instance},
        ),
        ("InvalidInstanceID.Malformed", {"AllocationId": allocation_id, "InstanceId": "i-nope"}),
        (
            "InvalidParameterValue",
            {"AllocationId": allocation_id, "InstanceId": vm_id, "PrivateIpAddress": "10.9.9.9"},
        ),
    ]
    for expected, params in cases:
        assert _code(ec2.associate_address, **params) == expected, params
    assert _code(ec2.disassociate_address) == "MissingParameter"
    assert _code(ec2.disassociate_address, AssociationId="eipassoc-0123456789abcdef0") == (
        "InvalidAssociationID.NotFound"
    )
    assert _code(ec2.disassociate_address, AssociationId="nonsense") == (
        "InvalidAssociationID.NotFound"
    )
    assert _code(ec2.release_address) == "MissingParameter"
    assert _code(ec2.release_address, AllocationId="eipalloc-xyz") == (
        "InvalidAllocationID.Malformed"
    )
    assert _addresses(ec2, AllocationIds=[allocation_id])[0].get("AssociationId") is None


def test_allocation_errors(ec2: Any, tenant: Tenant, admin: CloudStack) -> None:
    assert _code(ec2.allocate_address, Domain="standard") == "InvalidParameterValue"
    assert _code(ec2.allocate_address, PublicIpv4Pool="ipv4pool-ec2-1") == ("InvalidParameterValue")
    assert _code(ec2.allocate_address, NetworkBorderGroup="eu-west-1") == ("InvalidParameterValue")
    assert _code(ec2.describe_addresses, **_filter("bogus", "x")) == "InvalidParameterValue"
    assert _code(ec2.describe_addresses, AllocationIds=[MISSING_ALLOCATION]) == (
        "InvalidAllocationID.NotFound"
    )
    assert _code(ec2.describe_addresses, PublicIps=["198.51.100.7"]) == ("InvalidAddress.NotFound")
    kept = ec2.allocate_address()
    admin.updateResourceLimit(resourcetype=1, max=2, account=tenant.name, domainid=tenant.domainid)
    code, _ = _error(ec2.allocate_address)
    assert code == "AddressLimitExceeded"
    assert _names(_addresses(ec2)) == {kept["AllocationId"]}


def test_describe_addresses_attribute(ec2: Any) -> None:
    allocated = [ec2.allocate_address() for _ in range(3)]
    expected = sorted(
        ({"PublicIp": a["PublicIp"], "AllocationId": a["AllocationId"]} for a in allocated),
        key=lambda a: a["AllocationId"],
    )
    answer = ec2.describe_addresses_attribute(Attribute="domain-name")
    assert answer["Addresses"] == expected and "NextToken" not in answer
    one = ec2.describe_addresses_attribute(
        AllocationIds=[expected[1]["AllocationId"]], Attribute="domain-name"
    )
    assert one["Addresses"] == [expected[1]]
    paged = ec2.describe_addresses_attribute(Attribute="domain-name", MaxResults=5)
    assert paged["Addresses"] == expected
    assert _code(ec2.describe_addresses_attribute, Attribute="nope") == "InvalidParameterValue"
    assert (
        _code(
            ec2.describe_addresses_attribute,
            AllocationIds=[MISSING_ALLOCATION],
            Attribute="domain-name",
        )
        == "InvalidAllocationID.NotFound"
    )


def test_dry_run(ec2: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ec2.allocate_address(DryRun=True)
    assert caught.value.response["Error"]["Code"] == "DryRunOperation"
    assert _addresses(ec2) == []


def test_tenant_isolation(
    ec2: Any,
    site: Site,
    admin: CloudStack,
    client: CloudStack,
    subnet: str,
    alto_server: AltoServer,
) -> None:
    allocated = ec2.allocate_address()
    allocation_id = allocated["AllocationId"]
    vm = instance(site, client, subnet)
    vm_id = aws_id_of(alto_server, "instance", vm["id"])
    association_id = ec2.associate_address(AllocationId=allocation_id, InstanceId=vm_id)[
        "AssociationId"
    ]

    other = new_account(admin, endpoint=alto_server.endpoint)
    default_subnet_in(other.client(), site.zone)
    theirs = aws_client(alto_server, other, "ec2")
    assert _addresses(theirs) == []
    assert _addresses(theirs, **_filter("instance-id", vm_id)) == []
    assert _code(theirs.describe_addresses, AllocationIds=[allocation_id]) == (
        "InvalidAllocationID.NotFound"
    )
    assert _code(theirs.describe_addresses, PublicIps=[allocated["PublicIp"]]) == (
        "InvalidAddress.NotFound"
    )
    assert _code(theirs.release_address, AllocationId=allocation_id) == (
        "InvalidAllocationID.NotFound"
    )
    assert _code(theirs.disassociate_address, AssociationId=association_id) == (
        "InvalidAssociationID.NotFound"
    )
    own = theirs.allocate_address()["AllocationId"]
    assert _code(theirs.associate_address, AllocationId=own, InstanceId=vm_id) == (
        "InvalidInstanceID.NotFound"
    )
    assert (
        _code(theirs.associate_address, AllocationId=allocation_id, InstanceId=vm_id)
        == "InvalidAllocationID.NotFound"
    )
    [address] = _addresses(ec2)
    assert address["AssociationId"] == association_id


@pytest.mark.parametrize(
    "cli",
    [
        CLI_V1,
        pytest.param(
            CLI_V2,
            marks=pytest.mark.skipif(not cli_available(CLI_V2), reason="no aws CLI v2"),
        ),
    ],
)
def test_cli_allocate_describe_release(
    cli: str, tenant: Tenant, subnet: str, alto_server: AltoServer
) -> None:
    allocated = aws_cli(alto_server, tenant, "ec2", "allocate-address", "--domain", "vpc", cli=cli)
    allocation_id = allocated["AllocationId"]
    assert ALLOCATION.fullmatch(allocation_id) and allocated["Domain"] == "vpc"
    described = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "describe-addresses",
        "--allocation-ids",
        allocation_id,
        cli=cli,
    )
    assert [a["PublicIp"] for a in described["Addresses"]] == [allocated["PublicIp"]]
    aws_cli(
        alto_server, tenant, "ec2", "release-address", "--allocation-id", allocation_id, cli=cli
    )
    listed = aws_cli(alto_server, tenant, "ec2", "describe-addresses", cli=cli)
    assert listed["Addresses"] == []
