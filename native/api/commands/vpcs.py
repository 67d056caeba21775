"""VPC commands: createVPC, listVPCs, updateVPC, restartVPC, deleteVPC."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.networks import (
    CapabilityResponse,
    NetworkResponse,
    NetworkServiceResponse,
    ProviderResponse,
    network_responses,
)
from native.api.commands.ssh_keys import owner_account
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import StringKind, boolean, list_of, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import anyone, enabled_zone
from native.model import (
    Account,
    DhcpOptionsSet,
    Domain,
    ResourceTag,
    Vpc,
    VpcOffering,
    Zone,
)
from native.services.errors import CloudError, InvalidParameterValue
from native.services.network import dhcp_options, vpcs
from native.services.network.offerings import supports_region_level
from native.services.tags import tag_clause, tags_of, tags_param

DEFAULT_PUBLIC_MTU = 1500


def services_of(offering: VpcOffering) -> list[NetworkServiceResponse]:
    """The services (with providers and capabilities) a VPC offering supports."""
    providers: dict[str, list[str]] = json.loads(offering.services)
    capabilities: dict[str, dict[str, str]] = json.loads(offering.capabilities)
    return [
        NetworkServiceResponse(
            name=name,
            provider=[ProviderResponse(name=provider) for provider in names],
            capability=[
                CapabilityResponse(name=key, value=value, canchooseservicecapability=False)
                for key, value in capabilities.get(name, {}).items()
            ],
        )
        for name, names in providers.items()
    ]


class VpcResponse(ResponseObject, object_name="vpc"):
    id = Field("The ID of the VPC")
    name = Field("The name of the VPC")
    displaytext = Field("An alternate display text of the VPC.")
    state = Field("State of the VPC. Can be Inactive/Enabled")
    zoneid = Field("Zone ID of the VPC")
    zonename = Field("The name of the zone the VPC belongs to")
    service = Field("The list of supported services", of=NetworkServiceResponse)
    cidr = Field("The CIDR the VPC")
    vpcofferingid = Field("VPC offering ID the VPC is created from")
    vpcofferingname = Field("VPC offering name the VPC is created from", since="4.13.2")
    created = Field("The date this VPC was created", type="date")
    account = Field("The owner of the VPC")
    domainid = Field("The domain ID of the VPC owner")
    domain = Field("The domain name of the owner")
    domainpath = Field("The domain path of the owner", since="4.19.2.0")
    network = Field("The list of Networks belonging to the VPC", of=NetworkResponse)
    restartrequired = Field("True VPC requires restart", type="boolean")
    networkdomain = Field("The Network domain of the VPC")
    tags = Field("The list of resource tags associated with the project", of=TagResponse)
    fordisplay = Field("Is VPC for display to the regular user", type="boolean", since="4.4")
    distributedvpcrouter = Field(
        "Does VPC use distributed router for one hop forwarding and host based Network ACL's",
        type="boolean",
        since="4.4",
    )
    regionlevelvpc = Field("True if VPC is region level", type="boolean", since="4.4")
    redundantvpcrouter = Field("If this VPC has redundant router", type="boolean", since="4.6")
    publicmtu = Field(
        "MTU configured on the public interfaces of the VPC VR", type="integer", since="4.18.0"
    )
    dns1 = Field("The first IPv4 DNS for the VPC")
    dns2 = Field("The second IPv4 DNS for the VPC")
    enablednssupport = Field(
        "Whether DNS resolution is on in the VPC (Alto extension)", type="boolean"
    )
    enablednshostnames = Field(
        "Whether instances get DNS host names; absent when never set (Alto extension)",
        type="boolean",
    )
    enablenetworkaddressusagemetrics = Field(
        "Whether network address usage metrics are on (Alto extension)", type="boolean"
    )
    dhcpoptionssetid = Field(
        "The ID of the DHCP options set the VPC's tiers get; absent: the VPC's own network "
        "domain and DNS (Alto extension)"
    )

    @classmethod
    def of(cls, ctx: CommandContext, vpc: Vpc, *, tags: Sequence[ResourceTag] = ()) -> VpcResponse:
        session, caller = ctx.session, ctx.caller
        zone = session.get(Zone, vpc.zone_id)
        offering = session.get(VpcOffering, vpc.vpc_offering_id)
        owner = session.get(Account, vpc.account_id)
        assert zone is not None and offering is not None and owner is not None
        options = (
            None
            if vpc.dhcp_options_set_id is None
            else session.get(DhcpOptionsSet, vpc.dhcp_options_set_id)
        )
        return cls(
            id=vpc.uuid,
            name=vpc.name,
            displaytext=vpc.display_text,
            state=vpc.state,
            zoneid=zone.uuid,
            zonename=zone.name,
            service=services_of(offering),
            cidr=vpc.cidr,
            vpcofferingid=offering.uuid,
            vpcofferingname=offering.name,
            created=vpc.created,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            domainpath=owner.domain.path,
            network=network_responses(ctx, vpcs.live_tiers(session, vpc_id=vpc.id)),
            restartrequired=vpc.restart_required,
            networkdomain=vpc.network_domain,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            fordisplay=vpc.display if caller.is_root_admin else None,
            distributedvpcrouter=False,
            regionlevelvpc=supports_region_level(offering),
            redundantvpcrouter=False,
            publicmtu=DEFAULT_PUBLIC_MTU,
            dns1=vpc.dns1,
            dns2=vpc.dns2,
            enablednssupport=vpc.dns_support,
            enablednshostnames=vpc.dns_hostnames,
            enablenetworkaddressusagemetrics=vpc.address_usage_metrics,
            dhcpoptionssetid=None if options is None else options.uuid,
        )


def vpc_response(ctx: CommandContext, vpc: Vpc) -> VpcResponse:
    """The response for one VPC, with its tags."""
    found = tags_of(ctx.session, resource_type="Vpc", resource_ids=[vpc.id])
    return VpcResponse.of(ctx, vpc, tags=found.get(vpc.id, ()))


def _vpc_by_uuid(ctx: CommandContext) -> Vpc:
    vpc = ctx.session.scalars(select(Vpc).where(Vpc.uuid == ctx.instance_id)).one()
    return vpc


class CreateVpc(
    Command,
    api="createVPC",
    is_async=True,
    response=VpcResponse,
    authorized=ALL_ROLES,
    event="VPC.CREATE",
    entity_type="Vpc",
):
    """Creates a VPC

    `cidr` is the VPC's super-CIDR, inside an RFC 1918 private range; its tiers' CIDRs must
    lie within it. With `start` (the default) the VPC gets its virtual router and its
    source NAT public IP at once; if that fails, the VPC is removed again.
    """

    account = string(
        description="the account associated with the VPC. Must be used with the domainId parameter."
    )
    domainid = uuid_of(
        Domain,
        description="the domain ID associated with the VPC. If used with the account parameter "
        "returns the VPC associated with the account for the specified domain.",
    )
    zoneid = uuid_of(
        Zone, visible=enabled_zone, description="the ID of the availability zone"
    ).required()
    name = string(description="the name of the VPC").required()
    displaytext = string(description="The display text of the VPC, defaults to its 'name'.")
    cidr = string(
        description="the cidr of the VPC. All VPC guest networks' cidrs should be within this CIDR"
    ).required()
    vpcofferingid = uuid_of(
        VpcOffering, visible=anyone, description="the ID of the VPC offering"
    ).required()
    networkdomain = string(
        description="VPC network domain. All networks inside the VPC will belong to this domain"
    )
    start = boolean(
        description="If set to false, the VPC won't start (VPC VR will not get allocated) until "
        "its first network gets implemented. True by default.",
        since="4.3",
    )
    fordisplay = boolean(
        description="an optional field, whether to the display the vpc to the end user or not",
        since="4.4",
    )
    dns1 = string(description="the first IPv4 DNS for the VPC", since="4.18.0")
    dns2 = string(description="the second IPv4 DNS for the VPC", since="4.18.0")
    sourcenatipaddress = string(
        description="IPV4 address to be assigned to the public interface of the network router. "
        "This address will be used as source NAT address for the networks in ths VPC.",
        since="4.19",
    )

    def create(self, ctx: CommandContext) -> str:
        owner = owner_account(ctx, name=self.account, domain=self.domainid)
        vpc = vpcs.create_vpc(
            ctx.session,
            ctx.runtime.settings,
            spec=vpcs.NewVpc(
                owner=owner,
                zone=self.zoneid,
                offering=self.vpcofferingid,
                name=self.name,
                cidr=self.cidr,
                display_text=self.displaytext,
                network_domain=self.networkdomain,
                dns1=self.dns1,
                dns2=self.dns2,
                display=self.fordisplay is not False,
            ),
        )
        return vpc.uuid

    def execute(self, ctx: CommandContext) -> VpcResponse:
        vpc = _vpc_by_uuid(ctx)
        if self.start is not False:
            vpc_id = vpc.id
            try:
                vpcs.start_vpc(
                    ctx.session, ctx.runtime, vpc=vpc, source_nat_address=self.sourcenatipaddress
                )
            except CloudError:
                vpcs.discard_vpc(ctx.session, ctx.runtime, vpc_id=vpc_id)
                raise
        return vpc_response(ctx, vpc)


class ListVpcs(ListOwnedCommand, api="listVPCs", response=VpcResponse, authorized=ALL_ROLES):
    """Lists VPCs

    Without `listall`, `account` or `domainid`, a caller sees its own account's VPCs (all
    it may see when asking by `id`).
    """

    id = uuid_of(Vpc, description="list VPC by id")
    zoneid = uuid_of(Zone, visible=enabled_zone, description="list by zone")
    name = string(description="list by name of the VPC")
    displaytext = string(description="List by display text of the VPC")
    cidr = string(
        description="list by cidr of the VPC. All VPC guest networks' cidrs should be within "
        "this CIDR"
    )
    vpcofferingid = uuid_of(
        VpcOffering, visible=anyone, description="list by ID of the VPC offering"
    )
    supportedservices = list_of(StringKind(), description="list VPC supporting certain services")
    state = string(description="list VPCs by state")
    restartrequired = boolean(description="list VPCs by restartRequired option")
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def query(self, ctx: CommandContext) -> Select[Vpc]:
        query = (
            select(Vpc)
            .join(Account, Account.id == Vpc.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .where(Vpc.removed.is_(None), scope_clause(self, ctx, by_id=self.id is not None))
        )
        exact = {
            Vpc.id: None if self.id is None else self.id.id,
            Vpc.zone_id: None if self.zoneid is None else self.zoneid.id,
            Vpc.cidr: self.cidr,
            Vpc.vpc_offering_id: None if self.vpcofferingid is None else self.vpcofferingid.id,
            Vpc.state: self.state,
            Vpc.restart_required: self.restartrequired,
            Vpc.display: self.fordisplay,
        }
        for column, value in exact.items():
            if value is not None:
                query = query.where(column == value)
        if self.name is not None:
            query = query.where(Vpc.name.contains(self.name, autoescape=True))
        if self.displaytext is not None:
            query = query.where(Vpc.display_text.contains(self.displaytext, autoescape=True))
        if self.keyword:
            query = query.where(
                or_(
                    Vpc.name.contains(self.keyword, autoescape=True),
                    Vpc.display_text.contains(self.keyword, autoescape=True),
                )
            )
        if self.tags:
            query = query.where(
                tag_clause(resource_type="Vpc", id_column=Vpc.id, tags=tags_param(self.tags))
            )
        return query

    def _supports(self, session: Session, vpc: Vpc) -> bool:
        offering = session.get(VpcOffering, vpc.vpc_offering_id)
        assert offering is not None
        offered = {name.lower() for name in json.loads(offering.services)}
        return all(service.lower() in offered for service in self.supportedservices or ())

    def execute(self, ctx: CommandContext) -> ListResult:
        if self.supportedservices:
            matching = [
                vpc
                for vpc in ctx.session.scalars(self.query(ctx).order_by(Vpc.id))
                if self._supports(ctx.session, vpc)
            ]
            rows, count = self.page_of_items(ctx, matching), len(matching)
        else:
            rows, count = self.page_of_query(ctx, self.query(ctx), Vpc.id)
        found = tags_of(ctx.session, resource_type="Vpc", resource_ids=[row.id for row in rows])
        return ListResult(
            [VpcResponse.of(ctx, row, tags=found.get(row.id, ())) for row in rows],
            count,
        )


class UpdateVpc(
    Command,
    api="updateVPC",
    is_async=True,
    response=VpcResponse,
    authorized=ALL_ROLES,
    event="VPC.UPDATE",
    entity_type="Vpc",
):
    """Updates a VPC

    `enablednssupport`, `enablednshostnames` and `enablenetworkaddressusagemetrics` are
    stored attributes of the VPC (Alto extensions, for EC2's VPC attributes).
    `dhcpoptionssetid` gives the VPC's tiers a DHCP options set of the VPC's account and
    `resetdhcpoptions` takes them back to the VPC's own network domain and DNS (Alto
    extensions); either applies the VPC's router.
    """

    id = uuid_of(Vpc, description="the id of the VPC").required()
    name = string(description="the name of the VPC")
    displaytext = string(description="the display text of the VPC")
    fordisplay = boolean(
        description="an optional field, whether to the display the vpc to the end user or not",
        since="4.4",
    )
    enablednssupport = boolean(description="turn DNS resolution in the VPC on or off")
    enablednshostnames = boolean(description="turn DNS host names of instances on or off")
    enablenetworkaddressusagemetrics = boolean(
        description="turn network address usage metrics on or off"
    )
    dhcpoptionssetid = uuid_of(
        DhcpOptionsSet, description="the DHCP options set the VPC's tiers get"
    )
    resetdhcpoptions = boolean(
        description="give the VPC's tiers its own network domain and DNS again, not a set's"
    )

    def create(self, ctx: CommandContext) -> None:
        if self.name is not None and not self.name.strip():
            raise InvalidParameterValue("The name of a VPC must not be empty")
        if self.resetdhcpoptions and self.dhcpoptionssetid is not None:
            raise InvalidParameterValue(
                "Specify either dhcpoptionssetid or resetdhcpoptions, not both"
            )
        if self.resetdhcpoptions or self.dhcpoptionssetid is not None:
            dhcp_options.check_associable(vpc=self.id, options_set=self.dhcpoptionssetid)

    def execute(self, ctx: CommandContext) -> VpcResponse:
        vpc = self.id
        if self.name:
            vpc.name = self.name
        if self.displaytext:
            vpc.display_text = self.displaytext
        if self.fordisplay is not None:
            vpc.display = self.fordisplay
        if self.enablednssupport is not None:
            vpc.dns_support = self.enablednssupport
        if self.enablednshostnames is not None:
            vpc.dns_hostnames = self.enablednshostnames
        if self.enablenetworkaddressusagemetrics is not None:
            vpc.address_usage_metrics = self.enablenetworkaddressusagemetrics
        ctx.session.flush()
        if self.resetdhcpoptions or self.dhcpoptionssetid is not None:
            dhcp_options.associate(
                ctx.session, ctx.runtime, vpc=vpc, options_set=self.dhcpoptionssetid
            )
        return vpc_response(ctx, vpc)


class RestartVpc(
    Command,
    api="restartVPC",
    is_async=True,
    authorized=ALL_ROLES,
    event="VPC.RESTART",
    entity_type="Vpc",
):
    """Restarts a VPC

    The VPC's router is applied again; with `cleanup` it is destroyed and recreated with
    the VPC's implemented tiers. A VPC that was not started gets its router now.
    """

    id = uuid_of(Vpc, description="the id of the VPC").required()
    cleanup = boolean(description="If cleanup old network elements", since="4.6")
    makeredundant = boolean(
        description="Turn a single VPC into a redundant one (not supported: ignored).",
        since="4.6",
    )

    def create(self, ctx: CommandContext) -> None:
        vpcs.check_enabled(self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        vpcs.check_enabled(self.id)
        vpcs.restart_vpc(ctx.session, ctx.runtime, vpc=self.id, cleanup=bool(self.cleanup))
        return SuccessResult()


class DeleteVpc(
    Command,
    api="deleteVPC",
    is_async=True,
    authorized=ALL_ROLES,
    event="VPC.DELETE",
    entity_type="Vpc",
):
    """Deletes a VPC

    Only a VPC with no tiers can be deleted. Its router is destroyed, its public IPs are
    released and its private gateways, static routes, ACL lists and VPNs are removed.
    """

    id = uuid_of(Vpc, description="the ID of the VPC").required()

    def create(self, ctx: CommandContext) -> None:
        vpcs.check_deletable(ctx.session, vpc=self.id)

    def execute(self, ctx: CommandContext) -> SuccessResult:
        vpcs.check_deletable(ctx.session, vpc=self.id)
        vpcs.destroy_vpc(ctx.session, ctx.runtime, vpc=self.id)
        return SuccessResult()
