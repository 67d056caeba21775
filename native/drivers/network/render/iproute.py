"""The routing of a virtual router (`ip -force -batch routes.batch`).

Every route and rule Alto adds carries `protocol static`, so the file first flushes
whatever an earlier generation added and then adds the current ones (applying it twice
leaves the same state):

- the main table gets the VPC's static routes (`config.static_routes`);
- each route table of its own (`config.route_tables`) is kernel table `number`: one rule
  per tier that uses it (`from <tier CIDR> lookup <number>`), a `throw` of the VPC's CIDR
  (traffic inside the VPC falls back to the main table), its routes, and `unreachable
  default` unless one of them is a default route, so such a tier reaches only what its
  table routes.
"""

from __future__ import annotations

from native.drivers.network.base import RouterConfig, RouteTable, StaticRoute
from native.drivers.network.render.common import address, header, network

PROTOCOL = "protocol static"
FIRST_RULE_PRIORITY = 1000
ANYWHERE = network("0.0.0.0/0")


def _route(route: StaticRoute, *, table: str = "") -> str:
    return f"route replace {network(route.cidr)} via {address(route.next_hop)}{table} {PROTOCOL}"


def _table(table: RouteTable, *, priority: int) -> list[str]:
    if not 100 <= table.number <= 252:
        raise ValueError(f"route table number {table.number} is outside 100..252")
    where = f" table {table.number}"
    rules = [
        f"rule add from {network(source)} lookup {table.number} priority {priority + index} "
        f"{PROTOCOL}"
        for index, source in enumerate(table.sources)
    ]
    routes = [f"route replace throw {network(table.local)}{where} {PROTOCOL}"]
    routes += [_route(route, table=where) for route in table.routes]
    if not any(network(route.cidr) == ANYWHERE for route in table.routes):
        routes.append(f"route replace unreachable default{where} {PROTOCOL}")
    return [f"# route table {table.number}", *rules, *routes]


def render(config: RouterConfig) -> str:
    """The router's routes and routing rules as `ip -batch` commands."""
    lines = [
        header(config),
        f"rule flush {PROTOCOL}",
        f"route flush table all {PROTOCOL}",
        *(_route(route) for route in config.static_routes),
    ]
    priority = FIRST_RULE_PRIORITY
    for table in config.route_tables:
        lines += _table(table, priority=priority)
        priority += len(table.sources)
    return "\n".join(lines) + "\n"
