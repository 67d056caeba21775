"""EC2 security groups through boto3 and the aws CLI: groups in VPCs, the VPC's default group,
ingress and egress rules (IpPermissions and SecurityGroupRuleIds), DescribeSecurityGroupRules,
filters, tags, errors and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, aws_client, cli_available
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import succeeded
from tests.support.zones import SimZone

VPC_OFFERING = "Default VPC offering"
TIER_OFFERING = "DefaultIsolatedNetworkOfferingForVpcNetworks"
ALL_EGRESS = {
    "IpProtocol": "-1",
    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    "Ipv6Ranges": [],
    "PrefixListIds": [],
    "UserIdGroupPairs": [],
}


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


def vpc_ids(ec2: Any) -> set[str]:
    return {group["VpcId"] for group in ec2.describe_security_groups()["SecurityGroups"]}


def new_vpc(ec2: Any, tenant: Tenant, zone: SimZone, *, cidr: str = "10.20.0.0/16") -> str:
    """A native VPC of the tenant (no router); its AWS id, as its default group shows it."""
    client = tenant.client()
    [offering] = client.listVPCOfferings(name=VPC_OFFERING)["vpcoffering"]
    before = vpc_ids(ec2)
    answer = client.createVPC(
        name=unique("vpc"), zoneid=zone.id, cidr=cidr, vpcofferingid=offering["id"], start=False
    )
    succeeded(client, answer)
    [vpc_id] = vpc_ids(ec2) - before
    return vpc_id


def one_group(ec2: Any, group_id: str) -> dict[str, Any]:
    [group] = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return dict(group)


def ingress(protocol: str, start: int | None, end: int | None, **peers: Any) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": protocol, **peers}
    if start is not None:
        permission["FromPort"] = start
    if end is not None:
        permission["ToPort"] = end
    return permission


@pytest.fixture
def ec2(alto_server: AltoServer, tenant: Tenant) -> Any:
    return aws_client(alto_server, tenant, "ec2")


@pytest.fixture
def vpc(ec2: Any, tenant: Tenant, ec2_zone: SimZone) -> str:
    return new_vpc(ec2, tenant, ec2_zone)


def test_create_describe_and_delete_a_group_in_a_vpc(
    ec2: Any, vpc: str, alto_server: AltoServer, tenant: Tenant
) -> None:
    created = ec2.create_security_group(
        GroupName="web",
        Description="web servers",
        VpcId=vpc,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "tier", "Value": "front"}]}
        ],
    )
    group_id = created["GroupId"]
    assert group_id.startswith("sg-") and len(group_id) == 20
    assert created["Tags"] == [{"Key": "tier", "Value": "front"}]
    group = one_group(ec2, group_id)
    account = aws_client(alto_server, tenant, "sts").get_caller_identity()["Account"]
    assert (group["GroupName"], group["Description"], group["VpcId"]) == (
        "web",
        "web servers",
        vpc,
    )
    assert group["OwnerId"] == account and len(account) == 12
    assert group["IpPermissions"] == []
    assert group["IpPermissionsEgress"] == [ALL_EGRESS]
    assert group["Tags"] == [{"Key": "tier", "Value": "front"}]
    assert group["SecurityGroupArn"].endswith(f":{account}:security-group/{group_id}")

    assert ec2.delete_security_group(GroupId=group_id)["Return"] is True
    assert error_code(ec2.describe_security_groups, GroupIds=[group_id]) == "InvalidGroup.NotFound"
    assert error_code(ec2.delete_security_group, GroupId=group_id) == "InvalidGroup.NotFound"


def test_each_vpc_has_a_default_group_that_cannot_be_deleted(ec2: Any, vpc: str) -> None:
    [default] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert default["IpPermissionsEgress"] == [ALL_EGRESS]
    [self_rule] = default["IpPermissions"]
    assert self_rule["IpProtocol"] == "-1" and self_rule["IpRanges"] == []
    assert [pair["GroupId"] for pair in self_rule["UserIdGroupPairs"]] == [default["GroupId"]]
    assert self_rule["UserIdGroupPairs"][0]["UserId"] == default["OwnerId"]
    code = error_code(ec2.delete_security_group, GroupId=default["GroupId"])
    assert code == "CannotDelete"


def test_create_errors(ec2: Any, vpc: str) -> None:
    ec2.create_security_group(GroupName="db", Description="d", VpcId=vpc)
    assert (
        error_code(ec2.create_security_group, GroupName="db", Description="d", VpcId=vpc)
        == "InvalidGroup.Duplicate"
    )
    assert (
        error_code(ec2.create_security_group, GroupName="default", Description="d", VpcId=vpc)
        == "InvalidGroup.Reserved"
    )
    assert (
        error_code(ec2.create_security_group, GroupName="sg-web", Description="d", VpcId=vpc)
        == "InvalidParameterValue"
    )
    missing_vpc = "vpc-0123456789abcdef0"
    assert (
        error_code(ec2.create_security_group, GroupName="x", Description="d", VpcId=missing_vpc)
        == "InvalidVpcID.NotFound"
    )
    assert error_code(ec2.describe_security_groups, GroupIds=["sg-nope"]) == (
        "InvalidGroupId.Malformed"
    )
    assert error_code(ec2.describe_security_groups, GroupIds=["sg-0123456789abcdef0"]) == (
        "InvalidGroup.NotFound"
    )
    assert error_code(ec2.delete_security_group, GroupName="no-such-group") == (
        "InvalidGroup.NotFound"
    )


def test_authorize_ingress_renders_permissions_and_rules(ec2: Any, vpc: str) -> None:
    web = ec2.create_security_group(GroupName="web", Description="d", VpcId=vpc)["GroupId"]
    lb = ec2.create_security_group(GroupName="lb", Description="d", VpcId=vpc)["GroupId"]
    answer = ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            ingress(
                "tcp",
                22,
                22,
                IpRanges=[
                    {"CidrIp": "10.0.0.0/8", "Description": "office"},
                    {"CidrIp": "0.0.0.0/0"},
                ],
            ),
            ingress("6", 80, 443, UserIdGroupPairs=[{"GroupId": lb, "Description": "from lb"}]),
            ingress("udp", 53, 53, IpRanges=[{"CidrIp": "10.1.0.0/16"}]),
            ingress("icmp", 8, -1, IpRanges=[{"CidrIp": "0.0.0.0/0"}]),
            ingress("50", None, None, IpRanges=[{"CidrIp": "192.168.0.0/24"}]),
        ],
    )
    assert answer["Return"] is True
    rules = answer["SecurityGroupRules"]
    assert len(rules) == 6
    assert all(rule["SecurityGroupRuleId"].startswith("sgr-") for rule in rules)
    assert {rule["GroupId"] for rule in rules} == {web}
    assert not any(rule["IsEgress"] for rule in rules)
    shapes = {
        (
            rule["IpProtocol"],
            rule["FromPort"],
            rule["ToPort"],
            rule.get("CidrIpv4"),
            rule.get("ReferencedGroupInfo", {}).get("GroupId"),
        )
        for rule in rules
    }
    assert shapes == {
        ("tcp", 22, 22, "10.0.0.0/8", None),
        ("tcp", 22, 22, "0.0.0.0/0", None),
        ("tcp", 80, 443, None, lb),
        ("udp", 53, 53, "10.1.0.0/16", None),
        ("icmp", 8, -1, "0.0.0.0/0", None),
        ("50", -1, -1, "192.168.0.0/24", None),
    }
    permissions = {
        (entry["IpProtocol"], entry.get("FromPort")): entry
        for entry in one_group(ec2, web)["IpPermissions"]
    }
    assert set(permissions) == {("tcp", 22), ("tcp", 80), ("udp", 53), ("icmp", 8), ("50", None)}
    ssh = permissions[("tcp", 22)]
    assert sorted(ssh["IpRanges"], key=lambda r: r["CidrIp"]) == [
        {"CidrIp": "0.0.0.0/0"},
        {"CidrIp": "10.0.0.0/8", "Description": "office"},
    ]
    assert ssh["ToPort"] == 22 and ssh["Ipv6Ranges"] == [] and ssh["UserIdGroupPairs"] == []
    [pair] = permissions[("tcp", 80)]["UserIdGroupPairs"]
    assert pair["GroupId"] == lb and len(pair["UserId"]) == 12
    assert pair["Description"] == "from lb"
    assert permissions[("icmp", 8)]["ToPort"] == -1

    described = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [web]}])
    assert {rule["SecurityGroupRuleId"] for rule in described["SecurityGroupRules"]} >= {
        rule["SecurityGroupRuleId"] for rule in rules
    }
    owner = one_group(ec2, web)["OwnerId"]
    assert {rule["GroupOwnerId"] for rule in described["SecurityGroupRules"]} == {owner}
    descriptions = {
        rule.get("CidrIpv4"): rule.get("Description") for rule in described["SecurityGroupRules"]
    }
    assert descriptions["10.0.0.0/8"] == "office" and descriptions["0.0.0.0/0"] is None


def test_authorize_errors(ec2: Any, vpc: str) -> None:
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    ssh = ingress("tcp", 22, 22, IpRanges=[{"CidrIp": "0.0.0.0/0"}])
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[ssh])
    authorize = ec2.authorize_security_group_ingress
    assert error_code(authorize, GroupId=group, IpPermissions=[ssh]) == (
        "InvalidPermission.Duplicate"
    )
    assert error_code(
        ec2.authorize_security_group_egress, GroupId=group, IpPermissions=[ALL_EGRESS]
    ) == ("InvalidPermission.Duplicate")
    cidr = {"IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    for bad in (
        ingress("tcp", 1, 70000, **cidr),
        ingress("tcp", 90, 80, **cidr),
        ingress("udp", None, None, **cidr),
        ingress("bogus", 1, 2, **cidr),
        ingress("icmp", 300, -1, **cidr),
        ingress("tcp", 1, 2, IpRanges=[{"CidrIp": "10.0.0.300/8"}]),
    ):
        assert error_code(authorize, GroupId=group, IpPermissions=[bad]) == (
            "InvalidParameterValue"
        ), bad
    assert error_code(authorize, GroupId="sg-0123456789abcdef0", IpPermissions=[ssh]) == (
        "InvalidGroup.NotFound"
    )
    assert error_code(authorize, GroupId="sg-0123", IpPermissions=[ssh]) == (
        "InvalidGroupId.Malformed"
    )
    half_bad = [ingress("udp", 53, 53, **cidr), ingress("tcp", 1, 2)]
    assert error_code(authorize, GroupId=group, IpPermissions=half_bad) == "InvalidParameterValue"
    [rule_set] = one_group(ec2, group)["IpPermissions"]
    assert rule_set["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}] and rule_set["FromPort"] == 22


def test_revoke_by_permissions_and_by_rule_ids(ec2: Any, vpc: str) -> None:
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    ssh = ingress("tcp", 22, 22, IpRanges=[{"CidrIp": "0.0.0.0/0"}])
    web = ingress("tcp", 80, 80, IpRanges=[{"CidrIp": "0.0.0.0/0"}])
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[ssh, web])
    revoked = ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[ssh])
    assert revoked["Return"] is True
    [gone] = revoked["RevokedSecurityGroupRules"]
    assert (gone["FromPort"], gone["CidrIpv4"], gone["IsEgress"]) == (22, "0.0.0.0/0", False)
    assert [entry["FromPort"] for entry in one_group(ec2, group)["IpPermissions"]] == [80]
    assert error_code(ec2.revoke_security_group_ingress, GroupId=group, IpPermissions=[ssh]) == (
        "InvalidPermission.NotFound"
    )

    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
        "SecurityGroupRules"
    ]
    [http] = [r for r in rules if not r["IsEgress"]]
    assert http["FromPort"] == 80
    ec2.revoke_security_group_ingress(
        GroupId=group, SecurityGroupRuleIds=[http["SecurityGroupRuleId"]]
    )
    assert one_group(ec2, group)["IpPermissions"] == []
    code = error_code(
        ec2.revoke_security_group_ingress,
        GroupId=group,
        SecurityGroupRuleIds=[http["SecurityGroupRuleId"]],
    )
    assert code == "InvalidSecurityGroupRuleId.NotFound"


def test_egress_rules_and_revoking_the_default_allow_all(ec2: Any, vpc: str) -> None:
    """What the Terraform provider does after creating a group: revoke 0.0.0.0/0 (must
    work), then ::/0 (InvalidPermission.NotFound is tolerated)."""
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    ec2.revoke_security_group_egress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    assert one_group(ec2, group)["IpPermissionsEgress"] == []
    ipv6 = [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]
    assert error_code(ec2.revoke_security_group_egress, GroupId=group, IpPermissions=ipv6) == (
        "InvalidPermission.NotFound"
    )
    answer = ec2.authorize_security_group_egress(
        GroupId=group, IpPermissions=[ingress("tcp", 443, 443, IpRanges=[{"CidrIp": "0.0.0.0/0"}])]
    )
    [rule] = answer["SecurityGroupRules"]
    assert rule["IsEgress"] is True and rule["FromPort"] == 443
    [egress] = one_group(ec2, group)["IpPermissionsEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443)
    ec2.revoke_security_group_egress(
        GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]]
    )
    assert one_group(ec2, group)["IpPermissionsEgress"] == []


def test_describe_filters_and_pages(ec2: Any, vpc: str) -> None:
    first = ec2.create_security_group(GroupName="alpha", Description="first one", VpcId=vpc)
    second = ec2.create_security_group(
        GroupName="beta",
        Description="second one",
        VpcId=vpc,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "k", "Value": "v"}]}
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=first["GroupId"],
        IpPermissions=[ingress("tcp", 22, 22, IpRanges=[{"CidrIp": "10.9.0.0/16"}])],
    )

    def names(*filters: tuple[str, list[str]]) -> list[str]:
        found = ec2.describe_security_groups(
            Filters=[{"Name": name, "Values": values} for name, values in filters]
        )["SecurityGroups"]
        return sorted(group["GroupName"] for group in found)

    assert names(("vpc-id", [vpc])) == ["alpha", "beta", "default"]
    assert names(("group-id", [second["GroupId"]])) == ["beta"]
    assert names(("description", ["*one"])) == ["alpha", "beta"]
    assert names(("ip-permission.from-port", ["22"])) == ["alpha"]
    assert names(("ip-permission.cidr", ["10.9.0.0/16"])) == ["alpha"]
    assert names(("egress.ip-permission.cidr", ["0.0.0.0/0"]), ("vpc-id", [vpc])) == [
        "alpha",
        "beta",
        "default",
    ]
    assert names(("tag:k", ["v"])) == ["beta"]
    owner = one_group(ec2, first["GroupId"])["OwnerId"]
    assert names(("owner-id", [owner]), ("group-name", ["alpha"])) == ["alpha"]
    assert error_code(
        ec2.describe_security_groups, Filters=[{"Name": "nonsense", "Values": ["x"]}]
    ) == ("InvalidParameterValue")

    page = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}], MaxResults=5)
    assert len(page["SecurityGroups"]) == 3 and "NextToken" not in page
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        answer = ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [first["GroupId"], second["GroupId"]]}],
            MaxResults=5,
            **token,
        )
        seen.extend(rule["SecurityGroupRuleId"] for rule in answer["SecurityGroupRules"])
        if not answer.get("NextToken"):
            break
        token = {"NextToken": answer["NextToken"]}
    assert len(seen) == len(set(seen)) == 3
    [by_id] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[seen[0]])[
        "SecurityGroupRules"
    ]
    assert by_id["SecurityGroupRuleId"] == seen[0]
    assert error_code(
        ec2.describe_security_group_rules, SecurityGroupRuleIds=["sgr-0123456789abcdef0"]
    ) == ("InvalidSecurityGroupRuleId.NotFound")
    assert error_code(ec2.describe_security_group_rules, SecurityGroupRuleIds=["sgr-x"]) == (
        "InvalidSecurityGroupRuleId.Malformed"
    )


def test_a_group_in_use_cannot_be_deleted(
    ec2: Any,
    vpc: str,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> None:
    peer = ec2.create_security_group(GroupName="peer", Description="d", VpcId=vpc)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="d", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[ingress("tcp", 80, 80, UserIdGroupPairs=[{"GroupId": peer}])],
    )
    assert error_code(ec2.delete_security_group, GroupId=peer) == "DependencyViolation"

    client = tenant.client()
    [native_app] = [
        group
        for group in client.listSecurityGroups(securitygroupname="app")["securitygroup"]
        if group.get("vpcid")
    ]
    [tier_offering] = client.listNetworkOfferings(name=TIER_OFFERING)["networkoffering"]
    [native_vpc] = client.listVPCs(id=native_app["vpcid"])["vpc"]
    tier = client.createNetwork(
        name=unique("tier"),
        zoneid=ec2_zone.id,
        networkofferingid=tier_offering["id"],
        vpcid=native_vpc["id"],
        gateway="10.20.1.1",
        netmask="255.255.255.0",
    )["network"]
    succeeded(
        client,
        client.deployVirtualMachine(
            zoneid=ec2_zone.id,
            templateid=ec2_template["id"],
            serviceofferingid=ec2_offering["id"],
            networkids=tier["id"],
            securitygroupids=native_app["id"],
            startvm=False,
        ),
    )
    assert error_code(ec2.delete_security_group, GroupId=app) == "DependencyViolation"


def test_group_names_refer_to_the_default_vpc(ec2: Any) -> None:
    created = ec2.create_security_group(GroupName="by-name", Description="no VpcId")
    group = one_group(ec2, created["GroupId"])
    [default_vpc_group] = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
    assert group["VpcId"] == default_vpc_group["VpcId"]
    [by_name] = ec2.describe_security_groups(GroupNames=["by-name"])["SecurityGroups"]
    assert by_name["GroupId"] == created["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupName="by-name", IpProtocol="tcp", FromPort=8080, ToPort=8080, CidrIp="0.0.0.0/0"
    )
    [entry] = one_group(ec2, created["GroupId"])["IpPermissions"]
    assert (entry["FromPort"], entry["IpRanges"]) == (8080, [{"CidrIp": "0.0.0.0/0"}])
    assert ec2.delete_security_group(GroupName="by-name")["Return"] is True
    assert error_code(ec2.describe_security_groups, GroupNames=["by-name"]) == (
        "InvalidGroup.NotFound"
    )


def test_another_account_sees_none_of_the_groups(
    ec2: Any, vpc: str, admin: CloudStack, alto_server: AltoServer, tenant: Tenant
) -> None:
    group = ec2.create_security_group(GroupName="mine", Description="d", VpcId=vpc)["GroupId"]
    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)
    theirs = aws_client(alto_server, other, "ec2")
    assert theirs.describe_security_groups()["SecurityGroups"] == []
    assert theirs.describe_security_group_rules()["SecurityGroupRules"] == []
    assert error_code(theirs.describe_security_groups, GroupIds=[group]) == "InvalidGroup.NotFound"
    assert error_code(theirs.delete_security_group, GroupId=group) == "InvalidGroup.NotFound"
    ssh = ingress("tcp", 22, 22, IpRanges=[{"CidrIp": "0.0.0.0/0"}])
    assert error_code(
        theirs.authorize_security_group_ingress, GroupId=group, IpPermissions=[ssh]
    ) == ("InvalidGroup.NotFound")
    assert error_code(theirs.create_security_group, GroupName="x", Description="d", VpcId=vpc) == (
        "InvalidVpcID.NotFound"
    )
    assert one_group(ec2, group)["IpPermissions"] == []


@pytest.mark.parametrize(
    "cli",
    [
        CLI_V1,
        pytest.param(
            CLI_V2, marks=pytest.mark.skipif(not cli_available(CLI_V2), reason="no aws CLI v2")
        ),
    ],
)
def test_aws_cli_create_authorize_describe(
    cli: str, alto_server: AltoServer, tenant: Tenant, vpc: str
) -> None:
    created = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "create-security-group",
        "--group-name",
        "cli",
        "--description",
        "from the CLI",
        "--vpc-id",
        vpc,
        cli=cli,
    )
    group_id = created["GroupId"]
    aws_cli(
        alto_server,
        tenant,
        "ec2",
        "authorize-security-group-ingress",
        "--group-id",
        group_id,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "203.0.113.0/24",
        cli=cli,
    )
    described = aws_cli(
        alto_server, tenant, "ec2", "describe-security-groups", "--group-ids", group_id, cli=cli
    )
    [group] = described["SecurityGroups"]
    assert (group["GroupName"], group["VpcId"]) == ("cli", vpc)
    [entry] = group["IpPermissions"]
    assert (entry["IpProtocol"], entry["FromPort"], entry["ToPort"]) == ("tcp", 22, 22)
    assert entry["IpRanges"] == [{"CidrIp": "203.0.113.0/24"}]
