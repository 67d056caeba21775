"""Network and VPC offerings: creating, changing and deleting them as CloudStack does.

An offering maps each of its services to the providers that give it. `services` is
stored as JSON `{service: [provider, …]}` in CloudStack's service order, with `Gateway`
added (given by SourceNat's providers) whenever SourceNat is offered; `capabilities` as
`{service: {capability: value}}`. A service named without a provider gets the router
(`VirtualRouter`, or `VpcVirtualRouter` for VPC offerings), except SecurityGroup, which
gets `SecurityGroupProvider`. The built-in offerings (`defaults.py`) cannot be deleted.

Extension: a VPC tier offering (`forvpc`) may offer SecurityGroup, so that VPC tiers can
have security groups as EC2 subnets do; CloudStack allows it on Shared offerings only.

A VPC offering may choose CloudStack's `Connectivity` capability `RegionLevelVpc`: its VPCs
then take tiers in every zone, each zone's tiers served by a router of the VPC in that zone
(with its own source NAT IP). Alto gives it without the `Connectivity` service's overlay:
tiers in different zones reach each other only through their routers' public side.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Network, NetworkOffering, Vpc, VpcOffering, utcnow
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, ResourceInUse
from native.services.network import defaults
from native.services.network.defaults import (
    ISOLATED,
    L2,
    REGION_LEVEL,
    SG_PROVIDER,
    SHARED,
    VPC_VR,
    VR,
)
from native.services.network.physical_networks import PROVIDER_SERVICES, PROVIDERS, canonical

SERVICES = (
    "Vpn",
    "Dhcp",
    "Dns",
    "Gateway",
    "Firewall",
    "Lb",
    "UserData",
    "SourceNat",
    "StaticNat",
    "PortForwarding",
    "SecurityGroup",
    "NetworkACL",
)
"""CloudStack's network services that Alto's providers give, in CloudStack's order."""

SERVICE_CAPABILITIES: Mapping[str, tuple[str, ...]] = {
    "Vpn": ("SupportedVpnProtocols", "VpnTypes"),
    "Dhcp": ("ExtraDhcpOptions",),
    "Dns": ("AllowDnsSuffixModification",),
    "Gateway": (),
    "Firewall": (
        "SupportedProtocols",
        "MultipleIps",
        "TrafficStatistics",
        "SupportedTrafficDirection",
        "SupportedEgressProtocols",
    ),
    "Lb": (
        "SupportedLBAlgorithms",
        "SupportedLBIsolation",
        "SupportedProtocols",
        "TrafficStatistics",
        "LoadBalancingSupportedIps",
        "SupportedStickinessMethods",
        "ElasticLb",
        "LbSchemes",
    ),
    "UserData": (),
    "SourceNat": ("SupportedSourceNatTypes", "RedundantRouter"),
    "StaticNat": ("ElasticIp",),
    "PortForwarding": (),
    "SecurityGroup": (),
    "NetworkACL": ("SupportedProtocols",),
}
"""The capabilities CloudStack declares for each service (listSupportedNetworkServices)."""

CHOOSABLE = frozenset({"SupportedLBIsolation", "SupportedSourceNatTypes", "RedundantRouter"})
"""Capabilities CloudStack lets an offering choose (`canchooseservicecapability`)."""

CAPABILITY_CHOICES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("SourceNat", "SupportedSourceNatTypes"): ("peraccount",),
    ("SourceNat", "RedundantRouter"): ("false",),
    ("Lb", "SupportedLBIsolation"): ("dedicated",),
    ("Lb", "ElasticLb"): ("false",),
    ("Lb", "InlineMode"): ("false",),
    ("StaticNat", "ElasticIp"): ("false",),
    ("StaticNat", "AssociatePublicIP"): ("false",),
}
"""What `servicecapabilitylist` may set, with the values Alto's virtual routers support
(CloudStack's others, such as redundant routers or elastic IPs, are refused with 431)."""

SHOWN_CAPABILITIES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "Lb": (("SupportedLBIsolation", "dedicated"), ("ElasticLb", "false"), ("InlineMode", "false")),
    "SourceNat": (("SupportedSourceNatTypes", "peraccount"), ("RedundantRouter", "false")),
    "StaticNat": (("ElasticIp", "false"), ("AssociatePublicIP", "false")),
}
"""The capabilities CloudStack shows in a network offering, per service, with defaults."""

AVAILABILITIES = ("Required", "Optional")
GUEST_TYPES = (ISOLATED, SHARED, L2)
STATES = ("Enabled", "Disabled")
DEFAULT_NETWORK_RATE = 200
"""Mb/s shown for an offering without a rate (CloudStack's vm.network.throttling.rate)."""

VPC_SERVICES = tuple(s for s in SERVICES if s not in ("Gateway", "Firewall", "SecurityGroup"))


@dataclass(frozen=True, kw_only=True)
class OfferingSpec:
    """What createNetworkOffering asks for. `provider_map` and `capability_map` are the
    `serviceproviderlist` and `servicecapabilitylist` entries; `for_vpc` None means
    "infer it" (NetworkACL makes a VPC tier offering)."""

    name: str
    display_text: str
    guest_ip_type: str
    traffic_type: str
    services: Sequence[str] = ()
    provider_map: Sequence[Mapping[str, str]] = ()
    capability_map: Sequence[Mapping[str, str]] = ()
    specify_vlan: bool = False
    specify_ip_ranges: bool = False
    conserve_mode: bool = True
    egress_default_allow: bool = True
    availability: str = "Optional"
    for_vpc: bool | None = None
    persistent: bool = False
    tags: str | None = None
    network_rate: int | None = None
    max_connections: int | None = None
    enable: bool = False


def services_of(offering: NetworkOffering | VpcOffering) -> dict[str, list[str]]:
    """An offering's services, `{service: [provider, …]}`."""
    services: dict[str, list[str]] = json.loads(offering.services)
    return services


def shown_capabilities(offering: NetworkOffering, service: str) -> list[tuple[str, str]] | None:
    """The (name, value) capabilities CloudStack shows for one service of a network
    offering (None for services it shows none for)."""
    shown = SHOWN_CAPABILITIES.get(service)
    if shown is None:
        return None
    stored: dict[str, dict[str, str]] = json.loads(offering.capabilities)
    values = stored.get(service, {})
    return [(name, values.get(name, default)) for name, default in shown]


def can_use(caller: Caller, offering: NetworkOffering | VpcOffering) -> bool:
    """Root admins may name any offering; everyone else only Enabled, non-system ones."""
    if caller.is_root_admin:
        return True
    return offering.state == "Enabled" and not getattr(offering, "is_system", False)


def _service(name: str, *, allowed: Sequence[str], where: str) -> str:
    service = next((s for s in SERVICES if s.lower() == name.strip().lower()), None)
    if service is None or service == "Gateway":
        raise InvalidParameterValue(f"Invalid service {name} in supportedservices")
    if service not in allowed:
        raise InvalidParameterValue(f"Service {service} is not supported in {where}")
    return service


def _providers(
    services: Sequence[str],
    entries: Sequence[Mapping[str, str]],
    *,
    default: Callable[[str], str],
) -> dict[str, list[str]]:
    """`{service: [provider]}` in SERVICES order from `serviceproviderlist`, defaulted,
    with Gateway given by SourceNat's providers."""
    chosen: dict[str, list[str]] = {}
    for entry in entries:
        service_name, provider_name = entry.get("service"), entry.get("provider")
        if not service_name or not provider_name:
            raise InvalidParameterValue(
                "Each serviceproviderlist entry needs a service and a provider"
            )
        service = next((s for s in services if s.lower() == service_name.strip().lower()), None)
        if service is None:
            raise InvalidParameterValue(
                f"Service {service_name} is not enabled for the offering, can't add a provider "
                "to it (serviceproviderlist)"
            )
        provider = canonical(
            provider_name, PROVIDERS, what="service provider (serviceproviderlist)"
        )
        if service not in PROVIDER_SERVICES[provider]:
            raise InvalidParameterValue(
                f"Provider {provider} does not support service {service} (serviceproviderlist)"
            )
        listed = chosen.setdefault(service, [])
        if provider not in listed:
            listed.append(provider)
        if len(listed) > 1 and service != "Lb":
            raise InvalidParameterValue(
                f"Only one provider can be given for service {service} (serviceproviderlist); "
                "only Lb may have several"
            )
    mapped = {service: chosen.get(service) or [default(service)] for service in services}
    if "SourceNat" in mapped:
        mapped["Gateway"] = list(mapped["SourceNat"])
    return {service: mapped[service] for service in SERVICES if service in mapped}


def _capabilities(
    services: Mapping[str, list[str]], entries: Sequence[Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The offering's capabilities: the defaults of its services, as chosen in
    `servicecapabilitylist` (431 for a capability or value that cannot be chosen)."""
    chosen = defaults.capabilities_of(services)
    for entry in entries:
        service_name = entry.get("service") or ""
        name, value = entry.get("capabilitytype"), entry.get("capabilityvalue")
        if not service_name or not name or value is None:
            raise InvalidParameterValue(
                f"Invalid capability:{name} capability value:{value}: each "
                "servicecapabilitylist entry needs service, capabilitytype and capabilityvalue"
            )
        service = next((s for s in services if s.lower() == service_name.strip().lower()), None)
        if service is None:
            raise InvalidParameterValue(
                f"Service {service_name} in servicecapabilitylist is not a service of the offering"
            )
        key = next(
            (k for k in CAPABILITY_CHOICES if k[0] == service and k[1].lower() == name.lower()),
            None,
        )
        if key is None:
            raise InvalidParameterValue(
                f"Capability {name} of service {service} cannot be chosen (servicecapabilitylist)"
            )
        allowed = CAPABILITY_CHOICES[key]
        picked = next((v for v in allowed if v.lower() == value.strip().lower()), None)
        if picked is None:
            raise InvalidParameterValue(
                f"Invalid value {value} for capability {key[1]} of service {service} "
                f"(servicecapabilitylist): supported values are {', '.join(allowed)}"
            )
        chosen.setdefault(service, {})[key[1]] = picked
    return chosen


def _check_kind(*, guest_type: str, for_vpc: bool, services: Mapping[str, list[str]]) -> None:
    """The service rules of CloudStack's guest types (and of VPC tier offerings)."""
    if guest_type == L2 and services:
        raise InvalidParameterValue("L2 network offerings support no services (supportedservices)")
    if "SourceNat" in services and guest_type != ISOLATED:
        raise InvalidParameterValue(
            f"SourceNat service is supported only for Isolated network offerings, not "
            f"{guest_type} (guestiptype)"
        )
    if for_vpc and guest_type != ISOLATED:
        raise InvalidParameterValue(
            f"VPC network offerings (forvpc) must be Isolated, not {guest_type}"
        )
    if for_vpc and "Firewall" in services:
        raise InvalidParameterValue(
            "Firewall service is not supported for VPC network offerings (forvpc): use NetworkACL"
        )
    if not for_vpc and "NetworkACL" in services:
        raise InvalidParameterValue(
            "NetworkACL service is supported only for VPC network offerings (forvpc=true)"
        )
    if "SecurityGroup" in services and guest_type != SHARED and not for_vpc:
        raise InvalidParameterValue(
            "SecurityGroup service is supported only for Shared network offerings and VPC tier "
            "offerings (forvpc=true)"
        )
    wrong, right = (VR, VPC_VR) if for_vpc else (VPC_VR, VR)
    for service, providers in services.items():
        bad = next(
            (p for p in providers if p == wrong or (p == "InternalLbVm" and not for_vpc)), None
        )
        if bad is not None:
            raise InvalidParameterValue(
                f"Provider {bad} cannot give {service} to "
                f"{'VPC tiers' if for_vpc else 'networks outside VPCs'}: use {right} "
                "(serviceproviderlist)"
            )


def _check_ranges(
    spec: OfferingSpec, *, guest_type: str, services: Mapping[str, list[str]]
) -> None:
    if guest_type == SHARED and not spec.specify_vlan:
        raise InvalidParameterValue(
            "SpecifyVlan should be true if network offering's type is Shared (specifyvlan)"
        )
    if guest_type == SHARED and not spec.specify_ip_ranges:
        raise InvalidParameterValue(
            "SpecifyIpRanges should always be true for Shared network offerings (specifyipranges)"
        )
    if spec.specify_ip_ranges and guest_type == ISOLATED and "SourceNat" in services:
        raise InvalidParameterValue(
            "SpecifyIpRanges can only be true for Shared network offerings and Isolated with no "
            "SourceNat service (specifyipranges)"
        )
    for value, field in (
        (spec.network_rate, "networkrate"),
        (spec.max_connections, "maxconnections"),
    ):
        if value is not None and value < 0:
            raise InvalidParameterValue(f"Invalid {field} {value}: it cannot be negative")


def _check_required(
    session: Session,
    *,
    offering_id: int | None,
    guest_type: str,
    services: Mapping[str, list[str]],
) -> None:
    """CloudStack's rules for availability Required: an Isolated offering with SourceNat,
    and only one in the system."""
    if guest_type != ISOLATED or "SourceNat" not in services:
        raise InvalidParameterValue(
            "Availability can be Required only for networkOfferings of type Isolated and with "
            "SourceNat enabled (availability)"
        )
    query = select(NetworkOffering.uuid).where(
        NetworkOffering.availability == "Required", NetworkOffering.removed.is_(None)
    )
    if offering_id is not None:
        query = query.where(NetworkOffering.id != offering_id)
    other = session.scalar(query.limit(1))
    if other is not None:
        raise InvalidParameterValue(
            f"System already has network offering id={other} with availability Required"
        )


def _check_name_free(
    session: Session, model: type[NetworkOffering | VpcOffering], name: str, *, what: str
) -> None:
    taken = session.scalar(
        select(model.id).where(model.name == name, model.removed.is_(None)).limit(1)
    )
    if taken is not None:
        raise InvalidParameterValue(f"A {what} with name {name} already exists")


def _store(session: Session, row: NetworkOffering | VpcOffering, *, what: str) -> None:
    """Insert in a savepoint; 431 when the name is another offering's unique name."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise InvalidParameterValue(f"A {what} with name {row.name} already exists") from None


def create_network_offering(session: Session, *, spec: OfferingSpec) -> NetworkOffering:
    """Store a new network offering (Disabled unless `spec.enable`); 431 naming the
    parameter for anything CloudStack would refuse (see the module docstring)."""
    if spec.traffic_type.strip().lower() != "guest":
        raise InvalidParameterValue(
            f"Invalid traffictype {spec.traffic_type}: only Guest is supported for network "
            "offerings"
        )
    guest_type = canonical(spec.guest_ip_type, GUEST_TYPES, what="guestiptype")
    availability = canonical(spec.availability, AVAILABILITIES, what="availability")
    names = [_service(name, allowed=SERVICES, where="network offerings") for name in spec.services]
    for_vpc = spec.for_vpc if spec.for_vpc is not None else "NetworkACL" in names
    router = VPC_VR if for_vpc else VR
    services = _providers(
        list(dict.fromkeys(names)),
        spec.provider_map,
        default=lambda service: SG_PROVIDER if service == "SecurityGroup" else router,
    )
    _check_kind(guest_type=guest_type, for_vpc=for_vpc, services=services)
    _check_ranges(spec, guest_type=guest_type, services=services)
    if availability == "Required":
        _check_required(session, offering_id=None, guest_type=guest_type, services=services)
    capabilities = _capabilities(services, spec.capability_map)
    _check_name_free(session, NetworkOffering, spec.name, what="network offering")
    row = NetworkOffering(
        name=spec.name,
        unique_name=spec.name,
        display_text=spec.display_text,
        guest_ip_type=guest_type,
        traffic_type="Guest",
        state="Enabled" if spec.enable else "Disabled",
        specify_vlan=spec.specify_vlan,
        specify_ip_ranges=spec.specify_ip_ranges,
        conserve_mode=spec.conserve_mode,
        egress_default_allow=spec.egress_default_allow,
        for_vpc=for_vpc,
        persistent=spec.persistent,
        availability=availability,
        tags=spec.tags,
        network_rate=spec.network_rate,
        max_connections=spec.max_connections,
        services=json.dumps(services),
        capabilities=json.dumps(capabilities),
    )
    _store(session, row, what="network offering")
    return row


def update_network_offering(
    session: Session,
    *,
    offering: NetworkOffering,
    name: str | None = None,
    display_text: str | None = None,
    state: str | None = None,
    availability: str | None = None,
    tags: str | None = None,
    max_connections: int | None = None,
) -> None:
    """Change what is given. 431 for system offerings, a taken name, a state other than
    Enabled/Disabled, and availability Required where CloudStack refuses it."""
    if offering.is_system:
        raise InvalidParameterValue("Can't update system network offerings")
    if name is not None and name != offering.name:
        _check_name_free(session, NetworkOffering, name, what="network offering")
        offering.name = name
    if display_text is not None:
        offering.display_text = display_text
    if state is not None:
        offering.state = canonical(state, STATES, what="state")
    if availability is not None:
        wanted = canonical(availability, AVAILABILITIES, what="availability")
        if wanted == "Required":
            _check_required(
                session,
                offering_id=offering.id,
                guest_type=offering.guest_ip_type,
                services=services_of(offering),
            )
        offering.availability = wanted
    if tags is not None:
        offering.tags = tags or None
    if max_connections is not None:
        if max_connections < 0:
            raise InvalidParameterValue(f"Invalid maxconnections {max_connections}")
        offering.max_connections = max_connections
    session.flush()


def delete_network_offering(session: Session, *, offering: NetworkOffering) -> None:
    """Remove a network offering: 431 for the built-in ones, 536 while networks use it."""
    if offering.is_default or offering.is_system:
        raise InvalidParameterValue("Default network offering can't be deleted")
    count = session.scalar(
        select(func.count()).where(
            Network.network_offering_id == offering.id, Network.removed.is_(None)
        )
    )
    if count:
        raise ResourceInUse(
            f"Can't delete network offering {offering.uuid} as its used by {count} networks. "
            "To make the network offering unavailable, disable it"
        )
    offering.unique_name = None
    offering.removed = utcnow()
    session.flush()


def create_vpc_offering(
    session: Session,
    *,
    name: str,
    display_text: str,
    services: Sequence[str],
    provider_map: Sequence[Mapping[str, str]] = (),
    capability_map: Sequence[Mapping[str, str]] = (),
    enable: bool = False,
) -> VpcOffering:
    """Store a new VPC offering (Disabled unless `enable`). As CloudStack does, SourceNat
    and NetworkACL are always offered and providers default to VpcVirtualRouter; 431 for
    no services, Firewall or SecurityGroup, or a provider that cannot serve VPCs."""
    if not services:
        raise InvalidParameterValue("Supported services needs to be provided (supportedservices)")
    names = [_service(item, allowed=VPC_SERVICES, where="VPC") for item in services]
    names += [s for s in ("SourceNat", "NetworkACL") if s not in names]
    mapped = _providers(list(dict.fromkeys(names)), provider_map, default=lambda _: VPC_VR)
    for service, providers in mapped.items():
        if VR in providers:
            raise InvalidParameterValue(
                f"Provider {VR} cannot give {service} to VPCs: use {VPC_VR} (serviceproviderlist)"
            )
    connectivity = [
        entry
        for entry in capability_map
        if (entry.get("service") or "").strip().lower() == REGION_LEVEL[0].lower()
    ]
    capabilities = _capabilities(
        mapped, [entry for entry in capability_map if entry not in connectivity]
    )
    if _region_level_chosen(connectivity):
        capabilities[REGION_LEVEL[0]] = {REGION_LEVEL[1]: "true"}
    _check_name_free(session, VpcOffering, name, what="VPC offering")
    row = VpcOffering(
        name=name,
        unique_name=name,
        display_text=display_text,
        state="Enabled" if enable else "Disabled",
        services=json.dumps(mapped),
        capabilities=json.dumps(capabilities),
    )
    _store(session, row, what="VPC offering")
    return row


def _region_level_chosen(entries: Sequence[Mapping[str, str]]) -> bool:
    """Whether `Connectivity` entries of a VPC offering's `servicecapabilitylist` choose
    RegionLevelVpc; 431 for any other Connectivity capability or a non-boolean value."""
    chosen = False
    for entry in entries:
        name = (entry.get("capabilitytype") or "").strip()
        value = (entry.get("capabilityvalue") or "").strip().lower()
        if name.lower() != REGION_LEVEL[1].lower():
            raise InvalidParameterValue(
                f"Capability {name} of service {REGION_LEVEL[0]} cannot be chosen "
                f"(servicecapabilitylist): only {REGION_LEVEL[1]} can"
            )
        if value not in ("true", "false"):
            raise InvalidParameterValue(
                f"Invalid value {value} for capability {REGION_LEVEL[1]} "
                "(servicecapabilitylist): supported values are true, false"
            )
        chosen = value == "true"
    return chosen


def supports_region_level(offering: VpcOffering) -> bool:
    """Whether VPCs of the offering may have tiers in every zone (see the module docstring)."""
    stored: dict[str, dict[str, str]] = json.loads(offering.capabilities or "{}")
    return stored.get(REGION_LEVEL[0], {}).get(REGION_LEVEL[1]) == "true"


def is_region_level(session: Session, *, vpc: Vpc) -> bool:
    """Whether the VPC's offering lets it span zones."""
    offering = session.get(VpcOffering, vpc.vpc_offering_id)
    return offering is not None and supports_region_level(offering)


def update_vpc_offering(
    session: Session,
    *,
    offering: VpcOffering,
    name: str | None = None,
    display_text: str | None = None,
    state: str | None = None,
) -> None:
    """Change the name, display text or state (Enabled/Disabled; 431 otherwise)."""
    if name is not None and name != offering.name:
        _check_name_free(session, VpcOffering, name, what="VPC offering")
        offering.name = name
    if display_text is not None:
        offering.display_text = display_text
    if state is not None:
        offering.state = canonical(state, STATES, what="state")
    session.flush()


def check_vpc_offering_deletable(session: Session, *, offering: VpcOffering) -> None:
    """431 for the default VPC offering, 536 while VPCs use the offering."""
    if offering.is_default:
        raise InvalidParameterValue("Default VPC offering can't be deleted")
    count = session.scalar(
        select(func.count()).where(Vpc.vpc_offering_id == offering.id, Vpc.removed.is_(None))
    )
    if count:
        raise ResourceInUse(
            f"Can't delete vpc offering {offering.uuid} as its used by {count} vpcs. To make the "
            "network offering unavailable, disable it"
        )


def delete_vpc_offering(session: Session, *, offering: VpcOffering) -> None:
    """Remove a VPC offering (431/536 as `check_vpc_offering_deletable` says)."""
    check_vpc_offering_deletable(session, offering=offering)
    offering.unique_name = None
    offering.removed = utcnow()
    session.flush()
