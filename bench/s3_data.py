"""S3 data plane: Alto beside the disk limit, moto_server and Ceph RGW (`python -m bench s3`).

Workloads, each timed on Alto and on one peer in alternating blocks (`harness.compare`):

- a large object (64 MiB) PUT and GET, in MB/s (10^6 bytes a second); GET streams the body
  to /dev/null a MiB at a time;
- a small object (4 KiB) PUT (a new key each time) and GET, in operations a second, with
  1 and 8 concurrent clients;
- a multipart upload of 1 GiB in 64 MiB parts, sent one after the other, in MB/s.

The limit is a plain file copy of the same number of bytes followed by fsync, on the
filesystem that holds Alto's data directory (Alto's default object pool lives there). The
peers are `moto_server` and a single-node Ceph RADOS Gateway on an in-memory OSD
(`tests.support.s3.CephRgw`), skipped with a printed reason when Ceph is not installed or
does not start. Every client is boto3 with payload signing and flexible checksums off (as
SDKs do over TLS), so that the client's hashing does not hide the server's cost. While the
large workloads run, a thread samples the resident memory of Alto (gunicorn master and
workers) and of the peer's process, and a second table reports the peaks.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Self

import boto3
from botocore.config import Config

from bench.harness import (
    Credentials,
    Options,
    Row,
    Sample,
    alto_server,
    compare,
    moto_server,
    print_table,
)

KIB = 1024
MIB = 1024 * KIB
MB = 1_000_000
RSS_PERIOD = 0.05  # seconds between two samples of resident memory
SMALL_KEYS = 32  # small objects that the GET workloads cycle through
LIMIT = "disk limit (copy+fsync)"
RGW_MEMSTORE_BYTES = 8 * 1024 * MIB
RGW_ARGS = (
    f"--memstore-device-bytes={RGW_MEMSTORE_BYTES} "
    "--rgw-gc-obj-min-wait=0 --rgw-gc-processor-period=5"
)


@dataclass(frozen=True)
class Plan:
    """Sizes (bytes) and round counts of one run; `multipart` is a whole number of parts."""

    large: int
    small: int
    multipart: int
    part: int
    large_rounds: int
    small_rounds: int
    multipart_rounds: int
    warmup: int
    multipart_warmup: int
    clients: tuple[int, ...]
    rgw: bool


FULL = Plan(
    large=64 * MIB, small=4 * KIB, multipart=1024 * MIB, part=64 * MIB, large_rounds=12,
    small_rounds=240, multipart_rounds=2, warmup=2, multipart_warmup=0, clients=(1, 8),
    rgw=True,
)  # fmt: skip
SMOKE = Plan(
    large=2 * MIB, small=4 * KIB, multipart=10 * MIB, part=5 * MIB, large_rounds=2,
    small_rounds=16, multipart_rounds=1, warmup=1, multipart_warmup=1, clients=(1, 8),
    rgw=False,
)  # fmt: skip


def plan_for(*, options: Options) -> Plan:
    """SMOKE or FULL, with `options.rounds` (every workload) and `options.clients` applied."""
    plan = SMOKE if options.smoke else FULL
    if options.rounds is not None:
        rounds = options.rounds
        plan = replace(plan, large_rounds=rounds, small_rounds=rounds, multipart_rounds=rounds)
    if options.clients is not None:
        plan = replace(plan, clients=options.clients)
    return plan


# -- endpoints and their operations ---------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """An S3 server under test: its name, path-style URL, keys and a probe of its RSS (bytes)."""

    name: str
    url: str
    credentials: Credentials
    rss: Callable[[], int]


def s3_client(endpoint: Endpoint) -> Any:
    """A thread-safe boto3 client on `endpoint`: path style, no retries, unsigned payloads, no
    flexible checksums, a connection pool large enough for the most concurrent clients."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id=endpoint.credentials.access_key,
        aws_secret_access_key=endpoint.credentials.secret_key,
        config=Config(
            s3={"addressing_style": "path", "payload_signing_enabled": False},
            retries={"max_attempts": 1},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            max_pool_connections=32,
            read_timeout=300,
        ),
    )


class Workloads:
    """The timed operations on one endpoint, in a bucket made by the constructor.

    The constructor also stores what the GET workloads read (one large object, SMALL_KEYS
    small ones), so that every operation is ready to time. Each operation raises if the
    server answers with an error or returns a body of the wrong size.
    """

    def __init__(self, *, endpoint: Endpoint, plan: Plan, payload: bytes) -> None:
        self.endpoint = endpoint
        self._plan = plan
        self._payload = payload
        self._large = payload[: plan.large]
        self._small = payload[: plan.small]
        self._client = s3_client(endpoint)
        self._bucket = "bench-s3-data"
        self._client.create_bucket(Bucket=self._bucket)
        self._client.put_object(Bucket=self._bucket, Key="large-get", Body=self._large)
        for index in range(SMALL_KEYS):
            self._client.put_object(Bucket=self._bucket, Key=f"small-{index}", Body=self._small)
        self._new_keys = itertools.count()
        self._get_keys = itertools.cycle([f"small-{index}" for index in range(SMALL_KEYS)])
        self._lock = threading.Lock()

    def put_large(self) -> None:
        """PUT the large payload over the same key."""
        self._client.put_object(Bucket=self._bucket, Key="large-put", Body=self._large)

    def get_large(self) -> None:
        """GET the large object, writing its body to /dev/null a MiB at a time."""
        self._get(key="large-get", size=self._plan.large)

    def put_small(self) -> None:
        """PUT a small object under a key never used before (thread-safe)."""
        key = f"new-{next(self._new_keys)}"
        self._client.put_object(Bucket=self._bucket, Key=key, Body=self._small)

    def get_small(self) -> None:
        """GET one of the small objects, the next in turn (thread-safe)."""
        with self._lock:
            key = next(self._get_keys)
        self._get(key=key, size=self._plan.small)

    def multipart(self) -> None:
        """Upload `plan.multipart` bytes in parts of `plan.part` bytes, one after the other."""
        client, bucket, key = self._client, self._bucket, "multipart"
        upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        part = self._payload[: self._plan.part]
        etags = [
            client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=part
            )["ETag"]
            for number in range(1, self._plan.multipart // self._plan.part + 1)
        ]
        parts = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
        )

    def _get(self, *, key: str, size: int) -> None:
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        received = 0
        with open(os.devnull, "wb") as sink:
            for chunk in body.iter_chunks(MIB):
                sink.write(chunk)
                received += len(chunk)
        if received != size:
            raise RuntimeError(
                f"{self.endpoint.name} returned {received} bytes of {key}, not {size}"
            )


class DiskCopy:
    """The disk limit: copy a file of `size` bytes to a new file and fsync it, in `directory`.

    The source is written once by the constructor; each copy replaces the previous one.
    """

    def __init__(self, *, directory: Path, payload: bytes, size: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._source = directory / f"source-{size}"
        self._target = directory / f"copy-{size}"
        with self._source.open("wb") as file:
            for _ in range(size // len(payload)):
                file.write(payload)
            file.write(payload[: size % len(payload)])
            os.fsync(file.fileno())

    def copy(self) -> None:
        """Copy the source (sendfile) and fsync the copy."""
        self._target.unlink(missing_ok=True)
        shutil.copyfile(self._source, self._target)
        with self._target.open("rb") as copy:
            os.fsync(copy.fileno())


# -- measuring ------------------------------------------------------------------------


@dataclass
class Transfer(Sample):
    """A Sample whose throughput is in MB/s: each operation moved `size` bytes."""

    size: int = 0

    @property
    def throughput(self) -> float:
        return super().throughput * self.size / MB


def in_mb_per_s(row: Row, *, size: int) -> Row:
    """`row` with both samples counted in MB/s, `size` bytes per operation."""

    def convert(sample: Sample) -> Transfer:
        return Transfer(seconds=sample.seconds, wall=sample.wall, size=size)

    return replace(row, ours=convert(row.ours), peer=convert(row.peer), unit="MB/s")


class PeakRss:
    """Samples `probes` (name → RSS in bytes) every RSS_PERIOD s in a thread while entered;
    `peaks` holds the highest value seen of each name."""

    def __init__(self, probes: dict[str, Callable[[], int]]) -> None:
        self._probes = probes
        self.peaks = dict.fromkeys(probes, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            for name, probe in self._probes.items():
                self.peaks[name] = max(self.peaks[name], probe())
            if self._stop.wait(RSS_PERIOD):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def child_rss(command: str) -> Callable[[], int]:
    """A probe: summed RSS (bytes) of the children of this process named `command` now."""
    pids = [pid for pid in _children() if _status(pid).get("Name") == command[:15]]
    return lambda: sum(int(_status(pid).get("VmRSS", "0 kB").split()[0]) * KIB for pid in pids)


def _children() -> list[int]:
    """The pids of this process's children."""
    me = str(os.getpid())
    proc = Path("/proc").iterdir()
    return [int(entry.name) for entry in proc if entry.name.isdigit() and _parent(entry) == me]


def _parent(entry: Path) -> str | None:
    """The parent pid of /proc/<pid> `entry`; None once the process is gone."""
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return None


def _status(pid: int) -> dict[str, str]:
    """/proc/<pid>/status as a dict of stripped values; empty once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {name: value.strip() for name, _, value in (line.partition(":") for line in lines)}


# -- peers ----------------------------------------------------------------------------


@contextmanager
def moto_endpoint() -> Iterator[Endpoint]:
    """moto_server on loopback (any keys are accepted)."""
    with moto_server() as url:
        yield Endpoint(
            name="moto_server",
            url=url,
            credentials=Credentials(access_key="bench", secret_key="bench"),
            rss=child_rss("moto_server"),
        )


@contextmanager
def rgw_endpoint() -> Iterator[Endpoint | None]:
    """A throwaway Ceph RGW (memstore OSD sized for this benchmark, prompt garbage collection);
    None, with the reason printed, if Ceph is not installed or does not start."""
    from tests.support.s3 import CephRgw, ceph_missing

    missing = ceph_missing()
    if missing is not None:
        print(f"Ceph RGW skipped: {missing} is not installed (apt-get install radosgw ceph-mon "
              "ceph-osd)", flush=True)  # fmt: skip
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="rgw-bench-") as root:
        ceph = CephRgw(root=Path(root))
        try:
            with _environment(CEPH_ARGS=RGW_ARGS):
                ceph.start()
        except (RuntimeError, OSError) as exc:
            ceph.stop()
            print(f"Ceph RGW skipped: it did not start: {exc}", flush=True)
            yield None
            return
        try:
            yield Endpoint(
                name="Ceph RGW",
                url=ceph.url,
                credentials=Credentials(access_key=ceph.keys.access, secret_key=ceph.keys.secret),
                rss=child_rss("radosgw"),
            )
        finally:
            ceph.stop()


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables (inherited by the processes started meanwhile), then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- the benchmark --------------------------------------------------------------------


@dataclass(frozen=True)
class Large:
    """A workload timed in MB/s: its name, bytes per operation, timed and warm-up rounds, the operation
    on a side, and the disk copy that is its limit."""

    name: str
    size: int
    rounds: int
    warmup: int
    operation: Callable[[Workloads], Callable[[], None]]
    limit: DiskCopy


def large_rows(
    *, work: Large, ours: Workloads, peers: Sequence[Workloads], plan: Plan,
    peaks: dict[str, dict[str, int]],
) -> list[Row]:  # fmt: skip
    """Alto against the limit, then against each peer; peak RSS per side into `peaks[name]`."""
    sides: list[tuple[str, Callable[[], object], Callable[[], int]]] = [
        (LIMIT, work.limit.copy, lambda: 0)
    ]
    sides += [(peer.endpoint.name, work.operation(peer), peer.endpoint.rss) for peer in peers]
    rows = []
    for name, peer_op, peer_rss in sides:
        probes = {ours.endpoint.name: ours.endpoint.rss, name: peer_rss}
        with PeakRss(probes) as sampler:
            row = compare(
                workload=work.name, ours=work.operation(ours), peer=peer_op, rounds=work.rounds,
                warmup=work.warmup, peer_name=name, goal=_large_goal(name),
            )  # fmt: skip
        for side, peak in sampler.peaks.items():
            seen = peaks.setdefault(work.name, {})
            seen[side] = max(seen.get(side, 0), peak)
        rows.append(_progress(in_mb_per_s(row, size=work.size)))
    return rows


def _large_goal(peer_name: str) -> str:
    return ">= 0.9x the limit" if peer_name == LIMIT else "report"


def small_rows(*, ours: Workloads, peers: Sequence[Workloads], plan: Plan) -> list[Row]:
    """Small PUT and GET, for each client count, Alto against each peer (ops/s)."""
    rows = []
    for verb, operation in (("PUT", Workloads.put_small), ("GET", Workloads.get_small)):
        for clients in plan.clients:
            workload = f"{plan.small // KIB} KiB {verb}, {clients} client{'s'[: clients - 1]}"
            for peer in peers:
                row = compare(
                    workload=workload, ours=functools.partial(operation, ours),
                    peer=functools.partial(operation, peer), rounds=plan.small_rounds,
                    warmup=plan.warmup, clients=clients, peer_name=peer.endpoint.name,
                    goal=">= 3x moto" if peer.endpoint.name == "moto_server" else "report",
                )  # fmt: skip
                rows.append(_progress(row))
    return rows


def _progress(row: Row) -> Row:
    """Print one line on `row` as soon as it is measured (the table comes at the end)."""
    print(
        f"{row.workload} vs {row.peer_name}: {row.ours.throughput:.1f} vs "
        f"{row.peer.throughput:.1f} {row.unit} ({row.ratio:.2f}x)",
        flush=True,
    )
    return row


def rss_table(peaks: dict[str, dict[str, int]], *, idle: int) -> str:
    """Print and return the peak RSS (MiB) of each side during each large workload."""
    names = list(dict.fromkeys(name for seen in peaks.values() for name in seen if name != LIMIT))
    lines = [
        f"### Peak RSS (MiB) during the large transfers (Alto idle before: {idle / MIB:.0f} MiB)",
        "",
        "| workload | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for workload, seen in peaks.items():
        cells = [f"{seen[name] / MIB:.0f}" if seen.get(name) else "—" for name in names]
        lines.append(f"| {workload} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    return text


def large_workloads(*, plan: Plan, payload: bytes, limits: Path) -> list[Large]:
    """Large PUT and GET (limit: a copy of as many bytes), and the multipart upload (limit: a
    copy of the whole upload); the limits' files go in `limits`."""
    copy = DiskCopy(directory=limits, payload=payload, size=plan.large)
    whole = DiskCopy(directory=limits, payload=payload, size=plan.multipart)
    large, rounds, warmup = plan.large, plan.large_rounds, plan.warmup
    sized = f"{large // MIB} MiB"
    return [
        Large(f"{sized} PUT", large, rounds, warmup, lambda w: w.put_large, copy),
        Large(f"{sized} GET", large, rounds, warmup, lambda w: w.get_large, copy),
        Large(
            f"multipart {plan.multipart // MIB} MiB ({plan.part // MIB} MiB parts)",
            plan.multipart,
            plan.multipart_rounds,
            plan.multipart_warmup,
            lambda w: w.multipart,
            whole,
        ),
    ]


def run(*, options: Options) -> str:
    """Start Alto, moto_server and (unless smoke) Ceph RGW; print and return the tables."""
    plan = plan_for(options=options)
    payload = os.urandom(max(plan.large, plan.part))
    with ExitStack() as stack:
        alto = stack.enter_context(alto_server(db=options.db))
        endpoints = [
            Endpoint(name="Alto", url=alto.url, credentials=alto.credentials, rss=alto.rss_bytes),
            stack.enter_context(moto_endpoint()),
        ]
        rgw = stack.enter_context(rgw_endpoint()) if plan.rgw else None
        if rgw is not None:
            endpoints.append(rgw)
        elif not plan.rgw:
            print("Ceph RGW skipped: not in a smoke run", flush=True)
        ours, *peers = [Workloads(endpoint=e, plan=plan, payload=payload) for e in endpoints]
        idle = alto.rss_bytes()
        large = large_workloads(
            plan=plan, payload=payload, limits=alto.data_dir.parent / "disk-limit"
        )
        peaks: dict[str, dict[str, int]] = {}
        rows = [
            row
            for work in large
            for row in large_rows(work=work, ours=ours, peers=peers, plan=plan, peaks=peaks)
        ]
        rows += small_rows(ours=ours, peers=peers, plan=plan)
    title = f"S3 data plane ({options.db}): Alto vs the disk limit and the peers"
    return print_table(title, rows) + "\n" + rss_table(peaks, idle=idle)
