"""Network ACL lists and items through `cs`: the default lists, creating, listing,
updating and deleting lists and items, bad input, ownership, tags and events (what the
router runs and failed applies: test_network_acls_apply.py)."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.vpc_helpers import create_vpc
from tests.support.api import api_error
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.vms import succeeded
from tests.support.zones import SimZone


@pytest.fixture
def vpc(zone: SimZone, tenant: Tenant) -> dict[str, Any]:
    return create_vpc(tenant.client(), zone, cidr="10.40.0.0/16", start=False)


def lists_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listNetworkACLLists(**params).get("networkacllist", []))


def items_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listNetworkACLs(**params).get("networkacl", []))


def new_list(client: CloudStack, vpc: dict[str, Any], name: str = "web") -> dict[str, Any]:
    answer = client.createNetworkACLList(name=name, description=f"{name} rules", vpcid=vpc["id"])
    return dict(succeeded(client, answer)["networkacllist"])


def new_item(client: CloudStack, acl: dict[str, Any], **params: Any) -> dict[str, Any]:
    params.setdefault("protocol", "tcp")
    answer = client.createNetworkACL(aclid=acl["id"], **params)
    return dict(succeeded(client, answer)["networkacl"])


def test_default_lists_are_there_for_everyone_and_fixed(tenant: Tenant) -> None:
    user = tenant.client()
    defaults = {acl["name"]: acl for acl in lists_of(user)}
    assert set(defaults) == {"default_allow", "default_deny"}
    allow = defaults["default_allow"]
    assert allow["description"] == "Default Network ACL Allow All" and "vpcid" not in allow
    items = items_of(user, aclid=allow["id"])
    assert [(i["number"], i["action"], i["traffictype"], i["protocol"]) for i in items] == [
        (1, "Allow", "Ingress", "all"),
        (2, "Allow", "Egress", "all"),
    ]
    assert items[0]["cidrlist"] == "0.0.0.0/0" and items[0]["aclname"] == "default_allow"

    error = api_error(user.deleteNetworkACLList, id=allow["id"])
    assert error.errorcode == 431 and "Default ACL cannot be removed" in error.errortext
    error = api_error(user.createNetworkACL, aclid=allow["id"], protocol="tcp", startport=22)
    assert error.errorcode == 431 and "Default ACL cannot be modified" in error.errortext
    error = api_error(user.updateNetworkACLList, id=allow["id"], name="mine")
    assert error.errorcode == 431
    error = api_error(user.deleteNetworkACL, id=items[0]["id"])
    assert error.errorcode == 431 and "default ACL cannot be deleted" in error.errortext
    error = api_error(user.updateNetworkACLItem, id=items[0]["id"], action="deny")
    assert error.errorcode == 431


def test_lists_create_update_delete(tenant: Tenant, vpc: dict[str, Any]) -> None:
    user = tenant.client()
    acl = new_list(user, vpc)
    assert (acl["name"], acl["description"]) == ("web", "web rules")
    assert (acl["vpcid"], acl["vpcname"]) == (vpc["id"], vpc["name"])
    other = new_list(user, vpc, "db")
    names = [found["name"] for found in lists_of(user, vpcid=vpc["id"])]
    assert names == ["default_allow", "default_deny", "web", "db"]
    assert [found["id"] for found in lists_of(user, id=acl["id"])] == [acl["id"]]
    assert [found["id"] for found in lists_of(user, name="db")] == [other["id"]]
    assert [found["id"] for found in lists_of(user, keyword="db rul")] == [other["id"]]

    answer = user.updateNetworkACLList(id=acl["id"], name="front", description="front rules")
    updated = succeeded(user, answer)["networkacllist"]
    assert (updated["name"], updated["description"]) == ("front", "front rules")
    assert succeeded(user, user.deleteNetworkACLList(id=other["id"])) == {"success": True}
    names = [found["name"] for found in lists_of(user, vpcid=vpc["id"])]
    assert names == ["default_allow", "default_deny", "front"]


def test_items_create_list_update_delete(tenant: Tenant, vpc: dict[str, Any]) -> None:
    user = tenant.client()
    acl = new_list(user, vpc)
    http = new_item(user, acl, startport=80, endport=443, cidrlist="10.0.0.0/8,192.0.2.0/24")
    assert (http["protocol"], http["startport"], http["endport"]) == ("tcp", "80", "443")
    assert (http["number"], http["action"], http["traffictype"]) == (1, "Allow", "Ingress")
    assert (http["state"], http["aclid"], http["aclname"]) == ("Active", acl["id"], "web")
    assert http["cidrlist"] == "10.0.0.0/8,192.0.2.0/24" and "fordisplay" not in http
    ping = new_item(
        user,
        acl,
        protocol="ICMP",
        icmptype=8,
        icmpcode=0,
        action="DENY",
        traffictype="egress",
        number=10,
        reason="no pings out",
    )
    assert (ping["protocol"], ping["icmptype"], ping["icmpcode"]) == ("icmp", 8, 0)
    assert (ping["action"], ping["traffictype"], ping["reason"]) == (
        "Deny",
        "Egress",
        "no pings out",
    )
    assert "startport" not in ping
    anything = new_item(user, acl, protocol="all")
    assert anything["number"] == 11
    gre = new_item(user, acl, protocol="47")
    assert gre["protocol"] == "47" and gre["number"] == 12
    any_icmp = new_item(user, acl, protocol="icmp")
    assert (any_icmp["icmptype"], any_icmp["icmpcode"]) == (-1, -1)

    def numbers(**params: Any) -> list[int]:
        return [item["number"] for item in items_of(user, **params)]

    assert numbers(aclid=acl["id"]) == [1, 10, 11, 12, 13]
    assert numbers(aclid=acl["id"], traffictype="Egress") == [10]
    assert numbers(aclid=acl["id"], protocol="tcp") == [1]
    assert numbers(aclid=acl["id"], action="deny") == [10]
    assert numbers(id=http["id"]) == [1]

    answer = user.updateNetworkACLItem(id=http["id"], startport=8080, endport=8081, number=2)
    moved = succeeded(user, answer)["networkacl"]
    assert (moved["startport"], moved["endport"], moved["number"]) == ("8080", "8081", 2)
    assert moved["cidrlist"] == "10.0.0.0/8,192.0.2.0/24" and moved["state"] == "Active"
    answer = user.updateNetworkACLItem(id=moved["id"], protocol="udp", partialupgrade=False)
    reset = succeeded(user, answer)["networkacl"]
    assert (reset["protocol"], reset["cidrlist"], reset["number"]) == ("udp", "0.0.0.0/0", 2)
    assert "startport" not in reset

    assert succeeded(user, user.deleteNetworkACL(id=ping["id"])) == {"success": True}
    assert numbers(aclid=acl["id"]) == [2, 11, 12, 13]
    error = api_error(user.deleteNetworkACL, id=ping["id"])
    assert error.errorcode == 431


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"startport": 90, "endport": 80}, "Start port can't be bigger than end port"),
        ({"startport": 0}, "Start public port is an invalid value: 0"),
        ({"startport": 80, "endport": 70000}, "End public port is an invalid value"),
        ({"endport": 80}, "Start port is required"),
        ({"protocol": "icmp", "startport": 22}, "not allowed for protocol icmp"),
        ({"protocol": "all", "startport": 22}, "not allowed for protocol all"),
        ({"icmptype": 8}, "Can specify icmpCode and icmpType for ICMP protocol only"),
        ({"protocol": "icmp", "icmptype": 300}, "Invalid icmp type [300]"),
        ({"protocol": "icmp", "icmpcode": 17}, "Invalid icmp code [17]"),
        ({"protocol": "gre"}, "Invalid protocol [gre]"),
        ({"protocol": "256"}, "Invalid protocol number: 256"),
        ({"cidrlist": "10.0.0.0/40"}, "Source cidrs formatting error 10.0.0.0/40"),
        ({"traffictype": "sideways"}, "Invalid traffic type [sideways]"),
        ({"action": "maybe"}, "Invalid action [maybe]. Permitted actions are Allow and Deny"),
        ({"number": 0}, "Invalid number [0]. Number cannot be < 1"),
        ({"number": 7}, "ACL item with number 7 already exists in ACL"),
    ],
)
def test_bad_items_are_refused_at_once(
    tenant: Tenant, vpc: dict[str, Any], params: dict[str, Any], expected: str
) -> None:
    user = tenant.client()
    acl = new_list(user, vpc)
    first = new_item(user, acl, startport=22, number=7)
    params.setdefault("protocol", "tcp")
    error = api_error(user.createNetworkACL, aclid=acl["id"], **params)
    assert (error.status, error.errorcode) == (431, 431), error
    assert expected in error.errortext
    assert [item["id"] for item in items_of(user, aclid=acl["id"])] == [first["id"]]


def test_bad_updates_are_refused_at_once(tenant: Tenant, vpc: dict[str, Any]) -> None:
    user = tenant.client()
    acl = new_list(user, vpc)
    first = new_item(user, acl, startport=22)
    second = new_item(user, acl, startport=80)
    for params, expected in (
        ({"number": first["number"]}, "already exists"),
        ({"startport": 100, "endport": 90}, "Start port can't be bigger"),
        ({"protocol": "icmp", "startport": 5}, "not allowed for protocol icmp"),
    ):
        error = api_error(user.updateNetworkACLItem, id=second["id"], **params)
        assert error.errorcode == 431 and expected in error.errortext
    [unchanged] = items_of(user, id=second["id"])
    assert (unchanged["startport"], unchanged["number"]) == ("80", 2)


def test_tier_item_needs_a_list(tenant: Tenant, vpc: dict[str, Any]) -> None:
    user = tenant.client()
    error = api_error(user.createNetworkACL, protocol="tcp", startport=22)
    assert error.errorcode == 431 and "ACL Id or network Id is required" in error.errortext
    error = api_error(user.createNetworkACLList, name=" ", vpcid=vpc["id"])
    assert error.errorcode == 431
    error = api_error(user.createNetworkACLList, name="global")
    assert error.errorcode == 431 and "missing parameter vpcid" in error.errortext


def test_other_accounts_cannot_see_or_touch_them(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, vpc: dict[str, Any]
) -> None:
    user = tenant.client()
    acl = new_list(user, vpc)
    item = new_item(user, acl, startport=22)
    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint).client()
    assert [found["name"] for found in lists_of(other)] == ["default_allow", "default_deny"]
    assert [found["aclname"] for found in items_of(other)] == ["default_allow"] * 2 + [
        "default_deny"
    ] * 2
    for call, params in (
        (other.deleteNetworkACLList, {"id": acl["id"]}),
        (other.updateNetworkACLList, {"id": acl["id"], "name": "x"}),
        (other.createNetworkACL, {"aclid": acl["id"], "protocol": "all"}),
        (other.listNetworkACLs, {"aclid": acl["id"]}),
        (other.updateNetworkACLItem, {"id": item["id"], "action": "deny"}),
        (other.deleteNetworkACL, {"id": item["id"]}),
        (other.createNetworkACLList, {"name": "x", "vpcid": vpc["id"]}),
    ):
        error = api_error(call, **params)
        assert error.errorcode == 431, (call, error)
    assert acl["id"] in [found["id"] for found in lists_of(admin, listall=True)]
    assert acl["id"] not in [found["id"] for found in lists_of(admin)]
    [seen] = [found for found in items_of(admin, listall=True) if found["id"] == item["id"]]
    assert seen["fordisplay"] is True
    [seen] = lists_of(admin, id=acl["id"])
    assert seen["fordisplay"] is True


def test_tags_and_events(tenant: Tenant, vpc: dict[str, Any]) -> None:
    user = tenant.client()
    acl = new_list(user, vpc)
    item = new_item(user, acl, startport=22)
    plain = new_item(user, acl, startport=80)
    tags = {"tags[0].key": "role", "tags[0].value": "ssh"}
    succeeded(user, user.createTags(resourceids=item["id"], resourcetype="NetworkACL", **tags))
    [tagged] = items_of(user, **tags)
    assert tagged["id"] == item["id"]
    assert [(t["key"], t["value"]) for t in tagged["tags"]] == [("role", "ssh")]
    succeeded(user, user.createTags(resourceids=acl["id"], resourcetype="NetworkACLList", **tags))
    succeeded(user, user.updateNetworkACLItem(id=plain["id"], action="deny"))
    succeeded(user, user.deleteNetworkACL(id=item["id"]))
    assert user.listTags(resourceid=item["id"]) == {}
    other = new_list(user, vpc, "other")
    succeeded(user, user.updateNetworkACLList(id=other["id"], description="x"))
    succeeded(user, user.deleteNetworkACLList(id=other["id"]))
    events = user.listEvents()["event"]
    completed = {e["type"] for e in events if e["state"] == "Completed" and e["level"] == "INFO"}
    assert {
        "NETWORK.ACL.CREATE",
        "NETWORK.ACL.UPDATE",
        "NETWORK.ACL.DELETE",
        "NETWORK.ACL.ITEM.CREATE",
        "NETWORK.ACL.ITEM.UPDATE",
        "NETWORK.ACL.ITEM.DELETE",
    } <= completed
