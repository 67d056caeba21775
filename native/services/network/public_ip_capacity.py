"""Public IP capacity (`listCapacity` type 4): each zone's guest-facing public addresses
against those taken, registered with the capacity report on import."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from native.model import PublicIpAddress, PublicIpRange
from native.services.infrastructure.capacity_report import (
    CapacityType,
    Figure,
    Scope,
    register_capacity_source,
)
from native.services.network.ipam import FREE
from native.services.runtime import Runtime


def public_ip_figures(session: Session, runtime: Runtime, scope: Scope) -> Iterable[Figure]:
    """Per zone: the addresses of its live ranges for guest networks, and how many of them
    are not Free. Public addresses belong to no pod or cluster."""
    if scope.pod_id is not None or scope.cluster_id is not None:
        return []
    rows = session.execute(
        select(
            PublicIpAddress.zone_id.label("zone_id"),
            func.count().label("total"),
            func.sum(case((PublicIpAddress.state != FREE, 1), else_=0)).label("used"),
        )
        .join(PublicIpRange, PublicIpRange.id == PublicIpAddress.range_id)
        .where(
            PublicIpRange.removed.is_(None),
            PublicIpRange.for_virtual_network.is_(True),
            scope.clause(PublicIpAddress.zone_id),
        )
        .group_by(PublicIpAddress.zone_id)
    ).all()
    return [
        Figure(
            capacity_type=CapacityType.VIRTUAL_NETWORK_PUBLIC_IP,
            zone_id=row.zone_id,
            pod_id=None,
            cluster_id=None,
            total=int(row.total),
            used=int(row.used or 0),
        )
        for row in rows
    ]


register_capacity_source(CapacityType.VIRTUAL_NETWORK_PUBLIC_IP, public_ip_figures)
