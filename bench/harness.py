"""What every benchmark shares: servers on loopback, timed rounds, the results table.

`alto_server` runs Alto as an operator does (`alto init`, then `alto serve`: gunicorn with
the production settings) on a fresh data directory and database; `moto_server` runs the
moto peer in its own process. `compare` warms both sides up, then times the same workload
on each in alternating blocks, so a change in the machine's load hits both alike; `Row`
holds the two samples and `print_table` renders rows as Markdown. Figures are printed,
never asserted.
"""

from __future__ import annotations

import json
import math
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from tests.support.server import alto_command, free_port

STARTUP_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306"
BLOCKS = 6  # alternations of ours and peer within one comparison
C = TypeVar("C")


@dataclass(frozen=True, kw_only=True)
class Options:
    """What `python -m bench <name>` passes to a benchmark's `run(*, options: Options) -> str`.

    `rounds` and `clients` are None when not given (the benchmark picks its own); `smoke`
    asks for tiny sizes and few rounds, to check in CI that the benchmark still runs.
    """

    db: str = "sqlite"
    rounds: int | None = None
    clients: tuple[int, ...] | None = None
    smoke: bool = False


# -- servers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """An AWS-style key pair that is also Alto's native apikey/secretkey."""

    access_key: str
    secret_key: str


@dataclass
class RunningAlto:
    """An `alto serve` started by `alto_server`; `url` has no trailing slash.

    The EC2 endpoint is `url + "/"`, the native API `url + "/client/api"`.
    """

    url: str
    credentials: Credentials
    data_dir: Path
    db_url: str
    pid: int

    def rss_bytes(self) -> int:
        """Summed resident memory of the gunicorn master and all its descendants (/proc)."""
        return sum(_rss(pid) for pid in [self.pid, *_descendants(self.pid)])


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        children = parents.get(pending.pop(), [])
        found += children
        pending += children
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextmanager
def _database(*, db: str, directory: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in `directory`, or a MariaDB database dropped after."""
    if db == "sqlite":
        yield f"sqlite:///{directory / 'alto.db'}"
        return
    if db != "mariadb":
        raise ValueError(f"db must be sqlite or mariadb, not {db!r}")
    from sqlalchemy import create_engine, text

    name = f"alto_bench_{secrets.token_hex(4)}"
    admin = create_engine(MARIADB_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        try:
            yield f"{MARIADB_URL}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        admin.dispose()


def _wait_http(*, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once `url` gives any HTTP answer; RuntimeError if the process dies or is slow."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}: {_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means a worker is serving
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.args!r} did not answer within {STARTUP_TIMEOUT:.0f} s")


def _tail(path: Path, *, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


@contextmanager
def _process(
    command: Sequence[str], *, env: dict[str, str] | None, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in its own session, output to `log`; SIGTERM its group on exit."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL it after STOP_TIMEOUT or if stragglers remain."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _alto_env(*, demo_zone: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALTO_")}
    env["ALTO_DEMO_ZONE"] = "true" if demo_zone else "false"
    return env


@contextmanager
def alto_server(
    *,
    db: str = "sqlite",
    workers: int = 2,
    job_workers: int = 4,
    demo_zone: bool = True,
    before_serve: Callable[[str, Path], None] | None = None,
    serve_args: Sequence[str] = (),
) -> Iterator[RunningAlto]:
    """Alto on a fresh data directory and database, serving on a free 127.0.0.1 port.

    A fresh temporary data directory (and, when db == "mariadb", a fresh MariaDB database
    `alto_bench_<random>` on 127.0.0.1 as root with no password, dropped afterwards);
    runs `alto init` first, then `before_serve(db_url, data_dir)` if given (e.g. to
    bulk-seed rows), then `alto serve` (gunicorn, production settings, log level warning,
    then `serve_args`, e.g. `--network-driver linux`) with an empty configuration file, so nothing from /etc/alto or ALTO_* leaks in. Yields
    once the server answers HTTP; on exit SIGTERMs its process group and deletes the
    directory. Server output is in `<data_dir>/../server.log`.
    """
    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="alto-bench-"))
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        data_dir = root / "data"
        config_file = root / "alto.toml"
        config_file.touch()
        db_url = stack.enter_context(_database(db=db, directory=root))
        port = free_port()
        common = ["--data-dir", str(data_dir), "--db-url", db_url, "--config", str(config_file)]
        env = _alto_env(demo_zone=demo_zone)
        log = root / "server.log"
        with log.open("ab") as out:
            subprocess.run(
                [*alto_command(), "init", *common, "--log-level", "warning"],
                check=True, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=env, cwd=root,
            )  # fmt: skip
        if before_serve is not None:
            before_serve(db_url, data_dir)
        serve = [
            *alto_command(), "serve", *common,
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--job-workers", str(job_workers),
            "--log-level", "warning",
            *serve_args,
        ]  # fmt: skip
        process = stack.enter_context(_process(serve, env=env, log=log))
        url = f"http://127.0.0.1:{port}"
        _wait_http(url=f"{url}/client/api?command=listApis", process=process, log=log)
        keys = json.loads((data_dir / "admin-credentials.json").read_text())
        yield RunningAlto(
            url=url,
            credentials=Credentials(access_key=keys["apikey"], secret_key=keys["secretkey"]),
            data_dir=data_dir,
            db_url=db_url,
            pid=process.pid,
        )


@contextmanager
def moto_server() -> Iterator[str]:
    """The `moto_server` CLI in its own process on a free 127.0.0.1 port; yields its URL.

    Its own process, so it does not share the benchmark client's interpreter lock.
    """
    script = Path(sys.executable).with_name("moto_server")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="moto-bench-") as root:
        log = Path(root) / "moto.log"
        args = [*command, "-H", "127.0.0.1", "-p", str(port)]
        with _process(args, env=None, log=log) as process:
            url = f"http://127.0.0.1:{port}"
            _wait_http(url=f"{url}/moto-api/", process=process, log=log)
            yield url


# -- measuring -----------------------------------------------------------------------


@dataclass
class Sample:
    """Latencies (seconds) of each operation, and the wall time (seconds) they took."""

    seconds: list[float]
    wall: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p99_ms(self) -> float:
        """Nearest-rank 99th percentile."""
        ordered = sorted(self.seconds)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] * 1000

    @property
    def throughput(self) -> float:
        """Operations per second of wall time, over all clients."""
        return len(self.seconds) / self.wall if self.wall > 0 else 0.0

    def __add__(self, other: Sample) -> Sample:
        return Sample(seconds=self.seconds + other.seconds, wall=self.wall + other.wall)


def pooled(*, factory: Callable[[], C], call: Callable[[C], object]) -> Callable[[], object]:
    """An op for `measure` that never shares a client between threads running at once.

    Each call borrows an idle client (made by `factory` when none is idle) and gives it
    back after `call`; so k concurrent threads use k clients, kept across `measure` calls,
    and a warm-up with as many clients makes them all before anything is timed.
    """
    idle: list[C] = []
    lock = threading.Lock()

    def op() -> object:
        with lock:
            client = idle.pop() if idle else None
        if client is None:
            client = factory()
        try:
            return call(client)
        finally:
            with lock:
                idle.append(client)

    return op


def measure(op: Callable[[], object], *, rounds: int, clients: int = 1) -> Sample:
    """Run `op` `rounds` times in total over `clients` threads, timing each call.

    `op` is called from several threads at once when clients > 1: give a thread-safe op,
    or one client per thread (`pooled`). The wall time runs from the moment all threads
    are released together until the last one finishes. An exception an op raises ends
    that thread's share and is re-raised here once every thread has stopped.
    """
    if rounds < 1 or clients < 1:
        raise ValueError("rounds and clients must be at least 1")
    clients = min(clients, rounds)
    shares = [rounds // clients + (1 if i < rounds % clients else 0) for i in range(clients)]
    start = threading.Barrier(clients + 1)

    def worker(count: int) -> list[float]:
        start.wait()
        latencies = []
        for _ in range(count):
            began = time.perf_counter()
            op()
            latencies.append(time.perf_counter() - began)
        return latencies

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(worker, share) for share in shares]
        start.wait()
        began = time.perf_counter()
        wait(futures)
        wall = time.perf_counter() - began
    latencies = [future.result() for future in futures]
    return Sample(seconds=[s for per in latencies for s in per], wall=wall)


@dataclass
class Row:
    """One workload measured on both sides; `ratio` is ours / peer throughput."""

    workload: str
    ours: Sample
    peer: Sample
    peer_name: str
    goal: str
    unit: str = "req/s"

    @property
    def ratio(self) -> float:
        return self.ours.throughput / self.peer.throughput if self.peer.throughput else math.inf


def compare(
    *,
    workload: str,
    ours: Callable[[], object],
    peer: Callable[[], object],
    rounds: int,
    warmup: int,
    clients: int = 1,
    peer_name: str,
    goal: str,
) -> Row:
    """Warm up both sides (`warmup` ops each), then time `rounds` ops on each side.

    The rounds run in BLOCKS alternating blocks (ours, peer, ours, peer…), each block
    spread over `clients` threads; the samples of a side's blocks are pooled.
    """
    if warmup > 0:
        measure(ours, rounds=max(warmup, clients), clients=clients)
        measure(peer, rounds=max(warmup, clients), clients=clients)
    blocks = max(1, min(BLOCKS, rounds // clients))
    sizes = [rounds // blocks + (1 if i < rounds % blocks else 0) for i in range(blocks)]
    ours_total = Sample(seconds=[], wall=0.0)
    peer_total = Sample(seconds=[], wall=0.0)
    for size in sizes:
        ours_total += measure(ours, rounds=size, clients=clients)
        peer_total += measure(peer, rounds=size, clients=clients)
    return Row(workload=workload, ours=ours_total, peer=peer_total, peer_name=peer_name, goal=goal)


# -- reporting -----------------------------------------------------------------------


def print_table(title: str, rows: Sequence[Row]) -> str:
    """Print and return `rows` as a Markdown table under a `### title` line.

    Columns: workload | Alto median ms | Alto p99 ms | Alto req/s | peer median ms | peer
    p99 ms | peer req/s | ratio | goal. When every row has the same peer, its name heads
    the peer columns; a unit other than req/s is written next to the throughput figures.
    """
    names = {row.peer_name for row in rows}
    peer = names.pop() if len(names) == 1 else "peer"
    header = [
        "workload", "Alto median ms", "Alto p99 ms", "Alto req/s",
        f"{peer} median ms", f"{peer} p99 ms", f"{peer} req/s", "ratio", "goal",
    ]  # fmt: skip
    lines = [f"### {title}", "", _cells(header), _cells(["---"] * len(header))]
    for row in rows:
        unit = "" if row.unit == "req/s" else f" {row.unit}"
        workload = row.workload if peer == row.peer_name else f"{row.workload} (vs {row.peer_name})"
        lines.append(
            _cells(
                [
                    workload,
                    f"{row.ours.median_ms:.1f}",
                    f"{row.ours.p99_ms:.1f}",
                    f"{row.ours.throughput:.1f}{unit}",
                    f"{row.peer.median_ms:.1f}",
                    f"{row.peer.p99_ms:.1f}",
                    f"{row.peer.throughput:.1f}{unit}",
                    f"{row.ratio:.2f}x",
                    row.goal,
                ]
            )
        )
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    return text


def _cells(values: Sequence[str]) -> str:
    return "| " + " | ".join(values) + " |"


def machine_line() -> str:
    """Date (UTC), CPU model, core count, load averages and Python version, on one line."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{date}; {model}; {os.cpu_count()} cores; load average {load}; "
        f"Python {platform.python_version()}"
    )
