"""A simulator zone at scale for the native-API benchmark, as the real services leave it.

Two phases, both against a running server:

1. `build_through_api`, as the root admin through `/client/api`, on the demo zone that
   `alto init` builds: account limits lifted, the zone's guest CIDR widened (so one
   account's isolated network holds a thousand VMs), primary storage given room, then
   `clusters` clusters (CPU overcommit 4, as the demo cluster) with one simulator host each,
   `accounts` accounts, and one VM per account deployed through the planner. These real
   rows are the prototypes.
2. `bulk_seed` clones the prototypes with SQLAlchemy Core `insert()` executemany, in
   batches: the rest of the hosts (each with its simulator state file, written first so
   the ping loop finds it), the rest of the VMs with their ROOT volume (Ready on the pool),
   their NIC (the next free address of the account's network, a fresh MAC) and their AWS
   ids; then the bookkeeping a deployment does: host `cpu_used`/`memory_used`, the pool's
   `used_bytes`, and the resource counts of each account and of every domain above it.
   Only identity and placement columns differ from the prototype's rows. One VM in
   `STOPPED_EVERY` is left Stopped as `stopVirtualMachine` leaves it (no host, its last
   host kept, no host capacity held, its volume and limits kept).

Not cloned: the audit trail (event rows) and async-job rows of the prototypes, and the
volume files on primary storage (listing reads neither). The routers' DHCP files list a
seeded VM once the router of its network is next applied (any deployment in the network).
"""

from __future__ import annotations

import ipaddress
import json
import time
import uuid as uuidlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cs import CloudStack
from sqlalchemy import Connection, Engine, Table, create_engine, func, insert, select, update

from native.model import (
    Account,
    Domain,
    Host,
    Network,
    Nic,
    Pod,
    ResourceCount,
    ServiceOffering,
    StoragePool,
    VirtualMachine,
    Volume,
)
from native.model.aws_ids import record_bulk_insert
from native.model.base import Base, new_uuid, utcnow

Row = dict[str, Any]
GIB = 1024**3
MIB = 1024**2
HOST_CPUS = 16
HOST_MHZ = 2000
HOST_MIB = 65536
CPU_OVERCOMMIT = 4
GUEST_CIDR = "10.1.0.0/20"
VM_OFFERINGS = ("t3.nano", "t3.micro", "t3.small", "t3.medium")
STOPPED_EVERY = 10
BATCH = 2000
LIFTED_LIMITS = ("user.vms", "volumes", "cpus", "memory", "primary.storage")
ACCOUNT_PREFIX = "bench-acct"
CLUSTER_PREFIX = "bench-c"
USER_PASSWORD = "Bench-Passw0rd"
JOB_TIMEOUT = 300.0


class SeedError(RuntimeError):
    """A seeding step failed; the message names it."""


@dataclass(frozen=True, kw_only=True)
class Scale:
    """How big the zone is: `vms` VMs over `accounts` accounts (one of each account's made
    through the API), `hosts` simulator hosts in clusters of `hosts_per_cluster` (one of
    each cluster's added through the API). The demo zone's own 4 hosts come on top."""

    vms: int
    hosts: int
    accounts: int
    hosts_per_cluster: int

    @classmethod
    def for_vms(cls, vms: int, *, accounts: int = 100, vms_per_host: int = 10) -> Scale:
        """The issue's proportions: `vms_per_host` VMs a host, clusters of 100 hosts."""
        hosts = max(2, vms // vms_per_host)
        return cls(vms=vms, hosts=hosts, accounts=accounts, hosts_per_cluster=min(100, hosts))

    @property
    def clusters(self) -> int:
        return -(-self.hosts // self.hosts_per_cluster)

    def __post_init__(self) -> None:
        if self.hosts_per_cluster < 2 or self.vms < self.accounts or self.accounts < 1:
            raise ValueError(f"unworkable scale {self}")


@dataclass(frozen=True, kw_only=True)
class Zone:
    """What the API phase made, by UUID: the zone, its template, the offerings by name,
    the accounts (all in `domain_id`) and the API keys of the first account's user."""

    zone_id: str
    domain_id: str
    template_id: str
    offerings: Mapping[str, str]
    accounts: Sequence[str]
    user_key: str
    user_secret: str


# -- phase 1: through the API ---------------------------------------------------------


def wait_job(api: CloudStack, jobid: str, *, interval: float = 0.25) -> dict[str, Any]:
    """Poll queryAsyncJobResult until the job is done; its result. SeedError if it failed
    or is still pending after JOB_TIMEOUT seconds."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        answer = dict(api.queryAsyncJobResult(jobid=jobid))
        if answer["jobstatus"] == 1:
            return dict(answer["jobresult"])
        if answer["jobstatus"] == 2:
            raise SeedError(f"job {jobid} failed: {answer.get('jobresult')}")
        time.sleep(interval)
    raise SeedError(f"job {jobid} still pending after {JOB_TIMEOUT:.0f} s")


def build_through_api(api: CloudStack, *, scale: Scale, extra_vms: int) -> Zone:
    """Phase 1 (see the module docstring), on the demo zone; room is made for `extra_vms`
    VMs deployed later."""
    [zone] = api.listZones()["zone"]
    template_id = _ready_template(api)
    for owner in ("account", "domain"):
        for suffix in LIFTED_LIMITS:
            api.updateConfiguration(name=f"max.{owner}.{suffix}", value="-1")
    api.updateZone(id=zone["id"], guestcidraddress=GUEST_CIDR)
    _grow_pool(api, needed=(scale.vms + extra_vms) * GIB)
    [pod] = api.listPods(zoneid=zone["id"])["pod"]
    for index in range(scale.clusters):
        _add_cluster(api, zone_id=zone["id"], pod_id=pod["id"], index=index)
    offerings = {
        offering["name"]: offering["id"]
        for offering in api.listServiceOfferings()["serviceoffering"]
    }
    [domain] = api.listDomains(level=0)["domain"]
    accounts = [f"{ACCOUNT_PREFIX}{index}" for index in range(scale.accounts)]
    user_ids = [_add_account(api, name=name, domain_id=domain["id"]) for name in accounts]
    keys = _single(api.registerUserKeys(id=user_ids[0])["userkeys"])
    _deploy_prototypes(
        api,
        accounts=accounts,
        domain_id=domain["id"],
        zone_id=zone["id"],
        template_id=template_id,
        offering_id=offerings[VM_OFFERINGS[0]],
    )
    return Zone(
        zone_id=zone["id"],
        domain_id=domain["id"],
        template_id=template_id,
        offerings=offerings,
        accounts=accounts,
        user_key=keys["apikey"],
        user_secret=keys["secretkey"],
    )


def _ready_template(api: CloudStack) -> str:
    """The demo template's id once it is downloaded (the server does it in the background)."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        found = api.listTemplates(templatefilter="featured").get("template", [])
        if found and found[0].get("isready"):
            return str(found[0]["id"])
        time.sleep(0.5)
    raise SeedError("the demo template never became ready")


def _grow_pool(api: CloudStack, *, needed: int) -> None:
    """Give the demo zone's primary storage room for `needed` bytes of (thin) volumes."""
    [pool] = api.listStoragePools()["storagepool"]
    capacity = max(int(pool["disksizetotal"]), 2 * needed)
    api.updateStoragePool(id=pool["id"], capacitybytes=capacity)


def _add_cluster(api: CloudStack, *, zone_id: str, pod_id: str, index: int) -> None:
    """Cluster `bench-c<index>` (CPU overcommit as the demo cluster) with its first host."""
    name = f"{CLUSTER_PREFIX}{index}"
    cluster = _single(
        api.addCluster(zoneid=zone_id, podid=pod_id, clustername=name, hypervisor="Simulator")[
            "cluster"
        ]
    )
    api.updateConfiguration(
        name="cpu.overprovisioning.factor", value=str(CPU_OVERCOMMIT), clusterid=cluster["id"]
    )
    api.addHost(
        zoneid=zone_id,
        podid=pod_id,
        clusterid=cluster["id"],
        hypervisor="Simulator",
        url=host_url(host_name(cluster=index, host=0)),
        username="root",
        password="simulator",
    )


def _single(body: Any) -> dict[str, Any]:
    """A create command's object (some answer a one-item list)."""
    return dict(body[0] if isinstance(body, list) else body)


def host_name(*, cluster: int, host: int) -> str:
    return f"{CLUSTER_PREFIX}{cluster}-h{host}"


def host_url(name: str) -> str:
    return f"simulator://{name}?cpu={HOST_CPUS}&speed={HOST_MHZ}&mem={HOST_MIB}"


def _add_account(api: CloudStack, *, name: str, domain_id: str) -> str:
    """A User account with one user of the same name; the user's id."""
    account = _single(
        api.createAccount(
            accounttype=0,
            account=name,
            username=name,
            password=USER_PASSWORD,
            email=f"{name}@example.com",
            firstname="Bench",
            lastname=name,
            domainid=domain_id,
        )["account"]
    )
    return str(account["user"][0]["id"])


def _deploy_prototypes(
    api: CloudStack,
    *,
    accounts: Sequence[str],
    domain_id: str,
    zone_id: str,
    template_id: str,
    offering_id: str,
) -> None:
    """Deploy `<account>-vm0` in every account (all submitted, then awaited)."""
    jobs = [
        api.deployVirtualMachine(
            zoneid=zone_id,
            templateid=template_id,
            serviceofferingid=offering_id,
            account=account,
            domainid=domain_id,
            name=f"{account}-vm0",
        )["jobid"]
        for account in accounts
    ]
    for jobid in jobs:
        wait_job(api, jobid)


# -- phase 2: bulk inserts ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Prototypes:
    """The rows phase 1 made that phase 2 clones, and what is already taken."""

    hosts: Sequence[Row]  # the first host of each bench cluster, by cluster index
    vms: Sequence[Row]  # each account's first VM, by account index
    roots: Mapping[int, Row]  # vm id → its ROOT volume
    nics: Mapping[int, Row]  # vm id → its NIC
    networks: Mapping[int, Row]  # network id → network
    offerings: Mapping[str, Row]  # name → service offering
    pod: Row
    taken_ips: Mapping[int, set[str]]  # network id → addresses in use (gateway included)
    taken_pod_ips: set[str]
    macs: set[str]
    next_ids: Mapping[str, int]  # table name → first free id


@dataclass
class _Plan:
    """The rows to insert, and the bookkeeping they add up to."""

    hosts: list[Row]
    vms: list[Row]
    volumes: list[Row]
    nics: list[Row]
    host_vms: dict[str, dict[str, Any]]  # host name → its simulator state's `vms`
    counts: Counter[tuple[int, str]]  # (account id, resource type) → amount added


def bulk_seed(*, db_url: str, data_dir: Path, scale: Scale) -> None:
    """Phase 2 (see the module docstring); `data_dir` is the server's data directory.

    Must run after `build_through_api` on the same server, while nothing else deploys VMs
    or adds hosts: new ids are taken from max(id) + 1.
    """
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            prototypes = _read_prototypes(connection, scale=scale)
        plan = _plan(prototypes, scale=scale)
        _write_simulator_state(
            data_dir / "drivers" / "simulator", hosts=plan.hosts, host_vms=plan.host_vms
        )
        _insert_rows(engine, plan)
        _bookkeeping(engine, plan, pool_bytes=sum(volume["size"] for volume in plan.volumes))
    finally:
        engine.dispose()


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[str(model.__tablename__)]


def _rows(connection: Connection, table: Table, *where: Any) -> list[Row]:
    return [dict(row) for row in connection.execute(select(table).where(*where)).mappings()]


def _read_prototypes(connection: Connection, *, scale: Scale) -> _Prototypes:
    host_t, vm_t, volume_t = _table(Host), _table(VirtualMachine), _table(Volume)
    nic_t, network_t = _table(Nic), _table(Network)
    hosts = {row["name"]: row for row in _rows(connection, host_t, host_t.c.removed.is_(None))}
    account_ids = dict(
        connection.execute(
            select(Account.name, Account.id).where(Account.name.like(f"{ACCOUNT_PREFIX}%"))
        ).all()
    )
    vms = _rows(
        connection, vm_t, vm_t.c.account_id.in_(account_ids.values()), vm_t.c.removed.is_(None)
    )
    by_account = {row["account_id"]: row for row in vms}
    if len(by_account) != scale.accounts or len(vms) != scale.accounts:
        raise SeedError(f"expected one prototype VM in each of {scale.accounts} accounts")
    vm_ids = [row["id"] for row in vms]
    nics = _rows(connection, nic_t, nic_t.c.vm_id.in_(vm_ids))
    network_ids = {row["network_id"] for row in nics}
    taken: dict[int, set[str]] = defaultdict(set)
    for network_id, address in connection.execute(
        select(Nic.network_id, Nic.ip4_address).where(
            Nic.network_id.in_(network_ids), Nic.ip4_address.is_not(None)
        )
    ):
        taken[network_id].add(str(address))
    networks = {
        row["id"]: row for row in _rows(connection, network_t, network_t.c.id.in_(network_ids))
    }
    for network in networks.values():
        taken[network["id"]].add(network["gateway"])
    [pod] = _rows(connection, _table(Pod))
    return _Prototypes(
        hosts=[hosts[host_name(cluster=index, host=0)] for index in range(scale.clusters)],
        vms=[
            by_account[account_ids[f"{ACCOUNT_PREFIX}{index}"]] for index in range(scale.accounts)
        ],
        roots={
            row["vm_id"]: row
            for row in _rows(connection, volume_t, volume_t.c.vm_id.in_(vm_ids))
            if row["volume_type"] == "ROOT"
        },
        nics={row["vm_id"]: row for row in nics},
        networks=networks,
        offerings={
            row["name"]: row
            for row in _rows(connection, _table(ServiceOffering))
            if row["name"] in VM_OFFERINGS
        },
        pod=pod,
        taken_ips=taken,
        taken_pod_ips={row["private_ip"] for row in hosts.values()},
        macs=set(connection.scalars(select(Nic.mac_address))),
        next_ids={
            table.name: int(connection.scalar(select(func.max(table.c.id))) or 0) + 1
            for table in (host_t, vm_t, volume_t, nic_t)
        },
    )


def _free_addresses(first: str, last: str, *, taken: set[str]) -> Iterator[str]:
    start, end = int(ipaddress.IPv4Address(first)), int(ipaddress.IPv4Address(last))
    for number in range(start, end + 1):
        text = str(ipaddress.IPv4Address(number))
        if text not in taken:
            yield text


def _guest_addresses(network: Row, *, taken: set[str]) -> Iterator[str]:
    block = ipaddress.IPv4Network(network["cidr"])
    first = network["ip_start"] or str(block[1])
    last = network["ip_end"] or str(block[-2])
    return _free_addresses(first, last, taken=taken)


def _new_mac(macs: set[str]) -> str:
    while True:
        mac = "02:00:" + ":".join(f"{byte:02x}" for byte in uuidlib.uuid4().bytes[:4])
        if mac not in macs:
            macs.add(mac)
            return mac


def _plan_hosts(prototypes: _Prototypes, *, scale: Scale, now: Any) -> list[Row]:
    """The hosts after each cluster's first, `scale.hosts` in all (first come first)."""
    pod = prototypes.pod
    addresses = _free_addresses(pod["start_ip"], pod["end_ip"], taken=prototypes.taken_pod_ips)
    next_id = prototypes.next_ids["host"]
    hosts: list[Row] = []
    for position in range(scale.clusters, scale.hosts):
        cluster, number = position % scale.clusters, position // scale.clusters
        prototype = prototypes.hosts[cluster]
        name = host_name(cluster=cluster, host=number)
        url = host_url(name)
        hosts.append(
            {
                **prototype,
                "id": next_id + len(hosts),
                "uuid": new_uuid(),
                "name": name,
                "url": url,
                "guid": f"simulator-{name}-{uuidlib.uuid5(uuidlib.NAMESPACE_URL, url)}",
                "private_ip": next(addresses),
                "created": now,
                "last_ping": now,
                "cpu_used": 0,
                "memory_used": 0,
            }
        )
    return hosts


def _plan(prototypes: _Prototypes, *, scale: Scale) -> _Plan:
    now = utcnow()
    hosts = _plan_hosts(prototypes, scale=scale, now=now)
    plan = _Plan(
        hosts=hosts, vms=[], volumes=[], nics=[], host_vms={h["name"]: {} for h in hosts},
        counts=Counter(),
    )  # fmt: skip
    ids = dict(prototypes.next_ids)
    per_account = [
        scale.vms // scale.accounts + (1 if index < scale.vms % scale.accounts else 0)
        for index in range(scale.accounts)
    ]
    serial = 0
    for index, prototype in enumerate(prototypes.vms):
        nic = prototypes.nics[prototype["id"]]
        network = prototypes.networks[nic["network_id"]]
        addresses = _guest_addresses(network, taken=prototypes.taken_ips[network["id"]])
        for number in range(1, per_account[index]):
            _plan_vm(
                plan, prototypes, vm=prototype, host=hosts[serial % len(hosts)],
                number=number, serial=serial, ids=ids, address=next(addresses), now=now,
            )  # fmt: skip
            serial += 1
    _check_fits(plan.hosts)
    return plan


def _plan_vm(
    plan: _Plan,
    prototypes: _Prototypes,
    *,
    vm: Row,
    host: Row,
    number: int,
    serial: int,
    ids: dict[str, int],
    address: str,
    now: Any,
) -> None:
    """Add one clone of the account's prototype `vm` (with its volume and NIC) to `plan`."""
    offering = prototypes.offerings[VM_OFFERINGS[serial % len(VM_OFFERINGS)]]
    vm_id, volume_id, nic_id = ids["vm_instance"], ids["volume"], ids["nic"]
    ids.update(vm_instance=vm_id + 1, volume=volume_id + 1, nic=nic_id + 1)
    running = serial % STOPPED_EVERY != STOPPED_EVERY - 1
    name = vm["name"].removesuffix("-vm0") + f"-vm{number}"
    clone = {
        **vm,
        "id": vm_id, "uuid": new_uuid(), "name": name, "display_name": name,
        "instance_name": f"i-{vm['account_id']}-{vm_id}-VM",
        "host_id": host["id"] if running else None, "last_host_id": host["id"],
        "pod_id": host["pod_id"], "service_offering_id": offering["id"],
        "cpu_number": offering["cpu_number"], "cpu_speed": offering["cpu_speed"],
        "memory": offering["memory"], "state": "Running" if running else "Stopped",
        "power_state": "PowerOn" if running else "PowerOff",
        "update_count": vm["update_count"] + (0 if running else 2),
        "created": now, "last_updated": now,
    }  # fmt: skip
    root = prototypes.roots[vm["id"]]
    volume = {
        **root, "id": volume_id, "uuid": new_uuid(), "name": f"ROOT-{vm_id}", "vm_id": vm_id,
        "path": None, "created": now,
    }  # fmt: skip
    volume["path"] = f"volumes/{volume['uuid']}"
    nic = {
        **prototypes.nics[vm["id"]], "id": nic_id, "uuid": new_uuid(), "vm_id": vm_id,
        "ip4_address": address, "mac_address": _new_mac(prototypes.macs), "created": now,
    }  # fmt: skip
    plan.vms.append(clone)
    plan.volumes.append(volume)
    plan.nics.append(nic)
    account = vm["account_id"]
    cpu = clone["cpu_number"] * clone["cpu_speed"]
    plan.counts.update(
        {
            (account, "user_vm"): 1,
            (account, "cpu"): clone["cpu_number"],
            (account, "memory"): clone["memory"],
            (account, "volume"): 1,
            (account, "primary_storage"): volume["size"],
        }
    )
    if running:
        host["cpu_used"] += cpu
        host["memory_used"] += clone["memory"] * MIB
        plan.host_vms[host["name"]][clone["instance_name"]] = {
            "power": "PowerOn", "uuid": clone["uuid"], "cpu": clone["cpu_number"],
            "memory": clone["memory"], "disks": {volume["uuid"]: 0}, "iso": None,
            "snapshots": {},
        }  # fmt: skip


def _check_fits(hosts: Sequence[Row]) -> None:
    """SeedError if a planned host holds more than its overcommitted CPU or its memory."""
    for host in hosts:
        cpu_limit = host["cpu_number"] * host["cpu_speed"] * CPU_OVERCOMMIT
        if host["cpu_used"] > cpu_limit or host["memory_used"] > host["memory_total"]:
            raise SeedError(f"host {host['name']} would be overcommitted: lower VMs per host")


def _write_simulator_state(
    state_dir: Path, *, hosts: Sequence[Row], host_vms: Mapping[str, Mapping[str, Any]]
) -> None:
    """Each new host's state file, as the simulator's `connect` and `start_vm` leave it."""
    for host in hosts:
        query = dict(part.split("=") for part in urlsplit(host["url"]).query.split("&"))
        state = {
            "name": host["name"], "guid": host["guid"], "vms": dict(host_vms[host["name"]]),
            "down": False, "delays": {}, "failures": {}, "cpu": int(query["cpu"]),
            "speed": int(query["speed"]), "memory": int(query["mem"]),
        }  # fmt: skip
        (state_dir / f"{host['name']}.json").write_text(json.dumps(state, sort_keys=True))


def _batches(rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert_rows(engine: Engine, plan: _Plan) -> None:
    """Hosts, then VMs with their volumes, NICs and AWS ids, one transaction a batch."""
    for hosts in _batches(plan.hosts):
        with engine.begin() as connection:
            connection.execute(insert(_table(Host)), list(hosts))
    for start in range(0, len(plan.vms), BATCH):
        part = slice(start, start + BATCH)
        with engine.begin() as connection:
            for table, rows, kind in (
                (_table(VirtualMachine), plan.vms[part], "instance"),
                (_table(Volume), plan.volumes[part], "volume"),
                (_table(Nic), plan.nics[part], "network-interface"),
            ):
                connection.execute(insert(table), rows)
                record_bulk_insert(connection, kind=kind, uuids=[row["uuid"] for row in rows])


def _bookkeeping(engine: Engine, plan: _Plan, *, pool_bytes: int) -> None:
    """Host capacity, pool space and resource counts, as the deployments would have left
    them (hosts were inserted with theirs already)."""
    with engine.begin() as connection:
        [pool_id] = connection.scalars(select(StoragePool.id).where(StoragePool.removed.is_(None)))
        connection.execute(
            update(StoragePool)
            .where(StoragePool.id == pool_id)
            .values(used_bytes=StoragePool.used_bytes + pool_bytes)
        )
        domains = _domain_chains(connection)
        accounts = dict(connection.execute(select(Account.id, Account.domain_id)).all())
        amounts: Counter[tuple[str, int, str]] = Counter()
        for (account_id, resource), amount in plan.counts.items():
            amounts["account", account_id, resource] += amount
            for domain_id in domains[accounts[account_id]]:
                amounts["domain", domain_id, resource] += amount
        for (owner_type, owner_id, resource), amount in amounts.items():
            changed = connection.execute(
                update(ResourceCount)
                .where(
                    ResourceCount.owner_type == owner_type,
                    ResourceCount.owner_id == owner_id,
                    ResourceCount.resource_type == resource,
                )
                .values(count=ResourceCount.count + amount)
            )
            if changed.rowcount != 1:
                raise SeedError(f"no {resource} count for {owner_type} {owner_id}")


def _domain_chains(connection: Connection) -> dict[int, list[int]]:
    """Each domain's id and those of every domain above it."""
    parents = dict(connection.execute(select(Domain.id, Domain.parent_id)).all())
    chains: dict[int, list[int]] = {}
    for domain_id in parents:
        chain: list[int] = []
        current: int | None = domain_id
        while current is not None:
            chain.append(current)
            current = parents[current]
        chains[domain_id] = chain
    return chains
