"""A second libvirt host on this machine: `libvirtd` and `virtlogd` in a network namespace
of their own, for tests that need two hypervisor hosts (live migration).

`libvirt_host_in_netns()` creates, and on exit always removes:

- a network namespace `altomigN` joined to the root namespace by a veth pair
  (`altomigNh` here, `altomigNn` there) on a free /30 of 10.254.77.0/24: the root side
  has the first address, the namespace the second;
- a private mount namespace inside it (`unshare --mount --propagation private`) where
  directories of a temporary work directory are bind-mounted over `/run/libvirt`,
  `/var/lib/libvirt`, `/var/cache/libvirt`, `/var/log/libvirt` and `/etc/libvirt`, so the
  daemons share no socket, state, cache, log or configuration with the system ones;
- `virtlogd` and `libvirtd --listen` there: `libvirtd.conf` with its own `host_uuid`,
  TCP without authentication on the namespace address only; `qemu.conf` without cgroups
  (the system libvirtd places its QEMUs in the same cgroup v1 hierarchy, under the same
  names).

Everything else (`/tmp`, `/var/tmp`, `/var/cache/alto-test-guest`) is shared with the
root namespace, like shared storage between two hosts. The host is reached at
`qemu+tcp://ADDRESS/system`. Teardown destroys the daemon's domains, ends every process
left in the namespace (all started by it) and deletes the namespace, which deletes the
veth pair. Anything the machine lacks (root, `libvirtd`, `virtlogd`, `unshare`, `ip`, a
free subnet) raises `NamespaceHostUnavailable`, which tests turn into a skip.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PREFIX = "altomig"
SUPERNET = ipaddress.IPv4Network("10.254.77.0/24")
LIBVIRTD_PORT = 16509
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PRIVATE_DIRS = {
    "run": "/run/libvirt",
    "lib": "/var/lib/libvirt",
    "cache": "/var/cache/libvirt",
    "log": "/var/log/libvirt",
    "etc": "/etc/libvirt",
}
_TOOLS = ("libvirtd", "virtlogd", "unshare", "ip")
_LOCK = Path("/tmp/altomig.lock")


class NamespaceHostUnavailable(Exception):
    """This machine cannot run a second libvirt host (the reason is the message)."""


@dataclass(frozen=True)
class NamespaceHost:
    """The second host: its namespace, its address, its libvirt URI and work directory."""

    netns: str
    address: str
    uri: str
    work_dir: Path

    def daemon_log(self) -> str:
        """The tail of the namespace libvirtd's log, for failure messages."""
        path = self.work_dir / "log" / "libvirtd.log"
        with contextlib.suppress(OSError):
            return path.read_text(errors="replace")[-4000:]
        return ""


def _run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise NamespaceHostUnavailable(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


def _check_machine() -> None:
    if os.geteuid() != 0:
        raise NamespaceHostUnavailable("needs root (network and mount namespaces)")
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        raise NamespaceHostUnavailable(f"missing {', '.join(missing)}")
    absent = [path for path in PRIVATE_DIRS.values() if not Path(path).is_dir()]
    if absent:
        raise NamespaceHostUnavailable(f"no {', '.join(absent)} to mount over")


def _free_subnet() -> ipaddress.IPv4Network:
    """A /30 of SUPERNET that no address or route of the root namespace touches."""
    used = [
        ipaddress.ip_interface(word).network
        for line in _run("ip", "-4", "-o", "addr", "show").splitlines()
        for word in line.split()[3:4]
    ]
    for line in _run("ip", "-4", "route", "show", "table", "all").splitlines():
        destination = line.split()[0] if line.split() else ""
        with contextlib.suppress(ValueError):
            used.append(ipaddress.ip_network(destination, strict=False))
    for subnet in SUPERNET.subnets(new_prefix=30):
        if not any(subnet.overlaps(network) for network in used if network.prefixlen):
            return subnet
    raise NamespaceHostUnavailable(f"no free /30 left in {SUPERNET}")


def _unused_name() -> str:
    for number in range(os.getpid() % 1000, os.getpid() % 1000 + 1000):
        name = f"{PREFIX}{number}"
        used = (Path("/run/netns") / name, Path("/sys/class/net") / f"{name}h")
        if not any(path.exists() for path in used):
            return name
    raise NamespaceHostUnavailable("no free altomig namespace name")


def _write_config(work_dir: Path, address: str) -> None:
    for directory in PRIVATE_DIRS:
        (work_dir / directory).mkdir(mode=0o755)
    etc = work_dir / "etc"
    (etc / "libvirtd.conf").write_text(
        "listen_tls = 0\n"
        "listen_tcp = 1\n"
        f'listen_addr = "{address}"\n'
        f'tcp_port = "{LIBVIRTD_PORT}"\n'
        'auth_tcp = "none"\n'
        f'host_uuid = "{uuid.uuid4()}"\n'
        'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n'
    )
    (etc / "qemu.conf").write_text("cgroup_controllers = [ ]\n")
    (etc / "virtlogd.conf").write_text('log_outputs = "3:file:/var/log/libvirt/virtlogd.log"\n')
    # The system's QEMU capabilities cache spares the new daemon a probe of each binary
    # (libvirt validates the entries and probes again when they do not match).
    system_cache = Path(PRIVATE_DIRS["cache"]) / "qemu" / "capabilities"
    if system_cache.is_dir():
        shutil.copytree(system_cache, work_dir / "cache" / "qemu" / "capabilities")


def _daemon_script(work_dir: Path) -> str:
    mounts = "".join(
        f"mount --bind {work_dir / directory} {target}\n"
        for directory, target in PRIVATE_DIRS.items()
    )
    return (
        "set -e\n"
        + mounts
        + "ip link set lo up\n"
        + f"virtlogd --pid-file {work_dir / 'virtlogd.pid'} &\n"
        + f"exec libvirtd --listen --pid-file {work_dir / 'libvirtd.pid'}\n"
    )


def _wait_until_listening(address: str, daemon: subprocess.Popen[bytes], work: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            output = (work / "daemon.out").read_text(errors="replace")
            raise NamespaceHostUnavailable(f"libvirtd in the namespace exited: {output}")
        with contextlib.suppress(OSError), socket.create_connection((address, LIBVIRTD_PORT), 1):
            return
        time.sleep(0.1)
    raise NamespaceHostUnavailable(f"libvirtd did not listen on {address} in {START_TIMEOUT} s")


def _namespace_pids(netns: str) -> list[int]:
    result = subprocess.run(
        ["ip", "netns", "pids", netns], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in result.stdout.split()]


def _end_processes(netns: str) -> None:
    """SIGTERM, then SIGKILL, every process in the namespace: all were started by us."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _namespace_pids(netns):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _namespace_pids(netns) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _namespace_pids(netns):
            return


def _reap(daemon: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        daemon.wait(STOP_TIMEOUT)


def _delete_link(name: str) -> None:
    """The root end of the veth pair, if deleting the namespace did not take it along."""
    if (Path("/sys/class/net") / name).exists():
        subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)


def _destroy_domains(uri: str) -> None:
    """Power off and undefine whatever domains the namespace daemon still has."""
    try:
        import libvirt
    except ImportError:
        return
    with contextlib.suppress(libvirt.libvirtError):
        conn = libvirt.open(uri)
        try:
            for domain in conn.listAllDomains(0):
                with contextlib.suppress(libvirt.libvirtError):
                    if domain.isActive():
                        domain.destroy()
                with contextlib.suppress(libvirt.libvirtError):
                    domain.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        finally:
            conn.close()


@contextlib.contextmanager
def libvirt_host_in_netns() -> Iterator[NamespaceHost]:
    """A libvirt host in a namespace of its own (see the module docstring)."""
    _check_machine()
    with contextlib.ExitStack() as cleanup:
        with _LOCK.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            netns = _unused_name()
            subnet = _free_subnet()
            outside, inside = (str(address) for address in subnet.hosts())
            _run("ip", "netns", "add", netns)
            cleanup.callback(subprocess.run, ["ip", "netns", "del", netns], check=False)
            cleanup.callback(_delete_link, f"{netns}h")
            _run("ip", "link", "add", f"{netns}h", "type", "veth", "peer", "name", f"{netns}n")
            _run("ip", "link", "set", f"{netns}n", "netns", netns)
            _run("ip", "addr", "add", f"{outside}/30", "dev", f"{netns}h")
            _run("ip", "link", "set", f"{netns}h", "up")
            _run("ip", "-n", netns, "addr", "add", f"{inside}/30", "dev", f"{netns}n")
            _run("ip", "-n", netns, "link", "set", f"{netns}n", "up")
        work_dir = Path(tempfile.mkdtemp(prefix=f"{netns}-", dir="/var/tmp"))
        cleanup.callback(shutil.rmtree, work_dir, ignore_errors=True)
        _write_config(work_dir, inside)
        host = NamespaceHost(
            netns=netns, address=inside, uri=f"qemu+tcp://{inside}/system", work_dir=work_dir
        )
        with (work_dir / "daemon.out").open("wb") as output:
            daemon = subprocess.Popen(
                ["ip", "netns", "exec", netns, "unshare", "--mount", "--propagation", "private"]
                + ["sh", "-c", _daemon_script(work_dir)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        cleanup.callback(_reap, daemon)
        cleanup.callback(_end_processes, netns)
        cleanup.callback(_destroy_domains, host.uri)
        _wait_until_listening(inside, daemon, work_dir)
        yield host


def libvirt_host_or_skip() -> Iterator[NamespaceHost]:
    """`libvirt_host_in_netns()` for a pytest fixture to `yield from`: the test is skipped,
    saying why, where the host cannot start."""
    with contextlib.ExitStack() as stack:
        try:
            host = stack.enter_context(libvirt_host_in_netns())
        except NamespaceHostUnavailable as error:
            pytest.skip(f"cannot start a second libvirt host: {error}")
        yield host
