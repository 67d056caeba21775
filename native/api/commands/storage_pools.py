"""Primary storage commands: createStoragePool, listStoragePools, updateStoragePool,
deleteStoragePool."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import Command, CommandContext, ListCommand
from native.api.params import boolean, long, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Cluster, Pod, StoragePool, Zone
from native.services.infrastructure import pools
from native.services.infrastructure.pools import NewPool
from native.services.runtime import Runtime


class StoragePoolResponse(ResponseObject, object_name="storagepool"):
    id = Field("the ID of the storage pool")
    name = Field("the name of the storage pool")
    zoneid = Field("the Zone ID of the storage pool")
    zonename = Field("the Zone name of the storage pool")
    podid = Field("the Pod ID of the storage pool")
    podname = Field("the Pod name of the storage pool")
    clusterid = Field("the ID of the cluster for the storage pool")
    clustername = Field("the name of the cluster for the storage pool")
    ipaddress = Field("the IP address of the storage pool")
    path = Field("the storage pool path")
    type = Field("the storage pool type")
    scope = Field("the scope of the storage pool")
    state = Field("the state of the storage pool")
    disksizetotal = Field("the total disk size of the storage pool", type="long")
    disksizeallocated = Field("the host's currently allocated disk size", type="long")
    disksizeused = Field("the host's currently used disk size", type="long")
    overprovisionfactor = Field("the overprovisionfactor for the storage pool", since="4.4")
    tags = Field("the tags for the storage pool")
    hypervisor = Field("the hypervisor type of the storage pool")
    provider = Field("Storage provider for this pool")
    created = Field("the date and time the storage pool was created", type="date")

    @classmethod
    def of(cls, session: Session, runtime: Runtime, pool: StoragePool) -> StoragePoolResponse:
        zone = session.get(Zone, pool.zone_id)
        pod = None if pool.pod_id is None else session.get(Pod, pool.pod_id)
        cluster = None if pool.cluster_id is None else session.get(Cluster, pool.cluster_id)
        assert zone is not None
        return cls(
            id=pool.uuid,
            name=pool.name,
            zoneid=zone.uuid,
            zonename=zone.name,
            podid=None if pod is None else pod.uuid,
            podname=None if pod is None else pod.name,
            clusterid=None if cluster is None else cluster.uuid,
            clustername=None if cluster is None else cluster.name,
            ipaddress=pool.host_address,
            path=pool.path,
            type=pool.pool_type,
            scope=pool.scope,
            state=pool.status,
            disksizetotal=pool.capacity_bytes,
            disksizeallocated=pool.used_bytes,
            disksizeused=pool.used_bytes,
            overprovisionfactor=runtime.settings.raw(
                session, "storage.overprovisioning.factor", storagepool_id=pool.id
            ),
            tags=pool.tags,
            hypervisor=pool.hypervisor_type,
            provider=pool.provider,
            created=pool.created,
        )


class CreateStoragePool(
    Command,
    api="createStoragePool",
    response=StoragePoolResponse,
    entity_type="StoragePool",
    since="1.0",
):
    """Creates a storage pool.

    url is file:///path or nfs://server/export; the store is checked through its driver
    first (534 if it cannot be reached, and nothing is recorded). The capacity is
    capacitybytes, else what the store reports. scope defaults to CLUSTER with a
    clusterid, ZONE without.
    """

    zoneid = uuid_of(Zone, description="the Zone ID for the storage pool").required()
    podid = uuid_of(Pod, description="the Pod ID for the storage pool")
    clusterid = uuid_of(Cluster, description="the cluster ID for the storage pool")
    name = string(description="the name for the storage pool").required()
    url = string(description="the URL of the storage pool", length=2048).required()
    scope = string(description="the scope of the storage: cluster or zone", since="4.2.0")
    tags = string(description="the tags for the storage pool", length=1024)
    capacitybytes = long(description="bytes CloudStack can provision from this storage pool")
    hypervisor = string(
        description="hypervisor type of the hosts in zone that will be attached to this storage pool",
        since="4.3",
    )
    provider = string(description="the storage provider name")
    details = map_of(description="the details for the storage pool")
    managed = boolean(description="whether the storage should be managed by CloudStack")

    def execute(self, ctx: CommandContext) -> StoragePoolResponse:
        pool = pools.create_pool(
            ctx.session,
            ctx.runtime,
            zone=self.zoneid,
            pod=self.podid,
            cluster=self.clusterid,
            new=NewPool(
                name=self.name,
                url=self.url,
                scope=self.scope,
                tags=self.tags,
                capacity_bytes=self.capacitybytes,
                hypervisor=self.hypervisor,
                provider=self.provider,
            ),
            hypervisor_types=ctx.runtime.drivers.hypervisor_types,
        )
        return StoragePoolResponse.of(ctx.session, ctx.runtime, pool)


class UpdateStoragePool(
    Command,
    api="updateStoragePool",
    response=StoragePoolResponse,
    entity_type="StoragePool",
    since="3.0.0",
):
    """Updates a storage pool.

    capacitybytes may not go below what is allocated; enabled=false keeps new volumes off it.
    """

    id = uuid_of(StoragePool, description="the Id of the storage pool").required()
    name = string(description="Change the name of the storage pool", since="4.15")
    tags = string(description="comma-separated list of tags for the storage pool", length=1024)
    capacitybytes = long(description="bytes CloudStack can provision from this storage pool")
    enabled = boolean(
        description="false to disable the pool for allocation of new volumes, true to enable it back."
    )

    def execute(self, ctx: CommandContext) -> StoragePoolResponse:
        pool = pools.update_pool(
            ctx.session,
            pool=self.id,
            name=self.name,
            tags=self.tags,
            capacity_bytes=self.capacitybytes,
            enabled=self.enabled,
        )
        return StoragePoolResponse.of(ctx.session, ctx.runtime, pool)


class DeleteStoragePool(Command, api="deleteStoragePool", entity_type="StoragePool", since="1.0"):
    """Deletes a storage pool.

    Refused (536) while it holds volumes; forced ignores destroyed ones.
    """

    id = uuid_of(StoragePool, description="Storage pool id").required()
    forced = boolean(
        description="Force destroy storage pool (force expunge volumes in Destroyed state as a part of pool removal)"
    )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        pools.delete_pool(ctx.session, pool=self.id, forced=bool(self.forced))
        return SuccessResult()


class ListStoragePools(
    ListCommand, api="listStoragePools", response=StoragePoolResponse, since="1.0"
):
    """Lists storage pools."""

    id = uuid_of(StoragePool, description="the ID of the storage pool")
    name = string(description="the name of the storage pool")
    zoneid = uuid_of(Zone, description="the Zone ID for the storage pool")
    podid = uuid_of(Pod, description="the Pod ID for the storage pool")
    clusterid = uuid_of(Cluster, description="list storage pools belongig to the specific cluster")
    path = string(description="the storage pool path")
    ipaddress = string(description="the IP address for the storage pool")
    scope = string(description="the scope of the storage pool", since="4.3")
    status = string(description="the status of the storage pool", since="4.15")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(StoragePool).where(StoragePool.removed.is_(None))
        for value, column in (
            (self.id and self.id.id, StoragePool.id),
            (self.name, StoragePool.name),
            (self.zoneid and self.zoneid.id, StoragePool.zone_id),
            (self.podid and self.podid.id, StoragePool.pod_id),
            (self.clusterid and self.clusterid.id, StoragePool.cluster_id),
            (self.path, StoragePool.path),
            (self.ipaddress, StoragePool.host_address),
            (self.scope and self.scope.upper(), StoragePool.scope),
            (self.status, StoragePool.status),
        ):
            if value is not None:
                query = query.where(column == value)
        if self.keyword:
            query = query.where(StoragePool.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, StoragePool.id)
        return ListResult(
            [StoragePoolResponse.of(ctx.session, ctx.runtime, row) for row in rows], count
        )
