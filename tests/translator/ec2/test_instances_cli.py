"""The aws CLI (v1 from PyPI, v2 from Debian where installed) running, waiting for, stopping
and terminating an instance."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import CLI_V1, CLI_V2, aws_cli, cli_available
from tests.support.ec2_instances import Ec2Site

CLIS = [
    pytest.param(CLI_V1, id="v1"),
    pytest.param(
        CLI_V2,
        id="v2",
        marks=pytest.mark.skipif(not cli_available(CLI_V2), reason="aws CLI v2 not installed"),
    ),
]


@pytest.mark.parametrize("cli", CLIS)
def test_cli_run_wait_stop_terminate(site: Ec2Site, cli: str, tmp_path: Path) -> None:
    def aws(*args: str) -> Any:
        return aws_cli(site.server, site.tenant, "ec2", *args, cli=cli)

    script = tmp_path / "init.sh"
    script.write_text("#!/bin/sh\necho cli\n")
    reservation = aws(
        "run-instances",
        "--image-id", site.image_id,
        "--instance-type", site.instance_type,
        "--count", "1",
        "--placement", json.dumps({"AvailabilityZone": site.zone_name}),
        "--user-data", f"file://{script}",
        "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=cli}]",
    )  # fmt: skip
    [instance] = reservation["Instances"]
    instance_id = instance["InstanceId"]
    assert instance["State"]["Name"] == "pending"
    aws("wait", "instance-running", "--instance-ids", instance_id)
    described = aws("describe-instances", "--instance-ids", instance_id)
    [found] = described["Reservations"][0]["Instances"]
    assert found["State"]["Name"] == "running"
    assert found["Tags"] == [{"Key": "Name", "Value": "cli"}]
    data = aws(
        "describe-instance-attribute", "--instance-id", instance_id, "--attribute", "userData"
    )
    assert base64.b64decode(data["UserData"]["Value"]) == script.read_bytes()

    stopping = aws("stop-instances", "--instance-ids", instance_id)
    assert stopping["StoppingInstances"][0]["InstanceId"] == instance_id
    aws("wait", "instance-stopped", "--instance-ids", instance_id)
    aws("terminate-instances", "--instance-ids", instance_id)
    aws("wait", "instance-terminated", "--instance-ids", instance_id)
    states = aws(
        "describe-instances",
        "--filters", "Name=instance-state-name,Values=terminated",
        "--query", "Reservations[].Instances[].InstanceId",
    )  # fmt: skip
    assert states == [instance_id]
