"""SSH keys and passwords of VMs: deploy with a key pair, getVMPassword,
resetPasswordForVirtualMachine and resetSSHKeyForVirtualMachine."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, unique
from tests.support.vms import (
    deploy,
    job_result,
    offering,
    ready_template,
    succeeded,
)
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pwzone")


@pytest.fixture(scope="module")
def zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root, hosts=1)


@pytest.fixture(scope="module")
def password_template(admin: CloudStack, zone: SimZone, root: Path) -> dict[str, Any]:
    return ready_template(admin, zone, root=root, passwordenabled="true")


def decrypt(private_key: str, encrypted: str) -> str:
    key = serialization.load_pem_private_key(private_key.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.decrypt(base64.b64decode(encrypted), padding.PKCS1v15()).decode()


def test_password_flows(
    tenant: Tenant, admin: CloudStack, zone: SimZone, password_template: dict[str, Any]
) -> None:
    user = tenant.client()
    first = user.createSSHKeyPair(name=unique("key"))["keypair"]
    vm = deploy(user, zone, offering(admin), password_template, keypair=first["name"])
    assert vm["passwordenabled"] is True and vm["keypairs"] == first["name"]
    password = vm["password"]
    assert len(password) >= 6
    assert "password" not in user.listVirtualMachines(id=vm["id"])["virtualmachine"][0]
    encrypted = user.getVMPassword(id=vm["id"])["password"]["encryptedpassword"]
    assert decrypt(first["privatekey"], encrypted) == password

    running = job_result(user, user.resetPasswordForVirtualMachine(id=vm["id"]))
    assert running["jobstatus"] == 2 and running["jobresult"]["errorcode"] == 431
    succeeded(user, user.stopVirtualMachine(id=vm["id"]))
    reset = succeeded(user, user.resetPasswordForVirtualMachine(id=vm["id"]))["virtualmachine"]
    assert reset["password"] != password
    encrypted = user.getVMPassword(id=vm["id"])["password"]["encryptedpassword"]
    assert decrypt(first["privatekey"], encrypted) == reset["password"]

    second = user.createSSHKeyPair(name=unique("key"))["keypair"]
    rekeyed = succeeded(
        user, user.resetSSHKeyForVirtualMachine(id=vm["id"], keypair=second["name"])
    )
    assert rekeyed["virtualmachine"]["keypairs"] == second["name"]
    encrypted = user.getVMPassword(id=vm["id"])["password"]["encryptedpassword"]
    assert decrypt(second["privatekey"], encrypted) == rekeyed["virtualmachine"]["password"]


def test_resets_need_a_stopped_vm_and_a_password_template(
    tenant: Tenant, admin: CloudStack, zone: SimZone, root: Path
) -> None:
    user = tenant.client()
    plain = ready_template(admin, zone, root=root)
    key = user.createSSHKeyPair(name=unique("key"))["keypair"]
    vm = deploy(user, zone, offering(admin), plain, keypair=key["name"])
    assert "password" not in vm
    assert api_error(user.getVMPassword, id=vm["id"]).errorcode == 431
    assert (
        api_error(user.resetSSHKeyForVirtualMachine, id=vm["id"], keypair=key["name"]).errorcode
        == 431
    )
    failed = job_result(user, user.resetPasswordForVirtualMachine(id=vm["id"]))
    assert failed["jobstatus"] == 2 and failed["jobresult"]["errorcode"] == 431
