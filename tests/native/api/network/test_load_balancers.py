"""Load balancer rules through `cs`: create, list, update, delete, members, bad input,
conflicts (537), permissions, tags, events, and failed applies (the router's applied
configuration lives under the server's `<data_dir>/drivers/network/<router>/`).

The helpers here (`world`, `Owner`, `new_owner`, `new_ip`, `create_lb`…) are shared with
test_lb_policies.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from native.services.network.defaults import DEFAULT_VPC_TIER, DEFAULT_VPC_TIER_NO_LB
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, failed, offering, ready_template, succeeded
from tests.support.zones import SimZone, build_zone


@dataclass
class World:
    """A zone with an offering and a template, on the session's server."""

    admin: CloudStack
    server: AltoServer
    zone: SimZone
    so: dict[str, Any]
    template: dict[str, Any]

    @property
    def network_dir(self) -> Path:
        return self.server.data_dir / "drivers" / "network"


@pytest.fixture(scope="module")
def world(
    admin: CloudStack, alto_server: AltoServer, tmp_path_factory: pytest.TempPathFactory
) -> World:
    root = tmp_path_factory.mktemp("lbzone")
    zone = build_zone(admin, root=root, hosts=2)
    return World(
        admin=admin,
        server=alto_server,
        zone=zone,
        so=offering(admin),
        template=ready_template(admin, zone, root=root),
    )


@dataclass
class Owner:
    """An account with VMs on its default isolated network."""

    tenant: Tenant
    client: CloudStack
    vms: list[dict[str, Any]]

    @property
    def network_id(self) -> str:
        return str(self.vms[0]["nic"][0]["networkid"])

    def ip_of(self, vm: dict[str, Any]) -> str:
        return str(vm["nic"][0]["ipaddress"])


def new_owner(world: World, *, vms: int = 2) -> Owner:
    """A fresh user account with `vms` running VMs."""
    tenant = new_account(world.admin, endpoint=world.server.endpoint)
    client = tenant.client()
    deployed = [deploy(client, world.zone, world.so, world.template) for _ in range(vms)]
    return Owner(tenant=tenant, client=client, vms=deployed)


@pytest.fixture
def owner(world: World) -> Owner:
    return new_owner(world)


def new_ip(owner: Owner) -> dict[str, Any]:
    """A public IP acquired for the owner's network."""
    answer = owner.client.associateIpAddress(networkid=owner.network_id)
    return dict(succeeded(owner.client, answer)["ipaddress"])


def create_lb(client: CloudStack, ip: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An LB rule on `ip` (roundrobin, 80 to 8080 unless `extra` says otherwise)."""
    params: dict[str, Any] = {
        "publicipid": ip["id"],
        "name": unique("lb"),
        "algorithm": "roundrobin",
        "publicport": 80,
        "privateport": 8080,
    }
    params.update(extra)
    return dict(succeeded(client, client.createLoadBalancerRule(**params))["loadbalancer"])


def rules_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listLoadBalancerRules(**params).get("loadbalancerrule", []))


def members_of(client: CloudStack, rule_id: str, **params: Any) -> list[dict[str, Any]]:
    answer = client.listLoadBalancerRuleInstances(id=rule_id, **params)
    return list(answer.get("loadbalancerruleinstance", []))


def router_dir(world: World, vm: dict[str, Any]) -> Path:
    """The applied configuration of the router serving the VM's NIC."""
    mac = vm["nic"][0]["macaddress"].lower()
    found = [
        path.parent
        for path in world.network_dir.glob("r-*/dnsmasq.conf")
        if mac in path.read_text().lower()
    ]
    assert len(found) == 1, f"no single router serves {mac}: {found}"
    return found[0]


def generation(router: Path) -> int:
    return int(json.loads((router / "applied.json").read_text())["generation"])


@pytest.fixture
def faulty_router(world: World) -> Iterator[Any]:
    """Call with a router directory to make every apply of that router fail until the end
    of the test."""
    faults = world.network_dir / "faults.json"

    def fail(router: Path) -> None:
        faults.write_text(json.dumps({"apply": 1, "router": router.name}))

    try:
        yield fail
    finally:
        faults.unlink(missing_ok=True)


def test_create_list_update_delete(world: World, owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip, description="web", cidrlist="10.0.0.0/8,192.0.2.0/24")
    assert rule["publicipid"] == ip["id"] and rule["publicip"] == ip["ipaddress"]
    assert (rule["publicport"], rule["privateport"]) == ("80", "8080")
    assert rule["algorithm"] == "roundrobin" and rule["protocol"] == "tcp"
    assert rule["networkid"] == owner.network_id and rule["zoneid"] == world.zone.id
    assert rule["state"] == "Active" and rule["account"] == owner.tenant.name
    assert rule["cidrlist"] == "10.0.0.0/8,192.0.2.0/24" and rule["description"] == "web"
    [listed] = rules_of(owner.client, id=rule["id"])
    assert listed["name"] == rule["name"] and listed["tags"] == []
    assert [r["id"] for r in rules_of(owner.client, publicipid=ip["id"])] == [rule["id"]]
    assert [r["id"] for r in rules_of(owner.client, keyword=rule["name"][3:])] == [rule["id"]]
    assert rules_of(owner.client, networkid=owner.network_id)
    assert rules_of(owner.client, zoneid=world.zone.id)

    answer = owner.client.updateLoadBalancerRule(id=rule["id"], algorithm="leastconn", name="new")
    updated = succeeded(owner.client, answer)["loadbalancer"]
    assert (updated["algorithm"], updated["name"]) == ("leastconn", "new")
    assert rules_of(owner.client, id=rule["id"])[0]["algorithm"] == "leastconn"

    succeeded(owner.client, owner.client.deleteLoadBalancerRule(id=rule["id"]))
    assert owner.client.listLoadBalancerRules(publicipid=ip["id"]) == {}


def test_openfirewall_opens_the_public_port_with_the_rule(owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip, publicport=443, privateport=443, cidrlist="10.1.0.0/16")
    [firewall] = owner.client.listFirewallRules(ipaddressid=ip["id"])["firewallrule"]
    assert (firewall["startport"], firewall["endport"], firewall["protocol"]) == (443, 443, "tcp")
    assert firewall["cidrlist"] == "10.1.0.0/16"
    closed = create_lb(owner.client, ip, publicport=444, openfirewall=False)
    assert len(owner.client.listFirewallRules(ipaddressid=ip["id"])["firewallrule"]) == 1
    for made in (rule, closed):
        succeeded(owner.client, owner.client.deleteLoadBalancerRule(id=made["id"]))
    assert owner.client.listFirewallRules(ipaddressid=ip["id"]) == {}


def test_members_are_assigned_listed_and_removed(owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip)
    first, second = owner.vms
    assert owner.client.listLoadBalancerRuleInstances(id=rule["id"]) == {}
    answer = owner.client.assignToLoadBalancerRule(
        id=rule["id"], virtualmachineids=[first["id"], second["id"]]
    )
    assert succeeded(owner.client, answer) == {"success": True}
    assert {vm["id"] for vm in members_of(owner.client, rule["id"])} == {first["id"], second["id"]}
    with_ips = owner.client.listLoadBalancerRuleInstances(id=rule["id"], lbvmips=True)
    assert with_ips["count"] == 2
    assert {
        (item["loadbalancerruleinstance"]["id"], tuple(item["lbvmipaddresses"]))
        for item in with_ips["lbrulevmidip"]
    } == {(first["id"], (owner.ip_of(first),)), (second["id"], (owner.ip_of(second),))}
    assert [r["id"] for r in rules_of(owner.client, virtualmachineid=second["id"])] == [rule["id"]]

    answer = owner.client.removeFromLoadBalancerRule(id=rule["id"], virtualmachineids=second["id"])
    succeeded(owner.client, answer)
    assert [vm["id"] for vm in members_of(owner.client, rule["id"])] == [first["id"]]
    assert [vm["id"] for vm in members_of(owner.client, rule["id"], applied=False)] == [
        second["id"]
    ]
    answer = owner.client.assignToLoadBalancerRule(
        id=rule["id"], vmidipmap=[{"vmid": second["id"], "vmip": owner.ip_of(second)}]
    )
    succeeded(owner.client, answer)
    assert len(members_of(owner.client, rule["id"])) == 2
    assert members_of(owner.client, rule["id"], applied=False) == []


def test_member_errors(world: World, owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip)
    vm = owner.vms[0]
    assign = owner.client.assignToLoadBalancerRule
    succeeded(owner.client, assign(id=rule["id"], virtualmachineids=vm["id"]))
    again = api_error(assign, id=rule["id"], virtualmachineids=vm["id"])
    assert again.errorcode == 431 and "already mapped" in again.errortext
    wrong_ip = api_error(
        assign, id=rule["id"], vmidipmap=[{"vmid": owner.vms[1]["id"], "vmip": "10.99.0.1"}]
    )
    assert wrong_ip.errorcode == 431 and "10.99.0.1" in wrong_ip.errortext
    nothing = api_error(assign, id=rule["id"])
    assert nothing.errorcode == 431 and "virtualmachineids" in nothing.errortext
    remove = owner.client.removeFromLoadBalancerRule
    not_member = api_error(remove, id=rule["id"], virtualmachineids=owner.vms[1]["id"])
    assert not_member.errorcode == 431 and "not assigned" in not_member.errortext

    stranger = new_owner(world, vms=1)
    hidden = api_error(assign, id=rule["id"], virtualmachineids=stranger.vms[0]["id"])
    assert hidden.errorcode == 431
    as_admin = api_error(
        world.admin.assignToLoadBalancerRule,
        id=rule["id"],
        virtualmachineids=stranger.vms[0]["id"],
    )
    assert as_admin.errorcode == 531 and "owner" in as_admin.errortext


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"algorithm": "random"}, "algorithm"),
        ({"publicport": 0}, "public port"),
        ({"publicport": 65536}, "public port"),
        ({"privateport": 70000}, "private port"),
        ({"publicport": 8081}, "8081"),
        ({"protocol": "icmp"}, "protocol"),
        ({"cidrlist": "10.0.0.0/33"}, "10.0.0.0/33"),
        ({"name": "bad\nname"}, "name"),
    ],
)
def test_bad_input_is_refused_at_once(owner: Owner, params: dict[str, Any], named: str) -> None:
    ip = new_ip(owner)
    full: dict[str, Any] = {
        "publicipid": ip["id"],
        "name": unique("lb"),
        "algorithm": "roundrobin",
        "publicport": 80,
        "privateport": 8080,
    }
    full.update(params)
    error = api_error(owner.client.createLoadBalancerRule, **full)
    assert (error.status, error.errorcode) == (431, 431)
    assert named in error.errortext
    assert owner.client.listLoadBalancerRules(publicipid=ip["id"]) == {}


def test_admins_create_for_the_ip_owner_and_hide_rules(world: World, owner: Owner) -> None:
    ip = new_ip(owner)
    params = {
        "publicipid": ip["id"],
        "name": unique("lb"),
        "algorithm": "roundrobin",
        "publicport": 80,
        "privateport": 80,
    }
    stranger = new_owner(world, vms=0)
    wrong = api_error(
        world.admin.createLoadBalancerRule,
        **params,
        account=stranger.tenant.name,
        domainid=stranger.tenant.domainid,
    )
    assert wrong.errorcode == 431 and stranger.tenant.name in wrong.errortext
    hidden = create_lb(
        world.admin,
        ip,
        account=owner.tenant.name,
        domainid=owner.tenant.domainid,
        fordisplay=False,
    )
    assert hidden["account"] == owner.tenant.name and hidden["fordisplay"] is False
    assert owner.client.listLoadBalancerRules(publicipid=ip["id"]) == {}
    shown = world.admin.listLoadBalancerRules(listall=True, fordisplay=False)["loadbalancerrule"]
    assert hidden["id"] in {rule["id"] for rule in shown}
    answer = world.admin.updateLoadBalancerRule(id=hidden["id"], fordisplay=True)
    assert succeeded(world.admin, answer)["loadbalancer"]["fordisplay"] is True
    [mine] = rules_of(owner.client, publicipid=ip["id"])
    assert "fordisplay" not in mine


def test_missing_parameters_and_unassociated_ips(world: World, owner: Owner) -> None:
    ip = new_ip(owner)
    no_name = api_error(
        owner.client.createLoadBalancerRule,
        publicipid=ip["id"],
        algorithm="roundrobin",
        publicport=80,
        privateport=80,
    )
    assert no_name.errorcode == 431 and "name" in no_name.errortext
    no_ip = api_error(
        owner.client.createLoadBalancerRule,
        name="x",
        algorithm="roundrobin",
        publicport=80,
        privateport=80,
    )
    assert no_ip.errorcode == 431 and "publicipid" in no_ip.errortext
    other = new_owner(world, vms=1)
    elsewhere = api_error(
        world.admin.createLoadBalancerRule,
        publicipid=ip["id"],
        networkid=other.network_id,
        name="x",
        algorithm="roundrobin",
        publicport=80,
        privateport=80,
    )
    assert elsewhere.errorcode == 431 and "not associated with network" in elsewhere.errortext


def test_conflicts_on_the_public_port_are_537(owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip)
    twice = api_error(
        owner.client.createLoadBalancerRule,
        publicipid=ip["id"],
        name="again",
        algorithm="source",
        publicport=80,
        privateport=9090,
        openfirewall=False,
    )
    assert (twice.status, twice.errorcode) == (537, 537) and rule["id"] in twice.errortext
    udp = create_lb(owner.client, ip, protocol="udp", openfirewall=False)
    assert udp["protocol"] == "udp"
    forward = api_error(
        owner.client.createPortForwardingRule,
        ipaddressid=ip["id"],
        protocol="tcp",
        publicport=80,
        privateport=22,
        virtualmachineid=owner.vms[0]["id"],
    )
    assert forward.errorcode == 537 and "load balancing" in forward.errortext


def test_lb_next_to_a_port_forward_and_on_static_nat(owner: Owner) -> None:
    ip = new_ip(owner)
    answer = owner.client.createPortForwardingRule(
        ipaddressid=ip["id"],
        protocol="tcp",
        publicport=22,
        privateport=22,
        virtualmachineid=owner.vms[0]["id"],
    )
    forward = succeeded(owner.client, answer)["portforwardingrule"]
    clash = api_error(
        owner.client.createLoadBalancerRule,
        publicipid=ip["id"],
        name="ssh",
        algorithm="roundrobin",
        publicport=22,
        privateport=22,
    )
    assert clash.errorcode == 537 and forward["id"] in clash.errortext
    assert create_lb(owner.client, ip, publicport=23)["publicport"] == "23"

    nat_ip = new_ip(owner)
    owner.client.enableStaticNat(ipaddressid=nat_ip["id"], virtualmachineid=owner.vms[1]["id"])
    on_nat = api_error(
        owner.client.createLoadBalancerRule,
        publicipid=nat_ip["id"],
        name="nat",
        algorithm="roundrobin",
        publicport=80,
        privateport=80,
    )
    assert on_nat.errorcode == 537 and "static NAT" in on_nat.errortext


def test_a_failed_apply_leaves_nothing_behind(
    world: World, owner: Owner, faulty_router: Any
) -> None:
    ip = new_ip(owner)
    kept = create_lb(owner.client, ip, publicport=8000)
    router = router_dir(world, owner.vms[0])
    before = generation(router)
    applied = (router / "haproxy.cfg").read_text()
    faulty_router(router)

    answer = owner.client.createLoadBalancerRule(
        publicipid=ip["id"], name="doomed", algorithm="roundrobin", publicport=80, privateport=80
    )
    assert failed(owner.client, answer)["errorcode"] == 534
    assert [r["id"] for r in rules_of(owner.client, publicipid=ip["id"])] == [kept["id"]]
    firewall = owner.client.listFirewallRules(ipaddressid=ip["id"]).get("firewallrule", [])
    assert [rule["startport"] for rule in firewall] == [8000]
    answer = owner.client.assignToLoadBalancerRule(
        id=kept["id"], virtualmachineids=owner.vms[0]["id"]
    )
    assert failed(owner.client, answer)["errorcode"] == 534
    assert owner.client.listLoadBalancerRuleInstances(id=kept["id"]) == {}
    answer = owner.client.deleteLoadBalancerRule(id=kept["id"])
    assert failed(owner.client, answer)["errorcode"] == 534
    assert rules_of(owner.client, id=kept["id"])[0]["state"] == "Active"
    assert generation(router) == before
    assert (router / "haproxy.cfg").read_text() == applied


def test_users_see_and_touch_only_their_own_rules(world: World, owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip)
    other = new_owner(world, vms=0)
    hidden = api_error(other.client.listLoadBalancerRules, id=rule["id"])
    assert hidden.errorcode == 431
    assert other.client.listLoadBalancerRules() == {}
    for call, params in (
        (other.client.deleteLoadBalancerRule, {"id": rule["id"]}),
        (other.client.updateLoadBalancerRule, {"id": rule["id"], "name": "mine"}),
        (
            other.client.createLoadBalancerRule,
            {
                "publicipid": ip["id"],
                "name": "x",
                "algorithm": "source",
                "publicport": 81,
                "privateport": 81,
            },
        ),
    ):
        assert api_error(call, **params).errorcode == 431
    everything = world.admin.listLoadBalancerRules(listall=True, publicipid=ip["id"])
    assert [r["id"] for r in everything["loadbalancerrule"]] == [rule["id"]]
    assert rules_of(owner.client, id=rule["id"])[0]["name"] == rule["name"]


def test_rules_are_tagged_as_load_balancers(owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip)
    create_lb(owner.client, ip, publicport=81)
    answer = owner.client.createTags(
        resourcetype="LoadBalancer", resourceids=rule["id"], tags=[{"key": "tier", "value": "web"}]
    )
    succeeded(owner.client, answer)
    [tagged] = rules_of(owner.client, tags=[{"key": "tier", "value": "web"}])
    assert tagged["id"] == rule["id"]
    assert [(t["key"], t["value"], t["resourcetype"]) for t in tagged["tags"]] == [
        ("tier", "web", "LoadBalancer")
    ]
    succeeded(owner.client, owner.client.deleteLoadBalancerRule(id=rule["id"]))
    assert owner.client.listTags(resourceid=rule["id"]) == {}


def test_changes_record_events(owner: Owner) -> None:
    ip = new_ip(owner)
    rule = create_lb(owner.client, ip)
    answer = owner.client.assignToLoadBalancerRule(
        id=rule["id"], virtualmachineids=owner.vms[0]["id"]
    )
    succeeded(owner.client, answer)
    succeeded(owner.client, owner.client.deleteLoadBalancerRule(id=rule["id"]))
    events = owner.client.listEvents(pagesize=100)["event"]
    completed = {event["type"] for event in events if event["state"] == "Completed"}
    assert {"LB.CREATE", "LB.ASSIGN.TO.RULE", "LB.DELETE"} <= completed


def _vpc_tier(world: World, client: CloudStack, vpc_id: str, *, offering: str, third: int) -> str:
    [tier_offering] = client.listNetworkOfferings(name=offering)["networkoffering"]
    answer = client.createNetwork(
        name=unique("tier"),
        displaytext="tier",
        networkofferingid=tier_offering["id"],
        zoneid=world.zone.id,
        vpcid=vpc_id,
        gateway=f"10.60.{third}.1",
        netmask="255.255.255.0",
    )
    return str(answer["network"]["id"])


def test_rules_on_vpc_ips_serve_one_tier(world: World) -> None:
    owner = new_owner(world, vms=0)
    client = owner.client
    [vpc_offering] = client.listVPCOfferings(name="Default VPC offering")["vpcoffering"]
    answer = client.createVPC(
        name=unique("vpc"),
        displaytext="vpc",
        cidr="10.60.0.0/16",
        vpcofferingid=vpc_offering["id"],
        zoneid=world.zone.id,
    )
    vpc = succeeded(client, answer)["vpc"]
    web = _vpc_tier(world, client, vpc["id"], offering=DEFAULT_VPC_TIER, third=1)
    app = _vpc_tier(world, client, vpc["id"], offering=DEFAULT_VPC_TIER, third=2)
    no_lb = _vpc_tier(world, client, vpc["id"], offering=DEFAULT_VPC_TIER_NO_LB, third=3)
    vm = deploy(client, world.zone, world.so, world.template, networkids=web)
    ip = dict(succeeded(client, client.associateIpAddress(vpcid=vpc["id"]))["ipaddress"])
    base = {
        "publicipid": ip["id"],
        "name": unique("lb"),
        "algorithm": "source",
        "publicport": 80,
        "privateport": 80,
    }

    untiered = api_error(client.createLoadBalancerRule, **base)
    assert untiered.errorcode == 431 and "networkid" in untiered.errortext
    opened = api_error(client.createLoadBalancerRule, **base, networkid=web, openfirewall=True)
    assert opened.errorcode == 431 and "openfirewall" in opened.errortext
    lb_less = api_error(client.createLoadBalancerRule, **base, networkid=no_lb)
    assert lb_less.errorcode == 431 and "LB service" in lb_less.errortext

    rule = create_lb(client, ip, networkid=web)
    assert rule["networkid"] == web
    assert client.listFirewallRules(ipaddressid=ip["id"]) == {}
    succeeded(client, client.assignToLoadBalancerRule(id=rule["id"], virtualmachineids=vm["id"]))
    assert [m["id"] for m in members_of(client, rule["id"])] == [vm["id"]]
    other_tier = api_error(
        client.createLoadBalancerRule, **{**base, "publicport": 81}, networkid=app
    )
    assert other_tier.errorcode == 431 and web in other_tier.errortext
    config = (router_dir(world, vm) / "haproxy.cfg").read_text()
    assert f"bind {ip['ipaddress']}:80" in config and f"{vm['nic'][0]['ipaddress']}:80" in config
