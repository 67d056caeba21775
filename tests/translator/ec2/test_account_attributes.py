"""DescribeAccountAttributes through boto3: platform, default VPC (never made by reading), limits."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.aws import aws_client
from tests.support.server import AltoServer
from tests.support.tenants import Tenant


def _attributes(ec2: Any, *names: str) -> dict[str, list[str]]:
    answer = ec2.describe_account_attributes(**({"AttributeNames": list(names)} if names else {}))
    return {
        attribute["AttributeName"]: [
            value["AttributeValue"] for value in attribute["AttributeValues"]
        ]
        for attribute in answer["AccountAttributes"]
    }


def test_account_attributes_of_a_new_account(
    alto_server: AltoServer, tenant: Tenant, admin: CloudStack, ec2_zone: Any
) -> None:
    admin.updateResourceLimit(resourcetype=0, max=7, account=tenant.name, domainid=tenant.domainid)
    ec2 = aws_client(alto_server, tenant, "ec2")
    attributes = _attributes(ec2)
    assert attributes["supported-platforms"] == ["VPC"]
    assert attributes["default-vpc"] == ["none"]
    assert attributes["max-instances"] == ["7"]
    assert int(attributes["max-elastic-ips"][0]) > 0
    assert attributes["vpc-max-elastic-ips"] == attributes["max-elastic-ips"]
    assert attributes["vpc-max-security-groups-per-interface"] == ["5"]
    assert ec2.describe_vpcs()["Vpcs"] == []


def test_default_vpc_attribute_names_the_default_vpc(
    alto_server: AltoServer, tenant: Tenant, ec2_zone: Any
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    vpc_id = ec2.create_default_vpc()["Vpc"]["VpcId"]
    assert _attributes(ec2, "default-vpc") == {"default-vpc": [vpc_id]}


def test_unknown_attribute_is_refused(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    with pytest.raises(ClientError) as caught:
        ec2.describe_account_attributes(AttributeNames=["color"])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
