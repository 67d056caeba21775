"""Public IP address commands: associateIpAddress, disassociateIpAddress,
listPublicIpAddresses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.ssh_keys import owner_account
from native.api.commands.tags import TagResponse
from native.api.commands.volumes import scope_clause
from native.api.params import boolean, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import anyone, enabled_zone
from native.model import (
    Account,
    Domain,
    Network,
    NetworkRule,
    PhysicalNetwork,
    PublicIpAddress,
    PublicIpRange,
    ResourceTag,
    VirtualMachine,
    Vpc,
    Zone,
)
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import ipam, public_ips, routers
from native.services.tags import tag_clause, tags_of, tags_param


class IpAddressResponse(ResponseObject, object_name="ipaddress"):
    id = Field("public IP address id")
    ipaddress = Field("public IP address")
    allocated = Field("date the public IP address was acquired", type="date")
    zoneid = Field("the ID of the zone the public IP address belongs to")
    zonename = Field("the name of the zone the public IP address belongs to")
    issourcenat = Field(
        "true if the IP address is a source nat address, false otherwise", type="boolean"
    )
    account = Field("the account the public IP address is associated with")
    domainid = Field("the domain ID the public IP address is associated with")
    domain = Field("the domain the public IP address is associated with")
    forvirtualnetwork = Field("the virtual network for the IP address", type="boolean")
    vlanid = Field(
        "the ID of the VLAN associated with the IP address. This parameter is visible to ROOT "
        "admins only"
    )
    vlanname = Field("the VLAN associated with the IP address")
    isstaticnat = Field("true if this ip is for static nat, false otherwise", type="boolean")
    issystem = Field(
        "true if this ip is system ip (was allocated as a part of deployVm or createLbRule)",
        type="boolean",
    )
    virtualmachineid = Field(
        "virtual machine id the ip address is assigned to (not null only for static nat Ip)"
    )
    vmipaddress = Field("virtual machine (dnat) ip address (not null only for static nat Ip)")
    virtualmachinename = Field(
        "virtual machine name the ip address is assigned to (not null only for static nat Ip)"
    )
    virtualmachinedisplayname = Field(
        "virtual machine display name the ip address is assigned to (not null only for static "
        "nat Ip)"
    )
    associatednetworkid = Field("the ID of the Network associated with the IP address")
    associatednetworkname = Field("the name of the Network associated with the IP address")
    networkid = Field("the ID of the Network where ip belongs to")
    state = Field("State of the ip address. Can be: Allocating, Allocated and Releasing")
    physicalnetworkid = Field("the physical network this belongs to")
    vpcid = Field("VPC id the ip belongs to")
    vpcname = Field("VPC name the ip belongs to")
    tags = Field("the list of resource tags associated with ip address", of=TagResponse)
    isportable = Field(
        "is public IP portable: static NAT may move it to another network or VPC of its zone",
        type="boolean",
    )
    staticnatid = Field(
        "the ID of the IP's static NAT, new each time static NAT is enabled (not null only "
        "for static nat Ip)",
        since="4.22",
    )
    fordisplay = Field("is public ip for display to the regular user", type="boolean")
    hasrules = Field(
        "whether the ip address has Firewall/PortForwarding/LoadBalancing rules defined",
        type="boolean",
        since="4.19",
    )

    @classmethod
    def of(
        cls,
        session: Session,
        ip: PublicIpAddress,
        *,
        caller: Caller,
        tags: Sequence[ResourceTag] = (),
        has_rules: bool = False,
    ) -> IpAddressResponse:
        """The response for one address (the VLAN id and display flag for root admins)."""
        zone = session.get(Zone, ip.zone_id)
        ip_range = session.get(PublicIpRange, ip.range_id)
        assert zone is not None and ip_range is not None
        physical = (
            None
            if ip_range.physical_network_id is None
            else session.get(PhysicalNetwork, ip_range.physical_network_id)
        )
        vlan = ip_range.vlan_tag
        return cls(
            id=ip.uuid,
            ipaddress=ip.address,
            allocated=ip.allocated,
            zoneid=zone.uuid,
            zonename=zone.name,
            issourcenat=ip.is_source_nat,
            forvirtualnetwork=ip_range.for_virtual_network,
            vlanid=ip_range.uuid if caller.is_root_admin else None,
            vlanname=vlan if vlan == "untagged" else f"vlan://{vlan}",
            isstaticnat=ip.is_static_nat,
            issystem=ip.is_system,
            state=ip.state,
            physicalnetworkid=None if physical is None else physical.uuid,
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            isportable=ip.is_portable,
            fordisplay=ip.for_display if caller.is_root_admin else None,
            hasrules=has_rules,
            **_owner_fields(session, ip),
            **_association_fields(session, ip),
        )


class PublicIpAddressResponse(IpAddressResponse, object_name="publicipaddress"):
    """The `publicipaddress` object of listPublicIpAddresses."""


def _owner_fields(session: Session, ip: PublicIpAddress) -> dict[str, Any]:
    account = None if ip.account_id is None else session.get(Account, ip.account_id)
    if account is None:
        return {}
    return {
        "account": account.name,
        "domainid": account.domain.uuid,
        "domain": account.domain.name,
    }


def _association_fields(session: Session, ip: PublicIpAddress) -> dict[str, Any]:
    network = None if ip.network_id is None else session.get(Network, ip.network_id)
    vpc = None if ip.vpc_id is None else session.get(Vpc, ip.vpc_id)
    vm = None if ip.vm_id is None else session.get(VirtualMachine, ip.vm_id)
    return {
        "associatednetworkid": None if network is None else network.uuid,
        "associatednetworkname": None if network is None else network.name,
        "vpcid": None if vpc is None else vpc.uuid,
        "vpcname": None if vpc is None else vpc.name,
        "virtualmachineid": None if vm is None else vm.uuid,
        "virtualmachinename": None if vm is None else vm.name,
        "virtualmachinedisplayname": None if vm is None else vm.display_name or vm.name,
        "vmipaddress": ip.vm_ip if ip.is_static_nat else None,
        "staticnatid": ip.static_nat_uuid if ip.is_static_nat else None,
    }


def _with_rules(session: Session, ip_ids: Sequence[int]) -> set[int]:
    if not ip_ids:
        return set()
    return set(
        session.scalars(
            select(NetworkRule.ip_address_id)
            .where(NetworkRule.ip_address_id.in_(list(ip_ids)), NetworkRule.state != "Revoke")
            .distinct()
        )
    )


def ip_response(ctx: CommandContext, ip: PublicIpAddress) -> IpAddressResponse:
    """The `ipaddress` response for one address, with its tags."""
    found = tags_of(ctx.session, resource_type="PublicIpAddress", resource_ids=[ip.id])
    return IpAddressResponse.of(
        ctx.session,
        ip,
        caller=ctx.caller,
        tags=found.get(ip.id, ()),
        has_rules=bool(_with_rules(ctx.session, [ip.id])),
    )


def ip_by_uuid(session: Session, uuid: str | None) -> PublicIpAddress:
    """An address by uuid; 431 if there is none."""
    ip = session.scalars(select(PublicIpAddress).where(PublicIpAddress.uuid == uuid)).first()
    if ip is None:
        raise InvalidParameterValue(f"Unable to find IP address by id {uuid}")
    return ip


class AssociateIpAddress(
    Command,
    api="associateIpAddress",
    is_async=True,
    response=IpAddressResponse,
    authorized=ALL_ROLES,
    event="NET.IPASSIGN",
    entity_type="IpAddress",
    since="1.0",
):
    """Acquires and associates a public IP to an account.

    The IP is associated with `networkid` or `vpcid` (with only `zoneid`, the owner's
    isolated network in the zone); the first IP of an isolated network or VPC becomes its
    source NAT IP (and is never portable). Counts against the owner's public IP limit.
    """

    account = string(
        description="the account to associate with this IP address; must be used with domainId"
    )
    domainid = uuid_of(Domain, description="the ID of the domain to associate with this IP address")
    zoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="the ID of the availability zone you want to acquire an public IP address from",
    )
    networkid = uuid_of(Network, description="The network this IP address should be associated to.")
    vpcid = uuid_of(Vpc, description="the VPC you want the IP address to be associated with")
    ipaddress = string(description="IP Address to be associated", since="4.13")
    fordisplay = boolean(
        description="an optional field, whether to the display the IP to the end user or not",
        since="4.4",
    )
    isportable = boolean(
        description="should be set to true if the public IP must be transferable: "
        "enableStaticNat then moves it to the VM's network or VPC in its zone; false by default",
        since="4.2",
    )

    def _owner(self, ctx: CommandContext) -> Account:
        if self.account is not None:
            return owner_account(ctx, name=self.account, domain=self.domainid)
        account_id = (
            self.networkid.account_id
            if self.networkid is not None
            else self.vpcid.account_id
            if self.vpcid is not None
            else ctx.caller.account_id
        )
        owner = ctx.session.get(Account, account_id)
        assert owner is not None
        return owner

    def create(self, ctx: CommandContext) -> str:
        owner = self._owner(ctx)
        network = self.networkid
        if network is None and self.vpcid is None:
            if self.zoneid is None:
                raise InvalidParameterValue("Either networkid, vpcid or zoneid is required")
            network = public_ips.default_network(ctx.session, owner=owner, zone_id=self.zoneid.id)
        ip = public_ips.allocate(
            ctx.session,
            ctx.runtime.settings,
            owner=owner,
            network=network,
            vpc=self.vpcid,
            zone_id=None if self.zoneid is None else self.zoneid.id,
            address=self.ipaddress,
            portable=bool(self.isportable),
        )
        if self.fordisplay is not None:
            ip.for_display = self.fordisplay
        return ip.uuid

    def execute(self, ctx: CommandContext) -> IpAddressResponse:
        ip = ip_by_uuid(ctx.session, ctx.instance_id)
        network, vpc = public_ips.router_scope(ctx.session, ip=ip)
        ip_id = ip.id
        routers.apply_change(
            ctx.session,
            ctx.runtime,
            network=network,
            vpc=vpc,
            undo=lambda session: public_ips.unallocate(session, ip_id=ip_id),
        )
        ctx.session.refresh(ip)
        return ip_response(ctx, ip)


class DisassociateIpAddress(
    Command,
    api="disassociateIpAddress",
    is_async=True,
    authorized=ALL_ROLES,
    event="NET.IPRELEASE",
    entity_type="IpAddress",
    since="1.0",
):
    """Disassociates an IP address from the account.

    Its firewall, port forwarding and load balancing rules, static NAT and remote access
    VPN go with it. A network's source NAT IP can't be disassociated.
    """

    id = uuid_of(
        PublicIpAddress, description="the ID of the public IP address to disassociate"
    ).required()

    def create(self, ctx: CommandContext) -> None:
        ip = self.id
        if ip.state != ipam.ALLOCATED:
            raise InvalidParameterValue(f"IP address {ip.address} is not allocated")
        if ip.is_source_nat:
            raise InvalidParameterValue(
                f"IP address {ip.address} is the source NAT IP of its network and can't be released"
            )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        if self.id.state == ipam.ALLOCATED:
            public_ips.release(ctx.session, ctx.runtime, ip=self.id)
        return SuccessResult()


class ListPublicIpAddresses(
    ListOwnedCommand,
    api="listPublicIpAddresses",
    response=PublicIpAddressResponse,
    authorized=ALL_ROLES,
    since="1.0",
):
    """Lists all public IP addresses.

    Allocated addresses the caller may see; with `allocatedonly=false` (or `state=Free`
    without `allocatedonly`) also the free addresses it could associate.
    """

    id = uuid_of(
        PublicIpAddress,
        visible=anyone,
        description="lists IP address by ID",
    )
    ipaddress = string(description="lists the specified IP address")
    allocatedonly = boolean(description="limits search results to allocated public IP addresses")
    associatednetworkid = uuid_of(
        Network, description="lists all public IP addresses associated to the network specified"
    )
    vpcid = uuid_of(Vpc, description="List IPs belonging to the VPC")
    zoneid = uuid_of(
        Zone, visible=enabled_zone, description="lists all public IP addresses by zone ID"
    )
    issourcenat = boolean(description="list only source NAT IP addresses")
    isstaticnat = boolean(description="list only static NAT IP addresses")
    forvirtualnetwork = boolean(description="the virtual network for the IP address")
    vlanid = uuid_of(PublicIpRange, description="lists all public IP addresses by VLAN ID")
    physicalnetworkid = uuid_of(
        PhysicalNetwork, description="lists all public IP addresses by physical network ID"
    )
    state = string(
        description="lists all public IP addresses by state: Free, Allocating, Allocated, "
        "Releasing, Reserved"
    )
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def _free_clause(self, ctx: CommandContext) -> ColumnElement[bool]:
        """Free addresses the caller could take: any for root admins, else those of ranges
        not dedicated to another account."""
        asks_free = self.allocatedonly is None and (self.state or "").lower() == "free"
        if self.allocatedonly is not False and not asks_free:
            return false()
        visible: ColumnElement[bool] = true()
        if not ctx.caller.is_root_admin:
            visible = or_(
                PublicIpRange.account_id.is_(None),
                PublicIpRange.account_id == ctx.caller.account_id,
            )
        return and_(PublicIpAddress.state == ipam.FREE, visible)

    def _filters(self, query: Select[Any]) -> Select[Any]:
        simple: list[tuple[object, ColumnElement[bool]]] = [
            (self.id, PublicIpAddress.id == getattr(self.id, "id", None)),
            (self.ipaddress, PublicIpAddress.address == (self.ipaddress or "").strip()),
            (
                self.associatednetworkid,
                PublicIpAddress.network_id == getattr(self.associatednetworkid, "id", None),
            ),
            (self.vpcid, PublicIpAddress.vpc_id == getattr(self.vpcid, "id", None)),
            (self.zoneid, PublicIpAddress.zone_id == getattr(self.zoneid, "id", None)),
            (self.issourcenat, PublicIpAddress.is_source_nat.is_(bool(self.issourcenat))),
            (self.isstaticnat, PublicIpAddress.is_static_nat.is_(bool(self.isstaticnat))),
            (
                self.forvirtualnetwork,
                PublicIpRange.for_virtual_network.is_(bool(self.forvirtualnetwork)),
            ),
            (self.vlanid, PublicIpRange.id == getattr(self.vlanid, "id", None)),
            (
                self.physicalnetworkid,
                PublicIpRange.physical_network_id == getattr(self.physicalnetworkid, "id", None),
            ),
            (self.state, func.lower(PublicIpAddress.state) == (self.state or "").lower()),
            (self.keyword or None, PublicIpAddress.address.contains(self.keyword or "")),
        ]
        for given, condition in simple:
            if given is not None:
                query = query.where(condition)
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="PublicIpAddress",
                    id_column=PublicIpAddress.id,
                    tags=tags_param(self.tags),
                )
            )
        return query

    def query(self, ctx: CommandContext) -> Select[Any]:
        owned = and_(
            PublicIpAddress.state != ipam.FREE,
            scope_clause(self, ctx, by_id=self.id is not None),
        )
        query = (
            select(PublicIpAddress)
            .join(PublicIpRange, PublicIpRange.id == PublicIpAddress.range_id)
            .outerjoin(Account, Account.id == PublicIpAddress.account_id)
            .outerjoin(Domain, Domain.id == Account.domain_id)
            .where(PublicIpRange.removed.is_(None), or_(owned, self._free_clause(ctx)))
        )
        if self.fordisplay is not None and ctx.caller.is_root_admin:
            query = query.where(PublicIpAddress.for_display.is_(self.fordisplay))
        elif not ctx.caller.is_root_admin:
            query = query.where(PublicIpAddress.for_display.is_(True))
        return self._filters(query)

    def execute(self, ctx: CommandContext) -> ListResult:
        rows, count = self.page_of_query(ctx, self.query(ctx), PublicIpAddress.id)
        ids = [row.id for row in rows]
        found = tags_of(ctx.session, resource_type="PublicIpAddress", resource_ids=ids)
        ruled = _with_rules(ctx.session, ids)
        return ListResult(
            [
                PublicIpAddressResponse.of(
                    ctx.session,
                    row,
                    caller=ctx.caller,
                    tags=found.get(row.id, ()),
                    has_rules=row.id in ruled,
                )
                for row in rows
            ],
            count,
        )
