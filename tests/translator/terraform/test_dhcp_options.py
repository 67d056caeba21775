"""Terraform's `aws_vpc_dhcp_options` and `aws_vpc_dhcp_options_association` against Alto:
`apply`, a second `plan` showing no changes, and `destroy` (which takes the VPC back to its
default options before deleting the set)."""

from __future__ import annotations

from pathlib import Path

from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique
from tests.support.terraform import run_terraform
from tests.support.zones import SimZone
from tests.translator.terraform.test_terraform import (
    DESTROY,
    apply_then_plan,
    prepare_vpc_configuration,
)

HERE = Path(__file__).parent


def test_dhcp_options_and_association(
    tf_env: dict[str, str],
    workdir: Path,
    alto_server: AltoServer,
    tenant: Tenant,
    ec2_zone: SimZone,
) -> None:
    name = unique("tf-dopt")
    ec2 = prepare_vpc_configuration(
        workdir,
        server=alto_server,
        tenant=tenant,
        zone_id=ec2_zone.id,
        file="dhcp_options.tf",
        name=name,
    )

    state = apply_then_plan(workdir, tf_env)

    assert sorted(state.split()) == [
        "aws_vpc.main",
        "aws_vpc_dhcp_options.corp",
        "aws_vpc_dhcp_options_association.main",
    ]
    [options] = ec2.describe_dhcp_options(Filters=[{"Name": "tag:Name", "Values": [name]}])[
        "DhcpOptions"
    ]
    configurations = {
        c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]
    }
    assert configurations == {
        "domain-name": ["corp.example"],
        "domain-name-servers": ["AmazonProvidedDNS", "9.9.9.9"],
        "ntp-servers": ["10.0.0.123"],
        "netbios-name-servers": ["10.0.0.139"],
        "netbios-node-type": ["2"],
    }
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    assert vpc["DhcpOptionsId"] == options["DhcpOptionsId"]

    run_terraform(workdir, *DESTROY, env=tf_env)

    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"] == []
    assert (
        ec2.describe_dhcp_options(Filters=[{"Name": "tag:Name", "Values": [name]}])["DhcpOptions"]
        == []
    )
