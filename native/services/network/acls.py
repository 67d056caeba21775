"""Network ACL lists and their numbered items, and which list a tier or private gateway uses.

A list belongs to a VPC, or (`vpc_id` None) is one of the built-in `default_allow` and
`default_deny` lists, which every VPC may use and nobody may change. Changing an item of a
list re-applies the router of the list's VPC (see `routers.apply_change`): a new item is
stored `Add` and becomes `Active` once applied; a removed one is `Revoke` until applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from native.model import Network, NetworkAcl, NetworkAclItem, PrivateGateway, Vpc, utcnow
from native.services import tags
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, ResourceInUse
from native.services.network import cidrs, routers
from native.services.runtime import Runtime
from native.services.visibility import can_see

ADD = "Add"
ACTIVE = "Active"
REVOKE = "Revoke"
PROTOCOL_NAMES = ("tcp", "udp", "icmp", "all")
TRAFFIC_TYPES = ("Ingress", "Egress")
ACTIONS = ("Allow", "Deny")


def visible_acl(session: Session, caller: Caller, acl: NetworkAcl) -> bool:
    """A default list (anyone), or a list of a VPC the caller may see."""
    if acl.vpc_id is None:
        return True
    vpc = session.get(Vpc, acl.vpc_id)
    return vpc is not None and vpc.removed is None and can_see(caller, vpc, session)


def visible_item(session: Session, caller: Caller, item: NetworkAclItem) -> bool:
    """An item of a list the caller may see."""
    acl = session.get(NetworkAcl, item.acl_id)
    return acl is not None and acl.removed is None and visible_acl(session, caller, acl)


def vpc_of(session: Session, acl: NetworkAcl) -> Vpc | None:
    """The VPC a list belongs to (None for a default list)."""
    return None if acl.vpc_id is None else session.get(Vpc, acl.vpc_id)


def check_changeable(acl: NetworkAcl) -> None:
    """431 for the default lists, which cannot be changed."""
    if acl.vpc_id is None:
        raise InvalidParameterValue("Default ACL cannot be modified")


def create_list(
    session: Session, *, vpc: Vpc, name: str, description: str | None, display: bool
) -> NetworkAcl:
    """Add an (empty) ACL list to an Enabled VPC."""
    if vpc.state != "Enabled":
        raise InvalidParameterValue(f"VPC {vpc.name} is not Enabled")
    if not name.strip():
        raise InvalidParameterValue("The name of an ACL list must not be empty")
    acl = NetworkAcl(name=name, description=description or name, vpc_id=vpc.id, display=display)
    session.add(acl)
    session.flush()
    return acl


def check_deletable(session: Session, *, acl: NetworkAcl) -> None:
    """431 for a default list; 536 while a tier or a private gateway uses the list."""
    if acl.vpc_id is None:
        raise InvalidParameterValue("Default ACL cannot be removed")
    tiers = session.scalar(
        select(func.count())
        .select_from(Network)
        .where(Network.acl_id == acl.id, Network.removed.is_(None))
    )
    if tiers:
        raise ResourceInUse(
            f"ACL is still associated with {tiers} tier(s). Cannot delete network ACL: {acl.uuid}"
        )
    gateways = session.scalar(
        select(func.count())
        .select_from(PrivateGateway)
        .where(PrivateGateway.acl_id == acl.id, PrivateGateway.removed.is_(None))
    )
    if gateways:
        raise ResourceInUse(
            f"ACL is still associated with {gateways} private gateway(s). Cannot delete "
            f"network ACL: {acl.uuid}"
        )


def delete_list(session: Session, *, acl: NetworkAcl) -> None:
    """Remove an unused list and its items (see `check_deletable`)."""
    check_deletable(session, acl=acl)
    for item in session.scalars(select(NetworkAclItem).where(NetworkAclItem.acl_id == acl.id)):
        tags.remove_tags_of(session, resource_type="NetworkACL", resource_id=item.id)
        session.delete(item)
    tags.remove_tags_of(session, resource_type="NetworkACLList", resource_id=acl.id)
    acl.removed = utcnow()
    session.flush()


@dataclass(frozen=True, kw_only=True)
class ItemSpec:
    """The fields of an ACL item as given to the API (None: not given)."""

    protocol: str | None = None
    start_port: int | None = None
    end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    cidrs: list[str] | None = None
    traffic_type: str | None = None
    action: str | None = None
    number: int | None = None
    reason: str | None = None
    display: bool | None = None


def _protocol(text: str) -> str:
    value = text.strip().lower()
    if value.isdigit():
        if not 0 <= int(value) <= 255:
            raise InvalidParameterValue(f"Invalid protocol number: {value}")
        return str(int(value))
    if value not in PROTOCOL_NAMES:
        raise InvalidParameterValue(
            f"Invalid protocol [{text}]. Expected one of: [{','.join(PROTOCOL_NAMES)}]"
        )
    return value


def _choice(text: str, *, allowed: tuple[str, ...], what: str) -> str:
    for value in allowed:
        if value.lower() == text.strip().lower():
            return value
    raise InvalidParameterValue(
        f"Invalid {what} [{text}]. Permitted {what}s are {' and '.join(allowed)}"
    )


def _ports(protocol: str, start: int | None, end: int | None) -> tuple[int | None, int | None]:
    if start is None and end is None:
        return None, None
    if protocol not in cidrs.PROTOCOLS_WITH_PORTS:
        raise InvalidParameterValue(
            f"Start and end ports are not allowed for protocol {protocol}; only tcp and udp "
            "have ports"
        )
    if start is None:
        raise InvalidParameterValue("Start port is required when the end port is given")
    end = start if end is None else end
    for value, what in ((start, "Start"), (end, "End")):
        if not 1 <= value <= 65535:
            raise InvalidParameterValue(f"{what} public port is an invalid value: {value}")
    if start > end:
        raise InvalidParameterValue(
            f"Start port can't be bigger than end port [startport={start},endport={end}]"
        )
    return start, end


def _icmp(protocol: str, icmp_type: int | None, icmp_code: int | None) -> tuple[int, int] | None:
    if protocol != "icmp":
        if icmp_type is not None or icmp_code is not None:
            raise InvalidParameterValue("Can specify icmpCode and icmpType for ICMP protocol only")
        return None
    icmp_type = -1 if icmp_type is None else icmp_type
    icmp_code = -1 if icmp_code is None else icmp_code
    if icmp_type != -1 and not 0 <= icmp_type <= 255:
        raise InvalidParameterValue(
            f"Invalid icmp type [{icmp_type}]. It should belong to [0-255] range"
        )
    if icmp_code != -1 and not 0 <= icmp_code <= 16:
        raise InvalidParameterValue(
            f"Invalid icmp code [{icmp_code}]. It should belong to [0-16] range"
        )
    return icmp_type, icmp_code


def _apply_spec(item: NetworkAclItem, spec: ItemSpec) -> None:
    """Set the item's fields from `spec` (normalised and checked; 431 naming the field)."""
    protocol = _protocol(spec.protocol or "all")
    item.protocol = protocol
    item.start_port, item.end_port = _ports(protocol, spec.start_port, spec.end_port)
    icmp = _icmp(protocol, spec.icmp_type, spec.icmp_code)
    item.icmp_type, item.icmp_code = (None, None) if icmp is None else icmp
    listed = spec.cidrs or ["0.0.0.0/0"]
    try:
        item.cidrs = ",".join(cidrs.cidr_list(listed))
    except InvalidParameterValue:
        bad = next(c for c in listed if not _is_cidr(c))
        raise InvalidParameterValue(f"Source cidrs formatting error {bad}") from None
    item.traffic_type = _choice(
        spec.traffic_type or "Ingress", allowed=TRAFFIC_TYPES, what="traffic type"
    )
    item.action = _choice(spec.action or "Allow", allowed=ACTIONS, what="action")
    item.reason = spec.reason
    item.display = True if spec.display is None else spec.display


def _is_cidr(text: str) -> bool:
    try:
        cidrs.network(text)
    except InvalidParameterValue:
        return False
    return True


def _check_number(session: Session, *, acl: NetworkAcl, number: int, item_id: int | None) -> None:
    if number < 1:
        raise InvalidParameterValue(f"Invalid number [{number}]. Number cannot be < 1")
    taken = session.scalar(
        select(NetworkAclItem.id).where(
            NetworkAclItem.acl_id == acl.id, NetworkAclItem.number == number
        )
    )
    if taken is not None and taken != item_id:
        raise InvalidParameterValue(
            f"ACL item with number {number} already exists in ACL: {acl.uuid}"
        )


def create_item(session: Session, *, acl: NetworkAcl, spec: ItemSpec) -> NetworkAclItem:
    """Store a new item of `acl` in state `Add` (number: the list's highest plus one by
    default). 431 for a default list, a number below 1 or already used in the list, or a
    malformed field (protocol, ports, ICMP type/code, CIDRs, traffic type, action)."""
    check_changeable(acl)
    number = spec.number
    if number is None:
        highest = session.scalar(
            select(func.max(NetworkAclItem.number)).where(NetworkAclItem.acl_id == acl.id)
        )
        number = (highest or 0) + 1
    _check_number(session, acl=acl, number=number, item_id=None)
    item = NetworkAclItem(acl_id=acl.id, number=number, state=ADD)
    _apply_spec(item, spec)
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        raise InvalidParameterValue(
            f"ACL item with number {number} already exists in ACL: {acl.uuid}"
        ) from None
    return item


ITEM_COLUMNS = (
    "state",
    "protocol",
    "start_port",
    "end_port",
    "icmp_type",
    "icmp_code",
    "cidrs",
    "traffic_type",
    "action",
    "number",
    "reason",
    "display",
)


def snapshot(item: NetworkAclItem) -> dict[str, object]:
    """The item's changeable columns, to put back with `restore`."""
    return {column: getattr(item, column) for column in ITEM_COLUMNS}


def restore(session: Session, *, item_id: int, saved: dict[str, object]) -> None:
    """Put back an item's columns as `snapshot` saved them (if it still exists)."""
    item = session.get(NetworkAclItem, item_id)
    if item is not None:
        for column, value in saved.items():
            setattr(item, column, value)
        session.flush()


def merged_spec(item: NetworkAclItem, spec: ItemSpec, *, partial: bool) -> ItemSpec:
    """The item's fields after an update: with `partial`, what `spec` leaves out keeps
    its current value; without, it is reset (number and display are always kept)."""
    current = ItemSpec(
        protocol=item.protocol,
        start_port=item.start_port,
        end_port=item.end_port,
        icmp_type=None if item.protocol != "icmp" else item.icmp_type,
        icmp_code=None if item.protocol != "icmp" else item.icmp_code,
        cidrs=item.cidrs.split(","),
        traffic_type=item.traffic_type,
        action=item.action,
        number=item.number,
        reason=item.reason,
        display=item.display,
    )
    if not partial:
        return replace(spec, number=spec.number or item.number, display=spec.display)
    given = {
        f.name: getattr(spec, f.name) for f in fields(spec) if getattr(spec, f.name) is not None
    }
    if "protocol" in given and given["protocol"] != item.protocol:
        current = replace(current, start_port=None, end_port=None, icmp_type=None, icmp_code=None)
    return replace(current, **given)


def check_update(session: Session, *, item: NetworkAclItem, spec: ItemSpec) -> None:
    """431 if `update_item` would refuse `spec`; changes nothing."""
    acl = session.get(NetworkAcl, item.acl_id)
    assert acl is not None
    check_changeable(acl)
    if spec.number is not None:
        _check_number(session, acl=acl, number=spec.number, item_id=item.id)
    _apply_spec(NetworkAclItem(), spec)


def update_item(session: Session, *, item: NetworkAclItem, spec: ItemSpec) -> None:
    """Change an item to `spec` (as `merged_spec` made it) in state `Add`; 431 as for
    `create_item`."""
    check_update(session, item=item, spec=spec)
    if spec.number is not None:
        item.number = spec.number
    _apply_spec(item, spec)
    item.state = ADD
    session.flush()


def apply_acl(
    session: Session, runtime: Runtime, *, acl: NetworkAcl, undo: Callable[[Session], None]
) -> None:
    """Apply a change of `acl` to its VPC's router (only commits for a list with no VPC
    or a VPC with no router); on failure `undo` runs and the 534 propagates."""
    vpc = vpc_of(session, acl)
    if vpc is None:
        session.commit()
        return
    routers.apply_change(session, runtime, vpc=vpc, undo=undo)


def set_state(session: Session, *, item_id: int, state: str) -> None:
    """Set an item's state (if it still exists)."""
    item = session.get(NetworkAclItem, item_id)
    if item is not None:
        item.state = state
        session.flush()


def remove_item(session: Session, *, item_id: int) -> None:
    """Delete an item and its tags (if it still exists)."""
    item = session.get(NetworkAclItem, item_id)
    if item is not None:
        tags.remove_tags_of(session, resource_type="NetworkACL", resource_id=item.id)
        session.delete(item)
        session.flush()


def check_replaceable(session: Session, *, acl: NetworkAcl, vpc_id: int, target: str) -> None:
    """431 unless `acl` is a default list or one of VPC `vpc_id` (`target` names what
    the list would be applied to)."""
    if acl.vpc_id is not None and acl.vpc_id != vpc_id:
        raise InvalidParameterValue(f"{target} and ACL: {acl.uuid} do not belong to the same VPC")


def replace_on_tier(session: Session, runtime: Runtime, *, acl: NetworkAcl, tier: Network) -> None:
    """Make tier `tier` use `acl` and apply its VPC's router; 431 if the network is not a
    tier or the list belongs to another VPC; on a failed apply the tier keeps its list."""
    if tier.vpc_id is None:
        raise InvalidParameterValue(f"Network is not part of a VPC: {tier.uuid}")
    check_replaceable(session, acl=acl, vpc_id=tier.vpc_id, target=f"Network: {tier.uuid}")
    vpc = session.get(Vpc, tier.vpc_id)
    assert vpc is not None
    previous, tier_id = tier.acl_id, tier.id
    tier.acl_id = acl.id
    session.flush()

    def undo(undo_session: Session) -> None:
        row = undo_session.get(Network, tier_id)
        if row is not None:
            row.acl_id = previous

    routers.apply_change(session, runtime, vpc=vpc, undo=undo)


def replace_on_gateway(
    session: Session, runtime: Runtime, *, acl: NetworkAcl, gateway: PrivateGateway
) -> None:
    """Make private gateway `gateway` use `acl` and apply its VPC's router; 431 if the
    gateway is not Ready or the list belongs to another VPC."""
    if gateway.state != "Ready":
        raise InvalidParameterValue("Gateway is not in Ready state")
    check_replaceable(
        session, acl=acl, vpc_id=gateway.vpc_id, target=f"private gateway: {gateway.uuid}"
    )
    vpc = session.get(Vpc, gateway.vpc_id)
    assert vpc is not None
    previous, gateway_id = gateway.acl_id, gateway.id
    gateway.acl_id = acl.id
    session.flush()

    def undo(undo_session: Session) -> None:
        row = undo_session.get(PrivateGateway, gateway_id)
        if row is not None:
            row.acl_id = previous

    routers.apply_change(session, runtime, vpc=vpc, undo=undo)


def list_of_tier(session: Session, *, tier: Network) -> NetworkAcl:
    """The ACL list tier `tier` uses; a tier with none gets a new (empty) list of its own,
    as CloudStack does. 431 if the network is not a VPC tier."""
    if tier.vpc_id is None:
        raise InvalidParameterValue(f"Network: {tier.uuid} does not belong to VPC")
    if tier.acl_id is not None:
        acl = session.get(NetworkAcl, tier.acl_id)
        assert acl is not None
        return acl
    vpc = session.get(Vpc, tier.vpc_id)
    assert vpc is not None
    name = f"VPC_{vpc.name}_Tier_{tier.name}_ACL_{tier.uuid}"
    acl = create_list(session, vpc=vpc, name=name, description=f"ACL for {name}", display=True)
    tier.acl_id = acl.id
    session.flush()
    return acl
