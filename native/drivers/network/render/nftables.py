"""The nftables ruleset of a virtual router (`nft -f nftables.conf`).

Everything is in one table, `ip alto`:

- `public_ingress` (prerouting, before DNAT; isolated networks only): traffic to a public
  IP goes through that IP's `fw_<ip>` chain, where its firewall rules (and the remote-access
  VPN's ports) accept and everything else is dropped. VPC public IPs are not filtered here:
  the tiers' ACLs filter what reaches the tiers.
- `input`: the router's own services (DHCP, DNS and the metadata service on port 80 from
  guests, ICMP, LB listeners, VPN); everything else to the router is dropped.
- `forward`: replies pass; then stages jump to per-network and per-VM chains (egress
  firewall of an isolated network, ACLs of a VPC tier in both directions, security groups
  of the destination and of the source VM), each of which drops what it denies and returns
  what it allows; what passed every stage is accepted when it comes from a guest network, a
  private gateway to a tier, a VPN, or was DNATed (port forwarding, static NAT, UDP LB).
- `nat_prerouting` / `nat_postrouting`: guests' requests to 169.254.169.254:80 redirected
  to the metadata service at their gateway, port forwarding, UDP load balancing, static NAT
  (both ways), source NAT, and no NAT towards site-to-site VPN peers.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from native.drivers.network.base import (
    GuestNetwork,
    LoadBalancer,
    PortForward,
    RouterConfig,
    SecurityGroupRules,
    TrafficRule,
)
from native.drivers.network.render.common import address, header, network, printable

TABLE = "alto"
IFNAME = re.compile(r"[A-Za-z0-9_.-]{1,15}")
ANYWHERE = ipaddress.IPv4Network("0.0.0.0/0")
STATEFUL = ("ct state established,related accept", "ct state invalid drop")
IKE = "udp dport { 500, 4500 }"
ACL_VERDICTS = {"allow": "return", "deny": "drop"}


@dataclass(frozen=True)
class Chain:
    name: str
    rules: tuple[str, ...]
    hook: str | None = None


@dataclass(frozen=True)
class NamedSet:
    name: str
    type: str
    elements: tuple[str, ...]


def _braced(items: Sequence[str], *, depth: int = 2) -> str:
    """`{ a, b }`, or one item a line when that would be long."""
    inline = "{ " + ", ".join(items) + " }"
    if len(inline) <= 80:
        return inline
    inner = "\t" * (depth + 1)
    return "{\n" + ",\n".join(inner + item for item in items) + "\n" + "\t" * depth + "}"


def _choice(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else _braced(items)


def _ifname(name: str) -> str:
    if not IFNAME.fullmatch(name):
        raise ValueError(f"Invalid interface name {name!r}")
    return f'"{name}"'


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _cidr_match(field: str, cidrs: Iterable[str]) -> str:
    """`ip saddr|daddr <cidrs>` (merged), or nothing when they cover every address."""
    return _merged_match(field, tuple(cidrs))


@functools.lru_cache(maxsize=1024)
def _merged_match(field: str, cidrs: tuple[str, ...]) -> str:
    """`_cidr_match`, remembered: a group's member list is the same in every VM's chain."""
    merged = list(ipaddress.collapse_addresses(network(cidr) for cidr in cidrs))
    if not merged or ANYWHERE in merged:
        return ""
    texts = [str(n.network_address) if n.prefixlen == 32 else str(n) for n in merged]
    return f"ip {field} {_choice(texts)}"


def _port_range(start: int, end: int | None) -> str:
    return str(start) if end is None or end == start else f"{start}-{end}"


def _protocol_match(rule: TrafficRule) -> str:
    """The protocol, ports and ICMP type/code of `rule` (-1 or None meaning any)."""
    protocol = rule.protocol.lower()
    if protocol in ("tcp", "udp"):
        if rule.start_port is None or rule.start_port < 0:
            return f"meta l4proto {protocol}"
        return f"{protocol} dport {_port_range(rule.start_port, rule.end_port)}"
    if protocol == "icmp":
        parts = [
            f"icmp {field} {value}"
            for field, value in (("type", rule.icmp_type), ("code", rule.icmp_code))
            if value is not None and value >= 0
        ]
        return " ".join(parts) or "meta l4proto icmp"
    if protocol == "all":
        return ""
    if protocol.isdigit() and int(protocol) <= 255:
        return f"meta l4proto {int(protocol)}"
    raise ValueError(f"Unsupported protocol {rule.protocol!r}")


def _traffic(rule: TrafficRule, *, peer: str, verdict: str, comment: str = "") -> str:
    """A rule matching `rule`; `peer` is `saddr` (its CIDRs are sources) or `daddr`."""
    return _join(
        _cidr_match(peer, rule.cidrs),
        _protocol_match(rule),
        verdict,
        f'comment "{comment}"' if comment else "",
    )


def _vmap(key: str, entries: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """`<key> vmap { value : jump chain, ... }` (no rule when there is no entry)."""
    if not entries:
        return ()
    return (f"{key} vmap {_braced([f'{value} : jump {chain}' for value, chain in entries])}",)


def _remote_access_accepts(config: RouterConfig) -> tuple[str, ...]:
    """What L2TP/IPsec clients need: IKE, ESP, and L2TP once decrypted."""
    if config.remote_access_vpn is None:
        return ()
    return (f"{IKE} accept", "meta l4proto esp accept", "meta ipsec exists udp dport 1701 accept")


def _firewall_chains(config: RouterConfig) -> list[Chain]:
    """One chain per public IP of an isolated network: its firewall rules, then drop."""
    if config.is_vpc:
        return []
    vpn = config.remote_access_vpn
    chains = []
    for public in config.public:
        target = address(public.address)
        opened = _remote_access_accepts(config) if vpn and address(vpn.address) == target else ()
        rules = [_traffic(rule, peer="saddr", verdict="accept") for rule in public.firewall]
        chains.append(Chain(name=f"fw_{_ident(target)}", rules=(*opened, *rules, "drop")))
    return chains


def _egress_chain(guest: GuestNetwork) -> Chain | None:
    """An isolated network's egress firewall: with a default allow policy its rules block
    the traffic they list; with a default deny policy they are the only traffic allowed."""
    if guest.egress_default_allow and not guest.egress:
        return None
    listed, otherwise = ("drop", "return") if guest.egress_default_allow else ("return", "drop")
    rules = [_traffic(rule, peer="daddr", verdict=listed) for rule in guest.egress]
    return Chain(name=f"egress_{_ident(guest.interface)}", rules=(*rules, otherwise))


def _acl_chains(guest: GuestNetwork) -> tuple[Chain, Chain]:
    """A VPC tier's ACL into (`acl_ingress_<if>`) and out of (`acl_egress_<if>`) the tier:
    its rules in number order, first match wins; anything else (or everything, when the
    tier has no ACL list) is dropped."""
    rules = sorted(guest.acl or (), key=lambda item: item.number)
    for item in rules:
        if item.action not in ACL_VERDICTS or item.direction not in ("ingress", "egress"):
            raise ValueError(f"Invalid ACL rule {item.number}: {item.action} {item.direction}")
    ingress, egress = (
        tuple(
            _traffic(
                item.rule,
                peer="saddr" if direction == "ingress" else "daddr",
                verdict=ACL_VERDICTS[item.action],
                comment=f"rule {item.number}",
            )
            for item in rules
            if item.direction == direction
        )
        for direction in ("ingress", "egress")
    )
    name = _ident(guest.interface)
    return (
        Chain(name=f"acl_ingress_{name}", rules=(*ingress, "drop")),
        Chain(name=f"acl_egress_{name}", rules=(*egress, "drop")),
    )


def _merged_groups(groups: Sequence[SecurityGroupRules]) -> dict[str, SecurityGroupRules]:
    merged: dict[str, SecurityGroupRules] = {}
    for group in groups:
        key = address(group.address)
        before = merged.get(key, SecurityGroupRules(address=key))
        merged[key] = SecurityGroupRules(
            address=key,
            ingress=(*before.ingress, *group.ingress),
            egress=(*before.egress, *group.egress),
        )
    return merged


def _group_chains(
    config: RouterConfig,
) -> tuple[list[tuple[str, Chain]], list[tuple[str, Chain]]]:
    """Per VM address: ingress (what its groups allow in, the rest dropped) and, when its
    groups have egress rules, egress (only what they allow out)."""
    ingress, egress = [], []
    for key, group in _merged_groups(config.security_groups).items():
        allowed = [_traffic(rule, peer="saddr", verdict="return") for rule in group.ingress]
        ingress.append((key, Chain(name=f"sg_ingress_{_ident(key)}", rules=(*allowed, "drop"))))
        if group.egress:
            allowed = [_traffic(rule, peer="daddr", verdict="return") for rule in group.egress]
            egress.append((key, Chain(name=f"sg_egress_{_ident(key)}", rules=(*allowed, "drop"))))
    return ingress, egress


def _sets(config: RouterConfig) -> list[NamedSet]:
    def interfaces(role: str) -> tuple[str, ...]:
        return _unique(_ifname(i.name) for i in config.interfaces if i.role == role)

    listeners = _unique(
        f"{address(lb.address)} . {lb.public_port}"
        for lb in config.load_balancers
        if lb.protocol != "udp"
    )
    return [
        NamedSet("guest_ifaces", "ifname", _unique(_ifname(g.interface) for g in config.guests)),
        NamedSet("public_ifaces", "ifname", interfaces("public")),
        NamedSet("private_ifaces", "ifname", interfaces("private")),
        NamedSet("lb_listeners", "ipv4_addr . inet_service", listeners),
    ]


def _public_ingress(firewalls: Sequence[Chain], config: RouterConfig) -> list[Chain]:
    if not firewalls:
        return []
    entries = [(address(p.address), chain.name) for p, chain in zip(config.public, firewalls)]
    return [
        Chain(
            name="public_ingress",
            hook="type filter hook prerouting priority dstnat - 10; policy accept;",
            rules=(STATEFUL[0], *_vmap("ip daddr", entries)),
        )
    ]


METADATA_ADDRESS = "169.254.169.254"
"""Where guests ask for their metadata; the router serves it at their gateway, port 80."""


def _input(config: RouterConfig) -> Chain:
    rules = [
        *STATEFUL,
        'iifname "lo" accept',
        "meta l4proto icmp accept",
        "iifname @guest_ifaces udp dport 67 accept",
        "iifname @guest_ifaces meta l4proto { tcp, udp } th dport 53 accept",
        "iifname @guest_ifaces tcp dport 80 accept",
        "ip daddr . tcp dport @lb_listeners accept",
    ]
    vpn = config.remote_access_vpn
    if vpn is not None:
        target = f"ip daddr {address(vpn.address)}"
        rules += [_join(target, accept) for accept in _remote_access_accepts(config)]
        rules.append('iifname "ppp*" meta l4proto { tcp, udp } th dport 53 accept')
    for tunnel in config.site_to_site:
        ends = f"ip saddr {address(tunnel.peer_address)} ip daddr {address(tunnel.local_address)}"
        rules += [f"{ends} {IKE} accept", f"{ends} meta l4proto esp accept"]
    return Chain(
        name="input",
        hook="type filter hook input priority filter; policy drop;",
        rules=_unique(rules),
    )


def _stages(config: RouterConfig) -> tuple[list[str], list[Chain]]:
    """The forward chain's filtering stages (vmap rules) and the chains they jump to."""
    chains: list[Chain] = []
    leaving: list[tuple[str, str]] = []
    entering: list[tuple[str, str]] = []
    for guest in config.guests:
        device = _ifname(guest.interface)
        if config.is_vpc:
            into, out_of = _acl_chains(guest)
            chains += [into, out_of]
            entering.append((device, into.name))
            leaving.append((device, out_of.name))
        elif (egress := _egress_chain(guest)) is not None:
            chains.append(egress)
            leaving.append((device, egress.name))
    group_in, group_out = _group_chains(config)
    chains += [chain for _, chain in (*group_in, *group_out)]
    rules = [
        *_vmap("iifname", leaving),
        *_vmap("oifname", entering),
        *_vmap("ip daddr", [(key, chain.name) for key, chain in group_in]),
        *_vmap("ip saddr", [(key, chain.name) for key, chain in group_out]),
    ]
    return rules, chains


def _forward(config: RouterConfig, stages: Sequence[str]) -> Chain:
    rules = [
        *STATEFUL,
        *stages,
        "iifname @guest_ifaces accept",
        "ct status dnat accept",
    ]
    if any(interface.role == "private" for interface in config.interfaces):
        rules.append("iifname @private_ifaces oifname @guest_ifaces accept")
    if config.remote_access_vpn is not None:
        rules.append('iifname "ppp*" accept')
    if config.site_to_site:
        rules.append("meta ipsec exists accept")
    return Chain(
        name="forward",
        hook="type filter hook forward priority filter; policy drop;",
        rules=tuple(rules),
    )


def _port_forward(forward: PortForward) -> str:
    """DNAT of a public port range to the guest's: ports kept when the ranges are equal,
    all to one port when the private range is one port, else port by port (a map)."""
    protocol = forward.protocol.lower()
    if protocol not in ("tcp", "udp"):
        raise ValueError(f"Invalid port forwarding protocol {forward.protocol!r}")
    guest = address(forward.guest_ip)
    public = (forward.public_start, forward.public_end)
    private = (forward.private_start, forward.private_end)
    match = f"ip daddr {address(forward.address)} {protocol} dport"
    if public == private:
        return f"{match} {_port_range(*public)} dnat to {guest}"
    if private[0] == private[1]:
        return f"{match} {_port_range(*public)} dnat to {guest}:{private[0]}"
    count = min(public[1] - public[0], private[1] - private[0]) + 1
    pairs = [f"{public[0] + i} : {guest} . {private[0] + i}" for i in range(count)]
    last = public[0] + count - 1
    return f"{match} {_port_range(public[0], last)} dnat to {protocol} dport map {_braced(pairs)}"


def _udp_balancer(balancer: LoadBalancer) -> str:
    """A UDP LB rule (haproxy cannot serve UDP): DNAT spreading flows over the backends,
    in turn, or by a hash of the source address for the `source` algorithm."""
    backends = _unique(f"{address(b.address)} . {b.port}" for b in balancer.backends)
    target = f"ip daddr {address(balancer.address)} udp dport {balancer.public_port}"
    if not backends:
        return f"# {target}: UDP load balancer {printable(balancer.name)!r} has no backend"
    spread = "jhash ip saddr" if balancer.algorithm == "source" else "numgen inc"
    entries = [f"{index} : {backend}" for index, backend in enumerate(backends)]
    return f"{target} dnat to {spread} mod {len(backends)} map {_braced(entries)}"


def _nat(config: RouterConfig) -> tuple[Chain, Chain]:
    by_address = {address(p.address): _ifname(p.interface) for p in config.public}

    def leaving(public_address: str) -> str:
        return f"oifname {by_address.get(address(public_address), '@public_ifaces')}"

    inbound = [
        f"iifname @guest_ifaces ip daddr {METADATA_ADDRESS} tcp dport 80 redirect",
        *(_port_forward(forward) for forward in config.port_forwards),
        *(_udp_balancer(lb) for lb in config.load_balancers if lb.protocol == "udp"),
        *(
            f"ip daddr {address(n.address)} dnat to {address(n.guest_ip)}"
            for n in config.static_nat
        ),
    ]
    outbound = [
        _join(
            "oifname @public_ifaces",
            _cidr_match("saddr", tunnel.local_cidrs),
            _cidr_match("daddr", tunnel.peer_cidrs),
            "accept",
        )
        for tunnel in config.site_to_site
        if tunnel.peer_cidrs
    ]
    outbound += [
        f"{leaving(n.address)} ip saddr {address(n.guest_ip)} snat to {address(n.address)}"
        for n in config.static_nat
    ]
    outbound += [
        f"{leaving(s.address)} {_cidr_match('saddr', [s.cidr])} snat to {address(s.address)}"
        for s in config.source_nat
    ]
    return (
        Chain(
            name="nat_prerouting",
            hook="type nat hook prerouting priority dstnat; policy accept;",
            rules=tuple(inbound),
        ),
        Chain(
            name="nat_postrouting",
            hook="type nat hook postrouting priority srcnat; policy accept;",
            rules=_unique(outbound),
        ),
    )


def _render_set(named: NamedSet) -> list[str]:
    lines = [f"\tset {named.name} {{", f"\t\ttype {named.type}"]
    if named.elements:
        lines.append(f"\t\telements = {_braced(named.elements)}")
    return [*lines, "\t}"]


def _render_chain(chain: Chain) -> list[str]:
    lines = [f"\tchain {chain.name} {{"]
    if chain.hook:
        lines.append(f"\t\t{chain.hook}")
    return [*lines, *(f"\t\t{rule}" for rule in chain.rules), "\t}"]


def _comments(config: RouterConfig) -> list[str]:
    routes = [
        f"#   {network(route.cidr)} via {address(route.next_hop)}" for route in config.static_routes
    ]
    if not routes:
        return []
    return ["# Static routes (in the routing table, not in this ruleset):", *routes]


def render(config: RouterConfig) -> str:
    """The router's whole ruleset, replacing any other (`flush ruleset` first)."""
    firewalls = _firewall_chains(config)
    stages, stage_chains = _stages(config)
    base = [
        *_public_ingress(firewalls, config),
        _input(config),
        _forward(config, stages),
        *_nat(config),
    ]
    blocks = [
        *(_render_set(named) for named in _sets(config)),
        *(_render_chain(chain) for chain in (*base, *firewalls, *stage_chains)),
    ]
    lines = ["flush ruleset", "", header(config), *_comments(config), "", f"table ip {TABLE} {{"]
    for index, block in enumerate(blocks):
        lines += [""] * (index > 0) + block
    return "\n".join([*lines, "}"]) + "\n"
