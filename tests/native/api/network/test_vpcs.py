"""VPCs through `cs`: create (with its router and source NAT IP), list, update, restart,
delete; bad input, ownership, limits, tags, events and failed applies (tiers, ACLs on
them and VMs in them: test_vpcs_tiers.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.native.api.network.vpc_helpers import (
    create_vpc,
    failing_applies,
    generation,
    new_router,
    routers_in,
    source_nat_address,
    vpc_offering,
)
from tests.support.api import api_error, wait_for_job
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account, unique
from tests.support.vms import failed, succeeded
from tests.support.zones import SimZone, build_zone


def vpcs_of(client: CloudStack, **params: Any) -> list[dict[str, Any]]:
    return list(client.listVPCs(**params).get("vpc", []))


def public_ip(admin: CloudStack, zone: SimZone, address: str) -> dict[str, Any]:
    [found] = admin.listPublicIpAddresses(
        zoneid=zone.id, ipaddress=address, listall=True, allocatedonly=False
    )["publicipaddress"]
    return dict(found)


def create_params(client: CloudStack, zone: SimZone, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": unique("vpc"),
        "zoneid": zone.id,
        "cidr": "10.30.0.0/16",
        "vpcofferingid": vpc_offering(client)["id"],
    }
    params.update(extra)
    return params


def test_create_starts_the_vpc_router(zone: SimZone, tenant: Tenant, network_dir: Path) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, cidr="10.20.0.0/16", displaytext="my vpc")
    offering = vpc_offering(user)
    assert vpc["cidr"] == "10.20.0.0/16" and vpc["displaytext"] == "my vpc"
    assert (vpc["state"], vpc["zoneid"], vpc["zonename"]) == ("Enabled", zone.id, zone.zone["name"])
    assert (vpc["vpcofferingid"], vpc["vpcofferingname"]) == (offering["id"], offering["name"])
    assert (vpc["account"], vpc["domainid"]) == (tenant.name, tenant.domainid)
    assert vpc["networkdomain"].endswith("cloud.internal")
    assert vpc["restartrequired"] is False and vpc["redundantvpcrouter"] is False
    assert vpc["regionlevelvpc"] is False and vpc["distributedvpcrouter"] is False
    assert vpc["network"] == [] and vpc["tags"] == []
    assert "fordisplay" not in vpc and "created" in vpc
    services = {service["name"]: service for service in vpc["service"]}
    assert {"NetworkACL", "SourceNat", "StaticNat", "Lb", "Vpn"} <= set(services)
    assert services["NetworkACL"]["provider"] == [{"name": "VpcVirtualRouter"}]

    router = new_router(network_dir, before)
    assert generation(router) >= 1
    address = source_nat_address(user, vpc)
    ip = public_ip(user, zone, address)
    assert (ip["vpcid"], ip["issourcenat"], ip["state"]) == (vpc["id"], True, "Allocated")
    [listed] = vpcs_of(user)
    assert listed["id"] == vpc["id"] and listed["cidr"] == "10.20.0.0/16"


def test_list_filters_and_update(zone: SimZone, tenant: Tenant, admin: CloudStack) -> None:
    user = tenant.client()
    web = create_vpc(user, zone, name=unique("web"), cidr="10.1.0.0/16", start=False)
    db = create_vpc(user, zone, name=unique("db"), cidr="192.168.0.0/20", start=False)

    def ids(**params: Any) -> list[str]:
        return [vpc["id"] for vpc in vpcs_of(user, **params)]

    assert ids() == [web["id"], db["id"]]
    assert ids(id=db["id"]) == [db["id"]]
    assert ids(name=web["name"]) == [web["id"]]
    assert ids(keyword="db-") == [db["id"]]
    assert ids(cidr="192.168.0.0/20") == [db["id"]]
    assert ids(zoneid=zone.id, state="Enabled") == [web["id"], db["id"]]
    assert ids(supportedservices="NetworkACL,SourceNat") == [web["id"], db["id"]]
    assert ids(supportedservices="SecurityGroup") == []
    assert ids(restartrequired=True) == []
    page = user.listVPCs(page=2, pagesize=1)
    assert page["count"] == 2 and [vpc["id"] for vpc in page["vpc"]] == [db["id"]]

    job = succeeded(user, user.updateVPC(id=web["id"], name="renamed", displaytext="shown"))
    assert (job["vpc"]["name"], job["vpc"]["displaytext"]) == ("renamed", "shown")
    assert ids(name="renamed") == [web["id"]]
    hidden = succeeded(admin, admin.updateVPC(id=db["id"], fordisplay=False))["vpc"]
    assert hidden["fordisplay"] is False
    [seen] = vpcs_of(admin, id=db["id"])
    assert seen["fordisplay"] is False


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"cidr": "10.0.0.0/33"}, "Invalid CIDR specified 10.0.0.0/33"),
        ({"cidr": "nonsense"}, "Invalid CIDR specified nonsense"),
        ({"cidr": "10.0.0.1/16"}, "Invalid CIDR specified 10.0.0.1/16"),
        ({"cidr": "8.8.0.0/16"}, "Guest Cidr 8.8.0.0/16 is not RFC1918 compliant"),
        ({"cidr": "172.32.0.0/16"}, "not RFC1918 compliant"),
        ({"networkdomain": "-bad-.example"}, "Invalid network domain"),
        ({"dns2": "8.8.4.4"}, "Second IPv4 DNS"),
        ({"dns1": "not-an-ip"}, "dns1"),
        ({"name": " "}, "name"),
        ({"cidr": None}, "missing parameter cidr"),
        ({"vpcofferingid": "6f1e5b1e-0000-4000-8000-000000000000"}, "vpcofferingid"),
    ],
)
def test_bad_input_is_refused_at_once(
    zone: SimZone, tenant: Tenant, extra: dict[str, Any], expected: str
) -> None:
    user = tenant.client()
    params = {k: v for k, v in create_params(user, zone, **extra).items() if v is not None}
    error = api_error(user.createVPC, **params)
    assert (error.status, error.errorcode) == (431, 431), error
    assert expected in error.errortext
    assert vpcs_of(user) == []


def test_start_false_then_restart(zone: SimZone, tenant: Tenant, network_dir: Path) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone, start=False)
    assert routers_in(network_dir) == before
    assert user.listPublicIpAddresses(vpcid=vpc["id"]) == {}

    succeeded(user, user.restartVPC(id=vpc["id"]))
    router = new_router(network_dir, before)
    first = generation(router)
    source_nat_address(user, vpc)
    succeeded(user, user.restartVPC(id=vpc["id"]))
    assert generation(router) > first

    before = routers_in(network_dir)
    succeeded(user, user.restartVPC(id=vpc["id"], cleanup=True))
    assert not router.exists()
    new_router(network_dir, before - {router.name})
    [listed] = vpcs_of(user, id=vpc["id"])
    assert listed["restartrequired"] is False


def test_delete_removes_router_and_releases_ip(
    zone: SimZone, tenant: Tenant, admin: CloudStack, network_dir: Path
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    vpc = create_vpc(user, zone)
    router = new_router(network_dir, before)
    address = source_nat_address(user, vpc)
    acl = succeeded(user, user.createNetworkACLList(name="web", vpcid=vpc["id"]))
    assert acl["networkacllist"]["vpcid"] == vpc["id"]

    assert succeeded(user, user.deleteVPC(id=vpc["id"])) == {"success": True}
    assert not router.exists()
    assert vpcs_of(user) == []
    assert public_ip(admin, zone, address)["state"] == "Free"
    lists = admin.listNetworkACLLists(listall=True)["networkacllist"]
    assert acl["networkacllist"]["id"] not in [found["id"] for found in lists]
    error = api_error(user.deleteVPC, id=vpc["id"])
    assert error.errorcode == 431


def test_other_accounts_cannot_see_or_touch_it(
    zone: SimZone, tenant: Tenant, admin: CloudStack, alto_server: AltoServer
) -> None:
    vpc = create_vpc(admin, zone, account=tenant.name, domainid=tenant.domainid, start=False)
    assert (vpc["account"], vpc["domainid"]) == (tenant.name, tenant.domainid)
    assert [found["id"] for found in vpcs_of(tenant.client())] == [vpc["id"]]
    assert vpc["id"] not in [found["id"] for found in vpcs_of(admin)]
    assert vpc["id"] in [found["id"] for found in vpcs_of(admin, listall=True)]
    assert [v["id"] for v in vpcs_of(admin, account=tenant.name, domainid=tenant.domainid)] == [
        vpc["id"]
    ]

    other = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint).client()
    assert vpcs_of(other) == [] and vpcs_of(other, listall=True) == []
    for call in (other.deleteVPC, other.restartVPC, other.updateVPC):
        error = api_error(call, id=vpc["id"])
        assert error.errorcode == 431 and "id" in error.errortext
    error = api_error(other.listVPCs, id=vpc["id"])
    assert error.errorcode == 431
    error = api_error(
        other.createVPC, **create_params(other, zone, account=tenant.name, domainid=tenant.domainid)
    )
    assert error.errorcode in (431, 531)


def test_vpc_limit(zone: SimZone, tenant: Tenant, admin: CloudStack) -> None:
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=7, max=1)
    user = tenant.client()
    first = create_vpc(user, zone, start=False)
    error = api_error(user.createVPC, **create_params(user, zone))
    assert (error.errorcode, error.cserrorcode) == (532, 4370)
    assert "vpc" in error.errortext
    succeeded(user, user.deleteVPC(id=first["id"]))
    create_vpc(user, zone, start=False)


def test_tags_and_events(zone: SimZone, tenant: Tenant) -> None:
    user = tenant.client()
    vpc = create_vpc(user, zone, start=False)
    plain = create_vpc(user, zone, start=False)
    succeeded(
        user,
        user.createTags(
            resourceids=vpc["id"],
            resourcetype="Vpc",
            **{"tags[0].key": "env", "tags[0].value": "prod"},
        ),
    )
    [tagged] = vpcs_of(user, **{"tags[0].key": "env", "tags[0].value": "prod"})
    assert tagged["id"] == vpc["id"]
    assert [(t["key"], t["value"], t["resourcetype"]) for t in tagged["tags"]] == [
        ("env", "prod", "Vpc")
    ]
    succeeded(user, user.updateVPC(id=vpc["id"], displaytext="x"))
    succeeded(user, user.restartVPC(id=plain["id"]))
    succeeded(user, user.deleteVPC(id=vpc["id"]))
    assert user.listTags(resourceid=vpc["id"]) == {}
    events = user.listEvents()["event"]
    completed = {(e["type"], e["state"]) for e in events if e["level"] == "INFO"}
    for kind in ("VPC.CREATE", "VPC.UPDATE", "VPC.RESTART", "VPC.DELETE"):
        assert (kind, "Completed") in completed, kind


def test_failed_apply_leaves_nothing_behind(
    zone: SimZone, tenant: Tenant, admin: CloudStack, network_dir: Path
) -> None:
    user = tenant.client()
    before = routers_in(network_dir)
    free = len(
        admin.listPublicIpAddresses(zoneid=zone.id, state="Free", allocatedonly=False)[
            "publicipaddress"
        ]
    )
    with failing_applies(network_dir):
        error = failed(user, user.createVPC(**create_params(user, zone)))
    assert error["errorcode"] == 534 and "apply" in error["errortext"]
    assert vpcs_of(user) == []
    assert routers_in(network_dir) == before
    assert (
        len(
            admin.listPublicIpAddresses(zoneid=zone.id, state="Free", allocatedonly=False)[
                "publicipaddress"
            ]
        )
        == free
    )

    vpc = create_vpc(user, zone)
    router = new_router(network_dir, before)
    with failing_applies(network_dir, router):
        error = failed(user, user.restartVPC(id=vpc["id"]))
    assert error["errorcode"] == 534
    [listed] = vpcs_of(user)
    assert listed["restartrequired"] is True
    succeeded(user, user.restartVPC(id=vpc["id"]))
    [listed] = vpcs_of(user)
    assert listed["restartrequired"] is False


def test_source_nat_address_taken_or_none_free(
    admin: CloudStack, tenant: Tenant, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tiny = build_zone(admin, root=tmp_path_factory.mktemp("tinyzone"), hosts=1, networking=False)
    answer = admin.createPhysicalNetwork(zoneid=tiny.id, name=unique("physnet"), vlan="300-310")
    physical = wait_for_job(admin, answer["jobid"])["jobresult"]["physicalnetwork"]
    for traffic in ("Guest", "Public", "Management"):
        wait_for_job(
            admin,
            admin.addTrafficType(physicalnetworkid=physical["id"], traffictype=traffic)["jobid"],
        )
    admin.createVlanIpRange(
        zoneid=tiny.id,
        forvirtualnetwork=True,
        vlan="untagged",
        gateway="198.51.100.1",
        netmask="255.255.255.0",
        startip="198.51.100.5",
        endip="198.51.100.5",
    )
    admin.updateResourceLimit(account=tenant.name, domainid=tenant.domainid, resourcetype=7, max=1)
    user = tenant.client()
    first = create_vpc(user, tiny, start=False)
    taken = create_vpc(admin, tiny)
    assert source_nat_address(admin, taken) == "198.51.100.5"
    error = failed(user, user.restartVPC(id=first["id"]))
    assert error["errorcode"] == 533
    succeeded(user, user.deleteVPC(id=first["id"]))

    error = failed(user, user.createVPC(**create_params(user, tiny)))
    assert error["errorcode"] == 533 and "public IP" in error["errortext"]
    error = failed(
        user, user.createVPC(**create_params(user, tiny, sourcenatipaddress="198.51.100.5"))
    )
    assert error["errorcode"] == 431 and "198.51.100.5" in error["errortext"]
    assert vpcs_of(user) == []
    succeeded(admin, admin.deleteVPC(id=taken["id"]))
    vpc = create_vpc(user, tiny, sourcenatipaddress="198.51.100.5")
    assert source_nat_address(user, vpc) == "198.51.100.5"
