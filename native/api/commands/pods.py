"""Pod commands: createPod, listPods, updatePod, deletePod."""

from __future__ import annotations

from sqlalchemy import select

from native.api.command import Command, CommandContext, ListCommand
from native.api.commands.capacity import CapacityResponse, zone_capacities
from native.api.params import boolean, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Pod, Zone
from native.services.errors import InvalidParameterValue
from native.services.infrastructure import pods
from native.services.infrastructure.capacity_report import Level, Scope
from native.services.infrastructure.pods import IpRange


class PodResponse(ResponseObject, object_name="pod"):
    id = Field("the ID of the Pod")
    name = Field("the name of the Pod")
    zoneid = Field("the Zone ID of the Pod")
    zonename = Field("the Zone name of the Pod")
    gateway = Field("the gateway of the Pod")
    netmask = Field("the netmask of the Pod")
    startip = Field("the starting IP for the Pod")
    endip = Field("the ending IP for the Pod")
    allocationstate = Field("the allocation state of the Pod")
    capacity = Field("the capacity of the Pod", of=CapacityResponse)

    @classmethod
    def of(cls, ctx: CommandContext, pod: Pod, *, capacities: bool = False) -> PodResponse:
        return cls(
            id=pod.uuid,
            name=pod.name,
            zoneid=pod.zone.uuid,
            zonename=pod.zone.name,
            gateway=pod.gateway,
            netmask=pod.netmask,
            startip=pod.start_ip,
            endip=pod.end_ip,
            allocationstate=pod.allocation_state,
            capacity=zone_capacities(ctx, scope=Scope(pod_id=pod.id), level=Level.POD)
            if capacities
            else None,
        )


class CreatePod(
    Command,
    api="createPod",
    response=PodResponse,
    event="POD.CREATE",
    entity_type="Pod",
    since="1.0",
):
    """Creates a new Pod.

    startip..endip is the pod's management range: hosts without an address of their own
    get the next free address of it.
    """

    zoneid = uuid_of(Zone, description="the Zone ID in which the Pod will be created").required()
    name = string(description="the name of the Pod").required()
    gateway = string(description="the gateway for the Pod").required()
    netmask = string(description="the netmask for the Pod").required()
    startip = string(description="the starting IP address for the Pod").required()
    endip = string(description="the ending IP address for the Pod")
    allocationstate = string(
        description="Allocation state of this Pod for allocation of new resources"
    )

    def execute(self, ctx: CommandContext) -> PodResponse:
        ip_range = IpRange.parse(
            gateway=self.gateway, netmask=self.netmask, start_ip=self.startip, end_ip=self.endip
        )
        pod = pods.create_pod(
            ctx.session,
            zone=self.zoneid,
            name=self.name,
            ip_range=ip_range,
            state=self.allocationstate,
        )
        return PodResponse.of(ctx, pod)


class UpdatePod(
    Command, api="updatePod", response=PodResponse, event="POD.EDIT", entity_type="Pod", since="1.0"
):
    """Updates a Pod.

    A new range must still hold the addresses of the pod's hosts.
    """

    id = uuid_of(Pod, description="the ID of the Pod").required()
    name = string(description="the name of the Pod")
    gateway = string(description="the gateway for the Pod")
    netmask = string(description="the netmask of the Pod")
    startip = string(description="the starting IP address for the Pod")
    endip = string(description="the ending IP address for the Pod")
    allocationstate = string(
        description="Allocation state of this cluster for allocation of new resources"
    )

    def execute(self, ctx: CommandContext) -> PodResponse:
        pod = self.id
        ip_range = None
        if any(v is not None for v in (self.gateway, self.netmask, self.startip, self.endip)):
            gateway, netmask = self.gateway or pod.gateway, self.netmask or pod.netmask
            start_ip = self.startip or pod.start_ip
            if gateway is None or netmask is None or start_ip is None:
                raise InvalidParameterValue("Give gateway, netmask and startip for the pod's range")
            ip_range = IpRange.parse(
                gateway=gateway,
                netmask=netmask,
                start_ip=start_ip,
                end_ip=self.endip or (pod.end_ip if self.startip is None else None),
            )
        pods.update_pod(
            ctx.session, pod=pod, name=self.name, ip_range=ip_range, state=self.allocationstate
        )
        return PodResponse.of(ctx, pod)


class DeletePod(Command, api="deletePod", event="POD.DELETE", entity_type="Pod", since="1.0"):
    """Deletes a Pod.

    Refused (536) while the pod has clusters.
    """

    id = uuid_of(Pod, description="the ID of the Pod").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        pods.delete_pod(ctx.session, pod=self.id)
        return SuccessResult()


class ListPods(ListCommand, api="listPods", response=PodResponse, since="1.0"):
    """Lists all Pods."""

    id = uuid_of(Pod, description="list Pods by ID")
    name = string(description="list Pods by name")
    zoneid = uuid_of(Zone, description="list Pods by Zone ID")
    allocationstate = string(description="list pods by allocation state")
    showcapacities = boolean(description="flag to display the capacity of the pods", since="3.0.0")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(Pod).where(Pod.removed.is_(None))
        if self.id is not None:
            query = query.where(Pod.id == self.id.id)
        if self.name is not None:
            query = query.where(Pod.name == self.name)
        if self.zoneid is not None:
            query = query.where(Pod.zone_id == self.zoneid.id)
        if self.allocationstate is not None:
            query = query.where(Pod.allocation_state == self.allocationstate)
        if self.keyword:
            query = query.where(Pod.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, Pod.id)
        shown = bool(self.showcapacities)
        return ListResult([PodResponse.of(ctx, row, capacities=shown) for row in rows], count)
