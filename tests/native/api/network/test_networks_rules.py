"""Networks and the rules on them: an offering change is refused when rules use a service
the new offering lacks, a NIC that a port forward names stays, and deleting a network
removes its rules (with their tags) and gives its public IPs back."""

from __future__ import annotations

from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.networks import create_network
from tests.support.tenants import Tenant, unique
from tests.support.vms import deploy, succeeded
from tests.support.zones import SimZone


def associate(client: CloudStack, network: dict[str, Any]) -> dict[str, Any]:
    answer = client.associateIpAddress(networkid=network["id"])
    return dict(succeeded(client, answer)["ipaddress"])


def load_balancer(client: CloudStack, ip: dict[str, Any]) -> dict[str, Any]:
    answer = client.createLoadBalancerRule(
        name=unique("lb"),
        publicipid=ip["id"],
        publicport=80,
        privateport=8080,
        algorithm="roundrobin",
    )
    return dict(succeeded(client, answer)["loadbalancer"])


def test_offering_change_needs_the_services_rules_use(
    zone: SimZone, tenant: Tenant, admin: CloudStack, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    net = create_network(user, zone, "10.90.0")
    deploy(user, zone, so, template, networkids=net["id"])
    load_balancer(user, associate(user, net))
    no_lb = admin.createNetworkOffering(
        name=unique("nolb"),
        guestiptype="Isolated",
        traffictype="Guest",
        supportedservices="Dhcp,Dns,SourceNat,Firewall,PortForwarding,StaticNat",
        enable=True,
    )["networkoffering"]
    error = api_error(user.updateNetwork, id=net["id"], networkofferingid=no_lb["id"])
    assert (
        error.errorcode == 431
        and "Lb" in error.errortext
        and "networkofferingid" in error.errortext
    )


def test_a_nic_named_by_a_port_forward_stays(
    zone: SimZone, tenant: Tenant, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    front = create_network(user, zone, "10.91.0")
    back = create_network(user, zone, "10.92.0")
    vm = deploy(user, zone, so, template, networkids=f"{front['id']},{back['id']}")
    nic = next(n for n in vm["nic"] if n["networkid"] == back["id"])
    ip = associate(user, back)
    succeeded(
        user,
        user.createPortForwardingRule(
            ipaddressid=ip["id"],
            protocol="tcp",
            publicport=22,
            privateport=22,
            virtualmachineid=vm["id"],
            networkid=back["id"],
        ),
    )
    error = api_error(user.removeNicFromVirtualMachine, virtualmachineid=vm["id"], nicid=nic["id"])
    assert error.errorcode == 431 and "port forwarding" in error.errortext


def test_delete_removes_rules_and_gives_ips_back(
    zone: SimZone, tenant: Tenant, admin: CloudStack, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=1, max=2)
    net = create_network(user, zone, "10.93.0")
    vm = deploy(user, zone, so, template, networkids=net["id"])
    ip = associate(user, net)
    lb = load_balancer(user, ip)
    succeeded(user, user.assignToLoadBalancerRule(id=lb["id"], virtualmachineids=vm["id"]))
    succeeded(
        user,
        user.createFirewallRule(ipaddressid=ip["id"], protocol="tcp", startport=443, endport=443),
    )
    succeeded(
        user,
        user.createTags(
            resourceids=lb["id"],
            resourcetype="LoadBalancer",
            **{"tags[0].key": "tier", "tags[0].value": "web"},
        ),
    )
    succeeded(
        user,
        user.createPortForwardingRule(
            ipaddressid=ip["id"],
            protocol="tcp",
            publicport=2222,
            privateport=22,
            virtualmachineid=vm["id"],
            openfirewall=True,
        ),
    )
    opened = user.listFirewallRules(ipaddressid=ip["id"])["firewallrule"]
    assert {str(rule["startport"]) for rule in opened} == {"80", "443", "2222"}
    succeeded(admin, admin.destroyVirtualMachine(id=vm["id"], expunge=True))
    assert user.listPortForwardingRules().get("portforwardingrule", []) == []
    left = user.listFirewallRules(ipaddressid=ip["id"])["firewallrule"]
    assert {str(rule["startport"]) for rule in left} == {"80", "443"}
    succeeded(user, user.deleteNetwork(id=net["id"]))

    [freed] = admin.listPublicIpAddresses(id=ip["id"], allocatedonly=False)["publicipaddress"]
    assert freed["state"] == "Free" and "associatednetworkid" not in freed
    assert user.listLoadBalancerRules().get("loadbalancerrule", []) == []
    assert user.listFirewallRules().get("firewallrule", []) == []
    assert user.listTags(resourceid=lb["id"]).get("tag", []) == []
    other = create_network(user, zone, "10.94.0")
    associate(user, other)
