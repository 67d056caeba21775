"""Conflicts between rules on one public IP (CloudStack's `detectRulesConflict`), all 537.

On one address: port forwarding and load balancing rules may not share a public port of
the same protocol, nor may two of either; an address with static NAT takes neither (and
static NAT may not be enabled on an address that has them, nor on a source NAT address);
a remote-access VPN's UDP ports (500, 1701, 4500) are taken on its address.
Ingress firewall rules conflict only with an identical-traffic firewall rule (same
protocol, overlapping ports and overlapping source CIDRs); so do egress firewall rules of
one network, whose destination CIDRs overlap too.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Network, NetworkRule, PublicIpAddress, RemoteAccessVpn
from native.services.errors import NetworkRuleConflict
from native.services.network.cidrs import ports_overlap

FORWARDING = ("PortForwarding", "LoadBalancing")
VPN_UDP_PORTS = (500, 1701, 4500)
"""What a remote-access VPN listens on (IKE, L2TP, NAT traversal)."""


def _has_vpn(session: Session, ip: PublicIpAddress) -> bool:
    return (
        session.scalar(
            select(RemoteAccessVpn.id).where(
                RemoteAccessVpn.public_ip_id == ip.id, RemoteAccessVpn.state != "Removed"
            )
        )
        is not None
    )


def _live(session: Session, *, ip: PublicIpAddress, purposes: tuple[str, ...]) -> list[NetworkRule]:
    return list(
        session.scalars(
            select(NetworkRule)
            .where(
                NetworkRule.ip_address_id == ip.id,
                NetworkRule.purpose.in_(purposes),
                NetworkRule.state != "Revoke",
            )
            .order_by(NetworkRule.id)
        )
    )


def _protocols_clash(first: str, second: str) -> bool:
    transport = {"tcp": "tcp", "udp": "udp", "http": "tcp", "ssl": "tcp", "tcp-proxy": "tcp"}
    return transport.get(first, first) == transport.get(second, second)


def check_public_ports_free(
    session: Session,
    *,
    ip: PublicIpAddress,
    protocol: str,
    start_port: int,
    end_port: int,
    exclude_rule_id: int | None = None,
) -> None:
    """537 if the address has static NAT, or a port forward or LB rule of a clashing
    protocol already uses one of the ports `start_port`..`end_port`."""
    if ip.is_static_nat:
        raise NetworkRuleConflict(
            f"Can't create a rule on {ip.address}: static NAT is enabled on it"
        )
    if _protocols_clash(protocol, "udp") and _has_vpn(session, ip):
        for port in VPN_UDP_PORTS:
            if start_port <= port <= end_port:
                raise NetworkRuleConflict(
                    f"The range specified, {start_port}-{end_port}, conflicts with the "
                    f"remote access VPN on {ip.address}, which uses UDP port {port}"
                )
    for rule in _live(session, ip=ip, purposes=FORWARDING):
        if rule.id == exclude_rule_id or not _protocols_clash(rule.protocol, protocol):
            continue
        if ports_overlap((rule.start_port, rule.end_port), (start_port, end_port)):
            kind = "port forwarding" if rule.purpose == "PortForwarding" else "load balancing"
            raise NetworkRuleConflict(
                f"The range specified, {start_port}-{end_port}, conflicts with the {kind} rule "
                f"{rule.uuid} which has {rule.start_port}-{rule.end_port} on {ip.address}"
            )


def check_static_nat_allowed(session: Session, *, ip: PublicIpAddress) -> None:
    """537 if the address is a source NAT address, or has port forwarding or LB rules or a
    remote-access VPN."""
    if _has_vpn(session, ip):
        raise NetworkRuleConflict(
            f"Can't enable static NAT on {ip.address}: it has a remote access VPN"
        )
    if ip.is_source_nat:
        raise NetworkRuleConflict(
            f"Can't enable static NAT on {ip.address}: it is the source NAT IP of its network"
        )
    rules = _live(session, ip=ip, purposes=FORWARDING)
    if rules:
        raise NetworkRuleConflict(
            f"Can't enable static NAT on {ip.address}: it has {len(rules)} port forwarding or "
            f"load balancing rule(s), for example {rules[0].uuid}"
        )


def _cidrs_overlap(first: str | None, second: str | None) -> bool:
    def networks(text: str | None) -> list[ipaddress.IPv4Network]:
        return [ipaddress.IPv4Network(c) for c in (text or "0.0.0.0/0").split(",") if c.strip()]

    return any(a.overlaps(b) for a in networks(first) for b in networks(second))


def check_firewall_free(
    session: Session,
    *,
    ip: PublicIpAddress,
    protocol: str,
    start_port: int | None,
    end_port: int | None,
    source_cidrs: str | None,
    icmp_type: int | None = None,
    icmp_code: int | None = None,
) -> None:
    """537 if an ingress firewall rule of the address already allows the same traffic."""
    for rule in _live(session, ip=ip, purposes=("Firewall",)):
        if rule.traffic_type != "Ingress" or rule.protocol != protocol:
            continue
        if protocol == "icmp" and (rule.icmp_type, rule.icmp_code) != (icmp_type, icmp_code):
            continue
        if ports_overlap((rule.start_port, rule.end_port), (start_port, end_port)) and (
            _cidrs_overlap(rule.source_cidrs, source_cidrs)
        ):
            raise NetworkRuleConflict(
                f"The range specified, {start_port}-{end_port}, conflicts with firewall rule "
                f"{rule.uuid} which has {rule.start_port}-{rule.end_port} for {protocol} on "
                f"{ip.address}"
            )


def check_egress_free(
    session: Session,
    *,
    network: Network,
    protocol: str,
    ports: tuple[int | None, int | None],
    source_cidrs: str,
    dest_cidrs: str | None,
    icmp: tuple[int | None, int | None] = (None, None),
) -> None:
    """537 if an egress firewall rule of the network already allows the same traffic (same
    protocol and ICMP type/code, overlapping ports, sources and destinations)."""
    rules = session.scalars(
        select(NetworkRule)
        .where(
            NetworkRule.network_id == network.id,
            NetworkRule.purpose == "Firewall",
            NetworkRule.traffic_type == "Egress",
            NetworkRule.state != "Revoke",
            NetworkRule.protocol == protocol,
        )
        .order_by(NetworkRule.id)
    )
    for rule in rules:
        if protocol == "icmp" and (rule.icmp_type, rule.icmp_code) != icmp:
            continue
        if (
            ports_overlap((rule.start_port, rule.end_port), ports)
            and _cidrs_overlap(rule.source_cidrs, source_cidrs)
            and _cidrs_overlap(rule.dest_cidrs, dest_cidrs)
        ):
            raise NetworkRuleConflict(
                f"The egress rule for {protocol} {ports[0]}-{ports[1]} conflicts with egress "
                f"rule {rule.uuid} which has {rule.start_port}-{rule.end_port} for "
                f"{protocol} on network {network.name}"
            )
