"""Portable public IPs through `cs`: associateIpAddress isportable=true, enableStaticNat
moving such an IP to the VM's VPC or network (and applying both routers), what stays put,
and `staticnatid` (new for each static NAT, kept while it lasts)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.test_public_ips import associate, ips_of, paired, router_config
from tests.native.api.network.vpc_helpers import (
    create_tier,
    create_vpc,
    failing_applies,
    generation,
    new_router,
    routers_in,
)
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import new_account, unique
from tests.support.vms import deploy, succeeded
from tests.support.zones import SimZone


@dataclass
class Vpcs:
    """An account with two started VPCs (one tier each) and one VM on the second's tier."""

    client: CloudStack
    home: dict[str, Any]
    home_router: Path
    away: dict[str, Any]
    away_router: Path
    vm: dict[str, Any]

    @property
    def vm_ip(self) -> str:
        return str(self.vm["nic"][0]["ipaddress"])


@pytest.fixture
def vpcs(
    admin: CloudStack,
    alto_server: AltoServer,
    zone: SimZone,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> Vpcs:
    client = new_account(admin, endpoint=alto_server.endpoint).client()
    before = routers_in(network_dir)
    home = create_vpc(client, zone, cidr="10.20.0.0/16")
    home_router = new_router(network_dir, before)
    before = routers_in(network_dir)
    away = create_vpc(client, zone, cidr="10.30.0.0/16")
    away_router = new_router(network_dir, before)
    tier = create_tier(client, zone, away, gateway="10.30.1.1")
    vm = deploy(client, zone, so, template, networkids=tier["id"])
    return Vpcs(client, home, home_router, away, away_router, vm)


def test_portable_ip_moves_to_the_vms_vpc(vpcs: Vpcs) -> None:
    ip = associate(vpcs.client, vpcid=vpcs.home["id"], isportable=True)
    assert ip["isportable"] is True and ip["vpcid"] == vpcs.home["id"]
    left_at = generation(vpcs.home_router)

    answer = vpcs.client.enableStaticNat(ipaddressid=ip["id"], virtualmachineid=vpcs.vm["id"])
    assert answer == {"success": True}
    [moved] = ips_of(vpcs.client, id=ip["id"])
    assert moved["vpcid"] == vpcs.away["id"] and moved["isstaticnat"] is True
    assert moved["associatednetworkid"] == vpcs.vm["nic"][0]["networkid"]
    assert moved["staticnatid"] and moved["isportable"] is True
    assert paired(router_config(vpcs.away_router), ip["ipaddress"], vpcs.vm_ip)
    assert generation(vpcs.home_router) > left_at


def test_static_nat_id_is_new_for_each_static_nat(vpcs: Vpcs) -> None:
    ip = associate(vpcs.client, vpcid=vpcs.away["id"], isportable=True)
    assert "staticnatid" not in ip
    enable = {"ipaddressid": ip["id"], "virtualmachineid": vpcs.vm["id"]}
    vpcs.client.enableStaticNat(**enable)
    [first] = ips_of(vpcs.client, id=ip["id"])
    vpcs.client.enableStaticNat(**enable)
    assert ips_of(vpcs.client, id=ip["id"])[0]["staticnatid"] == first["staticnatid"]
    succeeded(vpcs.client, vpcs.client.disableStaticNat(ipaddressid=ip["id"]))
    [off] = ips_of(vpcs.client, id=ip["id"])
    assert "staticnatid" not in off and off["vpcid"] == vpcs.away["id"]
    vpcs.client.enableStaticNat(**enable)
    [second] = ips_of(vpcs.client, id=ip["id"])
    assert second["staticnatid"] not in (None, first["staticnatid"])


def test_what_does_not_move(vpcs: Vpcs) -> None:
    fixed = associate(vpcs.client, vpcid=vpcs.home["id"])
    assert fixed["isportable"] is False
    refused = api_error(
        vpcs.client.enableStaticNat, ipaddressid=fixed["id"], virtualmachineid=vpcs.vm["id"]
    )
    assert refused.errorcode == 431 and "no NIC on a tier" in refused.errortext
    assert ips_of(vpcs.client, id=fixed["id"])[0]["vpcid"] == vpcs.home["id"]

    [source_nat] = ips_of(vpcs.client, vpcid=vpcs.home["id"], issourcenat=True)
    assert source_nat["isportable"] is False


def test_a_failed_apply_leaves_the_ip_where_it_was(vpcs: Vpcs, network_dir: Path) -> None:
    ip = associate(vpcs.client, vpcid=vpcs.home["id"], isportable=True)
    with failing_applies(network_dir):
        error = api_error(
            vpcs.client.enableStaticNat, ipaddressid=ip["id"], virtualmachineid=vpcs.vm["id"]
        )
    assert error.errorcode == 534
    [listed] = ips_of(vpcs.client, id=ip["id"])
    assert listed["vpcid"] == vpcs.home["id"] and listed["isstaticnat"] is False
    assert "associatednetworkid" not in listed and "staticnatid" not in listed
    assert ip["ipaddress"] not in router_config(vpcs.away_router)


def test_released_ip_is_no_longer_portable(vpcs: Vpcs) -> None:
    ip = associate(vpcs.client, vpcid=vpcs.home["id"], isportable=True)
    succeeded(vpcs.client, vpcs.client.disassociateIpAddress(id=ip["id"]))
    again = associate(vpcs.client, vpcid=vpcs.home["id"], ipaddress=ip["ipaddress"])
    assert again["id"] == ip["id"] and again["isportable"] is False


def test_portable_ip_moves_to_an_isolated_network_unless_it_has_rules(
    vpcs: Vpcs, zone: SimZone, so: dict[str, Any], template: dict[str, Any]
) -> None:
    [isolated] = vpcs.client.listNetworkOfferings(
        name="DefaultIsolatedNetworkOfferingWithSourceNatService"
    )["networkoffering"]
    network = vpcs.client.createNetwork(
        name=unique("net"), zoneid=zone.id, networkofferingid=isolated["id"]
    )["network"]
    vm = deploy(vpcs.client, zone, so, template, networkids=network["id"])

    ip = associate(vpcs.client, vpcid=vpcs.home["id"], isportable=True)
    vpcs.client.enableStaticNat(ipaddressid=ip["id"], virtualmachineid=vm["id"])
    [moved] = ips_of(vpcs.client, id=ip["id"])
    assert "vpcid" not in moved and moved["associatednetworkid"] == network["id"]
    assert moved["virtualmachineid"] == vm["id"]

    ruled = associate(vpcs.client, networkid=network["id"], isportable=True)
    answer = vpcs.client.createFirewallRule(
        ipaddressid=ruled["id"], protocol="tcp", startport=22, cidrlist="192.0.2.0/24"
    )
    succeeded(vpcs.client, answer)
    refused = api_error(
        vpcs.client.enableStaticNat, ipaddressid=ruled["id"], virtualmachineid=vpcs.vm["id"]
    )
    assert refused.errorcode == 431 and "has rules" in refused.errortext
    [stayed] = ips_of(vpcs.client, id=ruled["id"])
    assert stayed["associatednetworkid"] == network["id"] and stayed["isstaticnat"] is False
