"""Site-to-site VPN connection commands: createVpnConnection, deleteVpnConnection,
resetVpnConnection, updateVpnConnection, listVpnConnections.

Every change is an async job that applies the VPC's router (see
native.services.network.site_to_site_vpn).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.remote_access_vpn import owned_query, owner_fields
from native.api.params import boolean, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import PublicIpAddress, Vpc, VpnConnection, VpnCustomerGateway, VpnGateway
from native.services.caller import Caller
from native.services.network import site_to_site_vpn as service
from native.services.secrets import SecretBox


class VpnConnectionResponse(ResponseObject, object_name="vpnconnection"):
    id = Field("the connection ID")
    s2svpngatewayid = Field("the vpn gateway ID")
    publicip = Field("the public IP address")
    s2scustomergatewayid = Field("the customer gateway ID")
    gateway = Field("public ip address id of the customer gateway")
    cidrlist = Field(
        "guest cidr list of the customer gateway. Multiple entries are separated by a single "
        "comma character (,)."
    )
    ipsecpsk = Field("IPsec Preshared-Key of the customer gateway")
    ikepolicy = Field("IKE policy of the customer gateway")
    esppolicy = Field("ESP policy of the customer gateway")
    ikelifetime = Field("Lifetime of IKE SA of customer gateway", type="long")
    esplifetime = Field("Lifetime of ESP SA of customer gateway", type="long")
    dpd = Field("if DPD is enabled for customer gateway", type="boolean")
    forceencap = Field("if Force NAT Encapsulation is enabled for customer gateway", type="boolean")
    splitconnections = Field(
        "Split multiple remote networks into multiple phase 2 SAs. Often used with Cisco some "
        "products.",
        type="boolean",
        since="4.15.1",
    )
    ikeversion = Field(
        "Which IKE Version to use, one of ike (autoselect), ikev1, or ikev2. Defaults to ike",
        since="4.15.1",
    )
    state = Field("State of vpn connection")
    passive = Field("State of vpn connection", type="boolean")
    account = Field("the owner")
    domainid = Field("the domain id of the owner")
    domain = Field("the domain name of the owner")
    created = Field("the date and time the host was created", type="date")
    fordisplay = Field("is connection for display to the regular user", type="boolean", since="4.4")

    @classmethod
    def of(
        cls,
        session: Session,
        connection: VpnConnection,
        *,
        caller: Caller,
        secrets: SecretBox,
    ) -> VpnConnectionResponse:
        """The response for one connection, with its gateways' fields."""
        gateway = session.get(VpnGateway, connection.vpn_gateway_id)
        customer = session.get(VpnCustomerGateway, connection.customer_gateway_id)
        assert gateway is not None and customer is not None
        ip = session.get(PublicIpAddress, gateway.public_ip_id)
        assert ip is not None
        return cls(
            id=connection.uuid,
            s2svpngatewayid=gateway.uuid,
            publicip=ip.address,
            s2scustomergatewayid=customer.uuid,
            gateway=customer.gateway,
            cidrlist=customer.cidr_list,
            ipsecpsk=secrets.open(customer.ipsec_psk),
            ikepolicy=customer.ike_policy,
            esppolicy=customer.esp_policy,
            ikelifetime=customer.ike_lifetime,
            esplifetime=customer.esp_lifetime,
            dpd=customer.dpd,
            forceencap=customer.force_encap,
            splitconnections=customer.split_connections,
            ikeversion=customer.ike_version,
            state=connection.state,
            passive=connection.passive,
            created=connection.created,
            fordisplay=connection.display if caller.is_root_admin else None,
            **owner_fields(session, connection.account_id),
        )


def connection_response(ctx: CommandContext, connection_id: int) -> VpnConnectionResponse:
    """The response for one connection, read afresh."""
    connection = ctx.session.get(VpnConnection, connection_id)
    assert connection is not None
    ctx.session.refresh(connection)
    return VpnConnectionResponse.of(
        ctx.session, connection, caller=ctx.caller, secrets=ctx.runtime.secrets
    )


class CreateVpnConnection(
    Command,
    api="createVpnConnection",
    is_async=True,
    response=VpnConnectionResponse,
    authorized=ALL_ROLES,
    event="VPN.S2S.CONNECTION.CREATE",
    entity_type="VpnConnection",
    since="4.0.0",
):
    """Create site to site vpn connection

    The customer gateway's CIDRs must not overlap the VPC's, nor those of the gateway's
    other connections. Once applied the connection is `Connected` (`Disconnected` when
    passive: it waits for the peer).
    """

    s2svpngatewayid = uuid_of(VpnGateway, description="id of the vpn gateway").required()
    s2scustomergatewayid = uuid_of(
        VpnCustomerGateway, description="id of the customer gateway"
    ).required()
    passive = boolean(description="connection is passive or not")
    fordisplay = boolean(
        description="an optional field, whether to the display the vpn to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> str:
        connection = service.create_connection(
            ctx.session,
            ctx.runtime,
            gateway=self.s2svpngatewayid,
            customer=self.s2scustomergatewayid,
            passive=bool(self.passive),
            display=self.fordisplay is not False,
        )
        return connection.uuid

    def execute(self, ctx: CommandContext) -> VpnConnectionResponse:
        connection = ctx.session.scalars(
            select(VpnConnection).where(VpnConnection.uuid == ctx.instance_id)
        ).one()
        connection_id = connection.id
        service.start_connection(ctx.session, ctx.runtime, connection_id=connection_id)
        return connection_response(ctx, connection_id)


class DeleteVpnConnection(
    Command,
    api="deleteVpnConnection",
    is_async=True,
    authorized=ALL_ROLES,
    event="VPN.S2S.CONNECTION.DELETE",
    entity_type="VpnConnection",
    since="4.0.0",
):
    """Delete site to site vpn connection"""

    id = uuid_of(VpnConnection, description="id of vpn connection").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        service.delete_connection(ctx.session, ctx.runtime, connection=self.id)
        return SuccessResult()


class ResetVpnConnection(
    Command,
    api="resetVpnConnection",
    is_async=True,
    response=VpnConnectionResponse,
    authorized=ALL_ROLES,
    event="VPN.S2S.CONNECTION.RESET",
    entity_type="VpnConnection",
    since="4.0.0",
):
    """Reset site to site vpn connection

    The VPC's router is applied again; a failure marks the connection `Error`.
    """

    id = uuid_of(VpnConnection, description="id of vpn connection").required()

    def execute(self, ctx: CommandContext) -> VpnConnectionResponse:
        connection_id = self.id.id
        service.reset_connection(ctx.session, ctx.runtime, connection=self.id)
        return connection_response(ctx, connection_id)


class UpdateVpnConnection(
    Command,
    api="updateVpnConnection",
    is_async=True,
    response=VpnConnectionResponse,
    authorized=ALL_ROLES,
    event="VPN.S2S.CONNECTION.UPDATE",
    entity_type="VpnConnection",
    since="4.4",
):
    """Updates site to site vpn connection"""

    id = uuid_of(VpnConnection, description="id of vpn connection").required()
    fordisplay = boolean(
        description="an optional field, whether to the display the vpn to the end user or not",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> VpnConnectionResponse:
        if self.fordisplay is not None:
            self.id.display = self.fordisplay
            ctx.session.flush()
        return connection_response(ctx, self.id.id)


class ListVpnConnections(
    ListOwnedCommand,
    api="listVpnConnections",
    response=VpnConnectionResponse,
    authorized=ALL_ROLES,
    since="4.0.0",
):
    """Lists site to site vpn connection gateways"""

    id = uuid_of(VpnConnection, description="id of the vpn connection")
    vpcid = uuid_of(Vpc, description="id of vpc")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = owned_query(self, ctx, VpnConnection, by_id=self.id is not None)
        if self.id is not None:
            query = query.where(VpnConnection.id == self.id.id)
        if self.vpcid is not None:
            query = query.join(VpnGateway, VpnGateway.id == VpnConnection.vpn_gateway_id).where(
                VpnGateway.vpc_id == self.vpcid.id
            )
        if not ctx.caller.is_root_admin:
            query = query.where(VpnConnection.display.is_(True))
        elif self.fordisplay is not None:
            query = query.where(VpnConnection.display.is_(self.fordisplay))
        rows, count = self.page_of_query(ctx, query, VpnConnection.id)
        return ListResult(
            [
                VpnConnectionResponse.of(
                    ctx.session, row, caller=ctx.caller, secrets=ctx.runtime.secrets
                )
                for row in rows
            ],
            count,
        )
