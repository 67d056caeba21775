"""What a guest network's router serves each of its guests from the metadata service
(CloudStack's vm_data), gathered from the database with the rest of the router's
configuration.

The meta-data items are EC2's where EC2 has one (`instance-id` is the instance's `i-` id,
`ami-id` its image's, `placement/availability-zone` its zone's availability-zone name) and
CloudStack's besides (`vm-id`, `service-offering`, `availability-zone`). Zone names follow
`availability_zones` over the zones the VM's owner can list, as the EC2 gateway names them
for that owner.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.network import base as cfg
from native.model import (
    Account,
    AwsId,
    Nic,
    PublicIpAddress,
    Role,
    ServiceOffering,
    Template,
    VirtualMachine,
    Zone,
)
from native.services.availability_zones import az_names
from native.services.caller import RoleType
from native.services.infrastructure.zones import zones_visible_to

GONE_VM_STATES = ("Destroyed", "Expunging", "Expunged", "Error")
"""VMs whose NICs the router no longer serves (no DHCP lease, no metadata)."""


def _aws_ids(session: Session, kind: str, uuids: list[str]) -> dict[str, str]:
    rows = session.execute(
        select(AwsId.uuid, AwsId.aws_id).where(AwsId.kind == kind, AwsId.uuid.in_(uuids))
    )
    return {uuid: aws_id for uuid, aws_id in rows}


def _zone_names(session: Session, *, region: str, root_admin: bool) -> dict[int, str]:
    zones = session.execute(
        select(Zone.id, Zone.name)
        .where(Zone.removed.is_(None), zones_visible_to(root_admin=root_admin))
        .order_by(Zone.id)
    ).all()
    names = az_names(region=region, zone_names=[name for _, name in zones])
    return {zone_id: name for (zone_id, _), name in zip(zones, names, strict=True)}


def _root_admin_owners(session: Session, account_ids: set[int]) -> set[int]:
    rows = session.execute(
        select(Account.id)
        .join(Role, Role.id == Account.role_id)
        .where(Account.id.in_(account_ids), Role.role_type == RoleType.ADMIN.value)
    )
    return set(rows.scalars())


def _public_ips(session: Session, vm_ids: list[int]) -> dict[tuple[int, str], str]:
    rows = session.execute(
        select(PublicIpAddress.vm_id, PublicIpAddress.vm_ip, PublicIpAddress.address).where(
            PublicIpAddress.vm_id.in_(vm_ids), PublicIpAddress.is_static_nat
        )
    )
    return {(vm_id, str(vm_ip)): address for vm_id, vm_ip, address in rows if vm_id is not None}


class ServedNic(NamedTuple):
    """What the router needs of one NIC it serves and of its VM (one row, no ORM objects:
    a router's configuration is gathered again on every change to its networks)."""

    network_id: int
    mac_address: str
    ip4_address: str
    is_default: bool
    vm_id: int
    vm_uuid: str
    name: str
    instance_name: str
    account_id: int
    zone_id: int
    service_offering_id: int
    template_id: int
    keypairs: str | None
    user_data: str | None


def _meta_data(
    row: ServedNic,
    *,
    instance_id: str | None,
    image_id: str | None,
    zone: str,
    region: str,
    offering: str,
    public_ip: str | None,
) -> tuple[tuple[str, str], ...]:
    items = {
        "instance-id": instance_id or row.instance_name,
        "vm-id": row.vm_uuid,
        "ami-id": image_id or "",
        "hostname": row.name,
        "local-hostname": row.name,
        "local-ipv4": row.ip4_address,
        "mac": row.mac_address,
        "instance-type": offering,
        "service-offering": offering,
        "availability-zone": zone,
        "placement/availability-zone": zone,
        "placement/region": region,
    }
    if public_ip is not None:
        items["public-ipv4"] = public_ip
    return tuple(sorted((path, value) for path, value in items.items() if value))


def _public_keys(row: ServedNic) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(pair["name"]), str(pair["publickey"])) for pair in json.loads(row.keypairs or "[]")
    )


def served_nics(session: Session, *, network_ids: Sequence[int]) -> list[ServedNic]:
    """The addressed NICs of the networks `network_ids` whose VMs the router still serves
    (a DHCP lease, metadata and security group rules each), in NIC order."""
    if not network_ids:
        return []
    rows = session.execute(
        select(
            Nic.network_id,
            Nic.mac_address,
            Nic.ip4_address,
            Nic.is_default,
            VirtualMachine.id,
            VirtualMachine.uuid,
            VirtualMachine.name,
            VirtualMachine.instance_name,
            VirtualMachine.account_id,
            VirtualMachine.zone_id,
            VirtualMachine.service_offering_id,
            VirtualMachine.template_id,
            VirtualMachine.keypairs,
            VirtualMachine.user_data,
        )
        .join(VirtualMachine, Nic.vm_id == VirtualMachine.id)
        .where(
            Nic.network_id.in_(list(network_ids)),
            Nic.ip4_address.is_not(None),
            VirtualMachine.state.not_in(GONE_VM_STATES),
        )
        .order_by(Nic.id)
    )
    return [ServedNic._make(row) for row in rows]


def _offering_names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(
        select(ServiceOffering.id, ServiceOffering.name).where(ServiceOffering.id.in_(ids))
    )
    return {key: value for key, value in rows}


def _template_uuids(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Template.id, Template.uuid).where(Template.id.in_(ids)))
    return {key: value for key, value in rows}


def vm_data(
    session: Session, *, served: Sequence[ServedNic], region: str
) -> tuple[cfg.VmData, ...]:
    """The data of every guest of `served` (one network's rows of `served_nics`), in order."""
    if not served:
        return ()
    offerings = _offering_names(session, {row.service_offering_id for row in served})
    templates = _template_uuids(session, {row.template_id for row in served})
    instances = _aws_ids(session, "instance", [row.vm_uuid for row in served])
    images = _aws_ids(session, "image", list(templates.values()))
    admins = _root_admin_owners(session, {row.account_id for row in served})
    zones = {
        root_admin: _zone_names(session, region=region, root_admin=root_admin)
        for root_admin in {row.account_id in admins for row in served}
    }
    public = _public_ips(session, [row.vm_id for row in served])
    return tuple(
        cfg.VmData(
            address=row.ip4_address,
            meta_data=_meta_data(
                row,
                instance_id=instances.get(row.vm_uuid),
                image_id=images.get(templates.get(row.template_id, "")),
                zone=zones[row.account_id in admins].get(row.zone_id, ""),
                region=region,
                offering=offerings.get(row.service_offering_id, ""),
                public_ip=public.get((row.vm_id, row.ip4_address)),
            ),
            public_keys=_public_keys(row),
            user_data=row.user_data,
        )
        for row in served
    )
