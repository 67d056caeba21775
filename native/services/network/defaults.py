"""The built-in network and VPC offerings and the default ACL lists, as CloudStack ships them.

`ensure_network_defaults` adds whichever is missing (by unique name); it is safe on every
start. Services map to their providers; capabilities are CloudStack's names and values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import NetworkAcl, NetworkAclItem, NetworkOffering, VpcOffering

VR = "VirtualRouter"
VPC_VR = "VpcVirtualRouter"
SG_PROVIDER = "SecurityGroupProvider"

ISOLATED = "Isolated"
SHARED = "Shared"
L2 = "L2"

DEFAULT_ISOLATED = "DefaultIsolatedNetworkOfferingWithSourceNatService"
DEFAULT_SHARED = "DefaultSharedNetworkOffering"
DEFAULT_SHARED_SG = "DefaultSharedNetworkOfferingWithSGService"
DEFAULT_L2 = "DefaultL2NetworkOffering"
DEFAULT_VPC_TIER = "DefaultIsolatedNetworkOfferingForVpcNetworks"
DEFAULT_VPC_TIER_NO_LB = "DefaultIsolatedNetworkOfferingForVpcNetworksNoLB"
DEFAULT_VPC = "Default VPC offering"
REGION_LEVEL_VPC = "Default region-level VPC offering"
"""A built-in VPC offering whose VPCs span zones (Connectivity RegionLevelVpc), as an EC2
VPC does."""
REGION_LEVEL = ("Connectivity", "RegionLevelVpc")
"""The VPC offering capability (service, name) that lets its VPCs span zones."""

DEFAULT_ALLOW = "default_allow"
DEFAULT_DENY = "default_deny"

LB_ALGORITHMS = ("roundrobin", "leastconn", "source")
STICKINESS_METHODS = ("LbCookie", "AppCookie", "SourceBased")

CAPABILITIES: Mapping[str, Mapping[str, str]] = {
    "SourceNat": {"SupportedSourceNatTypes": "peraccount", "RedundantRouter": "false"},
    "Lb": {
        "SupportedLBAlgorithms": ",".join(LB_ALGORITHMS),
        "SupportedLBIsolation": "dedicated",
        "SupportedProtocols": "tcp, udp, tcp-proxy",
        "SupportedStickinessMethods": ",".join(method.lower() for method in STICKINESS_METHODS),
        "LbSchemes": "Public",
        "HealthCheckPolicy": "true",
    },
    "Firewall": {
        "SupportedProtocols": "tcp,udp,icmp",
        "SupportedEgressProtocols": "tcp,udp,icmp, all",
        "SupportedTrafficDirection": "ingress, egress",
        "MultipleIps": "true",
    },
    "StaticNat": {"ElasticIp": "false", "AssociatePublicIP": "false"},
    "Vpn": {"SupportedVpnTypes": "pptp,l2tp,ipsec", "VpnTypes": "removeaccessvpn"},
    "NetworkACL": {"SupportedProtocols": "tcp,udp,icmp"},
}

ISOLATED_SERVICES = (
    "Dhcp",
    "Dns",
    "UserData",
    "Firewall",
    "Gateway",
    "SourceNat",
    "StaticNat",
    "PortForwarding",
    "Lb",
    "Vpn",
)
VPC_TIER_SERVICES = (
    "Dhcp",
    "Dns",
    "UserData",
    "SourceNat",
    "StaticNat",
    "PortForwarding",
    "Lb",
    "NetworkACL",
    "Vpn",
    "Gateway",
)
VPC_SERVICES = VPC_TIER_SERVICES


@dataclass(frozen=True, kw_only=True)
class OfferingDefault:
    unique_name: str
    display_text: str
    guest_ip_type: str
    services: Mapping[str, Sequence[str]]
    availability: str = "Optional"
    specify_vlan: bool = False
    specify_ip_ranges: bool = False
    for_vpc: bool = False
    egress_default_allow: bool = True
    extra: Mapping[str, bool] = field(default_factory=dict)


def _by(provider: str, services: Sequence[str]) -> dict[str, list[str]]:
    return {service: [provider] for service in services}


NETWORK_OFFERINGS: tuple[OfferingDefault, ...] = (
    OfferingDefault(
        unique_name=DEFAULT_ISOLATED,
        display_text="Offering for Isolated networks with Source Nat service enabled",
        guest_ip_type=ISOLATED,
        services=_by(VR, ISOLATED_SERVICES),
        availability="Required",
    ),
    OfferingDefault(
        unique_name=DEFAULT_SHARED,
        display_text="Offering for Shared networks",
        guest_ip_type=SHARED,
        services=_by(VR, ("Dhcp", "Dns", "UserData")),
        specify_vlan=True,
        specify_ip_ranges=True,
    ),
    OfferingDefault(
        unique_name=DEFAULT_SHARED_SG,
        display_text="Offering for Shared Security group enabled networks",
        guest_ip_type=SHARED,
        services={**_by(VR, ("Dhcp", "Dns", "UserData")), "SecurityGroup": [SG_PROVIDER]},
        specify_vlan=True,
        specify_ip_ranges=True,
    ),
    OfferingDefault(
        unique_name=DEFAULT_L2,
        display_text="Offering for L2 networks",
        guest_ip_type=L2,
        services={},
    ),
    OfferingDefault(
        unique_name=DEFAULT_VPC_TIER,
        display_text="Offering for Isolated VPC networks with Source Nat service enabled",
        guest_ip_type=ISOLATED,
        services=_by(VPC_VR, VPC_TIER_SERVICES),
        for_vpc=True,
    ),
    OfferingDefault(
        unique_name=DEFAULT_VPC_TIER_NO_LB,
        display_text="Offering for Isolated VPC networks with Source Nat service enabled and "
        "without LB",
        guest_ip_type=ISOLATED,
        services=_by(VPC_VR, tuple(s for s in VPC_TIER_SERVICES if s != "Lb")),
        for_vpc=True,
    ),
)


def capabilities_of(services: Mapping[str, Sequence[str]]) -> dict[str, dict[str, str]]:
    """The default capabilities of the services an offering provides."""
    return {name: dict(CAPABILITIES[name]) for name in services if name in CAPABILITIES}


def _ensure_network_offerings(session: Session) -> None:
    for default in NETWORK_OFFERINGS:
        if session.scalars(
            select(NetworkOffering).where(NetworkOffering.unique_name == default.unique_name)
        ).first():
            continue
        session.add(
            NetworkOffering(
                name=default.unique_name,
                unique_name=default.unique_name,
                display_text=default.display_text,
                guest_ip_type=default.guest_ip_type,
                state="Enabled",
                is_default=True,
                specify_vlan=default.specify_vlan,
                specify_ip_ranges=default.specify_ip_ranges,
                for_vpc=default.for_vpc,
                availability=default.availability,
                egress_default_allow=default.egress_default_allow,
                services=json.dumps(dict(default.services)),
                capabilities=json.dumps(capabilities_of(default.services)),
            )
        )


def _ensure_vpc_offering(session: Session, *, name: str, region_level: bool) -> None:
    if session.scalars(select(VpcOffering).where(VpcOffering.unique_name == name)).first():
        return
    services = _by(VPC_VR, VPC_SERVICES)
    capabilities = capabilities_of(services)
    if region_level:
        capabilities[REGION_LEVEL[0]] = {REGION_LEVEL[1]: "true"}
    session.add(
        VpcOffering(
            name=name,
            unique_name=name,
            display_text=name,
            state="Enabled",
            is_default=not region_level,
            services=json.dumps(services),
            capabilities=json.dumps(capabilities),
        )
    )


def _ensure_acl(session: Session, *, name: str, description: str, action: str) -> None:
    if session.scalars(
        select(NetworkAcl).where(NetworkAcl.name == name, NetworkAcl.vpc_id.is_(None))
    ).first():
        return
    acl = NetworkAcl(name=name, description=description)
    session.add(acl)
    session.flush()
    for number, direction in ((1, "Ingress"), (2, "Egress")):
        session.add(
            NetworkAclItem(
                acl_id=acl.id,
                number=number,
                action=action,
                protocol="all",
                cidrs="0.0.0.0/0",
                traffic_type=direction,
            )
        )


def ensure_network_defaults(session: Session) -> None:
    """Add the built-in offerings and the `default_allow`/`default_deny` ACL lists."""
    _ensure_network_offerings(session)
    _ensure_vpc_offering(session, name=DEFAULT_VPC, region_level=False)
    _ensure_vpc_offering(session, name=REGION_LEVEL_VPC, region_level=True)
    _ensure_acl(
        session, name=DEFAULT_ALLOW, description="Default Network ACL Allow All", action="Allow"
    )
    _ensure_acl(
        session, name=DEFAULT_DENY, description="Default Network ACL Deny All", action="Deny"
    )
    session.flush()
