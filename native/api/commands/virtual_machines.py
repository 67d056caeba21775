"""VM commands: deployVirtualMachine and listVirtualMachines, and the `virtualmachine` response."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.affinity_groups import AffinityGroupResponse, groups_named
from native.api.commands.nics import NicResponse
from native.api.commands.security_groups import SecurityGroupResponse
from native.api.commands.tags import TagResponse
from native.api.params import StringKind, boolean, list_of, long, map_of, string, uuid_of, uuids_of
from native.api.responses import Field, ListResult, ResponseObject
from native.api.visible import anyone
from native.model import (
    Account,
    AffinityGroup,
    DiskOffering,
    Domain,
    Host,
    Network,
    Pod,
    ResourceTag,
    SecurityGroup,
    ServiceOffering,
    Template,
    VirtualMachine,
    Zone,
)
from native.services import vm_deploy, vm_listing, volumes
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue, PermissionDenied
from native.services.network import vm_nics
from native.services.runtime import Runtime
from native.services.visibility import accounts_clause
from native.services.vm_listing import Related, VmFilter

DETAIL_GROUPS = frozenset(
    {
        "all",
        "group",
        "nics",
        "stats",
        "secgrp",
        "tmpl",
        "servoff",
        "diskoff",
        "backoff",
        "iso",
        "volume",
        "min",
        "affgrp",
    }
)


class VmResponse(ResponseObject, object_name="virtualmachine"):
    id = Field("the ID of the virtual machine")
    name = Field("the name of the virtual machine")
    displayname = Field(
        "user generated name. The name of the virtual machine is returned if no displayname exists."
    )
    instancename = Field(
        "instance name of the user vm; this parameter is returned to the ROOT admin only"
    )
    account = Field("the account associated with the virtual machine")
    domainid = Field("the ID of the domain in which the virtual machine exists")
    domain = Field("the name of the domain in which the virtual machine exists")
    created = Field("the date when this virtual machine was created", type="date")
    lastupdated = Field("the date when this virtual machine was updated last time", type="date")
    state = Field("the state of the virtual machine")
    haenable = Field("true if high-availability is enabled, false otherwise", type="boolean")
    zoneid = Field("the ID of the availability zone for the virtual machine")
    zonename = Field("the name of the availability zone for the virtual machine")
    hostid = Field("the ID of the host for the virtual machine")
    hostname = Field("the name of the host for the virtual machine")
    podid = Field("the ID of the pod of the virtual machine")
    templateid = Field(
        "the ID of the template for the virtual machine. A -1 is returned if the virtual machine was created from an ISO file."
    )
    templatename = Field("the name of the template for the virtual machine")
    templatedisplaytext = Field("an alternate display text of the template for the virtual machine")
    passwordenabled = Field(
        "true if the password rest feature is enabled, false otherwise", type="boolean"
    )
    password = Field("the password (if exists) of the virtual machine")
    isoid = Field("the ID of the ISO attached to the virtual machine")
    isoname = Field("the name of the ISO attached to the virtual machine")
    isodisplaytext = Field("an alternate display text of the ISO attached to the virtual machine")
    serviceofferingid = Field("the ID of the service offering of the virtual machine")
    serviceofferingname = Field("the name of the service offering of the virtual machine")
    cpunumber = Field("the number of vCPUs this virtual machine is using", type="integer")
    cpuspeed = Field("the speed of each vCPU", type="integer")
    memory = Field("the memory allocated for the virtual machine", type="integer")
    guestosid = Field("Os type ID of the virtual machine")
    ostypeid = Field("OS type id of the vm")
    osdisplayname = Field("OS name of the vm")
    rootdeviceid = Field("device ID of the root volume", type="long")
    rootdevicetype = Field("device type of the root volume")
    hypervisor = Field("the hypervisor on which the template runs")
    keypairs = Field("ssh key-pairs")
    affinitygroup = Field(
        "list of affinity groups associated with the virtual machine", of=AffinityGroupResponse
    )
    tags = Field("the list of resource tags associated", of=TagResponse)
    nic = Field("the list of nics associated with vm", of=NicResponse)
    securitygroup = Field(
        "list of security groups associated with the virtual machine", of=SecurityGroupResponse
    )
    publicip = Field("public IP address id associated with vm via Static nat rule")
    publicipid = Field("public IP address id associated with vm via Static nat rule")
    details = Field("Vm details in key/value pairs.", type="map")
    displayvm = Field(
        "an optional field whether to the display the vm to the end user or not.", type="boolean"
    )
    isdynamicallyscalable = Field(
        "true if vm contains XS/VMWare tools inorder to support dynamic scaling of VM cpu/memory.",
        type="boolean",
    )
    userdata = Field("Base64 string containing the user data")
    deleteprotection = Field(
        "true if the VM cannot be destroyed (delete protection)", type="boolean", since="4.20.0"
    )

    @classmethod
    def page(
        cls,
        session: Session,
        vms: Sequence[VirtualMachine],
        *,
        caller: Caller,
        groups: Collection[str] = ("all",),
        show_userdata: bool = False,
        password: str | None = None,
    ) -> list[VmResponse]:
        """Responses for a page of VMs in a fixed number of queries.

        `groups` are listVirtualMachines' `details` (which optional parts to include);
        `password` is shown only right after a deploy or reset.
        """
        loaded = vm_listing.related(session, vms)
        wanted = set(DETAIL_GROUPS) if not groups or "all" in groups else set(groups)
        return [
            cls.of(
                vm,
                loaded,
                caller=caller,
                groups=wanted,
                show_userdata=show_userdata,
                password=password,
            )
            for vm in vms
        ]

    @classmethod
    def of(
        cls,
        vm: VirtualMachine,
        loaded: Related,
        *,
        caller: Caller,
        groups: set[str],
        show_userdata: bool,
        password: str | None,
    ) -> VmResponse:
        account, domain, zone = (
            loaded.accounts[vm.account_id],
            loaded.domains[vm.domain_id],
            loaded.zones[vm.zone_id],
        )
        host = None if vm.host_id is None else loaded.hosts.get(vm.host_id)
        values: dict[str, object] = {
            "id": vm.uuid,
            "name": vm.name,
            "displayname": vm.display_name or vm.name,
            "account": account.name,
            "domainid": domain.uuid,
            "domain": domain.name,
            "created": vm.created,
            "lastupdated": vm.last_updated,
            "state": vm.state,
            "haenable": vm.ha_enabled,
            "zoneid": zone.uuid,
            "zonename": zone.name,
            "hypervisor": vm.hypervisor_type,
            "password": password,
            "displayvm": vm.display_vm,
            "keypairs": ",".join(pair["name"] for pair in json.loads(vm.keypairs or "[]")) or None,
            "tags": [_tag(tag, account.name, domain) for tag in loaded.tags.get(vm.id, [])],
            "details": json.loads(vm.details or "{}") or None,
            "userdata": vm.user_data if show_userdata else None,
            "deleteprotection": vm.delete_protection,
        }
        if caller.is_root_admin:
            values["instancename"] = vm.instance_name
            if host is not None:
                values.update(hostid=host.uuid, hostname=host.name)
        if vm.pod_id is not None and caller.is_root_admin:
            values["podid"] = None if host is None else host.pod_uuid
        os_type = None if vm.guest_os_id is None else loaded.os_types.get(vm.guest_os_id)
        if os_type is not None:
            values.update(
                guestosid=os_type.uuid, ostypeid=os_type.uuid, osdisplayname=os_type.description
            )
        _optional(values, vm, loaded, groups)
        return cls(**values)


def _tag(tag: ResourceTag, account: str, domain: Domain) -> TagResponse:
    return TagResponse(
        key=tag.key,
        value=tag.value,
        resourcetype=tag.resource_type,
        resourceid=tag.resource_uuid,
        account=account,
        domainid=domain.uuid,
        domain=domain.name,
        customer=tag.customer,
    )


def _optional(
    values: dict[str, object], vm: VirtualMachine, loaded: Related, groups: set[str]
) -> None:
    template = loaded.templates.get(vm.template_id)
    if "tmpl" in groups and template is not None:
        from_iso = template.format == "ISO"
        values.update(
            templateid="-1" if from_iso else template.uuid,
            templatename=None if from_iso else template.name,
            templatedisplaytext=None if from_iso else template.display_text,
            passwordenabled=template.password_enabled,
            isdynamicallyscalable=template.is_dynamically_scalable,
        )
    iso = None if vm.iso_id is None else loaded.templates.get(vm.iso_id)
    if "iso" in groups and iso is not None:
        values.update(isoid=iso.uuid, isoname=iso.name, isodisplaytext=iso.display_text)
    offering = loaded.offerings.get(vm.service_offering_id)
    if "servoff" in groups and offering is not None:
        values.update(
            serviceofferingid=offering.uuid,
            serviceofferingname=offering.name,
            cpunumber=vm.cpu_number,
            cpuspeed=vm.cpu_speed,
            memory=vm.memory,
        )
    root_device = loaded.root_devices.get(vm.id)
    if "volume" in groups and root_device is not None:
        values.update(rootdeviceid=root_device, rootdevicetype="ROOT")
    if "affgrp" in groups:
        values["affinitygroup"] = [
            AffinityGroupResponse(
                id=group.uuid, name=group.name, description=group.description, type=group.group_type
            )
            for group in loaded.groups.get(vm.id, [])
        ]
    if "nics" in groups:
        values["nic"] = [
            NicResponse.of(nic, network, vm_uuid=vm.uuid)
            for nic, network in loaded.nics.get(vm.id, [])
        ]
    if "secgrp" in groups:
        account = loaded.accounts[vm.account_id]
        values["securitygroup"] = [
            SecurityGroupResponse.of(group, owner=account)
            for group in loaded.security_groups.get(vm.id, [])
        ]
    static_nat = loaded.static_nat.get(vm.id)
    if static_nat is not None:
        values.update(publicip=static_nat.address, publicipid=static_nat.uuid)


def network_by_uuid(session: Session, uuid: str | None) -> Network:
    """A live network by uuid; 431 if there is none."""
    network = session.scalars(
        select(Network).where(Network.uuid == (uuid or "").strip(), Network.removed.is_(None))
    ).first()
    if network is None:
        raise InvalidParameterValue(f"Unable to find network by id {uuid}")
    return network


def vm_by_uuid(session: Session, uuid: str | None) -> VirtualMachine:
    """The VM an async command's create phase made or named."""
    return session.scalars(select(VirtualMachine).where(VirtualMachine.uuid == uuid)).one()


def render(ctx: CommandContext, vm: VirtualMachine, *, password: str | None = None) -> VmResponse:
    """The full response for one VM (after an action on it)."""
    ctx.session.refresh(vm)
    return VmResponse.page(ctx.session, [vm], caller=ctx.caller, password=password)[0]


def shown_password(runtime: Runtime, vm: VirtualMachine, template: Template | None) -> str | None:
    """The VM's password for the response of its deploy, if its template is password-enabled."""
    if template is None or not template.password_enabled or vm.password is None:
        return None
    return runtime.secrets.open(vm.password)


class DeployVirtualMachine(
    Command,
    api="deployVirtualMachine",
    is_async=True,
    response=VmResponse,
    authorized=ALL_ROLES,
    event="VM.CREATE",
    entity_type="VirtualMachine",
):
    """Creates and automatically starts a virtual machine based on a service offering, disk offering, and template.

    With no `networkids` in an Advanced zone the VM goes on its owner's default isolated
    network (created if missing). `securitygroupids`/`securitygroupnames` work on every
    network type, VPC tiers included (an Alto extension of CloudStack, which allows them
    only in security-group zones).
    """

    zoneid = uuid_of(
        Zone, visible=anyone, description="availability zone for the virtual machine"
    ).required()
    serviceofferingid = uuid_of(
        ServiceOffering,
        visible=anyone,
        description="the ID of the service offering for the virtual machine",
    ).required()
    templateid = uuid_of(
        Template, visible=anyone, description="the ID of the template for the virtual machine"
    ).required()
    networkids = uuids_of(
        Network, visible=anyone, description="list of network ids used by virtual machine."
    )
    ipaddress = string(description="the ip address for default vm's network")
    iptonetworklist = map_of(
        description="ip to network mapping. Can't be specified with networkIds parameter. "
        "Example: iptonetworklist[0].ip=10.10.10.11&iptonetworklist[0].networkid=uuid"
    )
    securitygroupids = uuids_of(
        SecurityGroup,
        visible=anyone,
        description="comma separated list of security groups id that going to be applied to "
        "the virtual machine. Mutually exclusive with securitygroupnames parameter",
    )
    securitygroupnames = list_of(
        StringKind(),
        description="comma separated list of security groups names that going to be applied "
        "to the virtual machine. Mutually exclusive with securitygroupids parameter",
    )
    keypair = string(description="name of the ssh key pair used to login to the virtual machine")
    keypairs = list_of(
        StringKind(),
        description="names of the ssh key pairs used to login to the virtual machine",
        since="4.17",
    )
    userdata = string(
        description="an optional binary data that can be sent to the virtual machine upon a successful deployment. This binary data must be base64 encoded.",
        length=1048576,
    )
    userdataid = string(description="the ID of the Userdata", since="4.18", length=40)
    displayname = string(description="an optional user generated name for the virtual machine")
    name = string(description="host name for the virtual machine")
    startvm = boolean(
        description="true if start vm after creating; defaulted to true if not specified"
    )
    hostid = uuid_of(
        Host,
        visible=anyone,
        description="destination Host ID to deploy the VM to - parameter available for root admin only",
    )
    diskofferingid = uuid_of(
        DiskOffering,
        visible=anyone,
        description="the ID of the disk offering for the virtual machine (a data disk, or the root disk when deploying from an ISO)",
    )
    size = long(
        description="the arbitrary size for the DATADISK volume (GB). Mutually exclusive with diskOfferingId"
    )
    rootdisksize = long(description="Optional field to resize root disk on deploy (GB)")
    affinitygroupids = uuids_of(
        AffinityGroup,
        description="comma separated list of affinity groups id that are going to be applied to the virtual machine.",
    )
    affinitygroupnames = list_of(
        StringKind(),
        description="comma separated list of affinity groups names that are going to be applied to the virtual machine.",
    )
    details = map_of(
        description="used to specify the custom parameters (cpuNumber, cpuSpeed, memory)"
    )
    account = string(
        description="an optional account for the virtual machine. Must be used with domainId."
    )
    domainid = uuid_of(
        Domain,
        description="an optional domainId for the virtual machine. If the account parameter is used, domainId must also be used.",
    )
    displayvm = boolean(
        description="an optional field, whether to the display the vm to the end user or not."
    )

    def _spec(self, ctx: CommandContext) -> vm_deploy.DeploySpec:
        if self.hostid is not None and not ctx.caller.is_root_admin:
            raise PermissionDenied(
                "Parameter hostid can only be specified by a Root Admin, permission denied"
            )
        owner = volumes.owner_account(
            ctx.session, caller=ctx.caller, name=self.account, domain=self.domainid
        )
        details: dict[str, str] = {}
        for entry in self.details or []:
            details.update(entry)
        return vm_deploy.DeploySpec(
            zone=self.zoneid,
            offering=self.serviceofferingid,
            template=self.templateid,
            owner=owner,
            name=self.name,
            display_name=self.displayname,
            user_data=self.userdata,
            userdata_id=self.userdataid,
            keypairs=[*([self.keypair] if self.keypair else []), *(self.keypairs or [])],
            host=self.hostid,
            disk_offering=self.diskofferingid,
            size_gb=self.size,
            root_disk_size_gb=self.rootdisksize,
            affinity_groups=groups_named(
                ctx.session, owner=owner, ids=self.affinitygroupids, names=self.affinitygroupnames
            ),
            details=details,
            display_vm=self.displayvm is not False,
            **self._networking(ctx, owner),
        )

    def _networking(self, ctx: CommandContext, owner: Account) -> dict[str, Any]:
        """The networks, addresses and security groups of the deploy, resolved."""
        networks = list(self.networkids or [])
        addresses: dict[int, str] = {}
        if self.iptonetworklist:
            if networks:
                raise InvalidParameterValue(
                    "iptonetworklist can't be specified along with networkids"
                )
            for entry in self.iptonetworklist:
                network = network_by_uuid(ctx.session, entry.get("networkid"))
                networks.append(network)
                if entry.get("ip"):
                    addresses[network.id] = entry["ip"]
        if self.ipaddress is not None:
            if not networks:
                networks = vm_nics.networks_for_deploy(
                    ctx.session, ctx.runtime.settings, owner=owner, zone=self.zoneid, requested=[]
                )
            if networks:
                addresses[networks[0].id] = self.ipaddress
        if self.securitygroupids and self.securitygroupnames:
            raise InvalidParameterValue(
                "securitygroupids and securitygroupnames are mutually exclusive"
            )
        groups = list(self.securitygroupids or [])
        for name in self.securitygroupnames or []:
            group = ctx.session.scalars(
                select(SecurityGroup).where(
                    SecurityGroup.account_id == owner.id,
                    SecurityGroup.vpc_id.is_(None),
                    SecurityGroup.name == name,
                )
            ).first()
            if group is None:
                raise InvalidParameterValue(f"Unable to find security group by name {name}")
            groups.append(group)
        return {"networks": networks, "addresses": addresses, "security_groups": groups}

    def create(self, ctx: CommandContext) -> str:
        vm, _ = vm_deploy.allocate_vm(
            ctx.session, ctx.runtime, caller=ctx.caller, spec=self._spec(ctx)
        )
        return vm.uuid

    def execute(self, ctx: CommandContext) -> VmResponse:
        vm = vm_by_uuid(ctx.session, ctx.instance_id)
        vm_deploy.deploy_vm(
            ctx.session,
            ctx.runtime,
            vm=vm,
            host_id=None if self.hostid is None else self.hostid.id,
            start=self.startvm is not False,
        )
        template = ctx.session.get(Template, vm.template_id)
        return render(ctx, vm, password=shown_password(ctx.runtime, vm, template))


class ListVirtualMachines(
    ListOwnedCommand,
    api="listVirtualMachines",
    response=VmResponse,
    authorized=ALL_ROLES,
):
    """List the virtual machines owned by the account."""

    id = uuid_of(VirtualMachine, description="the ID of the virtual machine", include_removed=True)
    ids = uuids_of(
        VirtualMachine,
        description="the IDs of the virtual machines, mutually exclusive with id",
        since="4.4",
        include_removed=True,
    )
    state = string(
        description="state of the virtual machine. Possible values are: Running, Stopped, Present, Destroyed, Expunged. Present is used for the state equal not destroyed."
    )
    zoneid = uuid_of(Zone, visible=anyone, description="the availability zone ID")
    hostid = uuid_of(Host, visible=anyone, description="the host ID")
    podid = uuid_of(Pod, visible=anyone, description="the pod ID")
    name = string(description="name of the virtual machine (a substring match is not done)")
    templateid = uuid_of(Template, visible=anyone, description="list vms by template")
    isoid = uuid_of(Template, visible=anyone, description="list vms by iso")
    serviceofferingid = uuid_of(
        ServiceOffering, visible=anyone, description="list by the service offering", since="4.4"
    )
    affinitygroupid = uuid_of(AffinityGroup, description="list vms by affinity group")
    haenable = boolean(
        description="list by the High Availability offering; true if filtering VMs with HA enabled; false for VMs with HA disabled",
        since="4.15",
    )
    displayvm = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this parameter",
        since="4.4",
    )
    networkid = uuid_of(Network, visible=anyone, description="list by network id")
    tags = map_of(description="List resources by tags (key/value pairs)")
    details = list_of(
        StringKind(),
        description="comma separated list of vm details requested, value can be a list of [all, group, nics, stats, secgrp, tmpl, servoff, diskoff, backoff, iso, volume, min, affgrp]. If no parameter is passed in, the details will be defaulted to all",
    )
    userdata = boolean(
        description="Whether to return the VMs' user data or not. By default, user data will not be returned.",
        since="4.18.0.0",
    )
    includedestroyed = boolean(
        description="Alto extension: also list VMs destroyed (Destroyed, Expunging or expunged) "
        "less than destroyed.vm.view.duration seconds ago, to every caller, and none destroyed "
        "longer ago or that never ran (the EC2 API's terminated instances)"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        if self.hostid is not None and not ctx.caller.is_root_admin:
            raise PermissionDenied("Parameter hostid can only be specified by a Root Admin")
        ids = [vm.id for vm in self.ids] if self.ids else None
        if self.id is not None:
            ids = [self.id.id]
        owner = self.owner_clause(ctx) if ids is None else accounts_clause(ctx.caller)
        where = VmFilter(
            ids=ids,
            state=None if self.state in (None, "Present") else self.state,
            zone_id=None if self.zoneid is None else self.zoneid.id,
            host_id=None if self.hostid is None else self.hostid.id,
            pod_id=None if self.podid is None else self.podid.id,
            name=self.name,
            keyword=self.keyword,
            template_id=None if self.templateid is None else self.templateid.id,
            iso_id=None if self.isoid is None else self.isoid.id,
            offering_id=None if self.serviceofferingid is None else self.serviceofferingid.id,
            group_id=None if self.affinitygroupid is None else self.affinitygroupid.id,
            ha_enabled=self.haenable,
            display_vm=self.displayvm,
            network_id=None if self.networkid is None else self.networkid.id,
            tags={entry.get("key", ""): entry.get("value") for entry in self.tags or []},
        )
        query = vm_listing.list_query(
            ctx.session,
            ctx.runtime,
            caller=ctx.caller,
            owner=owner,
            where=where,
            include_destroyed=bool(self.includedestroyed),
        )
        if self.state == "Present":
            query = query.where(VirtualMachine.state.not_in(vm_listing.HIDDEN_FROM_USERS))
        rows, count = self.page_of_query(ctx, query, VirtualMachine.id)
        groups = {group.strip().lower() for group in self.details or []}
        return ListResult(
            VmResponse.page(
                ctx.session,
                rows,
                caller=ctx.caller,
                groups=groups,
                show_userdata=bool(self.userdata),
            ),
            count,
        )
