"""DHCP options sets, and the set each VPC uses

Revision ID: d6e7f8a9b0c1
Revises: c5d6e7f8a9b0
Create Date: 2026-11-23 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import native.model.base

revision = "d6e7f8a9b0c1"
down_revision = "c5d6e7f8a9b0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dhcp_options_set",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("domain_name", sa.String(length=255), nullable=True),
        sa.Column("domain_name_servers", sa.String(length=255), nullable=True),
        sa.Column("ntp_servers", sa.String(length=255), nullable=True),
        sa.Column("netbios_name_servers", sa.String(length=255), nullable=True),
        sa.Column("netbios_node_type", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_dhcp_options_set_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_dhcp_options_set_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dhcp_options_set")),
        sa.UniqueConstraint("uuid", name=op.f("uq_dhcp_options_set_uuid")),
    )
    with op.batch_alter_table("dhcp_options_set", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dhcp_options_set_account_id"), ["account_id"], unique=False
        )
    with op.batch_alter_table("vpc", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dhcp_options_set_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_vpc_dhcp_options_set_id"), ["dhcp_options_set_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_vpc_dhcp_options_set_id_dhcp_options_set"),
            "dhcp_options_set",
            ["dhcp_options_set_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("vpc", schema=None) as batch_op:
        batch_op.drop_constraint("fk_vpc_dhcp_options_set_id_dhcp_options_set", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_vpc_dhcp_options_set_id"))
        batch_op.drop_column("dhcp_options_set_id")
    aws_id = sa.table("aws_id", sa.column("kind", sa.String))
    op.execute(sa.delete(aws_id).where(aws_id.c.kind == "dhcp-options-set"))
    op.drop_table("dhcp_options_set")
