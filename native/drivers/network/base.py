"""The network driver interface and the configuration a virtual router runs.

`RouterConfig` is everything one virtual router (of an isolated network or of a VPC)
must do, as plain data gathered from the orchestrator's database: its interfaces, NAT,
firewall, ACLs, security groups, DHCP and DNS, load balancers and VPNs. The renderers in
`native.drivers.network.render` turn it into the real configuration files (nftables,
dnsmasq, haproxy, strongSwan); a driver applies them.

Conventions: addresses are strings (`"10.1.1.5"`), CIDRs are strings (`"10.1.1.0/24"`),
protocols are lower case (`tcp`, `udp`, `icmp`, `all`), ports are None for protocols
without ports, and an ICMP type or code of -1 (or None) means any.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar


class NetworkDriverError(Exception):
    """Applying or removing a router's configuration failed; the message says why."""


@dataclass(frozen=True, kw_only=True)
class Interface:
    """A router interface: `role` is `public`, `guest` or `private` (a VPC private
    gateway); `vlan` None means untagged. `name` is the device name (`eth0`, `eth1`…)."""

    name: str
    role: str
    address: str
    prefix: int
    vlan: int | None = None
    mac: str | None = None
    gateway: str | None = None


@dataclass(frozen=True, kw_only=True)
class TrafficRule:
    """One allow rule: traffic of `protocol` (to ports `start_port`..`end_port`) from
    (ingress) or to (egress) any of `cidrs`."""

    protocol: str
    start_port: int | None = None
    end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    cidrs: tuple[str, ...] = ("0.0.0.0/0",)


@dataclass(frozen=True, kw_only=True)
class AclRule:
    """A numbered VPC ACL rule; rules apply in `number` order, first match wins.
    `action` is `allow` or `deny`, `direction` `ingress` (into the tier) or `egress`."""

    number: int
    action: str
    direction: str
    rule: TrafficRule


@dataclass(frozen=True, kw_only=True)
class DhcpHost:
    """A static DHCP lease: `default` says whether this NIC is its VM's default one
    (only the default NIC gets the gateway and DNS options)."""

    mac: str
    address: str
    hostname: str
    default: bool = True


@dataclass(frozen=True, kw_only=True)
class VmData:
    """What the router's metadata service tells the guest at `address` (CloudStack's
    vm_data): EC2 meta-data items by path (`instance-id`, `placement/availability-zone`),
    the guest's public keys as (name, OpenSSH key) in order, and its user data (base64;
    None when it has none)."""

    address: str
    meta_data: tuple[tuple[str, str], ...]
    public_keys: tuple[tuple[str, str], ...] = ()
    user_data: str | None = None


@dataclass(frozen=True, kw_only=True)
class DhcpOptions:
    """What DHCP hands out in a guest network besides the address and the router (a VPC's
    DHCP options set): `dns_servers` in order (empty: the router itself), `ntp_servers`,
    `netbios_name_servers` and `netbios_node_type` (None: not sent)."""

    dns_servers: tuple[str, ...] = ()
    ntp_servers: tuple[str, ...] = ()
    netbios_name_servers: tuple[str, ...] = ()
    netbios_node_type: int | None = None


@dataclass(frozen=True, kw_only=True)
class GuestNetwork:
    """A guest network the router serves (an isolated network, or a VPC tier).

    `egress_default_allow` and `egress` apply to isolated networks (egress firewall);
    `acl` (None when the tier has no ACL list: all traffic denied but replies) to VPC tiers.
    `dns` are the upstream servers the router forwards to; `dhcp` what DHCP hands out;
    `vm_data` what the metadata service serves each guest.
    """

    uuid: str
    name: str
    interface: str
    cidr: str
    gateway: str
    domain: str
    dns: tuple[str, ...] = ()
    hosts: tuple[DhcpHost, ...] = ()
    egress_default_allow: bool = True
    egress: tuple[TrafficRule, ...] = ()
    acl: tuple[AclRule, ...] | None = None
    dhcp: DhcpOptions = DhcpOptions()
    vm_data: tuple[VmData, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PublicAddress:
    """A public IP the router holds on interface `interface`. `firewall` are its ingress
    allow rules (traffic to a public IP is dropped unless a rule allows it, VPC public IPs
    excepted: there the tier ACLs filter)."""

    address: str
    interface: str
    source_nat: bool = False
    firewall: tuple[TrafficRule, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SourceNat:
    """Masquerade traffic from `cidr` leaving by the public interface as `address`."""

    address: str
    cidr: str


@dataclass(frozen=True, kw_only=True)
class StaticNat:
    """One-to-one NAT of public `address` to guest `guest_ip`, both directions."""

    address: str
    guest_ip: str


@dataclass(frozen=True, kw_only=True)
class PortForward:
    """DNAT of `address`:`public_start`-`public_end` to `guest_ip`:`private_start`-`private_end`."""

    address: str
    protocol: str
    public_start: int
    public_end: int
    guest_ip: str
    private_start: int
    private_end: int


@dataclass(frozen=True, kw_only=True)
class Stickiness:
    """`method` is `LbCookie`, `AppCookie` or `SourceBased`; `params` as the API took them
    (`cookie-name`, `mode`, `holdtime`, `tablesize`, `expire`, `length`…)."""

    method: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class HealthCheck:
    """HTTP GET of `path` (a TCP check when None); times in seconds."""

    path: str | None
    interval: int
    timeout: int
    healthy: int
    unhealthy: int


@dataclass(frozen=True, kw_only=True)
class Backend:
    address: str
    port: int


@dataclass(frozen=True, kw_only=True)
class LoadBalancer:
    """An LB rule: `address`:`public_port` to `backends` on `private_port`. `algorithm`
    is `roundrobin`, `leastconn` or `source`; `protocol` is `tcp`, `udp`, `http` or `ssl`."""

    name: str
    address: str
    public_port: int
    private_port: int
    protocol: str
    algorithm: str
    backends: tuple[Backend, ...] = ()
    stickiness: Stickiness | None = None
    health_check: HealthCheck | None = None


@dataclass(frozen=True, kw_only=True)
class StaticRoute:
    cidr: str
    next_hop: str


@dataclass(frozen=True, kw_only=True)
class RouteTable:
    """A VPC route table of its own (not the main one) and the tiers that use it: traffic
    from `sources` (those tiers' CIDRs) to anywhere but `local` (the VPC's CIDR, which the
    main table routes) follows `routes` only; what no route covers is unreachable. A route
    out through an internet gateway has the router's public gateway as next hop."""

    number: int
    sources: tuple[str, ...]
    local: str
    routes: tuple[StaticRoute, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SecurityGroupRules:
    """What a security group lets reach (`ingress`) and leave (`egress`) one VM address;
    a VM's groups are merged here (rules naming other groups are resolved to their
    members' addresses). Everything else to the VM is dropped; egress with no rule is
    allowed (CloudStack's behaviour), with rules only what they allow."""

    address: str
    ingress: tuple[TrafficRule, ...] = ()
    egress: tuple[TrafficRule, ...] = ()


@dataclass(frozen=True, kw_only=True)
class VpnUserCredential:
    username: str
    password: str


@dataclass(frozen=True, kw_only=True)
class RemoteAccessVpn:
    """L2TP/IPsec remote access on public `address`: clients get `ip_range`
    (`"10.1.2.1-10.1.2.8"`), the router is `local_ip` inside the tunnel."""

    address: str
    ip_range: str
    local_ip: str
    preshared_key: str
    users: tuple[VpnUserCredential, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SiteToSiteVpn:
    """An IPsec tunnel from `local_address` (the VPC's VPN gateway, fronting
    `local_cidrs`) to `peer_address` (fronting `peer_cidrs`). Policies are CloudStack's
    strings (`aes128-sha1;modp1536`); lifetimes in seconds; `ike_version` `ike`, `ikev1`
    or `ikev2`."""

    name: str
    local_address: str
    local_cidrs: tuple[str, ...]
    peer_address: str
    peer_cidrs: tuple[str, ...]
    preshared_key: str
    ike_policy: str
    esp_policy: str
    ike_lifetime: int
    esp_lifetime: int
    dpd: bool = False
    ike_version: str = "ike"
    passive: bool = False


@dataclass(frozen=True, kw_only=True)
class RouterConfig:
    """Everything one virtual router runs. `generation` increases with every change."""

    name: str
    generation: int
    is_vpc: bool
    interfaces: tuple[Interface, ...]
    guests: tuple[GuestNetwork, ...]
    public: tuple[PublicAddress, ...] = ()
    source_nat: tuple[SourceNat, ...] = ()
    static_nat: tuple[StaticNat, ...] = ()
    port_forwards: tuple[PortForward, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    security_groups: tuple[SecurityGroupRules, ...] = ()
    static_routes: tuple[StaticRoute, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    remote_access_vpn: RemoteAccessVpn | None = None
    site_to_site: tuple[SiteToSiteVpn, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AppliedConfig:
    """What a driver applied: the generation and the rendered files by name."""

    generation: int
    files: dict[str, str]


class NetworkDriver(abc.ABC):
    """Makes virtual routers run their configuration.

    `capabilities` says which services the driver provides (`nftables`, `dhcp`, `lb`,
    `vpn`).
    """

    name: ClassVar[str]
    capabilities: ClassVar[dict[str, bool]]

    @abc.abstractmethod
    def apply(self, config: RouterConfig) -> AppliedConfig:
        """Make the router run `config` in full, replacing what it ran before.

        On failure (NetworkDriverError) the router keeps running its previous
        configuration: nothing of the new one is left half-applied. A configuration
        whose generation is not above the running one's is ignored (the running one is
        returned), so a late, older apply never undoes a newer one.
        """

    @abc.abstractmethod
    def current(self, router_name: str) -> AppliedConfig | None:
        """What the router runs now (None if it runs nothing)."""

    @abc.abstractmethod
    def destroy(self, router_name: str) -> None:
        """Stop the router and remove its configuration; a router that does not exist is
        not an error."""
