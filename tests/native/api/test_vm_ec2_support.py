"""What the EC2 API needs from native VMs: destroyed VMs listed for a while
(listVirtualMachines includedestroyed), delete protection (updateVirtualMachine
deleteprotection) and getVirtualMachineConsoleOutput."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account
from tests.support.vms import deploy, failed, offering, ready_template, succeeded
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ec2vms")


@pytest.fixture(scope="module")
def zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root, hosts=1)


@pytest.fixture(scope="module")
def template(admin: CloudStack, zone: SimZone, root: Path) -> dict[str, Any]:
    return ready_template(admin, zone, root=root)


@pytest.fixture(scope="module")
def small(admin: CloudStack) -> dict[str, Any]:
    return offering(admin)


def _listed(client: CloudStack, **params: Any) -> dict[str, str]:
    rows = client.listVirtualMachines(listall=True, **params).get("virtualmachine", [])
    return {row["id"]: row["state"] for row in rows}


def test_destroyed_vms_listed_for_a_while(
    tenant: Tenant,
    admin: CloudStack,
    zone: SimZone,
    template: dict[str, Any],
    small: dict[str, Any],
) -> None:
    user = tenant.client()
    kept, gone = (deploy(user, zone, small, template) for _ in range(2))
    succeeded(user, user.destroyVirtualMachine(id=kept["id"]))
    succeeded(user, user.destroyVirtualMachine(id=gone["id"]))
    succeeded(admin, admin.expungeVirtualMachine(id=gone["id"]))
    assert _listed(user) == {}
    assert _listed(user, includedestroyed="true") == {
        kept["id"]: "Destroyed",
        gone["id"]: "Expunging",
    }
    assert _listed(user, includedestroyed="true", ids=gone["id"]) == {gone["id"]: "Expunging"}

    huge = offering(admin, mem=1024 * 1024 * 1024)
    admin.updateResourceLimit(domainid=tenant.domainid, resourcetype=9, max=-1)
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=9, max=-1)
    never_ran = user.deployVirtualMachine(
        zoneid=zone.id, serviceofferingid=huge["id"], templateid=template["id"]
    )
    assert failed(user, never_ran)["errorcode"] == 533
    assert never_ran["id"] not in _listed(user, includedestroyed="true")

    admin.updateConfiguration(name="destroyed.vm.view.duration", value="0", accountid=tenant.id)
    assert _listed(user, includedestroyed="true") == {}


def test_delete_protection(
    tenant: Tenant, zone: SimZone, template: dict[str, Any], small: dict[str, Any]
) -> None:
    user = tenant.client()
    vm = deploy(user, zone, small, template)
    assert vm["deleteprotection"] is False
    updated = user.updateVirtualMachine(id=vm["id"], deleteprotection="true")["virtualmachine"]
    assert updated["deleteprotection"] is True
    error = api_error(user.destroyVirtualMachine, id=vm["id"])
    assert error.errorcode == 431 and "delete protection" in error.errortext
    assert _listed(user)[vm["id"]] == "Running"
    user.updateVirtualMachine(id=vm["id"], deleteprotection="false")
    succeeded(user, user.destroyVirtualMachine(id=vm["id"]))


def test_console_output(
    tenant: Tenant,
    admin: CloudStack,
    zone: SimZone,
    template: dict[str, Any],
    small: dict[str, Any],
) -> None:
    user = tenant.client()
    vm = deploy(user, zone, small, template)
    answer = user.getVirtualMachineConsoleOutput(id=vm["id"])["consoleoutput"]
    assert answer["id"] == vm["id"] and answer["timestamp"]
    assert base64.b64decode(answer["output"]) == b""
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    assert api_error(stranger.getVirtualMachineConsoleOutput, id=vm["id"]).errorcode in (431, 531)
