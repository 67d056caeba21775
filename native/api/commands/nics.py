"""The `nic` response object (NICs of VMs) and listNics. (The commands that change a
VM's NICs answer with the VM, so they live with the network commands: the VM response
itself needs `NicResponse`.)"""

from __future__ import annotations

from sqlalchemy import select

from native.api.command import ALL_ROLES, CommandContext, ListCommand
from native.api.params import uuid_of
from native.api.responses import Field, ListResult, ResponseObject
from native.api.visible import anyone
from native.model import Network, Nic, VirtualMachine


class NicResponse(ResponseObject, object_name="nic"):
    id = Field("the ID of the nic")
    networkid = Field("the ID of the corresponding network")
    networkname = Field("the name of the corresponding network")
    netmask = Field("the netmask of the nic")
    gateway = Field("the gateway of the nic")
    ipaddress = Field("the ip address of the nic")
    isolationuri = Field("the isolation uri of the nic")
    broadcasturi = Field("the broadcast uri of the nic")
    traffictype = Field("the traffic type of the nic")
    type = Field("the type of the nic")
    isdefault = Field("true if nic is default, false otherwise", type="boolean")
    macaddress = Field("true if nic is default, false otherwise")
    deviceid = Field("device id for the network when plugged into the virtual machine")
    virtualmachineid = Field("Id of the vm to which the nic belongs")
    secondaryip = Field("the Secondary ipv4 addr of nic", type="list")
    extradhcpoption = Field("the extra dhcp options on the nic", type="list")

    @classmethod
    def of(cls, nic: Nic, network: Network, *, vm_uuid: str | None) -> NicResponse:
        uri = None if network.vlan is None else f"vlan://{network.vlan}"
        return cls(
            id=nic.uuid,
            networkid=network.uuid,
            networkname=network.name,
            netmask=network.netmask,
            gateway=network.gateway,
            ipaddress=nic.ip4_address,
            isolationuri=uri,
            broadcasturi=uri,
            traffictype=network.traffic_type,
            type=network.guest_type,
            isdefault=nic.is_default,
            macaddress=nic.mac_address,
            deviceid=str(nic.device_id),
            virtualmachineid=vm_uuid,
            secondaryip=[],
            extradhcpoption=[],
        )


class ListNics(ListCommand, api="listNics", response=NicResponse, authorized=ALL_ROLES):
    """list the vm nics  IP to NIC"""

    virtualmachineid = uuid_of(VirtualMachine, description="the ID of the vm").required()
    nicid = uuid_of(Nic, visible=anyone, description="the ID of the nic to to list IPs")
    networkid = uuid_of(
        Network, visible=anyone, description="list nic of the specific vm's network"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        vm = self.virtualmachineid
        query = (
            select(Nic, Network)
            .join(Network, Nic.network_id == Network.id)
            .where(Nic.vm_id == vm.id)
        )
        if self.nicid is not None:
            query = query.where(Nic.id == self.nicid.id)
        if self.networkid is not None:
            query = query.where(Nic.network_id == self.networkid.id)
        rows = ctx.session.execute(query.order_by(Nic.device_id)).all()
        page = self.page_of_items(ctx, rows)
        return ListResult(
            [NicResponse.of(nic, network, vm_uuid=vm.uuid) for nic, network in page], len(rows)
        )
