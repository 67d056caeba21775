"""Deploying VMs onto networks: the owner's default network (made once, then reused),
`networkids`, `ipaddress`, `iptonetworklist`, unique addresses under concurrent deploys,
addresses given back on expunge, other accounts' networks and full networks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.networks import create_network
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, job_result, offering, succeeded, vm_of
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root, hosts=2, cpu=16, mem=32768)


@pytest.fixture(scope="module")
def so(admin: CloudStack) -> dict[str, Any]:
    return offering(admin, speed=100, mem=64)


def deploy_params(zone: SimZone, so: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    return {
        "zoneid": zone.id,
        "serviceofferingid": so["id"],
        "templateid": template["id"],
        "name": unique("vm"),
    }


def test_default_network_is_made_once_and_reused(
    zone: SimZone, tenant: Tenant, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    first = deploy(user, zone, so, template)
    second = deploy(user, zone, so, template)
    [network] = user.listNetworks()["network"]
    assert network["name"] == f"{tenant.name}-network" and network["isdefault"] is True
    assert network["state"] == "Implemented"
    assert first["nic"][0]["networkid"] == second["nic"][0]["networkid"] == network["id"]
    assert first["nic"][0]["ipaddress"] != second["nic"][0]["ipaddress"]
    assert first["nic"][0]["gateway"] == network["gateway"]

    create_network(user, zone, "10.80.0")
    error = api_error(user.deployVirtualMachine, **deploy_params(zone, so, template))
    assert error.errorcode == 431 and "networkids" in error.errortext


def test_concurrent_deploys_share_one_default_network(
    zone: SimZone,
    tenant: Tenant,
    admin: CloudStack,
    so: dict[str, Any],
    template: dict[str, Any],
) -> None:
    user = tenant.client()
    first = deploy(user, zone, so, template)
    succeeded(admin, admin.destroyVirtualMachine(id=first["id"], expunge=True))
    succeeded(user, user.deleteNetwork(id=first["nic"][0]["networkid"]))
    assert user.listNetworks().get("network", []) == []

    def one(_: int) -> dict[str, Any]:
        client = tenant.client(timeout=120)
        return job_result(client, client.deployVirtualMachine(**deploy_params(zone, so, template)))

    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = list(pool.map(one, range(4)))
    assert [job["jobstatus"] for job in jobs] == [1] * 4, jobs
    [network] = user.listNetworks()["network"]
    assert {job["jobresult"]["virtualmachine"]["nic"][0]["networkid"] for job in jobs} == {
        network["id"]
    }


def test_networkids_ipaddress_and_iptonetworklist(
    zone: SimZone, tenant: Tenant, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    web = create_network(user, zone, "10.81.0")
    db = create_network(user, zone, "10.82.0")
    both = deploy(user, zone, so, template, networkids=f"{db['id']},{web['id']}")
    assert [(n["networkid"], n["isdefault"], n["deviceid"]) for n in both["nic"]] == [
        (db["id"], True, "0"),
        (web["id"], False, "1"),
    ]
    pinned = deploy(user, zone, so, template, networkids=web["id"], ipaddress="10.81.0.77")
    assert pinned["nic"][0]["ipaddress"] == "10.81.0.77"
    mapped = deploy(
        user,
        zone,
        so,
        template,
        **{"iptonetworklist[0].networkid": db["id"], "iptonetworklist[0].ip": "10.82.0.88"},
    )
    assert [(n["networkid"], n["ipaddress"]) for n in mapped["nic"]] == [(db["id"], "10.82.0.88")]

    for address in ("10.81.0.77", "10.81.0.1", "10.81.1.5", "not-an-ip"):
        params = deploy_params(zone, so, template)
        error = api_error(
            user.deployVirtualMachine, networkids=web["id"], ipaddress=address, **params
        )
        assert error.errorcode == 431 and address in error.errortext, (address, error)
    twice = api_error(
        user.deployVirtualMachine,
        networkids=f"{web['id']},{web['id']}",
        **deploy_params(zone, so, template),
    )
    assert twice.errorcode == 431


def test_concurrent_deploys_get_distinct_addresses(
    zone: SimZone, tenant: Tenant, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    network = create_network(user, zone, "10.83.0")

    def one(_: int) -> dict[str, Any]:
        client = tenant.client(timeout=120)
        answer = client.deployVirtualMachine(
            networkids=network["id"], **deploy_params(zone, so, template)
        )
        return job_result(client, answer)

    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = list(pool.map(one, range(8)))
    failures = [job["jobresult"] for job in jobs if job["jobstatus"] != 1]
    assert not failures, failures
    addresses = [job["jobresult"]["virtualmachine"]["nic"][0]["ipaddress"] for job in jobs]
    assert len(set(addresses)) == 8 and all(a.startswith("10.83.0.") for a in addresses)
    assert "10.83.0.1" not in addresses
    listed = user.listVirtualMachines(networkid=network["id"])["virtualmachine"]
    assert {vm["nic"][0]["ipaddress"] for vm in listed} == set(addresses)


def test_expunged_vm_gives_its_address_back(
    zone: SimZone,
    tenant: Tenant,
    admin: CloudStack,
    so: dict[str, Any],
    template: dict[str, Any],
) -> None:
    user = tenant.client()
    network = create_network(user, zone, "10.84.0")
    vm = deploy(user, zone, so, template, networkids=network["id"], ipaddress="10.84.0.9")
    params = deploy_params(zone, so, template)
    taken = api_error(
        user.deployVirtualMachine, networkids=network["id"], ipaddress="10.84.0.9", **params
    )
    assert taken.errorcode == 431 and "in use" in taken.errortext
    succeeded(user, user.destroyVirtualMachine(id=vm["id"]))
    still = api_error(
        user.deployVirtualMachine, networkids=network["id"], ipaddress="10.84.0.9", **params
    )
    assert still.errorcode == 431
    succeeded(admin, admin.expungeVirtualMachine(id=vm["id"]))
    again = deploy(user, zone, so, template, networkids=network["id"], ipaddress="10.84.0.9")
    assert again["nic"][0]["ipaddress"] == "10.84.0.9"


def test_other_accounts_network_is_refused(
    zone: SimZone,
    tenant: Tenant,
    admin: CloudStack,
    alto_server: AltoServer,
    so: dict[str, Any],
    template: dict[str, Any],
) -> None:
    theirs = create_network(
        new_account(admin, endpoint=alto_server.endpoint).client(), zone, "10.85.0"
    )
    user = tenant.client()
    error = api_error(
        user.deployVirtualMachine, networkids=theirs["id"], **deploy_params(zone, so, template)
    )
    assert error.errorcode == 531 and theirs["name"] in error.errortext
    mapped = api_error(
        user.deployVirtualMachine,
        **{"iptonetworklist[0].networkid": theirs["id"]},
        **deploy_params(zone, so, template),
    )
    assert mapped.errorcode == 531
    assert user.listVirtualMachines().get("virtualmachine", []) == []


def test_full_network_fails_with_nothing_left_behind(
    zone: SimZone,
    tenant: Tenant,
    admin: CloudStack,
    so: dict[str, Any],
    template: dict[str, Any],
) -> None:
    user = tenant.client()
    network = create_network(user, zone, "10.86.0", netmask="255.255.255.252")
    assert network["cidr"] == "10.86.0.0/30"
    vm = deploy(user, zone, so, template, networkids=network["id"])
    assert vm["nic"][0]["ipaddress"] == "10.86.0.2"
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=0, max=2)
    volumes = len(user.listVolumes()["volume"])

    error = api_error(
        user.deployVirtualMachine, networkids=network["id"], **deploy_params(zone, so, template)
    )
    assert error.errorcode == 533 and network["name"] in error.errortext
    assert [v["id"] for v in user.listVirtualMachines()["virtualmachine"]] == [vm["id"]]
    assert len(user.listVolumes()["volume"]) == volumes
    assert vm_of(user, vm["id"])["state"] == "Running"
    other = create_network(user, zone, "10.87.0")
    deploy(user, zone, so, template, networkids=other["id"])
