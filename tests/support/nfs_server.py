"""A real NFS server on this machine: NFS-Ganesha (FSAL VFS) and the `rpcbind` portmapper it
needs, in a network namespace of their own, for tests that mount or talk to an NFS export.

`nfs_server_in_netns()` creates, and on exit always removes:

- a temporary work directory under /var/tmp holding the export (`export/`), ganesha's
  configuration, log, pid file and NFSv4 recovery directory, and the directory that stands
  in for `/run` (below);
- a network namespace `altonfsN` joined to the root namespace by a veth pair on a free /30
  of 10.254.78.0/24 (`veth_namespace()` of `tests/support/netns.py`, which describes it);
- a private mount namespace inside it where the work directory's `run/` is bind-mounted
  over `/run` (so also `/var/run`): `rpcbind`'s socket, lock and warm-start files
  (`/run/rpcbind.sock`, `/run/rpcbind.lock`, `/run/rpcbind/`) and anything ganesha puts
  under `/var/run/ganesha` are not the system's;
- `rpcbind -f -w` there (ganesha will not start without a portmapper to register with; it
  listens on port 111 of the namespace's addresses only), then `ganesha.nfsd -F` with NFS
  on port 2049 and mountd on port 20048 of the namespace address, NLM and RQUOTA off, no
  grace period, one export: the directory, read-write, `No_Root_Squash`, `sys` security,
  NFSv3 and NFSv4 over TCP, under its real path (NFSv3) and the same pseudo path (NFSv4).

The exported directory is on the host's file system, so what clients write appears in
`NfsServer.directory` and vice versa. The server is reached at `NfsServer.url`
(`nfs://ADDRESS/PATH`); it is ready when `nfs-ls` lists that URL from the root namespace.
Teardown stops ganesha, then rpcbind (ganesha unregisters from it as it stops), ends
every process still left in the namespace (all started by it), removes the work directory
and deletes the namespace, which deletes the veth pair. Anything the machine lacks (root,
`ganesha.nfsd`, `rpcbind`, `rpcinfo`, `unshare`, `ip`, `nfs-ls`, a free subnet) or a
server that does not come up raises `NfsServerUnavailable`, which tests turn into a skip.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support import netns

PREFIX = "altonfs"
SUPERNET = ipaddress.IPv4Network("10.254.78.0/24")
NFS_PORT = 2049
MOUNTD_PORT = 20048
PORTMAPPER_PORT = 111
START_TIMEOUT = 30.0
PROBE_TIMEOUT = 5.0
_TOOLS = ("ganesha.nfsd", "rpcbind", "rpcinfo", "unshare", "nfs-ls")
_LOCK = Path("/tmp/altonfs.lock")


class NfsServerUnavailable(netns.NamespaceUnavailable):
    """This machine cannot run the test NFS server (the reason is the message)."""


@dataclass(frozen=True, kw_only=True)
class NfsServer:
    """The server's address, its export as clients name it, and the same directory here."""

    address: str
    export: str
    directory: Path

    @property
    def url(self) -> str:
        """The export as an `nfs://` URL (libnfs, Alto's NFS stores)."""
        return f"nfs://{self.address}{self.export}"


def _write_config(*, work_dir: Path, address: str, export: Path) -> None:
    export.mkdir(mode=0o755)
    (work_dir / "recovery").mkdir(mode=0o755)
    run = work_dir / "run"
    (run / "rpcbind").mkdir(mode=0o755, parents=True)
    (run / "ganesha").mkdir(mode=0o755)
    # rpcbind drops to its own user (Debian: _rpc) and writes its warm-start files there.
    with contextlib.suppress(LookupError, OSError):
        shutil.chown(run / "rpcbind", user="_rpc")
    (work_dir / "ganesha.conf").write_text(
        "NFS_CORE_PARAM {\n"
        f"    Bind_addr = {address};\n"
        f"    NFS_Port = {NFS_PORT};\n"
        f"    MNT_Port = {MOUNTD_PORT};\n"
        "    NLM_Port = 0;\n"
        "    Rquota_Port = 0;\n"
        "    Enable_NLM = false;\n"
        "    Enable_RQUOTA = false;\n"
        "    Protocols = 3, 4;\n"
        "}\n"
        "NFS_KRB5 { Active_krb5 = false; }\n"
        "NFSV4 {\n"
        "    Graceless = true;\n"
        f"    RecoveryRoot = {work_dir / 'recovery'};\n"
        "}\n"
        "EXPORT {\n"
        "    Export_Id = 1;\n"
        f"    Path = {export};\n"
        f"    Pseudo = {export};\n"
        "    Access_Type = RW;\n"
        "    Squash = No_Root_Squash;\n"
        "    SecType = sys;\n"
        "    Protocols = 3, 4;\n"
        "    Transports = TCP;\n"
        "    FSAL { Name = VFS; }\n"
        "}\n"
    )


def _daemon_script(work_dir: Path) -> str:
    """Run in the namespace: a private `/run`, rpcbind, then ganesha once rpcbind answers
    (ganesha registers its programs with it as it starts). The shell stays the parent of
    both: on SIGTERM it stops ganesha first (which unregisters from rpcbind, waiting 3 s
    when rpcbind is gone), then rpcbind, reaps both (an orphan would go to PID 1, which may
    not reap it) and exits with ganesha's status."""
    work = shlex.quote(str(work_dir))
    return (
        "set -e\n"
        "ganesha= stopping= status=0\n"
        'trap \'stopping=1; if [ -n "$ganesha" ]; then kill "$ganesha"; fi\' TERM\n'
        f"mount --no-mtab --bind {work}/run /run\n"
        "set +e\n"
        "rpcbind -f -w &\n"
        "rpcbind=$!\n"
        "tries=0\n"
        "until rpcinfo -p 127.0.0.1 >/dev/null 2>&1; do\n"
        "    tries=$((tries + 1))\n"
        '    if [ -n "$stopping" ]; then status=143; break; fi\n'
        '    if [ "$tries" -ge 100 ]; then echo "rpcbind did not answer" >&2; status=1; break; fi\n'
        "    sleep 0.1\n"
        "done\n"
        'if [ "$status" = 0 ] && [ -z "$stopping" ]; then\n'
        f"    ganesha.nfsd -F -f {work}/ganesha.conf -L {work}/ganesha.log"
        f" -p {work}/ganesha.pid -N NIV_EVENT &\n"
        "    ganesha=$!\n"
        '    if [ -n "$stopping" ]; then kill "$ganesha"; fi\n'
        "    # `wait` returns early when the trap runs: wait until ganesha is reaped.\n"
        '    while kill -0 "$ganesha" 2>/dev/null; do wait "$ganesha" || status=$?; done\n'
        "fi\n"
        'kill "$rpcbind" 2>/dev/null\n'
        "wait\n"
        'exit "$status"\n'
    )


def _read(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")
    return ""


def _ganesha_log(work_dir: Path) -> str:
    """The last lines of ganesha's log, without those the readiness probes cause (a
    connection reset for every TCP connect) and with its errors first."""
    lines = [
        line for line in _read(work_dir / "ganesha.log").splitlines() if "svc_vc_wait" not in line
    ]
    errors = [
        line
        for line in lines
        if any(f" :{level} :" in line for level in ("FATAL", "MAJ", "CRIT"))
        and " :DBUS :" not in line
    ]
    return "\n".join(errors[-15:] + ["..."] + lines[-15:])


def _failure(work_dir: Path, what: str) -> NfsServerUnavailable:
    return NfsServerUnavailable(
        f"{what}\n--- namespace output ---\n{_read(work_dir / 'daemon.out')[-2000:]}"
        f"\n--- ganesha.log (errors, ..., tail) ---\n{_ganesha_log(work_dir)}"
    )


def _lists(url: str) -> bool:
    """Whether `nfs-ls` (portmapper, mountd, NFSv3) lists the export from here."""
    try:
        result = subprocess.run(
            ["nfs-ls", url], capture_output=True, timeout=PROBE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _wait_until_serving(server: NfsServer, daemon: subprocess.Popen[bytes], work_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise _failure(
                work_dir, f"the NFS server in the namespace exited ({daemon.returncode})"
            )
        # ganesha runs on, without what it could not parse, after a configuration error.
        if " :CONFIG :CRIT :" in _read(work_dir / "ganesha.log"):
            raise _failure(work_dir, "ganesha rejected its configuration")
        if (
            netns.accepts_connections(server.address, PORTMAPPER_PORT)
            and netns.accepts_connections(server.address, NFS_PORT)
            and _lists(server.url)
        ):
            return
        time.sleep(0.1)
    raise _failure(work_dir, f"{server.url} was not served within {START_TIMEOUT} s")


@contextlib.contextmanager
def nfs_server_in_netns() -> Iterator[NfsServer]:
    """An NFS server in a namespace of its own (see the module docstring)."""
    with netns.veth_namespace(
        prefix=PREFIX, supernet=SUPERNET, lock=_LOCK, tools=_TOOLS, unavailable=NfsServerUnavailable
    ) as namespace:
        work_dir = namespace.work_dir
        directory = work_dir / "export"
        _write_config(work_dir=work_dir, address=namespace.address, export=directory)
        server = NfsServer(address=namespace.address, export=str(directory), directory=directory)
        script = _daemon_script(work_dir)
        with netns.namespace_shell(
            namespace, script=script, output=work_dir / "daemon.out"
        ) as shell:
            _wait_until_serving(server, shell, work_dir)
            yield server


def nfs_server_or_skip() -> Iterator[NfsServer]:
    """`nfs_server_in_netns()` for a pytest fixture to `yield from`: the test is skipped,
    saying why, where the server cannot start."""
    return netns.yield_or_skip(nfs_server_in_netns(), what="the test NFS server")
