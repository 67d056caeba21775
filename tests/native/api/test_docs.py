"""The committed API reference is the one the declarations generate."""

from __future__ import annotations

from pathlib import Path

import native.api.commands  # noqa: F401
from native.api.command import REGISTRY
from native.api.docs import render_markdown

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def test_docs_are_current() -> None:
    assert REFERENCE.read_text() == render_markdown(REGISTRY), (
        "docs/api.md is stale: regenerate it with `.venv/bin/alto api-docs > docs/api.md`"
    )


def test_every_command_is_documented_with_its_parameters() -> None:
    text = render_markdown(REGISTRY)
    for command in REGISTRY.all():
        assert f"### {command.api_name}\n" in text
        for param in command.params.values():
            assert f"| `{param.name}` |" in text
