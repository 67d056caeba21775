"""Guest networks through `cs`: createNetwork (isolated, shared, L2), listNetworks,
updateNetwork, restartNetwork, deleteNetwork; bad input, visibility, limits, tags and
events. (VPC tiers: test_networks_vpc.py; NICs: test_nics.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import deploy, failed, succeeded
from tests.support.zones import SimZone

ISOLATED = "DefaultIsolatedNetworkOfferingWithSourceNatService"
SHARED = "DefaultSharedNetworkOffering"
L2 = "DefaultL2NetworkOffering"
VPC_TIER = "DefaultIsolatedNetworkOfferingForVpcNetworks"


def offering_id(client: CloudStack, name: str) -> str:
    [found] = client.listNetworkOfferings(name=name)["networkoffering"]
    return str(found["id"])


def create(
    client: CloudStack, zone: SimZone, *, name: str = ISOLATED, **extra: Any
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": unique("net"),
        "displaytext": "a network",
        "zoneid": zone.id,
        "networkofferingid": offering_id(client, name),
    }
    params.update(extra)
    return dict(client.createNetwork(**params)["network"])


def networks(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listNetworks(**params).get("network", []))


def router_dir(network_dir: Path, network_id: str) -> Path | None:
    """The applied configuration of the router serving the network (None if none)."""
    found = [
        path.parent
        for path in network_dir.glob("r-*/dnsmasq.conf")
        if f"guest network {network_id} " in path.read_text()
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def generation(router: Path) -> int:
    return int(json.loads((router / "applied.json").read_text())["generation"])


def test_create_isolated_network(zone: SimZone, tenant: Tenant, admin: CloudStack) -> None:
    user = tenant.client()
    net = create(
        user, zone, gateway="10.50.0.1", netmask="255.255.255.0", networkdomain="lab.internal"
    )
    assert (net["type"], net["cidr"], net["gateway"], net["netmask"]) == (
        "Isolated",
        "10.50.0.0/24",
        "10.50.0.1",
        "255.255.255.0",
    )
    assert (net["state"], net["acltype"], net["account"], net["domainid"]) == (
        "Allocated",
        "Account",
        tenant.name,
        tenant.domainid,
    )
    assert (net["zoneid"], net["zonename"], net["traffictype"]) == (
        zone.id,
        zone.zone["name"],
        "Guest",
    )
    assert (
        net["networkofferingname"] == ISOLATED and net["networkofferingavailability"] == "Required"
    )
    assert net["networkdomain"] == "lab.internal" and net["displaytext"] == "a network"
    assert net["related"] == net["id"] and net["broadcastdomaintype"] == "Vlan"
    assert net["canusefordeploy"] is True and net["isdefault"] is True
    assert net["specifyipranges"] is False and net["issystem"] is False
    assert net["restartrequired"] is False and net["redundantrouter"] is False
    assert net["dns1"] == "8.8.8.8" and "created" in net and net["tags"] == []
    assert "vlan" not in net and "broadcasturi" not in net and "displaynetwork" not in net
    services = {service["name"]: service for service in net["service"]}
    assert {"SourceNat", "Firewall", "PortForwarding", "Lb", "Dhcp", "Dns"} <= set(services)
    assert services["SourceNat"]["provider"] == [{"name": "VirtualRouter"}]
    assert {"name": "SupportedSourceNatTypes", "value": "peraccount"} in [
        {"name": c["name"], "value": c["value"]} for c in services["SourceNat"]["capability"]
    ]

    default = create(user, zone)
    assert default["cidr"] == "10.1.1.0/24" and default["gateway"] == "10.1.1.1"
    assert {n["id"] for n in networks(user)} == {net["id"], default["id"]}
    assert [n["isdefault"] for n in networks(user, id=net["id"])] == [False]

    [seen] = networks(admin, id=net["id"])
    assert seen["displaynetwork"] is True and "vlan" not in seen
    events = user.listEvents(type="NETWORK.CREATE").get("event", [])
    assert any(net["name"] in event["description"] for event in events)


def test_bad_input_names_the_field(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    cases = [
        ({"gateway": "10.0.0.1"}, "netmask"),
        ({"gateway": "10.0.0.300", "netmask": "255.255.255.0"}, "gateway"),
        ({"gateway": "10.0.0.1", "netmask": "255.0.255.0"}, "netmask"),
        ({"gateway": "10.0.0.0", "netmask": "255.255.255.0"}, "gateway"),
        ({"gateway": "10.0.0.1", "netmask": "255.255.255.254"}, "netmask"),
        ({"gateway": "10.0.0.1", "netmask": "255.255.255.0", "startip": "10.0.1.5"}, "startip"),
        ({"networkdomain": "bad_domain!"}, "networkdomain"),
        ({"vlan": "150"}, "vlan"),
        ({"acltype": "everyone"}, "acltype"),
        ({"acltype": "domain"}, "acltype Domain"),
    ]
    for params, named in cases:
        error = api_error(
            user.createNetwork,
            name=unique("bad"),
            zoneid=zone.id,
            networkofferingid=offering_id(user, ISOLATED),
            **params,
        )
        assert error.errorcode == 431, (params, error)
        assert named in error.errortext, (params, error.errortext)
    error = api_error(
        user.createNetwork, zoneid=zone.id, networkofferingid=offering_id(user, ISOLATED)
    )
    assert error.errorcode == 431 and "name" in error.errortext
    tier = api_error(
        user.createNetwork, name="t", zoneid=zone.id, networkofferingid=offering_id(user, VPC_TIER)
    )
    assert tier.errorcode == 431 and "vpcid" in tier.errortext
    shared = api_error(
        user.createNetwork,
        name="s",
        zoneid=zone.id,
        networkofferingid=offering_id(user, SHARED),
        gateway="10.9.0.1",
        netmask="255.255.255.0",
        startip="10.9.0.10",
    )
    assert shared.errorcode == 431 and "Shared" in shared.errortext
    l2 = api_error(
        user.createNetwork,
        name="l",
        zoneid=zone.id,
        networkofferingid=offering_id(user, L2),
        gateway="10.9.0.1",
        netmask="255.255.255.0",
    )
    assert l2.errorcode == 431 and "gateway" in l2.errortext
    assert networks(user) == []


def shared_params(admin: CloudStack, zone: SimZone, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": unique("shared"),
        "zoneid": zone.id,
        "networkofferingid": offering_id(admin, SHARED),
        "gateway": "10.60.0.1",
        "netmask": "255.255.255.0",
        "startip": "10.60.0.10",
        "endip": "10.60.0.20",
        "vlan": "3000",
    }
    params.update(extra)
    return params


def test_shared_network_is_open_to_its_domain(
    zone: SimZone,
    admin: CloudStack,
    alto_server: AltoServer,
    tenant: Tenant,
    domain: dict[str, Any],
    so: dict[str, Any],
    template: dict[str, Any],
) -> None:
    vlan = "3001"
    net = dict(
        admin.createNetwork(**shared_params(admin, zone, domainid=domain["id"], vlan=vlan))[
            "network"
        ]
    )
    assert (net["type"], net["acltype"], net["vlan"], net["broadcasturi"]) == (
        "Shared",
        "Domain",
        vlan,
        f"vlan://{vlan}",
    )
    assert "account" not in net and net["domainid"] == domain["id"]
    assert (net["startip"], net["endip"], net["specifyipranges"]) == (
        "10.60.0.10",
        "10.60.0.20",
        True,
    )
    again = api_error(admin.createNetwork, **shared_params(admin, zone, vlan=vlan))
    assert again.errorcode == 431 and f"vlan {vlan}" in again.errortext
    for missing in ("startip", "vlan", "gateway"):
        params = shared_params(admin, zone)
        del params[missing]
        error = api_error(admin.createNetwork, **params)
        assert error.errorcode == 431 and missing in error.errortext, error

    user = tenant.client()
    [seen] = networks(user, type="shared")
    assert seen["id"] == net["id"] and "vlan" not in seen
    outsider = new_account(admin, endpoint=alto_server.endpoint).client()
    assert all(n["id"] != net["id"] for n in networks(outsider))
    assert api_error(outsider.listNetworks, id=net["id"]).errorcode == 431

    vm = deploy(user, zone, so, template, networkids=net["id"])
    [nic] = vm["nic"]
    assert nic["networkid"] == net["id"] and nic["type"] == "Shared"
    assert 10 <= int(nic["ipaddress"].rsplit(".", 1)[1]) <= 20
    busy = api_error(admin.deleteNetwork, id=net["id"])
    assert busy.errorcode == 536 and vm["name"] in busy.errortext
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    succeeded(admin, admin.deleteNetwork(id=net["id"]))
    assert networks(user, type="shared") == []


def test_shared_vlan_in_the_zone_range_is_taken_and_given_back(
    zone: SimZone, admin: CloudStack
) -> None:
    first = dict(admin.createNetwork(**shared_params(admin, zone, vlan="299"))["network"])
    assert first["vlan"] == "299"
    error = api_error(admin.createNetwork, **shared_params(admin, zone, vlan="vlan://299"))
    assert error.errorcode == 431 and "299" in error.errortext
    succeeded(admin, admin.deleteNetwork(id=first["id"]))
    second = dict(admin.createNetwork(**shared_params(admin, zone, vlan="299"))["network"])
    assert second["vlan"] == "299"
    succeeded(admin, admin.deleteNetwork(id=second["id"]))


def test_l2_network_has_no_addresses(
    zone: SimZone, tenant: Tenant, admin: CloudStack, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    net = create(user, zone, name=L2)
    assert net["type"] == "L2" and "cidr" not in net and "gateway" not in net
    vm = deploy(user, zone, so, template, networkids=net["id"])
    [nic] = vm["nic"]
    assert "ipaddress" not in nic and nic["macaddress"]
    [seen] = networks(admin, id=net["id"])
    assert seen["state"] == "Implemented" and 100 <= int(seen["vlan"]) <= 299


def test_update_network(
    zone: SimZone,
    tenant: Tenant,
    admin: CloudStack,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    net = create(user, zone, gateway="10.51.0.1", netmask="255.255.255.0")
    deploy(user, zone, so, template, networkids=net["id"])
    router = router_dir(network_dir, net["id"])
    assert router is not None
    before = generation(router)

    updated = succeeded(
        user,
        user.updateNetwork(
            id=net["id"], name="renamed", displaytext="new text", networkdomain="corp.internal"
        ),
    )["network"]
    assert (updated["name"], updated["displaytext"], updated["networkdomain"]) == (
        "renamed",
        "new text",
        "corp.internal",
    )
    assert generation(router) > before
    assert "domain=corp.internal" in (router / "dnsmasq.conf").read_text()

    for params, named in (
        ({"name": " "}, "name"),
        ({"networkdomain": "-bad-"}, "networkdomain"),
        ({"networkofferingid": offering_id(user, L2)}, "networkofferingid"),
        ({"networkofferingid": offering_id(user, VPC_TIER)}, "networkofferingid"),
    ):
        error = api_error(user.updateNetwork, id=net["id"], **params)
        assert error.errorcode == 431 and named in error.errortext, (params, error)

    other = dict(
        admin.createNetworkOffering(
            name=unique("iso"),
            guestiptype="Isolated",
            traffictype="Guest",
            supportedservices="Dhcp,Dns,SourceNat,Firewall,PortForwarding,StaticNat,Lb",
            enable=True,
        )["networkoffering"]
    )
    changed = succeeded(user, user.updateNetwork(id=net["id"], networkofferingid=other["id"]))
    assert changed["network"]["networkofferingid"] == other["id"]
    events = user.listEvents(type="NETWORK.UPDATE").get("event", [])
    assert len([e for e in events if e["state"] == "Completed" and e["level"] == "INFO"]) == 2


def test_restart_network(
    zone: SimZone,
    tenant: Tenant,
    admin: CloudStack,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    idle = create(user, zone)
    succeeded(user, user.restartNetwork(id=idle["id"]))
    [implemented] = networks(admin, id=idle["id"])
    assert implemented["state"] == "Implemented" and 100 <= int(implemented["vlan"]) <= 299
    assert router_dir(network_dir, idle["id"]) is not None

    net = create(user, zone, gateway="10.52.0.1", netmask="255.255.255.0")
    vm = deploy(user, zone, so, template, networkids=net["id"])
    router = router_dir(network_dir, net["id"])
    assert router is not None
    before = generation(router)
    assert succeeded(user, user.restartNetwork(id=net["id"])) == {"success": True}
    assert router_dir(network_dir, net["id"]) == router and generation(router) > before

    succeeded(user, user.restartNetwork(id=net["id"], cleanup=True))
    fresh = router_dir(network_dir, net["id"])
    assert fresh is not None and fresh != router and not router.exists()
    assert vm["nic"][0]["macaddress"] in (fresh / "dnsmasq.conf").read_text()
    events = user.listEvents(type="NETWORK.RESTART").get("event", [])
    assert len([e for e in events if e["state"] == "Completed" and e["level"] == "INFO"]) == 3


def test_delete_network(
    zone: SimZone,
    tenant: Tenant,
    admin: CloudStack,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    net = create(user, zone, gateway="10.53.0.1", netmask="255.255.255.0")
    vm = deploy(user, zone, so, template, networkids=net["id"])
    succeeded(
        user,
        user.createTags(
            resourceids=net["id"],
            resourcetype="Network",
            **{"tags[0].key": "env", "tags[0].value": "prod"},
        ),
    )
    [tagged] = networks(user, **{"tags[0].key": "env", "tags[0].value": "prod"})
    assert tagged["id"] == net["id"] and tagged["tags"][0]["value"] == "prod"
    [seen] = networks(admin, id=net["id"])
    router = router_dir(network_dir, net["id"])
    assert router is not None

    busy = api_error(user.deleteNetwork, id=net["id"])
    assert busy.errorcode == 536 and vm["name"] in busy.errortext
    succeeded(user, user.destroyVirtualMachine(id=vm["id"]))
    destroyed = api_error(user.deleteNetwork, id=net["id"])
    assert destroyed.errorcode == 536 and "Destroyed" in destroyed.errortext
    succeeded(admin, admin.expungeVirtualMachine(id=vm["id"]))
    assert succeeded(user, user.deleteNetwork(id=net["id"])) == {"success": True}
    assert networks(user) == []
    assert not router.exists()
    assert user.listTags(resourceid=net["id"]).get("tag", []) == []
    assert user.listPublicIpAddresses().get("publicipaddress", []) == []
    events = user.listEvents(type="NETWORK.DELETE").get("event", [])
    assert any(e["state"] == "Completed" and e["level"] == "INFO" for e in events)
    assert api_error(user.deleteNetwork, id=net["id"]).errorcode == 431

    again = create(user, zone, name=L2)
    succeeded(user, user.restartNetwork(id=again["id"]))
    [reused] = networks(admin, id=again["id"])
    assert reused["vlan"] == seen["vlan"]


def test_network_limit(zone: SimZone, tenant: Tenant, admin: CloudStack) -> None:
    user = tenant.client()
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=6, max=1)
    first = create(user, zone)
    error = api_error(
        user.createNetwork,
        name="two",
        zoneid=zone.id,
        networkofferingid=offering_id(user, ISOLATED),
    )
    assert error.errorcode == 532
    succeeded(user, user.deleteNetwork(id=first["id"]))
    create(user, zone)
    [limit] = user.listResourceLimits(resourcetype=6)["resourcelimit"]
    assert int(limit["max"]) == 1


def test_list_filters_and_paging(
    zone: SimZone, tenant: Tenant, admin: CloudStack, alto_server: AltoServer
) -> None:
    user = tenant.client()
    iso = [create(user, zone, name=ISOLATED, displaytext=f"web {i}") for i in range(3)]
    l2 = create(user, zone, name=L2)
    mine = {n["id"] for n in iso} | {l2["id"]}

    def ids(**params: Any) -> set[str]:
        return {n["id"] for n in networks(user, **params)}

    assert ids() == mine
    assert ids(type="L2") == {l2["id"]} and ids(type="isolated") == mine - {l2["id"]}
    assert ids(type="all") == mine and ids(traffictype="guest") == mine
    assert ids(keyword="web 1") == {iso[1]["id"]} and ids(name=iso[2]["name"]) == {iso[2]["id"]}
    assert ids(supportedservices="Lb,SourceNat") == mine - {l2["id"]}
    assert ids(supportedservices="Lb", type="L2") == set()
    assert ids(canusefordeploy=True) == mine and ids(isdefault=True) == set()
    assert ids(forvpc=False) == mine and ids(forvpc=True) == set()
    assert ids(acltype="account") == mine and ids(restartrequired=False) == mine
    assert ids(zoneid=zone.id) == mine
    assert ids(networkofferingid=offering_id(user, L2)) == {l2["id"]}
    assert ids(ids=f"{iso[0]['id']},{l2['id']}") == {iso[0]["id"], l2["id"]}
    assert ids(issystem=True) == set()
    pages = [user.listNetworks(page=page, pagesize=3) for page in (1, 2)]
    assert [p["count"] for p in pages] == [4, 4]
    assert {n["id"] for p in pages for n in p["network"]} == mine
    assert api_error(user.listNetworks, type="bridged").errorcode == 431

    other = new_account(admin, endpoint=alto_server.endpoint).client()
    assert networks(other) == []
    assert api_error(other.listNetworks, id=iso[0]["id"]).errorcode == 431
    assert api_error(other.deleteNetwork, id=iso[0]["id"]).errorcode == 431
    assert mine <= {n["id"] for n in networks(admin, listall=True)}
    assert mine.isdisjoint({n["id"] for n in networks(admin)})
    assert ids(listall=True) == mine


def test_failed_restart_leaves_the_network_consistent(
    zone: SimZone,
    tenant: Tenant,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    net = create(user, zone, gateway="10.54.0.1", netmask="255.255.255.0")
    deploy(user, zone, so, template, networkids=net["id"])
    router = router_dir(network_dir, net["id"])
    assert router is not None
    before = generation(router)
    faults = network_dir / "faults.json"
    faults.write_text(json.dumps({"apply": 1, "router": router.name}))
    try:
        error = failed(user, user.restartNetwork(id=net["id"]))
    finally:
        faults.unlink()
    assert error["errorcode"] == 534 and router.name in error["errortext"]
    assert generation(router) == before
    succeeded(user, user.restartNetwork(id=net["id"]))
    assert generation(router) > before
