"""Representative router configurations: the inputs of the golden files and tool checks."""

from __future__ import annotations

from native.drivers.network.base import (
    AclRule,
    Backend,
    DhcpHost,
    GuestNetwork,
    HealthCheck,
    Interface,
    LoadBalancer,
    PortForward,
    PublicAddress,
    RemoteAccessVpn,
    RouterConfig,
    RouteTable,
    SecurityGroupRules,
    SiteToSiteVpn,
    SourceNat,
    StaticNat,
    StaticRoute,
    Stickiness,
    TrafficRule,
    VmData,
    VpnUserCredential,
)

PUBLIC = Interface(
    name="pub0", role="public", address="203.0.113.10", prefix=24, gateway="203.0.113.1"
)


def _tcp(start: int, end: int | None = None, *cidrs: str) -> TrafficRule:
    return TrafficRule(
        protocol="tcp", start_port=start, end_port=end or start, cidrs=cidrs or ("0.0.0.0/0",)
    )


def _udp(start: int, end: int | None = None, *cidrs: str) -> TrafficRule:
    return TrafficRule(
        protocol="udp", start_port=start, end_port=end or start, cidrs=cidrs or ("0.0.0.0/0",)
    )


def _icmp(icmp_type: int = -1, icmp_code: int = -1, *cidrs: str) -> TrafficRule:
    return TrafficRule(
        protocol="icmp", icmp_type=icmp_type, icmp_code=icmp_code, cidrs=cidrs or ("0.0.0.0/0",)
    )


ISOLATED_GUEST = GuestNetwork(
    uuid="6f1c2d3e-0000-4000-8000-000000000001",
    name="web-net",
    interface="eth0",
    cidr="10.1.1.0/24",
    gateway="10.1.1.1",
    domain="cs2cloud.internal",
    dns=("8.8.8.8", "8.8.4.4"),
    hosts=(
        DhcpHost(mac="02:00:4c:00:00:05", address="10.1.1.5", hostname="web-1"),
        DhcpHost(mac="02:00:4c:00:00:06", address="10.1.1.6", hostname="web-2"),
        DhcpHost(mac="02:00:4c:00:00:07", address="10.1.1.7", hostname="db-1"),
        DhcpHost(mac="02:00:4c:00:00:14", address="10.1.1.20", hostname="app-1", default=False),
    ),
    egress_default_allow=True,
    egress=(_tcp(25), _udp(53, None, "9.9.9.9/32", "149.112.112.112/32")),
    vm_data=(
        VmData(
            address="10.1.1.5",
            meta_data=(
                ("instance-id", "i-0a1b2c3d4e5f60718"),
                ("local-ipv4", "10.1.1.5"),
                ("placement/availability-zone", "us-east-1a"),
                ("public-ipv4", "203.0.113.10"),
            ),
            public_keys=(("deploy", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB deploy@example"),),
            user_data="IyEvYmluL3NoCmVjaG8gaGVsbG8K",
        ),
        VmData(
            address="10.1.1.6",
            meta_data=(("instance-id", "i-0a1b2c3d4e5f60719"), ("local-ipv4", "10.1.1.6")),
        ),
    ),
)

ISOLATED = RouterConfig(
    name="r-5-VM",
    generation=12,
    is_vpc=False,
    interfaces=(
        Interface(name="eth0", role="guest", address="10.1.1.1", prefix=24, vlan=101),
        PUBLIC,
    ),
    guests=(ISOLATED_GUEST,),
    public=(
        PublicAddress(
            address="203.0.113.10",
            interface="pub0",
            source_nat=True,
            firewall=(_tcp(22, None, "198.51.100.0/24", "198.51.100.64/26"), _icmp()),
        ),
        PublicAddress(
            address="203.0.113.11",
            interface="pub0",
            firewall=(_tcp(80), _tcp(443), _udp(53)),
        ),
        PublicAddress(
            address="203.0.113.12",
            interface="pub0",
            firewall=(_tcp(3306, None, "198.51.100.7/32"), _icmp(8, 0)),
        ),
        PublicAddress(
            address="203.0.113.13",
            interface="pub0",
            firewall=(_tcp(2222), _tcp(8000, 8009), _udp(5000, 5002), _tcp(9000, 9001)),
        ),
    ),
    source_nat=(SourceNat(address="203.0.113.10", cidr="10.1.1.0/24"),),
    static_nat=(StaticNat(address="203.0.113.12", guest_ip="10.1.1.7"),),
    port_forwards=(
        PortForward(
            address="203.0.113.13",
            protocol="tcp",
            public_start=2222,
            public_end=2222,
            guest_ip="10.1.1.5",
            private_start=22,
            private_end=22,
        ),
        PortForward(
            address="203.0.113.13",
            protocol="tcp",
            public_start=8000,
            public_end=8009,
            guest_ip="10.1.1.6",
            private_start=8000,
            private_end=8009,
        ),
        PortForward(
            address="203.0.113.13",
            protocol="udp",
            public_start=5000,
            public_end=5002,
            guest_ip="10.1.1.6",
            private_start=6000,
            private_end=6002,
        ),
        PortForward(
            address="203.0.113.13",
            protocol="tcp",
            public_start=9000,
            public_end=9001,
            guest_ip="10.1.1.5",
            private_start=80,
            private_end=80,
        ),
    ),
    load_balancers=(
        LoadBalancer(
            name="web",
            address="203.0.113.11",
            public_port=80,
            private_port=8080,
            protocol="http",
            algorithm="roundrobin",
            backends=(
                Backend(address="10.1.1.5", port=8080),
                Backend(address="10.1.1.6", port=8080),
            ),
            stickiness=Stickiness(
                method="LbCookie",
                params=(("cookie-name", "SRVID"), ("indirect", "true"), ("nocache", "true")),
            ),
            health_check=HealthCheck(path="/health", interval=5, timeout=2, healthy=2, unhealthy=3),
        ),
        LoadBalancer(
            name="web-tls",
            address="203.0.113.11",
            public_port=443,
            private_port=443,
            protocol="tcp",
            algorithm="leastconn",
            backends=(Backend(address="10.1.1.5", port=443), Backend(address="10.1.1.6", port=443)),
            stickiness=Stickiness(
                method="SourceBased", params=(("expire", "10m"), ("tablesize", "100k"))
            ),
            health_check=HealthCheck(path=None, interval=10, timeout=3, healthy=3, unhealthy=2),
        ),
        LoadBalancer(
            name="dns",
            address="203.0.113.11",
            public_port=53,
            private_port=53,
            protocol="udp",
            algorithm="source",
            backends=(Backend(address="10.1.1.5", port=53), Backend(address="10.1.1.6", port=53)),
        ),
    ),
    remote_access_vpn=RemoteAccessVpn(
        address="203.0.113.10",
        ip_range="10.1.2.2-10.1.2.8",
        local_ip="10.1.2.1",
        preshared_key='s3cret psk with "quotes" and spaces',
        users=(
            VpnUserCredential(username="alice", password="wonder land"),
            VpnUserCredential(username="bob", password='b"o\\b'),
        ),
    ),
)

EGRESS_DENY = RouterConfig(
    name="r-6-VM",
    generation=3,
    is_vpc=False,
    interfaces=(
        Interface(name="eth0", role="guest", address="10.1.3.1", prefix=24, vlan=102),
        Interface(
            name="pub0", role="public", address="203.0.113.30", prefix=24, gateway="203.0.113.1"
        ),
    ),
    guests=(
        GuestNetwork(
            uuid="6f1c2d3e-0000-4000-8000-000000000002",
            name="locked",
            interface="eth0",
            cidr="10.1.3.0/24",
            gateway="10.1.3.1",
            domain="locked.example",
            dns=("192.0.2.53",),
            hosts=(DhcpHost(mac="02:00:4c:00:01:05", address="10.1.3.5", hostname="app-1"),),
            egress_default_allow=False,
            egress=(_tcp(80), _tcp(443), _udp(53, None, "192.0.2.53/32"), _icmp(8)),
        ),
    ),
    public=(PublicAddress(address="203.0.113.30", interface="pub0", source_nat=True),),
    source_nat=(SourceNat(address="203.0.113.30", cidr="10.1.3.0/24"),),
    load_balancers=(
        LoadBalancer(
            name="app",
            address="203.0.113.30",
            public_port=8080,
            private_port=8080,
            protocol="tcp",
            algorithm="source",
            backends=(Backend(address="10.1.3.5", port=8080),),
            stickiness=Stickiness(
                method="AppCookie",
                params=(("cookie-name", "JSESSIONID"), ("holdtime", "3h"), ("length", "52")),
            ),
            health_check=HealthCheck(
                path="/status?full=1", interval=5, timeout=2, healthy=2, unhealthy=10
            ),
        ),
    ),
)

WEB_TIER = GuestNetwork(
    uuid="7a2b3c4d-0000-4000-8000-000000000001",
    name="web",
    interface="eth0",
    cidr="10.0.1.0/24",
    gateway="10.0.1.1",
    domain="vpc.example",
    dns=("8.8.8.8",),
    hosts=(
        DhcpHost(mac="02:00:5a:00:00:0a", address="10.0.1.10", hostname="web-1"),
        DhcpHost(mac="02:00:5a:00:00:0b", address="10.0.1.11", hostname="web-2"),
    ),
    acl=(
        AclRule(number=30, action="deny", direction="ingress", rule=_tcp(22, None, "0.0.0.0/0")),
        AclRule(number=10, action="allow", direction="ingress", rule=_tcp(80)),
        AclRule(number=20, action="allow", direction="ingress", rule=_tcp(22, None, "10.0.2.0/24")),
        AclRule(number=25, action="allow", direction="ingress", rule=_icmp(8, -1, "10.0.0.0/16")),
        AclRule(number=10, action="allow", direction="egress", rule=TrafficRule(protocol="all")),
    ),
)

DB_TIER = GuestNetwork(
    uuid="7a2b3c4d-0000-4000-8000-000000000002",
    name="db",
    interface="eth1",
    cidr="10.0.2.0/24",
    gateway="10.0.2.1",
    domain="vpc.example",
    dns=("8.8.8.8", "1.1.1.1"),
    hosts=(
        DhcpHost(mac="02:00:5a:00:00:14", address="10.0.2.20", hostname="db-1"),
        DhcpHost(mac="02:00:5a:00:00:15", address="10.0.2.11", hostname="web-1", default=False),
    ),
    acl=(
        AclRule(
            number=1, action="allow", direction="ingress", rule=_tcp(3306, None, "10.0.1.0/24")
        ),
        AclRule(number=2, action="allow", direction="ingress", rule=_icmp(-1, -1, "10.0.1.0/24")),
        AclRule(
            number=3,
            action="allow",
            direction="egress",
            rule=TrafficRule(protocol="udp", start_port=123, end_port=123, cidrs=("0.0.0.0/0",)),
        ),
        AclRule(
            number=4,
            action="deny",
            direction="egress",
            rule=TrafficRule(protocol="47", cidrs=("0.0.0.0/0",)),
        ),
    ),
)

EMPTY_TIER = GuestNetwork(
    uuid="7a2b3c4d-0000-4000-8000-000000000003",
    name="staging",
    interface="eth2",
    cidr="10.0.3.0/24",
    gateway="10.0.3.1",
    domain="vpc.example",
    dns=("8.8.8.8",),
)

VPC = RouterConfig(
    name="r-9-VM",
    generation=40,
    is_vpc=True,
    interfaces=(
        Interface(name="eth0", role="guest", address="10.0.1.1", prefix=24, vlan=201),
        Interface(name="eth1", role="guest", address="10.0.2.1", prefix=24, vlan=202),
        Interface(name="eth2", role="guest", address="10.0.3.1", prefix=24, vlan=203),
        Interface(
            name="pub0", role="public", address="203.0.113.20", prefix=24, gateway="203.0.113.1"
        ),
        Interface(
            name="prv0",
            role="private",
            address="172.16.0.2",
            prefix=24,
            vlan=500,
            gateway="172.16.0.1",
        ),
    ),
    guests=(WEB_TIER, DB_TIER, EMPTY_TIER),
    public=(
        PublicAddress(address="203.0.113.20", interface="pub0", source_nat=True),
        PublicAddress(address="203.0.113.21", interface="pub0"),
        PublicAddress(address="203.0.113.22", interface="pub0"),
    ),
    source_nat=(
        SourceNat(address="203.0.113.20", cidr="10.0.1.0/24"),
        SourceNat(address="203.0.113.20", cidr="10.0.2.0/24"),
        SourceNat(address="203.0.113.20", cidr="10.0.3.0/24"),
    ),
    static_nat=(StaticNat(address="203.0.113.21", guest_ip="10.0.1.10"),),
    port_forwards=(
        PortForward(
            address="203.0.113.22",
            protocol="tcp",
            public_start=2201,
            public_end=2201,
            guest_ip="10.0.2.20",
            private_start=22,
            private_end=22,
        ),
    ),
    load_balancers=(
        LoadBalancer(
            name="vpc-web",
            address="203.0.113.20",
            public_port=80,
            private_port=80,
            protocol="tcp",
            algorithm="roundrobin",
            backends=(Backend(address="10.0.1.10", port=80), Backend(address="10.0.1.11", port=80)),
        ),
    ),
    static_routes=(
        StaticRoute(cidr="192.168.10.0/24", next_hop="172.16.0.1"),
        StaticRoute(cidr="192.168.20.0/24", next_hop="172.16.0.1"),
    ),
    route_tables=(
        RouteTable(
            number=100,
            sources=("10.0.2.0/24",),
            local="10.0.0.0/16",
            routes=(
                StaticRoute(cidr="0.0.0.0/0", next_hop="203.0.113.1"),
                StaticRoute(cidr="192.168.30.0/24", next_hop="10.0.2.10"),
            ),
        ),
        RouteTable(number=101, sources=("10.0.3.0/24",), local="10.0.0.0/16"),
    ),
    site_to_site=(
        SiteToSiteVpn(
            name="vpn-1a2b3c4d",
            local_address="203.0.113.20",
            local_cidrs=("10.0.0.0/16",),
            peer_address="198.51.100.1",
            peer_cidrs=("192.168.100.0/24", "192.168.101.0/24"),
            preshared_key="site-to-site-psk-1",
            ike_policy="aes128-sha1;modp1536",
            esp_policy="aes128-sha1",
            ike_lifetime=86400,
            esp_lifetime=3600,
            dpd=True,
            ike_version="ikev2",
        ),
        SiteToSiteVpn(
            name="vpn-5e6f7a8b",
            local_address="203.0.113.20",
            local_cidrs=("10.0.0.0/16",),
            peer_address="198.51.100.2",
            peer_cidrs=("172.30.0.0/16",),
            preshared_key="another psk",
            ike_policy="aes256-sha256,aes128-sha1;modp2048",
            esp_policy="aes256-sha256;modp2048",
            ike_lifetime=28800,
            esp_lifetime=1800,
            ike_version="ikev1",
            passive=True,
        ),
    ),
)

SECURITY_GROUPS = RouterConfig(
    name="r-7-VM",
    generation=5,
    is_vpc=False,
    interfaces=(
        Interface(name="eth0", role="guest", address="10.1.4.1", prefix=24, vlan=104),
        Interface(
            name="pub0", role="public", address="203.0.113.40", prefix=24, gateway="203.0.113.1"
        ),
    ),
    guests=(
        GuestNetwork(
            uuid="6f1c2d3e-0000-4000-8000-000000000004",
            name="sg-net",
            interface="eth0",
            cidr="10.1.4.0/24",
            gateway="10.1.4.1",
            domain="sg.example",
            dns=("8.8.8.8",),
            hosts=(
                DhcpHost(mac="02:00:4c:00:04:05", address="10.1.4.5", hostname="front"),
                DhcpHost(mac="02:00:4c:00:04:06", address="10.1.4.6", hostname="back"),
                DhcpHost(mac="02:00:4c:00:04:07", address="10.1.4.7", hostname="open"),
            ),
        ),
    ),
    public=(
        PublicAddress(
            address="203.0.113.40", interface="pub0", source_nat=True, firewall=(_tcp(22),)
        ),
        PublicAddress(address="203.0.113.41", interface="pub0", firewall=(_tcp(443),)),
    ),
    source_nat=(SourceNat(address="203.0.113.40", cidr="10.1.4.0/24"),),
    static_nat=(StaticNat(address="203.0.113.41", guest_ip="10.1.4.5"),),
    security_groups=(
        SecurityGroupRules(
            address="10.1.4.5",
            ingress=(_tcp(443), _tcp(22, None, "198.51.100.0/24"), _icmp()),
        ),
        SecurityGroupRules(
            address="10.1.4.6",
            ingress=(_tcp(5432, None, "10.1.4.5/32"),),
            egress=(_tcp(443), _udp(53, None, "10.1.4.1/32")),
        ),
        SecurityGroupRules(address="10.1.4.5", ingress=(_icmp(0, -1, "10.1.4.6/32"),)),
        SecurityGroupRules(address="10.1.4.7"),
    ),
)

EMPTY = RouterConfig(name="r-1-VM", generation=1, is_vpc=False, interfaces=(), guests=())

CASES: dict[str, RouterConfig] = {
    "isolated": ISOLATED,
    "egress_deny": EGRESS_DENY,
    "vpc": VPC,
    "security_groups": SECURITY_GROUPS,
    "empty": EMPTY,
}
