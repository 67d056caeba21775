"""The routing file (`routes.batch`): main-table routes, one policy-routing table per route
table of its own, and malformed input refused."""

from __future__ import annotations

import dataclasses

import pytest

from native.drivers.network.base import RouteTable, StaticRoute
from native.drivers.network.render import iproute
from tests.native.drivers.network.cases import CASES


def test_a_table_without_a_default_route_leaves_its_tiers_no_way_out() -> None:
    lines = iproute.render(CASES["vpc"]).splitlines()
    assert lines[1:3] == ["rule flush protocol static", "route flush table all protocol static"]
    assert "rule add from 10.0.3.0/24 lookup 101 priority 1001 protocol static" in lines
    assert "route replace unreachable default table 101 protocol static" in lines
    assert "route replace unreachable default table 100 protocol static" not in lines
    assert "route replace 0.0.0.0/0 via 203.0.113.1 table 100 protocol static" in lines


def test_every_tier_of_a_table_gets_its_own_rule() -> None:
    table = RouteTable(number=100, sources=("10.0.1.0/24", "10.0.2.0/24"), local="10.0.0.0/16")
    config = dataclasses.replace(CASES["empty"], route_tables=(table,))
    rules = [line for line in iproute.render(config).splitlines() if line.startswith("rule add")]
    assert rules == [
        "rule add from 10.0.1.0/24 lookup 100 priority 1000 protocol static",
        "rule add from 10.0.2.0/24 lookup 100 priority 1001 protocol static",
    ]


@pytest.mark.parametrize(
    "table",
    [
        RouteTable(number=253, sources=("10.0.1.0/24",), local="10.0.0.0/16"),
        RouteTable(number=100, sources=("10.0.1.0/33",), local="10.0.0.0/16"),
        RouteTable(
            number=100,
            sources=("10.0.1.0/24",),
            local="10.0.0.0/16",
            routes=(StaticRoute(cidr="0.0.0.0/0", next_hop="eth0; reboot"),),
        ),
    ],
)
def test_malformed_tables_are_refused(table: RouteTable) -> None:
    config = dataclasses.replace(CASES["empty"], route_tables=(table,))
    with pytest.raises(ValueError):
        iproute.render(config)
