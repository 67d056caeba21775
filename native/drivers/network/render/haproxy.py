"""The haproxy configuration of a virtual router: one `listen` section per LB rule.

A section binds the rule's public address and port and balances over its backends with
the rule's algorithm. Stickiness follows CloudStack's methods: `LbCookie` inserts a cookie
naming the server, `AppCookie` learns the application's own cookie in a stick table (the
modern form of haproxy's removed `appsession`), `SourceBased` sticks on the client
address. Cookie stickiness needs HTTP, so it puts the section in HTTP mode as CloudStack
does; the cookie's value identifies a server by a hash, not its address. A health check makes every server `check`ed (by HTTP GET of its path, or by TCP
connect). UDP rules cannot be served by haproxy (the nftables ruleset balances them);
`ssl` rules are passed through as TCP (the router has no certificate to terminate them).
A local statistics listener keeps the file startable when there is no LB rule.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from urllib.parse import quote

from native.drivers.network.base import HealthCheck, LoadBalancer, RouterConfig, Stickiness
from native.drivers.network.render.common import address, header, printable

BALANCE = {"roundrobin": "roundrobin", "leastconn": "leastconn", "source": "source"}
HTTP_PROTOCOLS = ("http",)
TCP_PROTOCOLS = ("tcp", "ssl", "tcp-proxy")
TOKEN = re.compile(r"[A-Za-z0-9_.!#$%&'*+^`|~-]{1,64}")
DOMAIN = re.compile(r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
DURATION = re.compile(r"\d{1,9}(us|ms|s|m|h|d)?")
SIZE = re.compile(r"\d{1,9}[kmg]?")
LENGTH = re.compile(r"\d{1,4}")
COOKIE_MODES = ("insert", "rewrite", "prefix")
FLAGS = ("indirect", "nocache", "postonly")

GLOBAL = """global
\tdaemon
\tmaxconn 4096
\tlog /dev/log local0 info

defaults
\tlog global
\tmode tcp
\toption dontlognull
\ttimeout connect 5s
\ttimeout client 50s
\ttimeout server 50s

listen stats
\tbind 127.0.0.1:8081
\tmode http
\tstats enable
\tstats uri /"""


def _param(sticky: Stickiness, name: str, pattern: re.Pattern[str], default: str) -> str:
    """A stickiness parameter, or `default` when absent or not a well-formed value."""
    value = dict(sticky.params).get(name, "").strip()
    return value if pattern.fullmatch(value) else default


def _flag(sticky: Stickiness, name: str) -> bool:
    params = dict(sticky.params)
    return name in params and params[name].strip().lower() not in ("false", "0", "no")


def _lb_cookie(sticky: Stickiness, balancer: LoadBalancer) -> list[str]:
    name = _param(sticky, "cookie-name", TOKEN, f"lbcookie-{balancer.public_port}")
    mode = dict(sticky.params).get("mode", "insert").strip().lower()
    parts = ["cookie", name, mode if mode in COOKIE_MODES else "insert"]
    parts += [flag for flag in FLAGS if _flag(sticky, flag)]
    domain = dict(sticky.params).get("domain", "").strip()
    if DOMAIN.fullmatch(domain):
        parts += ["domain", domain]
    return [" ".join(parts)]


def _app_cookie(sticky: Stickiness, balancer: LoadBalancer) -> list[str]:
    name = _param(sticky, "cookie-name", TOKEN, f"appcookie-{balancer.public_port}")
    length = _param(sticky, "length", LENGTH, "52")
    expire = _param(sticky, "holdtime", DURATION, "3h")
    lines = [
        f"stick-table type string len {length} size 200k expire {expire}",
        f"stick on req.cook({name})",
        f"stick store-response res.cook({name})",
    ]
    if dict(sticky.params).get("mode", "").strip().lower() == "query-string":
        lines.append(f"stick on url_param({name})")
    return lines


def _source_based(sticky: Stickiness, balancer: LoadBalancer) -> list[str]:
    size = _param(sticky, "tablesize", SIZE, "200k")
    expire = _param(sticky, "expire", DURATION, "30m")
    return [f"stick-table type ip size {size} expire {expire}", "stick on src"]


STICKINESS: Mapping[str, Callable[[Stickiness, LoadBalancer], list[str]]] = {
    "LbCookie": _lb_cookie,
    "AppCookie": _app_cookie,
    "SourceBased": _source_based,
}


def _health_check(check: HealthCheck) -> list[str]:
    """Check settings: HTTP GET of the path when there is one, else a TCP connect; `inter`
    the interval, `rise`/`fall` the healthy/unhealthy thresholds, `timeout check` the
    response time allowed."""
    lines = []
    if check.path:
        uri = quote(check.path.strip(), safe="/?&=:;%+~,@!$'()*-._")
        lines += ["option httpchk", f"http-check send meth GET uri {uri}"]
    return [
        *lines,
        f"timeout check {max(1, check.timeout)}s",
        (
            f"default-server inter {max(1, check.interval)}s"
            f" fall {max(1, check.unhealthy)} rise {max(1, check.healthy)}"
        ),
    ]


def _mode(balancer: LoadBalancer) -> str:
    sticky = balancer.stickiness
    if balancer.protocol in HTTP_PROTOCOLS:
        return "http"
    if balancer.protocol not in TCP_PROTOCOLS:
        raise ValueError(f"Unsupported load balancer protocol {balancer.protocol!r}")
    cookie = sticky is not None and sticky.method in ("LbCookie", "AppCookie")
    return "http" if cookie else "tcp"


def _servers(balancer: LoadBalancer) -> list[str]:
    cookie = balancer.stickiness is not None and balancer.stickiness.method == "LbCookie"
    options = [
        *(["check"] if balancer.health_check else []),
        *(["send-proxy"] if balancer.protocol == "tcp-proxy" else []),
    ]
    lines = []
    for ip, port in dict.fromkeys((address(b.address), b.port) for b in balancer.backends):
        name = f"srv-{ip}-{port}"
        value = hashlib.sha256(f"{ip}:{port}".encode()).hexdigest()[:12]
        parts = ["server", name, f"{ip}:{port}", *options, *(["cookie", value] if cookie else [])]
        lines.append(" ".join(parts))
    return lines


def _listen(balancer: LoadBalancer) -> list[str]:
    """The `listen` section of one TCP/HTTP LB rule."""
    if balancer.algorithm not in BALANCE:
        raise ValueError(f"Unsupported load balancing algorithm {balancer.algorithm!r}")
    ip = address(balancer.address)
    mode = _mode(balancer)
    body = [
        f"# rule {printable(balancer.name)!r}: {balancer.protocol}",
        f"bind {ip}:{balancer.public_port}",
        f"mode {mode}",
        f"balance {BALANCE[balancer.algorithm]}",
        *(["option forwardfor"] if mode == "http" else []),
    ]
    sticky = balancer.stickiness
    if sticky is not None:
        if sticky.method not in STICKINESS:
            raise ValueError(f"Unsupported stickiness method {sticky.method!r}")
        body += STICKINESS[sticky.method](sticky, balancer)
    if balancer.health_check is not None:
        body += _health_check(balancer.health_check)
    body += _servers(balancer)
    return [f"listen lb-{ip}-{balancer.public_port}", *(f"\t{line}" for line in body)]


def _udp_note(balancer: LoadBalancer) -> list[str]:
    where = f"{address(balancer.address)}:{balancer.public_port}/udp"
    name = printable(balancer.name)
    return [f"# rule {name!r} ({where}) is balanced by nftables: haproxy serves no UDP"]


def render(config: RouterConfig) -> str:
    """haproxy.cfg (`haproxy -f haproxy.cfg`)."""
    sections = [[header(config)], GLOBAL.splitlines()]
    sections += [
        _udp_note(balancer) if balancer.protocol == "udp" else _listen(balancer)
        for balancer in config.load_balancers
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
