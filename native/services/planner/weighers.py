"""Host weighers: one small class each, registered by name (`deployment.planner.weighers`).

Each weigher's raw weights are normalised to 0…1 across the candidates and multiplied by
its `multiplier`; a host's score is the sum. Higher scores are preferred.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar

from native.services import capacity
from native.services.planner.request import Candidate, PlanContext

WEIGHERS: dict[str, type[HostWeigher]] = {}
"""Every weigher class by its setting name."""


class HostWeigher(abc.ABC):
    """Ranks hosts that passed the filters."""

    name: ClassVar[str]
    multiplier: ClassVar[float] = 1.0

    def __init_subclass__(cls, *, name: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = name
        WEIGHERS[name] = cls

    @abc.abstractmethod
    def weigh(self, ctx: PlanContext, host: Candidate) -> float:
        """The host's raw weight; larger is better."""


class FreeMemoryWeigher(HostWeigher, name="freememory"):
    """Prefers hosts with more unallocated memory (spreads load)."""

    def weigh(self, ctx: PlanContext, host: Candidate) -> float:
        return float(ctx.limits(host).memory - host.memory_used) / capacity.MIB


class FreeCpuWeigher(HostWeigher, name="freecpu"):
    """Prefers hosts with more unallocated CPU MHz."""

    def weigh(self, ctx: PlanContext, host: Candidate) -> float:
        return float(ctx.limits(host).cpu - host.cpu_used)


def scores(
    ctx: PlanContext, hosts: Sequence[Candidate], weighers: Sequence[HostWeigher]
) -> dict[int, float]:
    """Each host's score: the sum of its normalised weights times the multipliers."""
    total = {host.id: 0.0 for host in hosts}
    for weigher in weighers:
        raw = {host.id: weigher.weigh(ctx, host) for host in hosts}
        if not raw:
            continue
        low, high = min(raw.values()), max(raw.values())
        span = high - low
        for host_id, weight in raw.items():
            normalised = 0.0 if span == 0 else (weight - low) / span
            total[host_id] += normalised * weigher.multiplier
    return total
