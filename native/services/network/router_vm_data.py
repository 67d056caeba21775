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

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.network import base as cfg
from native.model import (
    Account,
    AwsId,
    Network,
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


def _meta_data(
    vm: VirtualMachine,
    nic: Nic,
    *,
    instance_id: str | None,
    image_id: str | None,
    zone: str,
    region: str,
    offering: str,
    public_ip: str | None,
) -> tuple[tuple[str, str], ...]:
    items = {
        "instance-id": instance_id or vm.instance_name,
        "vm-id": vm.uuid,
        "ami-id": image_id or "",
        "hostname": vm.name,
        "local-hostname": vm.name,
        "local-ipv4": nic.ip4_address or "",
        "mac": nic.mac_address,
        "instance-type": offering,
        "service-offering": offering,
        "availability-zone": zone,
        "placement/availability-zone": zone,
        "placement/region": region,
    }
    if public_ip is not None:
        items["public-ipv4"] = public_ip
    return tuple(sorted((path, value) for path, value in items.items() if value))


def _public_keys(vm: VirtualMachine) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(pair["name"]), str(pair["publickey"])) for pair in json.loads(vm.keypairs or "[]")
    )


def served_nics(session: Session, *, network: Network) -> list[tuple[Nic, VirtualMachine]]:
    """The addressed NICs of `network` whose VMs the router still serves (a DHCP lease and
    metadata each), with their VMs, in NIC order."""
    rows = session.execute(
        select(Nic, VirtualMachine)
        .join(VirtualMachine, Nic.vm_id == VirtualMachine.id)
        .where(
            Nic.network_id == network.id,
            Nic.ip4_address.is_not(None),
            VirtualMachine.state.not_in(GONE_VM_STATES),
        )
        .order_by(Nic.id)
    )
    return [(nic, vm) for nic, vm in rows.tuples()]


def _offering_names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(
        select(ServiceOffering.id, ServiceOffering.name).where(ServiceOffering.id.in_(ids))
    )
    return dict(rows.tuples().all())


def _template_uuids(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Template.id, Template.uuid).where(Template.id.in_(ids)))
    return dict(rows.tuples().all())


def vm_data(session: Session, *, network: Network, region: str) -> tuple[cfg.VmData, ...]:
    """The data of every guest `served_nics` finds, in NIC order."""
    rows = served_nics(session, network=network)
    if not rows:
        return ()
    vms = [vm for _, vm in rows]
    offerings = _offering_names(session, {vm.service_offering_id for vm in vms})
    templates = _template_uuids(session, {vm.template_id for vm in vms})
    instances = _aws_ids(session, "instance", [vm.uuid for vm in vms])
    images = _aws_ids(session, "image", list(templates.values()))
    admins = _root_admin_owners(session, {vm.account_id for vm in vms})
    zones = {
        root_admin: _zone_names(session, region=region, root_admin=root_admin)
        for root_admin in {vm.account_id in admins for vm in vms}
    }
    public = _public_ips(session, [vm.id for vm in vms])
    return tuple(
        cfg.VmData(
            address=nic.ip4_address or "",
            meta_data=_meta_data(
                vm,
                nic,
                instance_id=instances.get(vm.uuid),
                image_id=images.get(templates.get(vm.template_id, "")),
                zone=zones[vm.account_id in admins].get(vm.zone_id, ""),
                region=region,
                offering=offerings.get(vm.service_offering_id, ""),
                public_ip=public.get((vm.id, nic.ip4_address or "")),
            ),
            public_keys=_public_keys(vm),
            user_data=vm.user_data,
        )
        for nic, vm in rows
    )
