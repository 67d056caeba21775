"""The routes a VPC's router runs, read from its route tables (part of `router_config`).

The main table's live static routes go into the router's main routing table; each table
of its own that a tier with a CIDR uses becomes a policy-routing table (`cfg.RouteTable`,
numbered from 100 in the order the tables were made). A route's next hop is its address,
its private gateway's gateway, or (for a route out through the internet gateway attached
to the VPC) the router's public gateway; a route whose target leads nowhere (a detached
internet gateway, a VPC without public side) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.drivers.network import base as cfg
from native.model import InternetGateway, Network, StaticRoute, Vpc, VpcRouteTable

LIVE_ROUTE_STATES = ("Add", "Active")
FIRST_TABLE_NUMBER = 100


@dataclass(frozen=True, kw_only=True)
class Routes:
    """What `gather` found: the main table's routes and the tiers' own tables."""

    main: tuple[cfg.StaticRoute, ...]
    tables: tuple[cfg.RouteTable, ...]


def _next_hop(
    route: StaticRoute,
    *,
    gateway_hops: Mapping[int, str],
    internet_gateway: InternetGateway | None,
    public_gateway: str | None,
) -> str | None:
    if route.internet_gateway_id is not None:
        attached = internet_gateway is not None and internet_gateway.id == route.internet_gateway_id
        return public_gateway if attached else None
    return route.next_hop or gateway_hops.get(route.gateway_id or 0)


def gather(
    session: Session,
    *,
    vpc: Vpc,
    networks: Sequence[Network],
    gateway_hops: Mapping[int, str],
    public_gateway: str | None,
) -> Routes:
    """The routes of `vpc`'s router; `networks` are the tiers it serves, `gateway_hops`
    the gateway address of each live private gateway by id, `public_gateway` the gateway
    of the router's public side (None without one)."""
    internet_gateway = session.scalars(
        select(InternetGateway).where(InternetGateway.vpc_id == vpc.id)
    ).first()
    by_table: dict[int, list[cfg.StaticRoute]] = {}
    for route in session.scalars(
        select(StaticRoute)
        .where(StaticRoute.vpc_id == vpc.id, StaticRoute.state.in_(LIVE_ROUTE_STATES))
        .order_by(StaticRoute.id)
    ):
        hop = _next_hop(
            route,
            gateway_hops=gateway_hops,
            internet_gateway=internet_gateway,
            public_gateway=public_gateway,
        )
        if hop:
            by_table.setdefault(route.route_table_id, []).append(
                cfg.StaticRoute(cidr=route.cidr, next_hop=hop)
            )
    tables = session.scalars(
        select(VpcRouteTable).where(VpcRouteTable.vpc_id == vpc.id).order_by(VpcRouteTable.id)
    ).all()
    main = next((table for table in tables if table.is_main), None)
    own: list[cfg.RouteTable] = []
    for table in tables:
        sources = tuple(n.cidr for n in networks if n.route_table_id == table.id and n.cidr)
        if table.is_main or not sources:
            continue
        own.append(
            cfg.RouteTable(
                number=FIRST_TABLE_NUMBER + len(own),
                sources=sources,
                local=vpc.cidr,
                routes=tuple(by_table.get(table.id, ())),
            )
        )
    return Routes(
        main=tuple(by_table.get(main.id, ())) if main is not None else (),
        tables=tuple(own),
    )
