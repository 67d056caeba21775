"""The links of a Linux virtual router: its network namespace, the host bridges its
interfaces are plugged into, and the veth pairs between the two (iproute2, as root).

A router `<name>` is the namespace `alto-<name>`. Each interface of its configuration is a
veth pair: the router end carries the interface's name (`eth0`) and addresses inside the
namespace, the host end (`host_end()`, named from the router and interface so a later run
finds it again) is enslaved to a bridge on the host. Bridge names are shared with the
hypervisor side, which plugs VM NICs into the same bridges: see `native.drivers.bridges`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from native.drivers.bridges import IFNAMSIZ, short_hash
from native.drivers.network.base import NetworkDriverError

NAMESPACE_PREFIX = "alto-"
NETNS_DIR = Path("/run/netns")
ROUTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}")
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


@dataclass(frozen=True, kw_only=True)
class Link:
    """One router interface as plumbed: the router end `device` with `addresses`
    (`a.b.c.d/prefix`, the first one primary), its host end `host_end` on `bridge`, and
    `mac` (None: the kernel's random one)."""

    device: str
    host_end: str
    bridge: str
    addresses: tuple[str, ...]
    mac: str | None = None


def tool(name: str) -> str:
    """The path of the command `name`, also looked up in the sbin directories."""
    path = shutil.which(name) or shutil.which(name, path=SBIN)
    if path is None:
        raise NetworkDriverError(f"{name} is not installed on this host")
    return path


def run(argv: Sequence[str], *, namespace: str | None = None) -> str:
    """Run `argv` (inside `namespace` when given) and return its output; a failure raises
    NetworkDriverError with the command's own message."""
    command = [tool("ip"), "netns", "exec", namespace, *argv] if namespace else list(argv)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        raise NetworkDriverError(f"{' '.join(argv)}: {message or f'exit {done.returncode}'}")
    return done.stdout


def ip(*args: str, namespace: str | None = None) -> str:
    """`ip [-n namespace] args…`."""
    where = ["-n", namespace] if namespace else []
    return run([tool("ip"), *where, *args])


def namespace_of(router_name: str) -> str:
    """The namespace of router `router_name` (NetworkDriverError for a name that is not a
    plain file name)."""
    if not ROUTER_NAME.fullmatch(router_name):
        raise NetworkDriverError(f"Invalid router name {router_name!r}")
    return NAMESPACE_PREFIX + router_name


def host_end(*, router_name: str, device: str) -> str:
    """The host end of router `router_name`'s interface `device`: `vr` and ten hex digits
    of a hash of both names (stable, so a later apply or destroy finds it again)."""
    return "vr" + short_hash(f"{router_name}/{device}", length=10)


def check_device_name(name: str) -> str:
    if not name or len(name) > IFNAMSIZ or "/" in name or name.isspace():
        raise NetworkDriverError(f"Invalid device name {name!r}")
    return name


def namespace_exists(namespace: str) -> bool:
    return (NETNS_DIR / namespace).exists()


def ensure_namespace(namespace: str) -> None:
    """Create `namespace` if missing, with `lo` up and IPv4 forwarding on."""
    if not namespace_exists(namespace):
        ip("netns", "add", namespace)
    ip("link", "set", "lo", "up", namespace=namespace)
    run([tool("sysctl"), "-qw", "net.ipv4.ip_forward=1"], namespace=namespace)


def _devices(namespace: str | None) -> dict[str, dict[str, object]]:
    links = json.loads(ip("-j", "link", "show", namespace=namespace) or "[]")
    return {str(link["ifname"]): link for link in links}


def devices(namespace: str) -> list[str]:
    """The devices of `namespace` but `lo` (none when it does not exist)."""
    if not namespace_exists(namespace):
        return []
    return [name for name in _devices(namespace) if name != "lo"]


def device_exists(name: str) -> bool:
    """Whether the host has a device `name`."""
    return Path("/sys/class/net", name).exists()


def ensure_bridge(name: str) -> None:
    """Create the host bridge `name` if missing and set it up."""
    check_device_name(name)
    if not device_exists(name):
        ip("link", "add", name, "type", "bridge")
    ip("link", "set", name, "up")


def plug(link: Link, *, namespace: str) -> None:
    """Make `link` exist as described: the veth pair (created when the router end is
    missing), the host end on its bridge and up, the router end's MAC, state and
    addresses (extra addresses removed)."""
    ensure_bridge(link.bridge)
    if link.device not in _devices(namespace):
        if device_exists(link.host_end):
            ip("link", "del", link.host_end)
        ip(
            "link",
            "add",
            link.host_end,
            "type",
            "veth",
            "peer",
            "name",
            link.device,
            "netns",
            namespace,
        )
    ip("link", "set", link.host_end, "master", link.bridge, "up")
    if link.mac is not None:
        ip("link", "set", link.device, "address", link.mac, namespace=namespace)
    ip("link", "set", link.device, "up", namespace=namespace)
    _set_addresses(link, namespace=namespace)


def _set_addresses(link: Link, *, namespace: str) -> None:
    shown = json.loads(ip("-j", "-4", "addr", "show", "dev", link.device, namespace=namespace))
    present = {
        f"{info['local']}/{info['prefixlen']}" for entry in shown for info in entry["addr_info"]
    }
    for extra in sorted(present - set(link.addresses)):
        ip("addr", "del", extra, "dev", link.device, namespace=namespace)
    for address in link.addresses:
        if address not in present:
            ip("addr", "add", address, "dev", link.device, namespace=namespace)


def remove_devices(namespace: str, *, keep: set[str]) -> None:
    """Delete the devices of `namespace` not in `keep` (a veth takes its host end along)."""
    for device in devices(namespace):
        if device not in keep:
            ip("link", "del", device, namespace=namespace)


def set_default_route(namespace: str, *, gateway: str | None, device: str | None) -> None:
    """Route everything not more specific via `gateway` on `device` (no default route when
    `gateway` is None)."""
    if gateway is None or device is None:
        if json.loads(ip("-j", "route", "show", "default", namespace=namespace) or "[]"):
            ip("route", "del", "default", namespace=namespace)
    else:
        ip("route", "replace", "default", "via", gateway, "dev", device, namespace=namespace)


def delete_namespace(namespace: str, *, host_ends: Sequence[str]) -> None:
    """Delete `namespace` and its veths (each pair at once, rather than when the kernel
    gets round to the namespace's cleanup), and any of `host_ends` left on the host."""
    if namespace_exists(namespace):
        remove_devices(namespace, keep=set())
        ip("netns", "del", namespace)
    for name in host_ends:
        if device_exists(name):
            try:
                ip("link", "del", name)
            except NetworkDriverError:
                if device_exists(name):
                    raise
