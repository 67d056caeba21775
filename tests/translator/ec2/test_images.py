"""EC2 images through boto3 and the aws CLI against a real server: DescribeImages,
RegisterImage, DeregisterImage, CreateImage, CopyImage, Describe/ModifyImageAttribute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError
from cs import CloudStack

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, aws_client, cli_available
from tests.support.ec2_images import disk_url, image_of, registered_image
from tests.support.ec2_instances import ec2_site
from tests.support.http_files import HttpFiles
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import Tenant, admin_client, new_account, unique
from tests.support.vms import ready_template
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def http() -> Iterator[HttpFiles]:
    with HttpFiles() as files:
        yield files


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    return str(caught.value.response["Error"]["Code"])


def _account_id(alto_server: AltoServer, keys: Any) -> str:
    return str(aws_client(alto_server, keys, "sts").get_caller_identity()["Account"])


def _ids(ec2: Any, **params: Any) -> set[str]:
    return {image["ImageId"] for image in ec2.describe_images(**params)["Images"]}


def test_a_public_template_is_an_ami_with_its_real_fields(
    alto_server: AltoServer, tenant: Tenant, ec2_zone: SimZone, ec2_template: dict[str, Any]
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    [image] = ec2.describe_images(Filters=[{"Name": "name", "Values": [ec2_template["name"]]}])[
        "Images"
    ]
    assert image["ImageId"].startswith("ami-") and len(image["ImageId"]) == 21
    assert image["OwnerId"] == _account_id(alto_server, alto_server)
    assert (image["State"], image["Public"], image["Architecture"]) == (
        "available",
        True,
        "x86_64",
    )
    assert (image["RootDeviceName"], image["RootDeviceType"]) == ("/dev/sda1", "ebs")
    [root] = image["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/sda1" and root["Ebs"]["VolumeSize"] == 1
    assert (image["VirtualizationType"], image["ImageType"]) == ("hvm", "machine")
    assert image["PlatformDetails"] == "Linux/UNIX" and image["Hypervisor"] == "xen"
    assert image["Name"] == ec2_template["name"] and image["CreationDate"].endswith("Z")
    assert image_of(ec2, image["ImageId"])["Name"] == ec2_template["name"]
    assert image["ImageId"] in _ids(ec2, Filters=[{"Name": "is-public", "Values": ["true"]}])
    assert image["ImageId"] not in _ids(ec2, Owners=["self"])
    assert image["ImageId"] in _ids(ec2, Owners=[image["OwnerId"]])
    assert image["ImageId"] in _ids(ec2, ExecutableUsers=["all"])


def test_register_wait_describe_filter_and_deregister(
    alto_server: AltoServer, tenant: Tenant, ec2_zone: SimZone, http: HttpFiles
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    name = unique("ami")
    image_id = str(
        ec2.register_image(
            Name=name,
            Description="made by boto3",
            ImageLocation=disk_url(http),
            TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "k", "Value": "v"}]}],
        )["ImageId"]
    )
    assert image_of(ec2, image_id)["State"] in ("pending", "available")
    ec2.get_waiter("image_available").wait(
        ImageIds=[image_id], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    image = image_of(ec2, image_id)
    assert (image["Name"], image["Description"], image["Public"]) == (name, "made by boto3", False)
    assert image["OwnerId"] == _account_id(alto_server, tenant)
    assert image["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 4
    assert image["Tags"] == [{"Key": "k", "Value": "v"}]
    for name_, values in [
        ("tag:k", ["v"]),
        ("state", ["available"]),
        ("is-public", ["false"]),
        ("name", [name[:-2] + "*"]),
        ("image-id", [image_id]),
        ("owner-id", [image["OwnerId"]]),
        ("architecture", ["x86_64"]),
        ("image-type", ["machine"]),
        ("root-device-type", ["ebs"]),
        ("virtualization-type", ["hvm"]),
    ]:
        assert image_id in _ids(ec2, Filters=[{"Name": name_, "Values": values}]), name_
    assert image_id not in _ids(ec2, Filters=[{"Name": "tag:k", "Values": ["w"]}])
    assert _ids(ec2, Owners=["self"]) == {image_id}
    second = registered_image(ec2, http)
    first_page = ec2.describe_images(Owners=["self"], MaxResults=5)
    assert {i["ImageId"] for i in first_page["Images"]} == {image_id, second}

    assert ec2.deregister_image(ImageId=image_id)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert _ids(ec2, Owners=["self"]) == {second}
    assert _code(ec2.describe_images, ImageIds=[image_id]) == "InvalidAMIID.NotFound"
    assert _code(ec2.deregister_image, ImageId=image_id) == "InvalidAMIID.NotFound"


def test_a_failed_download_is_a_failed_image(
    start_alto_server: ServerFactory, tmp_path: Path, http: HttpFiles
) -> None:
    """On a server of its own: on the shared one, every test's images queue for downloads into
    every zone, and this image's copies may wait longer than the waiter does."""
    server = start_alto_server()
    admin = admin_client(server)
    build_zone(admin, root=tmp_path, hosts=1)
    ec2 = aws_client(server, new_account(admin, endpoint=server.endpoint), "ec2")
    image_id = ec2.register_image(Name=unique("ami"), ImageLocation=http.url("missing.qcow2"))[
        "ImageId"
    ]
    with pytest.raises(WaiterError):
        ec2.get_waiter("image_available").wait(
            ImageIds=[image_id], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
    image = image_of(ec2, image_id)
    assert image["State"] == "failed" and image["StateReason"]["Message"]
    assert image_id in _ids(ec2, Filters=[{"Name": "state", "Values": ["failed"]}])
    ec2.deregister_image(ImageId=image_id)


def test_featured_templates_are_amazons(
    admin: CloudStack,
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    tmp_path: Path,
) -> None:
    featured = ready_template(admin, ec2_zone, root=tmp_path, isfeatured="true")
    ec2 = aws_client(alto_server, tenant, "ec2")
    [image] = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": [featured["name"]]}]
    )["Images"]
    assert image["ImageOwnerAlias"] == "amazon" and image["Public"] is True
    assert image["ImageId"] in _ids(ec2, Filters=[{"Name": "owner-alias", "Values": ["amazon"]}])
    assert image["ImageId"] not in _ids(ec2, Owners=["self"])


def test_bad_image_requests_get_aws_errors(
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    http: HttpFiles,
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    assert _code(ec2.describe_images, ImageIds=["ami-nothex"]) == "InvalidAMIID.Malformed"
    assert _code(ec2.describe_images, ImageIds=["ami-" + "0" * 17]) == "InvalidAMIID.NotFound"
    assert _code(ec2.deregister_image, ImageId="bogus") == "InvalidAMIID.Malformed"
    bad_filter = [{"Name": "colour", "Values": ["red"]}]
    assert _code(ec2.describe_images, Filters=bad_filter) == "InvalidParameterValue"
    assert _code(ec2.register_image, Name=unique("ami")) == "MissingParameter"
    location = "s3-bucket/image.manifest.xml"
    assert (
        _code(ec2.register_image, Name=unique("ami"), ImageLocation=location)
        == "InvalidParameterValue"
    )
    assert (
        _code(ec2.register_image, Name="bad#name!", ImageLocation=disk_url(http))
        == "InvalidAMIName.Malformed"
    )
    assert (
        _code(ec2.register_image, Name=unique("ami"), ImageLocation="file:///etc/passwd")
        == "UnauthorizedOperation"
    )
    name = unique("ami")
    registered_image(ec2, http, Name=name)
    assert (
        _code(ec2.register_image, Name=name, ImageLocation=disk_url(http))
        == "InvalidAMIName.Duplicate"
    )
    [public] = ec2.describe_images(Filters=[{"Name": "name", "Values": [ec2_template["name"]]}])[
        "Images"
    ]
    assert _code(ec2.deregister_image, ImageId=public["ImageId"]) == "UnauthorizedOperation"
    assert _code(ec2.create_image, InstanceId="i-bad", Name=name) == "InvalidInstanceID.Malformed"
    missing = "i-" + "0" * 17
    assert _code(ec2.create_image, InstanceId=missing, Name=name) == "InvalidInstanceID.NotFound"
    assert (
        _code(ec2.describe_image_attribute, ImageId=public["ImageId"], Attribute="launchPermission")
        == "UnauthorizedOperation"
    )
    assert (
        _code(ec2.describe_image_attribute, ImageId=public["ImageId"], Attribute="kernel")
        == "InvalidParameterValue"
    )


def test_launch_permissions_between_accounts(
    admin: CloudStack,
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    http: HttpFiles,
) -> None:
    alice = aws_client(alto_server, tenant, "ec2")
    bob_keys = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)
    bob = aws_client(alto_server, bob_keys, "ec2")
    carol_domain = admin.createDomain(name=unique("dom"))["domain"]
    carol_keys = new_account(admin, domainid=carol_domain["id"], endpoint=alto_server.endpoint)
    carol = aws_client(alto_server, carol_keys, "ec2")
    bob_id = _account_id(alto_server, bob_keys)
    image_id = registered_image(alice, http)

    assert image_id not in _ids(bob)
    assert _code(bob.describe_images, ImageIds=[image_id]) == "InvalidAMIID.NotFound"
    assert _code(bob.deregister_image, ImageId=image_id) == "InvalidAMIID.NotFound"
    assert (
        _code(
            bob.modify_image_attribute,
            ImageId=image_id,
            LaunchPermission={"Add": [{"Group": "all"}]},
        )
        == "InvalidAMIID.NotFound"
    )

    alice.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": bob_id}]})
    permissions = alice.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert permissions["LaunchPermissions"] == [{"UserId": bob_id}]
    assert image_id in _ids(bob, ExecutableUsers=["self"])
    assert image_of(bob, image_id)["Public"] is False
    assert image_id in _ids(alice, ExecutableUsers=[bob_id])
    assert image_id not in _ids(carol)

    alice.modify_image_attribute(
        ImageId=image_id, Attribute="launchPermission", OperationType="remove", UserIds=[bob_id]
    )
    assert image_id not in _ids(bob)
    alice.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    assert image_of(carol, image_id)["Public"] is True
    assert alice.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")[
        "LaunchPermissions"
    ] == [{"Group": "all"}]
    alice.modify_image_attribute(ImageId=image_id, LaunchPermission={"Remove": [{"Group": "all"}]})
    assert image_id not in _ids(carol)

    carol_id = _account_id(alto_server, carol_keys)
    for user in (carol_id, "123"):
        assert (
            _code(
                alice.modify_image_attribute,
                ImageId=image_id,
                LaunchPermission={"Add": [{"UserId": user}]},
            )
            == "InvalidUserID.Malformed"
        )
    assert (
        _code(
            alice.modify_image_attribute,
            ImageId=image_id,
            LaunchPermission={"Add": [{"Group": "everyone"}]},
        )
        == "InvalidAMIAttributeItemValue"
    )
    assert _code(alice.modify_image_attribute, ImageId=image_id) == "MissingParameter"


def test_description_attribute(alto_server: AltoServer, tenant: Tenant, http: HttpFiles) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    image_id = registered_image(ec2, http, Description="before")
    described = ec2.describe_image_attribute(ImageId=image_id, Attribute="description")
    assert described["Description"] == {"Value": "before"}
    ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "after"})
    assert image_of(ec2, image_id)["Description"] == "after"
    mappings = ec2.describe_image_attribute(ImageId=image_id, Attribute="blockDeviceMapping")
    assert mappings["BlockDeviceMappings"][0]["DeviceName"] == "/dev/sda1"


def test_copy_image_makes_a_new_ami_of_the_callers(
    alto_server: AltoServer, tenant: Tenant, ec2_template: dict[str, Any], http: HttpFiles
) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    source = registered_image(
        ec2,
        http,
        Description="source",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]}],
    )
    [public] = ec2.describe_images(Filters=[{"Name": "name", "Values": [ec2_template["name"]]}])[
        "Images"
    ]
    name = unique("copy")
    copy = ec2.copy_image(
        Name=name, SourceImageId=source, SourceRegion="us-east-1", CopyImageTags=True
    )["ImageId"]
    public_copy = ec2.copy_image(
        Name=unique("copy"), SourceImageId=public["ImageId"], SourceRegion="us-east-1"
    )["ImageId"]
    assert len({source, copy, public_copy, public["ImageId"]}) == 4
    ec2.get_waiter("image_available").wait(
        ImageIds=[copy, public_copy], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    image = image_of(ec2, copy)
    assert (image["Name"], image["Description"]) == (name, "source")
    assert image["Tags"] == [{"Key": "app", "Value": "web"}]
    mine = image_of(ec2, public_copy)
    assert (mine["OwnerId"], mine["Public"]) == (_account_id(alto_server, tenant), False)
    assert mine["BlockDeviceMappings"] == public["BlockDeviceMappings"]
    assert _ids(ec2, Owners=["self"]) == {source, copy, public_copy}

    assert (
        _code(ec2.copy_image, Name=unique("c"), SourceImageId=source, SourceRegion="us-west-2")
        == "InvalidParameterValue"
    )
    assert (
        _code(ec2.copy_image, Name=name, SourceImageId=source, SourceRegion="us-east-1")
        == "InvalidAMIName.Duplicate"
    )
    missing = "ami-" + "1" * 17
    assert (
        _code(ec2.copy_image, Name=unique("c"), SourceImageId=missing, SourceRegion="us-east-1")
        == "InvalidAMIID.NotFound"
    )


CLIS = [
    pytest.param(CLI_V1, id="v1"),
    pytest.param(
        CLI_V2,
        id="v2",
        marks=pytest.mark.skipif(not cli_available(CLI_V2), reason="aws CLI v2 not installed"),
    ),
]


@pytest.mark.parametrize("cli", CLIS)
def test_aws_cli_registers_waits_for_and_describes_an_image(
    alto_server: AltoServer, tenant: Tenant, ec2_zone: SimZone, http: HttpFiles, cli: str
) -> None:
    name = unique("cli")
    # aws CLI v1 would download an http:// option value itself (cli_follow_urlparam): the
    # location goes in as JSON.
    request = json.dumps({"Name": name, "ImageLocation": disk_url(http)})
    registered = aws_cli(
        alto_server, tenant, "ec2", "register-image", "--cli-input-json", request, cli=cli
    )
    image_id = registered["ImageId"]
    aws_client(alto_server, tenant, "ec2").get_waiter("image_available").wait(
        ImageIds=[image_id], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    aws_cli(alto_server, tenant, "ec2", "wait", "image-available", "--image-ids", image_id, cli=cli)
    [image] = aws_cli(alto_server, tenant, "ec2", "describe-images", "--owners", "self", cli=cli)[
        "Images"
    ]
    assert (image["ImageId"], image["Name"], image["State"]) == (image_id, name, "available")
    assert image["BlockDeviceMappings"][0]["DeviceName"] == "/dev/sda1"
    aws_cli(alto_server, tenant, "ec2", "deregister-image", "--image-id", image_id, cli=cli)
    assert _ids(aws_client(alto_server, tenant, "ec2"), Owners=["self"]) == set()


def test_create_image_and_register_image_from_an_instance(
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
) -> None:
    site = ec2_site(alto_server, tenant, ec2_zone, ec2_template, ec2_offering)
    [launched] = site.run()["Instances"]
    instance_id = launched["InstanceId"]
    site.wait("instance_running", instance_id)

    live = site.ec2.create_image(InstanceId=instance_id, Name=unique("live"), NoReboot=True)
    rebooted = site.ec2.create_image(
        InstanceId=instance_id,
        Name=unique("reboot"),
        Description="stopped and started",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "from", "Value": "vm"}]}],
    )
    assert site.instance(instance_id)["State"]["Name"] == "running"
    site.ec2.stop_instances(InstanceIds=[instance_id])
    site.wait("instance_stopped", instance_id)
    stopped = site.ec2.create_image(InstanceId=instance_id, Name=unique("stopped"))
    image_ids = [answer["ImageId"] for answer in (live, rebooted, stopped)]
    site.ec2.get_waiter("image_available").wait(
        ImageIds=image_ids, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    images = {
        image["ImageId"]: image for image in site.ec2.describe_images(Owners=["self"])["Images"]
    }
    assert set(images) == set(image_ids)
    made = images[rebooted["ImageId"]]
    assert made["Description"] == "stopped and started" and made["Public"] is False
    assert made["Tags"] == [{"Key": "from", "Value": "vm"}]
    assert made["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] >= 1
    [root] = site.instance(instance_id)["BlockDeviceMappings"]
    snapshot_id = site.ec2.create_snapshot(VolumeId=root["Ebs"]["VolumeId"])["SnapshotId"]
    site.ec2.get_waiter("snapshot_completed").wait(
        SnapshotIds=[snapshot_id], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    from_snapshot = site.ec2.register_image(
        Name=unique("snap"),
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": snapshot_id}}],
    )["ImageId"]
    site.ec2.get_waiter("image_available").wait(
        ImageIds=[from_snapshot], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    for mapping, code in (
        ({"DeviceName": "/dev/sdb", "Ebs": {"SnapshotId": snapshot_id}}, "MissingParameter"),
        (
            {"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": "snap-" + "0" * 17}},
            "InvalidSnapshot.NotFound",
        ),
    ):
        assert (
            _code(site.ec2.register_image, Name=unique("bad"), BlockDeviceMappings=[mapping])
            == code
        )
    [relaunched] = site.run(ImageId=stopped["ImageId"])["Instances"]
    site.wait("instance_running", relaunched["InstanceId"])

    site.ec2.terminate_instances(InstanceIds=[instance_id, relaunched["InstanceId"]])
    site.wait("instance_terminated", instance_id)
    assert (
        _code(site.ec2.create_image, InstanceId=instance_id, Name=unique("gone"))
        == "InvalidInstanceID.NotFound"
    )
