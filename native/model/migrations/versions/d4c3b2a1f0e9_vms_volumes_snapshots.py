"""VMs, volumes and snapshots

Revision ID: d4c3b2a1f0e9
Revises: c0e3a1b2d4f5
Create Date: 2026-11-23 01:23:41.738765
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import native.model.base

revision = "d4c3b2a1f0e9"
down_revision = "c0e3a1b2d4f5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vm_instance",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("instance_name", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("update_count", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pod_id", sa.Integer(), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("last_host_id", sa.Integer(), nullable=True),
        sa.Column("service_offering_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("iso_id", sa.Integer(), nullable=True),
        sa.Column("guest_os_id", sa.Integer(), nullable=True),
        sa.Column("hypervisor_type", sa.String(length=32), nullable=False),
        sa.Column("cpu_number", sa.Integer(), nullable=False),
        sa.Column("cpu_speed", sa.Integer(), nullable=False),
        sa.Column("memory", sa.Integer(), nullable=False),
        sa.Column("ha_enabled", sa.Boolean(), nullable=False),
        sa.Column("user_data", sa.Text(), nullable=True),
        sa.Column("keypairs", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("display_vm", sa.Boolean(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("power_state", sa.String(length=16), nullable=False),
        sa.Column("last_updated", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vm_instance_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_vm_instance_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["guest_os_id"], ["guest_os.id"], name=op.f("fk_vm_instance_guest_os_id_guest_os")
        ),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name=op.f("fk_vm_instance_host_id_host")),
        sa.ForeignKeyConstraint(
            ["iso_id"], ["template.id"], name=op.f("fk_vm_instance_iso_id_template")
        ),
        sa.ForeignKeyConstraint(
            ["last_host_id"], ["host.id"], name=op.f("fk_vm_instance_last_host_id_host")
        ),
        sa.ForeignKeyConstraint(["pod_id"], ["pod.id"], name=op.f("fk_vm_instance_pod_id_pod")),
        sa.ForeignKeyConstraint(
            ["service_offering_id"],
            ["service_offering.id"],
            name=op.f("fk_vm_instance_service_offering_id_service_offering"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["template.id"], name=op.f("fk_vm_instance_template_id_template")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_vm_instance_user_id_user")),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_vm_instance_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vm_instance")),
        sa.UniqueConstraint("instance_name", name=op.f("uq_vm_instance_instance_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vm_instance_uuid")),
    )
    with op.batch_alter_table("vm_instance", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vm_instance_account_id_state", ["account_id", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vm_instance_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index("ix_vm_instance_host_id_state", ["host_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_vm_instance_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_vm_instance_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vm_instance_template_id"), ["template_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vm_instance_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "affinity_group_vm",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["affinity_group.id"],
            name=op.f("fk_affinity_group_vm_group_id_affinity_group"),
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_affinity_group_vm_vm_id_vm_instance")
        ),
        sa.PrimaryKeyConstraint("group_id", "vm_id", name=op.f("pk_affinity_group_vm")),
    )
    with op.batch_alter_table("affinity_group_vm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_affinity_group_vm_vm_id"), ["vm_id"], unique=False)

    op.create_table(
        "vm_snapshot",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("snapshot_type", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("driver_ref", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vm_snapshot_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_vm_snapshot_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["vm_snapshot.id"], name=op.f("fk_vm_snapshot_parent_id_vm_snapshot")
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_vm_snapshot_vm_id_vm_instance")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_vm_snapshot_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vm_snapshot")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vm_snapshot_uuid")),
    )
    with op.batch_alter_table("vm_snapshot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vm_snapshot_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vm_snapshot_vm_id"), ["vm_id"], unique=False)

    op.create_table(
        "volume",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("volume_type", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("vm_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("disk_offering_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=True),
        sa.Column("provisioning_type", sa.String(length=16), nullable=False),
        sa.Column("min_iops", sa.BigInteger(), nullable=True),
        sa.Column("max_iops", sa.BigInteger(), nullable=True),
        sa.Column("attached", native.model.base.UTCDateTime(), nullable=True),
        sa.Column("display_volume", sa.Boolean(), nullable=False),
        sa.Column("update_count", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_volume_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["disk_offering_id"],
            ["disk_offering.id"],
            name=op.f("fk_volume_disk_offering_id_disk_offering"),
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_volume_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["storage_pool.id"], name=op.f("fk_volume_pool_id_storage_pool")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["template.id"], name=op.f("fk_volume_template_id_template")
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_volume_vm_id_vm_instance")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_volume_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume")),
        sa.UniqueConstraint("uuid", name=op.f("uq_volume_uuid")),
        sa.UniqueConstraint("vm_id", "device_id", name=op.f("uq_volume_vm_id_device_id")),
    )
    with op.batch_alter_table("volume", schema=None) as batch_op:
        batch_op.create_index("ix_volume_account_id_state", ["account_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_volume_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volume_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_volume_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_volume_vm_id"), ["vm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volume_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "snapshot_policy",
        sa.Column("volume_id", sa.Integer(), nullable=False),
        sa.Column("interval_type", sa.String(length=16), nullable=False),
        sa.Column("schedule", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("max_snaps", sa.Integer(), nullable=False),
        sa.Column("next_run", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["volume_id"], ["volume.id"], name=op.f("fk_snapshot_policy_volume_id_volume")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot_policy")),
        sa.UniqueConstraint("uuid", name=op.f("uq_snapshot_policy_uuid")),
    )
    with op.batch_alter_table("snapshot_policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snapshot_policy_next_run"), ["next_run"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_snapshot_policy_volume_id"), ["volume_id"], unique=False
        )

    op.create_table(
        "snapshot",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("snapshot_type", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("volume_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("physical_size", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("install_path", sa.String(length=1024), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_snapshot_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_snapshot_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["snapshot_policy.id"],
            name=op.f("fk_snapshot_policy_id_snapshot_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["image_store.id"], name=op.f("fk_snapshot_store_id_image_store")
        ),
        sa.ForeignKeyConstraint(
            ["volume_id"], ["volume.id"], name=op.f("fk_snapshot_volume_id_volume")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_snapshot_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot")),
        sa.UniqueConstraint("uuid", name=op.f("uq_snapshot_uuid")),
    )
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snapshot_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshot_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshot_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshot_volume_id"), ["volume_id"], unique=False)


def downgrade() -> None:
    op.drop_table("snapshot")
    op.drop_table("snapshot_policy")
    op.drop_table("volume")
    op.drop_table("vm_snapshot")
    op.drop_table("affinity_group_vm")
    op.drop_table("vm_instance")
