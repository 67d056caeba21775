"""Site-to-site VPNs: the VPN gateway of a VPC (on its source NAT IP), customer gateways
(the far ends, with their CIDRs and IPsec parameters) and the connections between them.

A connection is stored `Pending` (its checks fail at once with 431), applied to the VPC's
router, then `Connected` (`Disconnected` when passive: it waits for the peer); deleting
one takes it off the router. Updating a customer gateway re-applies the routers of the
VPCs connected to it. When an apply fails (534) the change is taken back, so the database
and the routers agree. Pre-shared keys are stored sealed.

Policies are CloudStack's strings, checked as CloudStack checks them: comma-separated
`cipher-hash[;group]` proposals (ciphers 3des, aes128, aes192, aes256; hashes md5, sha1,
sha256, sha384, sha512; Diffie-Hellman groups modp1024 to modp8192), the group required
in IKE policies. The router's strongSwan renderer takes one group per policy, so a policy
giving several proposals with their own groups is refused too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from native.drivers.network.render.strongswan import proposals
from native.model import Account, Vpc, VpnConnection, VpnCustomerGateway, VpnGateway
from native.services.errors import InvalidParameterValue, ResourceInUse, ResourceUnavailable
from native.services.network import cidrs, routers, vpcs, vpn
from native.services.network.rules import Undo
from native.services.runtime import Runtime

PENDING = "Pending"
CONNECTED = "Connected"
DISCONNECTED = "Disconnected"
ERROR = "Error"
CIPHERS = ("3des", "aes128", "aes192", "aes256")
HASHES = ("md5", "sha1", "sha256", "sha384", "sha512")
GROUPS = ("modp1024", "modp1536", "modp2048", "modp3072", "modp4096", "modp6144", "modp8192")
IKE_VERSIONS = ("ike", "ikev1", "ikev2")
MAX_LIFETIME = 86400


def _policy_valid(kind: str, policy: str) -> bool:
    if not policy:
        return False
    for proposal in policy.split(","):
        cipher_hash, has_group, group = proposal.partition(";")
        parts = cipher_hash.split("-")
        if len(parts) != 2 or parts[0] not in CIPHERS or parts[1] not in HASHES:
            return False
        if (not has_group and kind == "IKE") or (has_group and group not in GROUPS):
            return False
    return True


def check_policy(kind: str, policy: str) -> str:
    """An IKE or ESP policy (`kind`), checked as the module docstring says; 431 otherwise."""
    if not _policy_valid(kind, policy):
        hint = (
            "  Verify the required Diffie Hellman (DH) group is specified." if kind == "IKE" else ""
        )
        raise InvalidParameterValue(
            f"The customer gateway {kind} policy {policy} is invalid!{hint}"
        )
    try:
        proposals(policy)
    except ValueError:
        raise InvalidParameterValue(
            f"The customer gateway {kind} policy {policy} is invalid: use cipher-hash entries, "
            "each with an optional Diffie-Hellman group (aes128-sha1;modp1536,aes256-sha256)"
        ) from None
    return policy


def _lifetime(kind: str, value: int | None, default: int) -> int:
    lifetime = default if value is None else value
    if not 0 < lifetime <= MAX_LIFETIME:
        raise InvalidParameterValue(
            f"The {kind} lifetime {lifetime} of vpn connection is invalid! It must be between 1 "
            f"and {MAX_LIFETIME} seconds"
        )
    return lifetime


def _peer_cidrs(session: Session, runtime: Runtime, text: str, *, account_id: int) -> list[str]:
    """The customer gateway's CIDRs: valid, within the subnet limit, not overlapping."""
    try:
        blocks = [ipaddress.IPv4Network(item.strip()) for item in text.split(",")]
    except ValueError:
        raise InvalidParameterValue(
            f"The customer gateway peer cidr list {text} contains an invalid cidr!"
        ) from None
    limit = int(vpn.setting(session, runtime.settings, vpn.SUBNET_LIMIT, account_id=account_id))
    if len(blocks) > limit:
        raise InvalidParameterValue(f"Too many subnets of customer gateway! The limit is {limit}")
    for index, block in enumerate(blocks):
        for other in blocks[index + 1 :]:
            if block.overlaps(other):
                raise InvalidParameterValue(
                    f"The subnet of customer gateway {block} is overlapped with another subnet "
                    f"{other} of customer gateway!"
                )
    return [str(block) for block in blocks]


@dataclass(frozen=True, kw_only=True)
class GatewaySpec:
    """What createVpnCustomerGateway and updateVpnCustomerGateway give (None: default)."""

    name: str | None
    gateway: str
    cidr_list: str
    ipsec_psk: str
    ike_policy: str
    esp_policy: str
    ike_lifetime: int | None = None
    esp_lifetime: int | None = None
    dpd: bool | None = None
    force_encap: bool | None = None
    split_connections: bool | None = None
    ike_version: str | None = None


def _columns(
    session: Session, runtime: Runtime, spec: GatewaySpec, *, account_id: int
) -> dict[str, Any]:
    """The customer gateway's column values for `spec`, every field checked (431)."""
    try:
        gateway = str(ipaddress.IPv4Address(spec.gateway.strip()))
    except ValueError:
        raise InvalidParameterValue(
            f"The customer gateway ip {spec.gateway} is invalid! It must be an IPv4 address"
        ) from None
    if not spec.ipsec_psk or any(char in spec.ipsec_psk for char in '\n\r\0"'):
        raise InvalidParameterValue(
            "The IPsec pre-shared key must not be empty nor contain newlines or double quotes"
        )
    version = (spec.ike_version or "ike").lower()
    if version not in IKE_VERSIONS:
        raise InvalidParameterValue(
            f"Invalid IKE version {spec.ike_version}: use one of {', '.join(IKE_VERSIONS)}"
        )
    return {
        "name": spec.name or f"VPN-{gateway}",
        "gateway": gateway,
        "cidr_list": ",".join(_peer_cidrs(session, runtime, spec.cidr_list, account_id=account_id)),
        "ipsec_psk": runtime.secrets.seal(spec.ipsec_psk),
        "ike_policy": check_policy("IKE", spec.ike_policy),
        "esp_policy": check_policy("ESP", spec.esp_policy),
        "ike_lifetime": _lifetime("IKE", spec.ike_lifetime, 86400),
        "esp_lifetime": _lifetime("ESP", spec.esp_lifetime, 3600),
        "dpd": bool(spec.dpd),
        "force_encap": bool(spec.force_encap),
        "split_connections": bool(spec.split_connections),
        "ike_version": version,
    }


def _check_name_free(session: Session, *, name: str, account_id: int, own_id: int | None) -> None:
    found = session.scalar(
        select(VpnCustomerGateway.id).where(
            VpnCustomerGateway.account_id == account_id, VpnCustomerGateway.name == name
        )
    )
    if found is not None and found != own_id:
        raise InvalidParameterValue(f"The customer gateway with name {name} already existed!")


def create_customer_gateway(
    session: Session, runtime: Runtime, *, owner: Account, spec: GatewaySpec
) -> VpnCustomerGateway:
    """Add a customer gateway of `owner` (named `VPN-<gateway>` by default); 431 for bad
    input (see `_columns`) or a name the account already uses."""
    values = _columns(session, runtime, spec, account_id=owner.id)
    _check_name_free(session, name=values["name"], account_id=owner.id, own_id=None)
    gateway = VpnCustomerGateway(account_id=owner.id, domain_id=owner.domain_id, **values)
    vpn.insert(
        session,
        gateway,
        conflict=f"The customer gateway with name {values['name']} already existed!",
    )
    return gateway


def _connections(session: Session, **where: int) -> list[VpnConnection]:
    query = select(VpnConnection).order_by(VpnConnection.id)
    for column, value in where.items():
        query = query.where(getattr(VpnConnection, column) == value)
    return list(session.scalars(query))


def _vpc_of(session: Session, connection: VpnConnection) -> Vpc:
    gateway = session.get(VpnGateway, connection.vpn_gateway_id)
    assert gateway is not None
    vpc = session.get(Vpc, gateway.vpc_id)
    assert vpc is not None
    return vpc


def _settle(session: Session, connection_ids: list[int]) -> None:
    """Mark applied connections `Connected` (`Disconnected` when passive)."""
    for connection_id in connection_ids:
        connection = session.get(VpnConnection, connection_id)
        if connection is not None and connection.state != PENDING:
            connection.state = DISCONNECTED if connection.passive else CONNECTED
    session.flush()


def update_customer_gateway(
    session: Session, runtime: Runtime, *, gateway: VpnCustomerGateway, spec: GatewaySpec
) -> None:
    """Replace a customer gateway's settings (checked as on create) and re-apply the
    routers of the VPCs connected to it; if an apply fails the old settings come back and
    the 534 propagates."""
    values = _columns(session, runtime, spec, account_id=gateway.account_id)
    _check_name_free(session, name=values["name"], account_id=gateway.account_id, own_id=gateway.id)
    gateway_id = gateway.id
    old = {column: getattr(gateway, column) for column in values}
    for column, value in values.items():
        setattr(gateway, column, value)
    session.flush()

    def undo(undo_session: Session) -> None:
        row = undo_session.get(VpnCustomerGateway, gateway_id)
        assert row is not None
        for column, value in old.items():
            setattr(row, column, value)
        undo_session.flush()

    connections = _connections(session, customer_gateway_id=gateway_id)
    vpc_ids = sorted({_vpc_of(session, connection).id for connection in connections})
    scopes: list[vpn.Scope] = [(None, session.get(Vpc, vpc_id)) for vpc_id in vpc_ids]
    vpn.apply_to_all(session, runtime, scopes=scopes, undo=undo)
    _settle(session, [connection.id for connection in connections])


def check_customer_gateway_unused(session: Session, *, gateway: VpnCustomerGateway) -> None:
    """536 while a connection uses the customer gateway."""
    if _connections(session, customer_gateway_id=gateway.id):
        raise ResourceInUse(
            f"Unable to delete VPN customer gateway {gateway.name} ({gateway.uuid}) because "
            "there is still related VPN connections!"
        )


def delete_customer_gateway(session: Session, *, gateway: VpnCustomerGateway) -> None:
    """Delete a customer gateway; 536 while a connection uses it."""
    check_customer_gateway_unused(session, gateway=gateway)
    session.delete(gateway)
    session.flush()


def create_vpn_gateway(session: Session, *, vpc: Vpc, display: bool) -> VpnGateway:
    """Add the VPN gateway of an Enabled VPC, on its source NAT IP; 431 if the VPC already
    has one or has no source NAT IP yet (it was never started)."""
    vpcs.check_enabled(vpc)
    if session.scalar(select(VpnGateway.id).where(VpnGateway.vpc_id == vpc.id)) is not None:
        raise InvalidParameterValue(f"The VPN gateway of VPC {vpc.name} already existed!")
    ip = vpcs.source_nat_ip(session, vpc=vpc)
    if ip is None:
        raise InvalidParameterValue(
            f"Cannot find the source NAT IP of VPC {vpc.name}; the VPC gets one when it starts"
        )
    gateway = VpnGateway(
        vpc_id=vpc.id,
        public_ip_id=ip.id,
        account_id=vpc.account_id,
        domain_id=vpc.domain_id,
        display=display,
    )
    vpn.insert(session, gateway, conflict=f"The VPN gateway of VPC {vpc.name} already existed!")
    return gateway


def check_vpn_gateway_unused(session: Session, *, gateway: VpnGateway) -> None:
    """536 while the VPN gateway has connections."""
    if _connections(session, vpn_gateway_id=gateway.id):
        raise ResourceInUse(
            f"Unable to delete VPN gateway {gateway.uuid} because there is still related VPN "
            "connections!"
        )


def delete_vpn_gateway(session: Session, *, gateway: VpnGateway) -> None:
    """Delete a VPN gateway; 536 while it has connections."""
    check_vpn_gateway_unused(session, gateway=gateway)
    session.delete(gateway)
    session.flush()


def _check_peer_cidrs(
    session: Session, runtime: Runtime, *, gateway: VpnGateway, customer: VpnCustomerGateway
) -> None:
    """431 if the customer's CIDRs overlap the VPC's, or those of another connection of the
    gateway, or the gateway has as many connections as the limit allows."""
    vpc = session.get(Vpc, gateway.vpc_id)
    assert vpc is not None
    mine = [ipaddress.IPv4Network(cidr) for cidr in customer.cidr_list.split(",")]
    vpc_block = ipaddress.IPv4Network(vpc.cidr)
    for block in mine:
        if block.overlaps(vpc_block):
            raise InvalidParameterValue(
                f"The subnets of customer gateway {customer.name}'s subnet {block} is overlapped "
                f"with VPC cidr {vpc.cidr}!"
            )
    existing = _connections(session, vpn_gateway_id=gateway.id)
    limit = int(
        vpn.setting(session, runtime.settings, vpn.CONNECTION_LIMIT, account_id=gateway.account_id)
    )
    if len(existing) >= limit:
        raise InvalidParameterValue(
            f"There are too many VPN connections with current VPN gateway! The limit is {limit}"
        )
    for connection in existing:
        other = session.get(VpnCustomerGateway, connection.customer_gateway_id)
        assert other is not None
        others = [("", cidrs.network(cidr)) for cidr in other.cidr_list.split(",")]
        for block in mine:
            if cidrs.overlapping(block, others) is not None:
                raise InvalidParameterValue(
                    f"The new connection's remote subnet {block} is overlapped with existed VPN "
                    f"connection to customer gateway {other.name}'s subnets {other.cidr_list}"
                )


def create_connection(
    session: Session,
    runtime: Runtime,
    *,
    gateway: VpnGateway,
    customer: VpnCustomerGateway,
    passive: bool,
    display: bool,
) -> VpnConnection:
    """Store a `Pending` connection (applied by `start_connection`); 431 if the gateways
    belong to different accounts, are connected already, or the CIDRs clash (see
    `_check_peer_cidrs`)."""
    if (customer.account_id, customer.domain_id) != (gateway.account_id, gateway.domain_id):
        raise InvalidParameterValue(
            "VPN connection can only be esitablished between same account's VPN gateway and "
            "customer gateway!"
        )
    if _connections(session, vpn_gateway_id=gateway.id, customer_gateway_id=customer.id):
        raise InvalidParameterValue(
            f"The vpn connection with customer gateway id {customer.uuid} and vpn gateway id "
            f"{gateway.uuid} already existed!"
        )
    _check_peer_cidrs(session, runtime, gateway=gateway, customer=customer)
    connection = VpnConnection(
        vpn_gateway_id=gateway.id,
        customer_gateway_id=customer.id,
        state=PENDING,
        passive=passive,
        account_id=gateway.account_id,
        domain_id=gateway.domain_id,
        display=display,
    )
    vpn.insert(session, connection, conflict="The vpn connection already existed!")
    return connection


def start_connection(session: Session, runtime: Runtime, *, connection_id: int) -> None:
    """Apply a `Pending` connection to its VPC's router and mark it `Connected`
    (`Disconnected` when passive); if the apply fails it is deleted and the 534
    propagates."""
    connection = session.get(VpnConnection, connection_id)
    assert connection is not None

    def undo(undo_session: Session) -> None:
        undo_session.execute(
            delete(VpnConnection)
            .where(VpnConnection.id == connection_id, VpnConnection.state == PENDING)
            .execution_options(synchronize_session=False)
        )

    routers.apply_change(session, runtime, vpc=_vpc_of(session, connection), undo=undo)
    connection = session.get(VpnConnection, connection_id)
    assert connection is not None
    connection.state = DISCONNECTED if connection.passive else CONNECTED
    session.flush()


def _reinsert(values: dict[str, Any]) -> Undo:
    def undo(session: Session) -> None:
        session.add(VpnConnection(**values))
        session.flush()

    return undo


def delete_connection(session: Session, runtime: Runtime, *, connection: VpnConnection) -> None:
    """Take a connection off its VPC's router and delete it; if the apply fails it comes
    back as it was and the 534 propagates."""
    vpc = _vpc_of(session, connection)
    values = {
        attribute.key: getattr(connection, attribute.key)
        for attribute in inspect(VpnConnection).column_attrs
    }
    session.delete(connection)
    session.flush()
    routers.apply_change(session, runtime, vpc=vpc, undo=_reinsert(values))


def reset_connection(session: Session, runtime: Runtime, *, connection: VpnConnection) -> None:
    """Apply the connection's VPC router again and mark the connection `Connected`
    (`Disconnected` when passive); if the apply fails it is marked `Error` and the 534
    propagates."""
    connection_id = connection.id
    vpc = _vpc_of(session, connection)
    try:
        routers.apply_change(session, runtime, vpc=vpc)
    except ResourceUnavailable:
        failed = session.get(VpnConnection, connection_id)
        if failed is not None:
            failed.state = ERROR
            session.commit()
        raise
    reset = session.get(VpnConnection, connection_id)
    assert reset is not None
    reset.state = DISCONNECTED if reset.passive else CONNECTED
    session.flush()
