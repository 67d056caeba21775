"""Static NAT through `cs`: enableStaticNat (synchronous, applied before it answers) and
disableStaticNat, what the router runs, conflicts (537), bad targets (431), events and a
failed apply."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.test_public_ips import (
    Owner,
    Site,
    associate,
    events_of,
    faults,
    generation,
    ips_of,
    make_site,
    new_owner,
    paired,
    router_config,
)
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.vms import failed, succeeded


@pytest.fixture(scope="module")
def site(
    admin: CloudStack, alto_server: AltoServer, tmp_path_factory: pytest.TempPathFactory
) -> Site:
    return make_site(admin, alto_server, tmp_path_factory.mktemp("natzone"))


@pytest.fixture
def owner(site: Site) -> Owner:
    return new_owner(site, vms=2)


def enable(owner: Owner, ip: dict[str, Any], vm_index: int = 0, **extra: Any) -> Any:
    return owner.client.enableStaticNat(
        ipaddressid=ip["id"], virtualmachineid=owner.vms[vm_index]["id"], **extra
    )


def test_enable_and_disable(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    vm = owner.vms[0]
    before = generation(owner.router)
    assert enable(owner, ip, vmguestip=owner.guest_ip()) == {"success": True}
    assert generation(owner.router) > before
    assert paired(router_config(owner.router), ip["ipaddress"], owner.guest_ip())
    [listed] = ips_of(owner.client, id=ip["id"])
    assert listed["isstaticnat"] is True and listed["virtualmachineid"] == vm["id"]
    assert listed["vmipaddress"] == owner.guest_ip()
    assert listed["virtualmachinename"] == vm["name"]
    assert [i["id"] for i in ips_of(owner.client, isstaticnat=True)] == [ip["id"]]
    [shown] = owner.client.listVirtualMachines(id=vm["id"])["virtualmachine"]
    assert (shown["publicip"], shown["publicipid"]) == (ip["ipaddress"], ip["id"])
    assert enable(owner, ip) == {"success": True}

    answer = owner.client.disableStaticNat(ipaddressid=ip["id"])
    assert succeeded(owner.client, answer) == {"success": True}
    [listed] = ips_of(owner.client, id=ip["id"])
    assert listed["isstaticnat"] is False and "virtualmachineid" not in listed
    assert paired(router_config(owner.router), ip["ipaddress"], owner.guest_ip()) == []
    again = api_error(owner.client.disableStaticNat, ipaddressid=ip["id"])
    assert again.errorcode == 431 and "not enabled" in again.errortext
    assert len(events_of(site.admin, owner.tenant, "STATICNAT.ENABLE")) == 2
    disabled = events_of(site.admin, owner.tenant, "STATICNAT.DISABLE")
    assert [(e["level"], e["state"]) for e in disabled] == [
        ("ERROR", "Completed"),
        ("INFO", "Completed"),
        ("INFO", "Scheduled"),
    ]


def test_conflicts(site: Site, owner: Owner) -> None:
    [snat] = ips_of(owner.client, associatednetworkid=owner.network_id, issourcenat=True)
    on_snat = api_error(partial(enable, owner, snat))
    assert on_snat.errorcode == 537 and "source NAT" in on_snat.errortext

    forwarded = associate(owner.client, networkid=owner.network_id)
    answer = owner.client.createPortForwardingRule(
        ipaddressid=forwarded["id"],
        protocol="tcp",
        publicport=80,
        privateport=80,
        virtualmachineid=owner.vms[0]["id"],
    )
    succeeded(owner.client, answer)
    with_forward = api_error(partial(enable, owner, forwarded))
    assert with_forward.errorcode == 537 and forwarded["ipaddress"] in with_forward.errortext

    ip = associate(owner.client, networkid=owner.network_id)
    enable(owner, ip)
    other_vm = api_error(partial(enable, owner, ip, 1))
    assert other_vm.errorcode == 537 and "another VM" in other_vm.errortext
    second = associate(owner.client, networkid=owner.network_id)
    same_vm = api_error(partial(enable, owner, second))
    assert same_vm.errorcode == 431 and ip["ipaddress"] in same_vm.errortext


def test_bad_targets(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    wrong_guest_ip = api_error(partial(enable, owner, ip), vmguestip="10.250.0.9")
    assert wrong_guest_ip.errorcode == 431 and "10.250.0.9" in wrong_guest_ip.errortext
    stranger = new_owner(site)
    foreign_vm = api_error(
        site.admin.enableStaticNat, ipaddressid=ip["id"], virtualmachineid=stranger.vms[0]["id"]
    )
    assert foreign_vm.errorcode == 431 and "owner" in foreign_vm.errortext
    wrong_network = api_error(partial(enable, owner, ip), networkid=stranger.network_id)
    assert wrong_network.errorcode == 431
    as_admin = api_error(
        site.admin.enableStaticNat,
        ipaddressid=ip["id"],
        virtualmachineid=owner.vms[0]["id"],
        networkid=stranger.network_id,
    )
    assert as_admin.errorcode == 431 and "associated with network" in as_admin.errortext
    assert ips_of(owner.client, isstaticnat=True) == []


def test_disable_revokes_the_ips_firewall_rules(owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    enable(owner, ip)
    answer = owner.client.createFirewallRule(
        ipaddressid=ip["id"], protocol="tcp", startport=22, cidrlist="192.0.2.0/24"
    )
    succeeded(owner.client, answer)
    assert owner.client.listFirewallRules(ipaddressid=ip["id"])["count"] == 1
    succeeded(owner.client, owner.client.disableStaticNat(ipaddressid=ip["id"]))
    assert owner.client.listFirewallRules(ipaddressid=ip["id"]) == {}
    assert "192.0.2.0/24" not in router_config(owner.router)


def test_failed_apply(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    config = router_config(owner.router)
    with faults(site):
        error = api_error(partial(enable, owner, ip))
    assert error.errorcode == 534
    [listed] = ips_of(owner.client, id=ip["id"])
    assert listed["isstaticnat"] is False and "virtualmachineid" not in listed
    assert router_config(owner.router) == config

    enable(owner, ip)
    enabled = router_config(owner.router)
    with faults(site):
        job = failed(owner.client, owner.client.disableStaticNat(ipaddressid=ip["id"]))
    assert job["errorcode"] == 534
    assert ips_of(owner.client, id=ip["id"])[0]["isstaticnat"] is True
    assert router_config(owner.router) == enabled
