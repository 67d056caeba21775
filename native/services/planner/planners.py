"""The planners (`vm.allocation.algorithm`): how hosts that passed the filters are ordered.

- `firstfit`: best score first, then host id — deterministic, packs when no weigher spreads.
- `random`: a random order.
- `userdispersing`: hosts running fewest VMs of the account first, then by score.
- `userconcentratedpod_firstfit` / `_random`: pods where the account runs most VMs first,
  then by score (or randomly) within them.
"""

from __future__ import annotations

import abc
import logging
import random
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from native.model import Host, VirtualMachine
from native.services.errors import InsufficientCapacity
from native.services.planner.filters import FILTERS, HostFilter, base_query
from native.services.planner.request import Candidate, PlacementRequest, PlanContext
from native.services.planner.weighers import WEIGHERS, HostWeigher, scores
from native.services.settings import Settings

log = logging.getLogger(__name__)

PLANNERS: dict[str, type[Planner]] = {}
"""Every planner class by its `vm.allocation.algorithm` name."""


class Planner(abc.ABC):
    """Orders the candidate hosts of one placement."""

    name: ClassVar[str]

    def __init_subclass__(cls, *, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.name = name
            PLANNERS[name] = cls

    @abc.abstractmethod
    def order(
        self, ctx: PlanContext, hosts: Sequence[Candidate], score: dict[int, float]
    ) -> list[Candidate]:
        """The hosts in the order they should be tried."""


def _by_score(hosts: Sequence[Candidate], score: dict[int, float]) -> list[Candidate]:
    return sorted(hosts, key=lambda host: (-score[host.id], host.id))


def _account_vms(
    ctx: PlanContext, column: InstrumentedAttribute[int | None], ids: set[int]
) -> dict[int, int]:
    """How many live VMs of the requesting account are placed per `column` value."""
    rows = ctx.session.execute(
        select(column, func.count().label("vms"))
        .where(
            VirtualMachine.account_id == ctx.request.account_id,
            VirtualMachine.removed.is_(None),
            VirtualMachine.host_id.is_not(None),
            column.in_(ids),
        )
        .group_by(column)
    )
    return {int(key): int(count) for key, count in rows if key is not None}


class FirstFitPlanner(Planner, name="firstfit"):
    def order(
        self, ctx: PlanContext, hosts: Sequence[Candidate], score: dict[int, float]
    ) -> list[Candidate]:
        return _by_score(hosts, score)


class RandomPlanner(Planner, name="random"):
    def order(
        self, ctx: PlanContext, hosts: Sequence[Candidate], score: dict[int, float]
    ) -> list[Candidate]:
        shuffled = list(hosts)
        random.shuffle(shuffled)
        return shuffled


class UserDispersingPlanner(Planner, name="userdispersing"):
    def order(
        self, ctx: PlanContext, hosts: Sequence[Candidate], score: dict[int, float]
    ) -> list[Candidate]:
        counts = _account_vms(ctx, VirtualMachine.host_id, {host.id for host in hosts})
        return sorted(hosts, key=lambda host: (counts.get(host.id, 0), -score[host.id], host.id))


class _UserConcentratedPod(Planner):
    shuffle: ClassVar[bool] = False

    def order(
        self, ctx: PlanContext, hosts: Sequence[Candidate], score: dict[int, float]
    ) -> list[Candidate]:
        counts = _account_vms(ctx, VirtualMachine.pod_id, {host.pod_id for host in hosts})
        within = {host.id: random.random() if self.shuffle else 0.0 for host in hosts}
        return sorted(
            hosts,
            key=lambda host: (
                -counts.get(host.pod_id, 0),
                within[host.id],
                -score[host.id],
                host.id,
            ),
        )


class UserConcentratedPodFirstFit(_UserConcentratedPod, name="userconcentratedpod_firstfit"):
    pass


class UserConcentratedPodRandom(_UserConcentratedPod, name="userconcentratedpod_random"):
    shuffle = True


def _named(text: str, registry: dict[str, Any], what: str) -> list[Any]:
    chosen = []
    for name in (part.strip() for part in text.split(",")):
        if not name:
            continue
        if name not in registry:
            log.warning("unknown deployment planner %s %r ignored", what, name)
            continue
        chosen.append(registry[name]())
    return chosen


def plan(session: Session, settings: Settings, *, request: PlacementRequest) -> list[int]:
    """The ids of the hosts that may take the VM, best first; InsufficientCapacity (533) if
    none.

    Nothing is reserved: the caller takes capacity with `capacity.reserve_host` on the
    hosts in order, since another placement may win a host meanwhile.
    """
    ctx = PlanContext(session=session, settings=settings, request=request)
    filters: list[HostFilter] = _named(
        str(settings.get(session, "deployment.planner.filters")), FILTERS, "filter"
    )
    weighers: list[HostWeigher] = _named(
        str(settings.get(session, "deployment.planner.weighers")), WEIGHERS, "weigher"
    )
    query = base_query(ctx)
    for host_filter in filters:
        query = host_filter.narrow(ctx, query)
    hosts = [Candidate._make(row) for row in session.execute(query.order_by(Host.id))]
    ctx.read_factors(hosts)
    log.info("planner: %d hosts of zone %d pass the SQL conditions", len(hosts), request.zone_id)
    for host_filter in filters:
        before = len(hosts)
        hosts = [host for host in hosts if host_filter.passes(ctx, host)]
        log.info("planner: filter %s removed %d hosts", host_filter.name, before - len(hosts))
    if not hosts:
        raise InsufficientCapacity(
            "Unable to create a deployment: no host has the capacity, tags and affinity "
            "the VM needs"
        )
    algorithm = str(settings.get(session, "vm.allocation.algorithm"))
    planner = PLANNERS.get(algorithm, FirstFitPlanner)()
    return [host.id for host in planner.order(ctx, hosts, scores(ctx, hosts, weighers))]
