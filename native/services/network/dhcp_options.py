"""DHCP options sets: the domain name, DNS, NTP and NetBIOS servers a VPC's tiers get.

A set belongs to an account and is used by any of that account's VPCs that name it; a VPC
that names none hands out its own network domain and DNS servers. `VirtualRouter` among
the DNS servers stands for the VPC's router itself (its address in each tier). Changing
the set of a VPC applies the VPC's router; a set a VPC uses cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.model import Account, DhcpOptionsSet, Vpc, utcnow
from native.model.dhcp_options import VIRTUAL_ROUTER
from native.services import tags
from native.services.errors import InvalidParameterValue, ResourceInUse
from native.services.network import cidrs, routers, vpcs
from native.services.runtime import Runtime

MAX_SERVERS = 4
NODE_TYPES = (1, 2, 4, 8)
TAG_TYPE = "DhcpOptionsSet"


def split(text: str | None) -> list[str]:
    """A stored comma-separated server list as a list (empty for None)."""
    return [item for item in (text or "").split(",") if item]


@dataclass(frozen=True, kw_only=True)
class NewOptionsSet:
    """What createDhcpOptionsSet asks for; empty lists and None are options not given."""

    owner: Account
    domain_name: str | None = None
    domain_name_servers: Sequence[str] = ()
    ntp_servers: Sequence[str] = ()
    netbios_name_servers: Sequence[str] = ()
    netbios_node_type: int | None = None


def _servers(values: Sequence[str], *, what: str, keyword: bool = False) -> str | None:
    """The checked servers joined for storage; 431 for more than four, or for one that
    is not an IPv4 address (nor `VirtualRouter`, with `keyword`)."""
    if len(values) > MAX_SERVERS:
        raise InvalidParameterValue(f"At most {MAX_SERVERS} {what} can be specified")
    checked = []
    for value in values:
        text = value.strip()
        if keyword and text.lower() == VIRTUAL_ROUTER.lower():
            checked.append(VIRTUAL_ROUTER)
        else:
            checked.append(str(cidrs.address(text, what=what)))
    return ",".join(checked) or None


def create_set(session: Session, *, spec: NewOptionsSet) -> DhcpOptionsSet:
    """Add a DHCP options set of `spec.owner`. 431 when it gives no option, for a bad
    domain name, more than four servers of a kind, a server that is not an IPv4 address
    (or `VirtualRouter` among the DNS servers) or a NetBIOS node type other than 1, 2, 4, 8."""
    if spec.domain_name is not None:
        vpcs.check_network_domain(spec.domain_name)
    if spec.netbios_node_type is not None and spec.netbios_node_type not in NODE_TYPES:
        raise InvalidParameterValue(
            f"Invalid netbiosnodetype {spec.netbios_node_type}: it must be 1, 2, 4 or 8"
        )
    options = DhcpOptionsSet(
        account_id=spec.owner.id,
        domain_id=spec.owner.domain_id,
        domain_name=spec.domain_name or None,
        domain_name_servers=_servers(
            spec.domain_name_servers, what="domain name server", keyword=True
        ),
        ntp_servers=_servers(spec.ntp_servers, what="NTP server"),
        netbios_name_servers=_servers(spec.netbios_name_servers, what="NetBIOS name server"),
        netbios_node_type=spec.netbios_node_type,
    )
    given = (
        options.domain_name,
        options.domain_name_servers,
        options.ntp_servers,
        options.netbios_name_servers,
        options.netbios_node_type,
    )
    if all(value is None for value in given):
        raise InvalidParameterValue("A DHCP options set needs at least one option")
    session.add(options)
    session.flush()
    return options


def vpcs_using(session: Session, *, options_set_id: int) -> list[Vpc]:
    """The live VPCs that use a set, oldest first."""
    return list(
        session.scalars(
            select(Vpc)
            .where(Vpc.dhcp_options_set_id == options_set_id, Vpc.removed.is_(None))
            .order_by(Vpc.id)
        )
    )


def delete_set(session: Session, *, options_set: DhcpOptionsSet) -> None:
    """Remove a set and its tags; 536 while a VPC uses it. Locks the set's row, so no VPC
    takes it up (`associate` locks it too) before the transaction ends."""
    session.scalars(
        select(DhcpOptionsSet.id).where(DhcpOptionsSet.id == options_set.id).with_for_update()
    ).one()
    using = vpcs_using(session, options_set_id=options_set.id)
    if using:
        raise ResourceInUse(
            f"DHCP options set {options_set.uuid} is used by VPC {using[0].uuid}",
            uuids=[vpc.uuid for vpc in using],
        )
    tags.remove_tags_of(session, resource_type=TAG_TYPE, resource_id=options_set.id)
    options_set.removed = utcnow()
    session.flush()


def check_associable(*, vpc: Vpc, options_set: DhcpOptionsSet | None) -> None:
    """431 unless the VPC is Enabled and the set (if any) is live and of the VPC's account."""
    vpcs.check_enabled(vpc)
    if options_set is None:
        return
    if options_set.removed is not None:
        raise InvalidParameterValue(f"DHCP options set {options_set.uuid} was deleted")
    if options_set.account_id != vpc.account_id:
        raise InvalidParameterValue("The DHCP options set and the VPC belong to different accounts")


def associate(
    session: Session, runtime: Runtime, *, vpc: Vpc, options_set: DhcpOptionsSet | None
) -> None:
    """Make the VPC's tiers get `options_set` (None: the VPC's own domain and DNS) and apply
    its router. 431 as for `check_associable`; if the apply fails (534) the VPC keeps its
    previous set."""
    if options_set is not None:
        session.scalars(
            select(DhcpOptionsSet.id).where(DhcpOptionsSet.id == options_set.id).with_for_update()
        ).one()
        session.refresh(options_set)
    check_associable(vpc=vpc, options_set=options_set)
    previous, vpc_id = vpc.dhcp_options_set_id, vpc.id
    vpc.dhcp_options_set_id = None if options_set is None else options_set.id
    session.flush()

    def undo(undo_session: Session) -> None:
        row = undo_session.get(Vpc, vpc_id)
        if row is not None:
            row.dhcp_options_set_id = previous

    routers.apply_change(session, runtime, vpc=vpc, undo=undo)
