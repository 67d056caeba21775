"""Every command the console's source sends is a native API command, and every list page
reads the key its command answers under: the console has no private back door, and a
renamed command or response key fails here rather than in a browser."""

from __future__ import annotations

import re
from pathlib import Path

import native.api.commands  # noqa: F401  (registers every command)
from native.api.command import REGISTRY

SOURCE = Path(__file__).parents[2] / "console" / "src"
GATEWAY_COMMANDS = {"login", "logout"}
SENT = re.compile(
    r"""(?:command:\s*|listPage\(\s*|perform\(\s*|call\(\s*|post\(\s*|fill\(\s*'\w+',\s*|run\(\s*[`'][^`']*[`'],\s*)'(\w+)'"""
)
LISTED = re.compile(
    r"""(?:command:\s*|listPage\(\s*|fill\(\s*'\w+',\s*)'(\w+)',\s*(?:key:\s*)?'(\w+)'"""
)


def source_text() -> str:
    return "\n".join(
        path.read_text() for path in sorted(SOURCE.rglob("*")) if path.suffix in {".js", ".vue"}
    )


def test_every_command_the_console_sends_is_in_the_native_api() -> None:
    sent = set(SENT.findall(source_text()))
    assert len(sent) > 60, sorted(sent)
    unknown = sorted(name for name in sent - GATEWAY_COMMANDS if REGISTRY.find(name) is None)
    assert not unknown, f"the console sends commands the API lacks: {unknown}"


def test_every_list_reads_the_key_its_command_answers_under() -> None:
    pairs = set(LISTED.findall(source_text()))
    assert len(pairs) > 30, sorted(pairs)
    wrong = []
    for name, key in sorted(pairs):
        command = REGISTRY.find(name)
        assert command is not None, name
        answered = command.response.object_name if command.response else None
        if answered != key:
            wrong.append(f"{name} answers under {answered!r}, not {key!r}")
    assert not wrong, wrong
