"""Simulator zones for black-box tests, built through the API as an administrator would.

    zone = build_zone(admin, root=tmp_path, hosts=2, cpu=8, mem=16384)
    zone.zone["id"], zone.hosts[0]["id"], zone.pool["id"], zone.image_store["id"]
    extra = add_host(admin, zone, cpu=4, host_tags="gpu")

Every name is unique (zone, pod, cluster, hosts, storage), so tests sharing one server never
collide. Primary storage is `file://{root}/primary`, the image store `file://{root}/secondary`;
the zone ends Enabled. An Advanced zone gets a physical network carrying guest, public and
management traffic with guest VLANs 100-299 and the public range 203.0.113.10-250.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cs import CloudStack

from tests.support.api import wait_for_job
from tests.support.tenants import unique

_pod_octet = iter(range(1, 1 << 16))


@dataclass
class SimZone:
    """The response objects of a zone built by `build_zone` (pool: primary storage)."""

    zone: dict[str, Any]
    pod: dict[str, Any]
    cluster: dict[str, Any]
    hosts: list[dict[str, Any]] = field(default_factory=list)
    pool: dict[str, Any] = field(default_factory=dict)
    image_store: dict[str, Any] = field(default_factory=dict)
    physical_network: dict[str, Any] = field(default_factory=dict)
    public_range: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.zone["id"])


def _pod_range() -> dict[str, str]:
    """A management range of 200 addresses in a /24 of 10.x.y.0 that no other test uses."""
    number = next(_pod_octet)
    prefix = f"10.{100 + (number >> 8) % 100}.{number % 256}"
    return {
        "gateway": f"{prefix}.1",
        "netmask": "255.255.255.0",
        "startip": f"{prefix}.10",
        "endip": f"{prefix}.209",
    }


def add_host(
    admin: CloudStack,
    zone: SimZone,
    *,
    cpu: int = 8,
    mem: int = 16384,
    host_url_params: str = "",
    host_tags: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Add one more uniquely named simulator host to the zone's cluster; its host object.

    `host_url_params` is appended to the URL query (e.g. `&speed=2400&fail=start:0.5`).
    """
    host_name = name or unique("simhost")
    params: dict[str, Any] = {
        "zoneid": zone.zone["id"],
        "podid": zone.pod["id"],
        "clusterid": zone.cluster["id"],
        "hypervisor": "Simulator",
        "url": f"simulator://{host_name}?cpu={cpu}&mem={mem}{host_url_params}",
        "username": "root",
        "password": "password",
    }
    if host_tags is not None:
        params["hosttags"] = host_tags
    [host] = admin.addHost(**params)["host"]
    zone.hosts.append(host)
    return dict(host)


PUBLIC_RANGE = {
    "gateway": "203.0.113.1",
    "netmask": "255.255.255.0",
    "startip": "203.0.113.10",
    "endip": "203.0.113.250",
}


def add_networking(admin: CloudStack, zone: SimZone, *, vlan: str = "100-299") -> None:
    """Give an Advanced zone its physical network (guest VLANs `vlan`; guest, public and
    management traffic) and the public range `PUBLIC_RANGE`."""
    answer = admin.createPhysicalNetwork(zoneid=zone.id, name=unique("physnet"), vlan=vlan)
    job = wait_for_job(admin, answer["jobid"])
    assert job["jobstatus"] == 1, job
    physical = job["jobresult"]["physicalnetwork"]
    for traffic in ("Guest", "Public", "Management"):
        answer = admin.addTrafficType(physicalnetworkid=physical["id"], traffictype=traffic)
        assert wait_for_job(admin, answer["jobid"])["jobstatus"] == 1
    answer = admin.updatePhysicalNetwork(id=physical["id"], state="Enabled")
    job = wait_for_job(admin, answer["jobid"])
    assert job["jobstatus"] == 1, job
    zone.physical_network = dict(job["jobresult"]["physicalnetwork"])
    zone.public_range = dict(
        admin.createVlanIpRange(
            zoneid=zone.id, forvirtualnetwork=True, vlan="untagged", **PUBLIC_RANGE
        )["vlan"]
    )


def build_zone(
    admin: CloudStack,
    *,
    root: Path,
    hosts: int = 2,
    cpu: int = 8,
    mem: int = 16384,
    network_type: str = "Advanced",
    host_url_params: str = "",
    host_tags: str | None = None,
    pool_tags: str | None = None,
    networking: bool = True,
) -> SimZone:
    """Build an Enabled simulator zone: a pod, a cluster, `hosts` hosts of `cpu` cores and
    `mem` MiB, cluster-wide primary storage under `root/primary` and an image store under
    `root/secondary`; an Advanced zone also gets `add_networking` unless `networking` is
    False."""
    zone = admin.createZone(
        name=unique("zone"), networktype=network_type, dns1="8.8.8.8", internaldns1="10.0.0.2"
    )["zone"]
    pod = admin.createPod(zoneid=zone["id"], name=unique("pod"), **_pod_range())["pod"]
    cluster = admin.addCluster(
        zoneid=zone["id"], podid=pod["id"], clustername=unique("cluster"), hypervisor="Simulator"
    )["cluster"]
    built = SimZone(zone=zone, pod=pod, cluster=cluster)
    for _ in range(hosts):
        add_host(
            admin, built, cpu=cpu, mem=mem, host_url_params=host_url_params, host_tags=host_tags
        )
    pool_params: dict[str, Any] = {
        "zoneid": zone["id"],
        "podid": pod["id"],
        "clusterid": cluster["id"],
        "name": unique("primary"),
        "url": f"file://{root}/primary",
        "scope": "cluster",
    }
    if pool_tags is not None:
        pool_params["tags"] = pool_tags
    built.pool = dict(admin.createStoragePool(**pool_params)["storagepool"])
    built.image_store = dict(
        admin.addImageStore(
            name=unique("secondary"),
            provider="NFS",
            zoneid=zone["id"],
            url=f"file://{root}/secondary",
        )["imagestore"]
    )
    if network_type == "Advanced" and networking:
        add_networking(admin, built)
    built.zone = dict(admin.updateZone(id=zone["id"], allocationstate="Enabled")["zone"])
    return built
