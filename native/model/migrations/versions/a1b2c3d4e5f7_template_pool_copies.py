"""Templates' copies on primary storage pools (the bases of copy-on-write volumes)

Revision ID: a1b2c3d4e5f7
Revises: d6e7f8a9b0c1
Create Date: 2026-11-24 19:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d4e5f7"
down_revision = "d6e7f8a9b0c1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template_pool_copy",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["storage_pool.id"],
            name=op.f("fk_template_pool_copy_pool_id_storage_pool"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["template.id"],
            name=op.f("fk_template_pool_copy_template_id_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_pool_copy")),
        sa.UniqueConstraint(
            "template_id", "pool_id", name=op.f("uq_template_pool_copy_template_id_pool_id")
        ),
    )
    with op.batch_alter_table("template_pool_copy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_pool_copy_pool_id"), ["pool_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_template_pool_copy_template_id"), ["template_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("template_pool_copy")
