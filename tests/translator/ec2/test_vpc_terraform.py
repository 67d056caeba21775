"""Terraform's AWS provider 3.39 with aws_vpc, aws_subnet and aws_internet_gateway: `apply`,
a `plan` with no changes, and `destroy`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import aws_client, base_url
from tests.support.ec2_vpc import az_of
from tests.support.server import AltoServer
from tests.support.tenants import Tenant
from tests.support.terraform import missing_packages, prepare_workdir, run_terraform, terraform_env
from tests.support.zones import SimZone

HERE = Path(__file__).parent
PROVIDER = HERE.parent / "terraform" / "provider.tf"


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    missing = missing_packages()
    if missing:
        pytest.skip(f"PyPI packages {', '.join(missing)} are not installed")
    return terraform_env(cache=tmp_path_factory.mktemp("terraform"))


def test_vpc_subnet_and_gateway(
    terraform: dict[str, str],
    tmp_path: Path,
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
) -> None:
    ec2: Any = aws_client(alto_server, tenant, "ec2")
    az = az_of(ec2, ec2_zone.id)
    prepare_workdir(
        tmp_path,
        configuration=[PROVIDER, HERE / "terraform_vpc" / "network.tf"],
        variables={
            "alto_endpoint": base_url(alto_server),
            "access_key": tenant.apikey,
            "secret_key": tenant.secretkey,
            "az": az,
        },
    )
    run_terraform(tmp_path, "init", env=terraform)
    run_terraform(tmp_path, "apply", "-auto-approve", env=terraform)
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["tf-vpc"]}])["Vpcs"]
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is True
    [subnet] = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "Subnets"
    ]
    assert (subnet["CidrBlock"], subnet["MapPublicIpOnLaunch"]) == ("10.98.1.0/24", True)
    [gateway] = ec2.describe_internet_gateways()["InternetGateways"]
    assert gateway["Attachments"] == [{"VpcId": vpc["VpcId"], "State": "available"}]
    run_terraform(tmp_path, "plan", "-detailed-exitcode", env=terraform)
    run_terraform(tmp_path, "destroy", "-auto-approve", env=terraform)
    assert ec2.describe_vpcs()["Vpcs"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
