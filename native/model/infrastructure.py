"""Physical infrastructure: zones, pods, clusters, hosts, primary storage pools and image stores."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from native.model.base import Base, Identified, Lifetime, UTCDateTime


class Zone(Identified, Lifetime, Base):
    """An availability zone. `network_type` is `Basic` or `Advanced`."""

    __tablename__ = "zone"

    name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    network_type: Mapped[str] = mapped_column(String(16))
    dns1: Mapped[str | None] = mapped_column(String(64), default=None)
    dns2: Mapped[str | None] = mapped_column(String(64), default=None)
    internal_dns1: Mapped[str | None] = mapped_column(String(64), default=None)
    internal_dns2: Mapped[str | None] = mapped_column(String(64), default=None)
    guest_cidr: Mapped[str | None] = mapped_column(String(64), default=None)
    network_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    allocation_state: Mapped[str] = mapped_column(String(16), default="Disabled")
    local_storage_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    security_group_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), default=None)
    aws_name: Mapped[str | None] = mapped_column(String(64), default=None)


class Pod(Identified, Lifetime, Base):
    """A pod of a zone with its management (private) IP range."""

    __tablename__ = "pod"

    name: Mapped[str] = mapped_column(String(255))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    gateway: Mapped[str | None] = mapped_column(String(64), default=None)
    netmask: Mapped[str | None] = mapped_column(String(64), default=None)
    start_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    end_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    allocation_state: Mapped[str] = mapped_column(String(16), default="Enabled")

    zone: Mapped[Zone] = relationship(lazy="joined")


class Cluster(Identified, Lifetime, Base):
    """A cluster of hosts of one hypervisor type, inside a pod."""

    __tablename__ = "cluster"

    name: Mapped[str] = mapped_column(String(255))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    pod_id: Mapped[int] = mapped_column(ForeignKey("pod.id"), index=True)
    hypervisor_type: Mapped[str] = mapped_column(String(32))
    cluster_type: Mapped[str] = mapped_column(String(32), default="CloudManaged")
    allocation_state: Mapped[str] = mapped_column(String(16), default="Enabled")
    managed_state: Mapped[str] = mapped_column(String(16), default="Managed")

    pod: Mapped[Pod] = relationship(lazy="joined")


class Host(Identified, Lifetime, Base):
    """A hypervisor host, reached through its driver at `url`.

    `status` is the agent status (Up, Down, Disconnected, Alert, Connecting);
    `resource_state` the administrative state (Enabled, Disabled, PrepareForMaintenance,
    ErrorInMaintenance, Maintenance). `cpu_used` (MHz) and `memory_used` (bytes) are
    the capacity allocated to VMs placed on the host, changed only by conditional updates.
    """

    __tablename__ = "host"

    name: Mapped[str] = mapped_column(String(255), index=True)
    guid: Mapped[str] = mapped_column(String(255), unique=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    pod_id: Mapped[int] = mapped_column(ForeignKey("pod.id"), index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id"), index=True)
    host_type: Mapped[str] = mapped_column(String(32), default="Routing")
    hypervisor_type: Mapped[str] = mapped_column(String(32))
    hypervisor_version: Mapped[str | None] = mapped_column(String(64), default=None)
    url: Mapped[str] = mapped_column(String(1024))
    username: Mapped[str | None] = mapped_column(String(255), default=None)
    password: Mapped[str | None] = mapped_column(Text, default=None)
    private_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(32), default="Connecting", index=True)
    resource_state: Mapped[str] = mapped_column(String(32), default="Enabled", index=True)
    cpu_sockets: Mapped[int] = mapped_column(Integer, default=1)
    cpu_number: Mapped[int] = mapped_column(Integer)
    cpu_speed: Mapped[int] = mapped_column(Integer)
    memory_total: Mapped[int] = mapped_column(BigInteger)
    cpu_used: Mapped[int] = mapped_column(BigInteger, default=0)
    memory_used: Mapped[int] = mapped_column(BigInteger, default=0)
    host_tags: Mapped[str | None] = mapped_column(String(1024), default=None)
    capabilities: Mapped[str | None] = mapped_column(String(1024), default=None)
    last_ping: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    disconnected: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    owner_msid: Mapped[str | None] = mapped_column(String(40), default=None)

    cluster: Mapped[Cluster] = relationship(lazy="joined")


class StoragePool(Identified, Lifetime, Base):
    """Primary storage: `scope` ZONE or CLUSTER, reached by URL (`file://` or `nfs://`).

    `used_bytes` is the space allocated to volumes and to templates' copies, changed only by
    conditional updates.
    """

    __tablename__ = "storage_pool"

    name: Mapped[str] = mapped_column(String(255))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    pod_id: Mapped[int | None] = mapped_column(ForeignKey("pod.id"), default=None)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"), default=None)
    scope: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1024))
    pool_type: Mapped[str] = mapped_column(String(32))
    host_address: Mapped[str | None] = mapped_column(String(255), default=None)
    path: Mapped[str] = mapped_column(String(1024))
    provider: Mapped[str] = mapped_column(String(64), default="DefaultPrimary")
    hypervisor_type: Mapped[str | None] = mapped_column(String(32), default=None)
    capacity_bytes: Mapped[int] = mapped_column(BigInteger)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(32), default="Up")
    tags: Mapped[str | None] = mapped_column(String(1024), default=None)


class ImageStore(Identified, Lifetime, Base):
    """Secondary storage for templates, ISOs and snapshots (`file://`, `nfs://` or `s3://`).

    `details` is JSON (for S3: endpoint, bucket and keys, the secret encrypted).
    """

    __tablename__ = "image_store"

    name: Mapped[str] = mapped_column(String(255))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"), default=None, index=True)
    provider: Mapped[str] = mapped_column(String(32))
    protocol: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1024))
    role: Mapped[str] = mapped_column(String(16), default="Image")
    scope: Mapped[str] = mapped_column(String(16), default="ZONE")
    details: Mapped[str | None] = mapped_column(Text, default=None)
    capacity_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    readonly: Mapped[bool] = mapped_column(Boolean, default=False)
