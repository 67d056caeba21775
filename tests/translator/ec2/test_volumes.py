"""EC2 volumes through boto3 and the aws CLI against a real server: CreateVolume,
DescribeVolumes, AttachVolume, DetachVolume, DeleteVolume, ModifyVolume,
DescribeVolumesModifications, their errors and waiters, and tenant isolation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, aws_client, cli_available
from tests.support.ec2_volumes import native_instance, volume_type_offerings
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.zones import SimZone

WAIT = {"Delay": 1, "MaxAttempts": 30}


@pytest.fixture(scope="module")
def typed_offerings(ec2_admin: CloudStack, ec2_zone: SimZone) -> dict[str, dict[str, Any]]:
    return volume_type_offerings(ec2_admin)


@pytest.fixture
def ec2(alto_server: AltoServer, tenant: Tenant, typed_offerings: dict[str, Any]) -> Any:
    return aws_client(alto_server, tenant, "ec2")


@pytest.fixture
def az(ec2: Any, ec2_zone: SimZone) -> str:
    [zone] = ec2.describe_availability_zones(ZoneIds=[ec2_zone.id])["AvailabilityZones"]
    return str(zone["ZoneName"])


@pytest.fixture
def instance(
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> str:
    """A running instance of the tenant, deployed natively; its instance id."""
    return native_instance(alto_server, tenant, ec2_zone, ec2_template, ec2_offering)[1]


def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


def volume_of(ec2: Any, volume_id: str) -> dict[str, Any]:
    [volume] = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    return dict(volume)


def ids_of(ec2: Any, *filters: tuple[str, str]) -> set[str]:
    found = ec2.describe_volumes(Filters=[{"Name": n, "Values": [v]} for n, v in filters])
    return {volume["VolumeId"] for volume in found["Volumes"]}


def data_volumes(ec2: Any) -> list[dict[str, Any]]:
    return [
        volume
        for volume in ec2.describe_volumes()["Volumes"]
        if all(a["Device"] != "/dev/sda1" for a in volume["Attachments"])
    ]


def test_create_volume_with_its_real_fields(ec2: Any, az: str) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    created = ec2.create_volume(
        AvailabilityZone=az,
        Size=2,
        VolumeType="gp3",
        Iops=4000,
        Throughput=125,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )
    volume_id = created["VolumeId"]
    assert volume_id.startswith("vol-") and len(volume_id) == 21
    assert created["CreateTime"] >= before
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=WAIT)
    volume = volume_of(ec2, volume_id)
    assert (volume["Size"], volume["AvailabilityZone"], volume["State"]) == (2, az, "available")
    assert (volume["VolumeType"], volume["Iops"], volume["Throughput"]) == ("gp3", 4000, 125)
    assert (volume["Encrypted"], volume["MultiAttachEnabled"]) == (False, False)
    assert (volume["SnapshotId"], volume["Attachments"]) == ("", [])
    assert volume["Tags"] == [{"Key": "Name", "Value": "data"}]
    assert volume["CreateTime"] == created["CreateTime"]
    assert ids_of(ec2, ("tag:Name", "data"), ("size", "2"), ("volume-type", "gp3")) == {volume_id}
    assert ids_of(ec2, ("status", "available"), ("availability-zone", az)) == {volume_id}
    assert ids_of(ec2, ("volume-id", volume_id), ("create-time", "20*")) == {volume_id}
    assert ids_of(ec2, ("size", "3")) == set()
    assert ids_of(ec2, ("snapshot-id", "")) == {volume_id}


def test_volume_types_come_from_disk_offerings(ec2: Any, az: str) -> None:
    plain = ec2.create_volume(AvailabilityZone=az, Size=1)
    assert (plain["VolumeType"], plain["Iops"]) == ("gp2", 100)
    assert "Throughput" not in plain
    other = ec2.create_volume(AvailabilityZone=az, Size=1, VolumeType="io1", Iops=200)
    assert other["VolumeType"] in ("gp2", "gp3") and other["State"] == "available"


def test_create_volume_errors_make_nothing(ec2: Any, az: str) -> None:
    assert code_of(ec2.create_volume, Size=1) == "MissingParameter"
    assert code_of(ec2.create_volume, AvailabilityZone=az) == "MissingParameter"
    assert code_of(ec2.create_volume, AvailabilityZone="nowhere-1z", Size=1) == (
        "InvalidParameterValue"
    )
    assert code_of(ec2.create_volume, AvailabilityZone=az, Size=0) == "InvalidParameterValue"
    assert code_of(ec2.create_volume, AvailabilityZone=az, Size=20000) == "InvalidParameterValue"
    assert code_of(ec2.create_volume, AvailabilityZone=az, Size=1, VolumeType="ssd") == (
        "InvalidParameterValue"
    )
    assert code_of(ec2.create_volume, AvailabilityZone=az, Size=1, Iops=300) == (
        "InvalidParameterCombination"
    )
    assert code_of(ec2.create_volume, AvailabilityZone=az, Size=1, VolumeType="io1") == (
        "MissingParameter"
    )
    assert code_of(ec2.create_volume, AvailabilityZone=az, SnapshotId="snap-1") == (
        "InvalidSnapshotID.Malformed"
    )
    assert code_of(ec2.create_volume, AvailabilityZone=az, SnapshotId="snap-12345678") == (
        "InvalidSnapshot.NotFound"
    )
    assert code_of(ec2.create_volume, AvailabilityZone=az, Size=1, Encrypted=True) == (
        "InvalidParameterValue"
    )
    with pytest.raises(ClientError) as dry_run:
        ec2.create_volume(AvailabilityZone=az, Size=1, DryRun=True)
    assert dry_run.value.response["Error"]["Code"] == "DryRunOperation"
    assert ec2.describe_volumes()["Volumes"] == []


def test_attach_and_detach_keep_the_device_name(ec2: Any, az: str, instance: str) -> None:
    first = ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    second = ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    attached = ec2.attach_volume(VolumeId=first, InstanceId=instance, Device="/dev/sdf")
    assert (attached["VolumeId"], attached["InstanceId"], attached["Device"]) == (
        first,
        instance,
        "/dev/sdf",
    )
    assert attached["State"] == "attached" and "AttachTime" in attached
    ec2.attach_volume(VolumeId=second, InstanceId=instance, Device="/dev/xvdg")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[first, second], WaiterConfig=WAIT)
    [attachment] = volume_of(ec2, first)["Attachments"]
    assert (attachment["Device"], attachment["State"], attachment["InstanceId"]) == (
        "/dev/sdf",
        "attached",
        instance,
    )
    assert attachment["DeleteOnTermination"] is False
    assert volume_of(ec2, second)["Attachments"][0]["Device"] == "/dev/xvdg"
    on_instance = ids_of(ec2, ("attachment.instance-id", instance))
    assert len(on_instance) == 3 and {first, second} < on_instance
    [root] = on_instance - {first, second}
    [root_attachment] = volume_of(ec2, root)["Attachments"]
    assert (root_attachment["Device"], root_attachment["DeleteOnTermination"]) == (
        "/dev/sda1",
        True,
    )
    assert ids_of(ec2, ("attachment.device", "/dev/sdf"), ("attachment.instance-id", instance)) == {
        first
    }
    assert ids_of(ec2, ("attachment.device", "/dev/xvdf")) == set()
    assert ids_of(ec2, ("attachment.status", "attached"), ("status", "in-use")) == on_instance
    assert ids_of(ec2, ("attachment.delete-on-termination", "true")) == {root}
    assert code_of(ec2.detach_volume, VolumeId=root) == "IncorrectState"
    assert code_of(ec2.delete_volume, VolumeId=root) == "VolumeInUse"

    ec2.detach_volume(VolumeId=first)
    ec2.get_waiter("volume_available").wait(VolumeIds=[first], WaiterConfig=WAIT)
    assert volume_of(ec2, first)["Attachments"] == []
    again = ec2.attach_volume(VolumeId=first, InstanceId=instance, Device="/dev/xvdf")
    assert again["Device"] == "/dev/xvdf"
    assert volume_of(ec2, first)["Attachments"][0]["Device"] == "/dev/xvdf"


def test_attach_detach_and_delete_errors(ec2: Any, az: str, instance: str) -> None:
    volume = ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    spare = ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    attach = ec2.attach_volume
    assert code_of(ec2.detach_volume, VolumeId=volume) == "IncorrectState"
    assert code_of(attach, VolumeId=volume, InstanceId=instance, Device="sdf!") == (
        "InvalidParameterValue"
    )
    assert code_of(attach, VolumeId="vol-1", InstanceId=instance, Device="/dev/sdf") == (
        "InvalidVolumeID.Malformed"
    )
    assert code_of(attach, VolumeId="vol-12345678", InstanceId=instance, Device="/dev/sdf") == (
        "InvalidVolume.NotFound"
    )
    assert code_of(attach, VolumeId=volume, InstanceId="i-12345678", Device="/dev/sdf") == (
        "InvalidInstanceID.NotFound"
    )
    attach(VolumeId=volume, InstanceId=instance, Device="/dev/sdf")
    assert code_of(attach, VolumeId=volume, InstanceId=instance, Device="/dev/sdg") == (
        "VolumeInUse"
    )
    assert code_of(attach, VolumeId=spare, InstanceId=instance, Device="/dev/sdf") == (
        "InvalidParameterValue"
    )
    assert volume_of(ec2, spare)["State"] == "available"
    assert code_of(ec2.delete_volume, VolumeId=volume) == "VolumeInUse"
    assert code_of(ec2.detach_volume, VolumeId=volume, InstanceId="i-12345678") == (
        "InvalidInstanceID.NotFound"
    )
    assert code_of(ec2.detach_volume, VolumeId=volume, Device="/dev/sdg") == (
        "InvalidAttachment.NotFound"
    )
    detached = ec2.detach_volume(VolumeId=volume, InstanceId=instance, Force=True)
    assert (detached["Device"], detached["InstanceId"]) == ("/dev/sdf", instance)
    assert code_of(ec2.detach_volume, VolumeId=volume) == "IncorrectState"
    ec2.delete_volume(VolumeId=volume)
    assert code_of(ec2.describe_volumes, VolumeIds=[volume]) == "InvalidVolume.NotFound"
    assert code_of(ec2.delete_volume, VolumeId=volume) == "InvalidVolume.NotFound"
    assert code_of(ec2.delete_volume, VolumeId="vol-zz") == "InvalidVolumeID.Malformed"
    assert code_of(ec2.describe_volumes, VolumeIds=["vol-zz"]) == "InvalidVolumeID.Malformed"
    assert code_of(ec2.describe_volumes, Filters=[{"Name": "colour", "Values": ["x"]}]) == (
        "InvalidParameterValue"
    )


def test_modify_volume_and_its_modifications(ec2: Any, az: str, instance: str) -> None:
    volume_id = ec2.create_volume(AvailabilityZone=az, Size=1, VolumeType="gp2")["VolumeId"]
    untouched = ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance, Device="/dev/sdh")
    modification = ec2.modify_volume(VolumeId=volume_id, Size=3, VolumeType="gp3")[
        "VolumeModification"
    ]
    assert (modification["VolumeId"], modification["ModificationState"]) == (
        volume_id,
        "completed",
    )
    assert (modification["OriginalSize"], modification["TargetSize"]) == (1, 3)
    assert (modification["OriginalVolumeType"], modification["TargetVolumeType"]) == (
        "gp2",
        "gp3",
    )
    assert (modification["OriginalIops"], modification["TargetIops"]) == (100, 3000)
    assert modification["Progress"] == 100 and "StartTime" in modification
    volume = volume_of(ec2, volume_id)
    assert (volume["Size"], volume["VolumeType"], volume["State"]) == (3, "gp3", "in-use")
    [listed] = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
    assert listed == modification
    everything = ec2.describe_volumes_modifications()["VolumesModifications"]
    assert [entry["VolumeId"] for entry in everything] == [volume_id]
    assert code_of(ec2.describe_volumes_modifications, VolumeIds=[untouched]) == (
        "InvalidVolumeModification.NotFound"
    )
    filtered = ec2.describe_volumes_modifications(
        Filters=[{"Name": "target-size", "Values": ["3"]}]
    )["VolumesModifications"]
    assert len(filtered) == 1
    assert code_of(ec2.modify_volume, VolumeId=volume_id, Size=2) == "InvalidParameterValue"
    assert code_of(ec2.modify_volume, VolumeId=volume_id, VolumeType="sc1") == (
        "InvalidParameterValue"
    )
    assert code_of(ec2.modify_volume, VolumeId="vol-12345678", Size=5) == "InvalidVolume.NotFound"
    assert volume_of(ec2, volume_id)["Size"] == 3


def test_describe_volumes_pages(ec2: Any, az: str) -> None:
    made = {ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"] for _ in range(6)}
    first = ec2.describe_volumes(MaxResults=5)
    assert len(first["Volumes"]) == 5 and first["NextToken"]
    rest = ec2.describe_volumes(MaxResults=5, NextToken=first["NextToken"])
    assert "NextToken" not in rest
    assert {v["VolumeId"] for v in first["Volumes"] + rest["Volumes"]} == made
    paged = ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 5})
    assert {v["VolumeId"] for page in paged for v in page["Volumes"]} == made
    assert code_of(ec2.describe_volumes, MaxResults=1) == "InvalidParameterValue"


def test_another_account_sees_none_of_the_volumes(
    ec2: Any, az: str, alto_server: AltoServer, ec2_admin: CloudStack, instance: str
) -> None:
    volume_id = ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    other = aws_client(alto_server, new_account(ec2_admin, endpoint=alto_server.endpoint), "ec2")
    assert other.describe_volumes()["Volumes"] == []
    assert code_of(other.describe_volumes, VolumeIds=[volume_id]) == "InvalidVolume.NotFound"
    assert code_of(other.delete_volume, VolumeId=volume_id) == "InvalidVolume.NotFound"
    assert code_of(other.modify_volume, VolumeId=volume_id, Size=4) == "InvalidVolume.NotFound"
    assert code_of(other.detach_volume, VolumeId=volume_id) == "InvalidVolume.NotFound"
    own = other.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    assert code_of(other.attach_volume, VolumeId=own, InstanceId=instance, Device="/dev/sdf") == (
        "InvalidInstanceID.NotFound"
    )
    assert volume_of(ec2, volume_id)["State"] == "available"


@pytest.mark.parametrize(
    "cli",
    [
        CLI_V1,
        pytest.param(
            CLI_V2,
            marks=pytest.mark.skipif(not cli_available(CLI_V2), reason="aws CLI v2 not installed"),
        ),
    ],
)
def test_aws_cli_creates_waits_for_and_describes_a_volume(
    alto_server: AltoServer, tenant: Tenant, ec2: Any, az: str, cli: str
) -> None:
    created = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "create-volume",
        "--availability-zone",
        az,
        "--size",
        "2",
        "--volume-type",
        "gp3",
        cli=cli,
    )
    volume_id = created["VolumeId"]
    assert created["CreateTime"]
    assert (
        aws_cli(
            alto_server,
            tenant,
            "ec2",
            "wait",
            "volume-available",
            "--volume-ids",
            volume_id,
            cli=cli,
        )
        is None
    )
    described = aws_cli(
        alto_server,
        tenant,
        "ec2",
        "describe-volumes",
        "--filters",
        f"Name=volume-id,Values={volume_id}",
        cli=cli,
    )
    [volume] = described["Volumes"]
    assert (volume["Size"], volume["VolumeType"], volume["State"]) == (2, "gp3", "available")
