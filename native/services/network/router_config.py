"""Gathering a virtual router's configuration from the database (`RouterConfig`).

Rules in state `Add` (being applied) and `Active` are in it; rules in `Revoke` (being
removed) are not. Only live VMs' NICs give DHCP hosts.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from native.drivers.network import base as cfg
from native.model import (
    DhcpOptionsSet,
    LbHealthCheckPolicy,
    LbStickinessPolicy,
    LbVmMap,
    Network,
    NetworkAclItem,
    NetworkOffering,
    NetworkRule,
    Nic,
    PrivateGateway,
    PublicIpAddress,
    PublicIpRange,
    RemoteAccessVpn,
    SecurityGroupRule,
    SecurityGroupVm,
    VirtualMachine,
    VirtualRouter,
    Vpc,
    VpnConnection,
    VpnCustomerGateway,
    VpnGateway,
    VpnUser,
    Zone,
)
from native.model.dhcp_options import VIRTUAL_ROUTER
from native.services.network import router_routes
from native.services.network.router_vm_data import (
    GONE_VM_STATES,
    ServedNic,
    served_nics,
    vm_data,
)
from native.services.secrets import SecretBox

LIVE_RULE_STATES = ("Add", "Active")


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())


def _traffic(
    row: NetworkRule | NetworkAclItem | SecurityGroupRule, cidrs: Sequence[str]
) -> cfg.TrafficRule:
    return cfg.TrafficRule(
        protocol=row.protocol,
        start_port=row.start_port,
        end_port=row.end_port,
        icmp_type=row.icmp_type,
        icmp_code=row.icmp_code,
        cidrs=tuple(cidrs) or ("0.0.0.0/0",),
    )


def router_networks(session: Session, router: VirtualRouter) -> list[Network]:
    """The live guest networks a router serves: its network, or its VPC's tiers in its zone."""
    query = select(Network).where(Network.removed.is_(None)).order_by(Network.id)
    if router.vpc_id is not None:
        return list(
            session.scalars(
                query.where(Network.vpc_id == router.vpc_id, Network.zone_id == router.zone_id)
            )
        )
    return list(session.scalars(query.where(Network.id == router.network_id)))


def _public_ips(
    session: Session, router: VirtualRouter, networks: Sequence[Network]
) -> list[PublicIpAddress]:
    clause = (
        and_(PublicIpAddress.vpc_id == router.vpc_id, PublicIpAddress.zone_id == router.zone_id)
        if router.vpc_id is not None
        else PublicIpAddress.network_id == router.network_id
    )
    rows = session.scalars(
        select(PublicIpAddress)
        .where(clause, PublicIpAddress.state == "Allocated")
        .order_by(PublicIpAddress.id)
    ).all()
    if router.vpc_id is not None:
        tier_ids = [network.id for network in networks]
        extra = session.scalars(
            select(PublicIpAddress).where(
                PublicIpAddress.network_id.in_(tier_ids),
                PublicIpAddress.state == "Allocated",
                PublicIpAddress.vpc_id.is_(None),
            )
        ).all()
        rows = [*rows, *extra]
    return list(rows)


def _public_interfaces(
    session: Session, ips: Sequence[PublicIpAddress]
) -> tuple[list[cfg.Interface], dict[int, str]]:
    interfaces: list[cfg.Interface] = []
    by_range: dict[int, str] = {}
    for ip in ips:
        if ip.range_id in by_range:
            continue
        ip_range = session.get(PublicIpRange, ip.range_id)
        assert ip_range is not None
        block = ipaddress.IPv4Network(f"{ip_range.gateway}/{ip_range.netmask}", strict=False)
        name = f"pub{len(interfaces)}"
        by_range[ip.range_id] = name
        interfaces.append(
            cfg.Interface(
                name=name,
                role="public",
                address=ip.address,
                prefix=block.prefixlen,
                vlan=None
                if ip_range.vlan_tag == "untagged"
                else int(ip_range.vlan_tag.removeprefix("vlan://")),
                gateway=ip_range.gateway,
            )
        )
    return interfaces, by_range


def _rules(session: Session, *, purpose: str, **where: object) -> list[NetworkRule]:
    query = select(NetworkRule).where(
        NetworkRule.purpose == purpose, NetworkRule.state.in_(LIVE_RULE_STATES)
    )
    for column, value in where.items():
        query = query.where(getattr(NetworkRule, column) == value)
    return list(session.scalars(query.order_by(NetworkRule.id)))


def _dhcp_hosts(served: Sequence[ServedNic]) -> tuple[cfg.DhcpHost, ...]:
    return tuple(
        cfg.DhcpHost(
            mac=row.mac_address, address=row.ip4_address, hostname=row.name, default=row.is_default
        )
        for row in served
    )


def _acl(session: Session, network: Network) -> tuple[cfg.AclRule, ...] | None:
    if network.acl_id is None:
        return None
    items = session.scalars(
        select(NetworkAclItem)
        .where(NetworkAclItem.acl_id == network.acl_id, NetworkAclItem.state.in_(LIVE_RULE_STATES))
        .order_by(NetworkAclItem.number)
    ).all()
    return tuple(
        cfg.AclRule(
            number=item.number,
            action=item.action.lower(),
            direction=item.traffic_type.lower(),
            rule=_traffic(item, _split(item.cidrs)),
        )
        for item in items
    )


def _options_set(session: Session, vpc: Vpc | None) -> DhcpOptionsSet | None:
    if vpc is None or vpc.dhcp_options_set_id is None:
        return None
    return session.get(DhcpOptionsSet, vpc.dhcp_options_set_id)


def _dhcp(options: DhcpOptionsSet | None, *, router: str) -> cfg.DhcpOptions:
    """What a tier's DHCP hands out from its VPC's set (`VirtualRouter` is the router's
    address `router`); nothing beyond the router as DNS server without a set."""
    if options is None:
        return cfg.DhcpOptions()
    return cfg.DhcpOptions(
        dns_servers=tuple(
            router if server == VIRTUAL_ROUTER else server
            for server in _split(options.domain_name_servers)
        ),
        ntp_servers=_split(options.ntp_servers),
        netbios_name_servers=_split(options.netbios_name_servers),
        netbios_node_type=options.netbios_node_type,
    )


def _guest(
    session: Session,
    *,
    network: Network,
    served: Sequence[ServedNic],
    interface: str,
    zone: Zone,
    vpc: Vpc | None,
    region: str,
) -> cfg.GuestNetwork:
    assert network.cidr is not None and network.gateway is not None
    offering = session.get(NetworkOffering, network.network_offering_id)
    assert offering is not None
    egress = _rules(session, purpose="Firewall", network_id=network.id, traffic_type="Egress")
    dns = tuple(
        filter(
            None,
            (
                network.dns1 or (vpc.dns1 if vpc else None) or zone.dns1,
                network.dns2 or (vpc.dns2 if vpc else None) or zone.dns2,
            ),
        )
    )
    options = _options_set(session, vpc)
    return cfg.GuestNetwork(
        uuid=network.uuid,
        name=network.name,
        interface=interface,
        cidr=network.cidr,
        gateway=network.gateway,
        domain=(options.domain_name if options else None)
        or network.network_domain
        or (vpc.network_domain if vpc else None)
        or f"cs{network.account_id}cloud.internal",
        dns=dns,
        dhcp=_dhcp(options, router=network.gateway),
        hosts=_dhcp_hosts(served),
        egress_default_allow=offering.egress_default_allow,
        egress=tuple(_traffic(rule, _split(rule.dest_cidrs)) for rule in egress),
        acl=_acl(session, network) if network.vpc_id is not None else None,
        vm_data=vm_data(session, served=served, region=region),
    )


def _load_balancers(session: Session, ip: PublicIpAddress) -> list[cfg.LoadBalancer]:
    balancers = []
    for rule in _rules(session, purpose="LoadBalancing", ip_address_id=ip.id):
        members = session.scalars(
            select(LbVmMap)
            .where(LbVmMap.rule_id == rule.id, LbVmMap.state != "Revoke")
            .order_by(LbVmMap.id)
        ).all()
        sticky = session.scalars(
            select(LbStickinessPolicy).where(
                LbStickinessPolicy.rule_id == rule.id, LbStickinessPolicy.state != "Revoke"
            )
        ).first()
        check = session.scalars(
            select(LbHealthCheckPolicy).where(
                LbHealthCheckPolicy.rule_id == rule.id, LbHealthCheckPolicy.state != "Revoke"
            )
        ).first()
        assert rule.start_port is not None and rule.private_start_port is not None
        balancers.append(
            cfg.LoadBalancer(
                name=rule.name or rule.uuid,
                address=ip.address,
                public_port=rule.start_port,
                private_port=rule.private_start_port,
                protocol=rule.lb_protocol or rule.protocol,
                algorithm=rule.algorithm or "roundrobin",
                backends=tuple(
                    cfg.Backend(address=m.vm_ip, port=rule.private_start_port) for m in members
                ),
                stickiness=None
                if sticky is None
                else cfg.Stickiness(
                    method=sticky.method, params=tuple(sorted(json.loads(sticky.params).items()))
                ),
                health_check=None
                if check is None
                else cfg.HealthCheck(
                    path=check.ping_path,
                    interval=check.interval,
                    timeout=check.response_time,
                    healthy=check.healthy_threshold,
                    unhealthy=check.unhealthy_threshold,
                ),
            )
        )
    return balancers


def _port_forwards(session: Session, ip: PublicIpAddress) -> list[cfg.PortForward]:
    forwards = []
    for rule in _rules(session, purpose="PortForwarding", ip_address_id=ip.id):
        assert rule.start_port is not None and rule.private_start_port is not None
        forwards.append(
            cfg.PortForward(
                address=ip.address,
                protocol=rule.protocol,
                public_start=rule.start_port,
                public_end=rule.end_port or rule.start_port,
                guest_ip=rule.vm_ip or "",
                private_start=rule.private_start_port,
                private_end=rule.private_end_port or rule.private_start_port,
            )
        )
    return forwards


def _group_addresses(session: Session, group_ids: Iterable[int]) -> dict[int, list[str]]:
    """The /32s of the live VMs in each group (in NIC order), by group id."""
    members: dict[int, list[str]] = {group_id: [] for group_id in group_ids}
    rows = session.execute(
        select(SecurityGroupVm.security_group_id, Nic.ip4_address)
        .join(Nic, SecurityGroupVm.vm_id == Nic.vm_id)
        .join(VirtualMachine, VirtualMachine.id == Nic.vm_id)
        .where(
            SecurityGroupVm.security_group_id.in_(list(members)),
            Nic.ip4_address.is_not(None),
            VirtualMachine.state.not_in(GONE_VM_STATES),
        )
        .order_by(Nic.id)
    )
    for group_id, address in rows:
        if address:
            members[group_id].append(f"{address}/32")
    return members


def _rules_by_vm(session: Session, vm_ids: Iterable[int]) -> dict[int, list[SecurityGroupRule]]:
    """The rules of each VM's groups in rule order, for the VMs in at least one group (a
    group with no rule still counts: its VM lets nothing in). Two queries for any number."""
    groups_of: dict[int, set[int]] = {}
    for vm_id, group_id in session.execute(
        select(SecurityGroupVm.vm_id, SecurityGroupVm.security_group_id).where(
            SecurityGroupVm.vm_id.in_(list(vm_ids))
        )
    ):
        groups_of.setdefault(vm_id, set()).add(group_id)
    rules_of: dict[int, list[SecurityGroupRule]] = {}
    for rule in session.scalars(
        select(SecurityGroupRule)
        .where(SecurityGroupRule.security_group_id.in_(set().union(*groups_of.values())))
        .order_by(SecurityGroupRule.id)
    ):
        rules_of.setdefault(rule.security_group_id, []).append(rule)
    return {
        vm_id: sorted((r for g in groups for r in rules_of.get(g, ())), key=lambda r: r.id)
        for vm_id, groups in groups_of.items()
    }


def _nic_rules(
    address: str, rules: Sequence[SecurityGroupRule], members: dict[int, list[str]]
) -> cfg.SecurityGroupRules:
    """One NIC's ingress and egress: each rule's CIDR, or the members of the group it names."""
    directions: dict[str, list[cfg.TrafficRule]] = {"ingress": [], "egress": []}
    for rule in rules:
        sources = (
            [rule.cidr]
            if rule.cidr
            else members[rule.allowed_group_id]
            if rule.allowed_group_id
            else []
        )
        if sources:
            directions[rule.rule_type.lower()].append(_traffic(rule, sources))
    return cfg.SecurityGroupRules(
        address=address, ingress=tuple(directions["ingress"]), egress=tuple(directions["egress"])
    )


def _security_groups(session: Session, served: Sequence[ServedNic]) -> list[cfg.SecurityGroupRules]:
    """Each served NIC's rules from its VM's groups. One query per kind of row, whatever the
    number of VMs: a group's members are read once, not once per VM that refers to them."""
    rules_by_vm = _rules_by_vm(session, {row.vm_id for row in served})
    members = _group_addresses(
        session,
        {
            rule.allowed_group_id
            for rules in rules_by_vm.values()
            for rule in rules
            if rule.allowed_group_id and not rule.cidr
        },
    )
    return [
        _nic_rules(row.ip4_address, rules_by_vm[row.vm_id], members)
        for row in served
        if row.vm_id in rules_by_vm
    ]


def _remote_access(
    session: Session, secrets: SecretBox, router: VirtualRouter, ips: Sequence[PublicIpAddress]
) -> cfg.RemoteAccessVpn | None:
    if not ips:
        return None
    vpn = session.scalars(
        select(RemoteAccessVpn).where(
            RemoteAccessVpn.public_ip_id.in_([ip.id for ip in ips]),
            RemoteAccessVpn.state != "Removed",
        )
    ).first()
    if vpn is None:
        return None
    ip = next(ip for ip in ips if ip.id == vpn.public_ip_id)
    users = session.scalars(
        select(VpnUser)
        .where(VpnUser.account_id == vpn.account_id, VpnUser.state != "Revoke")
        .order_by(VpnUser.username)
    ).all()
    return cfg.RemoteAccessVpn(
        address=ip.address,
        ip_range=vpn.ip_range,
        local_ip=vpn.local_ip,
        preshared_key=secrets.open(vpn.preshared_key),
        users=tuple(
            cfg.VpnUserCredential(username=u.username, password=secrets.open(u.password))
            for u in users
        ),
    )


def _site_to_site(
    session: Session, secrets: SecretBox, router: VirtualRouter, vpc: Vpc
) -> list[cfg.SiteToSiteVpn]:
    """The VPC's site-to-site tunnels, on the router of its VPN gateway's zone."""
    gateway = session.scalars(select(VpnGateway).where(VpnGateway.vpc_id == vpc.id)).first()
    if gateway is None:
        return []
    ip = session.get(PublicIpAddress, gateway.public_ip_id)
    assert ip is not None
    if ip.zone_id != router.zone_id:
        return []
    tunnels = []
    for connection, customer in session.execute(
        select(VpnConnection, VpnCustomerGateway)
        .join(VpnCustomerGateway, VpnConnection.customer_gateway_id == VpnCustomerGateway.id)
        .where(VpnConnection.vpn_gateway_id == gateway.id)
        .order_by(VpnConnection.id)
    ).all():
        tunnels.append(
            cfg.SiteToSiteVpn(
                name=f"vpn-{connection.uuid[:8]}",
                local_address=ip.address,
                local_cidrs=(vpc.cidr,),
                peer_address=customer.gateway,
                peer_cidrs=_split(customer.cidr_list),
                preshared_key=secrets.open(customer.ipsec_psk),
                ike_policy=customer.ike_policy,
                esp_policy=customer.esp_policy,
                ike_lifetime=customer.ike_lifetime,
                esp_lifetime=customer.esp_lifetime,
                dpd=customer.dpd,
                ike_version=customer.ike_version,
                passive=connection.passive,
            )
        )
    return tunnels


def _vpc_private(
    session: Session, router: VirtualRouter, offset: int
) -> tuple[list[cfg.Interface], dict[int, str]]:
    """The private gateway interfaces of the VPC router's zone, and each gateway's next hop
    by id."""
    interfaces = []
    hops: dict[int, str] = {}
    for index, gateway in enumerate(
        session.scalars(
            select(PrivateGateway)
            .where(
                PrivateGateway.vpc_id == router.vpc_id,
                PrivateGateway.zone_id == router.zone_id,
                PrivateGateway.removed.is_(None),
            )
            .order_by(PrivateGateway.id)
        )
    ):
        block = ipaddress.IPv4Network(f"{gateway.gateway}/{gateway.netmask}", strict=False)
        vlan = gateway.vlan.removeprefix("vlan://")
        interfaces.append(
            cfg.Interface(
                name=f"prv{index + offset}",
                role="private",
                address=gateway.ip_address,
                prefix=block.prefixlen,
                vlan=int(vlan) if vlan.isdigit() else None,
                gateway=gateway.gateway,
            )
        )
        hops[gateway.id] = gateway.gateway
    return interfaces, hops


@dataclass(frozen=True, kw_only=True)
class _PublicSide:
    addresses: tuple[cfg.PublicAddress, ...]
    source_nat: tuple[cfg.SourceNat, ...]
    static_nat: tuple[cfg.StaticNat, ...]
    port_forwards: tuple[cfg.PortForward, ...]
    load_balancers: tuple[cfg.LoadBalancer, ...]


def _public_side(
    session: Session,
    *,
    ips: Sequence[PublicIpAddress],
    by_range: dict[int, str],
    guests: Sequence[cfg.GuestNetwork],
    vpc: Vpc | None,
) -> _PublicSide:
    """What the router does on its public addresses: NAT, firewall, forwards, balancers."""
    public: list[cfg.PublicAddress] = []
    source_nat: list[cfg.SourceNat] = []
    static_nat: list[cfg.StaticNat] = []
    forwards: list[cfg.PortForward] = []
    balancers: list[cfg.LoadBalancer] = []
    for ip in ips:
        firewall = (
            []
            if vpc is not None
            else _rules(session, purpose="Firewall", ip_address_id=ip.id, traffic_type="Ingress")
        )
        public.append(
            cfg.PublicAddress(
                address=ip.address,
                interface=by_range[ip.range_id],
                source_nat=ip.is_source_nat,
                firewall=tuple(_traffic(rule, _split(rule.source_cidrs)) for rule in firewall),
            )
        )
        if ip.is_source_nat:
            source_nat.extend(cfg.SourceNat(address=ip.address, cidr=g.cidr) for g in guests)
        if ip.is_static_nat and ip.vm_ip:
            static_nat.append(cfg.StaticNat(address=ip.address, guest_ip=ip.vm_ip))
        forwards.extend(_port_forwards(session, ip))
        balancers.extend(_load_balancers(session, ip))
    return _PublicSide(
        addresses=tuple(public),
        source_nat=tuple(source_nat),
        static_nat=tuple(static_nat),
        port_forwards=tuple(forwards),
        load_balancers=tuple(balancers),
    )


def gather(
    session: Session, *, secrets: SecretBox, router: VirtualRouter, region: str
) -> cfg.RouterConfig:
    """Everything `router` must run, read in the session's current transaction (`region`
    names the availability zones its guests are told they are in)."""
    zone = session.get(Zone, router.zone_id)
    assert zone is not None
    vpc = None if router.vpc_id is None else session.get(Vpc, router.vpc_id)
    networks = [n for n in router_networks(session, router) if n.cidr and n.gateway]
    guest_interfaces = [
        cfg.Interface(
            name=f"eth{index}",
            role="guest",
            address=network.gateway or "",
            prefix=ipaddress.IPv4Network(network.cidr or "").prefixlen,
            vlan=network.vlan,
        )
        for index, network in enumerate(networks)
    ]
    served = served_nics(session, network_ids=[network.id for network in networks])
    by_network: dict[int, list[ServedNic]] = {}
    for row in served:
        by_network.setdefault(row.network_id, []).append(row)
    guests = [
        _guest(
            session,
            network=network,
            served=by_network.get(network.id, []),
            interface=interface.name,
            zone=zone,
            vpc=vpc,
            region=region,
        )
        for network, interface in zip(networks, guest_interfaces, strict=True)
    ]
    ips = _public_ips(session, router, networks)
    public_interfaces, by_range = _public_interfaces(session, ips)
    public = _public_side(session, ips=ips, by_range=by_range, guests=guests, vpc=vpc)
    private_interfaces, hops = ([], {}) if vpc is None else _vpc_private(session, router, 0)
    routes = (
        router_routes.Routes(main=(), tables=())
        if vpc is None
        else router_routes.gather(
            session,
            vpc=vpc,
            networks=networks,
            gateway_hops=hops,
            public_gateway=next((i.gateway for i in public_interfaces if i.gateway), None),
        )
    )
    return cfg.RouterConfig(
        name=router.name,
        generation=router.generation,
        is_vpc=vpc is not None,
        interfaces=(*guest_interfaces, *public_interfaces, *private_interfaces),
        guests=tuple(guests),
        public=public.addresses,
        source_nat=public.source_nat,
        static_nat=public.static_nat,
        port_forwards=public.port_forwards,
        load_balancers=public.load_balancers,
        security_groups=tuple(_security_groups(session, served)),
        static_routes=routes.main,
        route_tables=routes.tables,
        remote_access_vpn=_remote_access(session, secrets, router, ips),
        site_to_site=tuple(() if vpc is None else _site_to_site(session, secrets, router, vpc)),
    )
