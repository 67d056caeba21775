"""Network namespaces for test daemons that must look like another machine on the network
(a second libvirt host, an NFS server).

`veth_namespace()` creates, and on exit always removes:

- a network namespace `PREFIXN` joined to the root namespace by a veth pair (`PREFIXNh`
  here, `PREFIXNn` there) on a free /30 of a given supernet (one that no address or route
  of the root namespace touches): the root side has the first address, the namespace the
  second; loopback is up in the namespace. Name and subnet are chosen, and the pair set
  up, under an exclusive `flock` of a given lock file, so that concurrent test processes
  never take the same ones;
- a temporary work directory under /var/tmp, `PREFIXN-XXXXXXXX`, for the caller's
  configuration, state and logs.

`namespace_shell()` runs a shell script in such a namespace, in a private mount namespace
of its own (`unshare --mount --propagation private`) where the script bind-mounts what its
daemons must not share with the system's; everything else is shared with the root
namespace. When it ends, the shell gets SIGTERM and `STOP_TIMEOUT` to stop what it started
in an order of its own; then every process left in the namespace (all started by the
caller) gets SIGTERM, then SIGKILL. `veth_namespace()` ends them the same way on exit
before it removes the work directory and deletes the namespace, which deletes the veth
pair. Anything the machine lacks (root, `ip` or another tool the caller needs, a free
name or subnet) raises a `NamespaceUnavailable` of the caller's choice;
`yield_or_skip()` turns it into a pytest skip.
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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

STOP_TIMEOUT = 10.0
_NETNS_DIR = Path("/run/netns")
_LINKS_DIR = Path("/sys/class/net")

T = TypeVar("T")


class NamespaceUnavailable(Exception):
    """This machine cannot run the namespace or what runs in it (the reason is the message)."""


@dataclass(frozen=True, kw_only=True)
class VethNamespace:
    """A network namespace `name`, reached from the root namespace through the veth end
    `root_link` (address `root_address`) at `address`, and its work directory."""

    name: str
    root_link: str
    root_address: str
    address: str
    work_dir: Path


def accepts_connections(address: str, port: int) -> bool:
    """Whether a TCP connection to address:port succeeds within a second."""
    with contextlib.suppress(OSError), socket.create_connection((address, port), 1):
        return True
    return False


def _require_tools(tools: Iterable[str]) -> None:
    if os.geteuid() != 0:
        raise NamespaceUnavailable("needs root (network and mount namespaces)")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise NamespaceUnavailable(f"missing {', '.join(missing)}")


def _run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise NamespaceUnavailable(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


def _free_subnet(supernet: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    """A /30 of `supernet` that no address or route of the root namespace touches."""
    used = [
        ipaddress.ip_interface(word).network
        for line in _run("ip", "-4", "-o", "addr", "show").splitlines()
        for word in line.split()[3:4]
    ]
    for line in _run("ip", "-4", "route", "show", "table", "all").splitlines():
        destination = line.split()[0] if line.split() else ""
        with contextlib.suppress(ValueError):
            used.append(ipaddress.ip_network(destination, strict=False))
    for subnet in supernet.subnets(new_prefix=30):
        if not any(subnet.overlaps(network) for network in used if network.prefixlen):
            return subnet
    raise NamespaceUnavailable(f"no free /30 left in {supernet}")


def _unused_name(prefix: str) -> str:
    for number in range(os.getpid() % 1000, os.getpid() % 1000 + 1000):
        name = f"{prefix}{number}"
        if not (_NETNS_DIR / name).exists() and not (_LINKS_DIR / f"{name}h").exists():
            return name
    raise NamespaceUnavailable(f"no free {prefix} namespace name")


def _connect(name: str, subnet: ipaddress.IPv4Network) -> tuple[str, str]:
    """Join the namespace `name` to the root namespace by a veth pair on `subnet` and bring
    up its links; the root side's address and the namespace's."""
    root_address, address = (str(host) for host in subnet.hosts())
    _run("ip", "link", "add", f"{name}h", "type", "veth", "peer", "name", f"{name}n")
    _run("ip", "link", "set", f"{name}n", "netns", name)
    _run("ip", "addr", "add", f"{root_address}/30", "dev", f"{name}h")
    _run("ip", "link", "set", f"{name}h", "up")
    _run("ip", "-n", name, "addr", "add", f"{address}/30", "dev", f"{name}n")
    _run("ip", "-n", name, "link", "set", f"{name}n", "up")
    _run("ip", "-n", name, "link", "set", "lo", "up")
    return root_address, address


def _namespace_pids(name: str) -> list[int]:
    result = subprocess.run(
        ["ip", "netns", "pids", name], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in result.stdout.split()]


def _end_processes(name: str) -> None:
    """SIGTERM, then SIGKILL, every process in the namespace `name`, waiting up to
    STOP_TIMEOUT for each signal to take effect: all were started by the caller."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _namespace_pids(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _namespace_pids(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _namespace_pids(name):
            return


def _delete(name: str) -> None:
    """Delete the namespace, and the root end of the veth pair if deleting the namespace
    did not take it along."""
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    if (_LINKS_DIR / f"{name}h").exists():
        subprocess.run(["ip", "link", "del", f"{name}h"], capture_output=True, check=False)


def _create(
    *, prefix: str, supernet: ipaddress.IPv4Network, lock: Path, cleanup: contextlib.ExitStack
) -> VethNamespace:
    """The namespace and its work directory, with their removal pushed on `cleanup`."""
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        name = _unused_name(prefix)
        subnet = _free_subnet(supernet)
        _run("ip", "netns", "add", name)
        cleanup.callback(_delete, name)
        root_address, address = _connect(name, subnet)
    work_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir="/var/tmp"))
    cleanup.callback(shutil.rmtree, work_dir, ignore_errors=True)
    cleanup.callback(_end_processes, name)
    return VethNamespace(
        name=name,
        root_link=f"{name}h",
        root_address=root_address,
        address=address,
        work_dir=work_dir,
    )


@contextlib.contextmanager
def veth_namespace(
    *,
    prefix: str,
    supernet: ipaddress.IPv4Network,
    lock: Path,
    tools: Iterable[str],
    unavailable: type[NamespaceUnavailable],
) -> Iterator[VethNamespace]:
    """A network namespace joined to this one by a veth pair, and a work directory (see
    the module docstring). Raises `unavailable` where this process is not root, lacks `ip`
    or one of `tools`, or finds no free name or subnet."""
    with contextlib.ExitStack() as cleanup:
        try:
            _require_tools(("ip", *tools))
            namespace = _create(prefix=prefix, supernet=supernet, lock=lock, cleanup=cleanup)
        except NamespaceUnavailable as error:
            raise unavailable(str(error)) from error
        yield namespace


@contextlib.contextmanager
def namespace_shell(
    namespace: VethNamespace, *, script: str, output: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`sh -c script` in the namespace and a private mount namespace of its own, in a
    session of its own, without input, its output and errors written to `output`. On exit
    the shell gets SIGTERM and STOP_TIMEOUT to stop its daemons, then every process left
    in the namespace is ended and the shell reaped."""
    with output.open("wb") as stream:
        shell = subprocess.Popen(
            ["ip", "netns", "exec", namespace.name, "unshare", "--mount", "--propagation"]
            + ["private", "sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield shell
    finally:
        if shell.poll() is None:
            shell.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                shell.wait(STOP_TIMEOUT)
        _end_processes(namespace.name)
        with contextlib.suppress(subprocess.TimeoutExpired):
            shell.wait(STOP_TIMEOUT)


def yield_or_skip(manager: contextlib.AbstractContextManager[T], *, what: str) -> Iterator[T]:
    """What `manager` gives, for a pytest fixture to `yield from`, until the fixture ends;
    where entering it raises NamespaceUnavailable the test is skipped, saying why."""
    with contextlib.ExitStack() as stack:
        try:
            value = stack.enter_context(manager)
        except NamespaceUnavailable as error:
            pytest.skip(f"cannot start {what}: {error}")
        yield value
