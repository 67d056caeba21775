"""The dnsmasq configuration of a virtual router: DHCP and DNS for its guest networks.

Each guest network gets its interface, a static DHCP range (only the VMs listed get a
lease, each its own address), the router and DNS server options (the router's address in
that network, unless the network's DHCP options name other DNS servers), the NTP and
NetBIOS options of those, its domain, and DNS records for its VMs. A VM's non-default NICs are tagged
`nodefault` and get neither a router nor a DNS server, so the default route and resolver
stay on its default NIC. Names the router does not know are forwarded to the networks'
DNS servers. With a remote-access VPN the router also answers DNS on its ppp interfaces.
"""

from __future__ import annotations

import re

from native.drivers.network.base import DhcpHost, GuestNetwork, RouterConfig
from native.drivers.network.render.common import (
    address,
    header,
    is_domain,
    is_hostname,
    network,
    printable,
)

MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
NON_DEFAULT = "nodefault"
LEASE = "infinite"
NETBIOS_NODE_TYPES = (1, 2, 4, 8)


def _mac(text: str) -> str:
    mac = text.strip().lower()
    if not MAC.fullmatch(mac):
        raise ValueError(f"Invalid MAC address {text!r}")
    return mac


def _tag(guest: GuestNetwork) -> str:
    return f"net-{guest.interface}"


def _host(host: DhcpHost, domain: str | None) -> list[str]:
    """The static lease of one NIC and, for a VM's default NIC, its name and DNS records (a
    VM's name resolves to the address of its default NIC only)."""
    ip = address(host.address)
    name = host.hostname if host.default and is_hostname(host.hostname) else None
    if name is None:
        tags = [] if host.default else [f"set:{NON_DEFAULT}"]
        return [f"dhcp-host={','.join([_mac(host.mac), *tags, ip, LEASE])}"]
    names = [*([f"{name}.{domain}"] if domain else []), name]
    return [
        f"dhcp-host={_mac(host.mac)},{ip},{name},{LEASE}",
        f"host-record={','.join(names)},{ip}",
    ]


def _options(guest: GuestNetwork, *, router: str) -> list[str]:
    """The DHCP options of one network: its router, DNS servers (the router unless the
    network's options name others), NTP and NetBIOS servers and NetBIOS node type."""
    tag = _tag(guest)
    options = guest.dhcp
    servers = [
        ("router", (router,)),
        ("dns-server", options.dns_servers or (router,)),
        ("ntp-server", options.ntp_servers),
        ("netbios-ns", options.netbios_name_servers),
    ]
    lines = [
        f"dhcp-option=tag:{tag},option:{name},{','.join(address(value) for value in values)}"
        for name, values in servers
        if values
    ]
    if options.netbios_node_type is not None:
        if options.netbios_node_type not in NETBIOS_NODE_TYPES:
            raise ValueError(f"Invalid NetBIOS node type {options.netbios_node_type!r}")
        lines.append(f"dhcp-option=tag:{tag},option:netbios-nodetype,{options.netbios_node_type}")
    return lines


def _guest(guest: GuestNetwork) -> list[str]:
    """One guest network: interface, static range, options, domain and hosts."""
    subnet = network(guest.cidr)
    tag = _tag(guest)
    domain = guest.domain if is_domain(guest.domain) else None
    lines = [
        f"# guest network {printable(guest.uuid)} {subnet} on {guest.interface}",
        f"interface={guest.interface}",
        f"dhcp-range=set:{tag},{subnet.network_address},static,{subnet.netmask},{LEASE}",
        *_options(guest, router=address(guest.gateway)),
    ]
    if domain:
        lines.append(f"domain={domain},{subnet}")
    for host in guest.hosts:
        lines += _host(host, domain)
    return lines


def _dns(config: RouterConfig) -> list[str]:
    """The upstream servers, and the guest domains answered only from the local records."""
    servers = dict.fromkeys(address(dns) for guest in config.guests for dns in guest.dns)
    domains = dict.fromkeys(g.domain for g in config.guests if is_domain(g.domain))
    return [*(f"server={server}" for server in servers), *(f"local=/{d}/" for d in domains)]


def render(config: RouterConfig) -> str:
    """dnsmasq.conf (`dnsmasq --conf-file=dnsmasq.conf`); with no guest network, DNS
    (`port=0`) and DHCP are off."""
    lines = [
        header(config),
        f"port={53 if config.guests else 0}",
        "bind-dynamic",
        "no-resolv",
        "no-hosts",
        "domain-needed",
        "bogus-priv",
        "dhcp-authoritative",
        *_dns(config),
    ]
    if config.remote_access_vpn is not None:
        lines += ["interface=ppp*", "no-dhcp-interface=ppp*"]
    for guest in config.guests:
        lines += ["", *_guest(guest)]
    if any(not host.default for guest in config.guests for host in guest.hosts):
        lines += [
            "",
            "# non-default NICs: no default route and no DNS server",
            f"dhcp-option=tag:{NON_DEFAULT},option:router",
            f"dhcp-option=tag:{NON_DEFAULT},option:dns-server",
        ]
    return "\n".join(lines) + "\n"
