"""EC2 tags through boto3: CreateTags on resources of mixed kinds (key pairs, VPCs,
security groups, images), DeleteTags with and without values, DescribeTags with its filters and
pages, the errors of bad ids and bad tags, and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.aws import aws_client
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.zones import SimZone


def error_code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


def tags_of(ec2: Any, **params: Any) -> set[tuple[str, str, str, str]]:
    return {
        (tag["ResourceId"], tag["ResourceType"], tag["Key"], tag["Value"])
        for tag in ec2.describe_tags(**params)["Tags"]
    }


def where(**filters: str) -> list[dict[str, Any]]:
    return [{"Name": name.replace("_", "-"), "Values": [value]} for name, value in filters.items()]


def vpc_and_group(ec2: Any) -> tuple[str, str]:
    """The AWS ids of a new VPC and of a security group in it."""
    vpc_id = str(ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"])
    group = ec2.create_security_group(GroupName=unique("group"), Description="d", VpcId=vpc_id)
    return vpc_id, str(group["GroupId"])


@pytest.fixture
def ec2(alto_server: AltoServer, tenant: Tenant) -> Any:
    return aws_client(alto_server, tenant, "ec2")


@pytest.fixture
def key_id(ec2: Any) -> str:
    return str(ec2.create_key_pair(KeyName=unique("k"))["KeyPairId"])


def test_tag_resources_of_three_kinds_and_describe_them(
    ec2: Any, ec2_zone: SimZone, key_id: str
) -> None:
    vpc_id, group_id = vpc_and_group(ec2)

    ec2.create_tags(
        Resources=[key_id, group_id, vpc_id],
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "Name", "Value": ""}],
    )

    assert {tag for tag in tags_of(ec2) if tag[0] != vpc_id} == {
        (key_id, "key-pair", "env", "prod"),
        (key_id, "key-pair", "Name", ""),
        (group_id, "security-group", "env", "prod"),
        (group_id, "security-group", "Name", ""),
    }
    assert tags_of(ec2, Filters=where(resource_id=vpc_id)) == {
        (vpc_id, "vpc", "env", "prod"),
        (vpc_id, "vpc", "Name", ""),
    }
    [group] = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert sorted((tag["Key"], tag["Value"]) for tag in group["Tags"]) == [
        ("Name", ""),
        ("env", "prod"),
    ]
    assert tags_of(ec2, Filters=where(resource_type="security-group", key="env")) == {
        (group_id, "security-group", "env", "prod")
    }
    assert tags_of(ec2, Filters=where(resource_id=key_id, value="pr*")) == {
        (key_id, "key-pair", "env", "prod")
    }
    assert len(tags_of(ec2, Filters=where(**{"tag:env": "prod"}))) == 6
    assert tags_of(ec2, Filters=where(resource_id="key-0123456789abcdef0")) == set()
    assert tags_of(ec2, Filters=where(resource_type="volume")) == set()
    assert error_code(ec2.describe_tags, Filters=where(owner="x")) == "InvalidParameterValue"


def test_create_replaces_a_value_and_delete_matches_values(ec2: Any, key_id: str) -> None:
    ec2.create_tags(
        Resources=[key_id],
        Tags=[{"Key": key, "Value": "1"} for key in ("a", "b", "c", "d")],
    )
    ec2.create_tags(Resources=[key_id], Tags=[{"Key": "a", "Value": "2"}])

    ec2.delete_tags(Resources=[key_id], Tags=[{"Key": "b"}, {"Key": "c", "Value": "wrong"}])
    assert {(tag[2], tag[3]) for tag in tags_of(ec2)} == {("a", "2"), ("c", "1"), ("d", "1")}
    ec2.delete_tags(Resources=[key_id], Tags=[{"Key": "c", "Value": "1"}])
    assert {tag[2] for tag in tags_of(ec2)} == {"a", "d"}
    ec2.delete_tags(Resources=[key_id])
    assert tags_of(ec2) == set()


def test_describe_tags_pages(ec2: Any, key_id: str) -> None:
    ec2.create_tags(Resources=[key_id], Tags=[{"Key": f"k{i:02}", "Value": "v"} for i in range(7)])

    first = ec2.describe_tags(MaxResults=5)
    second = ec2.describe_tags(MaxResults=5, NextToken=first["NextToken"])

    assert [tag["Key"] for tag in first["Tags"]] == [f"k{i:02}" for i in range(5)]
    assert [tag["Key"] for tag in second["Tags"]] == ["k05", "k06"]
    assert "NextToken" not in second
    assert error_code(ec2.describe_tags, MaxResults=2) == "InvalidParameterValue"
    paginator = ec2.get_paginator("describe_tags")
    keys = [tag["Key"] for page in paginator.paginate(MaxResults=5) for tag in page["Tags"]]
    assert keys == [f"k{i:02}" for i in range(7)]


def test_bad_ids_and_bad_tags(ec2: Any, key_id: str) -> None:
    tag = [{"Key": "a", "Value": "b"}]
    for resource, code in (
        ("foo-0123456789abcdef0", "InvalidID"),
        ("key-0123456789abcdef0", "InvalidKeyPair.NotFound"),
        ("i-0123456789abcdef0", "InvalidInstanceID.NotFound"),
        ("sg-nothex", "InvalidGroupId.Malformed"),
    ):
        assert error_code(ec2.create_tags, Resources=[key_id, resource], Tags=tag) == code
        assert error_code(ec2.delete_tags, Resources=[resource]) == code
    reserved = [{"Key": "aws:cloudformation:stack-name", "Value": "x"}]
    assert error_code(ec2.create_tags, Resources=[key_id], Tags=reserved) == (
        "InvalidParameterValue"
    )
    assert error_code(ec2.delete_tags, Resources=[key_id], Tags=reserved) == (
        "InvalidParameterValue"
    )
    long_key = [{"Key": "k" * 129, "Value": "v"}]
    assert error_code(ec2.create_tags, Resources=[key_id], Tags=long_key) == (
        "InvalidParameterValue"
    )
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert error_code(ec2.create_tags, Resources=[key_id], Tags=many) == "TagLimitExceeded"
    ec2.create_tags(Resources=[key_id], Tags=many[:49])
    assert error_code(ec2.create_tags, Resources=[key_id], Tags=many[49:]) == "TagLimitExceeded"
    ec2.create_tags(Resources=[key_id], Tags=[{"Key": "k0", "Value": "again"}, many[49]])
    assert len(tags_of(ec2)) == 50


def test_images_of_others_cannot_be_tagged(
    alto_server: AltoServer, ec2: Any, ec2_template: dict[str, Any]
) -> None:
    as_owner = aws_client(alto_server, alto_server, "ec2")
    [image] = as_owner.describe_images(
        Filters=[{"Name": "name", "Values": [ec2_template["name"]]}]
    )["Images"]
    tag = [{"Key": "by", "Value": "tenant"}]

    assert error_code(ec2.create_tags, Resources=[image["ImageId"]], Tags=tag) == (
        "InvalidAMIID.NotFound"
    )
    owner_tag = unique("t")
    as_owner.create_tags(Resources=[image["ImageId"]], Tags=[{"Key": owner_tag, "Value": "1"}])
    try:
        assert (image["ImageId"], "image", owner_tag, "1") in tags_of(
            as_owner, Filters=where(key=owner_tag)
        )
        assert tags_of(ec2) == set()
    finally:
        as_owner.delete_tags(Resources=[image["ImageId"]], Tags=[{"Key": owner_tag}])
    assert tags_of(as_owner, Filters=where(key=owner_tag)) == set()


def test_another_account_cannot_see_or_change_tags(
    alto_server: AltoServer,
    admin: CloudStack,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2: Any,
    key_id: str,
) -> None:
    _, group_id = vpc_and_group(ec2)
    ec2.create_tags(Resources=[key_id, group_id], Tags=[{"Key": "own", "Value": "1"}])
    stranger = aws_client(alto_server, new_account(admin, endpoint=tenant.endpoint), "ec2")

    assert tags_of(stranger) == set()
    assert tags_of(stranger, Filters=where(resource_id=key_id)) == set()
    tag = [{"Key": "x", "Value": "y"}]
    assert error_code(stranger.create_tags, Resources=[group_id], Tags=tag) == (
        "InvalidGroup.NotFound"
    )
    assert error_code(stranger.delete_tags, Resources=[key_id]) == "InvalidKeyPair.NotFound"
    assert {tag[2] for tag in tags_of(ec2)} == {"own"}
    assert {tag[0] for tag in tags_of(ec2)} == {key_id, group_id}
