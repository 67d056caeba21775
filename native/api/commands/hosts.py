"""Host commands: addHost, listHosts, findHostsForMigration, updateHost, deleteHost,
reconnectHost."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from native.api.command import Command, CommandContext, ListCommand
from native.api.params import boolean, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Cluster, Host, Pod, VirtualMachine, Zone
from native.services import capacity
from native.services.errors import InvalidParameterValue
from native.services.infrastructure import clusters, hosts
from native.services.infrastructure.hosts import NewHost
from native.services.migration_targets import migration_targets
from native.services.runtime import Runtime


def _percent(used: int, total: int) -> str:
    share = 0.0 if total <= 0 else used * 100.0 / total
    return f"{share:.2f}".rstrip("0").rstrip(".") + "%"


class HostResponse(ResponseObject, object_name="host"):
    id = Field("the ID of the host")
    name = Field("the name of the host")
    state = Field("the state of the host")
    resourcestate = Field("the resource state of the host")
    type = Field("the host type")
    hypervisor = Field("the host hypervisor")
    hypervisorversion = Field("the hypervisor version")
    ipaddress = Field("the IP address of the host")
    zoneid = Field("the Zone ID of the host")
    zonename = Field("the Zone name of the host")
    podid = Field("the Pod ID of the host")
    podname = Field("the Pod name of the host")
    clusterid = Field("the cluster ID of the host")
    clustername = Field("the cluster name of the host")
    clustertype = Field("the cluster type of the cluster that host belongs to")
    cpusockets = Field("the number of CPU sockets on the host", type="integer")
    cpunumber = Field("the CPU number of the host", type="integer")
    cpuspeed = Field("the CPU speed of the host", type="long")
    cpuallocated = Field("the amount of the host's CPU currently allocated")
    cpuallocatedvalue = Field(
        "the amount of the host's CPU currently allocated in MHz", type="long"
    )
    cpuallocatedpercentage = Field("the amount of the host's CPU currently allocated in percentage")
    cpuwithoverprovisioning = Field(
        "the amount of the host's CPU after applying the cpu.overprovisioning.factor"
    )
    memorytotal = Field(
        "the memory total of the host, this parameter is deprecated use memorywithoverprovisioning",
        type="long",
    )
    memorywithoverprovisioning = Field(
        "the amount of the host's memory after applying the mem.overprovisioning.factor"
    )
    memoryallocated = Field(
        "the amount of the host's memory currently allocated in bytes", type="long"
    )
    memoryallocatedbytes = Field(
        "the amount of the host's memory currently allocated in bytes", type="long"
    )
    memoryallocatedpercentage = Field(
        "the amount of the host's memory currently allocated in percentage"
    )
    memoryused = Field("the amount of the host's memory currently used", type="long")
    hosttags = Field("comma-separated list of tags for the host")
    capabilities = Field("capabilities of the host")
    islocalstorageactive = Field("true if local storage is active, false otherwise", type="boolean")
    hahost = Field(
        "true if the host is Ha host (dedicated to vms started by HA process; false otherwise",
        type="boolean",
    )
    version = Field("the host version")
    managementserverid = Field("the management server ID of the host")
    created = Field("the date and time the host was created", type="date")
    lastpinged = Field("the date and time the host was last pinged", type="date")
    disconnected = Field("true if the host is disconnected. False otherwise.", type="date")

    @classmethod
    def of(
        cls,
        session: Session,
        runtime: Runtime,
        host: Host,
        *,
        factors: capacity.FactorMemo | None = None,
    ) -> HostResponse:
        """The host's response; `factors` shares overprovisioning reads across a page."""
        limits = capacity.host_limits(session, runtime.settings, host, memo=factors)
        cluster = host.cluster
        pod = cluster.pod
        cpu_percent = _percent(host.cpu_used, limits.cpu)
        memory_percent = _percent(host.memory_used, limits.memory)
        return cls(
            id=host.uuid,
            name=host.name,
            state=host.status,
            resourcestate=host.resource_state,
            type=host.host_type,
            hypervisor=host.hypervisor_type,
            hypervisorversion=host.hypervisor_version,
            ipaddress=host.private_ip,
            zoneid=pod.zone.uuid,
            zonename=pod.zone.name,
            podid=pod.uuid,
            podname=pod.name,
            clusterid=cluster.uuid,
            clustername=cluster.name,
            clustertype=cluster.cluster_type,
            cpusockets=host.cpu_sockets,
            cpunumber=host.cpu_number,
            cpuspeed=host.cpu_speed,
            cpuallocated=cpu_percent,
            cpuallocatedvalue=host.cpu_used,
            cpuallocatedpercentage=cpu_percent,
            cpuwithoverprovisioning=str(limits.cpu),
            memorytotal=host.memory_total,
            memorywithoverprovisioning=str(limits.memory),
            memoryallocated=host.memory_used,
            memoryallocatedbytes=host.memory_used,
            memoryallocatedpercentage=memory_percent,
            memoryused=host.memory_used,
            hosttags=host.host_tags,
            capabilities=host.capabilities,
            islocalstorageactive=False,
            hahost=False,
            version=runtime.version,
            managementserverid=host.owner_msid,
            created=host.created,
            lastpinged=host.last_ping,
            disconnected=host.disconnected,
        )


class MigrationHostResponse(HostResponse, object_name="host"):
    suitableformigration = Field(
        "true if this host is suitable(has enough capacity and satisfies all conditions like "
        "hosttags, max guests vm limit etc) to migrate a VM to it , false otherwise",
        type="boolean",
    )
    requiresStorageMotion = Field(
        "true if migrating a vm to this host requires storage motion , false otherwise",
        type="boolean",
    )


class FindHostsForMigration(
    ListCommand, api="findHostsForMigration", response=MigrationHostResponse, since="4.1.0"
):
    """Find hosts suitable for migrating a virtual machine.

    The other hosts of a Running VM's zone and hypervisor; `suitableformigration` says
    whether the planner would place the VM there now, `requiresStorageMotion` whether its
    volumes would have to move (a host outside the cluster its cluster-scoped pool is in).
    """

    virtualmachineid = uuid_of(
        VirtualMachine, description="find hosts to which this VM can be migrated and flag the "
        "hosts with enough CPU/RAM to host the VM"
    ).required()  # fmt: skip

    def execute(self, ctx: CommandContext) -> ListResult:
        targets = migration_targets(ctx.session, ctx.runtime, vm=self.virtualmachineid)
        query = targets.hosts
        if self.keyword:
            query = query.where(Host.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, Host.id)
        factors: capacity.FactorMemo = {}
        items = []
        for host in rows:
            item = MigrationHostResponse.of(ctx.session, ctx.runtime, host, factors=factors)
            item.values["suitableformigration"] = host.id in targets.suitable
            item.values["requiresStorageMotion"] = targets.requires_storage_motion(host)
            items.append(item)
        return ListResult(items, count)


class AddHost(Command, api="addHost", response=HostResponse, entity_type="Host", since="1.0"):
    """Adds a new host.

    The host is reached through the driver of the cluster's hypervisor at url (for the
    simulator `simulator://NAME?cpu=8&mem=16384`); it is recorded Up, with the address
    it reports or the next free address of the pod's range. With clustername and no
    clusterid, the cluster of that name in the pod is used, or created.
    """

    zoneid = uuid_of(Zone, description="the Zone ID for the host").required()
    podid = uuid_of(Pod, description="the Pod ID for the host").required()
    clusterid = uuid_of(Cluster, description="the cluster ID for the host")
    clustername = string(description="the cluster name for the host")
    url = string(description="the host URL", length=1024).required()
    username = string(description="the username for the host")
    password = string(description="the password for the host", sensitive=True)
    hypervisor = string(description="hypervisor type of the host").required()
    hosttags = string(description="list of tags to be added to the host", length=1024)
    allocationstate = string(
        description="Allocation state of this Host for allocation of new resources"
    )

    def _cluster(self, ctx: CommandContext) -> Cluster:
        hypervisor = clusters.hypervisor_type(ctx.runtime.drivers.hypervisor_types, self.hypervisor)
        if self.podid.zone_id != self.zoneid.id:
            raise InvalidParameterValue(f"Pod {self.podid.name} is not in zone {self.zoneid.name}")
        cluster = self.clusterid
        if cluster is None and self.clustername:
            cluster = ctx.session.scalars(
                select(Cluster).where(
                    Cluster.pod_id == self.podid.id,
                    Cluster.name == self.clustername,
                    Cluster.removed.is_(None),
                )
            ).first() or clusters.create_cluster(
                ctx.session,
                pod=self.podid,
                name=self.clustername,
                hypervisor=hypervisor,
                cluster_type=None,
                state=None,
            )
        if cluster is None:
            raise InvalidParameterValue("Give clusterid or clustername for the host")
        if cluster.pod_id != self.podid.id:
            raise InvalidParameterValue(f"Cluster {cluster.name} is not in pod {self.podid.name}")
        if cluster.hypervisor_type != hypervisor:
            raise InvalidParameterValue(
                f"Cluster {cluster.name} is of hypervisor type {cluster.hypervisor_type}, "
                f"not {hypervisor}"
            )
        return cluster

    def execute(self, ctx: CommandContext) -> ListResult:
        cluster = self._cluster(ctx)
        host = hosts.add_host(
            ctx.session,
            ctx.runtime,
            cluster=cluster,
            new=NewHost(
                url=self.url,
                username=self.username,
                password=self.password,
                host_tags=self.hosttags,
            ),
        )
        if self.allocationstate is not None:
            hosts.update_host(
                ctx.session,
                host=host,
                name=None,
                host_tags=None,
                allocation_state=self.allocationstate,
            )
        return ListResult([HostResponse.of(ctx.session, ctx.runtime, host)], 1)


class UpdateHost(Command, api="updateHost", response=HostResponse, entity_type="Host", since="1.0"):
    """Updates a host.

    allocationstate Enable or Disable changes its resource state (a disabled host takes
    no new VMs); hosttags replaces its tags (empty clears them).
    """

    id = uuid_of(Host, description="the ID of the host to update").required()
    name = string(description="the new name of the host", since="4.19")
    hosttags = string(description="list of tags to be added to the host", length=1024)
    allocationstate = string(
        description="Change resource state of host, valid values are [Enable, Disable]. "
        "Operation may failed if host in states not allowing Enable/Disable"
    )

    def execute(self, ctx: CommandContext) -> HostResponse:
        host = hosts.update_host(
            ctx.session,
            host=self.id,
            name=self.name,
            host_tags=self.hosttags,
            allocation_state=self.allocationstate,
        )
        return HostResponse.of(ctx.session, ctx.runtime, host)


class DeleteHost(Command, api="deleteHost", entity_type="Host", since="1.0"):
    """Deletes a host.

    Refused (536) while VMs are placed on it; forced removes it despite stopped VMs, never
    despite running ones.
    """

    id = uuid_of(Host, description="the host ID").required()
    forced = boolean(
        description="Force delete the host. All HA enabled vms running on the host will be "
        "put to HA; HA disabled ones will be stopped",
        since="2.1",
    )
    forcedestroylocalstorage = boolean(
        description="Force destroy local storage on this host. All VMs created on this local "
        "storage will be destroyed",
        since="2.1",
    )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        hosts.delete_host(ctx.session, ctx.runtime, host=self.id, forced=bool(self.forced))
        return SuccessResult()


class ReconnectHost(
    Command,
    api="reconnectHost",
    is_async=True,
    response=HostResponse,
    event="HOST.RECONNECT",
    entity_type="Host",
    since="1.0",
):
    """Reconnects a host."""

    id = uuid_of(Host, description="the host ID").required()

    def execute(self, ctx: CommandContext) -> HostResponse:
        host = hosts.reconnect_host(ctx.session, ctx.runtime, host=self.id)
        return HostResponse.of(ctx.session, ctx.runtime, host)


def _tagged(tag: str) -> ColumnElement[bool]:
    return or_(
        Host.host_tags == tag,
        Host.host_tags.startswith(f"{tag},", autoescape=True),
        Host.host_tags.endswith(f",{tag}", autoescape=True),
        Host.host_tags.contains(f",{tag},", autoescape=True),
    )


class ListHosts(ListCommand, api="listHosts", response=HostResponse, since="1.0"):
    """Lists hosts."""

    id = uuid_of(Host, description="the id of the host")
    name = string(description="the name of the host")
    state = string(description="the state of the host")
    type = string(description="the host type")
    zoneid = uuid_of(Zone, description="the Zone ID for the host")
    podid = uuid_of(Pod, description="the Pod ID for the host")
    clusterid = uuid_of(Cluster, description="lists hosts existing in particular cluster")
    resourcestate = string(description="list hosts by resource state", since="3.0.0")
    hypervisor = string(description="hypervisor type of host: Simulator")
    hosttags = string(
        description="lists hosts carrying all these comma-separated tags", since="4.19.0"
    )
    details = string(description="comma separated list of host details requested (all by default)")

    def query(self) -> Select[Host]:
        query = select(Host).where(Host.removed.is_(None))
        for value, column in (
            (self.id and self.id.id, Host.id),
            (self.name, Host.name),
            (self.state, Host.status),
            (self.type, Host.host_type),
            (self.zoneid and self.zoneid.id, Host.zone_id),
            (self.podid and self.podid.id, Host.pod_id),
            (self.clusterid and self.clusterid.id, Host.cluster_id),
            (self.resourcestate, Host.resource_state),
            (self.hypervisor, Host.hypervisor_type),
        ):
            if value is not None:
                query = query.where(column == value)
        for tag in (hosts.normalise_tags(self.hosttags) or "").split(","):
            if tag:
                query = query.where(_tagged(tag))
        if self.keyword:
            query = query.where(Host.name.contains(self.keyword, autoescape=True))
        return query

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(), Host.id)
        factors = capacity.cluster_factors(
            ctx.session, ctx.runtime.settings, cluster_ids={row.cluster_id for row in rows}
        )
        return ListResult(
            [HostResponse.of(ctx.session, ctx.runtime, row, factors=factors) for row in rows],
            count,
        )
