"""`python -m bench ec2`: the EC2 control plane, Alto vs moto_server, same boto3 requests.

Both servers get the same set-up through the same calls: `instances` instances (Alto's
demo zone: the `tiny` AMI, t3.nano; RunInstances with MaxCount in batches, then waited
for until running), each tagged `bench=ec2`, and `groups` security groups with two
ingress rules each. Then, for each workload and each number of concurrent clients
(every thread has its own boto3 client, no retries), `compare` times:

- DescribeInstances, unfiltered (the set-up instances);
- DescribeSecurityGroups, unfiltered;
- CreateTags: one `owner` tag on one set-up instance, a different instance and value
  each call;
- DescribeTags filtered on key `bench` (one tag per set-up instance);
- a cycle: RunInstances of one instance, then TerminateInstances of it, not waiting
  for either on either side (last, so the cycles' instances never reach a Describe).

The goals come from the benchmarks issue; each row says whether it was met.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

import boto3
from botocore.config import Config

from bench.harness import Options, Row, alto_server, compare, moto_server, pooled, print_table

REGION = "us-east-1"
INSTANCE_TYPE = "t3.nano"
ALTO_IMAGE = "tiny"
BATCH = 25
RUNNING_TIMEOUT = 600.0
REQUEST_TIMEOUT = 600.0  # seconds one request may take on a loaded machine before it fails
TITLE = "EC2 control plane: Alto vs moto_server (boto3)"


@dataclass(frozen=True, kw_only=True)
class Sizes:
    """How much to set up and time: the full run, or the CI smoke run."""

    instances: int
    groups: int
    rounds: int
    warmup: int
    clients: tuple[int, ...]


FULL = Sizes(instances=100, groups=10, rounds=200, warmup=10, clients=(1, 8))
SMOKE = Sizes(instances=4, groups=2, rounds=6, warmup=1, clients=(1, 2))


@dataclass(frozen=True, kw_only=True)
class Goal:
    """At least `ratio` times the peer's throughput, and a p99 under `p99_ms` if set."""

    ratio: float
    p99_ms: float | None = None

    def verdict(self, row: Row) -> str:
        text = f"≥{self.ratio:g}x"
        met = row.ratio >= self.ratio
        if self.p99_ms is not None:
            text += f", p99 < {self.p99_ms:g} ms"
            met = met and row.ours.p99_ms < self.p99_ms
        return f"{text}: {'met' if met else 'MISSED'}"


@dataclass(frozen=True, kw_only=True)
class Side:
    """One server as boto3 sees it, and what the set-up made there."""

    url: str
    access_key: str
    secret_key: str
    image_id: str = ""
    instance_ids: tuple[str, ...] = ()

    def client(self) -> Any:
        """A new boto3 EC2 client with one connection; no retries: every figure is one request."""
        config = Config(
            retries={"total_max_attempts": 1}, max_pool_connections=1, read_timeout=REQUEST_TIMEOUT
        )
        return boto3.client(
            "ec2",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=config,
        )


# -- set-up --------------------------------------------------------------------------


def _image_id(client: Any) -> str:
    """Alto's `tiny` template, once available (the demo zone's copy may still be pending
    just after start); on a server without it (moto), its first image by id."""
    deadline = time.monotonic() + RUNNING_TIMEOUT
    named: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        filters = [{"Name": "name", "Values": [ALTO_IMAGE]}]
        named = client.describe_images(Filters=filters)["Images"]
        if not named or all(image["State"] == "available" for image in named):
            break
        time.sleep(0.5)
    images = named or client.describe_images()["Images"]
    return str(min(image["ImageId"] for image in images))


def _run(client: Any, *, image_id: str, count: int, tags: Sequence[dict[str, str]]) -> list[str]:
    specs = [{"ResourceType": "instance", "Tags": list(tags)}] if tags else []
    reply = client.run_instances(
        ImageId=image_id,
        InstanceType=INSTANCE_TYPE,
        MinCount=count,
        MaxCount=count,
        TagSpecifications=specs,
    )
    return [str(instance["InstanceId"]) for instance in reply["Instances"]]


def _wait_running(client: Any, *, ids: Sequence[str]) -> None:
    deadline = time.monotonic() + RUNNING_TIMEOUT
    while time.monotonic() < deadline:
        pages = client.get_paginator("describe_instances").paginate(InstanceIds=list(ids))
        states = [
            instance["State"]["Name"]
            for page in pages
            for reservation in page["Reservations"]
            for instance in reservation["Instances"]
        ]
        if len(states) == len(ids) and all(state == "running" for state in states):
            return
        time.sleep(1.0)
    raise RuntimeError(f"{len(ids)} instances not all running within {RUNNING_TIMEOUT:.0f} s")


def _make_groups(client: Any, *, count: int) -> None:
    for index in range(count):
        group = client.create_security_group(GroupName=f"bench-{index}", Description="bench")
        client.authorize_security_group_ingress(
            GroupId=group["GroupId"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                 "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            ],
        )  # fmt: skip


def set_up(side: Side, *, sizes: Sizes) -> Side:
    """Make the instances and security groups on `side`; the side with their ids."""
    client = side.client()
    image_id = _image_id(client)
    ids: list[str] = []
    while len(ids) < sizes.instances:
        count = min(BATCH, sizes.instances - len(ids))
        tags = [{"Key": "bench", "Value": "ec2"}]
        ids += _run(client, image_id=image_id, count=count, tags=tags)
    _wait_running(client, ids=ids)
    _make_groups(client, count=sizes.groups)
    return replace(side, image_id=image_id, instance_ids=tuple(ids))


# -- workloads -----------------------------------------------------------------------


Call = Callable[[Any], object]


def _create_tags(side: Side) -> Call:
    counter = itertools.count()

    def call(client: Any) -> object:
        n = next(counter)  # atomic under the GIL
        instance = side.instance_ids[n % len(side.instance_ids)]
        return client.create_tags(
            Resources=[instance], Tags=[{"Key": "owner", "Value": f"bench-{n}"}]
        )

    return call


def _cycle(side: Side) -> Call:
    def call(client: Any) -> object:
        (instance,) = _run(client, image_id=side.image_id, count=1, tags=())
        return client.terminate_instances(InstanceIds=[instance])

    return call


@dataclass(frozen=True, kw_only=True)
class Workload:
    """A name (with `{n}`, the instance count), a call per side, a goal and a unit."""

    name: str
    call: Callable[[Side], Call]
    goal: Goal | None
    unit: str = "req/s"


WORKLOADS = (
    Workload(
        name="DescribeInstances ({n} instances)",
        call=lambda side: lambda client: client.describe_instances(),
        goal=Goal(ratio=30, p99_ms=50),
    ),
    Workload(
        name="DescribeInstances by id ({n} InstanceIds)",
        call=lambda side: lambda client: client.describe_instances(
            InstanceIds=list(side.instance_ids)
        ),
        goal=Goal(ratio=30, p99_ms=50),
    ),
    Workload(
        name="DescribeSecurityGroups",
        call=lambda side: lambda client: client.describe_security_groups(),
        goal=Goal(ratio=3, p99_ms=50),
    ),
    Workload(name="CreateTags (1 instance)", call=_create_tags, goal=None),
    Workload(
        name="DescribeTags (key filter, {n} tags)",
        call=lambda side: lambda client: client.describe_tags(
            Filters=[{"Name": "key", "Values": ["bench"]}]
        ),
        goal=Goal(ratio=3, p99_ms=50),
    ),
    Workload(name="RunInstances + TerminateInstances", call=_cycle, goal=Goal(ratio=1),
             unit="cycles/s"),
)  # fmt: skip


def _rows(*, ours: Side, peer: Side, sizes: Sizes) -> Iterator[Row]:
    for workload in WORKLOADS:
        for clients in sizes.clients:
            row = compare(
                workload=f"{workload.name.format(n=sizes.instances)}, {clients} client(s)",
                ours=pooled(factory=lambda: ours.client(), call=workload.call(ours)),
                peer=pooled(factory=lambda: peer.client(), call=workload.call(peer)),
                rounds=sizes.rounds,
                warmup=sizes.warmup,
                clients=clients,
                peer_name="moto",
                goal="",
            )
            goal = workload.goal.verdict(row) if workload.goal else "none set"
            row = replace(row, goal=goal, unit=workload.unit)
            print(
                f"  {row.workload}: Alto {row.ours.throughput:.1f} {row.unit} "
                f"(p50 {row.ours.median_ms:.0f} ms, p99 {row.ours.p99_ms:.0f} ms), moto "
                f"{row.peer.throughput:.1f} (p50 {row.peer.median_ms:.0f} ms, "
                f"p99 {row.peer.p99_ms:.0f} ms): {row.ratio:.2f}x, {goal}",
                flush=True,
            )
            yield row


def run(*, options: Options) -> str:
    """Start Alto and moto_server, set both up, time every workload; the Markdown table."""
    base = SMOKE if options.smoke else FULL
    sizes = replace(
        base, rounds=options.rounds or base.rounds, clients=options.clients or base.clients
    )
    with ExitStack() as stack:
        alto = stack.enter_context(alto_server(db=options.db, workers=2, job_workers=4))
        moto_url = stack.enter_context(moto_server())
        ours = Side(
            url=alto.url + "/",
            access_key=alto.credentials.access_key,
            secret_key=alto.credentials.secret_key,
        )
        peer = Side(url=moto_url, access_key="bench", secret_key="bench")
        print(f"setting up {sizes.instances} instances on Alto ({options.db}) and moto", flush=True)
        ours, peer = set_up(ours, sizes=sizes), set_up(peer, sizes=sizes)
        rows: list[Row] = []
        try:
            rows.extend(_rows(ours=ours, peer=peer, sizes=sizes))
        except BaseException:
            print_table(f"{TITLE}, Alto on {options.db} (INCOMPLETE: stopped by an error)", rows)
            raise
        print(f"Alto RSS at the end: {alto.rss_bytes() / 2**20:.0f} MiB", flush=True)
    return print_table(f"{TITLE}, Alto on {options.db}", rows)
