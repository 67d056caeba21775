"""Public IP range commands: createVlanIpRange, listVlanIpRanges, deleteVlanIpRange,
dedicatePublicIpRange, releasePublicIpRange."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select

from native.api.command import Command, CommandContext, ListCommand
from native.api.commands.ssh_keys import owner_account
from native.api.params import boolean, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import (
    Account,
    Domain,
    Network,
    PhysicalNetwork,
    Pod,
    PublicIpRange,
    Zone,
)
from native.services.network import ipam
from native.services.network.implement import guest_physical_network


class VlanIpRangeResponse(ResponseObject, object_name="vlan"):
    id = Field("the ID of the VLAN IP range")
    forvirtualnetwork = Field("the virtual network for the VLAN IP range", type="boolean")
    zoneid = Field("the Zone ID of the VLAN IP range")
    vlan = Field("the ID or VID of the VLAN.")
    account = Field("the account of the VLAN IP range")
    domainid = Field("the domain ID of the VLAN IP range")
    domain = Field("the domain name of the VLAN IP range")
    podid = Field("the Pod ID for the VLAN IP range")
    podname = Field("the Pod name for the VLAN IP range")
    gateway = Field("the gateway of the VLAN IP range")
    netmask = Field("the netmask of the VLAN IP range")
    description = Field("the description of the VLAN IP range")
    startip = Field("the start ip of the VLAN IP range")
    endip = Field("the end ip of the VLAN IP range")
    networkid = Field("the network id of vlan range")
    physicalnetworkid = Field("the physical network this belongs to")
    forsystemvms = Field(
        "indicates whether VLAN IP range is dedicated to system vms or not", type="boolean"
    )

    @classmethod
    def of(cls, ctx: CommandContext, row: PublicIpRange) -> VlanIpRangeResponse:
        session = ctx.session
        zone = session.get(Zone, row.zone_id)
        assert zone is not None
        account = None if row.account_id is None else session.get(Account, row.account_id)
        domain_id = row.domain_id if account is None else account.domain_id
        domain = None if domain_id is None else session.get(Domain, domain_id)
        pod = None if row.pod_id is None else session.get(Pod, row.pod_id)
        network = None if row.network_id is None else session.get(Network, row.network_id)
        physical = (
            None
            if row.physical_network_id is None
            else session.get(PhysicalNetwork, row.physical_network_id)
        )
        return cls(
            id=row.uuid,
            forvirtualnetwork=row.for_virtual_network,
            zoneid=zone.uuid,
            vlan=row.vlan_tag if row.vlan_tag == "untagged" else f"vlan://{row.vlan_tag}",
            account=None if account is None else account.name,
            domainid=None if domain is None else domain.uuid,
            domain=None if domain is None else domain.name,
            podid=None if pod is None else pod.uuid,
            podname=None if pod is None else pod.name,
            gateway=row.gateway,
            netmask=row.netmask,
            description=f"{row.start_ip}-{row.end_ip}",
            startip=row.start_ip,
            endip=row.end_ip,
            networkid=None if network is None else network.uuid,
            physicalnetworkid=None if physical is None else physical.uuid,
            forsystemvms=row.for_system_vms,
        )


class CreateVlanIpRange(
    Command,
    api="createVlanIpRange",
    response=VlanIpRangeResponse,
    event="VLAN.IP.RANGE.CREATE",
    entity_type="Vlan",
    since="1.0",
):
    """Creates a VLAN IP range.

    Every address of the range becomes a Free public IP of the zone; `account` dedicates
    the range to one account.
    """

    zoneid = uuid_of(Zone, description="the Zone ID of the VLAN IP range").required()
    podid = uuid_of(
        Pod, description="optional parameter. Have to be specified for Direct Untagged vlan only."
    )
    vlan = string(
        description="the ID or VID of the VLAN. If not specified, will be defaulted "
        "to the vLAN of the network or if vlan of the network is null - to Untagged"
    )
    gateway = string(description="the gateway of the VLAN IP range").required()
    netmask = string(description="the netmask of the VLAN IP range").required()
    startip = string(description="the beginning IP address in the VLAN IP range").required()
    endip = string(description="the ending IP address in the VLAN IP range")
    forvirtualnetwork = boolean(description="true if VLAN is of Virtual type, false if Direct")
    account = string(
        description="account who will own the VLAN. If VLAN is Zone wide, this "
        "parameter should be omitted"
    )
    domainid = uuid_of(Domain, description="domain ID of the account owning a VLAN")
    physicalnetworkid = uuid_of(PhysicalNetwork, description="the physical network id")
    networkid = uuid_of(Network, description="the network id")
    forsystemvms = boolean(
        description="true if IP range is set to system vms, false if not", since="4.15"
    )

    def execute(self, ctx: CommandContext) -> VlanIpRangeResponse:
        owner = (
            None
            if self.account is None
            else owner_account(ctx, name=self.account, domain=self.domainid)
        )
        physical = self.physicalnetworkid or guest_physical_network(
            ctx.session, zone_id=self.zoneid.id
        )
        tag = (self.vlan or "untagged").strip().removeprefix("vlan://")
        ip_range = PublicIpRange(
            zone_id=self.zoneid.id,
            physical_network_id=None if physical is None else physical.id,
            pod_id=None if self.podid is None else self.podid.id,
            vlan_tag="untagged" if tag.lower() == "untagged" else tag,
            gateway=self.gateway,
            netmask=self.netmask,
            start_ip=self.startip,
            end_ip=self.endip or self.startip,
            account_id=None if owner is None else owner.id,
            domain_id=(None if owner is None else owner.domain_id)
            if self.domainid is None
            else self.domainid.id,
            network_id=None if self.networkid is None else self.networkid.id,
            for_virtual_network=self.forvirtualnetwork is not False,
            for_system_vms=bool(self.forsystemvms),
        )
        ipam.add_public_range(ctx.session, ip_range=ip_range)
        return VlanIpRangeResponse.of(ctx, ip_range)


class VlanIpRangeListItem(VlanIpRangeResponse, object_name="vlaniprange"):
    """The `vlaniprange` object of listVlanIpRanges."""


class ListVlanIpRanges(
    ListCommand,
    api="listVlanIpRanges",
    response=VlanIpRangeListItem,
    since="1.0",
):
    """Lists all VLAN IP ranges."""

    id = uuid_of(PublicIpRange, description="the ID of the VLAN IP range")
    zoneid = uuid_of(Zone, description="the Zone ID of the VLAN IP range")
    podid = uuid_of(Pod, description="the Pod ID of the VLAN IP range")
    vlan = string(description='the ID or VID of the VLAN. Default is an "untagged" VLAN.')
    account = string(description="the account with which the VLAN IP range is associated")
    domainid = uuid_of(
        Domain, description="the domain ID with which the VLAN IP range is associated"
    )
    networkid = uuid_of(Network, description="network id of the VLAN IP range")
    physicalnetworkid = uuid_of(
        PhysicalNetwork, description="physical network id of the VLAN IP range"
    )
    forvirtualnetwork = boolean(description="true if VLAN is of Virtual type, false if Direct")

    def _conditions(self, ctx: CommandContext) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [PublicIpRange.removed.is_(None)]
        if self.account is not None:
            owner = owner_account(ctx, name=self.account, domain=self.domainid)
            conditions.append(PublicIpRange.account_id == owner.id)
        elif self.domainid is not None:
            conditions.append(PublicIpRange.domain_id == self.domainid.id)
        if self.vlan is not None:
            tag = self.vlan.strip().removeprefix("vlan://")
            conditions.append(func.lower(PublicIpRange.vlan_tag) == tag.lower())
        if self.keyword:
            conditions.append(PublicIpRange.start_ip.contains(self.keyword, autoescape=True))
        return conditions

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(PublicIpRange).where(*self._conditions(ctx))
        by_column = [
            (self.id, PublicIpRange.id),
            (self.zoneid, PublicIpRange.zone_id),
            (self.podid, PublicIpRange.pod_id),
            (self.networkid, PublicIpRange.network_id),
            (self.physicalnetworkid, PublicIpRange.physical_network_id),
        ]
        for row, column in by_column:
            if row is not None:
                query = query.where(column == row.id)
        if self.forvirtualnetwork is not None:
            query = query.where(PublicIpRange.for_virtual_network.is_(self.forvirtualnetwork))
        rows, count = self.page_of_query(ctx, query, PublicIpRange.id)
        return ListResult([VlanIpRangeListItem.of(ctx, row) for row in rows], count)


class DeleteVlanIpRange(
    Command,
    api="deleteVlanIpRange",
    event="VLAN.IP.RANGE.DELETE",
    entity_type="Vlan",
    since="1.0",
):
    """Deletes a VLAN IP range.

    536 while any address of the range is allocated.
    """

    id = uuid_of(PublicIpRange, description="the id of the VLAN IP range").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        ipam.remove_public_range(ctx.session, ip_range=self.id)
        return SuccessResult()


class DedicatePublicIpRange(
    Command,
    api="dedicatePublicIpRange",
    response=VlanIpRangeResponse,
    event="VLAN.IP.RANGE.DEDICATE",
    entity_type="Vlan",
    since="4.2.0",
):
    """Dedicates a Public IP range to an account

    Its free addresses are then taken only by that account (before any shared range).
    """

    id = uuid_of(PublicIpRange, description="the id of the VLAN IP range").required()
    account = string(description="account who will own the VLAN").required()
    domainid = uuid_of(Domain, description="domain ID of the account owning a VLAN").required()

    def execute(self, ctx: CommandContext) -> VlanIpRangeResponse:
        owner = owner_account(ctx, name=self.account, domain=self.domainid)
        ipam.dedicate_public_range(ctx.session, ip_range=self.id, account=owner)
        return VlanIpRangeResponse.of(ctx, self.id)


class ReleasePublicIpRange(
    Command,
    api="releasePublicIpRange",
    event="VLAN.IP.RANGE.RELEASE",
    entity_type="Vlan",
    since="4.2.0",
):
    """Releases a Public IP range back to the system pool"""

    id = uuid_of(PublicIpRange, description="the id of the Public IP range").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        ipam.release_public_range(ctx.session, ip_range=self.id)
        return SuccessResult()
