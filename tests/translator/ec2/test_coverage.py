"""The EC2 coverage report: every implemented action is a real EC2 operation, and
`scripts/ec2-coverage` lists the model's operations with the share implemented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from gateway.query.models import service_model
from translator.ec2 import ACTIONS

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "ec2-coverage"


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_every_action_is_an_ec2_operation() -> None:
    operations = set(service_model("ec2").operation_names)
    assert ACTIONS and set(ACTIONS) <= operations, sorted(set(ACTIONS) - operations)


def test_the_script_marks_what_is_implemented_and_counts_it() -> None:
    operations = sorted(service_model("ec2").operation_names)

    lines = run().splitlines()

    marked = {line[4:] for line in lines[:-1] if line.startswith("[x] ")}
    assert marked == set(ACTIONS)
    assert [line[4:] for line in lines[:-1]] == operations
    share = f"{100 * len(ACTIONS) / len(operations):.1f}%"
    assert lines[-1] == (
        f"{len(ACTIONS)} of {len(operations)} EC2 operations implemented ({share})"
    )


def test_markdown_has_a_row_per_operation() -> None:
    text = run("--markdown")

    rows = re.findall(r"^\| (\w+) \| (yes)? \|$", text, flags=re.MULTILINE)
    assert len(rows) == len(service_model("ec2").operation_names)
    assert {name for name, mark in rows if mark} == set(ACTIONS)
    assert f"**{len(ACTIONS)} of {len(rows)}**" in text
