"""Capacity commands: listCapacity."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import ROOT_ADMIN, CommandContext, ListCommand
from native.api.params import boolean, integer, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject
from native.model import Cluster, Pod, Zone
from native.services.errors import InvalidParameterValue
from native.services.infrastructure.capacity_report import (
    CapacityType,
    Figure,
    Level,
    Scope,
    capacity_report,
)
from native.services.network import public_ip_capacity  # noqa: F401  (registers type 4)


class CapacityResponse(ResponseObject, object_name="capacity"):
    type = Field("the capacity type", type="short")
    name = Field("the capacity name", since="4.19.0")
    zoneid = Field("the Zone ID")
    zonename = Field("the Zone name")
    podid = Field("the Pod ID")
    podname = Field("the Pod name")
    clusterid = Field("the Cluster ID")
    clustername = Field("the Cluster name")
    capacityallocated = Field("the capacity currently in allocated", type="long", since="4.17.0")
    capacityused = Field("the capacity currently in use", type="long")
    capacitytotal = Field("the total capacity available", type="long")
    percentused = Field("the percentage of capacity currently in use")


def _percent(figure: Figure) -> str:
    return f"{figure.percent:.2f}".rstrip("0").rstrip(".")


def capacity_responses(session: Session, figures: Sequence[Figure]) -> list[CapacityResponse]:
    """Figures as CloudStack capacity objects, naming their zone, pod and cluster."""
    names: dict[tuple[type, int], tuple[str, str]] = {}
    for model, ids in (
        (Zone, {f.zone_id for f in figures}),
        (Pod, {f.pod_id for f in figures if f.pod_id is not None}),
        (Cluster, {f.cluster_id for f in figures if f.cluster_id is not None}),
    ):
        if ids:
            rows = session.execute(
                select(model.id, model.uuid, model.name).where(model.id.in_(ids))
            )
            names.update({(model, row_id): (uuid, name) for row_id, uuid, name in rows})
    responses = []
    for figure in figures:
        zone = names.get((Zone, figure.zone_id), (None, None))
        pod = names.get((Pod, figure.pod_id or 0), (None, None))
        cluster = names.get((Cluster, figure.cluster_id or 0), (None, None))
        responses.append(
            CapacityResponse(
                type=int(figure.capacity_type),
                name=figure.capacity_type.name,
                zoneid=zone[0],
                zonename=zone[1],
                podid=pod[0],
                podname=pod[1],
                clusterid=cluster[0],
                clustername=cluster[1],
                capacityallocated=figure.used,
                capacityused=figure.used,
                capacitytotal=figure.total,
                percentused=_percent(figure),
            )
        )
    return responses


def zone_capacities(ctx: CommandContext, *, scope: Scope, level: Level) -> list[CapacityResponse]:
    """The capacities of one zone, pod or cluster (for `showcapacities`)."""
    figures = capacity_report(ctx.session, ctx.runtime, scope=scope, level=level)
    return capacity_responses(ctx.session, figures)


class ListCapacity(
    ListCommand, api="listCapacity", response=CapacityResponse, authorized=ROOT_ADMIN, since="1.0"
):
    """Lists all the system wide capacities.

    Figures are per zone; with podid per pod, with clusterid per cluster. CPU and memory
    totals include the clusters' overprovisioning factors, STORAGE_ALLOCATED the pools'.
    """

    zoneid = uuid_of(Zone, description="lists capacity by the Zone ID")
    podid = uuid_of(Pod, description="lists capacity by the Pod ID")
    clusterid = uuid_of(Cluster, description="lists capacity by the Cluster ID", since="3.0.0")
    type = integer(description="lists capacity by type")
    fetchlatest = boolean(
        description="recalculate capacities and fetch the latest (figures are always current)",
        since="3.0.0",
    )
    sortby = string(description="Sort the results. Available values: Usage", since="3.0.0")

    def execute(self, ctx: CommandContext) -> ListResult:
        kinds = None
        if self.type is not None:
            try:
                kinds = [CapacityType(self.type)]
            except ValueError:
                raise InvalidParameterValue(f"Invalid capacity type {self.type}") from None
        if self.sortby is not None and self.sortby.lower() != "usage":
            raise InvalidParameterValue(f"Invalid sortby {self.sortby!r}: use usage")
        scope = Scope(
            zone_id=None if self.zoneid is None else self.zoneid.id,
            pod_id=None if self.podid is None else self.podid.id,
            cluster_id=None if self.clusterid is None else self.clusterid.id,
        )
        level = Level.CLUSTER if self.clusterid else Level.POD if self.podid else Level.ZONE
        figures = capacity_report(ctx.session, ctx.runtime, scope=scope, level=level, types=kinds)
        if self.sortby is not None:
            figures.sort(key=lambda figure: figure.percent, reverse=True)
        page = self.page_of_items(ctx, figures)
        return ListResult(capacity_responses(ctx.session, page), len(figures))
