"""The strongSwan configuration of a virtual router (`ipsec.conf`, `ipsec.secrets`).

The remote-access VPN is L2TP over IPsec with a pre-shared key: one transport-mode `conn`
(`L2TP-PSK`) protecting UDP 1701 on the VPN's public address for clients anywhere (the
L2TP side is xl2tpd's, see `xl2tpd.py`). Each site-to-site VPN connection is a tunnel-mode
`conn` from the VPC's VPN gateway and CIDR to the customer gateway and its CIDRs, with
CloudStack's IKE/ESP policies converted to strongSwan proposals, its lifetimes, dead peer
detection, IKE version, and `auto=add` (wait for the peer) when passive, else `start`.
Secrets are written base64-encoded (`0s…`) so that any key is taken literally.
"""

from __future__ import annotations

import base64
import re

from native.drivers.network.base import RouterConfig, SiteToSiteVpn
from native.drivers.network.render.common import address, header, network

ALGORITHM = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
KEY_EXCHANGE = {"ike": "ike", "ikev1": "ikev1", "ikev2": "ikev2"}
CONN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
L2TP_IKE = (
    "aes256-sha256-modp2048,aes256-sha1-modp2048,aes128-sha1-modp2048,"
    "aes256-sha1-modp1024,aes128-sha1-modp1024!"
)
L2TP_ESP = "aes256-sha256,aes256-sha1,aes128-sha1!"


def proposals(policy: str) -> str:
    """CloudStack's policy (`aes128-sha1;modp1536,aes256-sha256;modp2048`: comma-separated
    cipher-hash entries, each with an optional Diffie-Hellman group) as a strict strongSwan
    proposal list (`aes128-sha1-modp1536,aes256-sha256-modp2048!`). An entry without a
    group takes the last group the policy names."""
    entries = [entry.strip().lower() for entry in policy.split(",") if entry.strip()]
    if not entries:
        raise ValueError(f"Invalid IPsec policy {policy!r}: no cipher")
    parsed = [tuple(part.strip() for part in entry.partition(";")[::2]) for entry in entries]
    groups = [group for _, group in parsed if group]
    fallback = groups[-1] if groups else ""
    rendered = []
    for suite, group in parsed:
        group = group or fallback
        for item in (suite, *([group] if group else [])):
            if not ALGORITHM.fullmatch(item):
                raise ValueError(f"Invalid IPsec policy {policy!r}")
        rendered.append(f"{suite}-{group}" if group else suite)
    return ",".join(rendered) + "!"


def _secret(key: str) -> str:
    return "0s" + base64.b64encode(key.encode()).decode()


def _subnets(cidrs: tuple[str, ...]) -> str:
    return ",".join(str(network(cidr)) for cidr in cidrs)


def _site_to_site(tunnel: SiteToSiteVpn) -> list[str]:
    """The `conn` of one site-to-site VPN connection."""
    if not CONN_NAME.fullmatch(tunnel.name) or tunnel.name == "L2TP-PSK":
        raise ValueError(f"Invalid VPN connection name {tunnel.name!r}")
    if tunnel.ike_version not in KEY_EXCHANGE:
        raise ValueError(f"Invalid IKE version {tunnel.ike_version!r}")
    local, peer = address(tunnel.local_address), address(tunnel.peer_address)
    settings = [
        f"keyexchange={KEY_EXCHANGE[tunnel.ike_version]}",
        "type=tunnel",
        "authby=secret",
        f"left={local}",
        f"leftid={local}",
        *([f"leftsubnet={_subnets(tunnel.local_cidrs)}"] if tunnel.local_cidrs else []),
        f"right={peer}",
        f"rightid={peer}",
        *([f"rightsubnet={_subnets(tunnel.peer_cidrs)}"] if tunnel.peer_cidrs else []),
        f"ike={proposals(tunnel.ike_policy)}",
        f"esp={proposals(tunnel.esp_policy)}",
        f"ikelifetime={tunnel.ike_lifetime}s",
        f"lifetime={tunnel.esp_lifetime}s",
        "keyingtries=%forever",
    ]
    if tunnel.dpd:
        settings += ["dpddelay=30s", "dpdtimeout=120s", "dpdaction=restart"]
    settings.append(f"auto={'add' if tunnel.passive else 'start'}")
    return [f"conn {tunnel.name}", *(f"\t{setting}" for setting in settings)]


def _remote_access(config: RouterConfig) -> list[str]:
    vpn = config.remote_access_vpn
    if vpn is None:
        return []
    settings = [
        "keyexchange=ikev1",
        "type=transport",
        "authby=secret",
        f"left={address(vpn.address)}",
        "leftprotoport=17/1701",
        "right=%any",
        "rightprotoport=17/%any",
        f"ike={L2TP_IKE}",
        f"esp={L2TP_ESP}",
        "rekey=no",
        "forceencaps=yes",
        "dpddelay=30s",
        "dpdtimeout=120s",
        "dpdaction=clear",
        "auto=add",
    ]
    return ["conn L2TP-PSK", *(f"\t{setting}" for setting in settings)]


def render_ipsec_conf(config: RouterConfig) -> str:
    """ipsec.conf: the remote-access `conn` and one `conn` per site-to-site connection."""
    sections = [
        [header(config), "config setup", "\tuniqueids=no"],
        _remote_access(config),
        *(_site_to_site(tunnel) for tunnel in config.site_to_site),
    ]
    return "\n\n".join("\n".join(section) for section in sections if section) + "\n"


def render_ipsec_secrets(config: RouterConfig) -> str:
    """ipsec.secrets: the pre-shared keys, by local and remote address."""
    lines = [header(config)]
    vpn = config.remote_access_vpn
    if vpn is not None:
        lines.append(f"{address(vpn.address)} %any : PSK {_secret(vpn.preshared_key)}")
    for tunnel in config.site_to_site:
        ends = f"{address(tunnel.local_address)} {address(tunnel.peer_address)}"
        lines.append(f"{ends} : PSK {_secret(tunnel.preshared_key)}")
    return "\n".join(lines) + "\n"
