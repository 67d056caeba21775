"""The daemons of a Linux virtual router, each run inside the router's namespace and known
by its pid file in the router's run directory: dnsmasq (DHCP and DNS), haproxy (TCP and
HTTP load balancers) and the instance metadata service (`metadata_server`, one per guest
gateway).

A pid is trusted only while the process's command line names its pid file, so a stale
file whose pid the kernel gave to another process never gets that process signalled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Sequence
from pathlib import Path

from native.drivers.network.base import NetworkDriverError
from native.drivers.network.linux_links import run, tool

DNSMASQ_PID = "dnsmasq.pid"
DNSMASQ_LEASES = "dnsmasq.leases"
HAPROXY_PID = "haproxy.pid"
METADATA_PREFIX = "metadata-"
METADATA_LOG = "metadata.log"
METADATA_PORT = 80
STOP_SECONDS = 5.0


def running(pid_file: Path) -> int | None:
    """The pid of the daemon `pid_file` belongs to: the live process it names, if that
    process's command line names `pid_file` too (a zombie counts as gone); else None."""
    try:
        pid = int(pid_file.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None
    return pid if str(pid_file) in cmdline and state not in ("Z", "X") else None


def stop(pid_file: Path) -> None:
    """Stop the daemon of `pid_file` (SIGTERM, then SIGKILL after a grace period) and
    remove the file; a daemon that does not run is not an error."""
    pid = running(pid_file)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while running(pid_file) == pid and time.monotonic() < deadline:
            time.sleep(0.05)
        if running(pid_file) == pid:
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def check_nftables(conf: Path) -> None:
    """`nft -c -f` in a throwaway network namespace: the kernel checks the whole ruleset in
    a transaction it then aborts. The file starts with `flush ruleset`, so the outcome does
    not depend on what a namespace already runs."""
    run([tool("unshare"), "--net", tool("nft"), "-c", "-f", str(conf)])


def load_nftables(conf: Path, *, namespace: str) -> None:
    """Replace the namespace's ruleset with `conf`, in one kernel transaction."""
    run([tool("nft"), "-f", str(conf)], namespace=namespace)


def load_routes(batch: Path, *, namespace: str) -> None:
    run([tool("ip"), "-force", "-batch", str(batch)], namespace=namespace)


def _dnsmasq_argv(conf: Path, *, run_dir: Path) -> list[str]:
    return [
        tool("dnsmasq"),
        f"--conf-file={conf}",
        f"--pid-file={run_dir / DNSMASQ_PID}",
        f"--dhcp-leasefile={run_dir / DNSMASQ_LEASES}",
    ]


def check_dnsmasq(conf: Path, *, run_dir: Path) -> None:
    """`dnsmasq --test` of `conf` with the options the daemon will run with."""
    run([*_dnsmasq_argv(conf, run_dir=run_dir), "--test"])


def restart_dnsmasq(
    conf: Path, *, namespace: str, run_dir: Path, leases: Collection[tuple[str, str]]
) -> None:
    """Stop dnsmasq and start it on `conf` (it rereads its main file only at start); the
    command returns once the daemon has started, or fails with its message.

    `leases` are the (MAC, address) pairs `conf` gives out. Any other lease is dropped from
    the lease file first: the leases are infinite, so a removed VM's lease would otherwise
    keep its address from the next NIC that is given it."""
    stop(run_dir / DNSMASQ_PID)
    prune_leases(run_dir / DNSMASQ_LEASES, keep=leases)
    run(_dnsmasq_argv(conf, run_dir=run_dir), namespace=namespace)


def prune_leases(path: Path, *, keep: Collection[tuple[str, str]]) -> None:
    """Rewrite dnsmasq's lease file (`expiry MAC address hostname client-id` lines) with
    only the leases of `keep` (MAC in lower case); a missing file stays missing."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return
    wanted = {(mac.lower(), address) for mac, address in keep}
    kept = [
        line
        for line in lines
        if len(fields := line.split()) >= 3 and (fields[1].lower(), fields[2]) in wanted
    ]
    if len(kept) != len(lines):
        path.write_text("".join(f"{line}\n" for line in kept))


def check_haproxy(conf: Path) -> None:
    """`haproxy -c`: parses and validates `conf` without binding."""
    run([tool("haproxy"), "-c", "-q", "-f", str(conf)])


def reload_haproxy(conf: Path, *, namespace: str, run_dir: Path) -> None:
    """Start haproxy on `conf`, or, when it runs, start a new one that takes over the
    listeners and lets the old one finish its connections (`-sf`)."""
    pid_file = run_dir / HAPROXY_PID
    old = running(pid_file)
    argv = [tool("haproxy"), "-f", str(conf), "-D", "-p", str(pid_file)]
    run([*argv, *(["-sf", str(old)] if old is not None else [])], namespace=namespace)


def metadata_pid_files(run_dir: Path) -> list[Path]:
    """The pid files of the metadata services run from `run_dir`, one per address."""
    return sorted(run_dir.glob(f"{METADATA_PREFIX}*.pid"))


def ensure_metadata(
    vm_data: Path, *, addresses: Sequence[str], namespace: str, run_dir: Path
) -> None:
    """Run one metadata service on port 80 of each of `addresses` (the guest gateways,
    where nftables redirects 169.254.169.254; not the wildcard address, which would take
    port 80 from load balancers) and stop those of other addresses. A running one is left
    alone: it rereads `vm_data` when the file changes."""
    wanted = {run_dir / f"{METADATA_PREFIX}{address}.pid": address for address in addresses}
    for pid_file in metadata_pid_files(run_dir):
        if pid_file not in wanted:
            stop(pid_file)
    for pid_file, address in wanted.items():
        if running(pid_file) is None:
            _start_metadata(vm_data, address=address, pid_file=pid_file, namespace=namespace)


def _start_metadata(vm_data: Path, *, address: str, pid_file: Path, namespace: str) -> None:
    """Start the service; it detaches once it has bound its port, or fails."""
    argv = [
        sys.executable,
        "-m",
        "native.drivers.network.metadata_server",
        "--vm-data",
        str(vm_data),
        "--address",
        address,
        "--port",
        str(METADATA_PORT),
        "--pid-file",
        str(pid_file),
    ]
    log_file = pid_file.parent / METADATA_LOG
    with open(log_file, "ab") as log:
        done = subprocess.run(
            [tool("ip"), "netns", "exec", namespace, *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            check=False,
        )
    if done.returncode != 0:
        tail = log_file.read_text(errors="replace")[-400:].strip()
        raise NetworkDriverError(
            f"The metadata service did not start on {address} in {namespace}: {tail}"
        )


def stop_all(run_dir: Path) -> None:
    """Stop every daemon run from `run_dir`."""
    for pid_file in [*metadata_pid_files(run_dir), run_dir / HAPROXY_PID, run_dir / DNSMASQ_PID]:
        stop(pid_file)
