"""Cluster commands: addCluster, listClusters, updateCluster, deleteCluster."""

from __future__ import annotations

from sqlalchemy import func, select

from native.api.command import Command, CommandContext, ListCommand
from native.api.commands.capacity import CapacityResponse, zone_capacities
from native.api.params import boolean, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Cluster, Pod, Zone
from native.services.errors import InvalidParameterValue
from native.services.infrastructure import clusters
from native.services.infrastructure.capacity_report import Level, Scope


class ClusterResponse(ResponseObject, object_name="cluster"):
    id = Field("the cluster ID")
    name = Field("the cluster name")
    podid = Field("the Pod ID of the cluster")
    podname = Field("the Pod name of the cluster")
    zoneid = Field("the Zone ID of the cluster")
    zonename = Field("the Zone name of the cluster")
    hypervisortype = Field("the hypervisor type of the cluster")
    clustertype = Field("the type of the cluster")
    allocationstate = Field("the allocation state of the cluster")
    managedstate = Field("whether this cluster is managed by cloudstack")
    cpuovercommitratio = Field("The cpu overcommit ratio of the cluster")
    memoryovercommitratio = Field("The memory overcommit ratio of the cluster")
    capacity = Field("the capacity of the Cluster", of=CapacityResponse)

    @classmethod
    def of(
        cls, ctx: CommandContext, cluster: Cluster, *, capacities: bool = False
    ) -> ClusterResponse:
        settings, session = ctx.runtime.settings, ctx.session
        pod = cluster.pod
        return cls(
            id=cluster.uuid,
            name=cluster.name,
            podid=pod.uuid,
            podname=pod.name,
            zoneid=pod.zone.uuid,
            zonename=pod.zone.name,
            hypervisortype=cluster.hypervisor_type,
            clustertype=cluster.cluster_type,
            allocationstate=cluster.allocation_state,
            managedstate=cluster.managed_state,
            cpuovercommitratio=settings.raw(
                session, "cpu.overprovisioning.factor", cluster_id=cluster.id
            ),
            memoryovercommitratio=settings.raw(
                session, "mem.overprovisioning.factor", cluster_id=cluster.id
            ),
            capacity=zone_capacities(ctx, scope=Scope(cluster_id=cluster.id), level=Level.CLUSTER)
            if capacities
            else None,
        )


class AddCluster(
    Command, api="addCluster", response=ClusterResponse, entity_type="Cluster", since="1.0"
):
    """Adds a new cluster.

    hypervisor must be one of the hypervisor types this management server has a driver for
    (listHypervisors).
    """

    zoneid = uuid_of(Zone, description="the Zone ID for the cluster").required()
    podid = uuid_of(Pod, description="the Pod ID for the host").required()
    clustername = string(description="the cluster name").required()
    hypervisor = string(description="hypervisor type of the cluster: Simulator").required()
    clustertype = string(description="type of the cluster: CloudManaged, ExternalManaged")
    allocationstate = string(
        description="Allocation state of this cluster for allocation of new resources"
    )

    def execute(self, ctx: CommandContext) -> ClusterResponse:
        if self.podid.zone_id != self.zoneid.id:
            raise InvalidParameterValue(f"Pod {self.podid.name} is not in zone {self.zoneid.name}")
        hypervisor = clusters.hypervisor_type(ctx.runtime.drivers.hypervisor_types, self.hypervisor)
        cluster = clusters.create_cluster(
            ctx.session,
            pod=self.podid,
            name=self.clustername,
            hypervisor=hypervisor,
            cluster_type=self.clustertype,
            state=self.allocationstate,
        )
        return ClusterResponse.of(ctx, cluster)


class UpdateCluster(
    Command, api="updateCluster", response=ClusterResponse, entity_type="Cluster", since="1.0"
):
    """Updates an existing cluster"""

    id = uuid_of(Cluster, description="the ID of the Cluster").required()
    clustername = string(description="the cluster name")
    allocationstate = string(
        description="Allocation state of this cluster for allocation of new resources"
    )
    managedstate = string(description="whether this cluster is managed by cloudstack")

    def execute(self, ctx: CommandContext) -> ClusterResponse:
        cluster = clusters.update_cluster(
            ctx.session,
            cluster=self.id,
            name=self.clustername,
            state=self.allocationstate,
            managed_state=self.managedstate,
        )
        return ClusterResponse.of(ctx, cluster)


class DeleteCluster(Command, api="deleteCluster", entity_type="Cluster", since="1.0"):
    """Deletes a cluster.

    Refused (536) while the cluster has hosts or cluster-wide primary storage.
    """

    id = uuid_of(Cluster, description="the cluster ID").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        clusters.delete_cluster(ctx.session, cluster=self.id)
        return SuccessResult()


class ListClusters(ListCommand, api="listClusters", response=ClusterResponse, since="1.0"):
    """Lists clusters."""

    id = uuid_of(Cluster, description="lists clusters by the cluster ID")
    name = string(description="lists clusters by the cluster name")
    zoneid = uuid_of(Zone, description="lists clusters by Zone ID")
    podid = uuid_of(Pod, description="lists clusters by Pod ID")
    hypervisor = string(description="lists clusters by hypervisor type")
    clustertype = string(description="lists clusters by cluster type")
    allocationstate = string(description="lists clusters by allocation state")
    managedstate = string(description="whether this cluster is managed by cloudstack")
    showcapacities = boolean(description="flag to display the capacity of the clusters")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(Cluster).where(Cluster.removed.is_(None))
        for value, column in (
            (self.id and self.id.id, Cluster.id),
            (self.name, Cluster.name),
            (self.zoneid and self.zoneid.id, Cluster.zone_id),
            (self.podid and self.podid.id, Cluster.pod_id),
            (self.clustertype, Cluster.cluster_type),
            (self.allocationstate, Cluster.allocation_state),
            (self.managedstate, Cluster.managed_state),
        ):
            if value is not None:
                query = query.where(column == value)
        if self.hypervisor is not None:
            query = query.where(func.lower(Cluster.hypervisor_type) == self.hypervisor.lower())
        if self.keyword:
            query = query.where(Cluster.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, Cluster.id)
        shown = bool(self.showcapacities)
        return ListResult([ClusterResponse.of(ctx, row, capacities=shown) for row in rows], count)
