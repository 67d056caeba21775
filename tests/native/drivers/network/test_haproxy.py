"""haproxy: listeners, algorithms, stickiness methods and health checks."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from native.drivers.network.base import Backend, HealthCheck, LoadBalancer, RouterConfig, Stickiness
from native.drivers.network.render import haproxy
from tests.native.drivers.network.cases import EGRESS_DENY, EMPTY, ISOLATED
from tests.native.drivers.network.tools import haproxy_check

BASE = LoadBalancer(
    name="lb",
    address="203.0.113.50",
    public_port=80,
    private_port=8080,
    protocol="tcp",
    algorithm="roundrobin",
    backends=(Backend(address="10.1.1.5", port=8080),),
)


def _section(text: str, name: str) -> list[str]:
    match = re.search(rf"^listen {re.escape(name)}\n((?:\t.*\n?)*)", text, re.MULTILINE)
    assert match is not None, f"no listen {name}"
    return [line.strip() for line in match.group(1).splitlines()]


def _render(*balancers: LoadBalancer) -> str:
    return haproxy.render(dataclasses.replace(EMPTY, load_balancers=balancers))


def _valid(config_text: str, tmp_path: Path) -> None:
    path = tmp_path / "haproxy.cfg"
    path.write_text(config_text)
    outcome = haproxy_check(path)
    assert outcome.ok, outcome.output


def test_lb_cookie_stickiness_and_http_health_check() -> None:
    section = _section(haproxy.render(ISOLATED), "lb-203.0.113.11-80")
    assert section[1:8] == [
        "bind 203.0.113.11:80",
        "mode http",
        "balance roundrobin",
        "option forwardfor",
        "cookie SRVID insert indirect nocache",
        "option httpchk",
        "http-check send meth GET uri /health",
    ]
    assert "timeout check 2s" in section
    assert "default-server inter 5s fall 3 rise 2" in section
    servers = [line for line in section if line.startswith("server ")]
    assert len(servers) == 2
    assert all(
        " check cookie " in server and "10.1.1." not in server.split()[-1] for server in servers
    )


def test_source_based_stickiness_and_tcp_health_check() -> None:
    section = _section(haproxy.render(ISOLATED), "lb-203.0.113.11-443")
    assert "balance leastconn" in section and "mode tcp" in section
    assert "stick-table type ip size 100k expire 10m" in section and "stick on src" in section
    assert "option httpchk" not in section
    assert "default-server inter 10s fall 2 rise 3" in section


def test_app_cookie_learns_the_application_cookie_in_http_mode() -> None:
    section = _section(haproxy.render(EGRESS_DENY), "lb-203.0.113.30-8080")
    assert "mode http" in section
    assert "stick-table type string len 52 size 200k expire 3h" in section
    assert "stick on req.cook(JSESSIONID)" in section
    assert "stick store-response res.cook(JSESSIONID)" in section


def test_udp_rules_are_left_to_nftables() -> None:
    text = haproxy.render(ISOLATED)
    assert "lb-203.0.113.11-53" not in text
    assert "(203.0.113.11:53/udp) is balanced by nftables" in text


def test_no_health_check_means_no_check() -> None:
    assert (
        _section(_render(BASE), "lb-203.0.113.50-80")[-1]
        == "server srv-10.1.1.5-8080 10.1.1.5:8080"
    )


@pytest.mark.parametrize(
    ("balancer", "expected"),
    [
        (dataclasses.replace(BASE, algorithm="source"), "balance source"),
        (
            dataclasses.replace(BASE, protocol="tcp-proxy"),
            "server srv-10.1.1.5-8080 10.1.1.5:8080 send-proxy",
        ),
        (dataclasses.replace(BASE, backends=()), "balance roundrobin"),
        (
            dataclasses.replace(
                BASE,
                stickiness=Stickiness(
                    method="SourceBased", params=(("expire", "1 day; evil"), ("tablesize", "5m"))
                ),
            ),
            "stick-table type ip size 5m expire 30m",
        ),
        (
            dataclasses.replace(
                BASE,
                stickiness=Stickiness(method="LbCookie", params=(("mode", "prefix"),)),
            ),
            "cookie lbcookie-80 prefix",
        ),
        (
            dataclasses.replace(
                BASE,
                health_check=HealthCheck(
                    path="/a path?x=1&y=2", interval=0, timeout=0, healthy=0, unhealthy=0
                ),
            ),
            "http-check send meth GET uri /a%20path?x=1&y=2",
        ),
    ],
)
def test_variants_render_and_pass_the_check(
    balancer: LoadBalancer, expected: str, tmp_path: Path
) -> None:
    text = _render(balancer)
    assert expected in _section(text, "lb-203.0.113.50-80")
    _valid(text, tmp_path)


def test_configuration_without_rules_still_starts(tmp_path: Path) -> None:
    _valid(_render(), tmp_path)


@pytest.mark.parametrize(
    "balancer",
    [
        dataclasses.replace(BASE, algorithm="random"),
        dataclasses.replace(BASE, protocol="sctp"),
        dataclasses.replace(BASE, stickiness=Stickiness(method="Magic")),
        dataclasses.replace(BASE, address="203.0.113.500"),
    ],
)
def test_contract_violations_raise(balancer: LoadBalancer) -> None:
    with pytest.raises(ValueError):
        _render(balancer)


def test_many_rules_pass_the_check(tmp_path: Path) -> None:
    config: RouterConfig = dataclasses.replace(
        EMPTY,
        load_balancers=tuple(
            dataclasses.replace(
                BASE,
                public_port=port,
                backends=tuple(Backend(address=f"10.1.1.{n}", port=8080) for n in range(2, 40)),
                health_check=HealthCheck(path="/", interval=5, timeout=2, healthy=2, unhealthy=3),
            )
            for port in range(1000, 1200)
        ),
    )
    _valid(haproxy.render(config), tmp_path)
