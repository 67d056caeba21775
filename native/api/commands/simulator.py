"""Simulator commands: configureSimulator."""

from __future__ import annotations

from native.api.command import Command, CommandContext
from native.api.params import integer, string, uuid_of
from native.api.responses import SuccessResult
from native.model import Cluster, Host, Pod, Zone
from native.services.infrastructure import hosts


class ConfigureSimulator(Command, api="configureSimulator", entity_type="Host", since="4.0.0"):
    """configure simulator

    Changes the behaviour of one simulator host: name `host` with value `down` or `up`
    takes it off or back on line; an operation name (start, stop, migrate…, or all) with
    value fail, fail:P, delay:S or ok injects failures or delays.
    """

    hostid = uuid_of(Host, description="configure host").required()
    name = string(description="which command needs to be configured").required()
    value = string(
        description="configuration options for this command, which is separated by ;"
    ).required()
    zoneid = uuid_of(Zone, description="configure range: in a zone")
    podid = uuid_of(Pod, description="configure range: in a pod")
    clusterid = uuid_of(Cluster, description="configure range: in a cluster")
    count = integer(description="number of times the mock is active")

    def execute(self, ctx: CommandContext) -> SuccessResult:
        hosts.configure_host(ctx.runtime, host=self.hostid, operation=self.name, value=self.value)
        return SuccessResult()
