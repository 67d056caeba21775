"""The simulator hypervisor: hosts with declared CPU and memory whose VMs live in state files.

A host is named by its URL, for example::

    simulator://host1?cpu=16&speed=2400&mem=65536&delay=start:0.5&fail=start:0.2

`cpu` (cores, default 8), `speed` (MHz per core, default 2000) and `mem` (MiB, default
16384) declare its size; `delay=OP:SECONDS` slows an operation and `fail=OP:PROBABILITY`
makes it fail that often (several may be given, comma-separated). OP is a method name
(`start_vm`, `stop_vm`, `migrate_vm`…, or its short form `start`, `stop`, `migrate`) or
`all`. `configure` changes the same behaviour at run time and can take a host down.

Each host's state (its VMs, snapshots and behaviour) is a JSON file under `state_dir`,
changed under an exclusive file lock, so it survives a management-server restart and is
shared by every process of one installation.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from native.drivers.file_locks import file_lock
from native.drivers.hypervisor.base import (
    DiskSpec,
    DriverError,
    HostAccess,
    HostInfo,
    HypervisorDriver,
    PowerState,
    VmSpec,
)

State = dict[str, Any]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def _parse_behaviour(text: str, *, what: str) -> dict[str, float]:
    rules: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        operation, _, number = item.partition(":")
        try:
            rules[_operation(operation)] = float(number)
        except ValueError:
            raise DriverError(
                f"Invalid simulator {what} {item!r}: use OP:NUMBER", retryable=False
            ) from None
    return rules


def _operation(name: str) -> str:
    name = name.strip()
    return (
        name
        if name == "all"
        or name.endswith(("_vm", "_disk", "_iso", "_snapshot"))
        or name
        in (
            "connect",
            "ping",
        )
        else f"{name}_vm"
    )


class SimulatorDriver(HypervisorDriver):
    """Simulated hosts (see the module docstring). Thread- and process-safe."""

    hypervisor_type = "Simulator"
    capabilities: ClassVar[dict[str, bool]] = {
        "live_migration": True,
        "vm_snapshot": True,
        "memory_snapshot": True,
        "disk_vm_snapshot": True,
        "scale": True,
        "attach_volume": True,
    }

    def __init__(self, *, state_dir: Path) -> None:
        self.state_dir = state_dir

    @staticmethod
    def _declared(url: str) -> tuple[str, dict[str, str]]:
        parts = urlsplit(url)
        if parts.scheme != "simulator" or not parts.hostname or not _NAME.match(parts.hostname):
            raise DriverError(
                f"Invalid simulator host URL {url!r}: expected simulator://NAME?cpu=…&mem=…",
                retryable=False,
            )
        return parts.hostname, dict(parse_qsl(parts.query))

    def _path(self, host: HostAccess) -> Path:
        name, _ = self._declared(host.url)
        return self.state_dir / f"{name}.json"

    @contextlib.contextmanager
    def _locked(self, host: HostAccess, *, create: bool = False) -> Iterator[State]:
        path = self._path(host)
        if not create and not path.exists():
            raise DriverError(f"Simulator host {host.url} is not connected", retryable=False)
        with file_lock(path.with_suffix(".lock")):
            state: State = json.loads(path.read_text()) if path.exists() else {}
            yield state
            scratch = path.with_suffix(".tmp")
            scratch.write_text(json.dumps(state, sort_keys=True))
            os.replace(scratch, path)

    def _read(self, host: HostAccess) -> State:
        """The host's state as last written, for calls that change nothing: every write
        replaces the file whole, so no lock is needed to read it."""
        try:
            state: State = json.loads(self._path(host).read_text())
        except FileNotFoundError:
            raise DriverError(
                f"Simulator host {host.url} is not connected", retryable=False
            ) from None
        return state

    def _behave(self, state: State, operation: str) -> None:
        """Apply the host's delays and injected failures to one operation."""
        if state.get("down"):
            raise DriverError(f"Simulator host {state['name']} is down")
        delays, failures = state.get("delays", {}), state.get("failures", {})
        delay = delays.get(operation, delays.get("all", 0.0))
        if delay:
            time.sleep(delay)
        if random.random() < failures.get(operation, failures.get("all", 0.0)):
            raise DriverError(f"Simulated failure of {operation} on host {state['name']}")

    def connect(self, host: HostAccess) -> HostInfo:
        name, query = self._declared(host.url)
        try:
            cpu, speed, memory = (
                int(query.get(k, d)) for k, d in (("cpu", 8), ("speed", 2000), ("mem", 16384))
            )
        except ValueError:
            raise DriverError(
                f"Invalid simulator host size in {host.url}", retryable=False
            ) from None
        if min(cpu, speed, memory) < 1:
            raise DriverError(
                f"Simulator host size must be positive in {host.url}", retryable=False
            )
        delays = _parse_behaviour(query.get("delay", ""), what="delay")
        failures = _parse_behaviour(query.get("fail", ""), what="failure")
        with self._locked(host, create=True) as state:
            if not state:
                state.update(
                    name=name,
                    guid=f"simulator-{name}-{uuid.uuid5(uuid.NAMESPACE_URL, host.url)}",
                    vms={},
                    down=False,
                    delays=delays,
                    failures=failures,
                )
            state.update(cpu=cpu, speed=speed, memory=memory)
            self._behave(state, "connect")
            return HostInfo(
                guid=state["guid"],
                name=name,
                cpu_sockets=1,
                cpu_number=cpu,
                cpu_speed=speed,
                memory=memory * 1024 * 1024,
                hypervisor_version="simulator-1.0",
                private_ip=None,
                capabilities=tuple(sorted(k for k, v in self.capabilities.items() if v)),
            )

    def disconnect(self, host: HostAccess) -> None:
        path = self._path(host)
        with self._locked(host, create=True) as state:
            if state.get("vms"):
                raise DriverError(f"Simulator host {host.url} still runs VMs", retryable=False)
        path.unlink(missing_ok=True)
        path.with_suffix(".lock").unlink(missing_ok=True)

    def ping(self, host: HostAccess) -> bool:
        try:
            self._behave(self._read(host), "ping")
        except DriverError:
            return False
        return True

    def start_vm(self, host: HostAccess, spec: VmSpec) -> None:
        with self._locked(host) as state:
            self._behave(state, "start_vm")
            state["vms"][spec.name] = {
                "power": PowerState.ON.value,
                "uuid": spec.uuid,
                "cpu": spec.cpu_number,
                "memory": spec.memory,
                "disks": {disk.volume_uuid: disk.device_id for disk in spec.disks},
                "iso": spec.iso_path,
                "snapshots": state.setdefault("stopped_snapshots", {}).pop(spec.name, {}),
            }

    def stop_vm(self, host: HostAccess, name: str, *, force: bool = False) -> None:
        with self._locked(host) as state:
            if not force:
                self._behave(state, "stop_vm")
            vm = state["vms"].pop(name, None)
            if vm and vm.get("snapshots"):
                state.setdefault("stopped_snapshots", {})[name] = vm["snapshots"]

    def reboot_vm(self, host: HostAccess, name: str) -> None:
        with self._locked(host) as state:
            self._behave(state, "reboot_vm")
            self._vm(state, name)["power"] = PowerState.ON.value

    def vm_states(self, host: HostAccess) -> dict[str, PowerState]:
        state = self._read(host)
        self._behave(state, "ping")
        return {name: PowerState(vm["power"]) for name, vm in state["vms"].items()}

    def vm_uuids(self, host: HostAccess) -> dict[str, str]:
        state = self._read(host)
        self._behave(state, "ping")
        return {name: str(vm["uuid"]) for name, vm in state["vms"].items()}

    def migrate_vm(self, source: HostAccess, target: HostAccess, spec: VmSpec) -> None:
        with self._locked(target) as arriving:
            self._behave(arriving, "migrate_vm")
            with self._locked(source) as leaving:
                self._behave(leaving, "migrate_vm")
                arriving["vms"][spec.name] = self._vm(leaving, spec.name)
                del leaving["vms"][spec.name]

    def scale_vm(self, host: HostAccess, name: str, *, cpu_number: int, memory: int) -> None:
        with self._locked(host) as state:
            self._behave(state, "scale_vm")
            self._vm(state, name).update(cpu=cpu_number, memory=memory)

    def attach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        with self._locked(host) as state:
            self._behave(state, "attach_disk")
            disks = self._vm(state, name)["disks"]
            if disk.device_id in disks.values():
                raise DriverError(
                    f"Device {disk.device_id} of VM {name} is in use", retryable=False
                )
            disks[disk.volume_uuid] = disk.device_id

    def detach_disk(self, host: HostAccess, name: str, disk: DiskSpec) -> None:
        with self._locked(host) as state:
            self._behave(state, "detach_disk")
            self._vm(state, name)["disks"].pop(disk.volume_uuid, None)

    def attach_iso(self, host: HostAccess, name: str, iso_path: str | None) -> None:
        with self._locked(host) as state:
            self._behave(state, "attach_iso")
            self._vm(state, name)["iso"] = iso_path

    def create_vm_snapshot(
        self, host: HostAccess, name: str, *, snapshot: str, memory: bool
    ) -> str:
        with self._locked(host) as state:
            self._behave(state, "create_vm_snapshot")
            vm = state["vms"].get(name)
            if vm is None and memory:
                raise DriverError(
                    f"VM {name} is not running: no memory to snapshot", retryable=False
                )
            reference = f"{name}/{snapshot}"
            snapshots = (
                vm["snapshots"]
                if vm is not None
                else state.setdefault("stopped_snapshots", {}).setdefault(name, {})
            )
            snapshots[reference] = {"memory": memory, "running": vm is not None}
            return reference

    def revert_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> PowerState:
        with self._locked(host) as state:
            self._behave(state, "revert_vm_snapshot")
            vm = state["vms"].get(name)
            snapshots = vm["snapshots"] if vm else state.get("stopped_snapshots", {}).get(name, {})
            taken = snapshots.get(reference)
            if taken is None:
                raise DriverError(f"VM snapshot {reference} does not exist", retryable=False)
            if vm is None and taken["memory"]:
                raise DriverError(
                    f"VM {name} is not running: start it to revert to a snapshot with memory",
                    retryable=False,
                )
            if vm is not None and not taken["memory"]:
                del state["vms"][name]
                state.setdefault("stopped_snapshots", {})[name] = snapshots
                return PowerState.OFF
            return PowerState.ON if vm is not None else PowerState.OFF

    def delete_vm_snapshot(self, host: HostAccess, name: str, *, reference: str) -> None:
        with self._locked(host) as state:
            self._behave(state, "delete_vm_snapshot")
            vm = state["vms"].get(name)
            snapshots = vm["snapshots"] if vm else state.get("stopped_snapshots", {}).get(name, {})
            snapshots.pop(reference, None)

    def configure(self, host: HostAccess, *, operation: str, value: str) -> None:
        """Change a host's behaviour: `operation` `host` with value `down` or `up`; or an
        operation name (or `all`) with `fail` (always), `fail:P` (probability P), `delay:S`
        (seconds) or `ok` (clear its delay and failure)."""
        with self._locked(host) as state:
            if operation == "host":
                if value not in ("down", "up"):
                    raise DriverError("Host state must be 'down' or 'up'", retryable=False)
                state["down"] = value == "down"
                return
            key = _operation(operation)
            kind, _, number = value.partition(":")
            try:
                amount = float(number) if number else 1.0
            except ValueError:
                raise DriverError(f"Invalid simulator setting {value!r}", retryable=False) from None
            if kind == "ok":
                state["delays"].pop(key, None)
                state["failures"].pop(key, None)
            elif kind == "fail":
                state["failures"][key] = amount
            elif kind == "delay":
                state["delays"][key] = amount
            else:
                raise DriverError(
                    f"Invalid simulator setting {value!r}: use fail, fail:P, delay:S or ok",
                    retryable=False,
                )

    @staticmethod
    def _vm(state: State, name: str) -> dict[str, Any]:
        try:
            vm: dict[str, Any] = state["vms"][name]
        except KeyError:
            raise DriverError(
                f"VM {name} is not running on host {state['name']}", retryable=False
            ) from None
        return vm
