"""VM NICs through `cs`: listNics, addNicToVirtualMachine, removeNicFromVirtualMachine,
updateDefaultNicForVirtualMachine; what the routers then serve, bad input and failed
applies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.api import api_error
from tests.support.networks import create_network
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, new_account
from tests.support.vms import deploy, failed, succeeded, vm_of
from tests.support.zones import SimZone


def dnsmasq_of(network_dir: Path, network_id: str) -> str:
    """The dnsmasq configuration of the router serving the network ("" if none)."""
    texts = [
        path.read_text()
        for path in network_dir.glob("r-*/dnsmasq.conf")
        if f"guest network {network_id} " in path.read_text()
    ]
    assert len(texts) <= 1
    return texts[0] if texts else ""


def nics_by_network(vm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {nic["networkid"]: nic for nic in vm["nic"]}


def test_add_list_switch_and_remove_nics(
    zone: SimZone,
    tenant: Tenant,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
    admin: CloudStack,
) -> None:
    user = tenant.client()
    first = create_network(user, zone, "10.70.0")
    second = create_network(user, zone, "10.71.0")
    vm = deploy(user, zone, so, template, networkids=first["id"])
    [default] = vm["nic"]

    added = succeeded(
        user,
        user.addNicToVirtualMachine(
            virtualmachineid=vm["id"], networkid=second["id"], ipaddress="10.71.0.50"
        ),
    )["virtualmachine"]
    nics = nics_by_network(added)
    new = nics[second["id"]]
    assert (new["ipaddress"], new["isdefault"], new["deviceid"]) == ("10.71.0.50", False, "1")
    assert nics[first["id"]]["isdefault"] is True
    [implemented] = admin.listNetworks(id=second["id"])["network"]
    assert implemented["state"] == "Implemented"
    assert new["macaddress"] in dnsmasq_of(network_dir, second["id"])

    listed = user.listNics(virtualmachineid=vm["id"])
    assert listed["count"] == 2 and [n["id"] for n in listed["nic"]] == [default["id"], new["id"]]
    assert [
        n["id"] for n in user.listNics(virtualmachineid=vm["id"], networkid=second["id"])["nic"]
    ] == [new["id"]]
    [only] = user.listNics(virtualmachineid=vm["id"], nicid=default["id"])["nic"]
    assert only["ipaddress"] == default["ipaddress"] and only["virtualmachineid"] == vm["id"]

    twice = api_error(
        user.addNicToVirtualMachine, virtualmachineid=vm["id"], networkid=second["id"]
    )
    assert twice.errorcode == 431 and "networkid" in twice.errortext
    not_default = api_error(
        user.removeNicFromVirtualMachine, virtualmachineid=vm["id"], nicid=default["id"]
    )
    assert not_default.errorcode == 431 and "default" in not_default.errortext
    already = api_error(
        user.updateDefaultNicForVirtualMachine, virtualmachineid=vm["id"], nicid=default["id"]
    )
    assert already.errorcode == 431 and "already" in already.errortext

    switched = succeeded(
        user, user.updateDefaultNicForVirtualMachine(virtualmachineid=vm["id"], nicid=new["id"])
    )["virtualmachine"]
    nics = nics_by_network(switched)
    assert nics[second["id"]]["isdefault"] is True and nics[first["id"]]["isdefault"] is False

    removed = succeeded(
        user, user.removeNicFromVirtualMachine(virtualmachineid=vm["id"], nicid=default["id"])
    )["virtualmachine"]
    assert [nic["id"] for nic in removed["nic"]] == [new["id"]]
    assert default["macaddress"] not in dnsmasq_of(network_dir, first["id"])
    assert user.listNics(virtualmachineid=vm["id"], networkid=first["id"]).get("nic", []) == []

    events = {e["type"] for e in user.listEvents().get("event", []) if e["level"] == "INFO"}
    assert {"NIC.CREATE", "NIC.UPDATE", "NIC.DELETE"} <= events


def test_stopped_vm_gets_its_nic_and_the_address_is_kept(
    zone: SimZone, tenant: Tenant, so: dict[str, Any], template: dict[str, Any]
) -> None:
    user = tenant.client()
    first = create_network(user, zone, "10.72.0")
    second = create_network(user, zone, "10.73.0")
    vm = deploy(user, zone, so, template, networkids=first["id"], startvm=False)
    added = succeeded(
        user, user.addNicToVirtualMachine(virtualmachineid=vm["id"], networkid=second["id"])
    )["virtualmachine"]
    address = nics_by_network(added)[second["id"]]["ipaddress"]
    assert address.startswith("10.73.0.")
    [idle] = user.listNetworks(id=second["id"])["network"]
    assert idle["state"] == "Allocated"
    succeeded(user, user.startVirtualMachine(id=vm["id"]))
    assert nics_by_network(vm_of(user, vm["id"]))[second["id"]]["ipaddress"] == address
    [started] = user.listNetworks(id=second["id"])["network"]
    assert started["state"] == "Implemented"


def test_bad_requests(
    zone: SimZone,
    tenant: Tenant,
    so: dict[str, Any],
    template: dict[str, Any],
    admin: CloudStack,
    alto_server: AltoServer,
) -> None:
    user = tenant.client()
    mine = create_network(user, zone, "10.74.0")
    vm = deploy(user, zone, so, template, networkids=mine["id"])
    other = new_account(admin, endpoint=alto_server.endpoint).client()
    theirs = create_network(other, zone, "10.75.0")
    foreign = api_error(
        user.addNicToVirtualMachine, virtualmachineid=vm["id"], networkid=theirs["id"]
    )
    assert foreign.errorcode == 531 and theirs["name"] in foreign.errortext
    hidden = api_error(other.listNics, virtualmachineid=vm["id"])
    assert hidden.errorcode == 431
    assert api_error(user.listNics).errorcode == 431

    spare = create_network(user, zone, "10.76.0")
    for address, code in (("10.76.1.5", 431), ("10.76.0.1", 431), ("ten", 431)):
        error = api_error(
            user.addNicToVirtualMachine,
            virtualmachineid=vm["id"],
            networkid=spare["id"],
            ipaddress=address,
        )
        assert error.errorcode == code, (address, error)
    [their_vm] = [deploy(other, zone, so, template, networkids=theirs["id"])]
    wrong = api_error(
        user.removeNicFromVirtualMachine,
        virtualmachineid=vm["id"],
        nicid=their_vm["nic"][0]["id"],
    )
    assert wrong.errorcode == 431 and "nicid" in wrong.errortext

    succeeded(user, user.destroyVirtualMachine(id=vm["id"]))
    gone = api_error(user.addNicToVirtualMachine, virtualmachineid=vm["id"], networkid=spare["id"])
    assert gone.errorcode == 431 and "Destroyed" in gone.errortext
    assert user.listNics(virtualmachineid=vm["id"])["count"] == 1


def test_failed_apply_takes_the_new_nic_back(
    zone: SimZone,
    tenant: Tenant,
    so: dict[str, Any],
    template: dict[str, Any],
    network_dir: Path,
) -> None:
    user = tenant.client()
    first = create_network(user, zone, "10.77.0")
    second = create_network(user, zone, "10.78.0")
    vm = deploy(user, zone, so, template, networkids=first["id"])
    deploy(user, zone, so, template, networkids=second["id"])
    before = dnsmasq_of(network_dir, second["id"])
    faults = network_dir / "faults.json"
    faults.write_text(json.dumps({"apply": 1}))
    try:
        error = failed(
            user, user.addNicToVirtualMachine(virtualmachineid=vm["id"], networkid=second["id"])
        )
    finally:
        faults.unlink()
    assert error["errorcode"] == 534
    assert [nic["networkid"] for nic in vm_of(user, vm["id"])["nic"]] == [first["id"]]
    after = dnsmasq_of(network_dir, second["id"])
    assert after.count("dhcp-host=") == before.count("dhcp-host=")
    added = succeeded(
        user, user.addNicToVirtualMachine(virtualmachineid=vm["id"], networkid=second["id"])
    )["virtualmachine"]
    nic = nics_by_network(added)[second["id"]]
    faults.write_text(json.dumps({"apply": 1}))
    try:
        error = failed(
            user, user.removeNicFromVirtualMachine(virtualmachineid=vm["id"], nicid=nic["id"])
        )
    finally:
        faults.unlink()
    assert error["errorcode"] == 534
    [kept] = user.listNics(virtualmachineid=vm["id"], networkid=second["id"])["nic"]
    assert (kept["id"], kept["ipaddress"], kept["macaddress"]) == (
        nic["id"],
        nic["ipaddress"],
        nic["macaddress"],
    )
    assert nic["macaddress"] in dnsmasq_of(network_dir, second["id"])
