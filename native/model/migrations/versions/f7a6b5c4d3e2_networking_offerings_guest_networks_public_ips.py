"""Networking: physical networks, offerings, VPCs, guest networks, NICs, routers, public IPs

Revision ID: f7a6b5c4d3e2
Revises: e6b5a4c3d2f1
Create Date: 2026-11-23 04:06:37.024613
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import native.model.base

revision = "f7a6b5c4d3e2"
down_revision = "e6b5a4c3d2f1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_offering",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("unique_name", sa.String(length=255), nullable=True),
        sa.Column("display_text", sa.String(length=4096), nullable=False),
        sa.Column("guest_ip_type", sa.String(length=16), nullable=False),
        sa.Column("traffic_type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("specify_vlan", sa.Boolean(), nullable=False),
        sa.Column("specify_ip_ranges", sa.Boolean(), nullable=False),
        sa.Column("conserve_mode", sa.Boolean(), nullable=False),
        sa.Column("egress_default_allow", sa.Boolean(), nullable=False),
        sa.Column("for_vpc", sa.Boolean(), nullable=False),
        sa.Column("persistent", sa.Boolean(), nullable=False),
        sa.Column("availability", sa.String(length=16), nullable=False),
        sa.Column("tags", sa.String(length=255), nullable=True),
        sa.Column("network_rate", sa.Integer(), nullable=True),
        sa.Column("max_connections", sa.Integer(), nullable=True),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("capabilities", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_offering")),
        sa.UniqueConstraint("unique_name", name=op.f("uq_network_offering_unique_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_network_offering_uuid")),
    )
    with op.batch_alter_table("network_offering", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_offering_name"), ["name"], unique=False)
    op.create_table(
        "vpc_offering",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("unique_name", sa.String(length=255), nullable=True),
        sa.Column("display_text", sa.String(length=4096), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("capabilities", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpc_offering")),
        sa.UniqueConstraint("unique_name", name=op.f("uq_vpc_offering_unique_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpc_offering_uuid")),
    )
    with op.batch_alter_table("vpc_offering", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vpc_offering_name"), ["name"], unique=False)
    op.create_table(
        "physical_network",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.Column("vlan", sa.String(length=1024), nullable=True),
        sa.Column("isolation_methods", sa.String(length=255), nullable=False),
        sa.Column("broadcast_domain_range", sa.String(length=32), nullable=False),
        sa.Column("network_speed", sa.String(length=32), nullable=True),
        sa.Column("tags", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_physical_network_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_physical_network_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physical_network")),
        sa.UniqueConstraint("uuid", name=op.f("uq_physical_network_uuid")),
    )
    with op.batch_alter_table("physical_network", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_physical_network_zone_id"), ["zone_id"], unique=False)
    op.create_table(
        "vpc",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("vpc_offering_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("network_domain", sa.String(length=255), nullable=True),
        sa.Column("dns1", sa.String(length=64), nullable=True),
        sa.Column("dns2", sa.String(length=64), nullable=True),
        sa.Column("restart_required", sa.Boolean(), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vpc_account_id_account")
        ),
        sa.ForeignKeyConstraint(["domain_id"], ["domain.id"], name=op.f("fk_vpc_domain_id_domain")),
        sa.ForeignKeyConstraint(
            ["vpc_offering_id"],
            ["vpc_offering.id"],
            name=op.f("fk_vpc_vpc_offering_id_vpc_offering"),
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_vpc_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpc")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpc_uuid")),
    )
    with op.batch_alter_table("vpc", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vpc_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vpc_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vpc_zone_id"), ["zone_id"], unique=False)
    op.create_table(
        "network_acl",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name=op.f("fk_network_acl_vpc_id_vpc")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_acl")),
        sa.UniqueConstraint("uuid", name=op.f("uq_network_acl_uuid")),
    )
    with op.batch_alter_table("network_acl", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_acl_vpc_id"), ["vpc_id"], unique=False)
    op.create_table(
        "physical_network_service_provider",
        sa.Column("physical_network_id", sa.Integer(), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["physical_network_id"],
            ["physical_network.id"],
            name=op.f("fk_physical_network_service_provider_physical_network_id_physical_network"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physical_network_service_provider")),
        sa.UniqueConstraint(
            "physical_network_id",
            "provider_name",
            name=op.f("uq_physical_network_service_provider_physical_network_id_provider_name"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_physical_network_service_provider_uuid")),
    )
    op.create_table(
        "physical_network_traffic_type",
        sa.Column("physical_network_id", sa.Integer(), nullable=False),
        sa.Column("traffic_type", sa.String(length=32), nullable=False),
        sa.Column("kvm_label", sa.String(length=255), nullable=True),
        sa.Column("vlan", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["physical_network_id"],
            ["physical_network.id"],
            name=op.f("fk_physical_network_traffic_type_physical_network_id_physical_network"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physical_network_traffic_type")),
        sa.UniqueConstraint(
            "physical_network_id",
            "traffic_type",
            name=op.f("uq_physical_network_traffic_type_physical_network_id_traffic_type"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_physical_network_traffic_type_uuid")),
    )
    op.create_table(
        "network",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("physical_network_id", sa.Integer(), nullable=True),
        sa.Column("network_offering_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("acl_type", sa.String(length=16), nullable=False),
        sa.Column("guest_type", sa.String(length=16), nullable=False),
        sa.Column("traffic_type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("update_count", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=True),
        sa.Column("gateway", sa.String(length=64), nullable=True),
        sa.Column("netmask", sa.String(length=64), nullable=True),
        sa.Column("ip_start", sa.String(length=64), nullable=True),
        sa.Column("ip_end", sa.String(length=64), nullable=True),
        sa.Column("dns1", sa.String(length=64), nullable=True),
        sa.Column("dns2", sa.String(length=64), nullable=True),
        sa.Column("network_domain", sa.String(length=255), nullable=True),
        sa.Column("vlan", sa.Integer(), nullable=True),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("acl_id", sa.Integer(), nullable=True),
        sa.Column("restart_required", sa.Boolean(), nullable=False),
        sa.Column("display_network", sa.Boolean(), nullable=False),
        sa.Column("specify_ip_ranges", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_network_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["acl_id"], ["network_acl.id"], name=op.f("fk_network_acl_id_network_acl")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_network_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["network_offering_id"],
            ["network_offering.id"],
            name=op.f("fk_network_network_offering_id_network_offering"),
        ),
        sa.ForeignKeyConstraint(
            ["physical_network_id"],
            ["physical_network.id"],
            name=op.f("fk_network_physical_network_id_physical_network"),
        ),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name=op.f("fk_network_vpc_id_vpc")),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_network_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network")),
        sa.UniqueConstraint("uuid", name=op.f("uq_network_uuid")),
    )
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.create_index(
            "ix_network_account_id_zone_id", ["account_id", "zone_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_network_domain_id"), ["domain_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_network_vpc_id"), ["vpc_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_network_zone_id"), ["zone_id"], unique=False)
    op.create_table(
        "guest_vlan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("physical_network_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("vnet", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("taken", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_guest_vlan_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_guest_vlan_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["physical_network_id"],
            ["physical_network.id"],
            name=op.f("fk_guest_vlan_physical_network_id_physical_network"),
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_guest_vlan_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_vlan")),
        sa.UniqueConstraint(
            "physical_network_id", "vnet", name=op.f("uq_guest_vlan_physical_network_id_vnet")
        ),
    )
    with op.batch_alter_table("guest_vlan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guest_vlan_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guest_vlan_zone_id"), ["zone_id"], unique=False)
    op.create_table(
        "public_ip_range",
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("physical_network_id", sa.Integer(), nullable=True),
        sa.Column("pod_id", sa.Integer(), nullable=True),
        sa.Column("vlan_tag", sa.String(length=64), nullable=False),
        sa.Column("gateway", sa.String(length=64), nullable=False),
        sa.Column("netmask", sa.String(length=64), nullable=False),
        sa.Column("start_ip", sa.String(length=64), nullable=False),
        sa.Column("end_ip", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("for_virtual_network", sa.Boolean(), nullable=False),
        sa.Column("for_system_vms", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_public_ip_range_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_public_ip_range_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_public_ip_range_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["physical_network_id"],
            ["physical_network.id"],
            name=op.f("fk_public_ip_range_physical_network_id_physical_network"),
        ),
        sa.ForeignKeyConstraint(["pod_id"], ["pod.id"], name=op.f("fk_public_ip_range_pod_id_pod")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_public_ip_range_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_ip_range")),
        sa.UniqueConstraint("uuid", name=op.f("uq_public_ip_range_uuid")),
    )
    with op.batch_alter_table("public_ip_range", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_ip_range_zone_id"), ["zone_id"], unique=False)
    op.create_table(
        "virtual_router",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("applied_generation", sa.Integer(), nullable=False),
        sa.Column("apply_error", sa.Text(), nullable=True),
        sa.Column("applied", native.model.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_virtual_router_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_virtual_router_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_virtual_router_network_id_network")
        ),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name=op.f("fk_virtual_router_vpc_id_vpc")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_virtual_router_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_virtual_router")),
        sa.UniqueConstraint("name", name=op.f("uq_virtual_router_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_virtual_router_uuid")),
    )
    with op.batch_alter_table("virtual_router", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_virtual_router_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_virtual_router_vpc_id"), ["vpc_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_virtual_router_zone_id"), ["zone_id"], unique=False)
    op.create_table(
        "nic",
        sa.Column("vm_id", sa.Integer(), nullable=True),
        sa.Column("router_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("ip4_address", sa.String(length=64), nullable=True),
        sa.Column("mac_address", sa.String(length=17), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_nic_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["router_id"], ["virtual_router.id"], name=op.f("fk_nic_router_id_virtual_router")
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_nic_vm_id_vm_instance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nic")),
        sa.UniqueConstraint("mac_address", name=op.f("uq_nic_mac_address")),
        sa.UniqueConstraint(
            "network_id", "ip4_address", name=op.f("uq_nic_network_id_ip4_address")
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_nic_uuid")),
    )
    with op.batch_alter_table("nic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nic_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nic_router_id"), ["router_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nic_vm_id"), ["vm_id"], unique=False)
    op.create_table(
        "public_ip_address",
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("range_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("update_count", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.Column("allocated", native.model.base.UTCDateTime(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("is_source_nat", sa.Boolean(), nullable=False),
        sa.Column("is_static_nat", sa.Boolean(), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=True),
        sa.Column("vm_ip", sa.String(length=64), nullable=True),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("for_display", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_public_ip_address_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_public_ip_address_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_public_ip_address_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["range_id"],
            ["public_ip_range.id"],
            name=op.f("fk_public_ip_address_range_id_public_ip_range"),
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_public_ip_address_vm_id_vm_instance")
        ),
        sa.ForeignKeyConstraint(
            ["vpc_id"], ["vpc.id"], name=op.f("fk_public_ip_address_vpc_id_vpc")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_public_ip_address_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_ip_address")),
        sa.UniqueConstraint("uuid", name=op.f("uq_public_ip_address_uuid")),
        sa.UniqueConstraint(
            "zone_id", "address", name=op.f("uq_public_ip_address_zone_id_address")
        ),
    )
    with op.batch_alter_table("public_ip_address", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_ip_address_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_public_ip_address_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_public_ip_address_range_id"), ["range_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_public_ip_address_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_public_ip_address_vpc_id"), ["vpc_id"], unique=False)


def downgrade() -> None:
    op.drop_table("public_ip_address")
    op.drop_table("nic")
    op.drop_table("virtual_router")
    op.drop_table("public_ip_range")
    op.drop_table("guest_vlan")
    op.drop_table("network")
    op.drop_table("physical_network_traffic_type")
    op.drop_table("physical_network_service_provider")
    op.drop_table("network_acl")
    op.drop_table("vpc")
    op.drop_table("physical_network")
    op.drop_table("vpc_offering")
    op.drop_table("network_offering")
