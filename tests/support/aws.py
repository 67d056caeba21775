"""boto3 clients and aws CLI runs against a real `alto serve`, with a tenant's API keys.

    ec2 = aws_client(alto_server, tenant, "ec2")
    ec2.describe_regions()
    aws_cli(alto_server, tenant, "ec2", "describe-regions", cli=CLI_V1)

The access key id is the tenant's native API key and the secret its secret key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config

REGION = "us-east-1"
CLI_V1 = str(Path(sys.executable).with_name("aws"))
"""The aws CLI v1 from PyPI, installed in the test virtualenv."""
CLI_V2 = "/usr/bin/aws"
"""The aws CLI v2 that Debian packages (`apt-get install awscli`)."""


class _Server(Protocol):
    port: int


class _Keys(Protocol):
    apikey: str
    secretkey: str


def base_url(server: _Server) -> str:
    """The server's root URL: the endpoint of every AWS API."""
    return f"http://127.0.0.1:{server.port}"


def aws_client(server: _Server, keys: _Keys, service: str, **config: Any) -> Any:
    """A boto3 client for `service` signed with `keys` (no retries, so errors surface)."""
    config.setdefault("retries", {"max_attempts": 1})
    return boto3.client(
        service,
        endpoint_url=base_url(server),
        region_name=REGION,
        aws_access_key_id=keys.apikey,
        aws_secret_access_key=keys.secretkey,
        config=Config(**config),
    )


def cli_available(cli: str) -> bool:
    """Whether that aws CLI is installed here."""
    return Path(cli).exists() or shutil.which(cli) is not None


def aws_cli(server: _Server, keys: _Keys, *args: str, cli: str = CLI_V1, check: bool = True) -> Any:
    """Run `aws <args> --output json` with `keys`; the parsed JSON output (None if empty).
    With `check`, a non-zero exit raises CalledProcessError carrying stderr."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")} | {
        "AWS_ACCESS_KEY_ID": keys.apikey,
        "AWS_SECRET_ACCESS_KEY": keys.secretkey,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_PAGER": "",
    }
    completed = subprocess.run(
        [cli, "--endpoint-url", base_url(server), "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and completed.returncode != 0:
        raise subprocess.CalledProcessError(
            completed.returncode, completed.args, completed.stdout, completed.stderr
        )
    return json.loads(completed.stdout) if completed.stdout.strip() else None
