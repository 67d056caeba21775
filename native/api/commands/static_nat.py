"""Static NAT commands: enableStaticNat, disableStaticNat."""

from __future__ import annotations

from native.api.command import ALL_ROLES, Command, CommandContext
from native.api.params import string, uuid_of
from native.api.responses import SuccessResult
from native.model import Network, PublicIpAddress, VirtualMachine
from native.services.errors import InvalidParameterValue
from native.services.network import public_ips


class EnableStaticNat(
    Command,
    api="enableStaticNat",
    authorized=ALL_ROLES,
    event="STATICNAT.ENABLE",
    entity_type="IpAddress",
    since="1.0",
):
    """Enables static NAT for given IP address

    All traffic to the public IP goes to the VM's address on the IP's network (for a VPC
    IP, on the tier `networkid` names or the VM is on), and the VM's traffic leaves from
    it. A portable IP that serves nothing where it is moves first to the VM's network or
    VPC (`networkid`'s, else the VM's default network's), in its zone. The router is
    configured before the command answers.
    """

    ipaddressid = uuid_of(
        PublicIpAddress,
        description="the public IP address ID for which static NAT feature is being enabled",
    ).required()
    virtualmachineid = uuid_of(
        VirtualMachine, description="the ID of the virtual machine for enabling static NAT feature"
    ).required()
    networkid = uuid_of(
        Network, description="The network of the VM the static NAT will be enabled for."
    )
    vmguestip = string(description="VM guest NIC secondary IP address for the port forwarding rule")

    def job_instance_id(self) -> str | None:
        return self.ipaddressid.uuid

    def execute(self, ctx: CommandContext) -> SuccessResult:
        public_ips.enable_static_nat(
            ctx.session,
            ctx.runtime,
            ip=self.ipaddressid,
            vm=self.virtualmachineid,
            network=self.networkid,
            guest_ip=self.vmguestip,
        )
        return SuccessResult()

    def event_description(self, result: object) -> str:
        return f"{self.summary()}: {self.ipaddressid.address} to {self.virtualmachineid.name}"


class DisableStaticNat(
    Command,
    api="disableStaticNat",
    is_async=True,
    authorized=ALL_ROLES,
    event="STATICNAT.DISABLE",
    entity_type="IpAddress",
    since="1.0",
):
    """Disables static rule for given IP address

    The IP's firewall rules are revoked with it, as in CloudStack.
    """

    ipaddressid = uuid_of(
        PublicIpAddress,
        description="the public IP address ID for which static NAT feature is being disabled",
    ).required()

    def job_instance_id(self) -> str | None:
        return self.ipaddressid.uuid

    def create(self, ctx: CommandContext) -> None:
        if not self.ipaddressid.is_static_nat:
            raise InvalidParameterValue(
                f"Static NAT is not enabled for IP address {self.ipaddressid.address}"
            )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        public_ips.disable_static_nat(ctx.session, ctx.runtime, ip=self.ipaddressid)
        return SuccessResult()
