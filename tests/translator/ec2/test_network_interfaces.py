"""DescribeNetworkInterfaces through boto3: the NIC of an instance in a VPC subnet."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import aws_client
from tests.support.ec2_instances import Ec2Site
from tests.support.ec2_vpc import az_of, new_vpc
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.vms import deploy
from tests.support.zones import SimZone


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return str(caught.value.response["Error"]["Code"])


def test_instance_nic_is_a_network_interface_of_its_subnet(
    alto_server: AltoServer,
    tenant: Tenant,
    admin: Any,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    az = az_of(ec2, ec2_zone.id)
    vpc_id = new_vpc(ec2, az=az, cidr="10.70.0.0/16")["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.70.1.0/24")["Subnet"]
    user = tenant.client()
    [tier] = user.listNetworks(vpcid=user.listVPCs(cidr="10.70.0.0/16")["vpc"][0]["id"])["network"]
    vm = deploy(user, ec2_zone, ec2_offering, ec2_template, networkids=tier["id"])
    nic = vm["nic"][0]

    listed = ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [subnet["SubnetId"]]}]
    )["NetworkInterfaces"]
    [eni] = listed
    assert eni["NetworkInterfaceId"].startswith("eni-")
    assert (eni["SubnetId"], eni["VpcId"], eni["AvailabilityZone"]) == (
        subnet["SubnetId"],
        vpc_id,
        az,
    )
    assert eni["PrivateIpAddress"] == nic["ipaddress"]
    assert eni["PrivateIpAddresses"] == [{"PrivateIpAddress": nic["ipaddress"], "Primary": True}]
    assert eni["MacAddress"] == nic["macaddress"]
    assert (eni["Status"], eni["InterfaceType"]) == ("in-use", "interface")
    attachment = eni["Attachment"]
    assert attachment["InstanceId"].startswith("i-")
    assert (attachment["DeviceIndex"], attachment["Status"]) == (0, "attached")
    assert attachment["AttachmentId"].startswith("eni-attach-")
    assert eni["RequesterManaged"] is False and eni["SourceDestCheck"] is True
    assert eni["OwnerId"] == subnet["OwnerId"]
    by_id = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])
    assert by_id["NetworkInterfaces"] == [eni]
    by_instance = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [attachment["InstanceId"]]}]
    )
    assert by_instance["NetworkInterfaces"] == [eni]
    refreshed = ec2.describe_subnets(SubnetIds=[subnet["SubnetId"]])["Subnets"][0]
    assert refreshed["AvailableIpAddressCount"] == 250
    assert _code(ec2.delete_subnet, SubnetId=subnet["SubnetId"]) == "DependencyViolation"
    assert _code(ec2.delete_vpc, VpcId=vpc_id) == "DependencyViolation"

    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    assert stranger.describe_network_interfaces()["NetworkInterfaces"] == []
    assert (
        _code(
            stranger.describe_network_interfaces,
            NetworkInterfaceIds=[eni["NetworkInterfaceId"]],
        )
        == "InvalidNetworkInterfaceID.NotFound"
    )


def test_network_interfaces_take_tags(site: Ec2Site, admin: Any) -> None:
    ec2 = site.ec2
    launched = site.run(
        TagSpecifications=[
            {"ResourceType": "network-interface", "Tags": [{"Key": "role", "Value": "web"}]}
        ]
    )
    instance_id = launched["Instances"][0]["InstanceId"]
    by_instance = [{"Name": "attachment.instance-id", "Values": [instance_id]}]
    [eni] = ec2.describe_network_interfaces(Filters=by_instance)["NetworkInterfaces"]
    eni_id = eni["NetworkInterfaceId"]
    assert eni["TagSet"] == [{"Key": "role", "Value": "web"}]

    ec2.create_tags(Resources=[eni_id], Tags=[{"Key": "Name", "Value": "front"}])
    named = ec2.describe_network_interfaces(Filters=[{"Name": "tag:Name", "Values": ["front"]}])
    assert [found["NetworkInterfaceId"] for found in named["NetworkInterfaces"]] == [eni_id]
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [eni_id]}])["Tags"]
    assert sorted((tag["Key"], tag["Value"], tag["ResourceType"]) for tag in described) == [
        ("Name", "front", "network-interface"),
        ("role", "web", "network-interface"),
    ]
    ec2.delete_tags(Resources=[eni_id], Tags=[{"Key": "role"}])
    [eni] = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    assert eni["TagSet"] == [{"Key": "Name", "Value": "front"}]

    stranger = aws_client(site.server, new_account(admin, endpoint=site.server.endpoint), "ec2")
    assert (
        _code(stranger.create_tags, Resources=[eni_id], Tags=[{"Key": "k", "Value": "v"}])
        == "InvalidNetworkInterfaceID.NotFound"
    )
    ec2.terminate_instances(InstanceIds=[instance_id])


def test_unknown_interfaces(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    assert (
        _code(ec2.describe_network_interfaces, NetworkInterfaceIds=["eni-0123456789abcdef0"])
        == "InvalidNetworkInterfaceID.NotFound"
    )
    assert (
        _code(ec2.describe_network_interfaces, NetworkInterfaceIds=["eni-zz"])
        == "InvalidNetworkInterfaceID.Malformed"
    )
