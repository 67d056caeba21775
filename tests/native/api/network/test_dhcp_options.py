"""DHCP options sets through `cs` (Alto extension): create, list, tag and delete them; a VPC
takes one with updateVPC and its router hands it out; bad input, sets in use, other
accounts and failed applies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.vpc_helpers import (
    create_tier,
    create_vpc,
    failing_applies,
    new_router,
    routers_in,
)
from tests.support.api import api_error
from tests.support.tenants import Tenant, new_account
from tests.support.vms import deploy, failed, succeeded
from tests.support.zones import SimZone


def sets_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listDhcpOptionsSets(**params).get("dhcpoptionsset", []))


def create_set(client: CloudStack, **params: Any) -> dict[str, Any]:
    return dict(client.createDhcpOptionsSet(**params)["dhcpoptionsset"])


def vpc_of(client: CloudStack, vpc: dict[str, Any]) -> dict[str, Any]:
    [found] = client.listVPCs(id=vpc["id"])["vpc"]
    return dict(found)


def test_create_list_tag_delete(tenant: Tenant) -> None:
    user = tenant.client()
    made = create_set(
        user,
        domainname="corp.example",
        domainnameservers="VirtualRouter,9.9.9.9",
        ntpservers="10.0.0.123",
        netbiosnameservers="10.0.0.139,10.0.0.140",
        netbiosnodetype=2,
    )
    assert made["domainname"] == "corp.example"
    assert made["domainnameservers"] == ["VirtualRouter", "9.9.9.9"]
    assert made["ntpservers"] == ["10.0.0.123"]
    assert made["netbiosnameservers"] == ["10.0.0.139", "10.0.0.140"]
    assert made["netbiosnodetype"] == 2
    assert (made["account"], made["domainid"]) == (tenant.name, tenant.domainid)
    assert "vpcids" not in made and "created" in made
    only_dns = create_set(user, domainnameservers="virtualrouter")
    assert only_dns["domainnameservers"] == ["VirtualRouter"] and "domainname" not in only_dns
    assert {found["id"] for found in sets_of(user)} == {made["id"], only_dns["id"]}
    assert [found["id"] for found in sets_of(user, domainname="corp.example")] == [made["id"]]

    succeeded(
        user,
        user.createTags(
            resourceids=made["id"],
            resourcetype="DhcpOptionsSet",
            **{"tags[0].key": "env", "tags[0].value": "prod"},
        ),
    )
    [tagged] = sets_of(user, **{"tags[0].key": "env", "tags[0].value": "prod"})
    assert tagged["id"] == made["id"]
    assert [(t["key"], t["value"]) for t in tagged["tags"]] == [("env", "prod")]

    assert user.deleteDhcpOptionsSet(id=made["id"])["success"] is True
    assert [found["id"] for found in sets_of(user)] == [only_dns["id"]]
    assert user.listTags(resourceid=made["id"]) == {}
    assert api_error(user.deleteDhcpOptionsSet, id=made["id"]).errorcode == 431
    events = {(e["type"], e["state"]) for e in user.listEvents()["event"]}
    assert ("DHCP.OPTIONS.SET.CREATE", "Completed") in events
    assert ("DHCP.OPTIONS.SET.DELETE", "Completed") in events


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"domainname": "not a domain"},
        {"domainnameservers": "8.8.8.8,resolver.example"},
        {"domainnameservers": "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5"},
        {"ntpservers": "VirtualRouter"},
        {"netbiosnameservers": "10.0.0.300"},
        {"netbiosnodetype": 3},
    ],
)
def test_bad_options_are_refused(tenant: Tenant, params: dict[str, Any]) -> None:
    user = tenant.client()
    error = api_error(user.createDhcpOptionsSet, **params)
    assert (error.errorcode, error.cserrorcode) == (431, 4350)
    assert sets_of(user) == []


def test_a_vpc_router_hands_out_the_set_of_its_vpc(
    zone: SimZone,
    tenant: Tenant,
    network_dir: Path,
    so: dict[str, Any],
    template: dict[str, Any],
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, cidr="10.40.0.0/16", networkdomain="own.example")
    router = new_router(network_dir, before)
    tier = create_tier(user, zone, vpc, gateway="10.40.1.1")
    deploy(user, zone, so, template, networkids=tier["id"])
    tag = next(
        line.split(",")[0].split(":")[1]
        for line in (router / "dnsmasq.conf").read_text().splitlines()
        if line.startswith("dhcp-range=") and "10.40.1.0" in line
    )
    options = create_set(
        user,
        domainname="corp.example",
        domainnameservers="VirtualRouter,9.9.9.9",
        ntpservers="10.0.0.123",
        netbiosnameservers="10.0.0.139",
        netbiosnodetype=8,
    )

    updated = succeeded(user, user.updateVPC(id=vpc["id"], dhcpoptionssetid=options["id"]))["vpc"]
    assert updated["dhcpoptionssetid"] == options["id"]
    assert vpc_of(user, vpc)["dhcpoptionssetid"] == options["id"]
    assert sets_of(user, id=options["id"])[0]["vpcids"] == [vpc["id"]]
    assert [found["id"] for found in sets_of(user, vpcid=vpc["id"])] == [options["id"]]
    lines = (router / "dnsmasq.conf").read_text().splitlines()
    assert f"dhcp-option=tag:{tag},option:dns-server,10.40.1.1,9.9.9.9" in lines
    assert f"dhcp-option=tag:{tag},option:ntp-server,10.0.0.123" in lines
    assert f"dhcp-option=tag:{tag},option:netbios-ns,10.0.0.139" in lines
    assert f"dhcp-option=tag:{tag},option:netbios-nodetype,8" in lines
    assert "domain=corp.example,10.40.1.0/24" in lines

    error = api_error(user.deleteDhcpOptionsSet, id=options["id"])
    assert (error.errorcode, error.cserrorcode) == (536, 4375)
    both = api_error(
        user.updateVPC, id=vpc["id"], dhcpoptionssetid=options["id"], resetdhcpoptions=True
    )
    assert both.errorcode == 431

    reset = succeeded(user, user.updateVPC(id=vpc["id"], resetdhcpoptions=True))["vpc"]
    assert "dhcpoptionssetid" not in reset
    lines = (router / "dnsmasq.conf").read_text().splitlines()
    assert f"dhcp-option=tag:{tag},option:dns-server,10.40.1.1" in lines
    assert not [line for line in lines if "ntp-server" in line or "netbios" in line]
    assert "domain=own.example,10.40.1.0/24" in lines
    assert user.deleteDhcpOptionsSet(id=options["id"])["success"] is True


def test_a_failed_apply_keeps_the_previous_set(
    zone: SimZone, tenant: Tenant, network_dir: Path
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, cidr="10.41.0.0/16")
    router = new_router(network_dir, before)
    options = create_set(user, domainnameservers="9.9.9.9")
    with failing_applies(network_dir, router):
        error = failed(user, user.updateVPC(id=vpc["id"], dhcpoptionssetid=options["id"]))
    assert error["errorcode"] == 534
    assert "dhcpoptionssetid" not in vpc_of(user, vpc)
    user.deleteDhcpOptionsSet(id=options["id"])


def test_sets_are_private_to_their_account(
    zone: SimZone, tenant: Tenant, admin: CloudStack
) -> None:
    user = tenant.client()
    options = create_set(user, domainname="mine.example")
    own_vpc = create_vpc(user, zone, cidr="10.42.0.0/16", start=False)
    stranger = new_account(admin, endpoint=tenant.endpoint).client()
    assert sets_of(stranger, listall=True) == []
    assert api_error(stranger.listDhcpOptionsSets, id=options["id"]).errorcode == 431
    assert api_error(stranger.deleteDhcpOptionsSet, id=options["id"]).errorcode == 431
    their_vpc = create_vpc(stranger, zone, cidr="10.43.0.0/16", start=False)
    error = api_error(stranger.updateVPC, id=their_vpc["id"], dhcpoptionssetid=options["id"])
    assert error.errorcode == 431
    error = api_error(stranger.updateVPC, id=own_vpc["id"], resetdhcpoptions=True)
    assert error.errorcode == 431
    assert [found["id"] for found in sets_of(admin, listall=True, id=options["id"])] == [
        options["id"]
    ]
    theirs = create_set(stranger, domainname="theirs.example")
    error = api_error(admin.updateVPC, id=own_vpc["id"], dhcpoptionssetid=theirs["id"])
    assert error.errorcode == 431
