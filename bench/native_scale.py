"""Native API at scale (issue 8, part 3): list pages, hosts, capacity and 1,000 deploys
on a simulator zone of 1k, 10k and 100k VMs (100 accounts, 10 VMs a host).

For each scale a fresh server (gunicorn, 2 workers, 4 job workers) gets its zone from
`bench.native_seed`; the counts are checked through the API; then, as the root admin
through the `cs` client, after `WARMUP` calls each: listVirtualMachines (page 1 of 500,
listall) unfiltered and filtered by state, by account, by zone and by a name keyword, the
same page as a normal user of one account, listHosts (page of 500) and listCapacity, each
timed over `rounds` calls; then `deploys` deployVirtualMachine through the planner from
DEPLOY_CLIENTS clients, each polling queryAsyncJobResult until its VM is Running, timed
until the last is. Afterwards no host may hold more than its overprovisioned CPU or
memory (listHosts), and every host's allocation must equal what its Running VMs take
(database). The server's RSS is sampled throughout; its peak is reported.

    python -m bench native-scale [--db mariadb] [--rounds N] [--smoke]
    python -m bench.native_scale [--db mariadb] [--scales 1000,10000] [--rounds N] [--smoke]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from cs import CloudStack
from sqlalchemy import create_engine, func, select

from bench import native_seed
from bench.harness import (
    Options,
    RunningAlto,
    Sample,
    alto_server,
    machine_line,
    measure,
)
from bench.native_seed import Scale, Zone
from native.model import Host, VirtualMachine

SCALES = (1_000, 10_000, 100_000)
SMOKE_SCALE = Scale(vms=200, hosts=20, accounts=5, hosts_per_cluster=10)
DEPLOYS, SMOKE_DEPLOYS = 1_000, 20
ROUNDS, SMOKE_ROUNDS = 20, 3
WARMUP = 2
PAGE = 500
DEPLOY_CLIENTS = 16
POLL_SECONDS = 0.2
PAGE_GOAL_MS = 150.0
DEPLOY_GOAL_S = 20.0
RSS_GOAL = 1024**3
MIB = 1024**2


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One measured line: `value` is what is compared with the goal (ms, s or MiB)."""

    workload: str
    median: str
    p99: str
    rate: str
    goal: str
    met: bool | None
    value: float


@dataclass(frozen=True, kw_only=True)
class ScaleResult:
    scale: Scale
    figures: Sequence[Figure]
    notes: Sequence[str]


# -- clients ----------------------------------------------------------------------------


def client(url: str, *, key: str, secret: str) -> CloudStack:
    """A `cs` client of the native API; async commands return their job id."""
    return CloudStack(endpoint=f"{url}/client/api", key=key, secret=secret, timeout=120)


def _admin(alto: RunningAlto) -> CloudStack:
    creds = alto.credentials
    return client(alto.url, key=creds.access_key, secret=creds.secret_key)


@contextmanager
def rss_peak(alto: RunningAlto, *, every: float = 0.5) -> Iterator[list[int]]:
    """Sample the server's RSS every `every` s while the block runs; yields a one-item list
    holding the peak so far (read it after the block)."""
    peak = [alto.rss_bytes()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(every):
            peak[0] = max(peak[0], alto.rss_bytes())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


# -- checks -----------------------------------------------------------------------------


def check_counts(api: CloudStack, *, scale: Scale, extra: int = 0) -> None:
    """RuntimeError unless the API lists every seeded VM and host (`extra` VMs more)."""
    vms = api.listVirtualMachines(listall=True, page=1, pagesize=1).get("count", 0)
    hosts = api.listHosts(type="Routing", page=1, pagesize=1).get("count", 0)
    if vms != scale.vms + extra or hosts != scale.hosts + 4:
        raise RuntimeError(
            f"API lists {vms} VMs and {hosts} hosts; seeded {scale.vms + extra} VMs and "
            f"{scale.hosts + 4} hosts (the demo zone's 4 included)"
        )


def overcommitted_hosts(api: CloudStack) -> list[str]:
    """Hosts whose allocated CPU or memory passes their overprovisioned total (listHosts)."""
    found, page = [], 1
    while hosts := api.listHosts(type="Routing", page=page, pagesize=PAGE).get("host", []):
        for host in hosts:
            if int(host["cpuallocatedvalue"]) > float(host["cpuwithoverprovisioning"]) or int(
                host["memoryallocatedbytes"]
            ) > float(host["memorywithoverprovisioning"]):
                found.append(str(host["name"]))
        page += 1
    return found


def inconsistent_hosts(db_url: str) -> list[str]:
    """Hosts whose `cpu_used`/`memory_used` differ from what their Running VMs take."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            taken = {
                host_id: (cpu, memory)
                for host_id, cpu, memory in connection.execute(
                    select(
                        VirtualMachine.host_id,
                        func.sum(VirtualMachine.cpu_number * VirtualMachine.cpu_speed),
                        func.sum(VirtualMachine.memory),
                    )
                    .where(VirtualMachine.removed.is_(None), VirtualMachine.host_id.is_not(None))
                    .group_by(VirtualMachine.host_id)
                )
            }
            return [
                name
                for host_id, name, cpu, memory in connection.execute(
                    select(Host.id, Host.name, Host.cpu_used, Host.memory_used).where(
                        Host.removed.is_(None)
                    )
                )
                if (int(cpu), int(memory))
                != tuple(int(v) * unit for v, unit in zip(taken.get(host_id, (0, 0)), (1, MIB)))
            ]
    finally:
        engine.dispose()


# -- workloads ----------------------------------------------------------------------------


def _timed(
    workload: str, op: Callable[[], object], *, rounds: int, goal_ms: float | None
) -> Figure:
    measure(op, rounds=WARMUP)
    sample = measure(op, rounds=rounds)
    return _latency_figure(workload, sample, goal_ms=goal_ms)


def _latency_figure(workload: str, sample: Sample, *, goal_ms: float | None) -> Figure:
    return Figure(
        workload=workload,
        median=f"{sample.median_ms:.1f}",
        p99=f"{sample.p99_ms:.1f}",
        rate=f"{sample.throughput:.1f} req/s",
        goal="—" if goal_ms is None else f"p50 < {goal_ms:.0f} ms",
        met=None if goal_ms is None else sample.median_ms < goal_ms,
        value=sample.median_ms,
    )


def list_figures(alto: RunningAlto, zone: Zone, *, rounds: int) -> list[Figure]:
    """The listing workloads (see the module docstring)."""
    admin = _admin(alto)
    user = client(alto.url, key=zone.user_key, secret=zone.user_secret)
    page = {"page": 1, "pagesize": PAGE}
    vms = {**page, "listall": True}
    account = {"account": zone.accounts[0], "domainid": zone.domain_id}
    cases: list[tuple[str, Callable[[], object], float | None]] = [
        ("listVirtualMachines", lambda: admin.listVirtualMachines(**vms), PAGE_GOAL_MS),
        (
            "listVirtualMachines state=Running",
            lambda: admin.listVirtualMachines(**vms, state="Running"),
            PAGE_GOAL_MS,
        ),
        (
            "listVirtualMachines account",
            lambda: admin.listVirtualMachines(**vms, **account),
            PAGE_GOAL_MS,
        ),
        (
            "listVirtualMachines zoneid",
            lambda: admin.listVirtualMachines(**vms, zoneid=zone.zone_id),
            PAGE_GOAL_MS,
        ),
        (
            "listVirtualMachines keyword=vm42",
            lambda: admin.listVirtualMachines(**vms, keyword="vm42"),
            PAGE_GOAL_MS,
        ),
        ("listVirtualMachines (as user)", lambda: user.listVirtualMachines(**page), PAGE_GOAL_MS),
        ("listHosts", lambda: admin.listHosts(**page, type="Routing"), PAGE_GOAL_MS),
        ("listCapacity", lambda: admin.listCapacity(zoneid=zone.zone_id), None),
    ]
    return [_timed(name, op, rounds=rounds, goal_ms=goal) for name, op, goal in cases]


def deploy_figure(alto: RunningAlto, zone: Zone, *, deploys: int) -> tuple[Figure, int]:
    """`deploys` deployVirtualMachine from DEPLOY_CLIENTS clients, accounts in turn; the
    figure (per-deploy latency, wall time against the goal) and how many failed."""
    creds = alto.credentials
    accounts = itertools.cycle(zone.accounts)
    offering = zone.offerings[native_seed.VM_OFFERINGS[2]]
    failures: list[str] = []

    def deploy(api: CloudStack) -> None:
        job = api.deployVirtualMachine(
            zoneid=zone.zone_id,
            templateid=zone.template_id,
            serviceofferingid=offering,
            account=next(accounts),
            domainid=zone.domain_id,
        )["jobid"]
        while (answer := api.queryAsyncJobResult(jobid=job))["jobstatus"] == 0:
            time.sleep(POLL_SECONDS)
        result = answer.get("jobresult", {})
        if answer["jobstatus"] != 1 or result.get("virtualmachine", {}).get("state") != "Running":
            failures.append(str(result.get("errortext", result)))

    local = threading.local()

    def op() -> None:
        if not hasattr(local, "api"):
            local.api = client(alto.url, key=creds.access_key, secret=creds.secret_key)
        deploy(local.api)

    sample = measure(op, rounds=deploys, clients=DEPLOY_CLIENTS)
    met = sample.wall * DEPLOYS / deploys < DEPLOY_GOAL_S and not failures
    figure = Figure(
        workload=f"deploy {deploys} VMs ({DEPLOY_CLIENTS} clients), wall {sample.wall:.1f} s",
        median=f"{sample.median_ms:.0f}",
        p99=f"{sample.p99_ms:.0f}",
        rate=f"{sample.throughput:.1f} VM/s",
        goal=f"{DEPLOYS} in < {DEPLOY_GOAL_S:.0f} s"
        + (f" (pro rata {DEPLOY_GOAL_S * deploys / DEPLOYS:.1f} s)" if deploys != DEPLOYS else ""),
        met=met,
        value=sample.wall,
    )
    return figure, len(failures)


def rss_figure(peak: int) -> Figure:
    return Figure(
        workload="management-server RSS, peak",
        median="—",
        p99="—",
        rate=f"{peak / MIB:.0f} MiB",
        goal=f"< {RSS_GOAL // MIB} MiB",
        met=peak < RSS_GOAL,
        value=peak / MIB,
    )


# -- one scale ----------------------------------------------------------------------------


def run_scale(*, db: str, scale: Scale, rounds: int, deploys: int) -> ScaleResult:
    """Seed a fresh server at `scale`, check it, and measure every workload."""
    notes: list[str] = []
    with alto_server(db=db, workers=2, job_workers=4) as alto, rss_peak(alto) as peak:
        admin = _admin(alto)
        began = time.monotonic()
        zone = native_seed.build_through_api(admin, scale=scale, extra_vms=deploys)
        through_api = time.monotonic() - began
        native_seed.bulk_seed(db_url=alto.db_url, data_dir=alto.data_dir, scale=scale)
        notes.append(
            f"seeding: {through_api:.0f} s through the API, "
            f"{time.monotonic() - began - through_api:.0f} s bulk inserts"
        )
        check_counts(admin, scale=scale)
        print(f"{scale_label(scale)}: {notes[0]}; RSS so far {peak[0] // MIB} MiB", flush=True)
        figures = list_figures(alto, zone, rounds=rounds)
        for figure in figures:
            print(f"  {_row(figure)}", flush=True)
        deployed, failed = deploy_figure(alto, zone, deploys=deploys)
        figures.append(deployed)
        over = overcommitted_hosts(admin)
        drift = inconsistent_hosts(alto.db_url)
        check_counts(admin, scale=scale, extra=deploys - failed)
        notes.append(
            f"deploys: {failed} failed; {len(over)} hosts overcommitted; "
            f"{len(drift)} hosts whose allocation differs from their Running VMs"
            + (f" ({', '.join((over + drift)[:5])}…)" if over or drift else "")
        )
        figures.append(rss_figure(peak[0]))
    return ScaleResult(scale=scale, figures=figures, notes=notes)


# -- reporting ----------------------------------------------------------------------------


def _cells(values: Sequence[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _met(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "**no**")


def _row(figure: Figure) -> str:
    return _cells(
        [figure.workload, figure.median, figure.p99, figure.rate, figure.goal, _met(figure.met)]
    )


def scale_label(scale: Scale) -> str:
    return f"{scale.vms:,} VMs / {scale.hosts:,} hosts / {scale.accounts} accounts"


def result_table(*, db: str, result: ScaleResult) -> str:
    """One scale's figures as a Markdown table, its notes below."""
    header = ["workload", "median ms", "p99 ms", "throughput", "goal", "met?"]
    lines = [
        f"### {scale_label(result.scale)} on {db}",
        "",
        _cells(header),
        _cells(["---"] * len(header)),
    ]
    lines += [_row(figure) for figure in result.figures]
    lines += ["", *(f"- {note}" for note in result.notes)]
    return "\n".join(lines) + "\n"


def growth_table(*, db: str, results: Sequence[ScaleResult]) -> str:
    """How each figure grows with the scale: list medians (ms), deploy wall (s), RSS (MiB)."""
    header = ["workload", *(f"{r.scale.vms:,} VMs" for r in results)]
    lines = [f"### Growth on {db}", "", _cells(header), _cells(["---"] * len(header))]
    for index, figure in enumerate(results[0].figures):
        unit = (
            "s"
            if figure.workload.startswith("deploy")
            else ("MiB" if "RSS" in figure.workload else "ms")
        )
        name = figure.workload.split(" (")[0].split(", wall")[0]
        lines.append(
            _cells([f"{name} ({unit})", *(f"{r.figures[index].value:.1f}" for r in results)])
        )
    return "\n".join(lines) + "\n"


def run_all(*, db: str, scales: Sequence[Scale], rounds: int, deploys: int) -> str:
    """Every scale in turn, each table printed as soon as it is measured; all the text."""
    results, texts = [], []
    for scale in scales:
        result = run_scale(db=db, scale=scale, rounds=rounds, deploys=deploys)
        results.append(result)
        texts.append(result_table(db=db, result=result))
        print(texts[-1], flush=True)
    if len(results) > 1:
        texts.append(growth_table(db=db, results=results))
        print(texts[-1], flush=True)
    return "\n".join(texts)


def run(*, options: Options) -> str:
    """The `python -m bench native-scale` entry point (SCALES, or the smoke scale)."""
    scales = [SMOKE_SCALE] if options.smoke else [Scale.for_vms(vms) for vms in SCALES]
    rounds = options.rounds or (SMOKE_ROUNDS if options.smoke else ROUNDS)
    deploys = SMOKE_DEPLOYS if options.smoke else DEPLOYS
    return run_all(db=options.db, scales=scales, rounds=rounds, deploys=deploys)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.native_scale`: as `python -m bench native-scale`, plus `--scales`."""
    parser = argparse.ArgumentParser(prog="python -m bench.native_scale")
    parser.add_argument("--db", choices=("sqlite", "mariadb"), default="sqlite")
    parser.add_argument("--scales", default=",".join(str(vms) for vms in SCALES))
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--deploys", type=int)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    scales = (
        [SMOKE_SCALE]
        if args.smoke
        else [Scale.for_vms(int(vms)) for vms in args.scales.split(",") if vms]
    )
    rounds = args.rounds or (SMOKE_ROUNDS if args.smoke else ROUNDS)
    deploys = args.deploys or (SMOKE_DEPLOYS if args.smoke else DEPLOYS)
    print(f"machine: {machine_line()}", flush=True)
    run_all(db=args.db, scales=scales, rounds=rounds, deploys=deploys)
    return 0


if __name__ == "__main__":
    sys.exit(main())
