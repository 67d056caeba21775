"""The demo zone: on first start `alto serve` builds a simulator zone ready for VMs."""

from __future__ import annotations

import time
from typing import Any

from cs import CloudStack

from appliance.demo_zone import (
    CATALOGUE,
    ENABLED_PROVIDERS,
    GIB,
    GUEST_VLANS,
    HOSTS,
    PUBLIC_RANGE,
    TRAFFIC_TYPES,
    ZONE_NAME,
)
from tests.support.api import wait_for_job
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import new_account, unique

READY_TIMEOUT = 60.0


def _wait_until_ready(admin: CloudStack, zone_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        templates = admin.listTemplates(templatefilter="featured", zoneid=zone_id, name="tiny")
        template = templates["template"][0]
        if template["isready"] or time.monotonic() > deadline:
            return dict(template)
        time.sleep(0.2)


def test_first_start_builds_a_zone_that_runs_vms(start_alto_server: ServerFactory) -> None:
    server = start_alto_server(env={"ALTO_DEMO_ZONE": "true"})
    admin = server.client()

    zones = admin.listZones()["zone"]
    assert [(zone["name"], zone["allocationstate"]) for zone in zones] == [(ZONE_NAME, "Enabled")]
    zone_id = zones[0]["id"]
    _check_networking(admin, zone_id)
    hosts = admin.listHosts(zoneid=zone_id, type="Routing")["host"]
    assert len(hosts) == HOSTS
    assert {host["state"] for host in hosts} == {"Up"}
    assert admin.listStoragePools(zoneid=zone_id)["count"] == 1
    assert admin.listImageStores(zoneid=zone_id)["count"] == 1

    offerings = {o["name"]: o for o in admin.listServiceOfferings()["serviceoffering"]}
    for wanted in CATALOGUE:
        offering = offerings[wanted.name]
        assert (offering["cpunumber"], offering["memory"]) == (wanted.cpu_number, wanted.memory)
    assert (offerings["t3.nano"]["memory"], offerings["m5.xlarge"]["cpunumber"]) == (512, 4)

    template = _wait_until_ready(admin, zone_id)
    assert template["isready"], template
    assert template["size"] == GIB

    job = wait_for_job(
        admin,
        admin.deployVirtualMachine(
            zoneid=zone_id,
            serviceofferingid=offerings["t3.micro"]["id"],
            templateid=template["id"],
        )["jobid"],
    )
    vm = job["jobresult"]["virtualmachine"]
    assert (vm["state"], vm["cpunumber"], vm["memory"]) == ("Running", 2, 1024)


def _check_networking(admin: CloudStack, zone_id: str) -> None:
    assert admin.listZones(id=zone_id)["zone"][0]["networktype"] == "Advanced"
    [physical] = admin.listPhysicalNetworks(zoneid=zone_id)["physicalnetwork"]
    assert (physical["state"], physical["vlan"]) == ("Enabled", GUEST_VLANS)
    traffic = admin.listTrafficTypes(physicalnetworkid=physical["id"])["traffictype"]
    assert [t["traffictype"] for t in traffic] == list(TRAFFIC_TYPES)
    providers = admin.listNetworkServiceProviders(physicalnetworkid=physical["id"], state="Enabled")
    assert set(ENABLED_PROVIDERS) <= {p["name"] for p in providers["networkserviceprovider"]}


def _succeeded(client: CloudStack, answer: dict[str, Any]) -> dict[str, Any]:
    job = wait_for_job(client, answer["jobid"])
    assert job["jobstatus"] == 1, job
    return dict(job["jobresult"])


def test_a_user_gets_networks_public_ips_and_vpcs_at_once(
    start_alto_server: ServerFactory,
) -> None:
    server: AltoServer = start_alto_server(env={"ALTO_DEMO_ZONE": "true"})
    admin = server.client()
    zone_id = admin.listZones()["zone"][0]["id"]
    _check_networking(admin, zone_id)
    template = _wait_until_ready(admin, zone_id)
    offering = admin.listServiceOfferings(name="t3.nano")["serviceoffering"][0]
    user = new_account(admin, endpoint=server.endpoint).client()

    vm = _succeeded(
        user,
        user.deployVirtualMachine(
            zoneid=zone_id, serviceofferingid=offering["id"], templateid=template["id"]
        ),
    )["virtualmachine"]
    assert vm["state"] == "Running"
    [nic] = vm["nic"]
    ip = _succeeded(user, user.associateIpAddress(networkid=nic["networkid"]))["ipaddress"]
    first, last = (int(PUBLIC_RANGE[key].rsplit(".", 1)[1]) for key in ("startip", "endip"))
    prefix, number = ip["ipaddress"].rsplit(".", 1)
    assert prefix == PUBLIC_RANGE["gateway"].rsplit(".", 1)[0] and first <= int(number) <= last

    vpc = _succeeded(
        user,
        user.createVPC(
            zoneid=zone_id,
            name=unique("vpc"),
            displaytext="demo",
            cidr="10.20.0.0/16",
            vpcofferingid=user.listVPCOfferings(isdefault=True)["vpcoffering"][0]["id"],
        ),
    )["vpc"]
    assert vpc["cidr"] == "10.20.0.0/16"


def test_restart_does_not_build_it_again(start_alto_server: ServerFactory) -> None:
    server = start_alto_server(env={"ALTO_DEMO_ZONE": "true"})
    zone_id = server.client().listZones()["zone"][0]["id"]
    assert "demo zone:   built" in server.output()

    server.stop()
    server.start()

    assert [zone["id"] for zone in server.client().listZones()["zone"]] == [zone_id]


def test_it_is_off_when_configured_so(start_alto_server: ServerFactory) -> None:
    server = start_alto_server(env={"ALTO_DEMO_ZONE": "false"})
    assert server.client().listZones() == {}
