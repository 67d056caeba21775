"""Ingress firewall rules on public IPs and egress firewall rules of isolated networks
through `cs`: create, list, update, delete; what the router runs; bad input (431),
conflicts (537), VPC IPs, permissions, tags, events and failed applies."""

from __future__ import annotations

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
    make_site,
    new_owner,
    router_config,
    tag,
)
from tests.native.api.network.vpc_helpers import create_tier, create_vpc
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import new_account
from tests.support.vms import failed, succeeded


@pytest.fixture(scope="module")
def site(
    admin: CloudStack, alto_server: AltoServer, tmp_path_factory: pytest.TempPathFactory
) -> Site:
    return make_site(admin, alto_server, tmp_path_factory.mktemp("fwzone"))


@pytest.fixture
def owner(site: Site) -> Owner:
    return new_owner(site)


def open_port(client: CloudStack, ip: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer = client.createFirewallRule(ipaddressid=ip["id"], **params)
    return dict(succeeded(client, answer)["firewallrule"])


def open_egress(client: CloudStack, network_id: str, **params: Any) -> dict[str, Any]:
    answer = client.createEgressFirewallRule(networkid=network_id, **params)
    return dict(succeeded(client, answer)["firewallrule"])


def firewall_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listFirewallRules(**params).get("firewallrule", []))


def egress_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listEgressFirewallRules(**params).get("firewallrule", []))


def test_ingress_create_list_update_delete(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    before = generation(owner.router)
    rule = open_port(owner.client, ip, protocol="TCP", startport=22, cidrlist="192.0.2.0/24")
    assert (rule["protocol"], rule["startport"], rule["endport"]) == ("tcp", 22, 22)
    assert (rule["ipaddressid"], rule["ipaddress"]) == (ip["id"], ip["ipaddress"])
    assert rule["cidrlist"] == "192.0.2.0/24" and rule["networkid"] == owner.network_id
    assert rule["state"] == "Active" and rule["traffictype"] == "Ingress"
    assert "icmptype" not in rule and rule["tags"] == []
    assert generation(owner.router) > before
    assert "192.0.2.0/24" in router_config(owner.router)
    ping = open_port(owner.client, ip, protocol="icmp")
    assert (ping["icmptype"], ping["icmpcode"]) == (-1, -1) and "startport" not in ping
    everything = open_port(owner.client, ip, protocol="udp")
    assert "startport" not in everything and everything["cidrlist"] == "0.0.0.0/0"

    listed = firewall_of(owner.client, ipaddressid=ip["id"])
    assert [r["id"] for r in listed] == [rule["id"], ping["id"], everything["id"]]
    assert [r["id"] for r in firewall_of(owner.client, id=ping["id"])] == [ping["id"]]
    assert len(firewall_of(owner.client, networkid=owner.network_id)) == 3

    answer = site.admin.updateFirewallRule(id=rule["id"], fordisplay=False)
    assert succeeded(site.admin, answer)["firewallrule"]["fordisplay"] is False
    assert [r["id"] for r in firewall_of(owner.client)] == [ping["id"], everything["id"]]
    assert len(firewall_of(site.admin, listall=True, fordisplay=False)) == 1

    for made in (rule, ping, everything):
        answer = owner.client.deleteFirewallRule(id=made["id"])
        assert succeeded(owner.client, answer) == {"success": True}
    assert owner.client.listFirewallRules(ipaddressid=ip["id"]) == {}
    assert "192.0.2.0/24" not in router_config(owner.router)
    assert len(events_of(site.admin, owner.tenant, "FIREWALL.OPEN")) == 6
    assert len(events_of(site.admin, owner.tenant, "FIREWALL.CLOSE")) == 6


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"protocol": "gre"}, "protocol"),
        ({"protocol": "all"}, "protocol"),
        ({"protocol": "icmp", "startport": 22}, "Ports are not allowed"),
        ({"protocol": "tcp", "startport": 22, "icmptype": 8}, "ICMP"),
        ({"protocol": "tcp", "startport": 90, "endport": 80}, "port range"),
        ({"protocol": "tcp", "startport": 70000}, "port"),
        ({"protocol": "tcp", "endport": 80}, "Start port"),
        ({"protocol": "icmp", "icmptype": 300}, "ICMP"),
        ({"protocol": "tcp", "startport": 22, "cidrlist": "10.0.0.1/8"}, "cidrlist"),
        ({"protocol": "tcp", "startport": 22, "type": "other"}, "type"),
    ],
)
def test_ingress_bad_input(owner: Owner, params: dict[str, Any], named: str) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    error = api_error(owner.client.createFirewallRule, ipaddressid=ip["id"], **params)
    assert error.errorcode == 431 and named in error.errortext
    assert owner.client.listFirewallRules() == {}


def test_ingress_conflicts(owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    existing = open_port(
        owner.client, ip, protocol="tcp", startport=80, endport=90, cidrlist="10.0.0.0/8"
    )
    create = owner.client.createFirewallRule
    same = api_error(
        create, ipaddressid=ip["id"], protocol="tcp", startport=85, cidrlist="10.1.0.0/16"
    )
    assert same.errorcode == 537 and existing["id"] in same.errortext
    open_port(owner.client, ip, protocol="tcp", startport=85, cidrlist="192.0.2.0/24")
    open_port(owner.client, ip, protocol="udp", startport=85, cidrlist="10.0.0.0/8")
    open_port(owner.client, ip, protocol="icmp", icmptype=8, icmpcode=0)
    open_port(owner.client, ip, protocol="icmp", icmptype=0, icmpcode=0)
    again = api_error(create, ipaddressid=ip["id"], protocol="icmp", icmptype=8, icmpcode=0)
    assert again.errorcode == 537


def test_ingress_not_on_vpc_ips(site: Site) -> None:
    client = new_account(site.admin, endpoint=site.server.endpoint).client()
    vpc = create_vpc(client, site.zone, cidr="10.50.0.0/16")
    ip = associate(client, vpcid=vpc["id"])
    error = api_error(client.createFirewallRule, ipaddressid=ip["id"], protocol="tcp", startport=22)
    assert error.errorcode == 431 and "VPC" in error.errortext


def test_ingress_permissions_and_tags(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    rule = open_port(owner.client, ip, protocol="tcp", startport=443)
    stranger = new_account(site.admin, endpoint=site.server.endpoint).client()
    for call, params in (
        (stranger.createFirewallRule, {"ipaddressid": ip["id"], "protocol": "tcp"}),
        (stranger.deleteFirewallRule, {"id": rule["id"]}),
        (stranger.updateFirewallRule, {"id": rule["id"], "fordisplay": False}),
    ):
        assert api_error(call, **params).errorcode == 431
    assert stranger.listFirewallRules() == {}
    tag(owner.client, "FirewallRule", rule["id"], tier="web")
    [tagged] = firewall_of(owner.client, tags=[{"key": "tier", "value": "web"}])
    assert tagged["id"] == rule["id"] and tagged["tags"][0]["value"] == "web"
    assert firewall_of(owner.client, tags=[{"key": "tier", "value": "db"}]) == []


def test_egress_rules(site: Site, owner: Owner) -> None:
    [network] = owner.client.listNetworks(id=owner.network_id)["network"]
    cidr = network["cidr"]
    before = generation(owner.router)
    rule = open_egress(
        owner.client,
        owner.network_id,
        protocol="tcp",
        startport=443,
        destcidrlist="198.51.100.0/24",
    )
    assert rule["traffictype"] == "Egress" and rule["cidrlist"] == cidr
    assert rule["destcidrlist"] == "198.51.100.0/24" and "ipaddressid" not in rule
    assert rule["networkid"] == owner.network_id and rule["state"] == "Active"
    assert generation(owner.router) > before
    assert "198.51.100.0/24" in router_config(owner.router)
    anything = open_egress(owner.client, owner.network_id, protocol="all")
    assert "startport" not in anything and anything["destcidrlist"] == ""

    listed = egress_of(owner.client, networkid=owner.network_id)
    assert [r["id"] for r in listed] == [rule["id"], anything["id"]]
    assert owner.client.listFirewallRules() == {}
    tag(owner.client, "FirewallRule", rule["id"], purpose="https")
    [tagged] = egress_of(owner.client, tags=[{"key": "purpose", "value": "https"}])
    assert tagged["id"] == rule["id"]
    answer = site.admin.updateEgressFirewallRule(id=rule["id"], fordisplay=False)
    assert succeeded(site.admin, answer)["firewallrule"]["fordisplay"] is False

    for made in (rule, anything):
        succeeded(owner.client, owner.client.deleteEgressFirewallRule(id=made["id"]))
    assert owner.client.listEgressFirewallRules(networkid=owner.network_id) == {}
    assert "198.51.100.0/24" not in router_config(owner.router)
    assert len(events_of(site.admin, owner.tenant, "FIREWALL.EGRESS.OPEN")) == 4
    assert len(events_of(site.admin, owner.tenant, "FIREWALL.EGRESS.CLOSE")) == 4


def test_egress_bad_input_and_conflicts(site: Site, owner: Owner) -> None:
    create = owner.client.createEgressFirewallRule
    base = {"networkid": owner.network_id}
    for params, named in (
        ({"protocol": "all", "startport": 80}, "Ports are not allowed"),
        ({"protocol": "gre"}, "protocol"),
        ({"protocol": "tcp", "startport": 80, "cidrlist": "172.16.0.0/24"}, "172.16.0.0/24"),
        ({"protocol": "tcp", "startport": 80, "destcidrlist": "300.0.0.0/8"}, "destcidrlist"),
        ({"protocol": "udp", "icmpcode": 0}, "ICMP"),
    ):
        error = api_error(create, **base, **params)
        assert error.errorcode == 431 and named in error.errortext
    rule = open_egress(owner.client, owner.network_id, protocol="tcp", startport=80, endport=89)
    clash = api_error(create, protocol="tcp", startport=85, **base)
    assert clash.errorcode == 537 and rule["id"] in clash.errortext
    open_egress(owner.client, owner.network_id, protocol="tcp", startport=90)
    open_egress(owner.client, owner.network_id, protocol="udp", startport=85)
    stranger = new_account(site.admin, endpoint=site.server.endpoint).client()
    hidden = api_error(stranger.createEgressFirewallRule, protocol="all", **base)
    assert hidden.errorcode == 431
    assert api_error(stranger.deleteEgressFirewallRule, id=rule["id"]).errorcode == 431


def test_egress_not_on_vpc_tiers(site: Site) -> None:
    client = new_account(site.admin, endpoint=site.server.endpoint).client()
    vpc = create_vpc(client, site.zone, cidr="10.60.0.0/16")
    tier = create_tier(client, site.zone, vpc, gateway="10.60.1.1")
    error = api_error(client.createEgressFirewallRule, networkid=tier["id"], protocol="all")
    assert error.errorcode == 431 and "VPC" in error.errortext


def test_failed_apply(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    config = router_config(owner.router)
    with faults(site):
        answer = owner.client.createFirewallRule(
            ipaddressid=ip["id"], protocol="tcp", startport=25, cidrlist="203.0.113.0/24"
        )
        assert failed(owner.client, answer)["errorcode"] == 534
        answer = owner.client.createEgressFirewallRule(networkid=owner.network_id, protocol="all")
        assert failed(owner.client, answer)["errorcode"] == 534
    assert owner.client.listFirewallRules() == {}
    assert owner.client.listEgressFirewallRules() == {}
    assert router_config(owner.router) == config

    rule = open_port(owner.client, ip, protocol="tcp", startport=25)
    applied = router_config(owner.router)
    with faults(site):
        failed(owner.client, owner.client.deleteFirewallRule(id=rule["id"]))
    [kept] = firewall_of(owner.client, id=rule["id"])
    assert kept["state"] == "Active"
    assert router_config(owner.router) == applied
