"""HA: a simulator host that dies goes Down and its HA VMs restart on other hosts.

Each test runs a server of its own, since it sets `ping.interval` to one second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.server import ServerFactory
from tests.support.tenants import admin_client
from tests.support.vms import deploy, host_of, offering, ready_template, vm_of
from tests.support.zones import build_zone

HA_TIMEOUT = 60.0


def eventually(check: Callable[[], bool], *, what: str, timeout: float = HA_TIMEOUT) -> None:
    """Poll `check` until it holds; fail naming `what` if it never does within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def _events(admin: CloudStack, kind: str) -> list[dict[str, Any]]:
    return list(admin.listEvents(type=kind, listall=True).get("event", []))


def test_ha_vms_of_a_dead_host_restart_elsewhere(
    start_alto_server: ServerFactory, tmp_path: Path
) -> None:
    admin = admin_client(start_alto_server())
    zone = build_zone(admin, root=tmp_path, hosts=3)
    template = ready_template(admin, zone, root=tmp_path)
    ha_offering = offering(admin, offerha=True)
    plain_offering = offering(admin)
    dying = zone.hosts[0]
    ha_vm = deploy(admin, zone, ha_offering, template, hostid=dying["id"])["id"]
    plain_vm = deploy(admin, zone, plain_offering, template, hostid=dying["id"])["id"]
    admin.updateConfiguration(name="ping.interval", value="1")

    admin.configureSimulator(hostid=dying["id"], name="host", value="down")
    eventually(lambda: host_of(admin, dying["id"])["state"] == "Down", what="host Down")

    def restarted(vm_id: str) -> bool:
        vm = vm_of(admin, vm_id)
        return vm["state"] == "Running" and vm.get("hostid") not in (None, dying["id"])

    eventually(lambda: restarted(ha_vm), what="HA VM restarted")
    eventually(lambda: vm_of(admin, plain_vm)["state"] == "Stopped", what="plain VM stopped")
    down_alerts = admin.listAlerts(type="7", keyword=dying["id"])["alert"]
    assert any("Host is down" in alert["description"] for alert in down_alerts)
    restarts = [e for e in _events(admin, "VM.START") if "HA restarted" in e["description"]]
    assert len(restarts) == 1
    assert len(admin.listAlerts(type="8")["alert"]) == 1
    stops = _events(admin, "VM.STOP")
    assert sum(dying["name"] in event["description"] for event in stops) == 2
    assert any(dying["id"] == e.get("resourceid") for e in _events(admin, "HA.STATE.TRANSITION"))

    admin.configureSimulator(hostid=dying["id"], name="host", value="up")
    eventually(lambda: host_of(admin, dying["id"])["state"] == "Up", what="host Up again")
    up_alerts = admin.listAlerts(type="7", keyword=dying["id"])["alert"]
    assert any("Host is up" in alert["description"] for alert in up_alerts)
    assert restarted(ha_vm)
    assert vm_of(admin, plain_vm)["state"] == "Stopped"


def test_an_ha_vm_with_nowhere_to_go_stays_stopped_with_an_alert(
    start_alto_server: ServerFactory, tmp_path: Path
) -> None:
    admin = admin_client(start_alto_server())
    zone = build_zone(admin, root=tmp_path, hosts=1)
    template = ready_template(admin, zone, root=tmp_path)
    [host] = zone.hosts
    vm_id = deploy(admin, zone, offering(admin, offerha=True), template, hostid=host["id"])["id"]
    admin.updateConfiguration(name="ping.interval", value="1")
    admin.configureSimulator(hostid=host["id"], name="host", value="down")

    def refused() -> bool:
        alerts = admin.listAlerts(type="8").get("alert", [])
        return any("Unable to restart" in alert["description"] for alert in alerts)

    eventually(refused, what="an alert that the HA restart failed")
    assert host_of(admin, host["id"])["state"] == "Down"
    assert vm_of(admin, vm_id)["state"] == "Stopped"
    failures = [e for e in _events(admin, "VM.START") if e["level"] == "ERROR"]
    assert any(host["name"] in event["description"] for event in failures)
