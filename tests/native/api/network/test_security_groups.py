"""Security groups through `cs`: groups, ingress and egress rules, bad input, ownership,
tags and events (VM membership and router enforcement: test_security_groups_vms.py)."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import succeeded


def groups_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listSecurityGroups(**params).get("securitygroup", []))


def create_group(client: CloudStack, name: str | None = None) -> dict[str, Any]:
    return dict(
        client.createSecurityGroup(name=name or unique("sg"), description="test group")[
            "securitygroup"
        ]
    )


def authorize(client: CloudStack, direction: str, **params: Any) -> dict[str, Any]:
    """Authorize rules (`direction` Ingress or Egress); the job's `securitygroup`."""
    call = getattr(client, f"authorizeSecurityGroup{direction}")
    return dict(succeeded(client, call(**params))["securitygroup"])


@pytest.fixture
def neighbour(admin: CloudStack, alto_server: AltoServer, tenant: Tenant) -> Tenant:
    """A second user account in the tenant's domain."""
    return new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint)


def test_every_account_has_a_default_group(admin: CloudStack, tenant: Tenant) -> None:
    [default] = groups_of(tenant.client())
    assert default["name"] == "default"
    assert default["account"] == tenant.name and default["domainid"] == tenant.domainid
    assert default["ingressrule"] == [] and default["egressrule"] == []
    assert default["virtualmachinecount"] == 0
    [mine] = groups_of(admin, securitygroupname="default")
    assert mine["account"] == "admin"


def test_create_list_and_delete(tenant: Tenant) -> None:
    user = tenant.client()
    web = create_group(user, "web")
    assert (web["name"], web["description"], web["account"]) == ("web", "test group", tenant.name)
    assert web["ingressrule"] == [] and web["egressrule"] == []
    create_group(user, "db")
    assert sorted(g["name"] for g in groups_of(user)) == ["db", "default", "web"]
    assert [g["id"] for g in groups_of(user, securitygroupname="web")] == [web["id"]]
    assert [g["name"] for g in groups_of(user, id=web["id"])] == ["web"]
    assert [g["name"] for g in groups_of(user, keyword="we")] == ["web"]
    page = user.listSecurityGroups(page=1, pagesize=2)
    assert page["count"] == 3 and len(page["securitygroup"]) == 2

    for name in ("web", "WEB", "default", "Default"):
        error = api_error(user.createSecurityGroup, name=name)
        assert error.errorcode == 431, error
    error = api_error(user.deleteSecurityGroup, name="default")
    assert error.errorcode == 431
    assert "default security group cannot be deleted" in error.errortext

    assert user.deleteSecurityGroup(name="db")["success"] is True
    assert user.deleteSecurityGroup(id=web["id"])["success"] is True
    assert [g["name"] for g in groups_of(user)] == ["default"]
    error = api_error(user.deleteSecurityGroup, name="web")
    assert error.errorcode == 431


def test_ingress_and_egress_rules_with_cidrs(tenant: Tenant) -> None:
    user = tenant.client()
    web = create_group(user)
    answer = authorize(
        user,
        "Ingress",
        securitygroupid=web["id"],
        protocol="TCP",
        startport=80,
        endport=81,
        cidrlist="10.1.0.0/16,192.168.0.0/24",
    )
    assert answer["id"] == web["id"] and answer["egressrule"] == []
    assert [
        (r["protocol"], r["startport"], r["endport"], r["cidr"]) for r in answer["ingressrule"]
    ] == [
        ("tcp", 80, 81, "10.1.0.0/16"),
        ("tcp", 80, 81, "192.168.0.0/24"),
    ]
    icmp = authorize(
        user,
        "Ingress",
        securitygroupname=web["name"],
        protocol="icmp",
        icmptype=8,
        icmpcode=0,
        cidrlist="0.0.0.0/0",
    )["ingressrule"][0]
    assert (icmp["icmptype"], icmp["icmpcode"]) == (8, 0) and "startport" not in icmp
    egress = authorize(
        user,
        "Egress",
        securitygroupid=web["id"],
        protocol="udp",
        startport=53,
        cidrlist="8.8.8.8/32",
    )
    assert egress["ingressrule"] == []
    [dns] = egress["egressrule"]
    assert (dns["protocol"], dns["startport"], dns["endport"]) == ("udp", 53, 53)
    everything = authorize(user, "Egress", securitygroupid=web["id"], cidrlist="10.0.0.0/8")
    assert everything["egressrule"][0]["protocol"] == "all"

    [listed] = groups_of(user, id=web["id"])
    assert len(listed["ingressrule"]) == 3 and len(listed["egressrule"]) == 2
    rule_id = answer["ingressrule"][0]["ruleid"]
    error = api_error(user.revokeSecurityGroupEgress, id=rule_id)
    assert error.errorcode == 431 and "Mismatch in rule type" in error.errortext
    assert succeeded(user, user.revokeSecurityGroupIngress(id=rule_id))["success"] is True
    assert succeeded(user, user.revokeSecurityGroupEgress(id=dns["ruleid"]))["success"] is True
    [listed] = groups_of(user, id=web["id"])
    assert [r["cidr"] for r in listed["ingressrule"]] == ["192.168.0.0/24", "0.0.0.0/0"]
    assert [r["cidr"] for r in listed["egressrule"]] == ["10.0.0.0/8"]
    error = api_error(user.revokeSecurityGroupIngress, id=rule_id)
    assert error.errorcode == 431


def test_rules_with_group_sources(tenant: Tenant, neighbour: Tenant) -> None:
    user = tenant.client()
    web, app = create_group(user), create_group(user)
    theirs = create_group(neighbour.client(), "partners")
    answer = authorize(
        user,
        "Ingress",
        securitygroupid=app["id"],
        protocol="tcp",
        startport=8080,
        **{
            "usersecuritygrouplist[0].account": tenant.name,
            "usersecuritygrouplist[0].group": web["name"],
            "usersecuritygrouplist[1].account": neighbour.name,
            "usersecuritygrouplist[1].group": "partners",
        },
    )
    assert [(r["account"], r["securitygroupname"]) for r in answer["ingressrule"]] == [
        (tenant.name, web["name"]),
        (neighbour.name, "partners"),
    ]
    assert all("cidr" not in r for r in answer["ingressrule"])
    egress = authorize(
        user,
        "Egress",
        securitygroupid=web["id"],
        protocol="tcp",
        startport=8080,
        **{
            "usersecuritygrouplist[0].account": tenant.name,
            "usersecuritygrouplist[0].group": app["name"],
        },
    )
    assert egress["egressrule"][0]["securitygroupname"] == app["name"]

    error = api_error(neighbour.client().deleteSecurityGroup, id=theirs["id"])
    assert error.errorcode == 536 and "allow this group" in error.errortext
    for entry in (
        {"account": tenant.name},
        {"account": "nobody", "group": "x"},
        {"account": tenant.name, "group": "nothing"},
    ):
        params = {f"usersecuritygrouplist[0].{key}": value for key, value in entry.items()}
        error = api_error(
            user.authorizeSecurityGroupIngress,
            securitygroupid=web["id"],
            protocol="tcp",
            startport=1,
            **params,
        )
        assert error.errorcode == 431, entry


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"protocol": "icmp", "startport": 22, "cidrlist": "0.0.0.0/0"}, "startport"),
        ({"protocol": "tcp", "startport": 90, "endport": 80, "cidrlist": "0.0.0.0/0"}, "90-80"),
        ({"protocol": "tcp", "startport": 70000, "cidrlist": "0.0.0.0/0"}, "70000"),
        ({"protocol": "tcp", "cidrlist": "0.0.0.0/0"}, "startport"),
        ({"protocol": "tcp", "startport": 22, "icmptype": 8, "cidrlist": "0.0.0.0/0"}, "icmptype"),
        ({"protocol": "all", "startport": 22, "cidrlist": "0.0.0.0/0"}, "startport"),
        ({"protocol": "bogus", "cidrlist": "0.0.0.0/0"}, "bogus"),
        ({"protocol": "300", "cidrlist": "0.0.0.0/0"}, "300"),
        ({"protocol": "icmp", "icmptype": 300, "cidrlist": "0.0.0.0/0"}, "icmptype"),
        ({"protocol": "tcp", "startport": 22, "cidrlist": "10.0.0.300/24"}, "cidrlist"),
        ({"protocol": "tcp", "startport": 22, "cidrlist": "10.0.0.1/24"}, "cidrlist"),
        ({"protocol": "tcp", "startport": 22}, "At least one cidr"),
    ],
)
def test_bad_rules_are_refused(tenant: Tenant, params: dict[str, Any], words: str) -> None:
    user = tenant.client()
    [default] = groups_of(user)
    error = api_error(user.authorizeSecurityGroupIngress, securitygroupid=default["id"], **params)
    assert error.errorcode == 431, error
    assert words in error.errortext
    assert groups_of(user)[0]["ingressrule"] == []


def test_a_duplicate_rule_is_refused_and_nothing_is_added(tenant: Tenant) -> None:
    user = tenant.client()
    [default] = groups_of(user)
    rule = {"securitygroupid": default["id"], "protocol": "tcp", "startport": 22}
    authorize(user, "Ingress", cidrlist="10.0.0.0/8", **rule)
    error = api_error(
        user.authorizeSecurityGroupIngress, cidrlist="172.16.0.0/12,10.0.0.0/8", **rule
    )
    assert error.errorcode == 431 and "already has this ingress rule" in error.errortext
    assert [r["cidr"] for r in groups_of(user)[0]["ingressrule"]] == ["10.0.0.0/8"]
    authorize(user, "Egress", cidrlist="10.0.0.0/8", **rule)
    assert len(groups_of(user)[0]["egressrule"]) == 1


def test_accounts_cannot_touch_each_others_groups(tenant: Tenant, neighbour: Tenant) -> None:
    mine = create_group(tenant.client())
    rule = authorize(tenant.client(), "Ingress", securitygroupid=mine["id"], cidrlist="1.2.3.0/24")
    other = neighbour.client()
    assert [g["name"] for g in groups_of(other)] == ["default"]
    assert api_error(other.listSecurityGroups, id=mine["id"]).errorcode == 431
    assert api_error(other.deleteSecurityGroup, id=mine["id"]).errorcode == 431
    error = api_error(
        other.authorizeSecurityGroupIngress, securitygroupid=mine["id"], cidrlist="0.0.0.0/0"
    )
    assert error.errorcode == 431
    error = api_error(
        other.authorizeSecurityGroupIngress,
        securitygroupname=mine["name"],
        account=tenant.name,
        domainid=tenant.domainid,
        cidrlist="0.0.0.0/0",
    )
    assert error.errorcode in (431, 531)
    error = api_error(other.revokeSecurityGroupIngress, id=rule["ingressrule"][0]["ruleid"])
    assert error.errorcode == 431
    assert len(groups_of(tenant.client(), id=mine["id"])[0]["ingressrule"]) == 1


def test_admin_manages_an_accounts_groups(admin: CloudStack, tenant: Tenant) -> None:
    made = admin.createSecurityGroup(name="ops", account=tenant.name, domainid=tenant.domainid)[
        "securitygroup"
    ]
    assert made["account"] == tenant.name
    authorize(
        admin,
        "Ingress",
        securitygroupname="ops",
        account=tenant.name,
        domainid=tenant.domainid,
        protocol="udp",
        startport=0,
        endport=0,
        cidrlist="0.0.0.0/0",
    )
    [ops] = groups_of(tenant.client(), securitygroupname="ops")
    assert (ops["ingressrule"][0]["startport"], ops["ingressrule"][0]["endport"]) == (0, 65535)
    listed = groups_of(admin, domainid=tenant.domainid, listall=True)
    assert {g["name"] for g in listed if g["account"] == tenant.name} == {"default", "ops"}
    admin.deleteSecurityGroup(name="ops", account=tenant.name, domainid=tenant.domainid)
    assert [g["name"] for g in groups_of(tenant.client())] == ["default"]


def test_tags(tenant: Tenant) -> None:
    user = tenant.client()
    web, db = create_group(user), create_group(user)
    succeeded(
        user,
        user.createTags(
            resourceids=web["id"],
            resourcetype="SecurityGroup",
            **{"tags[0].key": "tier", "tags[0].value": "web"},
        ),
    )
    tagged = groups_of(user, **{"tags[0].key": "tier", "tags[0].value": "web"})
    assert [g["id"] for g in tagged] == [web["id"]]
    assert [(t["key"], t["value"], t["resourcetype"]) for t in tagged[0]["tags"]] == [
        ("tier", "web", "SecurityGroup")
    ]
    assert db["id"] not in {g["id"] for g in tagged}
    rule = authorize(user, "Ingress", securitygroupid=web["id"], cidrlist="10.0.0.0/8")
    rule_id = rule["ingressrule"][0]["ruleid"]
    succeeded(
        user,
        user.createTags(
            resourceids=rule_id,
            resourcetype="SecurityGroupRule",
            **{"tags[0].key": "why", "tags[0].value": "ops"},
        ),
    )
    [listed] = groups_of(user, id=web["id"])
    assert listed["ingressrule"][0]["tags"][0]["key"] == "why"
    succeeded(user, user.revokeSecurityGroupIngress(id=rule_id))
    user.deleteSecurityGroup(id=web["id"])
    assert user.listTags(resourceid=web["id"]) == {}
    assert user.listTags(resourceid=rule_id) == {}


def test_events(tenant: Tenant) -> None:
    user = tenant.client()
    group = create_group(user)
    rule = authorize(user, "Ingress", securitygroupid=group["id"], cidrlist="10.0.0.0/8")
    authorize(user, "Egress", securitygroupid=group["id"], cidrlist="10.0.0.0/8")
    succeeded(user, user.revokeSecurityGroupIngress(id=rule["ingressrule"][0]["ruleid"]))
    user.deleteSecurityGroup(id=group["id"])
    assert api_error(user.createSecurityGroup, name="default").errorcode == 431
    events = user.listEvents(pagesize=500).get("event", [])
    done = {(e["type"], e["state"]) for e in events if e["level"] == "INFO"}
    for kind in (
        "SG.CREATE",
        "SG.AUTH.INGRESS",
        "SG.AUTH.EGRESS",
        "SG.REVOKE.INGRESS",
        "SG.DELETE",
    ):
        assert (kind, "Completed") in done, kind
    assert any(e["type"] == "SG.CREATE" and e["level"] == "ERROR" for e in events)
