"""Renderers: a `RouterConfig` as the real files a Linux virtual router runs.

Each renderer is a pure function of the configuration (same configuration, same bytes);
a configuration that breaks the `RouterConfig` contract (a malformed address, an unknown
protocol or method) raises ValueError instead of producing a broken file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from native.drivers.network.base import RouterConfig
from native.drivers.network.render import (
    dnsmasq,
    haproxy,
    iproute,
    metadata,
    nftables,
    strongswan,
    xl2tpd,
)

RENDERERS: Mapping[str, Callable[[RouterConfig], str]] = {
    "nftables.conf": nftables.render,
    "dnsmasq.conf": dnsmasq.render,
    "haproxy.cfg": haproxy.render,
    "routes.batch": iproute.render,
    "ipsec.conf": strongswan.render_ipsec_conf,
    "ipsec.secrets": strongswan.render_ipsec_secrets,
    "xl2tpd.conf": xl2tpd.render_xl2tpd_conf,
    "options.xl2tpd": xl2tpd.render_ppp_options,
    "chap-secrets": xl2tpd.render_chap_secrets,
    "vm-data.json": metadata.render,
}


def render_all(config: RouterConfig) -> dict[str, str]:
    """Every file of the router's configuration, by file name."""
    return {name: render(config) for name, render in RENDERERS.items()}
