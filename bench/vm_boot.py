"""Real VM boot: RunInstances to the guest's metadata fetched, beside a bare QEMU boot.

Alto runs with the Linux network driver (routers in network namespaces) in a zone whose
one host is this machine's libvirt (`qemu:///system`, QEMU/TCG), with the tiny test guest
(`tests.support.guest_image`) as its template. One round on Alto: boto3's RunInstances of
one instance into the admin's default VPC, then GetConsoleOutput every `POLL` seconds until
the guest's console says `ALTO-GUEST instance-id=…`, i.e. it booted, took its DHCP lease
from its router and read its instance id from the metadata service. TerminateInstances and
its wait are not timed.

The peer is the physical limit: `qemu-system-x86_64` started by hand on a copy-on-write
overlay of the same template, with the same CPU model, vCPUs and memory as the instance's
offering, QEMU's user-mode network in 169.254.169.0/24 for DHCP and a canned answer at
169.254.169.254:80 for the metadata; timed from the process's start to the same console
line in its serial log. Rounds alternate, Alto first; the first round of each is a warm-up
(Alto's makes the default VPC's router).

Needs root, a running libvirtd, iproute2, nftables and dnsmasq, as the KVM tests do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from cs import CloudStack

from bench.harness import Options, Row, RunningAlto, Sample, alto_server, print_table
from native.drivers.network.linux import LinuxNetworkDriver
from tests.support.guest_image import DEFAULT_CACHE_DIR, guest_image
from tests.support.kvm_zone import stop_pools_below
from tests.support.tenants import unique
from tests.support.zones import SimZone, add_networking

MARKER = "ALTO-GUEST instance-id="
POLL = 0.25
BOOT_TIMEOUT = 240.0
CPUS, MEMORY_MIB, CPU_MHZ = 1, 256, 500
REGION = "us-east-1"
METADATA_ANSWER = (
    "#!/bin/sh\nprintf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\ni-bare\\n'\n"
)


@dataclass(frozen=True)
class Site:
    """What a round on Alto launches: the template's AMI id and the offering's type name."""

    image_id: str
    instance_type: str


def _native(alto: RunningAlto) -> CloudStack:
    keys = alto.credentials
    return CloudStack(
        endpoint=f"{alto.url}/client/api", key=keys.access_key, secret=keys.secret_key,
        timeout=120,
    )  # fmt: skip


def _ec2(alto: RunningAlto) -> Any:
    keys = alto.credentials
    return boto3.client(
        "ec2",
        endpoint_url=f"{alto.url}/",
        region_name=REGION,
        aws_access_key_id=keys.access_key,
        aws_secret_access_key=keys.secret_key,
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def _wait_job(admin: CloudStack, answer: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = admin.queryAsyncJobResult(jobid=answer["jobid"])
        if job["jobstatus"] != 0:
            if job["jobstatus"] != 1:
                raise RuntimeError(f"job failed: {job.get('jobresult')}")
            return dict(job["jobresult"])
        time.sleep(0.2)
    raise RuntimeError(f"job {answer['jobid']} did not finish")


def set_up(alto: RunningAlto, *, storage: Path, template: Path) -> Site:
    """A KVM zone on qemu:///system with the guest template and a 1-vCPU, 256 MiB offering."""
    admin = _native(alto)
    zone = admin.createZone(
        name=unique("kvm"), networktype="Advanced", dns1="8.8.8.8", internaldns1="10.0.0.2"
    )["zone"]
    pod = admin.createPod(
        zoneid=zone["id"], name=unique("pod"), gateway="10.251.0.1", netmask="255.255.255.0",
        startip="10.251.0.10", endip="10.251.0.200",
    )["pod"]  # fmt: skip
    place = {"zoneid": zone["id"], "podid": pod["id"]}
    cluster = admin.addCluster(**place, clustername=unique("kvm"), hypervisor="KVM")["cluster"]
    place["clusterid"] = cluster["id"]
    admin.addHost(
        **place, hypervisor="KVM", url="qemu:///system", username="root", password="unused"
    )
    admin.createStoragePool(
        **place, name=unique("primary"), url=f"file://{storage}/primary", scope="cluster"
    )
    admin.addImageStore(
        name=unique("secondary"), provider="NFS", zoneid=zone["id"],
        url=f"file://{storage}/secondary",
    )  # fmt: skip
    add_networking(admin, SimZone(zone=zone, pod=pod, cluster=cluster), vlan="3910-3919")
    admin.updateZone(id=zone["id"], allocationstate="Enabled")
    [registered] = admin.registerTemplate(
        name=unique("guest"), displaytext="the tiny test guest", url=template.as_uri(),
        zoneid=zone["id"], format="QCOW2", hypervisor="KVM", ispublic="true",
    )["template"]  # fmt: skip
    deadline = time.monotonic() + 120
    while not admin.listTemplates(templatefilter="all", id=registered["id"])["template"][0].get(
        "isready"
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the guest template did not become ready")
        time.sleep(0.5)
    offering = admin.createServiceOffering(
        name=unique("tiny"), displaytext="tiny", cpunumber=CPUS, cpuspeed=CPU_MHZ,
        memory=MEMORY_MIB,
    )["serviceoffering"]  # fmt: skip
    [image] = _ec2(alto).describe_images(
        Filters=[{"Name": "name", "Values": [registered["name"]]}]
    )["Images"]
    return Site(image_id=image["ImageId"], instance_type=offering["name"])


def boot_on_alto(ec2: Any, *, site: Site) -> float:
    """Seconds from RunInstances to the metadata line on the instance's console."""
    began = time.perf_counter()
    [instance] = ec2.run_instances(
        ImageId=site.image_id, InstanceType=site.instance_type, MinCount=1, MaxCount=1
    )["Instances"]
    instance_id = instance["InstanceId"]
    output = ""
    try:
        while time.perf_counter() - began < BOOT_TIMEOUT:
            output = ec2.get_console_output(InstanceId=instance_id, Latest=True).get("Output", "")
            if MARKER in output:
                return time.perf_counter() - began
            time.sleep(POLL)
        raise RuntimeError(
            f"{instance_id}: no {MARKER!r} within {BOOT_TIMEOUT:.0f} s; console:\n{output}"
        )
    finally:
        ec2.terminate_instances(InstanceIds=[instance_id])
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )


def boot_bare(*, template: Path, scratch: Path) -> float:
    """Seconds from starting QEMU by hand to the same console line."""
    overlay, serial = scratch / "bare.qcow2", scratch / "bare-serial.log"
    overlay.unlink(missing_ok=True)
    serial.unlink(missing_ok=True)
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(template), "-F", "qcow2",
         str(overlay)],
        check=True,
    )  # fmt: skip
    network = (
        "user,id=net0,net=169.254.169.0/24,dhcpstart=169.254.169.15,"
        f"guestfwd=tcp:169.254.169.254:80-cmd:{scratch / 'metadata.sh'}"
    )
    command = [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64",
        "-smp", str(CPUS), "-m", str(MEMORY_MIB), "-nodefaults", "-display", "none",
        "-drive", f"file={overlay},if=virtio,format=qcow2",
        "-netdev", network, "-device", "virtio-net-pci,netdev=net0",
        "-chardev", f"file,id=serial0,path={serial}", "-serial", "chardev:serial0",
    ]  # fmt: skip
    began = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        while time.perf_counter() - began < BOOT_TIMEOUT:
            if serial.exists() and MARKER in serial.read_text(errors="replace"):
                return time.perf_counter() - began
            if process.poll() is not None:
                raise RuntimeError(f"QEMU exited with status {process.returncode}")
            time.sleep(POLL / 5)
        raise RuntimeError(f"bare QEMU: no {MARKER!r} within {BOOT_TIMEOUT:.0f} s")
    finally:
        process.kill()
        process.wait()


def _clean_up(alto: RunningAlto) -> None:
    """Remove the libvirt domains and router namespaces this server made (it stops next)."""
    import libvirt

    names = [
        str(vm["instancename"])
        for vm in _native(alto).listVirtualMachines(listall=True).get("virtualmachine", [])
        if vm.get("instancename")
    ]
    connection = libvirt.open("qemu:///system")
    try:
        for domain in connection.listAllDomains():
            if domain.name() in names:
                if domain.isActive():
                    domain.destroy()
                domain.undefine()
    finally:
        connection.close()
    routers = LinuxNetworkDriver(state_dir=alto.data_dir / "drivers" / "routers")
    for path in sorted(routers.state_dir.glob("r-*")):
        if path.is_dir():
            routers.destroy(path.name)


@contextmanager
def _storage() -> Iterator[Path]:
    """Primary and secondary storage that QEMU, running as libvirt-qemu, can read; the
    libvirt pools Alto started on it are stopped before it is removed."""
    root = Path(tempfile.mkdtemp(prefix="alto-bench-vm-", dir="/var/tmp"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        stop_pools_below("qemu:///system", root)
        shutil.rmtree(root, ignore_errors=True)


def run(*, options: Options) -> str:
    """Time `rounds` boots on each side (default 5, 1 with --smoke) after one warm-up each."""
    if os.geteuid() != 0:
        raise SystemExit("vm-boot needs root (libvirt's qemu:///system and network namespaces)")
    rounds = options.rounds or (1 if options.smoke else 5)
    template = guest_image(cache_dir=DEFAULT_CACHE_DIR).template
    serve_args = ("--network-driver", "linux", "--libvirt-domain-type", "qemu")
    with (
        _storage() as storage,
        alto_server(db=options.db, demo_zone=False, serve_args=serve_args) as alto,
    ):
        (storage / "metadata.sh").write_text(METADATA_ANSWER)
        (storage / "metadata.sh").chmod(0o755)
        ours: list[float] = []
        bare: list[float] = []
        try:
            site = set_up(alto, storage=storage, template=template)
            ec2 = _ec2(alto)
            for round_number in range(rounds + 1):
                alto_seconds = boot_on_alto(ec2, site=site)
                bare_seconds = boot_bare(template=template, scratch=storage)
                print(
                    f"round {round_number}{' (warm-up)' if round_number == 0 else ''}: "
                    f"Alto {alto_seconds:.2f} s, bare QEMU {bare_seconds:.2f} s",
                    flush=True,
                )
                if round_number > 0:
                    ours.append(alto_seconds)
                    bare.append(bare_seconds)
        finally:
            _clean_up(alto)
    row = Row(
        workload="RunInstances to metadata fetched (TCG, 1 vCPU, 256 MiB)",
        ours=Sample(seconds=ours, wall=sum(ours)),
        peer=Sample(seconds=bare, wall=sum(bare)),
        peer_name="bare QEMU",
        goal="report",
        unit="boots/s",
    )
    return print_table(f"Real VM boot ({options.db})", [row])
