"""Site-to-site VPN gateway commands: the VPN gateway of a VPC (createVpnGateway,
deleteVpnGateway, updateVpnGateway, listVpnGateways) and customer gateways
(createVpnCustomerGateway, updateVpnCustomerGateway, deleteVpnCustomerGateway,
listVpnCustomerGateways). The connections between them are in vpn_connections.py.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.remote_access_vpn import owned_query, owner_fields
from native.api.commands.ssh_keys import owner_account
from native.api.params import boolean, long, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Domain, PublicIpAddress, Vpc, VpnCustomerGateway, VpnGateway
from native.services.caller import Caller
from native.services.network import site_to_site_vpn as service
from native.services.secrets import SecretBox


class VpnGatewayResponse(ResponseObject, object_name="vpngateway"):
    id = Field("the vpn gateway ID")
    publicip = Field("the public IP address")
    vpcid = Field("the vpc id of this gateway")
    vpcname = Field("the vpc name of this gateway")
    account = Field("the owner")
    domainid = Field("the domain id of the owner")
    domain = Field("the domain name of the owner")
    fordisplay = Field(
        "is vpn gateway for display to the regular user", type="boolean", since="4.4"
    )

    @classmethod
    def of(cls, session: Session, gateway: VpnGateway, *, caller: Caller) -> VpnGatewayResponse:
        """The response for one VPN gateway."""
        ip = session.get(PublicIpAddress, gateway.public_ip_id)
        vpc = session.get(Vpc, gateway.vpc_id)
        assert ip is not None and vpc is not None
        return cls(
            id=gateway.uuid,
            publicip=ip.address,
            vpcid=vpc.uuid,
            vpcname=vpc.name,
            fordisplay=gateway.display if caller.is_root_admin else None,
            **owner_fields(session, gateway.account_id),
        )


class CreateVpnGateway(
    Command,
    api="createVpnGateway",
    is_async=True,
    response=VpnGatewayResponse,
    authorized=ALL_ROLES,
    event="VPN.S2S.VPN.GATEWAY.CREATE",
    entity_type="VpnGateway",
    since="4.0.0",
):
    """Creates site to site vpn local gateway

    The gateway takes the VPC's source NAT IP; a VPC has at most one.
    """

    vpcid = uuid_of(Vpc, description="public ip address id of the vpn gateway").required()
    fordisplay = boolean(
        description="an optional field, whether to the display the vpn to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> str:
        gateway = service.create_vpn_gateway(
            ctx.session, vpc=self.vpcid, display=self.fordisplay is not False
        )
        return gateway.uuid

    def execute(self, ctx: CommandContext) -> VpnGatewayResponse:
        gateway = ctx.session.scalars(
            select(VpnGateway).where(VpnGateway.uuid == ctx.instance_id)
        ).one()
        return VpnGatewayResponse.of(ctx.session, gateway, caller=ctx.caller)


class DeleteVpnGateway(
    Command,
    api="deleteVpnGateway",
    is_async=True,
    authorized=ALL_ROLES,
    event="VPN.S2S.VPN.GATEWAY.DELETE",
    entity_type="VpnGateway",
    since="4.0.0",
):
    """Delete site to site vpn gateway

    A gateway with connections is in use (536).
    """

    id = uuid_of(VpnGateway, description="id of customer gateway").required()

    def create(self, ctx: CommandContext) -> None:
        service.check_vpn_gateway_unused(ctx.session, gateway=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        service.delete_vpn_gateway(ctx.session, gateway=self.id)
        return SuccessResult()


class UpdateVpnGateway(
    Command,
    api="updateVpnGateway",
    is_async=True,
    response=VpnGatewayResponse,
    authorized=ALL_ROLES,
    event="VPN.S2S.VPN.GATEWAY.UPDATE",
    entity_type="VpnGateway",
    since="4.4",
):
    """Updates site to site vpn local gateway"""

    id = uuid_of(VpnGateway, description="id of customer gateway").required()
    fordisplay = boolean(
        description="an optional field, whether to the display the vpn to the end user or not",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> VpnGatewayResponse:
        if self.fordisplay is not None:
            self.id.display = self.fordisplay
            ctx.session.flush()
        return VpnGatewayResponse.of(ctx.session, self.id, caller=ctx.caller)


class ListVpnGateways(
    ListOwnedCommand,
    api="listVpnGateways",
    response=VpnGatewayResponse,
    authorized=ALL_ROLES,
    since="4.0.0",
):
    """Lists site 2 site vpn gateways"""

    id = uuid_of(VpnGateway, description="id of the vpn gateway")
    vpcid = uuid_of(Vpc, description="id of vpc")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = owned_query(self, ctx, VpnGateway, by_id=self.id is not None)
        if self.id is not None:
            query = query.where(VpnGateway.id == self.id.id)
        if self.vpcid is not None:
            query = query.where(VpnGateway.vpc_id == self.vpcid.id)
        if not ctx.caller.is_root_admin:
            query = query.where(VpnGateway.display.is_(True))
        elif self.fordisplay is not None:
            query = query.where(VpnGateway.display.is_(self.fordisplay))
        rows, count = self.page_of_query(ctx, query, VpnGateway.id)
        return ListResult(
            [VpnGatewayResponse.of(ctx.session, row, caller=ctx.caller) for row in rows], count
        )


class VpnCustomerGatewayResponse(ResponseObject, object_name="vpncustomergateway"):
    id = Field("the vpn gateway ID")
    name = Field("name of the customer gateway")
    gateway = Field("public ip address id of the customer gateway")
    cidrlist = Field(
        "guest cidr list of the customer gateway. Multiple entries are separated by a single "
        "comma character (,)."
    )
    ipsecpsk = Field("IPsec preshared-key of customer gateway")
    ikepolicy = Field("IKE policy of customer gateway")
    esppolicy = Field("IPsec policy of customer gateway")
    ikelifetime = Field("Lifetime of IKE SA of customer gateway", type="long")
    esplifetime = Field("Lifetime of ESP SA of customer gateway", type="long")
    dpd = Field("if DPD is enabled for customer gateway", type="boolean")
    forceencap = Field("if Force NAT Encapsulation is enabled for customer gateway", type="boolean")
    splitconnections = Field(
        "For IKEv2, whether to split multiple right subnet cidrs into multiple connection "
        "statements.",
        type="boolean",
        since="4.15.1",
    )
    ikeversion = Field(
        "Which IKE Version to use, one of ike (autoselect), ikev1, or ikev2. Defaults to ike",
        since="4.15.1",
    )
    account = Field("the owner")
    domainid = Field("the domain id of the owner")
    domain = Field("the domain name of the owner")

    @classmethod
    def of(
        cls, session: Session, gateway: VpnCustomerGateway, *, secrets: SecretBox
    ) -> VpnCustomerGatewayResponse:
        """The response for one customer gateway (its pre-shared key opened: whoever may
        see the gateway sees its key, as in CloudStack)."""
        return cls(
            id=gateway.uuid,
            name=gateway.name,
            gateway=gateway.gateway,
            cidrlist=gateway.cidr_list,
            ipsecpsk=secrets.open(gateway.ipsec_psk),
            ikepolicy=gateway.ike_policy,
            esppolicy=gateway.esp_policy,
            ikelifetime=gateway.ike_lifetime,
            esplifetime=gateway.esp_lifetime,
            dpd=gateway.dpd,
            forceencap=gateway.force_encap,
            splitconnections=gateway.split_connections,
            ikeversion=gateway.ike_version,
            **owner_fields(session, gateway.account_id),
        )


def customer_response(ctx: CommandContext, gateway: VpnCustomerGateway) -> ResponseObject:
    """The response for one customer gateway."""
    return VpnCustomerGatewayResponse.of(ctx.session, gateway, secrets=ctx.runtime.secrets)


class _CustomerGatewayCommand(Command):
    """The parameters createVpnCustomerGateway and updateVpnCustomerGateway share."""

    name = string(description="name of this customer gateway")
    gateway = string(description="public ip address id of the customer gateway").required()
    cidrlist = string(
        description="guest cidr list of the customer gateway. Multiple entries must be "
        "separated by a single comma character (,)."
    ).required()
    ipsecpsk = string(
        description="IPsec Preshared-Key of the customer gateway. Cannot contain newline or "
        "double quotes.",
        sensitive=True,
    ).required()
    ikepolicy = string(description="IKE policy of the customer gateway").required()
    esppolicy = string(description="ESP policy of the customer gateway").required()
    ikelifetime = long(
        description="Lifetime of phase 1 VPN connection to the customer gateway, in seconds"
    )
    esplifetime = long(
        description="Lifetime of phase 2 VPN connection to the customer gateway, in seconds"
    )
    dpd = boolean(description="If DPD is enabled for VPN connection")
    forceencap = boolean(description="Force Encapsulation for NAT traversal")
    splitconnections = boolean(
        description="For IKEv2, whether to split multiple right subnet cidrs into multiple "
        "connection statements.",
        since="4.15.1",
    )
    ikeversion = string(
        description="Which IKE Version to use, one of ike (autoselect), ikev1, or ikev2. "
        "Connections marked with 'ike' will use 'ikev2' when initiating, but accept any "
        "protocol version when responding. Defaults to ike",
        since="4.15.1",
    )

    def spec(self) -> service.GatewaySpec:
        return service.GatewaySpec(
            name=self.name,
            gateway=self.gateway,
            cidr_list=self.cidrlist,
            ipsec_psk=self.ipsecpsk,
            ike_policy=self.ikepolicy,
            esp_policy=self.esppolicy,
            ike_lifetime=self.ikelifetime,
            esp_lifetime=self.esplifetime,
            dpd=self.dpd,
            force_encap=self.forceencap,
            split_connections=self.splitconnections,
            ike_version=self.ikeversion,
        )


class CreateVpnCustomerGateway(
    _CustomerGatewayCommand,
    api="createVpnCustomerGateway",
    is_async=True,
    response=VpnCustomerGatewayResponse,
    authorized=ALL_ROLES,
    event="VPN.S2S.CUSTOMER.GATEWAY.CREATE",
    entity_type="VpnCustomerGateway",
    since="4.0.0",
):
    """Creates site to site vpn customer gateway

    `gateway` is the peer's IPv4 address. Policies are `cipher-hash[;group]` (ciphers
    3des, aes128, aes192, aes256; hashes md5, sha1, sha256, sha384, sha512; groups
    modp1024-modp8192), the group required for IKE; lifetimes are at most 86400 seconds.
    """

    account = string(
        description="the account associated with the gateway. Must be used with the domainId "
        "parameter."
    )
    domainid = uuid_of(
        Domain,
        description="the domain ID associated with the gateway. If used with the account "
        "parameter returns the gateway associated with the account for the specified domain.",
    )

    def create(self, ctx: CommandContext) -> str:
        owner = owner_account(ctx, name=self.account, domain=self.domainid)
        gateway = service.create_customer_gateway(
            ctx.session, ctx.runtime, owner=owner, spec=self.spec()
        )
        return gateway.uuid

    def execute(self, ctx: CommandContext) -> ResponseObject:
        gateway = ctx.session.scalars(
            select(VpnCustomerGateway).where(VpnCustomerGateway.uuid == ctx.instance_id)
        ).one()
        return customer_response(ctx, gateway)


class UpdateVpnCustomerGateway(
    _CustomerGatewayCommand,
    api="updateVpnCustomerGateway",
    is_async=True,
    response=VpnCustomerGatewayResponse,
    authorized=ALL_ROLES,
    event="VPN.S2S.CUSTOMER.GATEWAY.UPDATE",
    entity_type="VpnCustomerGateway",
    since="4.0.0",
):
    """Update site to site vpn customer gateway

    Every setting is replaced (checked as on create); the routers of the VPCs connected to
    the gateway are applied again.
    """

    id = uuid_of(VpnCustomerGateway, description="id of customer gateway").required()

    def execute(self, ctx: CommandContext) -> ResponseObject:
        service.update_customer_gateway(ctx.session, ctx.runtime, gateway=self.id, spec=self.spec())
        gateway = ctx.session.get(VpnCustomerGateway, self.id.id)
        assert gateway is not None
        return customer_response(ctx, gateway)


class DeleteVpnCustomerGateway(
    Command,
    api="deleteVpnCustomerGateway",
    is_async=True,
    authorized=ALL_ROLES,
    event="VPN.S2S.CUSTOMER.GATEWAY.DELETE",
    entity_type="VpnCustomerGateway",
    since="4.0.0",
):
    """Delete site to site vpn customer gateway

    A gateway that connections use is in use (536).
    """

    id = uuid_of(VpnCustomerGateway, description="id of customer gateway").required()

    def create(self, ctx: CommandContext) -> None:
        service.check_customer_gateway_unused(ctx.session, gateway=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        service.delete_customer_gateway(ctx.session, gateway=self.id)
        return SuccessResult()


class ListVpnCustomerGateways(
    ListOwnedCommand,
    api="listVpnCustomerGateways",
    response=VpnCustomerGatewayResponse,
    authorized=ALL_ROLES,
    since="4.0.0",
):
    """Lists site to site vpn customer gateways"""

    id = uuid_of(VpnCustomerGateway, description="id of the customer gateway")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = owned_query(self, ctx, VpnCustomerGateway, by_id=self.id is not None)
        if self.id is not None:
            query = query.where(VpnCustomerGateway.id == self.id.id)
        if self.keyword:
            query = query.where(VpnCustomerGateway.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, VpnCustomerGateway.id)
        return ListResult([customer_response(ctx, row) for row in rows], count)
