"""Golden files: each representative configuration rendered to every file, compared with
the committed output. Regenerate after an intended change with
`ALTO_UPDATE_GOLDEN=1 .venv/bin/pytest tests/native/drivers/network/test_golden.py` and
review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from native.drivers.network.render import RENDERERS, render_all
from tests.native.drivers.network.cases import CASES

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ALTO_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_rendered_file_matches_golden(case: str, name: str) -> None:
    rendered = render_all(CASES[case])[name]
    golden = GOLDEN / case / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered)
    assert golden.exists(), f"{golden} is missing: regenerate with ALTO_UPDATE_GOLDEN=1"
    assert rendered == golden.read_text()


def test_every_golden_file_is_still_rendered() -> None:
    expected = {f"{case}/{name}" for case in CASES for name in RENDERERS}
    found = {str(path.relative_to(GOLDEN)) for path in GOLDEN.glob("*/*")}
    assert found == expected
