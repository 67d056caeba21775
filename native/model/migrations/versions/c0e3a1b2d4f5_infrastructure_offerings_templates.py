"""infrastructure, offerings, templates, limits and tags

Revision ID: c0e3a1b2d4f5
Revises: adddd43d11dd
Create Date: 2026-11-23 01:23:41.738765
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import native.model.base

revision = "c0e3a1b2d4f5"
down_revision = "adddd43d11dd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guest_os_category",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_os_category")),
        sa.UniqueConstraint("name", name=op.f("uq_guest_os_category_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_guest_os_category_uuid")),
    )
    op.create_table(
        "resource_count",
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_count")),
        sa.UniqueConstraint(
            "owner_type",
            "owner_id",
            "resource_type",
            name=op.f("uq_resource_count_owner_type_owner_id_resource_type"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_resource_count_uuid")),
    )
    op.create_table(
        "resource_limit",
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("max", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_limit")),
        sa.UniqueConstraint(
            "owner_type",
            "owner_id",
            "resource_type",
            name=op.f("uq_resource_limit_owner_type_owner_id_resource_type"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_resource_limit_uuid")),
    )
    op.create_table(
        "task_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_run", native.model.base.UTCDateTime(), nullable=True),
        sa.Column("owner_msid", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_task_lease")),
    )
    op.create_table(
        "guest_os",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("is_user_defined", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["guest_os_category.id"],
            name=op.f("fk_guest_os_category_id_guest_os_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_os")),
        sa.UniqueConstraint("description", name=op.f("uq_guest_os_description")),
        sa.UniqueConstraint("uuid", name=op.f("uq_guest_os_uuid")),
    )
    op.create_table(
        "zone",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("network_type", sa.String(length=16), nullable=False),
        sa.Column("dns1", sa.String(length=64), nullable=True),
        sa.Column("dns2", sa.String(length=64), nullable=True),
        sa.Column("internal_dns1", sa.String(length=64), nullable=True),
        sa.Column("internal_dns2", sa.String(length=64), nullable=True),
        sa.Column("guest_cidr", sa.String(length=64), nullable=True),
        sa.Column("network_domain", sa.String(length=255), nullable=True),
        sa.Column("allocation_state", sa.String(length=16), nullable=False),
        sa.Column("local_storage_enabled", sa.Boolean(), nullable=False),
        sa.Column("security_group_enabled", sa.Boolean(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.Column("aws_name", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_zone_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone")),
        sa.UniqueConstraint("uuid", name=op.f("uq_zone_uuid")),
    )
    with op.batch_alter_table("zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zone_name"), ["name"], unique=False)

    op.create_table(
        "affinity_group",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("group_type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_affinity_group_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_affinity_group_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affinity_group")),
        sa.UniqueConstraint("uuid", name=op.f("uq_affinity_group_uuid")),
    )
    with op.batch_alter_table("affinity_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_affinity_group_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_affinity_group_domain_id"), ["domain_id"], unique=False
        )

    op.create_table(
        "disk_offering",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=4096), nullable=False),
        sa.Column("disk_size", sa.BigInteger(), nullable=False),
        sa.Column("is_customized", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.String(length=1024), nullable=True),
        sa.Column("storage_type", sa.String(length=16), nullable=False),
        sa.Column("provisioning_type", sa.String(length=16), nullable=False),
        sa.Column("min_iops", sa.BigInteger(), nullable=True),
        sa.Column("max_iops", sa.BigInteger(), nullable=True),
        sa.Column("customized_iops", sa.Boolean(), nullable=False),
        sa.Column("display_offering", sa.Boolean(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_disk_offering_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_disk_offering_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disk_offering")),
        sa.UniqueConstraint("uuid", name=op.f("uq_disk_offering_uuid")),
    )
    with op.batch_alter_table("disk_offering", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disk_offering_name"), ["name"], unique=False)

    op.create_table(
        "image_store",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("capacity_bytes", sa.BigInteger(), nullable=False),
        sa.Column("used_bytes", sa.BigInteger(), nullable=False),
        sa.Column("readonly", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_image_store_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_store")),
        sa.UniqueConstraint("uuid", name=op.f("uq_image_store_uuid")),
    )
    with op.batch_alter_table("image_store", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_store_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "pod",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=64), nullable=True),
        sa.Column("netmask", sa.String(length=64), nullable=True),
        sa.Column("start_ip", sa.String(length=64), nullable=True),
        sa.Column("end_ip", sa.String(length=64), nullable=True),
        sa.Column("allocation_state", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_pod_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pod")),
        sa.UniqueConstraint("uuid", name=op.f("uq_pod_uuid")),
    )
    with op.batch_alter_table("pod", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pod_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "resource_tag",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("resource_uuid", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_resource_tag_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_resource_tag_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_tag")),
        sa.UniqueConstraint(
            "resource_type",
            "resource_id",
            "key",
            name=op.f("uq_resource_tag_resource_type_resource_id_key"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_resource_tag_uuid")),
    )
    with op.batch_alter_table("resource_tag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resource_tag_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_resource_tag_key_value", ["key", "value"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_tag_resource_uuid"), ["resource_uuid"], unique=False
        )

    op.create_table(
        "service_offering",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=4096), nullable=False),
        sa.Column("cpu_number", sa.Integer(), nullable=True),
        sa.Column("cpu_speed", sa.Integer(), nullable=True),
        sa.Column("memory", sa.Integer(), nullable=True),
        sa.Column("is_customized", sa.Boolean(), nullable=False),
        sa.Column("min_cpu_number", sa.Integer(), nullable=True),
        sa.Column("max_cpu_number", sa.Integer(), nullable=True),
        sa.Column("min_memory", sa.Integer(), nullable=True),
        sa.Column("max_memory", sa.Integer(), nullable=True),
        sa.Column("host_tags", sa.String(length=1024), nullable=True),
        sa.Column("storage_tags", sa.String(length=1024), nullable=True),
        sa.Column("offer_ha", sa.Boolean(), nullable=False),
        sa.Column("limit_cpu_use", sa.Boolean(), nullable=False),
        sa.Column("is_volatile", sa.Boolean(), nullable=False),
        sa.Column("storage_type", sa.String(length=16), nullable=False),
        sa.Column("root_disk_size", sa.BigInteger(), nullable=True),
        sa.Column("provisioning_type", sa.String(length=16), nullable=False),
        sa.Column("deployment_planner", sa.String(length=64), nullable=True),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_service_offering_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_service_offering_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_offering")),
        sa.UniqueConstraint("uuid", name=op.f("uq_service_offering_uuid")),
    )
    with op.batch_alter_table("service_offering", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_offering_name"), ["name"], unique=False)

    op.create_table(
        "ssh_keypair",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_ssh_keypair_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_ssh_keypair_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssh_keypair")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_ssh_keypair_account_id_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_ssh_keypair_uuid")),
    )
    with op.batch_alter_table("ssh_keypair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ssh_keypair_domain_id"), ["domain_id"], unique=False)

    op.create_table(
        "template",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=4096), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("template_type", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("os_type_id", sa.Integer(), nullable=False),
        sa.Column("hypervisor_type", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("checksum", sa.String(length=255), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("is_featured", sa.Boolean(), nullable=False),
        sa.Column("is_extractable", sa.Boolean(), nullable=False),
        sa.Column("bootable", sa.Boolean(), nullable=False),
        sa.Column("password_enabled", sa.Boolean(), nullable=False),
        sa.Column("ssh_key_enabled", sa.Boolean(), nullable=False),
        sa.Column("is_dynamically_scalable", sa.Boolean(), nullable=False),
        sa.Column("cross_zones", sa.Boolean(), nullable=False),
        sa.Column("requires_hvm", sa.Boolean(), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("source_template_id", sa.Integer(), nullable=True),
        sa.Column("source_snapshot_id", sa.Integer(), nullable=True),
        sa.Column("source_volume_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_template_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_template_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["os_type_id"], ["guest_os.id"], name=op.f("fk_template_os_type_id_guest_os")
        ),
        sa.ForeignKeyConstraint(
            ["source_template_id"],
            ["template.id"],
            name=op.f("fk_template_source_template_id_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template")),
        sa.UniqueConstraint("uuid", name=op.f("uq_template_uuid")),
    )
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_template_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_template_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_template_format"), ["format"], unique=False)
        batch_op.create_index(batch_op.f("ix_template_is_public"), ["is_public"], unique=False)
        batch_op.create_index(batch_op.f("ix_template_name"), ["name"], unique=False)

    op.create_table(
        "user_data",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("user_data", sa.Text(), nullable=False),
        sa.Column("params", sa.String(length=4096), nullable=True),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_user_data_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_user_data_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_data")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_user_data_account_id_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_user_data_uuid")),
    )
    with op.batch_alter_table("user_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_data_domain_id"), ["domain_id"], unique=False)

    op.create_table(
        "cluster",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pod_id", sa.Integer(), nullable=False),
        sa.Column("hypervisor_type", sa.String(length=32), nullable=False),
        sa.Column("cluster_type", sa.String(length=32), nullable=False),
        sa.Column("allocation_state", sa.String(length=16), nullable=False),
        sa.Column("managed_state", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["pod_id"], ["pod.id"], name=op.f("fk_cluster_pod_id_pod")),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_cluster_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster")),
        sa.UniqueConstraint("uuid", name=op.f("uq_cluster_uuid")),
    )
    with op.batch_alter_table("cluster", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cluster_pod_id"), ["pod_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cluster_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "template_permission",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_template_permission_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["template.id"],
            name=op.f("fk_template_permission_template_id_template"),
        ),
        sa.PrimaryKeyConstraint("template_id", "account_id", name=op.f("pk_template_permission")),
    )
    op.create_table(
        "template_store",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("download_state", sa.String(length=32), nullable=False),
        sa.Column("download_percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=1024), nullable=True),
        sa.Column("install_path", sa.String(length=1024), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("physical_size", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("owner_msid", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["image_store.id"], name=op.f("fk_template_store_store_id_image_store")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["template.id"], name=op.f("fk_template_store_template_id_template")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_template_store_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_store")),
        sa.UniqueConstraint(
            "template_id", "store_id", name=op.f("uq_template_store_template_id_store_id")
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_template_store_uuid")),
    )
    with op.batch_alter_table("template_store", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_store_download_state"), ["download_state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_template_store_store_id"), ["store_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_template_store_template_id"), ["template_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_template_store_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "host",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("guid", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pod_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("host_type", sa.String(length=32), nullable=False),
        sa.Column("hypervisor_type", sa.String(length=32), nullable=False),
        sa.Column("hypervisor_version", sa.String(length=64), nullable=True),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("private_ip", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("resource_state", sa.String(length=32), nullable=False),
        sa.Column("cpu_sockets", sa.Integer(), nullable=False),
        sa.Column("cpu_number", sa.Integer(), nullable=False),
        sa.Column("cpu_speed", sa.Integer(), nullable=False),
        sa.Column("memory_total", sa.BigInteger(), nullable=False),
        sa.Column("cpu_used", sa.BigInteger(), nullable=False),
        sa.Column("memory_used", sa.BigInteger(), nullable=False),
        sa.Column("host_tags", sa.String(length=1024), nullable=True),
        sa.Column("capabilities", sa.String(length=1024), nullable=True),
        sa.Column("last_ping", native.model.base.UTCDateTime(), nullable=True),
        sa.Column("disconnected", native.model.base.UTCDateTime(), nullable=True),
        sa.Column("owner_msid", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_host_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(["pod_id"], ["pod.id"], name=op.f("fk_host_pod_id_pod")),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_host_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host")),
        sa.UniqueConstraint("guid", name=op.f("uq_host_guid")),
        sa.UniqueConstraint("uuid", name=op.f("uq_host_uuid")),
    )
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_host_cluster_id"), ["cluster_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_host_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_host_pod_id"), ["pod_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_host_resource_state"), ["resource_state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_host_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_host_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "storage_pool",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pod_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("pool_type", sa.String(length=32), nullable=False),
        sa.Column("host_address", sa.String(length=255), nullable=True),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("hypervisor_type", sa.String(length=32), nullable=True),
        sa.Column("capacity_bytes", sa.BigInteger(), nullable=False),
        sa.Column("used_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("tags", sa.String(length=1024), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_storage_pool_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(["pod_id"], ["pod.id"], name=op.f("fk_storage_pool_pod_id_pod")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_storage_pool_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_pool")),
        sa.UniqueConstraint("uuid", name=op.f("uq_storage_pool_uuid")),
    )
    with op.batch_alter_table("storage_pool", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storage_pool_zone_id"), ["zone_id"], unique=False)


def downgrade() -> None:
    op.drop_table("storage_pool")
    op.drop_table("host")
    op.drop_table("template_store")
    op.drop_table("template_permission")
    op.drop_table("cluster")
    op.drop_table("user_data")
    op.drop_table("template")
    op.drop_table("ssh_keypair")
    op.drop_table("service_offering")
    op.drop_table("resource_tag")
    op.drop_table("pod")
    op.drop_table("image_store")
    op.drop_table("disk_offering")
    op.drop_table("affinity_group")
    op.drop_table("zone")
    op.drop_table("guest_os")
    op.drop_table("task_lease")
    op.drop_table("resource_limit")
    op.drop_table("resource_count")
    op.drop_table("guest_os_category")
