"""listCapabilities: what this cloud offers, as CloudStack clients and UIs read it."""

from __future__ import annotations

from native.api.command import ALL_ROLES, Command, CommandContext
from native.api.responses import Field, ResponseObject


class CapabilitiesResponse(ResponseObject, object_name="capability"):
    cloudstackversion = Field("version of the cloud stack")
    securitygroupsenabled = Field(
        "true if security groups support is enabled, false otherwise", type="boolean"
    )
    userpublictemplateenabled = Field(
        "true if user and domain admins can set templates to be shared, false otherwise",
        type="boolean",
    )
    supportELB = Field("true if region supports elastic load balancer on basic zones")
    projectinviterequired = Field(
        "If invitation confirmation is required when add account to project", type="boolean"
    )
    allowusercreateprojects = Field(
        "true if regular user is allowed to create projects", type="boolean"
    )
    customdiskofferingminsize = Field(
        "minimum size that can be specified when create disk from disk offering with custom size",
        type="long",
    )
    customdiskofferingmaxsize = Field(
        "maximum size that can be specified when create disk from disk offering with custom size",
        type="long",
    )
    allowuserviewdestroyedvm = Field(
        "true if the user is allowed to view destroyed virtualmachines, false otherwise",
        type="boolean",
    )
    allowuserexpungerecovervm = Field(
        "true if the user can recover and expunge virtualmachines, false otherwise", type="boolean"
    )
    dynamicrolesenabled = Field(
        "true if dynamic role-based api checker is enabled, false otherwise", type="boolean"
    )
    kvmsnapshotenabled = Field(
        "true if snapshot is supported for KVM host, false otherwise", type="boolean"
    )
    regionsecondaryenabled = Field(
        "true if region wide secondary is enabled, false otherwise", type="boolean"
    )
    kubernetesserviceenabled = Field(
        "true if Kubernetes Service plugin is enabled, false otherwise", type="boolean"
    )


class ListCapabilities(
    Command,
    api="listCapabilities",
    response=CapabilitiesResponse,
    authorized=ALL_ROLES,
    since="1.0",
):
    """Lists capabilities

    Settings that can be overridden per account or domain are read at the caller's.
    """

    def execute(self, ctx: CommandContext) -> CapabilitiesResponse:
        settings, session, caller = ctx.runtime.settings, ctx.session, ctx.caller
        mine = {"account_id": caller.account_id, "domain_id": caller.domain_id}
        return CapabilitiesResponse(
            cloudstackversion=ctx.runtime.version,
            securitygroupsenabled=False,
            userpublictemplateenabled=True,
            supportELB="false",
            projectinviterequired=False,
            allowusercreateprojects=settings.get(session, "allow.user.create.projects", **mine),
            customdiskofferingminsize=settings.get(session, "custom.diskoffering.size.min", **mine),
            customdiskofferingmaxsize=settings.get(session, "custom.diskoffering.size.max", **mine),
            allowuserviewdestroyedvm=settings.get(session, "allow.user.view.destroyed.vm", **mine),
            allowuserexpungerecovervm=settings.get(
                session, "allow.user.expunge.recover.vm", **mine
            ),
            dynamicrolesenabled=True,
            kvmsnapshotenabled=False,
            regionsecondaryenabled=False,
            kubernetesserviceenabled=False,
        )
