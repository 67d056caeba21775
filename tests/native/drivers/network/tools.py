"""The real tools' own checks of rendered files, skipping (with the reason) when a tool is
missing. CI installs them: `apt-get install -y nftables haproxy dnsmasq-base
strongswan-starter`."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue
from typing import IO

import pytest

PACKAGES = {
    "nft": "nftables",
    "haproxy": "haproxy",
    "dnsmasq": "dnsmasq-base",
    "ipsec": "strongswan-starter",
}
STARTER_GUARD_SECONDS = 60


@dataclass(frozen=True)
class Outcome:
    ok: bool
    output: str


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package {PACKAGES[name]})")
    return path


def _root(tool: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"{tool} needs root for this check")


def _run(argv: list[str]) -> Outcome:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return Outcome(ok=done.returncode == 0, output=done.stdout + done.stderr)


def nft_check(path: Path) -> Outcome:
    """`nft -c -f`: the kernel validates the whole ruleset in a transaction it then aborts
    (nothing is loaded)."""
    nft = _tool("nft")
    _root("nft -c")
    return _run([nft, "-c", "-f", str(path)])


def haproxy_check(path: Path) -> Outcome:
    """`haproxy -c -f`: parses and validates without binding any address."""
    return _run([_tool("haproxy"), "-c", "-f", str(path)])


def dnsmasq_check(path: Path) -> Outcome:
    """`dnsmasq --test`: parses the configuration and exits."""
    return _run([_tool("dnsmasq"), "--test", f"--conf-file={path}"])


def starter_check(path: Path) -> Outcome:
    """strongSwan has no syntax check for ipsec.conf; its `starter` parses the file (and
    reports every bad keyword or value) before starting the IKE daemon, which is looked up
    relative to the ipsec directory. Pointing it at /bin/true makes it parse, report, and
    then start a daemon that exits at once; the output up to that point is the check. The
    starter (our own child) is then stopped."""
    ipsec = _tool("ipsec")
    _root("strongSwan's starter")
    directory = subprocess.run(
        [ipsec, "--directory"], capture_output=True, text=True, check=True
    ).stdout.strip()
    daemon = os.path.relpath(shutil.which("true") or "/bin/true", directory)
    argv = [f"{directory}/starter", "--nofork", "--conf", str(path), "--daemon", daemon]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = _lines_until(process, marker=daemon)
    parsed = process.poll()
    if parsed is None:
        process.terminate()
    process.wait()
    output = "".join(lines)
    failed = parsed not in (None, 0) or "error" in output or "invalid" in output
    return Outcome(ok=not failed and daemon in output, output=output)


def _pump(stream: IO[str], queue: Queue[str]) -> None:
    for line in stream:
        queue.put(line)
    queue.put("")


def _lines_until(process: subprocess.Popen[str], *, marker: str) -> list[str]:
    """The process's output up to the first line naming `marker` (or its end); a reader
    thread does the blocking reads, the guard only keeps a hung tool from hanging the run."""
    assert process.stdout is not None
    stream = process.stdout
    queue: Queue[str] = Queue()
    threading.Thread(target=_pump, args=(stream, queue), daemon=True).start()
    lines: list[str] = []
    while True:
        try:
            line = queue.get(timeout=STARTER_GUARD_SECONDS)
        except Empty:
            return [*lines, f"(no end of parsing after {STARTER_GUARD_SECONDS}s)\n"]
        lines.append(line)
        if not line or marker in line:
            return lines
