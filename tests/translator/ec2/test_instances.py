"""EC2 instances through boto3: RunInstances, DescribeInstances, DescribeInstanceStatus and the
state changes, with their errors and waiters."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.ec2_instances import Ec2Site, aws_id_of, ec2_site, key_pair, vpc_subnet
from tests.support.server import AltoServer
from tests.support.tenants import new_account
from tests.support.zones import SimZone


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_run_describe_terminate(site: Ec2Site) -> None:
    user_data = "#!/bin/sh\necho hello\n"
    reservation = site.run(
        UserData=user_data,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]},
            {"ResourceType": "volume", "Tags": [{"Key": "disk", "Value": "root"}]},
        ],
    )
    assert reservation["ReservationId"].startswith("r-")
    assert reservation["OwnerId"] == site.account_id
    [launched] = reservation["Instances"]
    assert launched["State"] == {"Code": 0, "Name": "pending"}
    instance_id = launched["InstanceId"]
    site.wait("instance_exists", instance_id)
    site.wait("instance_running", instance_id)

    found = site.instance(instance_id)
    assert found["State"] == {"Code": 16, "Name": "running"}
    assert found["ImageId"] == site.image_id
    assert found["InstanceType"] == site.instance_type
    assert found["Placement"]["AvailabilityZone"] == site.zone_name
    assert found["Tags"] == [{"Key": "Name", "Value": "web"}]
    assert found["SubnetId"].startswith("subnet-") and found["VpcId"].startswith("vpc-")
    assert found["PrivateIpAddress"].startswith("172.31.")
    assert (
        found["PrivateDnsName"] == f"ip-{found['PrivateIpAddress'].replace('.', '-')}.ec2.internal"
    )
    assert found["RootDeviceName"] == "/dev/sda1" and found["RootDeviceType"] == "ebs"
    [root] = found["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/sda1" and root["Ebs"]["Status"] == "attached"
    assert found["Hypervisor"] == "xen" and found["Architecture"] == "x86_64"
    assert found["MetadataOptions"]["HttpTokens"] == "optional"
    [nic] = found["NetworkInterfaces"]
    assert nic["NetworkInterfaceId"].startswith("eni-")
    assert nic["Attachment"]["DeviceIndex"] == 0 and nic["SubnetId"] == found["SubnetId"]
    attribute = site.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    assert base64.b64decode(attribute["UserData"]["Value"]).decode() == user_data

    changed = site.ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"]
    assert changed[0]["PreviousState"]["Name"] == "running"
    site.wait("instance_terminated", instance_id)
    gone = site.instance(instance_id)
    assert gone["State"] == {"Code": 48, "Name": "terminated"}
    again = site.ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"]
    assert again[0]["CurrentState"]["Name"] == "terminated"


def test_client_token_is_idempotent(site: Ec2Site) -> None:
    first = site.run(ClientToken="token-1")
    second = site.run(ClientToken="token-1")
    assert second["ReservationId"] == first["ReservationId"]
    assert [i["InstanceId"] for i in second["Instances"]] == [
        i["InstanceId"] for i in first["Instances"]
    ]
    [found] = site.ec2.describe_instances(
        Filters=[{"Name": "client-token", "Values": ["token-1"]}]
    )["Reservations"]
    assert found["ReservationId"] == first["ReservationId"]
    assert len(found["Instances"]) == 1


@pytest.fixture
def stranger(
    admin: CloudStack,
    alto_server: AltoServer,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> Ec2Site:
    """The site of a second account, made for the test."""
    other = new_account(admin, endpoint=alto_server.endpoint)
    return ec2_site(alto_server, other, ec2_zone, ec2_template, ec2_offering)


def test_client_token_is_kept_per_account_for_the_whole_reservation(
    site: Ec2Site, stranger: Ec2Site
) -> None:
    first = site.run(ClientToken="token-2", MinCount=2, MaxCount=2)
    again = site.run(ClientToken="token-2", MinCount=2, MaxCount=2)
    assert [(i["InstanceId"], i["AmiLaunchIndex"]) for i in again["Instances"]] == [
        (i["InstanceId"], i["AmiLaunchIndex"]) for i in first["Instances"]
    ]
    theirs = stranger.run(ClientToken="token-2")
    assert theirs["ReservationId"] != first["ReservationId"]
    assert theirs["Instances"][0]["InstanceId"] not in {i["InstanceId"] for i in first["Instances"]}


def test_max_count_within_limit_and_min_count_beyond(site: Ec2Site, admin: CloudStack) -> None:
    admin.updateResourceLimit(
        account=site.tenant.name, domainid=site.tenant.domainid, resourcetype=0, max=2
    )
    reservation = site.run(MinCount=1, MaxCount=5)
    assert [i["AmiLaunchIndex"] for i in reservation["Instances"]] == [0, 1]
    ids = [i["InstanceId"] for i in reservation["Instances"]]
    site.ec2.terminate_instances(InstanceIds=ids)
    with pytest.raises(ClientError) as error:
        site.run(MinCount=3, MaxCount=3)
    assert _code(error) == "InstanceLimitExceeded"
    live = site.ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    )["Reservations"]
    assert live == []


def test_insufficient_capacity_leaves_nothing(site: Ec2Site, admin: CloudStack) -> None:
    for resource in (8, 9):
        admin.updateResourceLimit(domainid=site.tenant.domainid, resourcetype=resource, max=-1)
        admin.updateResourceLimit(
            account=site.tenant.name, domainid=site.tenant.domainid, resourcetype=resource, max=-1
        )
    huge = admin.createServiceOffering(
        name=f"huge-{site.tenant.name}",
        displaytext="huge",
        cpunumber=1,
        cpuspeed=100,
        memory=64 * 1024 * 1024,
    )["serviceoffering"]
    with pytest.raises(ClientError) as error:
        site.run(InstanceType=huge["name"], MinCount=1, MaxCount=2)
    assert _code(error) == "InsufficientInstanceCapacity"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert site.ec2.describe_instances()["Reservations"] == []
    assert site.tenant.client().listVirtualMachines(listall=True) == {}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"InstanceType": "no-such-type"}, "InvalidParameterValue"),
        ({"ImageId": "ami-00000000000000000"}, "InvalidAMIID.NotFound"),
        ({"ImageId": "image-1"}, "InvalidAMIID.Malformed"),
        ({"KeyName": "no-such-key"}, "InvalidKeyPair.NotFound"),
        ({"SecurityGroupIds": ["sg-00000000000000000"]}, "InvalidGroup.NotFound"),
        ({"SecurityGroups": ["no-such-group"]}, "InvalidGroup.NotFound"),
        ({"SubnetId": "subnet-00000000000000000"}, "InvalidSubnetID.NotFound"),
        ({"MinCount": 3, "MaxCount": 2}, "InvalidParameterValue"),
        ({"Placement": {"AvailabilityZone": "us-east-1zz"}}, "InvalidParameterValue"),
    ],
)
def test_bad_launches(site: Ec2Site, change: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as error:
        site.run(**change)
    assert _code(error) == code
    assert site.tenant.client().listVirtualMachines(listall=True) == {}


def test_missing_parameters(site: Ec2Site) -> None:
    with pytest.raises(ClientError) as error:
        site.ec2.run_instances(ImageId=site.image_id, MinCount=1, MaxCount=1)
    assert _code(error) == "MissingParameter"


def test_subnet_key_groups_and_private_ip(site: Ec2Site, ec2_zone: SimZone) -> None:
    client = site.tenant.client()
    key = key_pair(client)
    tier = vpc_subnet(client, ec2_zone)
    subnet_id = aws_id_of(site.server, "subnet", str(tier["id"]))
    group = client.createSecurityGroup(name="web")["securitygroup"]
    group_id = aws_id_of(site.server, "security-group", str(group["id"]))
    reservation = site.run(
        KeyName=key,
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet_id,
                "Groups": [group_id],
                "PrivateIpAddress": "10.50.0.20",
            }
        ],
    )
    instance_id = reservation["Instances"][0]["InstanceId"]
    found = site.instance(instance_id)
    assert found["KeyName"] == key
    assert found["SubnetId"] == subnet_id
    assert found["PrivateIpAddress"] == "10.50.0.20"
    assert found["SecurityGroups"] == [{"GroupId": group_id, "GroupName": "web"}]
    assert found["NetworkInterfaces"][0]["Groups"] == found["SecurityGroups"]
    for name, value in [
        ("key-name", key),
        ("subnet-id", subnet_id),
        ("vpc-id", found["VpcId"]),
        ("private-ip-address", "10.50.0.20"),
        ("instance.group-id", group_id),
        ("network-interface.subnet-id", subnet_id),
        ("availability-zone", site.zone_name),
        ("instance-type", site.instance_type),
        ("image-id", site.image_id),
        ("reservation-id", reservation["ReservationId"]),
        ("instance-state-code", "16"),
    ]:
        reservations = site.ec2.describe_instances(Filters=[{"Name": name, "Values": [value]}])
        assert [i["InstanceId"] for r in reservations["Reservations"] for i in r["Instances"]] == [
            instance_id
        ], name
    none = site.ec2.describe_instances(Filters=[{"Name": "key-name", "Values": ["other"]}])
    assert none["Reservations"] == []
    with pytest.raises(ClientError) as error:
        site.ec2.describe_instances(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert _code(error) == "InvalidParameterValue"


def test_block_devices_and_volume_tags(site: Ec2Site, admin: CloudStack) -> None:
    if not any(
        row.get("iscustomized") for row in admin.listDiskOfferings().get("diskoffering", [])
    ):
        admin.createDiskOffering(name="custom", displaytext="custom", customized=True)
    reservation = site.run(
        BlockDeviceMappings=[
            {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 3}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 2}},
        ],
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "k", "Value": "v"}]}],
    )
    instance_id = reservation["Instances"][0]["InstanceId"]
    found = site.instance(instance_id)
    devices = {m["DeviceName"]: m["Ebs"] for m in found["BlockDeviceMappings"]}
    assert set(devices) == {"/dev/sda1", "/dev/sdf"}
    assert devices["/dev/sdf"]["DeleteOnTermination"] is True
    client = site.tenant.client()
    volumes = client.listVolumes(listall=True)["volume"]
    assert sorted(int(v["size"]) >> 30 for v in volumes) == [2, 3]
    assert all(v["tags"] == [{"key": "k", "value": "v"} | t for t in v["tags"]] for v in volumes)
    assert all(len(v["tags"]) == 1 for v in volumes)
    site.ec2.terminate_instances(InstanceIds=[instance_id])
    site.wait("instance_terminated", instance_id)
    left = client.listVolumes(listall=True).get("volume", [])
    assert [v for v in left if v["type"] == "DATADISK"] == []


def test_stop_start_reboot(site: Ec2Site) -> None:
    instance_id = site.run()["Instances"][0]["InstanceId"]
    site.wait("instance_running", instance_id)
    stopping = site.ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"]
    assert stopping[0]["PreviousState"] == {"Code": 16, "Name": "running"}
    site.wait("instance_stopped", instance_id)
    assert site.instance(instance_id)["State"] == {"Code": 80, "Name": "stopped"}
    with pytest.raises(ClientError) as error:
        site.ec2.reboot_instances(InstanceIds=[instance_id])
    assert _code(error) == "IncorrectInstanceState"
    again = site.ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"]
    assert again[0]["CurrentState"]["Name"] == "stopped"
    starting = site.ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"]
    assert starting[0]["PreviousState"]["Name"] == "stopped"
    site.wait("instance_running", instance_id)
    site.ec2.reboot_instances(InstanceIds=[instance_id])
    site.wait("instance_status_ok", instance_id)
    site.ec2.stop_instances(InstanceIds=[instance_id], Force=True)
    site.wait("instance_stopped", instance_id)
    site.ec2.terminate_instances(InstanceIds=[instance_id])
    with pytest.raises(ClientError) as error:
        site.ec2.start_instances(InstanceIds=[instance_id])
    assert _code(error) == "IncorrectInstanceState"
    with pytest.raises(ClientError) as error:
        site.ec2.stop_instances(InstanceIds=[instance_id])
    assert _code(error) == "IncorrectInstanceState"


def test_instance_status(site: Ec2Site) -> None:
    running = site.run()["Instances"][0]["InstanceId"]
    stopped = site.run()["Instances"][0]["InstanceId"]
    site.wait("instance_running", running, stopped)
    site.ec2.stop_instances(InstanceIds=[stopped])
    site.wait("instance_stopped", stopped)
    [status] = site.ec2.describe_instance_status()["InstanceStatuses"]
    assert status["InstanceId"] == running
    assert status["InstanceState"] == {"Code": 16, "Name": "running"}
    assert status["InstanceStatus"]["Status"] == "ok" and status["SystemStatus"]["Status"] == "ok"
    assert status["AvailabilityZone"] == site.zone_name
    every = site.ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
    assert {s["InstanceId"]: s["InstanceState"]["Name"] for s in every} == {
        running: "running",
        stopped: "stopped",
    }
    filtered = site.ec2.describe_instance_status(
        IncludeAllInstances=True,
        Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}],
    )["InstanceStatuses"]
    assert [s["InstanceId"] for s in filtered] == [stopped]


def test_pages_by_reservation(site: Ec2Site) -> None:
    first = site.run(MinCount=2, MaxCount=2)
    ids = {site.run()["ReservationId"] for _ in range(5)} | {first["ReservationId"]}
    seen: list[str] = []
    token = None
    while True:
        page = site.ec2.describe_instances(MaxResults=5, **({"NextToken": token} if token else {}))
        seen.extend(r["ReservationId"] for r in page["Reservations"])
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 6
    [two] = [r for r in site.ec2.describe_instances()["Reservations"] if len(r["Instances"]) == 2]
    assert two["ReservationId"] == first["ReservationId"]


def test_unknown_and_malformed_ids(site: Ec2Site) -> None:
    for action in (
        site.ec2.describe_instances,
        site.ec2.start_instances,
        site.ec2.stop_instances,
        site.ec2.terminate_instances,
        site.ec2.reboot_instances,
    ):
        with pytest.raises(ClientError) as error:
            action(InstanceIds=["i-00000000000000000"])
        assert _code(error) == "InvalidInstanceID.NotFound"
        with pytest.raises(ClientError) as error:
            action(InstanceIds=["instance-1"])
        assert _code(error) == "InvalidInstanceID.Malformed"


def test_tenant_isolation(
    site: Ec2Site, stranger: Ec2Site, alto_server: AltoServer, ec2_zone: SimZone
) -> None:
    instance_id = site.run()["Instances"][0]["InstanceId"]
    assert stranger.ec2.describe_instances()["Reservations"] == []
    for action in (
        stranger.ec2.describe_instances,
        stranger.ec2.terminate_instances,
        stranger.ec2.stop_instances,
    ):
        with pytest.raises(ClientError) as error:
            action(InstanceIds=[instance_id])
        assert _code(error) == "InvalidInstanceID.NotFound"
    assert site.instance(instance_id)["State"]["Name"] in ("pending", "running")
    client = site.tenant.client()
    subnet_id = aws_id_of(alto_server, "subnet", str(vpc_subnet(client, ec2_zone)["id"]))
    group = client.createSecurityGroup(name="mine")["securitygroup"]
    group_id = aws_id_of(alto_server, "security-group", str(group["id"]))
    for change, code in (
        ({"SubnetId": subnet_id}, "InvalidSubnetID.NotFound"),
        ({"SecurityGroupIds": [group_id]}, "InvalidGroup.NotFound"),
    ):
        with pytest.raises(ClientError) as error:
            stranger.run(**change)
        assert _code(error) == code
    assert stranger.tenant.client().listVirtualMachines(listall=True) == {}


def test_associate_public_ip_address(site: Ec2Site, ec2_zone: SimZone) -> None:
    client = site.tenant.client()
    tier = vpc_subnet(client, ec2_zone, cidr="10.60.0.0/16")
    subnet_id = aws_id_of(site.server, "subnet", str(tier["id"]))
    reservation = site.run(
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnet_id, "AssociatePublicIpAddress": True}
        ]
    )
    instance_id = reservation["Instances"][0]["InstanceId"]
    found = site.instance(instance_id)
    public = found["PublicIpAddress"]
    assert public and found["NetworkInterfaces"][0]["Association"]["PublicIp"] == public
    [address] = [
        row
        for row in client.listPublicIpAddresses(listall=True)["publicipaddress"]
        if row["ipaddress"] == public
    ]
    assert address["isstaticnat"] is True
    by_ip = site.ec2.describe_instances(Filters=[{"Name": "ip-address", "Values": [public]}])
    assert by_ip["Reservations"][0]["Instances"][0]["InstanceId"] == instance_id
    site.ec2.terminate_instances(InstanceIds=[instance_id])
    left = client.listPublicIpAddresses(listall=True).get("publicipaddress", [])
    assert public not in {row["ipaddress"] for row in left}
