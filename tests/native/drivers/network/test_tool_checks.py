"""The rendered files of every representative configuration pass the real tools' checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from native.drivers.network.render import render_all
from tests.native.drivers.network.cases import CASES
from tests.native.drivers.network.tools import (
    Outcome,
    dnsmasq_check,
    haproxy_check,
    nft_check,
    starter_check,
)

CHECKS: dict[str, Callable[[Path], Outcome]] = {
    "nftables.conf": nft_check,
    "haproxy.cfg": haproxy_check,
    "dnsmasq.conf": dnsmasq_check,
    "ipsec.conf": starter_check,
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_tool_accepts_rendered_file(case: str, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(render_all(CASES[case])[name])
    outcome = CHECKS[name](path)
    assert outcome.ok, outcome.output


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("nftables.conf", "table ip alto {\n\tchain input {\n\t\tjump missing\n\t}\n}\n"),
        ("haproxy.cfg", "listen x\n\tbind 127.0.0.1:1\n\tbalance sideways\n"),
        ("dnsmasq.conf", "dhcp-rnage=10.0.0.0,static\n"),
        ("ipsec.conf", "conn x\n\tleft=192.0.2.1\n\tauto=sometimes\n"),
    ],
)
def test_tool_check_rejects_a_broken_file(name: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert not CHECKS[name](path).ok
