"""VPC route tables: which routes each tier of a VPC uses.

Every VPC has one main table, made with it and removed with it (`vpcs`); the tiers that name no
table (`Network.route_table_id` None) use it. Custom tables are made empty; associating a
tier with one makes the VPC's router route that tier's traffic by that table's routes
(`router_config` renders them), and associating it with the main table takes it back to
the default. A table still associated with a tier cannot be deleted, nor can a main table.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from native.model import Network, StaticRoute, Vpc, VpcRouteTable
from native.services import tags
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceLimitExceeded
from native.services.network.vpcs import check_enabled

TABLE_LIMIT = "vpc.max.route.tables"


def main_table(session: Session, *, vpc_id: int) -> VpcRouteTable:
    """The main route table of a VPC."""
    return session.scalars(
        select(VpcRouteTable).where(VpcRouteTable.vpc_id == vpc_id, VpcRouteTable.is_main)
    ).one()


def table_of(session: Session, *, network: Network) -> VpcRouteTable | None:
    """The route table a VPC tier uses (its own, else its VPC's main one); None outside
    a VPC."""
    if network.vpc_id is None:
        return None
    if network.route_table_id is not None:
        return session.get(VpcRouteTable, network.route_table_id)
    return main_table(session, vpc_id=network.vpc_id)


def create_table(session: Session, *, vpc: Vpc, name: str | None, limit: int) -> VpcRouteTable:
    """A new empty route table of an Enabled VPC (431 otherwise), owned as the VPC is; 532
    when the VPC already has `limit` tables, its main one included."""
    check_enabled(vpc)
    held = session.scalar(
        select(func.count()).select_from(VpcRouteTable).where(VpcRouteTable.vpc_id == vpc.id)
    )
    if int(held or 0) >= limit:
        raise ResourceLimitExceeded(
            f"VPC {vpc.uuid} already has the maximum of {limit} route tables (vpc.max.route.tables)"
        )
    table = VpcRouteTable(
        name=(name or "").strip() or f"rtb-of-{vpc.name}",
        vpc_id=vpc.id,
        account_id=vpc.account_id,
        domain_id=vpc.domain_id,
        is_main=False,
    )
    session.add(table)
    session.flush()
    return table


def associated_networks(session: Session, *, table: VpcRouteTable) -> list[Network]:
    """The live tiers that use `table` (for the main table: those that name no table)."""
    query = select(Network).where(Network.vpc_id == table.vpc_id, Network.removed.is_(None))
    column = Network.route_table_id
    query = query.where(column.is_(None) if table.is_main else column == table.id)
    return list(session.scalars(query.order_by(Network.id)))


def check_deletable(session: Session, *, table: VpcRouteTable) -> None:
    """431 for a main table; 536 while a tier is associated with the table."""
    if table.is_main:
        raise InvalidParameterValue(
            f"Route table {table.uuid} is the main route table of its VPC and cannot be deleted"
        )
    users = session.scalar(
        select(func.count())
        .select_from(Network)
        .where(Network.route_table_id == table.id, Network.removed.is_(None))
    )
    if users:
        raise ResourceInUse(
            f"Route table {table.uuid} is associated with {users} networks; "
            "associate them with another route table first"
        )


def delete_table(session: Session, *, table: VpcRouteTable) -> None:
    """Delete a custom table with its routes and tags (see `check_deletable`)."""
    check_deletable(session, table=table)
    for route_id in session.scalars(
        select(StaticRoute.id).where(StaticRoute.route_table_id == table.id)
    ):
        tags.remove_tags_of(session, resource_type="StaticRoute", resource_id=route_id)
    session.execute(delete(StaticRoute).where(StaticRoute.route_table_id == table.id))
    session.execute(
        update(Network).where(Network.route_table_id == table.id).values(route_table_id=None)
    )
    tags.remove_tags_of(session, resource_type="RouteTable", resource_id=table.id)
    session.delete(table)
    session.flush()


def check_associable(session: Session, *, network: Network, table: VpcRouteTable) -> None:
    """431 unless `network` is a live tier of the table's VPC and that VPC is Enabled."""
    if network.vpc_id != table.vpc_id or network.removed is not None:
        raise InvalidParameterValue(
            f"Network {network.uuid} is not a tier of the VPC of route table {table.uuid}"
        )
    vpc = session.get(Vpc, table.vpc_id)
    assert vpc is not None
    check_enabled(vpc)


def associate(session: Session, *, network: Network, table: VpcRouteTable) -> None:
    """Make tier `network` use `table` of its own VPC (the main table: no table of its
    own); see `check_associable`."""
    check_associable(session, network=network, table=table)
    network.route_table_id = None if table.is_main else table.id
    session.flush()


def set_association(session: Session, *, network_id: int, table_id: int | None) -> None:
    """Put a tier back on table `table_id` (None: the main table), undoing an association."""
    session.execute(update(Network).where(Network.id == network_id).values(route_table_id=table_id))
