"""Network ACLs through boto3: each VPC's default ACL, entries, associations, deletion."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import aws_client
from tests.support.ec2_vpc import az_of, new_vpc
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.zones import SimZone

ALLOW_ALL = {"Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}
DENY_ALL = {"Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"}


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return str(caught.value.response["Error"]["Code"])


@pytest.fixture
def ec2(alto_server: AltoServer, tenant: Tenant) -> Any:
    return aws_client(alto_server, tenant, "ec2")


@pytest.fixture
def vpc_id(ec2: Any, ec2_zone: SimZone) -> str:
    return str(new_vpc(ec2, az=az_of(ec2, ec2_zone.id), cidr="10.90.0.0/16")["VpcId"])


def _default_acl(ec2: Any, vpc_id: str) -> dict[str, Any]:
    [acl] = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"]
    return dict(acl)


def test_a_vpc_has_an_open_default_acl_its_subnets_use(ec2: Any, vpc_id: str) -> None:
    acl = _default_acl(ec2, vpc_id)
    assert acl["NetworkAclId"].startswith("acl-") and acl["IsDefault"] is True
    assert acl["Entries"] == [
        {"RuleNumber": 100, "Egress": False, **ALLOW_ALL},
        {"RuleNumber": 100, "Egress": True, **ALLOW_ALL},
        {"RuleNumber": 32767, "Egress": False, **DENY_ALL},
        {"RuleNumber": 32767, "Egress": True, **DENY_ALL},
    ]
    assert acl["Associations"] == []
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.90.1.0/24")["Subnet"]["SubnetId"]
    [association] = _default_acl(ec2, vpc_id)["Associations"]
    assert association["SubnetId"] == subnet_id
    assert association["NetworkAclId"] == acl["NetworkAclId"]
    assert association["NetworkAclAssociationId"].startswith("aclassoc-")
    by_subnet = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"]
    assert [found["NetworkAclId"] for found in by_subnet] == [acl["NetworkAclId"]]
    by_id = ec2.describe_network_acls(NetworkAclIds=[acl["NetworkAclId"]])["NetworkAcls"]
    assert [found["VpcId"] for found in by_id] == [vpc_id]
    assert _code(ec2.delete_network_acl, NetworkAclId=acl["NetworkAclId"]) == (
        "InvalidParameterValue"
    )


def test_acl_entries_and_associations(ec2: Any, vpc_id: str) -> None:
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.90.2.0/24")["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "network-acl", "Tags": [{"Key": "k", "Value": "v"}]}],
    )["NetworkAcl"]
    acl_id = acl["NetworkAclId"]
    assert acl["IsDefault"] is False and acl["VpcId"] == vpc_id
    assert acl["Tags"] == [{"Key": "k", "Value": "v"}]
    assert [e["RuleNumber"] for e in acl["Entries"]] == [32767, 32767]
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=110,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.0.0.0/8",
        PortRange={"From": 22, "To": 22},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=110,
        Protocol="-1",
        RuleAction="deny",
        Egress=True,
        CidrBlock="0.0.0.0/0",
    )
    assert (
        _code(
            ec2.create_network_acl_entry,
            NetworkAclId=acl_id,
            RuleNumber=110,
            Protocol="-1",
            RuleAction="allow",
            Egress=False,
            CidrBlock="0.0.0.0/0",
        )
        == "NetworkAclEntryAlreadyExists"
    )
    [listed] = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    entries = {(e["RuleNumber"], e["Egress"]): e for e in listed["Entries"]}
    assert entries[(110, False)] == {
        "RuleNumber": 110,
        "Protocol": "6",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.0.0.0/8",
        "PortRange": {"From": 22, "To": 22},
    }
    assert entries[(110, True)]["RuleAction"] == "deny"
    ec2.replace_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=110,
        Protocol="17",
        RuleAction="deny",
        Egress=False,
        CidrBlock="192.168.0.0/16",
        PortRange={"From": 53, "To": 53},
    )
    [replaced] = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    assert {(e["RuleNumber"], e["Egress"]): e for e in replaced["Entries"]}[(110, False)] == {
        "RuleNumber": 110,
        "Protocol": "17",
        "RuleAction": "deny",
        "Egress": False,
        "CidrBlock": "192.168.0.0/16",
        "PortRange": {"From": 53, "To": 53},
    }
    assert (
        _code(
            ec2.replace_network_acl_entry,
            NetworkAclId=acl_id,
            RuleNumber=120,
            Protocol="-1",
            RuleAction="deny",
            Egress=False,
            CidrBlock="0.0.0.0/0",
        )
        == "InvalidNetworkAclEntry.NotFound"
    )
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=110, Egress=True)
    assert _code(
        ec2.delete_network_acl_entry, NetworkAclId=acl_id, RuleNumber=110, Egress=True
    ) == ("InvalidNetworkAclEntry.NotFound")

    association = _default_acl(ec2, vpc_id)["Associations"][0]["NetworkAclAssociationId"]
    new = ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)
    assert new["NewAssociationId"]
    [moved] = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    assert [a["SubnetId"] for a in moved["Associations"]] == [subnet_id]
    assert _code(ec2.delete_network_acl, NetworkAclId=acl_id) == "DependencyViolation"
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_network_acl(NetworkAclId=acl_id)
    assert _code(ec2.describe_network_acls, NetworkAclIds=[acl_id]) == (
        "InvalidNetworkAclID.NotFound"
    )


def test_acls_of_another_account_are_invisible(
    ec2: Any, vpc_id: str, alto_server: AltoServer, admin: Any
) -> None:
    acl_id = _default_acl(ec2, vpc_id)["NetworkAclId"]
    stranger = aws_client(alto_server, new_account(admin, endpoint=alto_server.endpoint), "ec2")
    assert stranger.describe_network_acls()["NetworkAcls"] == []
    assert _code(stranger.describe_network_acls, NetworkAclIds=[acl_id]) == (
        "InvalidNetworkAclID.NotFound"
    )
    assert (
        _code(
            stranger.create_network_acl_entry,
            NetworkAclId=acl_id,
            RuleNumber=5,
            Protocol="-1",
            RuleAction="allow",
            Egress=False,
            CidrBlock="0.0.0.0/0",
        )
        == "InvalidNetworkAclID.NotFound"
    )
    assert _code(ec2.describe_network_acls, NetworkAclIds=["acl-zz"]) == (
        "InvalidNetworkAclID.Malformed"
    )


def test_the_default_vpc_shows_the_built_in_open_acl(ec2: Any) -> None:
    vpc_id = ec2.create_default_vpc()["Vpc"]["VpcId"]
    acl = _default_acl(ec2, vpc_id)
    assert [(e["RuleNumber"], e["Egress"], e["RuleAction"]) for e in acl["Entries"]] == [
        (1, False, "allow"),
        (2, True, "allow"),
        (32767, False, "deny"),
        (32767, True, "deny"),
    ]
    [association] = acl["Associations"]
    [subnet] = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert association["SubnetId"] == subnet["SubnetId"]
    assert (
        _code(
            ec2.create_network_acl_entry,
            NetworkAclId=acl["NetworkAclId"],
            RuleNumber=50,
            Protocol="-1",
            RuleAction="deny",
            Egress=False,
            CidrBlock="0.0.0.0/0",
        )
        == "InvalidParameterValue"
    )
