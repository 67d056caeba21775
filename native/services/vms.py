"""User VM operations besides running them: destroy, recover, expunge, update, resize,
SSH keys, passwords and console output (CloudStack's UserVmService).

Running VMs on hosts is `vm_orchestrator`; deploying is `vm_deploy`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.hypervisor.base import DriverError
from native.model import (
    Account,
    GuestOsType,
    Host,
    ServiceOffering,
    Template,
    VirtualMachine,
    Volume,
)
from native.services import limits, offerings, userdata
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, PermissionDenied, ResourceUnavailable
from native.services.expunge import expunge_vm, release_vm_limits, release_volume_limits
from native.services.host_access import host_access, host_driver
from native.services.limits import ResourceType
from native.services.runtime import Runtime
from native.services.steps import Steps, Undo
from native.services.visibility import can_see_account
from native.services.vm_deploy import (
    check_hostname,
    check_name_free,
    custom_size,
    keypair_json,
    new_password,
)
from native.services.vm_orchestrator import scale_vm, stop_vm
from native.services.vm_states import VmEvent, VmState, refusal, transition


def owner_of(session: Session, vm: VirtualMachine) -> Account:
    owner = session.get(Account, vm.account_id)
    assert owner is not None
    return owner


def can_see_vm(session: Session, caller: Caller, vm: VirtualMachine) -> bool:
    """Whether the caller may see and act on the VM (its owner is visible to the caller)."""
    return can_see_account(caller, owner_of(session, vm))


def check_access(session: Session, caller: Caller, vm: VirtualMachine) -> None:
    """PermissionDenied (531) unless the caller may act on the VM."""
    if not can_see_vm(session, caller, vm):
        raise PermissionDenied(
            f"Account {caller.account_name} does not have permission to operate on VM {vm.uuid}"
        )


def check_user_expunge(
    session: Session, runtime: Runtime, *, caller: Caller, vm: VirtualMachine
) -> None:
    """Users may expunge or recover only with `allow.user.expunge.recover.vm`; 531 otherwise."""
    if caller.is_root_admin or caller.is_domain_admin:
        return
    if not runtime.settings.get(session, "allow.user.expunge.recover.vm", account_id=vm.account_id):
        raise PermissionDenied(
            f"Parameter expunge can be passed by Admin only. Or when the allow.user.expunge."
            f"recover.vm key is set. VM: {vm.uuid}"
        )


def _root_volume(session: Session, vm: VirtualMachine) -> Volume | None:
    return session.scalars(
        select(Volume).where(
            Volume.vm_id == vm.id, Volume.volume_type == "ROOT", Volume.removed.is_(None)
        )
    ).first()


def destroy_vm(session: Session, runtime: Runtime, *, vm: VirtualMachine, expunge: bool) -> None:
    """Stop the VM if it runs, then Destroyed (recoverable until expunged), or expunged at
    once. Its USER_VM, CPU and MEMORY counts and its root volume's are given back."""
    if vm.state == VmState.RUNNING:
        stop_vm(session, runtime, vm=vm)
    if vm.state == VmState.ERROR:
        expunge_vm(session, runtime, vm=vm)
        return
    if vm.state != VmState.DESTROYED:
        transition(session, vm=vm, event=VmEvent.DESTROY_REQUESTED)
        release_vm_limits(session, vm=vm)
        root = _root_volume(session, vm)
        if root is not None:
            release_volume_limits(session, volume=root)
            root.state = "Destroy"
            root.update_count += 1
        session.commit()
    if expunge:
        expunge_vm(session, runtime, vm=vm)


def recover_vm(session: Session, runtime: Runtime, *, vm: VirtualMachine) -> None:
    """Bring a Destroyed VM back, Stopped; its counts are charged again (532 when over)."""
    if vm.state != VmState.DESTROYED:
        raise refusal(vm, VmEvent.RECOVERY_REQUESTED)
    owner = owner_of(session, vm)
    for resource, amount in (
        (ResourceType.USER_VM, 1),
        (ResourceType.CPU, vm.cpu_number),
        (ResourceType.MEMORY, vm.memory),
    ):
        limits.consume(session, runtime.settings, account=owner, resource=resource, amount=amount)
    root = _root_volume(session, vm)
    if root is not None and root.state == "Destroy":
        limits.consume(
            session, runtime.settings, account=owner, resource=ResourceType.VOLUME, amount=1
        )
        limits.consume(
            session,
            runtime.settings,
            account=owner,
            resource=ResourceType.PRIMARY_STORAGE,
            amount=root.size,
        )
        root.state = "Ready" if root.path is not None else "Allocated"
        root.update_count += 1
    transition(session, vm=vm, event=VmEvent.RECOVERY_REQUESTED)


@dataclass(frozen=True, kw_only=True)
class VmUpdate:
    """What updateVirtualMachine may change (None leaves a field as it is)."""

    display_name: str | None = None
    name: str | None = None
    user_data: str | None = None
    userdata_id: str | None = None
    ha_enabled: bool | None = None
    details: dict[str, str] | None = None
    os_type: GuestOsType | None = None
    display_vm: bool | None = None


def update_vm(session: Session, *, caller: Caller, vm: VirtualMachine, change: VmUpdate) -> None:
    """Apply updateVirtualMachine. Renaming needs the VM Stopped (431 otherwise)."""
    if change.name is not None and change.name != vm.name:
        if vm.state != VmState.STOPPED:
            raise InvalidParameterValue(
                f"VM {vm.instance_name} must be stopped to change its name (it is {vm.state})"
            )
        check_name_free(
            session, account_id=vm.account_id, name=check_hostname(change.name), vm_id=vm.id
        )
        vm.name = change.name
    if change.display_name is not None:
        vm.display_name = change.display_name
    content = change.user_data
    if change.userdata_id is not None:
        content = userdata.resolve(session, caller=caller, userdata_id=change.userdata_id)
    if content is not None:
        vm.user_data = userdata.validated(content)
    if change.ha_enabled is not None:
        offering = session.get(ServiceOffering, vm.service_offering_id)
        if change.ha_enabled and offering is not None and not offering.offer_ha:
            raise InvalidParameterValue(
                f"Can't enable ha for the vm as it's created from the Service offering "
                f"{offering.name} that doesn't support ha"
            )
        vm.ha_enabled = change.ha_enabled
    if change.details is not None:
        vm.details = json.dumps(change.details) if change.details else None
    if change.os_type is not None:
        vm.guest_os_id = change.os_type.id
    if change.display_vm is not None:
        vm.display_vm = change.display_vm
    session.flush()


def _new_size(
    session: Session, vm: VirtualMachine, offering: ServiceOffering, details: dict[str, str]
) -> tuple[int, int, int]:
    if offering.id == vm.service_offering_id and not offering.is_customized:
        raise InvalidParameterValue(
            f"Not upgrading vm {vm.instance_name} since it already has the requested service "
            "offering"
        )
    if offering.state != "Active" or offering.is_system:
        raise InvalidParameterValue(f"Service offering {offering.uuid} is not usable for VMs")
    current = session.get(ServiceOffering, vm.service_offering_id)
    if current is not None and (current.storage_tags or "") != (offering.storage_tags or ""):
        raise InvalidParameterValue(
            "Unable to change the service offering: the new offering's storage tags differ "
            "from those of the VM's current offering"
        )
    size = custom_size(details)
    return offerings.effective_size(
        offering, cpu_number=size["cpunumber"], cpu_speed=size["cpuspeed"], memory=size["memory"]
    )


def _charge_difference(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, cpu_number: int, memory: int
) -> None:
    owner = owner_of(session, vm)
    for resource, delta in (
        (ResourceType.CPU, cpu_number - vm.cpu_number),
        (ResourceType.MEMORY, memory - vm.memory),
    ):
        if delta > 0:
            limits.consume(
                session, runtime.settings, account=owner, resource=resource, amount=delta
            )
        elif delta < 0:
            limits.release(session, account=owner, resource=resource, amount=-delta)


def _undo_charge(vm_id: int, cpu_delta: int, memory_delta: int) -> Undo:
    def undo(session: Session) -> None:
        vm = session.get(VirtualMachine, vm_id)
        assert vm is not None
        owner = owner_of(session, vm)
        limits.release(session, account=owner, resource=ResourceType.CPU, amount=cpu_delta)
        limits.release(session, account=owner, resource=ResourceType.MEMORY, amount=memory_delta)

    return undo


def change_offering(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    offering: ServiceOffering,
    details: dict[str, str],
    live: bool,
) -> None:
    """scaleVirtualMachine (`live`) or changeServiceForVirtualMachine: give the VM another
    offering (or custom size), charging the difference to its limits (532 when over).

    A Running VM is scaled in place only when `live`, `enable.dynamic.scale.vm` is on in
    its zone and its template is dynamically scalable, and only upwards; otherwise it must
    be Stopped (431).
    """
    cpu_number, cpu_speed, memory = _new_size(session, vm, offering, details)
    if vm.state == VmState.RUNNING:
        _check_live_scale(
            session, runtime, vm=vm, live=live, cpu=(cpu_number, cpu_speed), memory=memory
        )
    elif vm.state != VmState.STOPPED:
        raise InvalidParameterValue(
            f"Unable to scale VM {vm.instance_name} in state {vm.state}; stop it first"
        )
    with Steps(session) as steps:
        cpu_delta, memory_delta = cpu_number - vm.cpu_number, memory - vm.memory
        _charge_difference(session, runtime, vm=vm, cpu_number=cpu_number, memory=memory)
        steps.on_undo(_undo_charge(vm.id, cpu_delta, memory_delta))
        scale_vm(
            session,
            runtime,
            vm=vm,
            offering=offering,
            cpu_number=cpu_number,
            cpu_speed=cpu_speed,
            memory=memory,
        )
        steps.done()


def _check_live_scale(
    session: Session,
    runtime: Runtime,
    *,
    vm: VirtualMachine,
    live: bool,
    cpu: tuple[int, int],
    memory: int,
) -> None:
    if not live:
        raise InvalidParameterValue(
            f"Unable to upgrade virtual machine {vm.instance_name}; make sure the virtual "
            f"machine is stopped (it is {vm.state})"
        )
    if not runtime.settings.get(session, "enable.dynamic.scale.vm", zone_id=vm.zone_id):
        raise InvalidParameterValue(
            "Dynamic scaling of running VMs is disabled (enable.dynamic.scale.vm); stop the "
            "VM to scale it"
        )
    template = session.get(Template, vm.template_id)
    if template is None or not template.is_dynamically_scalable:
        raise InvalidParameterValue(
            f"Unable to scale VM {vm.instance_name}: its template is not dynamically scalable"
        )
    cpu_number, cpu_speed = cpu
    if cpu_number < vm.cpu_number or cpu_speed < vm.cpu_speed or memory < vm.memory:
        raise InvalidParameterValue(
            "Only scaling up the vm is supported, new service offering(speed="
            f"{cpu_speed},cpu={cpu_number},memory={memory}) should have at least one value "
            f"(cpu/ram) greater than old value and no resource value less than older"
        )


def _password_template(session: Session, vm: VirtualMachine) -> Template | None:
    template = session.get(Template, vm.template_id)
    return template if template is not None and template.password_enabled else None


def reset_ssh_keys(
    session: Session, runtime: Runtime, *, vm: VirtualMachine, names: list[str]
) -> str | None:
    """Give a Stopped VM these key pairs of its owner; for password-enabled templates a new
    password too, which is returned (None otherwise)."""
    if vm.state != VmState.STOPPED:
        raise InvalidParameterValue(
            f"Vm {vm.uuid} should be stopped to do SSH Key reset (it is {vm.state})"
        )
    if not names:
        raise InvalidParameterValue("Please specify a key pair name (keypair or keypairs)")
    vm.keypairs = keypair_json(session, owner=owner_of(session, vm), names=names)
    password = None
    if _password_template(session, vm) is not None:
        password = new_password()
        vm.password = runtime.secrets.seal(password)
    session.flush()
    return password


def reset_password(session: Session, runtime: Runtime, *, vm: VirtualMachine) -> str:
    """A new password for a Stopped VM of a password-enabled template; returns it."""
    if _password_template(session, vm) is None:
        raise InvalidParameterValue(
            "Fail to reset password for the virtual machine, the template is not password enabled"
        )
    if vm.state != VmState.STOPPED:
        raise InvalidParameterValue(
            f"Vm {vm.uuid} should be stopped to do password reset (it is {vm.state})"
        )
    password = new_password()
    vm.password = runtime.secrets.seal(password)
    session.flush()
    return password


def keypair_names(vm: VirtualMachine) -> list[str]:
    """The names of the key pairs the VM was given."""
    return [str(pair["name"]) for pair in json.loads(vm.keypairs or "[]")]


def encrypted_password(runtime: Runtime, *, vm: VirtualMachine) -> str:
    """The VM's password encrypted (RSA PKCS#1 v1.5) with its first SSH public key, base64;
    431 when the VM has no password or no RSA key to encrypt it with."""
    pairs = json.loads(vm.keypairs or "[]")
    if vm.password is None or not pairs:
        raise InvalidParameterValue("No password for VM with specified id found.")
    try:
        key = load_ssh_public_key(str(pairs[0]["publickey"]).encode())
    except (ValueError, KeyError):
        raise InvalidParameterValue("No password for VM with specified id found.") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidParameterValue(
            "The VM's SSH key is not an RSA key; its password cannot be encrypted with it"
        )
    secret = runtime.secrets.open(vm.password).encode()
    return base64.b64encode(key.encrypt(secret, padding.PKCS1v15())).decode("ascii")


def console_output(session: Session, runtime: Runtime, *, vm: VirtualMachine) -> bytes:
    """The VM's console log as its host's driver gives it: empty unless the VM runs on a
    host; 534 if the host cannot be asked."""
    if vm.state != VmState.RUNNING or vm.host_id is None:
        return b""
    host = session.get(Host, vm.host_id)
    if host is None:
        return b""
    driver, access = host_driver(runtime, host), host_access(runtime, host)
    try:
        return driver.console_output(access, vm.instance_name)
    except DriverError as exc:
        raise ResourceUnavailable(
            f"Unable to read the console of VM {vm.instance_name} on host {host.name}: {exc}",
            uuids=[vm.uuid],
        ) from None
