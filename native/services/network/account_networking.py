"""Releasing what a deleted account holds in networking, for the account cleanup task.

In order, each step in short transactions of the caller's choosing (`steps`): its site-to-
site VPN connections, customer gateways and VPN gateways; its VPN users; its networks
(VPC tiers first, each as deleteNetwork does, which needs its VMs expunged already); its
VPCs; its internet gateways (detached by then); whatever public IPs it still holds (with their rules); its security groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from native.model import (
    InternetGateway,
    Network,
    PublicIpAddress,
    SecurityGroup,
    SecurityGroupRule,
    SecurityGroupVm,
    Vpc,
    VpnConnection,
    VpnCustomerGateway,
    VpnGateway,
    VpnUser,
)
from native.services import tags
from native.services.network import (
    guest_networks,
    internet_gateways,
    ipam,
    public_ips,
    rules,
    vpcs,
)
from native.services.runtime import Runtime

Step = tuple[str, Callable[[Session], None]]
"""What a step releases (for messages) and how."""


def _drop_vpn_rows(account_id: int) -> Callable[[Session], None]:
    def action(session: Session) -> None:
        gateways = select(VpnGateway.id).where(VpnGateway.account_id == account_id)
        customers = select(VpnCustomerGateway.id).where(VpnCustomerGateway.account_id == account_id)
        session.execute(
            delete(VpnConnection).where(
                VpnConnection.vpn_gateway_id.in_(gateways)
                | VpnConnection.customer_gateway_id.in_(customers)
            )
        )
        session.execute(delete(VpnGateway).where(VpnGateway.account_id == account_id))
        session.execute(
            delete(VpnCustomerGateway).where(VpnCustomerGateway.account_id == account_id)
        )
        session.execute(delete(VpnUser).where(VpnUser.account_id == account_id))

    return action


def _network_action(runtime: Runtime, network_id: int) -> Callable[[Session], None]:
    def action(session: Session) -> None:
        network = session.get(Network, network_id)
        if network is not None and network.removed is None:
            guest_networks.delete_network(session, runtime, network=network)

    return action


def _vpc_action(runtime: Runtime, vpc_id: int) -> Callable[[Session], None]:
    def action(session: Session) -> None:
        vpc = session.get(Vpc, vpc_id)
        if vpc is not None and vpc.removed is None:
            vpcs.destroy_vpc(session, runtime, vpc=vpc)

    return action


def _drop_gateways(account_id: int) -> Callable[[Session], None]:
    def action(session: Session) -> None:
        owned = select(InternetGateway).where(InternetGateway.account_id == account_id)
        for gateway in session.scalars(owned).all():
            gateway.vpc_id = None
            internet_gateways.delete(session, gateway=gateway)

    return action


def _ip_action(ip_id: int) -> Callable[[Session], None]:
    def action(session: Session) -> None:
        rules.delete_rules(session, rule_ids=rules.rules_on_ip(session, ip_id=ip_id))
        public_ips.unallocate(session, ip_id=ip_id)

    return action


def _drop_groups(account_id: int) -> Callable[[Session], None]:
    def action(session: Session) -> None:
        groups = list(
            session.scalars(select(SecurityGroup.id).where(SecurityGroup.account_id == account_id))
        )
        if not groups:
            return
        rules = select(SecurityGroupRule.id).where(
            SecurityGroupRule.security_group_id.in_(groups)
            | SecurityGroupRule.allowed_group_id.in_(groups)
        )
        for rule_id in session.scalars(rules).all():
            tags.remove_tags_of(session, resource_type="SecurityGroupRule", resource_id=rule_id)
        session.execute(delete(SecurityGroupRule).where(SecurityGroupRule.id.in_(rules)))
        session.execute(
            delete(SecurityGroupVm).where(SecurityGroupVm.security_group_id.in_(groups))
        )
        for group_id in groups:
            tags.remove_tags_of(session, resource_type="SecurityGroup", resource_id=group_id)
        session.execute(delete(SecurityGroup).where(SecurityGroup.id.in_(groups)))

    return action


def cleanup_steps(session: Session, runtime: Runtime, *, account_id: int) -> list[Step]:
    """The steps releasing the account's networking, as `session` shows it now."""
    return list(_steps(session, runtime, account_id=account_id))


def _steps(session: Session, runtime: Runtime, *, account_id: int) -> Iterator[Step]:
    yield "VPN connections, gateways and users", _drop_vpn_rows(account_id)
    networks = session.execute(
        select(Network.id, Network.uuid)
        .where(Network.account_id == account_id, Network.removed.is_(None))
        .order_by(Network.vpc_id.is_(None), Network.id)
    ).all()
    for network_id, uuid in networks:
        yield f"network {uuid}", _network_action(runtime, network_id)
    for vpc_id, uuid in session.execute(
        select(Vpc.id, Vpc.uuid).where(Vpc.account_id == account_id, Vpc.removed.is_(None))
    ).all():
        yield f"VPC {uuid}", _vpc_action(runtime, vpc_id)
    yield "internet gateways", _drop_gateways(account_id)
    for ip_id, address in session.execute(
        select(PublicIpAddress.id, PublicIpAddress.address).where(
            PublicIpAddress.account_id == account_id, PublicIpAddress.state == ipam.ALLOCATED
        )
    ).all():
        yield f"public IP {address}", _ip_action(ip_id)
    yield "security groups", _drop_groups(account_id)
