"""Public IPs through `cs`: associateIpAddress (source NAT first, specific addresses, VPCs),
listPublicIpAddresses, disassociateIpAddress, limits, permissions, tags, events and a
failed apply; and the public IP range commands.

The helpers here (`Site`, `make_site`, `Owner`, `new_owner`, `associate`, `faults`,
`router_config`…) are shared with test_static_nat.py, test_port_forwarding.py and
test_firewall.py. A router's applied configuration lives in
`<data_dir>/drivers/network/<router>/` (`applied.json` holds its generation).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.vpc_helpers import create_tier, create_vpc
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, failed, offering, ready_template, succeeded
from tests.support.zones import SimZone, build_zone


@dataclass
class Site:
    """A zone with an offering and a template on the session's server."""

    admin: CloudStack
    server: AltoServer
    zone: SimZone
    so: dict[str, Any]
    template: dict[str, Any]

    @property
    def network_dir(self) -> Path:
        return self.server.data_dir / "drivers" / "network"


def make_site(admin: CloudStack, server: AltoServer, root: Path) -> Site:
    """Build a zone (public range 203.0.113.10-250) with an offering and a template."""
    zone = build_zone(admin, root=root, hosts=2)
    return Site(
        admin=admin,
        server=server,
        zone=zone,
        so=offering(admin),
        template=ready_template(admin, zone, root=root),
    )


@pytest.fixture(scope="module")
def site(
    admin: CloudStack, alto_server: AltoServer, tmp_path_factory: pytest.TempPathFactory
) -> Site:
    return make_site(admin, alto_server, tmp_path_factory.mktemp("ipzone"))


@dataclass
class Owner:
    """An account with VMs on its default isolated network, and that network's router."""

    tenant: Tenant
    client: CloudStack
    vms: list[dict[str, Any]]
    router: Path

    @property
    def network_id(self) -> str:
        return str(self.vms[0]["nic"][0]["networkid"])

    def guest_ip(self, index: int = 0) -> str:
        return str(self.vms[index]["nic"][0]["ipaddress"])


def routers_in(network_dir: Path) -> set[Path]:
    return {path for path in network_dir.glob("r-*") if path.is_dir()}


def new_owner(site: Site, *, vms: int = 1) -> Owner:
    """A fresh user account with `vms` running VMs on its default network (whose router
    is the one that appears while the first VM is deployed)."""
    tenant = new_account(site.admin, endpoint=site.server.endpoint)
    client = tenant.client()
    before = routers_in(site.network_dir)
    deployed = [deploy(client, site.zone, site.so, site.template)]
    [router] = routers_in(site.network_dir) - before
    deployed += [deploy(client, site.zone, site.so, site.template) for _ in range(vms - 1)]
    return Owner(tenant=tenant, client=client, vms=deployed, router=router)


@pytest.fixture
def owner(site: Site) -> Owner:
    return new_owner(site)


def associate(client: CloudStack, **params: Any) -> dict[str, Any]:
    """associateIpAddress, waited for; the `ipaddress` object."""
    return dict(succeeded(client, client.associateIpAddress(**params))["ipaddress"])


def ips_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listPublicIpAddresses(**params).get("publicipaddress", []))


def generation(router: Path) -> int:
    return int(json.loads((router / "applied.json").read_text())["generation"])


def router_config(router: Path) -> str:
    """The router's nftables ruleset without comment lines (the header names the
    generation, which every apply moves on)."""
    text = (router / "nftables.conf").read_text()
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def paired(config: str, *addresses: str) -> list[str]:
    """The lines of a rendered configuration that name every one of `addresses` (a NAT
    rule names the public and the guest address together)."""
    return [line for line in config.splitlines() if all(a in line for a in addresses)]


@contextmanager
def faults(site: Site) -> Iterator[None]:
    """Every router apply fails inside the block."""
    path = site.network_dir / "faults.json"
    path.write_text(json.dumps({"apply": 1}))
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def tag(client: CloudStack, resource_type: str, resource_id: str, **tags: str) -> None:
    """Tag one resource (createTags, waited for)."""
    answer = client.createTags(
        resourcetype=resource_type,
        resourceids=resource_id,
        tags=[{"key": key, "value": value} for key, value in tags.items()],
    )
    succeeded(client, answer)


def events_of(admin: CloudStack, tenant: Tenant, event_type: str) -> list[dict[str, Any]]:
    answer = admin.listEvents(
        type=event_type, account=tenant.name, domainid=tenant.domainid, listall=True
    )
    return list(answer.get("event", []))


def test_first_ip_is_source_nat_and_more_are_associated(site: Site, owner: Owner) -> None:
    [snat] = ips_of(owner.client, associatednetworkid=owner.network_id)
    assert snat["issourcenat"] is True and snat["state"] == "Allocated"
    assert snat["account"] == owner.tenant.name and snat["domainid"] == owner.tenant.domainid
    assert snat["zoneid"] == site.zone.id and snat["zonename"] == site.zone.zone["name"]
    assert snat["vlanname"] == "untagged" and snat["forvirtualnetwork"] is True
    assert snat["associatednetworkid"] == owner.network_id and snat["isstaticnat"] is False
    assert "vlanid" not in snat and snat["tags"] == []

    before = generation(owner.router)
    answer = owner.client.associateIpAddress(networkid=owner.network_id)
    ip = succeeded(owner.client, answer)["ipaddress"]
    assert answer["id"] == ip["id"]
    assert ip["issourcenat"] is False and ip["state"] == "Allocated"
    assert ip["associatednetworkname"] and ip["allocated"]
    assert generation(owner.router) > before
    assert ip["ipaddress"] in router_config(owner.router)
    listed = ips_of(owner.client, associatednetworkid=owner.network_id)
    assert {item["id"] for item in listed} == {snat["id"], ip["id"]}
    [by_admin] = ips_of(site.admin, id=ip["id"])
    assert by_admin["vlanid"] == site.zone.public_range["id"] and by_admin["fordisplay"] is True
    assert [e["state"] for e in events_of(site.admin, owner.tenant, "NET.IPASSIGN")] == [
        "Completed",
        "Scheduled",
    ]


def test_first_ip_of_a_new_network_is_its_source_nat(site: Site) -> None:
    tenant = new_account(site.admin, endpoint=site.server.endpoint)
    client = tenant.client()
    [isolated] = client.listNetworkOfferings(
        name="DefaultIsolatedNetworkOfferingWithSourceNatService"
    )["networkoffering"]
    network = client.createNetwork(
        name=unique("net"), zoneid=site.zone.id, networkofferingid=isolated["id"]
    )["network"]
    first = associate(client, networkid=network["id"])
    second = associate(client, zoneid=site.zone.id)
    assert first["issourcenat"] is True and second["issourcenat"] is False
    assert second["associatednetworkid"] == network["id"]
    refused = api_error(client.disassociateIpAddress, id=first["id"])
    assert refused.errorcode == 431 and "source NAT" in refused.errortext


def test_specific_and_bad_addresses(site: Site, owner: Owner) -> None:
    free = ips_of(owner.client, zoneid=site.zone.id, allocatedonly=False, state="Free")
    assert free and all(item["state"] == "Free" and "account" not in item for item in free)
    wanted = free[-1]["ipaddress"]
    ip = associate(owner.client, networkid=owner.network_id, ipaddress=wanted)
    assert ip["ipaddress"] == wanted
    for address in (wanted, "198.51.100.7"):
        error = api_error(
            owner.client.associateIpAddress, networkid=owner.network_id, ipaddress=address
        )
        assert error.errorcode == 431 and address in error.errortext
    malformed = api_error(
        owner.client.associateIpAddress, networkid=owner.network_id, ipaddress="not-an-ip"
    )
    assert malformed.errorcode == 431 and "ipaddress" in malformed.errortext
    neither = api_error(owner.client.associateIpAddress)
    assert neither.errorcode == 431


def test_list_filters_and_tags(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    client = owner.client
    assert [i["id"] for i in ips_of(client, id=ip["id"])] == [ip["id"]]
    assert [i["id"] for i in ips_of(client, ipaddress=ip["ipaddress"])] == [ip["id"]]
    assert [i["issourcenat"] for i in ips_of(client, issourcenat=True)] == [True]
    assert ips_of(client, isstaticnat=True) == []
    assert [i["id"] for i in ips_of(client, keyword=ip["ipaddress"])] == [ip["id"]]
    assert (
        ips_of(client, state="Free") != []
        and ips_of(client, allocatedonly=True, state="Free") == []
    )
    tag(client, "PublicIpAddress", ip["id"], role="web")
    [tagged] = ips_of(client, tags=[{"key": "role", "value": "web"}])
    assert tagged["id"] == ip["id"]
    assert [(t["key"], t["value"]) for t in tagged["tags"]] == [("role", "web")]
    assert ips_of(client, tags=[{"key": "role", "value": "db"}]) == []

    stranger = new_account(site.admin, endpoint=site.server.endpoint).client()
    hidden = api_error(stranger.listPublicIpAddresses, associatednetworkid=owner.network_id)
    assert hidden.errorcode == 431
    assert ips_of(stranger, id=ip["id"]) == []


def test_disassociate_releases_the_ip_and_what_is_on_it(site: Site) -> None:
    owner = new_owner(site)
    client = owner.client
    ip = associate(client, networkid=owner.network_id)
    vm = owner.vms[0]
    forward = client.createPortForwardingRule(
        ipaddressid=ip["id"],
        protocol="tcp",
        publicport=22,
        privateport=22,
        virtualmachineid=vm["id"],
    )
    succeeded(client, forward)
    assert client.listFirewallRules(ipaddressid=ip["id"])["count"] == 1
    nat_ip = associate(client, networkid=owner.network_id)
    assert client.enableStaticNat(ipaddressid=nat_ip["id"], virtualmachineid=vm["id"])["success"]
    tag(client, "PublicIpAddress", ip["id"], k="v")
    lb_ip = associate(client, networkid=owner.network_id)
    answer = client.createLoadBalancerRule(
        publicipid=lb_ip["id"], name=unique("lb"), algorithm="source", publicport=80, privateport=80
    )
    balancer = succeeded(client, answer)["loadbalancer"]
    succeeded(
        client, client.assignToLoadBalancerRule(id=balancer["id"], virtualmachineids=vm["id"])
    )
    succeeded(client, client.createRemoteAccessVpn(publicipid=lb_ip["id"]))

    for made in (ip, nat_ip, lb_ip):
        assert succeeded(client, client.disassociateIpAddress(id=made["id"])) == {"success": True}
    assert client.listPortForwardingRules() == {}
    assert client.listFirewallRules() == {}
    assert client.listLoadBalancerRules() == {} and client.listRemoteAccessVpns() == {}
    assert "publicip" not in client.listVirtualMachines(id=vm["id"])["virtualmachine"][0]
    [freed] = ips_of(site.admin, id=ip["id"], allocatedonly=False)
    assert freed["state"] == "Free" and "account" not in freed and freed["tags"] == []
    config = router_config(owner.router)
    assert ip["ipaddress"] not in config and nat_ip["ipaddress"] not in config
    assert len(events_of(site.admin, owner.tenant, "NET.IPRELEASE")) == 6
    gone = api_error(client.disassociateIpAddress, id=ip["id"])
    assert gone.errorcode == 431


def test_public_ip_limit(site: Site, owner: Owner) -> None:
    account = {"account": owner.tenant.name, "domainid": owner.tenant.domainid}
    [count] = site.admin.updateResourceCount(resourcetype=1, **account)["resourcecount"]
    site.admin.updateResourceLimit(resourcetype=1, max=count["resourcecount"] + 1, **account)
    ip = associate(owner.client, networkid=owner.network_id)
    over = api_error(owner.client.associateIpAddress, networkid=owner.network_id)
    assert over.errorcode == 532 and "public_ip" in over.errortext
    succeeded(owner.client, owner.client.disassociateIpAddress(id=ip["id"]))
    associate(owner.client, networkid=owner.network_id)


def test_permissions(site: Site, owner: Owner) -> None:
    ip = associate(owner.client, networkid=owner.network_id)
    stranger = new_owner(site)
    for call, params in (
        (stranger.client.disassociateIpAddress, {"id": ip["id"]}),
        (stranger.client.associateIpAddress, {"networkid": owner.network_id}),
        (
            stranger.client.enableStaticNat,
            {"ipaddressid": ip["id"], "virtualmachineid": stranger.vms[0]["id"]},
        ),
    ):
        assert api_error(call, **params).errorcode == 431
    by_admin = associate(site.admin, networkid=owner.network_id)
    assert by_admin["account"] == owner.tenant.name
    wrong_owner = api_error(
        site.admin.associateIpAddress,
        networkid=owner.network_id,
        account=stranger.tenant.name,
        domainid=stranger.tenant.domainid,
    )
    assert wrong_owner.errorcode == 531


def test_failed_apply_keeps_nothing(site: Site, owner: Owner) -> None:
    listed = ips_of(owner.client, associatednetworkid=owner.network_id)
    config = router_config(owner.router)
    with faults(site):
        error = failed(owner.client, owner.client.associateIpAddress(networkid=owner.network_id))
    assert error["errorcode"] == 534
    assert ips_of(owner.client, associatednetworkid=owner.network_id) == listed
    assert router_config(owner.router) == config
    associate(owner.client, networkid=owner.network_id)


def test_vpc_ips_belong_to_the_vpc(site: Site) -> None:
    tenant = new_account(site.admin, endpoint=site.server.endpoint)
    client = tenant.client()
    vpc = create_vpc(client, site.zone, cidr="10.30.0.0/16")
    ip = associate(client, vpcid=vpc["id"])
    assert ip["vpcid"] == vpc["id"] and ip["vpcname"] == vpc["name"]
    assert ip["issourcenat"] is False and "associatednetworkid" not in ip
    tier = create_tier(client, site.zone, vpc, gateway="10.30.1.1")
    direct = api_error(client.associateIpAddress, networkid=tier["id"])
    assert direct.errorcode == 431 and "vpcid" in direct.errortext
    assert {i["id"] for i in ips_of(client, vpcid=vpc["id"])} >= {ip["id"]}
    succeeded(client, client.disassociateIpAddress(id=ip["id"]))


def test_vlan_ip_ranges(site: Site) -> None:
    admin = site.admin
    zone_id = site.zone.id
    base = {"zoneid": zone_id, "gateway": "198.51.100.1", "netmask": "255.255.255.0"}
    for bad in (
        {"startip": "198.51.101.5", "endip": "198.51.101.9"},
        {"startip": "198.51.100.20", "endip": "198.51.100.10"},
        {"startip": "203.0.113.100", "endip": "203.0.113.120", "gateway": "203.0.113.1"},
    ):
        error = api_error(admin.createVlanIpRange, forvirtualnetwork=True, **{**base, **bad})
        assert error.errorcode == 431
    created = admin.createVlanIpRange(
        forvirtualnetwork=True,
        vlan="untagged",
        startip="198.51.100.10",
        endip="198.51.100.12",
        **base,
    )["vlan"]
    [listed] = admin.listVlanIpRanges(id=created["id"])["vlaniprange"]
    assert (listed["startip"], listed["endip"], listed["zoneid"]) == (
        "198.51.100.10",
        "198.51.100.12",
        zone_id,
    )
    assert {r["id"] for r in admin.listVlanIpRanges(zoneid=zone_id)["vlaniprange"]} == {
        created["id"],
        site.zone.public_range["id"],
    }

    owner = new_owner(site)
    tenant = owner.tenant
    dedicated = admin.dedicatePublicIpRange(
        id=created["id"], account=tenant.name, domainid=tenant.domainid
    )["vlan"]
    assert dedicated["account"] == tenant.name and dedicated["domainid"] == tenant.domainid
    again = api_error(
        admin.dedicatePublicIpRange, id=created["id"], account=tenant.name, domainid=tenant.domainid
    )
    assert again.errorcode == 431
    ip = associate(owner.client, networkid=owner.network_id)
    assert ip["ipaddress"].startswith("198.51.100.") and ip["vlanname"] == "untagged"
    in_use = api_error(admin.deleteVlanIpRange, id=created["id"])
    assert in_use.errorcode == 536 and ip["ipaddress"] in in_use.errortext

    assert admin.releasePublicIpRange(id=created["id"])["success"] is True
    assert "account" not in admin.listVlanIpRanges(id=created["id"])["vlaniprange"][0]
    assert api_error(admin.releasePublicIpRange, id=created["id"]).errorcode == 431
    succeeded(owner.client, owner.client.disassociateIpAddress(id=ip["id"]))
    assert admin.deleteVlanIpRange(id=created["id"])["success"] is True
    assert api_error(admin.listVlanIpRanges, id=created["id"]).errorcode == 431
    assert ips_of(admin, ipaddress="198.51.100.10", allocatedonly=False) == []
    user = api_error(owner.client.listVlanIpRanges)
    assert user.errorcode == 401
