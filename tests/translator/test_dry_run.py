"""DryRun asks the caller's native role: DryRunOperation when every native command the action
runs is allowed, UnauthorizedOperation when one is not; and every EC2 action declares them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

import native.api.commands  # noqa: F401  (registers every native command)
from native.api.command import REGISTRY
from tests.support.aws import aws_client
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from translator.query_services import SERVICE_ACTIONS
from translator.registry import NATIVE_COMMANDS

READ_ONLY_ROLE = "Read-Only User - Default"


def _code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


@pytest.fixture
def reader(admin: CloudStack, alto_server: AltoServer, tenant: Tenant) -> Tenant:
    [role] = admin.listRoles(name=READ_ONLY_ROLE)["role"]
    return new_account(
        admin, roleid=role["id"], domainid=tenant.domainid, endpoint=alto_server.endpoint
    )


def test_a_read_only_user_may_describe_but_not_create(
    alto_server: AltoServer, reader: Tenant, tenant: Tenant
) -> None:
    ec2 = aws_client(alto_server, reader, "ec2")
    assert _code(ec2.describe_key_pairs, DryRun=True) == "DryRunOperation"
    assert _code(ec2.describe_volumes, DryRun=True) == "DryRunOperation"
    assert _code(ec2.create_key_pair, KeyName=unique("k"), DryRun=True) == "UnauthorizedOperation"
    assert _code(
        ec2.create_tags, Resources=["vol-0"], Tags=[{"Key": "k", "Value": "v"}], DryRun=True
    ) == ("UnauthorizedOperation")
    assert _code(ec2.create_key_pair, KeyName=unique("k")) == "UnauthorizedOperation"
    assert ec2.describe_key_pairs()["KeyPairs"] == []

    owner = aws_client(alto_server, tenant, "ec2")
    assert _code(owner.create_key_pair, KeyName=unique("k"), DryRun=True) == "DryRunOperation"


def test_a_dry_run_changes_nothing(alto_server: AltoServer, tenant: Tenant) -> None:
    ec2 = aws_client(alto_server, tenant, "ec2")
    name = unique("dry")
    assert _code(ec2.create_key_pair, KeyName=name, DryRun=True) == "DryRunOperation"
    assert (
        ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [name]}])["KeyPairs"] == []
    )


def test_every_ec2_action_declares_native_commands_that_exist() -> None:
    for name, action in SERVICE_ACTIONS["ec2"].items():
        commands = NATIVE_COMMANDS.get(action)
        assert commands, f"{name} declares no native commands (translator.registry.runs)"
        for command in commands:
            assert REGISTRY.find(command) is not None, f"{name}: no native command {command}"
