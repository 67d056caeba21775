"""EC2 snapshots through boto3 against a real server: CreateSnapshot, DescribeSnapshots,
DeleteSnapshot, CopySnapshot, volumes made from snapshots, errors, waiters and tenant
isolation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.aws import aws_client
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
def volume_id(ec2: Any, az: str) -> str:
    return str(ec2.create_volume(AvailabilityZone=az, Size=2)["VolumeId"])


def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


def account_of(alto_server: AltoServer, tenant: Tenant) -> str:
    return str(aws_client(alto_server, tenant, "sts").get_caller_identity()["Account"])


def snapshot_ids(ec2: Any, **params: Any) -> set[str]:
    return {snapshot["SnapshotId"] for snapshot in ec2.describe_snapshots(**params)["Snapshots"]}


def test_create_snapshot_with_its_real_fields(
    ec2: Any, volume_id: str, alto_server: AltoServer, tenant: Tenant
) -> None:
    created = ec2.create_snapshot(
        VolumeId=volume_id,
        Description="nightly",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "k", "Value": "v"}]}],
    )
    snapshot_id = created["SnapshotId"]
    assert snapshot_id.startswith("snap-") and len(snapshot_id) == 22
    account = account_of(alto_server, tenant)
    assert (created["VolumeId"], created["VolumeSize"], created["OwnerId"]) == (
        volume_id,
        2,
        account,
    )
    assert (created["Description"], created["Encrypted"]) == ("nightly", False)
    assert created["State"] in ("pending", "completed") and "StartTime" in created
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=WAIT)
    [snapshot] = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert (snapshot["State"], snapshot["Progress"]) == ("completed", "100%")
    assert snapshot["Tags"] == [{"Key": "k", "Value": "v"}]
    assert snapshot_ids(ec2, OwnerIds=["self"]) == {snapshot_id}
    assert snapshot_ids(ec2, OwnerIds=[account]) == {snapshot_id}
    assert snapshot_ids(ec2, OwnerIds=["amazon"]) == set()
    for name, value in (
        ("snapshot-id", snapshot_id),
        ("volume-id", volume_id),
        ("status", "completed"),
        ("owner-id", account),
        ("description", "night*"),
        ("tag:k", "v"),
    ):
        assert snapshot_ids(ec2, Filters=[{"Name": name, "Values": [value]}]) == {snapshot_id}
    assert snapshot_ids(ec2, Filters=[{"Name": "status", "Values": ["pending"]}]) == set()


def test_a_volume_from_a_snapshot(ec2: Any, volume_id: str, az: str) -> None:
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    same = ec2.create_volume(AvailabilityZone=az, SnapshotId=snapshot_id)
    bigger = ec2.create_volume(AvailabilityZone=az, SnapshotId=snapshot_id, Size=5)
    ec2.get_waiter("volume_available").wait(
        VolumeIds=[same["VolumeId"], bigger["VolumeId"]], WaiterConfig=WAIT
    )
    volumes = ec2.describe_volumes(Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}])
    sizes = {volume["VolumeId"]: volume["Size"] for volume in volumes["Volumes"]}
    assert sizes == {same["VolumeId"]: 2, bigger["VolumeId"]: 5}
    assert code_of(ec2.create_volume, AvailabilityZone=az, SnapshotId=snapshot_id, Size=1) == (
        "InvalidParameterValue"
    )
    assert len(ec2.describe_volumes()["Volumes"]) == 3


def test_snapshot_of_an_attached_volume(
    ec2: Any,
    az: str,
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> None:
    _, instance = native_instance(alto_server, tenant, ec2_zone, ec2_template, ec2_offering)
    volume_id = ec2.create_volume(AvailabilityZone=az, Size=1)["VolumeId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance, Device="/dev/sdf")
    snapshot = ec2.create_snapshot(VolumeId=volume_id, Description="live")
    assert (snapshot["State"], snapshot["VolumeId"]) == ("completed", volume_id)


def test_copy_snapshot(ec2: Any, volume_id: str) -> None:
    source = ec2.create_snapshot(VolumeId=volume_id, Description="source")["SnapshotId"]
    copied = ec2.copy_snapshot(
        SourceSnapshotId=source,
        SourceRegion="us-east-1",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "copy", "Value": "1"}]}],
    )
    copy_id = copied["SnapshotId"]
    assert copy_id.startswith("snap-") and copy_id != source
    assert copied["Tags"] == [{"Key": "copy", "Value": "1"}]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[copy_id], WaiterConfig=WAIT)
    [copy] = ec2.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"]
    assert copy["Description"] == f"[Copied {source} from us-east-1]"
    assert (copy["VolumeId"], copy["VolumeSize"]) == (volume_id, 2)
    described = ec2.copy_snapshot(
        SourceSnapshotId=source, SourceRegion="us-east-1", Description="mine"
    )
    [named] = ec2.describe_snapshots(SnapshotIds=[described["SnapshotId"]])["Snapshots"]
    assert named["Description"] == "mine"
    assert code_of(ec2.copy_snapshot, SourceSnapshotId=source, SourceRegion="eu-west-1") == (
        "InvalidParameterValue"
    )
    assert code_of(
        ec2.copy_snapshot, SourceSnapshotId="snap-12345678", SourceRegion="us-east-1"
    ) == ("InvalidSnapshot.NotFound")
    assert len(snapshot_ids(ec2)) == 3


def test_delete_snapshot_and_errors(ec2: Any, volume_id: str) -> None:
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert snapshot_ids(ec2) == set()
    assert code_of(ec2.describe_snapshots, SnapshotIds=[snapshot_id]) == (
        "InvalidSnapshot.NotFound"
    )
    assert code_of(ec2.delete_snapshot, SnapshotId=snapshot_id) == "InvalidSnapshot.NotFound"
    assert code_of(ec2.delete_snapshot, SnapshotId="snap-x") == "InvalidSnapshotID.Malformed"
    assert code_of(ec2.describe_snapshots, SnapshotIds=["snap-x"]) == (
        "InvalidSnapshotID.Malformed"
    )
    assert code_of(ec2.create_snapshot, VolumeId="vol-12345678") == "InvalidVolume.NotFound"
    assert code_of(ec2.create_snapshot, VolumeId="vol-x") == "InvalidVolumeID.Malformed"
    assert code_of(ec2.describe_snapshots, Filters=[{"Name": "size", "Values": ["1"]}]) == (
        "InvalidParameterValue"
    )
    ec2.delete_volume(VolumeId=volume_id)
    assert ec2.describe_volumes()["Volumes"] == []


def test_snapshots_page(ec2: Any, volume_id: str) -> None:
    made = {ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"] for _ in range(6)}
    first = ec2.describe_snapshots(MaxResults=5)
    assert len(first["Snapshots"]) == 5 and first["NextToken"]
    rest = ec2.describe_snapshots(MaxResults=5, NextToken=first["NextToken"])
    assert {s["SnapshotId"] for s in first["Snapshots"] + rest["Snapshots"]} == made


def test_another_account_sees_none_of_the_snapshots(
    ec2: Any, volume_id: str, alto_server: AltoServer, ec2_admin: CloudStack, az: str
) -> None:
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    other = aws_client(alto_server, new_account(ec2_admin, endpoint=alto_server.endpoint), "ec2")
    assert other.describe_snapshots()["Snapshots"] == []
    assert code_of(other.describe_snapshots, SnapshotIds=[snapshot_id]) == (
        "InvalidSnapshot.NotFound"
    )
    assert code_of(other.delete_snapshot, SnapshotId=snapshot_id) == "InvalidSnapshot.NotFound"
    assert code_of(other.copy_snapshot, SourceSnapshotId=snapshot_id, SourceRegion="us-east-1") == (
        "InvalidSnapshot.NotFound"
    )
    assert code_of(other.create_volume, AvailabilityZone=az, SnapshotId=snapshot_id) == (
        "InvalidSnapshot.NotFound"
    )
    assert code_of(other.create_snapshot, VolumeId=volume_id) == "InvalidVolume.NotFound"
    assert other.describe_volumes()["Volumes"] == []
    assert snapshot_ids(ec2) == {snapshot_id}
