"""Security groups of a VPC (Alto extension): `vpcid` on createSecurityGroup and
listSecurityGroups, names unique per VPC, each VPC's own `default` group (made and removed
with the VPC), and the allow-all egress rule a VPC group starts with."""

from __future__ import annotations

from typing import Any

from cs import CloudStack

from tests.native.api.network.vpc_helpers import create_tier, create_vpc
from tests.support.api import api_error
from tests.support.tenants import Tenant
from tests.support.vms import deploy, succeeded
from tests.support.zones import SimZone


def groups_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listSecurityGroups(**params).get("securitygroup", []))


def rule_shape(rule: dict[str, Any]) -> tuple[Any, ...]:
    return (rule["protocol"], rule.get("cidr"), rule.get("securitygroupid"))


def test_a_vpc_gets_its_own_default_group(tenant: Tenant, zone: SimZone) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    [default] = groups_of(user, vpcid=vpc["id"])
    assert (default["name"], default["vpcid"]) == ("default", vpc["id"])
    assert [rule_shape(r) for r in default["ingressrule"]] == [("all", None, default["id"])]
    assert default["ingressrule"][0]["securitygroupname"] == "default"
    assert [rule_shape(r) for r in default["egressrule"]] == [("all", "0.0.0.0/0", None)]
    account_wide = [g for g in groups_of(user) if "vpcid" not in g]
    assert [g["name"] for g in account_wide] == ["default"]
    assert account_wide[0]["ingressrule"] == [] and account_wide[0]["egressrule"] == []


def test_a_group_in_a_vpc_starts_with_allow_all_egress(tenant: Tenant, zone: SimZone) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    web = user.createSecurityGroup(name="web", description="d", vpcid=vpc["id"])["securitygroup"]
    assert web["vpcid"] == vpc["id"] and web["ingressrule"] == []
    [egress] = web["egressrule"]
    assert rule_shape(egress) == ("all", "0.0.0.0/0", None)
    succeeded(user, user.revokeSecurityGroupEgress(id=egress["ruleid"]))
    [listed] = groups_of(user, id=web["id"])
    assert listed["egressrule"] == [] and listed["vpcid"] == vpc["id"]
    plain = user.createSecurityGroup(name="plain")["securitygroup"]
    assert plain["egressrule"] == [] and "vpcid" not in plain


def test_names_are_unique_per_vpc(tenant: Tenant, zone: SimZone) -> None:
    user = tenant.client()
    first = create_vpc(user, zone, start=False, cidr="10.1.0.0/16")
    second = create_vpc(user, zone, start=False, cidr="10.2.0.0/16")
    user.createSecurityGroup(name="web", vpcid=first["id"])
    user.createSecurityGroup(name="web", vpcid=second["id"])
    user.createSecurityGroup(name="web")
    error = api_error(user.createSecurityGroup, name="WEB", vpcid=first["id"])
    assert error.errorcode == 431 and "already exists" in error.errortext
    error = api_error(user.createSecurityGroup, name="default", vpcid=first["id"])
    assert error.errorcode == 431 and "reserved" in error.errortext
    assert sorted(g["name"] for g in groups_of(user, vpcid=first["id"])) == ["default", "web"]
    assert sorted(g["name"] for g in groups_of(user, securitygroupname="web")) == ["web"] * 3


def test_peer_names_are_looked_up_in_the_groups_vpc(tenant: Tenant, zone: SimZone) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    web = user.createSecurityGroup(name="web", vpcid=vpc["id"])["securitygroup"]
    db = user.createSecurityGroup(name="db", vpcid=vpc["id"])["securitygroup"]
    user.createSecurityGroup(name="web")
    group = succeeded(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=db["id"],
            protocol="tcp",
            startport=5432,
            endport=5432,
            usersecuritygrouplist=[{"account": tenant.name, "group": "web"}],
        ),
    )["securitygroup"]
    [rule] = group["ingressrule"]
    assert (rule["securitygroupid"], rule["securitygroupname"]) == (web["id"], "web")
    assert "description" not in rule


def test_rules_carry_a_description(tenant: Tenant) -> None:
    user = tenant.client()
    group = user.createSecurityGroup(name="described")["securitygroup"]
    added = succeeded(
        user,
        user.authorizeSecurityGroupIngress(
            securitygroupid=group["id"],
            protocol="tcp",
            startport=22,
            cidrlist="10.0.0.0/8,192.168.0.0/16",
            description="ssh from the office",
        ),
    )["securitygroup"]["ingressrule"]
    assert [r["description"] for r in added] == ["ssh from the office"] * 2
    error = api_error(
        user.authorizeSecurityGroupIngress,
        securitygroupid=group["id"],
        protocol="tcp",
        startport=22,
        cidrlist="10.0.0.0/8",
        description="another text, the same rule",
    )
    assert error.errorcode == 431 and "already has this ingress rule" in error.errortext
    [listed] = groups_of(user, id=group["id"])
    assert {r["cidr"]: r["description"] for r in listed["ingressrule"]} == {
        "10.0.0.0/8": "ssh from the office",
        "192.168.0.0/16": "ssh from the office",
    }


def test_the_vpc_default_group_goes_with_the_vpc(tenant: Tenant, zone: SimZone) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    [default] = groups_of(user, vpcid=vpc["id"])
    assert api_error(user.deleteSecurityGroup, id=default["id"]).errorcode == 431
    extra = user.createSecurityGroup(name="extra", vpcid=vpc["id"])["securitygroup"]
    error = api_error(user.deleteVPC, id=vpc["id"])
    assert error.errorcode == 536 and "security groups" in error.errortext
    assert user.deleteSecurityGroup(id=extra["id"])["success"] is True
    succeeded(user, user.deleteVPC(id=vpc["id"]))
    assert [g["name"] for g in groups_of(user)] == ["default"]
    assert api_error(user.listSecurityGroups, id=default["id"]).errorcode == 431


def test_a_vpc_of_another_account_is_refused(
    tenant: Tenant, admin: CloudStack, zone: SimZone
) -> None:
    theirs = create_vpc(admin, zone, start=False)
    error = api_error(tenant.client().createSecurityGroup, name="web", vpcid=theirs["id"])
    assert error.errorcode == 431
    succeeded(admin, admin.deleteVPC(id=theirs["id"]))


def test_a_vm_joins_only_groups_of_its_vpc(
    tenant: Tenant, zone: SimZone, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    tier = create_tier(user, zone, vpc, gateway="10.10.1.1")
    other = create_vpc(user, zone, start=False, cidr="10.30.0.0/16")
    web = user.createSecurityGroup(name="web", vpcid=vpc["id"])["securitygroup"]
    elsewhere = user.createSecurityGroup(name="web", vpcid=other["id"])["securitygroup"]
    error = api_error(
        user.deployVirtualMachine,
        zoneid=zone.id,
        serviceofferingid=so["id"],
        templateid=template["id"],
        networkids=tier["id"],
        securitygroupids=elsewhere["id"],
        startvm=False,
    )
    assert error.errorcode == 431 and "VPC the VM has no network in" in error.errortext
    vm = deploy(
        user, zone, so, template, networkids=tier["id"], securitygroupids=web["id"], startvm=False
    )
    assert [g["id"] for g in vm["securitygroup"]] == [web["id"]]
    error = api_error(user.updateVirtualMachine, id=vm["id"], securitygroupids=elsewhere["id"])
    assert error.errorcode == 431 and "VPC the VM has no network in" in error.errortext
    [listed] = groups_of(user, id=web["id"])
    assert listed["virtualmachineids"] == [vm["id"]]


def test_a_destroyed_member_does_not_keep_its_group(
    tenant: Tenant, zone: SimZone, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    tier = create_tier(user, zone, vpc, gateway="10.10.1.1")
    web = user.createSecurityGroup(name="web", vpcid=vpc["id"])["securitygroup"]
    vm = deploy(
        user, zone, so, template, networkids=tier["id"], securitygroupids=web["id"], startvm=False
    )
    error = api_error(user.deleteSecurityGroup, id=web["id"])
    assert error.errorcode == 536 and "in use by virtual machines" in error.errortext
    succeeded(user, user.destroyVirtualMachine(id=vm["id"]))
    assert user.deleteSecurityGroup(id=web["id"])["success"] is True
    assert [g["name"] for g in groups_of(user, vpcid=vpc["id"])] == ["default"]
