"""The demo zone built on first start: a simulator zone ready for VMs with no set-up.

It is built through the native API, in process, as the root admin, so it is exactly what
an administrator could build by hand: an Advanced zone → pod → cluster → hosts → primary
storage → image store → physical network → public IP range → offerings → template →
enabled. Async commands run to completion in process before the next step.

Networking: one Enabled physical network carrying Guest, Public and Management traffic,
with guest VLANs 100-999 and its VirtualRouter, VpcVirtualRouter and SecurityGroupProvider
providers Enabled; public addresses 203.0.113.10-203.0.113.250 (gateway 203.0.113.1), a
documentation range (RFC 5737) that reaches nothing outside the appliance. So a user can at
once deploy a VM with no network (its account's default isolated network is made), take
public IPs, add rules and build VPCs.

It is built only when the database has never had a zone, so deleting it is final.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update

import native.api.commands  # noqa: F401  (registers every command)
from native.api.dispatcher import Dispatcher
from native.api.responses import Tree
from native.model import AsyncJob, User, Zone
from native.model.jobs import JOB_SUCCEEDED
from native.services.caller import Caller
from native.services.runtime import Runtime

ZONE_NAME = "zone1"
HOSTS = 4
HOST_CPUS = 64
HOST_CPU_MHZ = 3000
HOST_MEMORY_MIB = 262144
CPU_OVERCOMMIT = 4
GIB = 1024**3
GUEST_VLANS = "100-999"
TRAFFIC_TYPES = ("Guest", "Public", "Management")
ENABLED_PROVIDERS = ("VirtualRouter", "VpcVirtualRouter", "SecurityGroupProvider")
PUBLIC_RANGE = {
    "gateway": "203.0.113.1",
    "netmask": "255.255.255.0",
    "startip": "203.0.113.10",
    "endip": "203.0.113.250",
}


@dataclass(frozen=True)
class InstanceType:
    """An EC2 instance type as a compute offering: vCPUs, MiB of memory, MHz per vCPU."""

    name: str
    cpu_number: int
    memory: int
    cpu_speed: int = 2500


CATALOGUE = (
    InstanceType("t3.nano", 2, 512),
    InstanceType("t3.micro", 2, 1024),
    InstanceType("t3.small", 2, 2048),
    InstanceType("t3.medium", 2, 4096),
    InstanceType("t3.large", 2, 8192),
    InstanceType("t3.xlarge", 4, 16384),
    InstanceType("t3.2xlarge", 8, 32768),
    InstanceType("m5.large", 2, 8192, 3100),
    InstanceType("m5.xlarge", 4, 16384, 3100),
)
"""Names, vCPUs and memory as AWS publishes them."""

DISK_OFFERINGS = (
    ("gp2", "General purpose SSD (custom size)"),
    ("gp3", "General purpose SSD, 3rd generation (custom size)"),
    ("standard", "Magnetic (custom size)"),
)


class DemoZoneError(RuntimeError):
    """A step of the demo zone failed; the message names the command and its error."""


def empty_qcow2(*, virtual_size: int) -> bytes:
    """A valid, empty QCOW2 (version 2) image of `virtual_size` bytes: header, one refcount
    table, one refcount block and the L1 table, each in its own 64 KiB cluster."""
    cluster = 1 << 16
    l1_entries = -(-virtual_size // (cluster * (cluster // 8)))
    header = struct.pack(
        ">4sIQIIQIIQQIIQ",
        b"QFI\xfb",
        2,
        0,
        0,
        16,
        virtual_size,
        0,
        l1_entries,
        3 * cluster,
        cluster,
        1,
        0,
        0,
    )
    image = bytearray(4 * cluster)
    image[: len(header)] = header
    image[cluster : cluster + 8] = struct.pack(">Q", 2 * cluster)
    for index in range(4):
        offset = 2 * cluster + 2 * index
        image[offset : offset + 2] = struct.pack(">H", 1)
    return bytes(image)


class _Admin:
    """Runs native commands as the root admin and returns their result trees."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.dispatcher = Dispatcher(runtime=runtime)
        with runtime.db.session(write=False) as session:
            admin = session.scalars(
                select(User)
                .where(User.username == "admin", User.removed.is_(None))
                .order_by(User.id)
            ).first()
            if admin is None:
                raise DemoZoneError("the admin user does not exist")
            self.caller = Caller.of(admin)

    def __call__(self, command: str, params: Mapping[str, str]) -> Tree:
        """The command's result; an async command's job is run here, its result returned."""
        reply = self.dispatcher.call(command=command, params=params, caller=self.caller)
        if reply.status != 200:
            raise DemoZoneError(f"{command} failed: {reply.body.get('errortext', reply.body)}")
        if "jobid" in reply.body:
            return self._run_job(command, str(reply.body["jobid"]))
        return reply.body

    def _run_job(self, command: str, job_id: str) -> Tree:
        """Claim the job for this process (no job workers run yet) and run it now."""
        with self.runtime.db.session() as session:
            session.execute(
                update(AsyncJob)
                .where(AsyncJob.uuid == job_id, AsyncJob.owner_msid.is_(None))
                .values(owner_msid=self.runtime.msid)
            )
        self.dispatcher.run_job(job_id)
        with self.runtime.db.session(write=False) as session:
            job = session.scalars(select(AsyncJob).where(AsyncJob.uuid == job_id)).one()
            status, result = job.status, json.loads(job.result or "{}")
        if status != JOB_SUCCEEDED:
            raise DemoZoneError(f"{command} failed: {result.get('errortext', result)}")
        return dict(result)

    def created(self, command: str, params: Mapping[str, str], key: str) -> str:
        """Run a create command; the id of the (first) object it returned under `key`."""
        body = self(command, params)[key]
        return str((body[0] if isinstance(body, list) else body)["id"])


def needs_demo_zone(runtime: Runtime) -> bool:
    """Whether the database has never had a zone (removed ones count)."""
    with runtime.db.session(write=False) as session:
        return not session.scalar(select(func.count()).select_from(Zone))


def build_demo_zone(runtime: Runtime, *, data_dir: Path) -> str:
    """Build the demo zone (see the module docstring) with its storage under `data_dir`;
    returns its id. DemoZoneError names the step that failed."""
    api = _Admin(runtime)
    storage = data_dir / "demo"
    template = storage / "templates" / "tiny.qcow2"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_bytes(empty_qcow2(virtual_size=GIB))
    zone = _infrastructure(api, storage=storage)
    _networking(api, zone=zone)
    _offerings(api)
    _register_template(api, template=template)
    api("updateZone", {"id": zone, "allocationstate": "Enabled"})
    return zone


def _infrastructure(api: _Admin, *, storage: Path) -> str:
    """Zone, pod, cluster, hosts, primary storage and image store; the zone's id."""
    zone = api.created(
        "createZone",
        {
            "name": ZONE_NAME,
            "networktype": "Advanced",
            "dns1": "1.1.1.1",
            "internaldns1": "1.1.1.1",
        },
        "zone",
    )
    pod = api.created(
        "createPod",
        {
            "zoneid": zone,
            "name": "pod1",
            "gateway": "10.0.0.1",
            "netmask": "255.255.0.0",
            "startip": "10.0.0.10",
            "endip": "10.0.255.250",
        },
        "pod",
    )
    _cluster(api, placement={"zoneid": zone, "podid": pod, "hypervisor": "Simulator"})
    api(
        "createStoragePool",
        {
            "zoneid": zone,
            "name": "primary1",
            "scope": "zone",
            "hypervisor": "Simulator",
            "url": (storage / "primary").as_uri(),
        },
    )
    api(
        "addImageStore",
        {
            "zoneid": zone,
            "name": "secondary1",
            "provider": "NFS",
            "url": (storage / "secondary").as_uri(),
        },
    )
    return zone


def _cluster(api: _Admin, *, placement: Mapping[str, str]) -> None:
    """The cluster (CPU overcommitted) and its simulator hosts."""
    cluster = api.created(
        "addCluster",
        {**placement, "clustername": "cluster1", "clustertype": "CloudManaged"},
        "cluster",
    )
    api(
        "updateConfiguration",
        {"name": "cpu.overprovisioning.factor", "value": str(CPU_OVERCOMMIT), "clusterid": cluster},
    )
    for index in range(1, HOSTS + 1):
        api(
            "addHost",
            {
                **placement,
                "clusterid": cluster,
                "url": f"simulator://demo-host-{index}?cpu={HOST_CPUS}&speed={HOST_CPU_MHZ}"
                f"&mem={HOST_MEMORY_MIB}",
                "username": "root",
                "password": "simulator",
            },
        )


def _networking(api: _Admin, *, zone: str) -> None:
    """The physical network (guest VLANs, traffic types, providers; Enabled) and the
    public IP range (see the module docstring)."""
    physical = api.created(
        "createPhysicalNetwork",
        {"zoneid": zone, "name": "physnet1", "vlan": GUEST_VLANS, "isolationmethods": "VLAN"},
        "physicalnetwork",
    )
    for traffic in TRAFFIC_TYPES:
        api("addTrafficType", {"physicalnetworkid": physical, "traffictype": traffic})
    providers = api("listNetworkServiceProviders", {"physicalnetworkid": physical})
    for provider in providers["networkserviceprovider"]:
        if provider["name"] in ENABLED_PROVIDERS:
            api("updateNetworkServiceProvider", {"id": provider["id"], "state": "Enabled"})
    api("updatePhysicalNetwork", {"id": physical, "state": "Enabled"})
    api(
        "createVlanIpRange",
        {"zoneid": zone, "forvirtualnetwork": "true", "vlan": "untagged", **PUBLIC_RANGE},
    )


def _offerings(api: _Admin) -> None:
    """The EC2-named compute offerings and the custom-size disk offerings."""
    for offering in CATALOGUE:
        api(
            "createServiceOffering",
            {
                "name": offering.name,
                "displaytext": f"{offering.name}: {offering.cpu_number} vCPU, {offering.memory} MiB",
                "cpunumber": str(offering.cpu_number),
                "cpuspeed": str(offering.cpu_speed),
                "memory": str(offering.memory),
            },
        )
    for name, text in DISK_OFFERINGS:
        api("createDiskOffering", {"name": name, "displaytext": text, "customized": "true"})


def _register_template(api: _Admin, *, template: Path) -> None:
    """The tiny public, featured template, downloaded in the background to every zone."""
    os_type = api("listOsTypes", {"description": "Other Linux (64-bit)"})["ostype"][0]["id"]
    api(
        "registerTemplate",
        {
            "name": "tiny",
            "displaytext": "Tiny demo template: an empty 1 GiB QCOW2 disk, for simulator hosts",
            "url": template.as_uri(),
            "zoneid": "-1",
            "format": "QCOW2",
            "hypervisor": "Simulator",
            "ostypeid": str(os_type),
            "ispublic": "true",
            "isfeatured": "true",
            "passwordenabled": "false",
        },
    )
