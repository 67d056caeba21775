"""Guest network commands: createNetwork, listNetworks, updateNetwork, restartNetwork,
deleteNetwork; and the commands that change a VM's NICs: addNicToVirtualMachine,
removeNicFromVirtualMachine, updateDefaultNicForVirtualMachine."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.ssh_keys import owner_account
from native.api.commands.tags import TagResponse
from native.api.commands.virtual_machines import VmResponse, render
from native.api.commands.volumes import scope_clause
from native.api.params import StringKind, boolean, list_of, map_of, string, uuid_of, uuids_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import anyone, enabled_zone
from native.model import (
    Account,
    Domain,
    Network,
    NetworkAcl,
    NetworkOffering,
    Nic,
    PhysicalNetwork,
    ResourceTag,
    VirtualMachine,
    Vpc,
    Zone,
)
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import cidrs, guest_networks, vm_nics
from native.services.network.defaults import ISOLATED, SHARED
from native.services.network.implement import services_of
from native.services.tags import tag_clause, tags_of, tags_param
from native.services.visibility import can_see

GUEST_TYPES = {"isolated": ISOLATED, "shared": SHARED, "l2": "L2"}


def visible_acl(session: Session, caller: Caller, acl: NetworkAcl) -> bool:
    """A built-in ACL list (default_allow, default_deny), or one of a VPC the caller sees."""
    if acl.vpc_id is None:
        return True
    vpc = session.get(Vpc, acl.vpc_id)
    return vpc is not None and can_see(caller, vpc, session)


class ProviderResponse(ResponseObject, object_name="provider"):
    name = Field("the provider name")


class CapabilityResponse(ResponseObject, object_name="capability"):
    name = Field("the capability name")
    value = Field("the capability value")
    canchooseservicecapability = Field(
        "can this service capability value can be choosable while creatine network offerings",
        type="boolean",
    )


class NetworkServiceResponse(ResponseObject, object_name="service"):
    name = Field("the service name")
    provider = Field("the service provider name", of=ProviderResponse)
    capability = Field("the list of capabilities", of=CapabilityResponse)

    @classmethod
    def of_offering(cls, offering: NetworkOffering) -> list[NetworkServiceResponse]:
        """The services an offering gives, with their providers and capabilities."""
        capabilities: dict[str, dict[str, str]] = json.loads(offering.capabilities or "{}")
        return [
            cls(
                name=service,
                provider=[ProviderResponse(name=name) for name in providers],
                capability=[
                    CapabilityResponse(name=key, value=value, canchooseservicecapability=False)
                    for key, value in capabilities.get(service, {}).items()
                ],
            )
            for service, providers in services_of(offering).items()
        ]


class NetworkResponse(ResponseObject, object_name="network"):
    id = Field("the id of the network")
    name = Field("the name of the network")
    displaytext = Field("the displaytext of the network")
    broadcastdomaintype = Field("Broadcast domain type of the network")
    traffictype = Field("the traffic type of the network")
    gateway = Field("the network's gateway")
    netmask = Field("the network's netmask")
    cidr = Field(
        "Cloudstack managed address space, all CloudStack managed VMs get IP address from CIDR"
    )
    zoneid = Field("zone id of the network")
    zonename = Field("the name of the zone the network belongs to")
    networkofferingid = Field("network offering id the network is created from")
    networkofferingname = Field("name of the network offering the network is created from")
    networkofferingdisplaytext = Field(
        "display text of the network offering the network is created from"
    )
    networkofferingconservemode = Field(
        "true if network offering is ip conserve mode enabled", type="boolean"
    )
    networkofferingavailability = Field(
        "availability of the network offering the network is created from"
    )
    issystem = Field("true if network is system, false otherwise", type="boolean")
    state = Field("state of the network")
    related = Field("related to what other network configuration")
    broadcasturi = Field(
        "broadcast uri of the network. This parameter is visible to ROOT admins only"
    )
    dns1 = Field("the first DNS for the network")
    dns2 = Field("the second DNS for the network")
    type = Field("the type of the network")
    vlan = Field("The vlan of the network. This parameter is visible to ROOT admins only")
    acltype = Field("acl type - access type to the network")
    subdomainaccess = Field(
        "true if users from subdomains can access the domain level network", type="boolean"
    )
    account = Field("the owner of the network")
    domainid = Field("the domain id of the network owner")
    domain = Field("the domain name of the network owner")
    isdefault = Field(
        "true if network is default, false otherwise (in Alto: the network a deploy without "
        "networkids uses for its owner)",
        type="boolean",
    )
    service = Field("the list of services", of=NetworkServiceResponse)
    networkdomain = Field("the network domain")
    physicalnetworkid = Field("the physical network id")
    restartrequired = Field("true network requires restart", type="boolean")
    specifyipranges = Field(
        "true if network supports specifying ip ranges, false otherwise", type="boolean"
    )
    startip = Field("the first guest IP address of a network with an IP range (Alto extension)")
    endip = Field("the last guest IP address of a network with an IP range (Alto extension)")
    vpcid = Field("VPC the network belongs to")
    vpcname = Field("Name of the VPC to which this network belongs", since="4.15")
    canusefordeploy = Field("list networks available for vm deployment", type="boolean")
    ispersistent = Field("list networks that are persistent", type="boolean")
    tags = Field("the list of resource tags associated with network", of=TagResponse)
    displaynetwork = Field(
        "an optional field, whether to the display the network to the end user or not.",
        type="boolean",
    )
    aclid = Field("ACL Id associated with the VPC network")
    aclname = Field("ACL name associated with the VPC network")
    redundantrouter = Field(
        "If the network has redundant routers enabled", type="boolean", since="4.11.1"
    )
    egressdefaultpolicy = Field(
        "true if guest network default egress policy is allow; false if default egress policy "
        "is deny",
        type="boolean",
    )
    created = Field("the date this network was created", type="date", since="4.16.0")
    mappubliciponlaunch = Field(
        "Whether instances launched into the network should get a public IP; absent when "
        "never set (Alto extension)",
        type="boolean",
    )

    @classmethod
    def of(
        cls,
        session: Session,
        network: Network,
        *,
        caller: Caller,
        tags: Sequence[ResourceTag] = (),
        is_default: bool = False,
    ) -> NetworkResponse:
        zone = session.get(Zone, network.zone_id)
        offering = session.get(NetworkOffering, network.network_offering_id)
        assert zone is not None and offering is not None
        admin = caller.is_root_admin
        uri = None if network.vlan is None else f"vlan://{network.vlan}"
        ranged = network.ip_start is not None
        return cls(
            id=network.uuid,
            name=network.name,
            displaytext=network.display_text,
            broadcastdomaintype="Vlan",
            traffictype=network.traffic_type,
            gateway=network.gateway,
            netmask=network.netmask,
            cidr=network.cidr,
            zoneid=zone.uuid,
            zonename=zone.name,
            state=network.state,
            related=network.uuid,
            broadcasturi=uri if admin else None,
            dns1=network.dns1 or zone.dns1,
            dns2=network.dns2 or zone.dns2,
            type=network.guest_type,
            vlan=None if not admin or network.vlan is None else str(network.vlan),
            acltype=network.acl_type,
            subdomainaccess=True if network.acl_type == "Domain" else None,
            isdefault=is_default,
            networkdomain=network.network_domain or f"cs{network.account_id}cloud.internal",
            restartrequired=network.restart_required,
            specifyipranges=network.specify_ip_ranges,
            startip=network.ip_start if ranged else None,
            endip=network.ip_end if ranged else None,
            canusefordeploy=guest_networks.has_free_address(session, network=network),
            tags=[TagResponse.of(tag, session=session) for tag in tags],
            displaynetwork=network.display_network if admin else None,
            redundantrouter=False,
            created=network.created,
            mappubliciponlaunch=network.map_public_ip_on_launch,
            **_offering_fields(offering),
            **_linked_fields(session, network),
        )


def _offering_fields(offering: NetworkOffering) -> dict[str, Any]:
    return {
        "networkofferingid": offering.uuid,
        "networkofferingname": offering.name,
        "networkofferingdisplaytext": offering.display_text,
        "networkofferingconservemode": offering.conserve_mode,
        "networkofferingavailability": offering.availability,
        "issystem": offering.is_system,
        "ispersistent": offering.persistent,
        "egressdefaultpolicy": offering.egress_default_allow,
        "service": NetworkServiceResponse.of_offering(offering),
    }


def _linked_fields(session: Session, network: Network) -> dict[str, Any]:
    """The fields naming the network's owner, VPC, ACL list and physical network."""
    account = session.get(Account, network.account_id)
    domain = session.get(Domain, network.domain_id)
    assert account is not None and domain is not None
    vpc = None if network.vpc_id is None else session.get(Vpc, network.vpc_id)
    acl = None if network.acl_id is None else session.get(NetworkAcl, network.acl_id)
    physical = (
        None
        if network.physical_network_id is None
        else session.get(PhysicalNetwork, network.physical_network_id)
    )
    return {
        "account": account.name if network.acl_type == "Account" else None,
        "domainid": domain.uuid,
        "domain": domain.name,
        "physicalnetworkid": None if physical is None else physical.uuid,
        "vpcid": None if vpc is None else vpc.uuid,
        "vpcname": None if vpc is None else vpc.name,
        "aclid": None if acl is None else acl.uuid,
        "aclname": None if acl is None else acl.name,
    }


def network_responses(ctx: CommandContext, networks: Sequence[Network]) -> list[NetworkResponse]:
    """The responses for a page of networks, with their tags."""
    found = tags_of(ctx.session, resource_type="Network", resource_ids=[n.id for n in networks])
    defaults = guest_networks.default_network_ids(ctx.session, networks)
    return [
        NetworkResponse.of(
            ctx.session,
            network,
            caller=ctx.caller,
            tags=found.get(network.id, ()),
            is_default=network.id in defaults,
        )
        for network in networks
    ]


def network_response(ctx: CommandContext, network: Network) -> NetworkResponse:
    """The response for one network."""
    ctx.session.refresh(network)
    return network_responses(ctx, [network])[0]


def _network_by_uuid(ctx: CommandContext, uuid: str | None) -> Network:
    return ctx.session.scalars(select(Network).where(Network.uuid == uuid)).one()


class CreateNetwork(
    Command,
    api="createNetwork",
    response=NetworkResponse,
    authorized=ALL_ROLES,
    event="NETWORK.CREATE",
    entity_type="Network",
):
    """Creates a network

    Isolated networks take `gateway`/`netmask` (the zone's guest CIDR by default); Shared
    networks are for admins and need `startip`, `gateway`, `netmask` and (root admins)
    `vlan`; L2 networks have no addressing. With `vpcid` the network is a tier of the VPC:
    its CIDR lies inside the VPC's and overlaps no other tier's, and `aclid` (default
    `default_deny`) filters its traffic.
    """

    name = string(description="the name of the network").required()
    displaytext = string(description="the display text of the network")
    networkofferingid = uuid_of(
        NetworkOffering, visible=anyone, description="the network offering ID"
    ).required()
    zoneid = uuid_of(
        Zone, visible=enabled_zone, description="the zone ID for the network"
    ).required()
    physicalnetworkid = uuid_of(
        PhysicalNetwork, description="the physical network ID the network belongs to"
    )
    gateway = string(
        description="the gateway of the network. Required for shared networks and isolated "
        "networks when it belongs to VPC"
    )
    netmask = string(
        description="the netmask of the network. Required for shared networks and isolated "
        "networks when it belongs to VPC"
    )
    startip = string(description="the beginning IP address in the network IP range")
    endip = string(
        description="the ending IP address in the network IP range. If not specified, will be "
        "defaulted to startIP"
    )
    vlan = string(description="the ID or VID of the network (root admins only)")
    networkdomain = string(description="network domain")
    acltype = string(
        description="Access control type; supported values are account and domain. In 3.0 all "
        "shared networks should have aclType=Domain, and all isolated networks - Account. "
        "Account means that only the account owner can use the network, domain - all accounts "
        "in the domain can use the network"
    )
    account = string(description="account that will own the network")
    domainid = uuid_of(Domain, description="domain ID of the account owning a network")
    vpcid = uuid_of(Vpc, description="the VPC network belongs to")
    aclid = uuid_of(
        NetworkAcl, visible=visible_acl, description="Network ACL ID associated for the network"
    )
    displaynetwork = boolean(
        description="an optional field, whether to the display the network to the end user or not."
    )
    dns1 = string(description="the first DNS for the network", since="4.18.0")
    dns2 = string(description="the second DNS for the network", since="4.18.0")

    def _spec(self, ctx: CommandContext) -> guest_networks.NewNetwork:
        offering = self.networkofferingid
        owner = owner_account(ctx, name=self.account, domain=self.domainid)
        acl_type = guest_networks.acl_type_of(self.acltype, offering=offering)
        if self.physicalnetworkid is not None and (
            offering.guest_ip_type != SHARED or self.physicalnetworkid.zone_id != self.zoneid.id
        ):
            raise InvalidParameterValue(
                "physicalnetworkid can be given for Shared networks only, and must be in zoneid"
            )
        return guest_networks.NewNetwork(
            owner=owner,
            zone=self.zoneid,
            offering=offering,
            name=self.name,
            display_text=self.displaytext,
            gateway=self.gateway,
            netmask=self.netmask,
            start_ip=self.startip,
            end_ip=self.endip,
            network_domain=self.networkdomain,
            vlan=guest_networks.parse_vlan(self.vlan),
            vpc=self.vpcid,
            acl_type=acl_type,
            display=self.displaynetwork is not False or not ctx.caller.is_root_admin,
            domain=self.domainid if acl_type == "Domain" and self.account is None else None,
            physical_network=self.physicalnetworkid,
        )

    def execute(self, ctx: CommandContext) -> NetworkResponse:
        network = guest_networks.create_guest_network(
            ctx.session,
            ctx.runtime.settings,
            caller=ctx.caller,
            spec=self._spec(ctx),
            acl=self.aclid,
        )
        for what, value in (("dns1", self.dns1), ("dns2", self.dns2)):
            if value is not None:
                setattr(network, what, str(cidrs.address(value, what=what)))
        ctx.session.flush()
        return network_response(ctx, network)


class ListNetworks(
    ListOwnedCommand, api="listNetworks", response=NetworkResponse, authorized=ALL_ROLES
):
    """Lists all available networks.

    A caller sees its own networks (with `listall`, every network of the accounts it may
    see) and the Shared domain-wide networks of its domain and the domains above it.
    """

    id = uuid_of(Network, visible=vm_nics.visible_network, description="list networks by ID")
    ids = uuids_of(
        Network,
        visible=vm_nics.visible_network,
        description="the IDs of the networks",
        since="4.19",
    )
    name = string(description="list networks by name")
    zoneid = uuid_of(Zone, visible=enabled_zone, description="the zone ID of the network")
    type = string(
        description="the type of the network. Supported values are: isolated, l2, shared and all"
    )
    traffictype = string(description="type of the traffic")
    isdefault = boolean(description="true if network is default, false otherwise")
    acltype = string(
        description="list networks by ACL (access control list) type. Supported values are "
        "account and domain"
    )
    issystem = boolean(description="true if network is system, false otherwise")
    physicalnetworkid = uuid_of(PhysicalNetwork, description="list networks by physical network id")
    supportedservices = list_of(
        StringKind(), description="list networks supporting certain services"
    )
    restartrequired = boolean(description="list networks by restartRequired")
    specifyipranges = boolean(
        description="true if need to list only networks which support specifying IP ranges"
    )
    vpcid = uuid_of(Vpc, description="List networks by VPC")
    canusefordeploy = boolean(description="list networks available for VM deployment")
    forvpc = boolean(description="the network belongs to VPC")
    displaynetwork = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )
    networkofferingid = uuid_of(
        NetworkOffering, visible=anyone, description="list networks by network offering ID"
    )
    tags = map_of(description="List resources by tags (key/value pairs)")

    def _scope(self, ctx: CommandContext) -> ColumnElement[bool]:
        owned = scope_clause(self, ctx, by_id=self.id is not None or bool(self.ids))
        if self.account is not None:
            return owned
        shared = vm_nics.open_to_domain(ctx.caller)
        if self.domainid is not None:
            shared = and_(shared, Network.domain_id == self.domainid.id)
        return or_(owned, shared)

    def _kind(self, query: Select[Network]) -> Select[Network]:
        if self.type is not None and self.type.strip().lower() != "all":
            guest_type = GUEST_TYPES.get(self.type.strip().lower())
            if guest_type is None:
                raise InvalidParameterValue(
                    f"Invalid type {self.type}: use isolated, l2, shared or all"
                )
            query = query.where(Network.guest_type == guest_type)
        if self.traffictype is not None:
            query = query.where(func.lower(Network.traffic_type) == self.traffictype.lower())
        if self.acltype is not None:
            query = query.where(func.lower(Network.acl_type) == self.acltype.lower())
        if self.issystem is not None:
            query = query.where(NetworkOffering.is_system.is_(self.issystem))
        if self.vpcid is not None:
            query = query.where(Network.vpc_id == self.vpcid.id)
        if self.forvpc is not None:
            query = query.where(
                Network.vpc_id.is_not(None) if self.forvpc else Network.vpc_id.is_(None)
            )
        if self.restartrequired is not None:
            query = query.where(Network.restart_required.is_(self.restartrequired))
        if self.specifyipranges is not None:
            query = query.where(Network.specify_ip_ranges.is_(self.specifyipranges))
        if self.networkofferingid is not None:
            query = query.where(Network.network_offering_id == self.networkofferingid.id)
        if self.physicalnetworkid is not None:
            query = query.where(Network.physical_network_id == self.physicalnetworkid.id)
        return query

    def query(self, ctx: CommandContext) -> Select[Network]:
        query = (
            select(Network)
            .join(Account, Account.id == Network.account_id)
            .join(Domain, Domain.id == Account.domain_id)
            .join(NetworkOffering, NetworkOffering.id == Network.network_offering_id)
            .where(Network.removed.is_(None), self._scope(ctx))
        )
        if self.id is not None:
            query = query.where(Network.id == self.id.id)
        if self.ids:
            query = query.where(Network.id.in_([network.id for network in self.ids]))
        if self.name is not None:
            query = query.where(Network.name == self.name)
        if self.keyword:
            query = query.where(
                or_(
                    Network.name.contains(self.keyword, autoescape=True),
                    Network.display_text.contains(self.keyword, autoescape=True),
                )
            )
        if self.zoneid is not None:
            query = query.where(Network.zone_id == self.zoneid.id)
        if self.displaynetwork is not None and ctx.caller.is_root_admin:
            query = query.where(Network.display_network.is_(self.displaynetwork))
        elif not ctx.caller.is_root_admin:
            query = query.where(Network.display_network.is_(True))
        if self.tags:
            query = query.where(
                tag_clause(
                    resource_type="Network", id_column=Network.id, tags=tags_param(self.tags)
                )
            )
        return self._kind(query)

    def _wanted(self, ctx: CommandContext, network: Network, defaults: set[int]) -> bool:
        """The filters computed per network: isdefault, canusefordeploy, supportedservices."""
        if self.isdefault is not None and (network.id in defaults) != self.isdefault:
            return False
        if self.canusefordeploy is not None and self.canusefordeploy != (
            guest_networks.has_free_address(ctx.session, network=network)
        ):
            return False
        if self.supportedservices:
            offering = ctx.session.get(NetworkOffering, network.network_offering_id)
            assert offering is not None
            offered = {name.lower() for name in services_of(offering)}
            return all(name.lower() in offered for name in self.supportedservices)
        return True

    def execute(self, ctx: CommandContext) -> ListResult:
        query = self.query(ctx)
        if self.isdefault is None and self.canusefordeploy is None and not self.supportedservices:
            rows, count = self.page_of_query(ctx, query, Network.id)
            return ListResult(network_responses(ctx, rows), count)
        every = ctx.session.scalars(query.order_by(Network.id)).all()
        defaults = guest_networks.default_network_ids(ctx.session, every)
        kept = [network for network in every if self._wanted(ctx, network, defaults)]
        return ListResult(network_responses(ctx, self.page_of_items(ctx, kept)), len(kept))


class UpdateNetwork(
    Command,
    api="updateNetwork",
    is_async=True,
    response=NetworkResponse,
    authorized=ALL_ROLES,
    event="NETWORK.UPDATE",
    entity_type="Network",
):
    """Updates a network

    `networkofferingid` may name another isolated offering of the same kind (VPC or not,
    with source NAT or not); the router of an implemented network is re-applied when its
    offering or network domain changes.
    """

    id = uuid_of(Network, description="the ID of the network").required()
    name = string(description="the new name for the network")
    displaytext = string(description="the new display text for the network")
    networkdomain = string(description="network domain")
    networkofferingid = uuid_of(NetworkOffering, visible=anyone, description="network offering ID")
    displaynetwork = boolean(
        description="an optional field, whether to the display the network to the end user or not."
    )
    mappubliciponlaunch = boolean(
        description="whether instances launched into the network should get a public IP "
        "(a stored flag, Alto extension)"
    )

    def _change(self, ctx: CommandContext) -> guest_networks.NetworkChange:
        return guest_networks.NetworkChange(
            name=self.name,
            display_text=self.displaytext,
            network_domain=self.networkdomain,
            display=self.displaynetwork if ctx.caller.is_root_admin else None,
            offering=self.networkofferingid,
            map_public_ip_on_launch=self.mappubliciponlaunch,
        )

    def create(self, ctx: CommandContext) -> str | None:
        guest_networks.check_update(ctx.session, network=self.id, change=self._change(ctx))
        return None

    def execute(self, ctx: CommandContext) -> NetworkResponse:
        guest_networks.update_network(
            ctx.session, ctx.runtime, network=self.id, change=self._change(ctx)
        )
        return network_response(ctx, _network_by_uuid(ctx, self.id.uuid))


class RestartNetwork(
    Command,
    api="restartNetwork",
    is_async=True,
    authorized=ALL_ROLES,
    event="NETWORK.RESTART",
    entity_type="Network",
):
    """Restarts the network; includes 1) restarting network elements - virtual routers, DHCP servers 2) reapplying all public IPs 3) reapplying loadBalancing/portForwarding rules

    With `cleanup` the network's router is destroyed and a new one made; a network never
    implemented is implemented.
    """

    id = uuid_of(Network, description="The ID of the network to restart.").required()
    cleanup = boolean(description="If cleanup old network elements")

    def create(self, ctx: CommandContext) -> str | None:
        guest_networks.check_live(self.id)
        return None

    def execute(self, ctx: CommandContext) -> SuccessResult:
        guest_networks.restart_network(
            ctx.session, ctx.runtime, network=self.id, cleanup=bool(self.cleanup)
        )
        return SuccessResult()


class DeleteNetwork(
    Command,
    api="deleteNetwork",
    is_async=True,
    authorized=ALL_ROLES,
    event="NETWORK.DELETE",
    entity_type="Network",
):
    """Deletes a network

    Refused (536) while VMs that are not expunged have NICs on it. Its rules, router,
    VLAN, public IPs and tags go with it.
    """

    id = uuid_of(Network, description="the ID of the network").required()

    def create(self, ctx: CommandContext) -> str | None:
        guest_networks.check_deletable(ctx.session, network=self.id)
        return None

    def execute(self, ctx: CommandContext) -> SuccessResult:
        guest_networks.delete_network(ctx.session, ctx.runtime, network=self.id)
        return SuccessResult()


def _vm_nic(vm: VirtualMachine, nic: Nic) -> Nic:
    if nic.vm_id != vm.id:
        raise InvalidParameterValue(f"NIC {nic.uuid} is not a NIC of VM {vm.name} (nicid)")
    return nic


class AddNicToVirtualMachine(
    Command,
    api="addNicToVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="NIC.CREATE",
    entity_type="VirtualMachine",
    since="4.2.0",
):
    """Adds VM to specified network by creating a NIC

    The VM must be Running or Stopped and not yet on the network; the network is
    implemented (and its router applied) at once if the VM runs.
    """

    virtualmachineid = uuid_of(VirtualMachine, description="Virtual Machine ID").required()
    networkid = uuid_of(Network, visible=anyone, description="Network ID").required()
    ipaddress = string(description="IP Address for the new network")

    def job_instance_id(self) -> str | None:
        return self.virtualmachineid.uuid

    def create(self, ctx: CommandContext) -> str | None:
        vm_nics.add_nic(
            ctx.session, vm=self.virtualmachineid, network=self.networkid, address=self.ipaddress
        )
        return None

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.virtualmachineid
        nic = ctx.session.scalars(
            select(Nic).where(Nic.vm_id == vm.id, Nic.network_id == self.networkid.id)
        ).one()
        vm_nics.plug_nic(ctx.session, ctx.runtime, vm=vm, nic=nic)
        return render(ctx, vm)


class RemoveNicFromVirtualMachine(
    Command,
    api="removeNicFromVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="NIC.DELETE",
    entity_type="VirtualMachine",
    since="4.2.0",
):
    """Removes VM from specified network by deleting a NIC

    Not the default NIC, nor one whose address a port forward, LB rule or static NAT names.
    """

    virtualmachineid = uuid_of(VirtualMachine, description="Virtual Machine ID").required()
    nicid = uuid_of(Nic, visible=anyone, description="NIC ID").required()

    def job_instance_id(self) -> str | None:
        return self.virtualmachineid.uuid

    def create(self, ctx: CommandContext) -> str | None:
        vm_nics.check_removable(ctx.session, vm=self.virtualmachineid, nic=self.nicid)
        return None

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.virtualmachineid
        vm_nics.remove_nic(ctx.session, ctx.runtime, vm=vm, nic=_vm_nic(vm, self.nicid))
        return render(ctx, vm)


class UpdateDefaultNicForVirtualMachine(
    Command,
    api="updateDefaultNicForVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="NIC.UPDATE",
    entity_type="VirtualMachine",
    since="4.2.0",
):
    """Changes the default NIC on a VM"""

    virtualmachineid = uuid_of(VirtualMachine, description="Virtual Machine ID").required()
    nicid = uuid_of(Nic, visible=anyone, description="NIC ID").required()

    def job_instance_id(self) -> str | None:
        return self.virtualmachineid.uuid

    def create(self, ctx: CommandContext) -> str | None:
        vm_nics.check_default_change(ctx.session, vm=self.virtualmachineid, nic=self.nicid)
        return None

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = self.virtualmachineid
        vm_nics.set_default_nic(ctx.session, ctx.runtime, vm=vm, nic=_vm_nic(vm, self.nicid))
        return render(ctx, vm)
