"""Stickiness and health check policies of load balancer rules through `cs`, and the
haproxy configuration the router is given for a rule with members and both policies."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.test_load_balancers import (
    Owner,
    World,
    create_lb,
    faulty_router,
    generation,
    new_ip,
    new_owner,
    owner,
    router_dir,
    world,
)
from tests.support.api import api_error
from tests.support.vms import failed, succeeded

__all__ = ["faulty_router", "owner", "world"]


def sticky(client: CloudStack, rule_id: str, method: str, **params: str) -> dict[str, Any]:
    """Create a stickiness policy; the `stickinesspolicies` object of the answer."""
    answer = client.createLBStickinessPolicy(
        lbruleid=rule_id,
        name=f"{method}-policy",
        methodname=method,
        param=[{"name": name, "value": value} for name, value in params.items()],
    )
    return dict(succeeded(client, answer)["stickinesspolicies"])


def health(client: CloudStack, rule_id: str, **params: Any) -> dict[str, Any]:
    """Create a health check; the `healthcheckpolicies` object of the answer."""
    answer = client.createLBHealthCheckPolicy(lbruleid=rule_id, **params)
    return dict(succeeded(client, answer)["healthcheckpolicies"])


def test_stickiness_policy_lifecycle(world: World, owner: Owner) -> None:
    rule = create_lb(owner.client, new_ip(owner))
    made = sticky(owner.client, rule["id"], "lbcookie", **{"cookie-name": "SRV", "mode": "insert"})
    assert (made["lbruleid"], made["account"]) == (rule["id"], owner.tenant.name)
    [policy] = made["stickinesspolicy"]
    assert (policy["name"], policy["methodname"]) == ("lbcookie-policy", "LbCookie")
    assert policy["params"] == {"cookie-name": "SRV", "mode": "insert"}

    listed = owner.client.listLBStickinessPolicies(lbruleid=rule["id"])
    assert listed["count"] == 1
    assert [p["id"] for p in listed["stickinesspolicies"][0]["stickinesspolicy"]] == [policy["id"]]
    by_id = owner.client.listLBStickinessPolicies(id=policy["id"])["stickinesspolicies"][0]
    assert by_id["lbruleid"] == rule["id"]
    second = api_error(
        owner.client.createLBStickinessPolicy,
        lbruleid=rule["id"],
        name="again",
        methodname="SourceBased",
    )
    assert second.errorcode == 431 and "already has one" in second.errortext

    hide = world.admin.updateLBStickinessPolicy(id=policy["id"], fordisplay=False)
    assert (
        succeeded(world.admin, hide)["stickinesspolicies"]["stickinesspolicy"][0]["fordisplay"]
        is False
    )
    assert (
        owner.client.listLBStickinessPolicies(id=policy["id"])["stickinesspolicies"][0][
            "stickinesspolicy"
        ]
        == []
    )
    succeeded(owner.client, owner.client.deleteLBStickinessPolicy(id=policy["id"]))
    emptied = owner.client.listLBStickinessPolicies(lbruleid=rule["id"])["stickinesspolicies"]
    assert emptied[0]["stickinesspolicy"] == []
    again = sticky(owner.client, rule["id"], "SourceBased", tablesize="100k", expire="30m")
    assert again["stickinesspolicy"][0]["params"] == {"tablesize": "100k", "expire": "30m"}


@pytest.mark.parametrize(
    ("method", "params", "named"),
    [
        ("RoundRobinCookie", [], "RoundRobinCookie"),
        ("LbCookie", [{"name": "holdtime", "value": "3h"}], "holdtime"),
        ("LbCookie", [{"name": "mode", "value": "steal"}], "mode"),
        ("LbCookie", [{"name": "cookie-name", "value": "a b"}], "cookie-name"),
        ("LbCookie", [{"name": "nocache", "value": "maybe"}], "nocache"),
        ("AppCookie", [{"name": "length", "value": "long"}], "length"),
        ("AppCookie", [{"name": "holdtime", "value": "3x"}], "holdtime"),
        ("AppCookie", [{"name": "cookie-name", "value": ""}], "cookie-name"),
        ("SourceBased", [{"name": "expire", "value": "30"}], "expire"),
        ("SourceBased", [{"name": "tablesize", "value": "1t"}], "tablesize"),
        (
            "SourceBased",
            [{"name": "expire", "value": "1m"}, {"name": "expire", "value": "2m"}],
            "expire",
        ),
    ],
)
def test_bad_stickiness_is_refused(
    owner: Owner, method: str, params: list[dict[str, str]], named: str
) -> None:
    rule = create_lb(owner.client, new_ip(owner))
    error = api_error(
        owner.client.createLBStickinessPolicy,
        lbruleid=rule["id"],
        name="bad",
        methodname=method,
        param=params,
    )
    assert (error.status, error.errorcode) == (431, 431)
    assert named in error.errortext
    listed = owner.client.listLBStickinessPolicies(lbruleid=rule["id"])["stickinesspolicies"]
    assert listed[0]["stickinesspolicy"] == []


def test_flags_are_stored_when_set(owner: Owner) -> None:
    rule = create_lb(owner.client, new_ip(owner))
    made = sticky(owner.client, rule["id"], "AppCookie", prefix="", **{"request-learn": "false"})
    assert made["stickinesspolicy"][0]["params"] == {"prefix": "true"}


def test_health_check_policy_lifecycle(world: World, owner: Owner) -> None:
    rule = create_lb(owner.client, new_ip(owner))
    made = health(owner.client, rule["id"], description="probe")
    [policy] = made["healthcheckpolicy"]
    assert made["lbruleid"] == rule["id"] and "pingpath" not in policy
    assert (
        policy["responsetime"],
        policy["healthcheckinterval"],
        policy["healthcheckthresshold"],
        policy["unhealthcheckthresshold"],
    ) == (2, 5, 2, 10)
    second = api_error(owner.client.createLBHealthCheckPolicy, lbruleid=rule["id"])
    assert second.errorcode == 431 and "already has one" in second.errortext
    listed = owner.client.listLBHealthCheckPolicies(id=policy["id"])["healthcheckpolicies"]
    assert [p["description"] for p in listed[0]["healthcheckpolicy"]] == ["probe"]

    hide = world.admin.updateLBHealthCheckPolicy(id=policy["id"], fordisplay=False)
    assert (
        succeeded(world.admin, hide)["healthcheckpolicies"]["healthcheckpolicy"][0]["fordisplay"]
        is False
    )
    hidden = owner.client.listLBHealthCheckPolicies(lbruleid=rule["id"])["healthcheckpolicies"]
    assert hidden[0]["healthcheckpolicy"] == []

    succeeded(owner.client, owner.client.deleteLBHealthCheckPolicy(id=policy["id"]))
    made = health(
        owner.client,
        rule["id"],
        pingpath="/healthz",
        responsetimeout=3,
        intervaltime=10,
        healthythreshold=3,
        unhealthythreshold=4,
    )
    assert made["healthcheckpolicy"][0]["pingpath"] == "/healthz"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"responsetimeout": 1}, "responsetimeout"),
        ({"responsetimeout": 61}, "responsetimeout"),
        ({"intervaltime": 0}, "intervaltime"),
        ({"intervaltime": 20941}, "intervaltime"),
        ({"healthythreshold": 0}, "healthythreshold"),
        ({"unhealthythreshold": 11}, "unhealthythreshold"),
        ({"responsetimeout": 10, "intervaltime": 5}, "interval"),
        ({"pingpath": "health"}, "pingpath"),
        ({"pingpath": "/a b"}, "pingpath"),
    ],
)
def test_bad_health_checks_are_refused(owner: Owner, params: dict[str, Any], named: str) -> None:
    rule = create_lb(owner.client, new_ip(owner))
    error = api_error(owner.client.createLBHealthCheckPolicy, lbruleid=rule["id"], **params)
    assert (error.status, error.errorcode) == (431, 431)
    assert named in error.errortext


def test_policies_of_other_accounts_rules_are_out_of_reach(world: World, owner: Owner) -> None:
    rule = create_lb(owner.client, new_ip(owner))
    policy = sticky(owner.client, rule["id"], "SourceBased")["stickinesspolicy"][0]
    other = new_owner(world, vms=0)
    for call, params in (
        (other.client.listLBStickinessPolicies, {"lbruleid": rule["id"]}),
        (other.client.listLBStickinessPolicies, {"id": policy["id"]}),
        (other.client.deleteLBStickinessPolicy, {"id": policy["id"]}),
        (other.client.createLBHealthCheckPolicy, {"lbruleid": rule["id"]}),
    ):
        assert api_error(call, **params).errorcode == 431
    neither = api_error(owner.client.listLBHealthCheckPolicies)
    assert neither.errorcode == 431 and "lbruleid" in neither.errortext


def test_a_failed_apply_keeps_no_policy(world: World, owner: Owner, faulty_router: Any) -> None:
    rule = create_lb(owner.client, new_ip(owner))
    kept = sticky(owner.client, rule["id"], "SourceBased")["stickinesspolicy"][0]
    faulty_router(router_dir(world, owner.vms[0]))
    answer = owner.client.createLBHealthCheckPolicy(lbruleid=rule["id"], pingpath="/")
    assert failed(owner.client, answer)["errorcode"] == 534
    listed = owner.client.listLBHealthCheckPolicies(lbruleid=rule["id"])["healthcheckpolicies"]
    assert listed[0]["healthcheckpolicy"] == []
    answer = owner.client.deleteLBStickinessPolicy(id=kept["id"])
    assert failed(owner.client, answer)["errorcode"] == 534
    listed = owner.client.listLBStickinessPolicies(lbruleid=rule["id"])["stickinesspolicies"]
    assert [p["id"] for p in listed[0]["stickinesspolicy"]] == [kept["id"]]


def test_the_router_balances_with_stickiness_and_health_checks(world: World, owner: Owner) -> None:
    router = router_dir(world, owner.vms[0])
    ip = new_ip(owner)
    steps = [generation(router)]
    rule = create_lb(owner.client, ip, algorithm="leastconn", publicport=80, privateport=8080)
    steps.append(generation(router))
    answer = owner.client.assignToLoadBalancerRule(
        id=rule["id"], virtualmachineids=[vm["id"] for vm in owner.vms]
    )
    succeeded(owner.client, answer)
    steps.append(generation(router))
    sticky(owner.client, rule["id"], "LbCookie", **{"cookie-name": "SRVID", "nocache": ""})
    steps.append(generation(router))
    health(owner.client, rule["id"], pingpath="/healthz", intervaltime=7)
    steps.append(generation(router))
    assert steps == sorted(set(steps)), steps

    config = (router / "haproxy.cfg").read_text()
    assert f"bind {ip['ipaddress']}:80" in config
    for vm in owner.vms:
        assert f"{owner.ip_of(vm)}:8080" in config
    assert "balance leastconn" in config
    assert "cookie SRVID insert nocache" in config
    assert "/healthz" in config and "inter 7s" in config
    haproxy = shutil.which("haproxy") or pytest.fail("haproxy is not installed")
    checked = subprocess.run(
        [haproxy, "-c", "-f", str(router / "haproxy.cfg")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    answer = owner.client.removeFromLoadBalancerRule(
        id=rule["id"], virtualmachineids=owner.vms[1]["id"]
    )
    succeeded(owner.client, answer)
    assert f"{owner.ip_of(owner.vms[1])}:8080" not in (router / "haproxy.cfg").read_text()
    succeeded(owner.client, owner.client.deleteLoadBalancerRule(id=rule["id"]))
    assert f"{ip['ipaddress']}:80" not in (router / "haproxy.cfg").read_text()
