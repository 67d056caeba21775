"""Deploying VMs (deployVirtualMachine): allocation in the request, start in the job.

`allocate_vm` validates the request, charges the owner's limits and adds the VM (Stopped)
with its root volume and optional data disk (Allocated, on no pool yet). The job then
`deploy_vm`s it: with `startvm` the orchestrator places and starts it; if that fails the
VM is expunged at once, so nothing of a failed deployment is left.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.drivers.storage import disk_images
from native.model import (
    Account,
    AffinityGroup,
    AffinityGroupVm,
    DiskOffering,
    Domain,
    Host,
    Network,
    NetworkOffering,
    SecurityGroup,
    ServiceOffering,
    Template,
    VirtualMachine,
    Volume,
    Zone,
)
from native.services import limits, offerings, ssh_keys, templates, userdata, volumes
from native.services.caller import Caller
from native.services.errors import CloudError, InvalidParameterValue, PermissionDenied
from native.services.expunge import expunge_vm
from native.services.limits import ResourceType
from native.services.network import implement, vm_nics
from native.services.runtime import Runtime
from native.services.vm_orchestrator import start_vm
from native.services.vm_states import VmState
from native.services.volume_provisioning import ready_template_copy

GIB = 1024**3
_HOSTNAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
PASSWORD_ALPHABET = string.ascii_letters + string.digits
CUSTOM_DETAILS = {"cpunumber": "cpuNumber", "cpuspeed": "cpuSpeed", "memory": "memory"}


@dataclass(frozen=True, kw_only=True)
class DeploySpec:
    """What deployVirtualMachine asks for, parameters already resolved to rows.

    `details` holds the VM details (for custom offerings `cpuNumber`, `cpuSpeed`,
    `memory`); sizes are in GiB as on the wire; `user_data` is base64. `networks` (the
    default first; none: the zone's default) get one NIC each, at `addresses[network id]`
    when given; the VM joins `security_groups` (none: its owner's `default` group where
    security groups apply).
    """

    zone: Zone
    offering: ServiceOffering
    template: Template
    owner: Account
    name: str | None = None
    display_name: str | None = None
    user_data: str | None = None
    userdata_id: str | None = None
    keypairs: Sequence[str] = ()
    host: Host | None = None
    disk_offering: DiskOffering | None = None
    size_gb: int | None = None
    root_disk_size_gb: int | None = None
    affinity_groups: Sequence[AffinityGroup] = ()
    details: Mapping[str, str] = field(default_factory=dict)
    display_vm: bool = True
    networks: Sequence[Network] = ()
    addresses: Mapping[int, str] = field(default_factory=dict)
    security_groups: Sequence[SecurityGroup] = ()


def new_password() -> str:
    """A random VM password (letters and digits), as CloudStack generates them."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))


def check_hostname(name: str) -> str:
    """The VM name if it is a valid host name (RFC 1123 label, not all digits); 431 otherwise."""
    if not _HOSTNAME.match(name) or name.isdigit() or name[0].isdigit():
        raise InvalidParameterValue(
            f"Invalid name. Vm name can contain ASCII letters 'a' through 'z', the digits '0' "
            f"through '9', and the hyphen ('-'), must be between 1 and 63 characters long, and "
            f"can't start or end with \"-\" and can't start with digit: {name}"
        )
    return name


def check_name_free(session: Session, *, account_id: int, name: str, vm_id: int = 0) -> None:
    """431 if another live VM of the account has that name."""
    taken = session.scalar(
        select(VirtualMachine.id).where(
            VirtualMachine.account_id == account_id,
            func.lower(VirtualMachine.name) == name.lower(),
            VirtualMachine.removed.is_(None),
            VirtualMachine.id != vm_id,
        )
    )
    if taken is not None:
        raise InvalidParameterValue(
            f"The vm with hostname {name} already exists in the account; choose another name"
        )


def custom_size(details: Mapping[str, str]) -> dict[str, int | None]:
    """cpuNumber, cpuSpeed and memory from the details map (any key case); 431 if not numbers."""
    lowered = {key.lower(): value for key, value in details.items()}
    size: dict[str, int | None] = {}
    for key, label in CUSTOM_DETAILS.items():
        raw = lowered.get(key)
        try:
            size[key] = None if raw is None else int(raw)
        except ValueError:
            raise InvalidParameterValue(f"Invalid value {raw} for details {label}") from None
    return size


def keypair_json(session: Session, *, owner: Account, names: Sequence[str]) -> str | None:
    """The VM's `keypairs` column: the named key pairs of the owner with their public keys."""
    if not names:
        return None
    pairs = ssh_keys.find_key_pairs(session, account=owner, names=list(dict.fromkeys(names)))
    return json.dumps([{"name": pair.name, "publickey": pair.public_key} for pair in pairs])


def _check_placement(caller: Caller, session: Session, spec: DeploySpec) -> None:
    zone, offering = spec.zone, spec.offering
    if zone.allocation_state != "Enabled" and not caller.is_root_admin:
        raise PermissionDenied(
            f"Cannot perform this operation, Zone is currently disabled: {zone.uuid}"
        )
    if offering.state != "Active" or offering.is_system:
        raise InvalidParameterValue(f"Service offering {offering.uuid} is not usable for VMs")
    if offering.zone_id is not None and offering.zone_id != zone.id:
        raise InvalidParameterValue(
            f"Service offering {offering.name} is not available in zone {zone.name}"
        )
    if offering.domain_id is not None:
        domain = session.get(Domain, offering.domain_id)
        if domain is None or not spec.owner.domain.path.startswith(domain.path):
            raise PermissionDenied(
                f"Service offering {offering.name} is not available to account {spec.owner.name}"
            )
    if spec.host is not None and spec.host.zone_id != zone.id:
        raise InvalidParameterValue(f"Host {spec.host.uuid} is not in zone {zone.uuid}")
    templates.usable_in_zone(session, caller=caller, template=spec.template, zone=zone)
    if spec.template.format == "ISO" and not spec.template.bootable:
        raise InvalidParameterValue(f"ISO {spec.template.uuid} is not bootable")


def _root_size(session: Session, spec: DeploySpec) -> int:
    template, disk_offering = spec.template, spec.disk_offering
    if template.format == "ISO":
        if disk_offering is None:
            raise InvalidParameterValue(
                "Please specify a disk offering (diskofferingid) for the root disk of a VM "
                "deployed from an ISO"
            )
        if not disk_offering.is_customized:
            return disk_offering.disk_size
        if spec.size_gb is None:
            raise InvalidParameterValue("This disk offering requires a custom size specified")
        return spec.size_gb * GIB
    size = template.size
    if size is None:
        copy = ready_template_copy(session, template_id=template.id, zone_id=spec.zone.id)
        size = None if copy is None else copy[1].size
    size = size or 0
    if spec.root_disk_size_gb is not None:
        if spec.root_disk_size_gb * GIB < size:
            raise InvalidParameterValue(
                f"Root disk size {spec.root_disk_size_gb} GB is smaller than the template's "
                f"size of {size} bytes"
            )
        return spec.root_disk_size_gb * GIB
    return max(size, spec.offering.root_disk_size or 0)


def _data_disk_size(session: Session, runtime: Runtime, spec: DeploySpec) -> int | None:
    offering = spec.disk_offering
    if offering is None or spec.template.format == "ISO":
        return None
    volumes.check_offering_usable(
        session, offering=offering, owner=spec.owner, zone_id=spec.zone.id
    )
    if not offering.is_customized:
        return offering.disk_size
    if spec.size_gb is None:
        raise InvalidParameterValue("This disk offering requires a custom size specified")
    volumes.check_custom_size(session, runtime.settings, size_gb=spec.size_gb)
    return spec.size_gb * GIB


def _charge(
    session: Session, runtime: Runtime, *, owner: Account, cpu: int, memory: int, disks: list[int]
) -> None:
    for resource, amount in (
        (ResourceType.USER_VM, 1),
        (ResourceType.CPU, cpu),
        (ResourceType.MEMORY, memory),
        (ResourceType.VOLUME, len(disks)),
        (ResourceType.PRIMARY_STORAGE, sum(disks)),
    ):
        limits.consume(session, runtime.settings, account=owner, resource=resource, amount=amount)


def _names(spec: DeploySpec, uuid: str) -> tuple[str, str]:
    if spec.name:
        name = check_hostname(spec.name)
    elif (
        spec.display_name and _HOSTNAME.match(spec.display_name) and spec.display_name[0].isalpha()
    ):
        name = spec.display_name
    else:
        name = f"VM-{uuid}"
    return name, spec.display_name or name


def _check_groups(spec: DeploySpec) -> None:
    for group in spec.affinity_groups:
        if group.account_id != spec.owner.id:
            raise InvalidParameterValue(
                f"Affinity group {group.name} does not belong to the VM's account {spec.owner.name}"
            )


def allocate_vm(
    session: Session, runtime: Runtime, *, caller: Caller, spec: DeploySpec
) -> tuple[VirtualMachine, str | None]:
    """Validate the request and add the VM, Stopped, with its volumes Allocated.

    Charges the owner's USER_VM, CPU, MEMORY, VOLUME and PRIMARY_STORAGE limits (532 when
    over). Returns the VM and, for password-enabled templates, its new password.
    """
    _check_placement(caller, session, spec)
    _check_groups(spec)
    size = custom_size(spec.details)
    cpu_number, cpu_speed, memory = offerings.effective_size(
        spec.offering,
        cpu_number=size["cpunumber"],
        cpu_speed=size["cpuspeed"],
        memory=size["memory"],
    )
    content = spec.user_data
    if spec.userdata_id is not None:
        content = userdata.resolve(session, caller=caller, userdata_id=spec.userdata_id)
    content = None if content is None else userdata.validated(content)
    root_size = _root_size(session, spec)
    data_size = _data_disk_size(session, runtime, spec)
    disks = [root_size] if data_size is None else [root_size, data_size]
    _charge(session, runtime, owner=spec.owner, cpu=cpu_number, memory=memory, disks=disks)
    password = new_password() if spec.template.password_enabled else None
    vm = VirtualMachine(
        instance_name=f"i-pending-{secrets.token_hex(8)}",
        name="",
        state=VmState.STOPPED.value,
        account_id=spec.owner.id,
        domain_id=spec.owner.domain_id,
        user_id=caller.user_id,
        zone_id=spec.zone.id,
        service_offering_id=spec.offering.id,
        template_id=spec.template.id,
        iso_id=spec.template.id if spec.template.format == "ISO" else None,
        guest_os_id=spec.template.os_type_id,
        hypervisor_type=spec.template.hypervisor_type,
        cpu_number=cpu_number,
        cpu_speed=cpu_speed,
        memory=memory,
        ha_enabled=spec.offering.offer_ha,
        user_data=content,
        keypairs=keypair_json(session, owner=spec.owner, names=spec.keypairs),
        password=None if password is None else runtime.secrets.seal(password),
        display_vm=spec.display_vm,
        details=json.dumps(dict(spec.details)) if spec.details else None,
    )
    session.add(vm)
    session.flush()
    vm.name, vm.display_name = _names(spec, vm.uuid)
    check_name_free(session, account_id=spec.owner.id, name=vm.name, vm_id=vm.id)
    vm.instance_name = f"i-{spec.owner.id}-{vm.id}-VM"
    _add_volumes(session, vm=vm, spec=spec, sizes=disks)
    for group in spec.affinity_groups:
        session.add(AffinityGroupVm(group_id=group.id, vm_id=vm.id))
    _add_networking(session, runtime, vm=vm, spec=spec)
    session.flush()
    return vm, password


def _add_networking(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, spec: DeploySpec
) -> None:
    networks = vm_nics.networks_for_deploy(
        session, runtime.settings, owner=spec.owner, zone=spec.zone, requested=spec.networks
    )
    unknown = set(spec.addresses) - {network.id for network in networks}
    if unknown:
        raise InvalidParameterValue("An IP address was given for a network the VM is not on")
    vm_nics.add_vm_nics(session, vm=vm, networks=networks, addresses=spec.addresses)
    groups = list(spec.security_groups)
    wants_default = spec.zone.security_group_enabled or any(
        "SecurityGroup" in implement.services_of(offering)
        for network in networks
        if (offering := session.get(NetworkOffering, network.network_offering_id)) is not None
    )
    if not groups and wants_default:
        default = vm_nics.default_security_group(session, account_id=spec.owner.id)
        groups = [] if default is None else [default]
    vm_nics.join_security_groups(session, vm=vm, groups=groups)


def _add_volumes(
    session: Session, *, vm: VirtualMachine, spec: DeploySpec, sizes: list[int]
) -> None:
    from_iso = spec.template.format == "ISO"
    root = Volume(
        name=f"ROOT-{vm.id}",
        volume_type=volumes.ROOT,
        state=volumes.VolumeState.ALLOCATED.value,
        account_id=vm.account_id,
        domain_id=vm.domain_id,
        zone_id=vm.zone_id,
        vm_id=vm.id,
        device_id=0,
        size=sizes[0],
        template_id=None if from_iso else spec.template.id,
        format=disk_images.RAW if from_iso else spec.template.format,
        disk_offering_id=spec.disk_offering.id if from_iso and spec.disk_offering else None,
        provisioning_type=spec.offering.provisioning_type,
    )
    session.add(root)
    if len(sizes) > 1 and spec.disk_offering is not None:
        session.add(
            Volume(
                name=f"DATA-{vm.id}",
                volume_type=volumes.DATADISK,
                state=volumes.VolumeState.ALLOCATED.value,
                account_id=vm.account_id,
                domain_id=vm.domain_id,
                zone_id=vm.zone_id,
                vm_id=vm.id,
                device_id=1,
                size=sizes[1],
                format=disk_images.RAW,
                disk_offering_id=spec.disk_offering.id,
                provisioning_type=spec.disk_offering.provisioning_type,
            )
        )


def deploy_vm(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, host_id: int | None, start: bool
) -> None:
    """The job part of a deployment: start the VM if asked. If the start fails the VM is
    expunged (volumes, limits, capacity all given back) and the error propagates."""
    if not start:
        return
    try:
        start_vm(session, runtime, vm=vm, host_id=host_id)
    except CloudError:
        session.rollback()
        fresh = session.get(VirtualMachine, vm.id)
        assert fresh is not None
        session.refresh(fresh)
        expunge_vm(session, runtime, vm=fresh, keep_data_disks=False)
        session.commit()
        raise
