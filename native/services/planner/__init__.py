"""The deployment planner: nova-style host filters and weighers, and CloudStack's planners.

`plan(session, settings, request=PlacementRequest(...))` returns the hosts that may take a
VM, best first. Filters are chosen by `deployment.planner.filters`, weighers by
`deployment.planner.weighers`, the ordering by `vm.allocation.algorithm`.
"""

from native.services.planner.planners import plan
from native.services.planner.request import (
    HOST_AFFINITY,
    HOST_ANTI_AFFINITY,
    PlacementRequest,
)

__all__ = ["HOST_AFFINITY", "HOST_ANTI_AFFINITY", "PlacementRequest", "plan"]
