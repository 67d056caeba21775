"""The L2TP side of the remote-access VPN: xl2tpd's configuration, its pppd options, and
the VPN users' CHAP secrets.

Clients get addresses from the VPN's range (less the router's own tunnel address, if it
lies in the range); the router is `local_ip` in the tunnel and the clients' DNS server
(dnsmasq answers on the ppp interfaces). Users authenticate with MS-CHAPv2.
"""

from __future__ import annotations

import ipaddress

from native.drivers.network.base import RemoteAccessVpn, RouterConfig
from native.drivers.network.render.common import address, header

PPP_OPTIONS = "/etc/ppp/options.xl2tpd"


def client_range(vpn: RemoteAccessVpn) -> tuple[str, str]:
    """The first and last address of the VPN's client range (`a-b`, or one address)."""
    first, _, last = vpn.ip_range.partition("-")
    start, end = address(first), address(last or first)
    if ipaddress.IPv4Address(start) > ipaddress.IPv4Address(end):
        raise ValueError(f"Invalid VPN address range {vpn.ip_range!r}")
    return start, end


def render_xl2tpd_conf(config: RouterConfig) -> str:
    """xl2tpd.conf: the L2TP server on the VPN's public address (IPsec protects it)."""
    vpn = config.remote_access_vpn
    if vpn is None:
        return f"{header(config, mark=';')}\n; no remote-access VPN\n"
    start, end = client_range(vpn)
    local = address(vpn.local_ip)
    inside = ipaddress.IPv4Address(start) <= ipaddress.IPv4Address(local)
    inside = inside and ipaddress.IPv4Address(local) <= ipaddress.IPv4Address(end)
    lines = [
        header(config, mark=";"),
        "[global]",
        f"listen-addr = {address(vpn.address)}",
        "port = 1701",
        "",
        "[lns default]",
        f"ip range = {start}-{end}",
        *([f"no ip range = {local}"] if inside else []),
        f"local ip = {local}",
        "require chap = yes",
        "refuse pap = yes",
        "require authentication = yes",
        "name = l2tp",
        "ppp debug = no",
        f"pppoptfile = {PPP_OPTIONS}",
        "length bit = yes",
    ]
    return "\n".join(lines) + "\n"


def render_ppp_options(config: RouterConfig) -> str:
    """options.xl2tpd: pppd's options for the VPN clients' sessions."""
    vpn = config.remote_access_vpn
    lines = [
        header(config),
        "ipcp-accept-local",
        "ipcp-accept-remote",
        "require-mschap-v2",
        "refuse-pap",
        "refuse-chap",
        "refuse-mschap",
        "noccp",
        "auth",
        "mtu 1410",
        "mru 1410",
        "nodefaultroute",
        "proxyarp",
        "lock",
        "connect-delay 5000",
    ]
    if vpn is not None:
        lines.insert(3, f"ms-dns {address(vpn.local_ip)}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def render_chap_secrets(config: RouterConfig) -> str:
    """chap-secrets: one line per VPN user (any server name, any client address)."""
    lines = [header(config), "# client\tserver\tsecret\tIP addresses"]
    vpn = config.remote_access_vpn
    for user in vpn.users if vpn else ():
        if any(char in user.username + user.password for char in "\n\r\0"):
            raise ValueError(f"Invalid character in VPN user {user.username!r}")
        lines.append(f"{_quoted(user.username)}\t*\t{_quoted(user.password)}\t*")
    return "\n".join(lines) + "\n"
