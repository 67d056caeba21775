"""A management-server restart leaves running VMs running: the simulator's hosts keep their
state, the server finds its hosts and VMs as it left them, and they can be driven on."""

from __future__ import annotations

from pathlib import Path

from tests.support.server import ServerFactory
from tests.support.vms import deploy, offering, ready_template, succeeded, vm_of
from tests.support.zones import build_zone


def test_vms_survive_a_restart_and_can_be_stopped_after_it(
    start_alto_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_alto_server()
    admin = server.client()
    zone = build_zone(admin, root=tmp_path, hosts=1)
    vm = deploy(admin, zone, offering(admin), ready_template(admin, zone, root=tmp_path))
    state_file = server.data_dir / "drivers" / "simulator" / f"{zone.hosts[0]['name']}.json"
    assert vm["instancename"] in state_file.read_text()

    server.stop()
    server.start()
    admin = server.client()

    [host] = admin.listHosts(id=zone.hosts[0]["id"])["host"]
    assert host["state"] == "Up"
    after = vm_of(admin, vm["id"])
    assert (after["state"], after["hostid"]) == ("Running", vm["hostid"])
    succeeded(admin, admin.stopVirtualMachine(id=vm["id"]))
    assert vm_of(admin, vm["id"])["state"] == "Stopped"
    assert vm["instancename"] not in state_file.read_text()
