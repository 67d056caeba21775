"""Terraform's AWS provider 3.39 against Alto, end to end: `init`, `apply`, a second `plan`
that shows no changes, and `destroy`, with a provider block that has no `skip_*` flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cs import CloudStack

from tests.support.aws import aws_client, base_url
from tests.support.ec2_addresses import default_subnet_in
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, admin_client, unique
from tests.support.terraform import prepare_workdir, run_terraform
from tests.support.zones import SimZone

HERE = Path(__file__).parent
APPLY = ("apply", "-auto-approve", "-parallelism=2")
DESTROY = ("destroy", "-auto-approve", "-parallelism=2")
GONE_STATES = {"Destroyed", "Expunging", "Expunged", "Destroy"}


def public_key() -> str:
    """A fresh RSA public key in OpenSSH format."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def bucket_name() -> str:
    return unique("tf-bkt").lower()


def provider_variables(server: AltoServer, tenant: Tenant) -> dict[str, str]:
    return {
        "alto_endpoint": base_url(server),
        "access_key": tenant.apikey,
        "secret_key": tenant.secretkey,
    }


def prepare_vpc_configuration(
    workdir: Path, *, server: AltoServer, tenant: Tenant, zone_id: str, file: str, name: str
) -> Any:
    """Write `provider.tf` and `file` into `workdir` with the provider variables, `name` and
    the availability zone of native zone `zone_id`; the tenant's boto3 EC2 client."""
    ec2 = aws_client(server, tenant, "ec2")
    [zone] = ec2.describe_availability_zones(ZoneIds=[zone_id])["AvailabilityZones"]
    prepare_workdir(
        workdir,
        configuration=[HERE / "provider.tf", HERE / file],
        variables=provider_variables(server, tenant)
        | {"name": name, "availability_zone": zone["ZoneName"]},
    )
    return ec2


def apply_then_plan(workdir: Path, tf_env: dict[str, str]) -> str:
    """`init`, `apply`, then a `plan` that must show no changes; the output of `state list`."""
    run_terraform(workdir, "init", env=tf_env)
    run_terraform(workdir, *APPLY, env=tf_env)
    run_terraform(workdir, "plan", "-detailed-exitcode", "-parallelism=2", env=tf_env)
    return run_terraform(workdir, "state", "list", env=tf_env)


def bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] in {"404", "NoSuchBucket"}:
            return False
        raise
    return True


def test_bucket_and_key_pair(
    tf_env: dict[str, str],
    workdir: Path,
    alto_server: AltoServer,
    tenant: Tenant,
    pool: dict[str, Any],
) -> None:
    bucket, key_name = bucket_name(), unique("tf-key")
    prepare_workdir(
        workdir,
        configuration=[HERE / "provider.tf", HERE / "bucket_and_key.tf"],
        variables=provider_variables(alto_server, tenant)
        | {"bucket": bucket, "key_name": key_name, "public_key": public_key()},
    )
    ec2 = aws_client(alto_server, tenant, "ec2")
    s3 = aws_client(alto_server, tenant, "s3", s3={"addressing_style": "path"})

    state = apply_then_plan(workdir, tf_env)

    assert state.split() == ["aws_key_pair.deployer", "aws_s3_bucket.data"]
    [pair] = ec2.describe_key_pairs(KeyNames=[key_name])["KeyPairs"]
    assert pair["KeyPairId"].startswith("key-")
    assert bucket_exists(s3, bucket)

    run_terraform(workdir, *DESTROY, env=tf_env)

    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert not bucket_exists(s3, bucket)


def leftovers(client: CloudStack) -> dict[str, list[str]]:
    """What the account still holds beyond its default VPC, tier and security group."""

    def rows(command: str, key: str, **params: Any) -> list[dict[str, Any]]:
        return list(getattr(client, command)(listall=True, **params).get(key, []))

    return {
        "vms": [
            vm["name"]
            for vm in rows("listVirtualMachines", "virtualmachine")
            if vm["state"] not in GONE_STATES
        ],
        "volumes": [
            volume["name"]
            for volume in rows("listVolumes", "volume")
            if volume.get("state") not in GONE_STATES
        ],
        "key pairs": [pair["name"] for pair in rows("listSSHKeyPairs", "sshkeypair")],
        "vpcs": [vpc["name"] for vpc in rows("listVPCs", "vpc") if vpc["name"] != "default"],
        "networks": [
            network["name"]
            for network in rows("listNetworks", "network")
            if network["name"] != "default"
        ],
        "security groups": [
            group["name"]
            for group in rows("listSecurityGroups", "securitygroup")
            if group["name"] != "default"
        ],
        "addresses": [
            address["ipaddress"]
            for address in rows("listPublicIpAddresses", "publicipaddress")
            if not address.get("issourcenat")
        ],
        "buckets": [bucket["name"] for bucket in rows("listBuckets", "bucket")],
    }


def test_full_stack(
    tf_env: dict[str, str],
    workdir: Path,
    alto_server: AltoServer,
    tenant: Tenant,
    pool: dict[str, Any],
    ec2_zone: SimZone,
    ec2_template: dict[str, Any],
    ec2_offering: dict[str, Any],
    volume_types: dict[str, dict[str, Any]],
) -> None:
    """The tenant may expunge (so a terminated instance frees its subnet at once, as in AWS)
    and its default VPC, where Elastic IPs are allocated, is in the test zone: an Elastic IP
    serves the zone of its VPC."""
    admin_client(alto_server).updateConfiguration(
        name="allow.user.expunge.recover.vm", value="true", accountid=tenant.id
    )
    default_subnet_in(tenant.client(), ec2_zone)
    ec2 = aws_client(alto_server, tenant, "ec2")
    [zone] = ec2.describe_availability_zones(ZoneIds=[ec2_zone.id])["AvailabilityZones"]
    [image] = ec2.describe_images(Filters=[{"Name": "name", "Values": [ec2_template["name"]]}])[
        "Images"
    ]
    prepare_workdir(
        workdir,
        configuration=[HERE / "provider.tf", HERE / "full_stack.tf"],
        variables=provider_variables(alto_server, tenant)
        | {
            "name": unique("tf"),
            "bucket": bucket_name(),
            "public_key": public_key(),
            "ami": image["ImageId"],
            "instance_type": ec2_offering["name"],
            "availability_zone": zone["ZoneName"],
        },
    )

    state = apply_then_plan(workdir, tf_env)

    assert sorted(state.split()) == [
        "aws_ebs_volume.data",
        "aws_eip.web",
        "aws_instance.web",
        "aws_key_pair.deployer",
        "aws_s3_bucket.data",
        "aws_security_group.web",
        "aws_subnet.main",
        "aws_volume_attachment.data",
        "aws_vpc.main",
    ]
    [reservation] = ec2.describe_instances()["Reservations"]
    [instance] = reservation["Instances"]
    assert instance["State"]["Name"] == "running"
    assert instance["ImageId"] == image["ImageId"]
    [address] = ec2.describe_addresses()["Addresses"]
    assert address["InstanceId"] == instance["InstanceId"]
    [volume] = ec2.describe_volumes(
        Filters=[{"Name": "attachment.device", "Values": ["/dev/sdf"]}]
    )["Volumes"]
    assert volume["Attachments"][0]["InstanceId"] == instance["InstanceId"]

    run_terraform(workdir, *DESTROY, env=tf_env)

    assert leftovers(tenant.client()) == {
        "vms": [],
        "volumes": [],
        "key pairs": [],
        "vpcs": [],
        "networks": [],
        "security groups": [],
        "addresses": [],
        "buckets": [],
    }
