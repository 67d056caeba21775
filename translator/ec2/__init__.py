"""EC2 Query actions translated into native commands: one module per resource, one function
per action named after the snake_case action, collected in each module's `ACTIONS`."""

from __future__ import annotations

from collections.abc import Mapping

from translator.context import Action
from translator.ec2 import (
    account_attributes,
    addresses,
    dhcp_options,
    images,
    instance_attributes,
    instance_types,
    instances,
    internet_gateways,
    key_pairs,
    network_acls,
    network_interfaces,
    regions,
    route_tables,
    routes,
    security_groups,
    snapshots,
    subnets,
    tags,
    volumes,
    vpcs,
)

MODULES = (
    regions,
    images,
    instances,
    instance_attributes,
    instance_types,
    key_pairs,
    tags,
    security_groups,
    volumes,
    snapshots,
    addresses,
    vpcs,
    subnets,
    account_attributes,
    network_interfaces,
    internet_gateways,
    route_tables,
    routes,
    network_acls,
    dhcp_options,
)

ACTIONS: Mapping[str, Action] = {
    name: action for module in MODULES for name, action in module.ACTIONS.items()
}
