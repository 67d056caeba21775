"""Network rules, LB policies, ACL items, private gateways, static routes, VPNs, security groups

Revision ID: a8b7c6d5e4f3
Revises: f7a6b5c4d3e2
Create Date: 2026-11-23 04:06:37.024613
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import native.model.base

revision = "a8b7c6d5e4f3"
down_revision = "f7a6b5c4d3e2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_group",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_security_group_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_security_group_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_security_group_account_id_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_security_group_uuid")),
    )
    with op.batch_alter_table("security_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_group_domain_id"), ["domain_id"], unique=False
        )
    op.create_table(
        "vpn_customer_gateway",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("gateway", sa.String(length=64), nullable=False),
        sa.Column("cidr_list", sa.Text(), nullable=False),
        sa.Column("ipsec_psk", sa.Text(), nullable=False),
        sa.Column("ike_policy", sa.String(length=255), nullable=False),
        sa.Column("esp_policy", sa.String(length=255), nullable=False),
        sa.Column("ike_lifetime", sa.Integer(), nullable=False),
        sa.Column("esp_lifetime", sa.Integer(), nullable=False),
        sa.Column("dpd", sa.Boolean(), nullable=False),
        sa.Column("force_encap", sa.Boolean(), nullable=False),
        sa.Column("ike_version", sa.String(length=8), nullable=False),
        sa.Column("split_connections", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vpn_customer_gateway_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_vpn_customer_gateway_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpn_customer_gateway")),
        sa.UniqueConstraint(
            "account_id", "name", name=op.f("uq_vpn_customer_gateway_account_id_name")
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpn_customer_gateway_uuid")),
    )
    op.create_table(
        "vpn_user",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vpn_user_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_vpn_user_domain_id_domain")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpn_user")),
        sa.UniqueConstraint("account_id", "username", name=op.f("uq_vpn_user_account_id_username")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpn_user_uuid")),
    )
    op.create_table(
        "security_group_rule",
        sa.Column("security_group_id", sa.Integer(), nullable=False),
        sa.Column("rule_type", sa.String(length=8), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=True),
        sa.Column("end_port", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.Column("cidr", sa.String(length=64), nullable=True),
        sa.Column("allowed_group_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["allowed_group_id"],
            ["security_group.id"],
            name=op.f("fk_security_group_rule_allowed_group_id_security_group"),
        ),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["security_group.id"],
            name=op.f("fk_security_group_rule_security_group_id_security_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group_rule")),
        sa.UniqueConstraint("uuid", name=op.f("uq_security_group_rule_uuid")),
    )
    with op.batch_alter_table("security_group_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_group_rule_security_group_id"),
            ["security_group_id"],
            unique=False,
        )
    op.create_table(
        "network_acl_item",
        sa.Column("acl_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=True),
        sa.Column("end_port", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.Column("cidrs", sa.Text(), nullable=False),
        sa.Column("traffic_type", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2048), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["acl_id"], ["network_acl.id"], name=op.f("fk_network_acl_item_acl_id_network_acl")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_acl_item")),
        sa.UniqueConstraint("acl_id", "number", name=op.f("uq_network_acl_item_acl_id_number")),
        sa.UniqueConstraint("uuid", name=op.f("uq_network_acl_item_uuid")),
    )
    with op.batch_alter_table("network_acl_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_acl_item_acl_id"), ["acl_id"], unique=False)
    op.create_table(
        "private_gateway",
        sa.Column("vpc_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("physical_network_id", sa.Integer(), nullable=True),
        sa.Column("vlan", sa.String(length=64), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("gateway", sa.String(length=64), nullable=False),
        sa.Column("netmask", sa.String(length=64), nullable=False),
        sa.Column("acl_id", sa.Integer(), nullable=True),
        sa.Column("source_nat_supported", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("removed", native.model.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_private_gateway_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["acl_id"], ["network_acl.id"], name=op.f("fk_private_gateway_acl_id_network_acl")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_private_gateway_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["physical_network_id"],
            ["physical_network.id"],
            name=op.f("fk_private_gateway_physical_network_id_physical_network"),
        ),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name=op.f("fk_private_gateway_vpc_id_vpc")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_private_gateway_zone_id_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_private_gateway")),
        sa.UniqueConstraint("uuid", name=op.f("uq_private_gateway_uuid")),
    )
    with op.batch_alter_table("private_gateway", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_private_gateway_vpc_id"), ["vpc_id"], unique=False)
    op.create_table(
        "static_route",
        sa.Column("vpc_id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("gateway_id", sa.Integer(), nullable=True),
        sa.Column("next_hop", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_static_route_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_static_route_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["gateway_id"],
            ["private_gateway.id"],
            name=op.f("fk_static_route_gateway_id_private_gateway"),
        ),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name=op.f("fk_static_route_vpc_id_vpc")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_static_route")),
        sa.UniqueConstraint("uuid", name=op.f("uq_static_route_uuid")),
    )
    with op.batch_alter_table("static_route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_static_route_vpc_id"), ["vpc_id"], unique=False)
    op.create_table(
        "security_group_vm",
        sa.Column("security_group_id", sa.Integer(), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["security_group.id"],
            name=op.f("fk_security_group_vm_security_group_id_security_group"),
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_security_group_vm_vm_id_vm_instance")
        ),
        sa.PrimaryKeyConstraint("security_group_id", "vm_id", name=op.f("pk_security_group_vm")),
    )
    with op.batch_alter_table("security_group_vm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_group_vm_vm_id"), ["vm_id"], unique=False)
    op.create_table(
        "network_rule",
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("ip_address_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("traffic_type", sa.String(length=16), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=True),
        sa.Column("end_port", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.Column("source_cidrs", sa.Text(), nullable=True),
        sa.Column("dest_cidrs", sa.Text(), nullable=True),
        sa.Column("vm_id", sa.Integer(), nullable=True),
        sa.Column("vm_ip", sa.String(length=64), nullable=True),
        sa.Column("private_start_port", sa.Integer(), nullable=True),
        sa.Column("private_end_port", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("algorithm", sa.String(length=32), nullable=True),
        sa.Column("lb_protocol", sa.String(length=16), nullable=True),
        sa.Column("related_rule_id", sa.Integer(), nullable=True),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_network_rule_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_network_rule_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["ip_address_id"],
            ["public_ip_address.id"],
            name=op.f("fk_network_rule_ip_address_id_public_ip_address"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_network_rule_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["related_rule_id"],
            ["network_rule.id"],
            name=op.f("fk_network_rule_related_rule_id_network_rule"),
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_network_rule_vm_id_vm_instance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_rule")),
        sa.UniqueConstraint("uuid", name=op.f("uq_network_rule_uuid")),
    )
    with op.batch_alter_table("network_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_rule_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_rule_ip_address_id"), ["ip_address_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_rule_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_network_rule_purpose"), ["purpose"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_rule_related_rule_id"), ["related_rule_id"], unique=False
        )
    op.create_table(
        "remote_access_vpn",
        sa.Column("public_ip_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("ip_range", sa.String(length=128), nullable=False),
        sa.Column("local_ip", sa.String(length=64), nullable=False),
        sa.Column("preshared_key", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_remote_access_vpn_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_remote_access_vpn_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_remote_access_vpn_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["public_ip_id"],
            ["public_ip_address.id"],
            name=op.f("fk_remote_access_vpn_public_ip_id_public_ip_address"),
        ),
        sa.ForeignKeyConstraint(
            ["vpc_id"], ["vpc.id"], name=op.f("fk_remote_access_vpn_vpc_id_vpc")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_access_vpn")),
        sa.UniqueConstraint("public_ip_id", name=op.f("uq_remote_access_vpn_public_ip_id")),
        sa.UniqueConstraint("uuid", name=op.f("uq_remote_access_vpn_uuid")),
    )
    with op.batch_alter_table("remote_access_vpn", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_access_vpn_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "vpn_gateway",
        sa.Column("vpc_id", sa.Integer(), nullable=False),
        sa.Column("public_ip_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vpn_gateway_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_vpn_gateway_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["public_ip_id"],
            ["public_ip_address.id"],
            name=op.f("fk_vpn_gateway_public_ip_id_public_ip_address"),
        ),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name=op.f("fk_vpn_gateway_vpc_id_vpc")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpn_gateway")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpn_gateway_uuid")),
        sa.UniqueConstraint("vpc_id", name=op.f("uq_vpn_gateway_vpc_id")),
    )
    op.create_table(
        "lb_health_check_policy",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("ping_path", sa.String(length=255), nullable=True),
        sa.Column("response_time", sa.Integer(), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("healthy_threshold", sa.Integer(), nullable=False),
        sa.Column("unhealthy_threshold", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["network_rule.id"],
            name=op.f("fk_lb_health_check_policy_rule_id_network_rule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lb_health_check_policy")),
        sa.UniqueConstraint("uuid", name=op.f("uq_lb_health_check_policy_uuid")),
    )
    with op.batch_alter_table("lb_health_check_policy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lb_health_check_policy_rule_id"), ["rule_id"], unique=False
        )
    op.create_table(
        "lb_stickiness_policy",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["network_rule.id"],
            name=op.f("fk_lb_stickiness_policy_rule_id_network_rule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lb_stickiness_policy")),
        sa.UniqueConstraint("uuid", name=op.f("uq_lb_stickiness_policy_uuid")),
    )
    with op.batch_alter_table("lb_stickiness_policy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lb_stickiness_policy_rule_id"), ["rule_id"], unique=False
        )
    op.create_table(
        "lb_vm_map",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.Column("vm_ip", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["network_rule.id"], name=op.f("fk_lb_vm_map_rule_id_network_rule")
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instance.id"], name=op.f("fk_lb_vm_map_vm_id_vm_instance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lb_vm_map")),
        sa.UniqueConstraint(
            "rule_id", "vm_id", "vm_ip", name=op.f("uq_lb_vm_map_rule_id_vm_id_vm_ip")
        ),
    )
    with op.batch_alter_table("lb_vm_map", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lb_vm_map_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lb_vm_map_vm_id"), ["vm_id"], unique=False)
    op.create_table(
        "vpn_connection",
        sa.Column("vpn_gateway_id", sa.Integer(), nullable=False),
        sa.Column("customer_gateway_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("passive", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("display", sa.Boolean(), nullable=False),
        sa.Column("created", native.model.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_vpn_connection_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["customer_gateway_id"],
            ["vpn_customer_gateway.id"],
            name=op.f("fk_vpn_connection_customer_gateway_id_vpn_customer_gateway"),
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_vpn_connection_domain_id_domain")
        ),
        sa.ForeignKeyConstraint(
            ["vpn_gateway_id"],
            ["vpn_gateway.id"],
            name=op.f("fk_vpn_connection_vpn_gateway_id_vpn_gateway"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpn_connection")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpn_connection_uuid")),
        sa.UniqueConstraint(
            "vpn_gateway_id",
            "customer_gateway_id",
            name=op.f("uq_vpn_connection_vpn_gateway_id_customer_gateway_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("vpn_connection")
    op.drop_table("lb_vm_map")
    op.drop_table("lb_stickiness_policy")
    op.drop_table("lb_health_check_policy")
    op.drop_table("vpn_gateway")
    op.drop_table("remote_access_vpn")
    op.drop_table("network_rule")
    op.drop_table("security_group_vm")
    op.drop_table("static_route")
    op.drop_table("private_gateway")
    op.drop_table("network_acl_item")
    op.drop_table("security_group_rule")
    op.drop_table("vpn_user")
    op.drop_table("vpn_customer_gateway")
    op.drop_table("security_group")
