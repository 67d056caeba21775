"""AWS ids of native resources: the table, and an id for every resource that already exists

Revision ID: b9c8d7e6f5a4
Revises: a8b7c6d5e4f3
Create Date: 2026-11-23 06:28:35.809791
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "b9c8d7e6f5a4"
down_revision = "a8b7c6d5e4f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _aws_ids()
    _compute_and_storage_columns()
    _network_columns()
    _internet_gateways()
    _backfill()


def _aws_ids() -> None:
    op.create_table(
        "aws_id",
        sa.Column("aws_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("aws_id", name=op.f("pk_aws_id")),
        sa.UniqueConstraint("kind", "uuid", name=op.f("uq_aws_id_kind_uuid")),
    )
    with op.batch_alter_table("aws_id", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aws_id_uuid"), ["uuid"], unique=False)


def _compute_and_storage_columns() -> None:
    with op.batch_alter_table("vm_instance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delete_protection", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("volume", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("device_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("resized", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resized_from", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("resized_from_offering_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("ssh_keypair", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "created",
                sa.DateTime(),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column("private_key_fingerprint", sa.String(length=128), nullable=True)
        )


def _network_columns() -> None:
    with op.batch_alter_table("security_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vpc_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_security_group_vpc_id"), ["vpc_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_security_group_vpc_id_vpc"), "vpc", ["vpc_id"], ["id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_security_group_account_id_vpc_id_name"), ["account_id", "vpc_id", "name"]
        )
        batch_op.drop_constraint("uq_security_group_account_id_name", type_="unique")
    with op.batch_alter_table("security_group_rule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.String(length=255), nullable=True))
    with op.batch_alter_table("vpc", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dns_support", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("dns_hostnames", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "address_usage_metrics", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("map_public_ip_on_launch", sa.Boolean(), nullable=True))
    with op.batch_alter_table("public_ip_address", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_portable", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("static_nat_uuid", sa.String(length=40), nullable=True))


def _internet_gateways() -> None:
    op.create_table(
        "internet_gateway",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_internet_gateway_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_internet_gateway_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["vpc_id"], ["vpc.id"], name=op.f("fk_internet_gateway_vpc_id_vpc")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internet_gateway")),
        sa.UniqueConstraint("uuid", name=op.f("uq_internet_gateway_uuid")),
    )
    with op.batch_alter_table("internet_gateway", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_internet_gateway_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_internet_gateway_vpc_id"), ["vpc_id"], unique=True)


EXISTING = {
    "instance": ("i", "vm_instance"),
    "volume": ("vol", "volume"),
    "snapshot": ("snap", "snapshot"),
    "image": ("ami", "template"),
    "key-pair": ("key", "ssh_keypair"),
    "security-group": ("sg", "security_group"),
    "security-group-rule": ("sgr", "security_group_rule"),
    "vpc": ("vpc", "vpc"),
    "subnet": ("subnet", "network"),
    "network-interface": ("eni", "nic"),
    "network-acl": ("acl", "network_acl"),
    "elastic-ip": ("eipalloc", "public_ip_address"),
    "route-table": ("rtb", "vpc"),
    "internet-gateway": ("igw", "internet_gateway"),
    "dhcp-options": ("dopt", "vpc"),
}


def _backfill() -> None:
    bind = op.get_bind()
    aws_id = sa.table("aws_id", sa.column("aws_id"), sa.column("kind"), sa.column("uuid"))
    for kind, (prefix, table) in EXISTING.items():
        source = sa.table(table, sa.column("uuid", sa.String))
        uuids: list[str] = list(bind.execute(sa.select(source.c.uuid)).scalars())
        rows = [
            {"aws_id": f"{prefix}-{secrets.token_hex(9)[:17]}", "kind": kind, "uuid": uuid}
            for uuid in uuids
        ]
        if rows:
            bind.execute(sa.insert(aws_id), rows)
    accounts = sa.table("account", sa.column("uuid", sa.String))
    account_uuids: list[str] = list(bind.execute(sa.select(accounts.c.uuid)).scalars())
    numbers = [
        {"aws_id": _account_number(uuid), "kind": "account", "uuid": uuid} for uuid in account_uuids
    ]
    if numbers:
        bind.execute(sa.insert(aws_id), numbers)


def _account_number(uuid: str) -> str:
    return f"{int(uuid.replace('-', ''), 16) % 10**12:012d}"


def downgrade() -> None:
    with op.batch_alter_table("security_group_rule", schema=None) as batch_op:
        batch_op.drop_column("description")
    op.drop_table("internet_gateway")
    with op.batch_alter_table("public_ip_address", schema=None) as batch_op:
        batch_op.drop_column("static_nat_uuid")
        batch_op.drop_column("is_portable")
    with op.batch_alter_table("vm_instance", schema=None) as batch_op:
        batch_op.drop_column("delete_protection")
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("map_public_ip_on_launch")
    with op.batch_alter_table("vpc", schema=None) as batch_op:
        batch_op.drop_column("address_usage_metrics")
        batch_op.drop_column("dns_hostnames")
        batch_op.drop_column("dns_support")
    with op.batch_alter_table("ssh_keypair", schema=None) as batch_op:
        batch_op.drop_column("private_key_fingerprint")
        batch_op.drop_column("created")
    with op.batch_alter_table("security_group", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_security_group_account_id_name"), ["account_id", "name"]
        )
        batch_op.drop_constraint("uq_security_group_account_id_vpc_id_name", type_="unique")
        batch_op.drop_constraint("fk_security_group_vpc_id_vpc", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_security_group_vpc_id"))
        batch_op.drop_column("vpc_id")
    with op.batch_alter_table("volume", schema=None) as batch_op:
        batch_op.drop_column("resized_from_offering_id")
        batch_op.drop_column("resized_from")
        batch_op.drop_column("resized")
        batch_op.drop_column("device_name")
        batch_op.drop_column("snapshot_id")
    op.drop_table("aws_id")
