"""A second libvirt host on this machine: `libvirtd` and `virtlogd` in a network namespace
of their own, for tests that need two hypervisor hosts (live migration).

`libvirt_host_in_netns()` creates, and on exit always removes:

- a network namespace `altomigN` joined to the root namespace by a veth pair on a free /30
  of 10.254.77.0/24 (`veth_namespace()` of `tests/support/netns.py`, which describes it);
- a private mount namespace inside it where directories of a temporary work directory are
  bind-mounted over `/run/libvirt`, `/var/lib/libvirt`, `/var/cache/libvirt`,
  `/var/log/libvirt` and `/etc/libvirt`, so the daemons share no socket, state, cache, log
  or configuration with the system ones;
- `virtlogd` and `libvirtd --listen` there: `libvirtd.conf` with its own `host_uuid`,
  TCP without authentication on the namespace address only; `qemu.conf` without cgroups
  (the system libvirtd places its QEMUs in the same cgroup v1 hierarchy, under the same
  names).

Everything else (`/tmp`, `/var/tmp`, `/var/cache/alto-test-guest`) is shared with the
root namespace, like shared storage between two hosts. The host is reached at
`qemu+tcp://ADDRESS/system`. Teardown destroys the daemon's domains, ends every process
left in the namespace (all started by it), removes the work directory and deletes the
namespace, which deletes the veth pair. Anything the machine lacks (root, `libvirtd`,
`virtlogd`, `unshare`, `ip`, the directories to mount over, a free subnet) raises
`NamespaceHostUnavailable`, which tests turn into a skip.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support import netns

PREFIX = "altomig"
SUPERNET = ipaddress.IPv4Network("10.254.77.0/24")
LIBVIRTD_PORT = 16509
START_TIMEOUT = 30.0
PRIVATE_DIRS = {
    "run": "/run/libvirt",
    "lib": "/var/lib/libvirt",
    "cache": "/var/cache/libvirt",
    "log": "/var/log/libvirt",
    "etc": "/etc/libvirt",
}
_TOOLS = ("libvirtd", "virtlogd", "unshare")
_LOCK = Path("/tmp/altomig.lock")


class NamespaceHostUnavailable(netns.NamespaceUnavailable):
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


def _check_mount_points() -> None:
    absent = [path for path in PRIVATE_DIRS.values() if not Path(path).is_dir()]
    if absent:
        raise NamespaceHostUnavailable(f"no {', '.join(absent)} to mount over")


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
        + f"virtlogd --pid-file {work_dir / 'virtlogd.pid'} &\n"
        + f"exec libvirtd --listen --pid-file {work_dir / 'libvirtd.pid'}\n"
    )


def _wait_until_listening(address: str, daemon: subprocess.Popen[bytes], work: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            output = (work / "daemon.out").read_text(errors="replace")
            raise NamespaceHostUnavailable(f"libvirtd in the namespace exited: {output}")
        if netns.accepts_connections(address, LIBVIRTD_PORT):
            return
        time.sleep(0.1)
    raise NamespaceHostUnavailable(f"libvirtd did not listen on {address} in {START_TIMEOUT} s")


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
    _check_mount_points()
    with netns.veth_namespace(
        prefix=PREFIX,
        supernet=SUPERNET,
        lock=_LOCK,
        tools=_TOOLS,
        unavailable=NamespaceHostUnavailable,
    ) as namespace:
        host = NamespaceHost(
            netns=namespace.name,
            address=namespace.address,
            uri=f"qemu+tcp://{namespace.address}/system",
            work_dir=namespace.work_dir,
        )
        _write_config(host.work_dir, host.address)
        script = _daemon_script(host.work_dir)
        with netns.namespace_shell(
            namespace, script=script, output=host.work_dir / "daemon.out"
        ) as daemon:
            try:
                _wait_until_listening(host.address, daemon, host.work_dir)
                yield host
            finally:
                _destroy_domains(host.uri)


def libvirt_host_or_skip() -> Iterator[NamespaceHost]:
    """`libvirt_host_in_netns()` for a pytest fixture to `yield from`: the test is skipped,
    saying why, where the host cannot start."""
    return netns.yield_or_skip(libvirt_host_in_netns(), what="a second libvirt host")
