"""Security groups and VMs through `cs`: joining at deploy, changing groups of a stopped VM,
and the routers that enforce the rules (their applied configuration under the server's
`<data_dir>/drivers/network/<router>/`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.vpc_helpers import create_tier, create_vpc
from tests.support.api import api_error
from tests.support.tenants import Tenant, unique
from tests.support.vms import deploy, failed, succeeded, vm_of
from tests.support.zones import SimZone, build_zone


@pytest.fixture(scope="module")
def zone(admin: CloudStack, root: Path) -> SimZone:
    return build_zone(admin, root=root, hosts=2)


def create_group(client: CloudStack) -> dict[str, Any]:
    return dict(client.createSecurityGroup(name=unique("sg"))["securitygroup"])


def router_dir(network_dir: Path, vm: dict[str, Any]) -> Path:
    """The applied configuration of the router serving the VM's default NIC."""
    mac = vm["nic"][0]["macaddress"].lower()
    found = [
        path.parent
        for path in network_dir.glob("r-*/dnsmasq.conf")
        if mac in path.read_text().lower()
    ]
    assert len(found) == 1, f"no single router serves {mac}: {found}"
    return found[0]


def generation(router: Path) -> int:
    return int(json.loads((router / "applied.json").read_text())["generation"])


@pytest.fixture
def faulty_router(network_dir: Path) -> Iterator[Any]:
    """Call with a router directory to make every apply of that router fail until the end
    of the test."""
    faults = network_dir / "faults.json"

    def fail(router: Path) -> None:
        faults.write_text(json.dumps({"apply": 1, "router": router.name}))

    try:
        yield fail
    finally:
        faults.unlink(missing_ok=True)


def test_a_vm_joins_groups_at_deploy(
    tenant: Tenant, zone: SimZone, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    web, app = create_group(user), create_group(user)
    vm = deploy(user, zone, so, template, securitygroupids=f"{web['id']},{app['id']}")
    assert sorted(g["id"] for g in vm["securitygroup"]) == sorted([web["id"], app["id"]])
    by_name = deploy(user, zone, so, template, securitygroupnames=web["name"])
    assert [g["name"] for g in vm_of(user, by_name["id"])["securitygroup"]] == [web["name"]]
    [listed] = user.listSecurityGroups(id=web["id"])["securitygroup"]
    assert listed["virtualmachinecount"] == 2
    assert sorted(listed["virtualmachineids"]) == sorted([vm["id"], by_name["id"]])
    assert [
        g["id"] for g in user.listSecurityGroups(virtualmachineid=by_name["id"])["securitygroup"]
    ] == [web["id"]]
    error = api_error(user.deleteSecurityGroup, id=web["id"])
    assert error.errorcode == 536 and "in use by virtual machines" in error.errortext


def test_deploy_refuses_another_accounts_group(
    admin: CloudStack, tenant: Tenant, zone: SimZone, so: dict[str, Any], template: dict[str, Any]
) -> None:
    theirs = admin.createSecurityGroup(name=unique("sg"))["securitygroup"]
    error = api_error(
        tenant.client().deployVirtualMachine,
        zoneid=zone.id,
        serviceofferingid=so["id"],
        templateid=template["id"],
        securitygroupids=theirs["id"],
    )
    assert error.errorcode == 431


def test_rules_reach_the_router_of_members(
    tenant: Tenant,
    zone: SimZone,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    web = create_group(user)
    vm = deploy(user, zone, so, template, securitygroupids=web["id"])
    router = router_dir(network_dir, vm)
    before = generation(router)
    rules = succeeded(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=web["id"], protocol="tcp", startport=8443, cidrlist="198.51.100.0/24"
        ),
    )["securitygroup"]["ingressrule"]
    after = generation(router)
    assert after > before
    nftables = (router / "nftables.conf").read_text()
    assert vm["nic"][0]["ipaddress"] in nftables
    assert "8443" in nftables and "198.51.100.0/24" in nftables
    succeeded(user, user.revokeSecurityGroupIngress(id=rules[0]["ruleid"]))
    assert generation(router) > after
    assert "8443" not in (router / "nftables.conf").read_text()


def test_a_group_source_stands_for_its_members(
    tenant: Tenant,
    zone: SimZone,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    db, app = create_group(user), create_group(user)
    server = deploy(user, zone, so, template, securitygroupids=db["id"])
    succeeded(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=db["id"],
            protocol="tcp",
            startport=3306,
            **{
                "usersecuritygrouplist[0].account": tenant.name,
                "usersecuritygrouplist[0].group": app["name"],
            },
        ),
    )
    client = deploy(user, zone, so, template, securitygroupids=app["id"])
    nftables = (router_dir(network_dir, server) / "nftables.conf").read_text()
    assert "3306" in nftables and client["nic"][0]["ipaddress"] in nftables


def test_groups_of_a_stopped_vm_can_be_changed(
    tenant: Tenant,
    zone: SimZone,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    web, app = create_group(user), create_group(user)
    succeeded(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=app["id"], protocol="udp", startport=5353, cidrlist="10.0.0.0/8"
        ),
    )
    vm = deploy(user, zone, so, template, securitygroupids=web["id"])
    error = api_error(user.updateVirtualMachine, id=vm["id"], securitygroupids=app["id"])
    assert error.errorcode == 431 and "must be stopped" in error.errortext
    succeeded(user, user.stopVirtualMachine(id=vm["id"]))
    router = router_dir(network_dir, vm)
    before = generation(router)
    updated = user.updateVirtualMachine(id=vm["id"], securitygroupnames=app["name"])
    assert [g["id"] for g in updated["virtualmachine"]["securitygroup"]] == [app["id"]]
    assert generation(router) > before
    assert "5353" in (router / "nftables.conf").read_text()
    assert [g["id"] for g in vm_of(user, vm["id"])["securitygroup"]] == [app["id"]]
    assert user.deleteSecurityGroup(id=web["id"])["success"] is True
    error = api_error(
        user.updateVirtualMachine,
        id=vm["id"],
        securitygroupids=app["id"],
        securitygroupnames=app["name"],
    )
    assert error.errorcode == 431
    error = api_error(user.updateVirtualMachine, id=vm["id"], securitygroupnames="nothing")
    assert error.errorcode == 431


def test_a_failed_apply_leaves_database_and_router_consistent(
    tenant: Tenant,
    zone: SimZone,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
    faulty_router: Any,
) -> None:
    user = tenant.client()
    web = create_group(user)
    kept = succeeded(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=web["id"], protocol="tcp", startport=2222, cidrlist="10.9.0.0/16"
        ),
    )["securitygroup"]["ingressrule"][0]
    vm = deploy(user, zone, so, template, securitygroupids=web["id"])
    router = router_dir(network_dir, vm)
    before = (router / "nftables.conf").read_text()
    faulty_router(router)
    error = failed(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=web["id"], protocol="tcp", startport=4444, cidrlist="10.8.0.0/16"
        ),
    )
    assert error["errorcode"] == 534
    error = failed(user, user.revokeSecurityGroupIngress(id=kept["ruleid"]))
    assert error["errorcode"] == 534
    [listed] = user.listSecurityGroups(id=web["id"])["securitygroup"]
    assert [r["ruleid"] for r in listed["ingressrule"]] == [kept["ruleid"]]
    assert (router / "nftables.conf").read_text() == before


def test_groups_work_on_vpc_tiers(
    tenant: Tenant,
    zone: SimZone,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, cidr="10.40.0.0/16")
    web_tier = create_tier(user, zone, vpc, gateway="10.40.1.1")
    app_tier = create_tier(user, zone, vpc, gateway="10.40.2.1")
    web, app = create_group(user), create_group(user)
    server = deploy(user, zone, so, template, networkids=web_tier["id"], securitygroupids=web["id"])
    client = deploy(user, zone, so, template, networkids=app_tier["id"], securitygroupids=app["id"])
    router = router_dir(network_dir, server)
    assert router == router_dir(network_dir, client)
    before = generation(router)
    succeeded(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=web["id"],
            protocol="tcp",
            startport=443,
            **{
                "usersecuritygrouplist[0].account": tenant.name,
                "usersecuritygrouplist[0].group": app["name"],
            },
        ),
    )
    assert generation(router) > before
    nftables = (router / "nftables.conf").read_text()
    assert server["nic"][0]["ipaddress"] in nftables
    assert client["nic"][0]["ipaddress"] in nftables and "443" in nftables
