"""VPC route tables: a main table per VPC, tiers associated with a table, static routes in
a table and to internet gateways, and `rtbassoc-` ids of tiers.

Existing VPCs get their main table, their static routes move into it, and the `rtb-` id
each VPC had (kind `route-table`, keyed by the VPC's uuid) moves to that table, so no
route table id changes.

Revision ID: c5d6e7f8a9b0
Revises: b9c8d7e6f5a4
Create Date: 2026-11-23 11:10:00
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid as uuidlib

import sqlalchemy as sa
from alembic import op

revision = "c5d6e7f8a9b0"
down_revision = "b9c8d7e6f5a4"
branch_labels = None
depends_on = None

MAIN_TABLE_NAME = "main"

_vpc = sa.table(
    "vpc",
    sa.column("id", sa.Integer),
    sa.column("uuid", sa.String),
    sa.column("account_id", sa.Integer),
    sa.column("domain_id", sa.Integer),
    sa.column("created", sa.DateTime),
)
_table = sa.table(
    "vpc_route_table",
    sa.column("id", sa.Integer),
    sa.column("uuid", sa.String),
    sa.column("name", sa.String),
    sa.column("vpc_id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("domain_id", sa.Integer),
    sa.column("is_main", sa.Boolean),
    sa.column("created", sa.DateTime),
)
_route = sa.table(
    "static_route",
    sa.column("vpc_id", sa.Integer),
    sa.column("route_table_id", sa.Integer),
    sa.column("internet_gateway_id", sa.Integer),
)
_tag = sa.table("resource_tag", sa.column("resource_type", sa.String))
_network = sa.table("network", sa.column("uuid", sa.String))
_aws_id = sa.table(
    "aws_id", sa.column("aws_id", sa.String), sa.column("kind", sa.String), sa.column("uuid")
)


def upgrade() -> None:
    op.create_table(
        "vpc_route_table",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("vpc_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("is_main", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vpc_route_table_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_vpc_route_table_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name=op.f("fk_vpc_route_table_vpc_id_vpc")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpc_route_table")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpc_route_table_uuid")),
    )
    with op.batch_alter_table("vpc_route_table", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vpc_route_table_account_id"), ["account_id"])
        batch_op.create_index(batch_op.f("ix_vpc_route_table_vpc_id"), ["vpc_id"])
    _main_tables()
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route_table_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_network_route_table_id"), ["route_table_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_network_route_table_id_vpc_route_table"),
            "vpc_route_table",
            ["route_table_id"],
            ["id"],
        )
    with op.batch_alter_table("static_route", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route_table_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("internet_gateway_id", sa.Integer(), nullable=True))
    op.get_bind().execute(
        _route.update().values(
            route_table_id=sa.select(_table.c.id)
            .where(_table.c.vpc_id == _route.c.vpc_id, _table.c.is_main.is_(True))
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("static_route", schema=None) as batch_op:
        batch_op.alter_column("route_table_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_static_route_route_table_id"), ["route_table_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_static_route_route_table_id_vpc_route_table"),
            "vpc_route_table",
            ["route_table_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_static_route_internet_gateway_id_internet_gateway"),
            "internet_gateway",
            ["internet_gateway_id"],
            ["id"],
        )
    _association_ids()


def _main_tables() -> None:
    """A main table per VPC, and the VPC's `rtb-` id moved onto it."""
    bind = op.get_bind()
    vpcs = bind.execute(
        sa.select(_vpc.c.id, _vpc.c.uuid, _vpc.c.account_id, _vpc.c.domain_id, _vpc.c.created)
    ).all()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for vpc in vpcs:
        table_uuid = str(uuidlib.uuid4())
        bind.execute(
            _table.insert().values(
                uuid=table_uuid,
                name=MAIN_TABLE_NAME,
                vpc_id=vpc.id,
                account_id=vpc.account_id,
                domain_id=vpc.domain_id,
                is_main=True,
                created=vpc.created or now,
            )
        )
        bind.execute(
            _aws_id.update()
            .where(_aws_id.c.kind == "route-table", _aws_id.c.uuid == vpc.uuid)
            .values(uuid=table_uuid)
        )


def _association_ids() -> None:
    """A `rtbassoc-` id for every existing network (new ones get theirs on insert)."""
    bind = op.get_bind()
    uuids: list[str] = list(bind.execute(sa.select(_network.c.uuid)).scalars())
    rows = [
        {
            "aws_id": f"rtbassoc-{secrets.token_hex(9)[:17]}",
            "kind": "route-table-association",
            "uuid": uuid,
        }
        for uuid in uuids
    ]
    if rows:
        bind.execute(sa.insert(_aws_id), rows)


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(_aws_id.delete().where(_aws_id.c.kind == "route-table-association"))
    mains = bind.execute(
        sa.select(_table.c.uuid, _vpc.c.uuid.label("vpc_uuid"))
        .join(_vpc, _vpc.c.id == _table.c.vpc_id)
        .where(_table.c.is_main.is_(True))
    ).all()
    for main in mains:
        bind.execute(
            _aws_id.update()
            .where(_aws_id.c.kind == "route-table", _aws_id.c.uuid == main.uuid)
            .values(uuid=main.vpc_uuid)
        )
    custom = sa.select(_table.c.uuid).where(_table.c.is_main.is_(False))
    bind.execute(
        _aws_id.delete().where(_aws_id.c.kind == "route-table", _aws_id.c.uuid.in_(custom))
    )
    bind.execute(
        _route.delete().where(
            _route.c.route_table_id.in_(sa.select(_table.c.id).where(_table.c.is_main.is_(False)))
            | _route.c.internet_gateway_id.is_not(None)
        )
    )
    bind.execute(_tag.delete().where(_tag.c.resource_type == "RouteTable"))
    with op.batch_alter_table("static_route", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_static_route_internet_gateway_id_internet_gateway"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_static_route_route_table_id_vpc_route_table"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_static_route_route_table_id"))
        batch_op.drop_column("internet_gateway_id")
        batch_op.drop_column("route_table_id")
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_network_route_table_id_vpc_route_table"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_network_route_table_id"))
        batch_op.drop_column("route_table_id")
    op.drop_table("vpc_route_table")
