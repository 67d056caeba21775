"""Load balancer policy commands: createLBStickinessPolicy, listLBStickinessPolicies,
updateLBStickinessPolicy, deleteLBStickinessPolicy, and the same four for health checks
(createLBHealthCheckPolicy…).

Answers group a rule's policies as CloudStack does: a `stickinesspolicies` object (or
`healthcheckpolicies`) naming the rule, with its `stickinesspolicy` (`healthcheckpolicy`)
list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand
from native.api.commands.load_balancers import display_flag, visible_lb_rule
from native.api.params import boolean, integer, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, LbHealthCheckPolicy, LbStickinessPolicy, NetworkRule
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.network import lb_policies
from native.services.network.lb_policies import Policy
from native.services.network.load_balancers import REVOKE


def visible_policy(session: Session, caller: Caller, policy: Policy) -> bool:
    """A policy of a load balancer rule the caller may see."""
    rule = session.get(NetworkRule, policy.rule_id)
    return rule is not None and visible_lb_rule(session, caller, rule)


class StickinessPolicyResponse(ResponseObject, object_name="stickinesspolicy"):
    id = Field("the LB Stickiness policy ID")
    name = Field("the name of the Stickiness policy")
    methodname = Field("the method name of the Stickiness policy")
    description = Field("the description of the Stickiness policy")
    state = Field("the state of the policy")
    fordisplay = Field("is policy for display to the regular user", type="boolean", since="4.4")
    params = Field("the params of the policy", type="map")

    @classmethod
    def of(cls, policy: LbStickinessPolicy, *, caller: Caller) -> StickinessPolicyResponse:
        return cls(
            id=policy.uuid,
            name=policy.name,
            methodname=policy.method,
            description=policy.description,
            state="Revoked" if policy.state == REVOKE else None,
            fordisplay=policy.display if caller.is_root_admin else None,
            params=json.loads(policy.params),
        )


class HealthCheckPolicyResponse(ResponseObject, object_name="healthcheckpolicy"):
    id = Field("the LB HealthCheck policy ID")
    pingpath = Field("the pingpath  of the healthcheck policy")
    description = Field("the description of the healthcheck policy")
    state = Field("the state of the policy")
    responsetime = Field(
        "Time to wait when receiving a response from the health check", type="integer"
    )
    healthcheckinterval = Field("Amount of time between health checks", type="integer")
    healthcheckthresshold = Field(
        "Number of consecutive health check success before declaring an instance healthy",
        type="integer",
    )
    unhealthcheckthresshold = Field(
        "Number of consecutive health check failures before declaring an instance unhealthy.",
        type="integer",
    )
    fordisplay = Field("is policy for display to the regular user", type="boolean", since="4.4")

    @classmethod
    def of(cls, policy: LbHealthCheckPolicy, *, caller: Caller) -> HealthCheckPolicyResponse:
        return cls(
            id=policy.uuid,
            pingpath=policy.ping_path,
            description=policy.description,
            state="Revoked" if policy.state == REVOKE else None,
            responsetime=policy.response_time,
            healthcheckinterval=policy.interval,
            healthcheckthresshold=policy.healthy_threshold,
            unhealthcheckthresshold=policy.unhealthy_threshold,
            fordisplay=policy.display if caller.is_root_admin else None,
        )


def _owner_fields(session: Session, rule: NetworkRule) -> dict[str, object]:
    account = session.get(Account, rule.account_id)
    assert account is not None
    return {
        "lbruleid": rule.uuid,
        "account": account.name,
        "domainid": account.domain.uuid,
        "domain": account.domain.name,
    }


class StickinessResponse(ResponseObject, object_name="stickinesspolicies"):
    lbruleid = Field("the LB rule ID")
    account = Field("the account of the Stickiness policy")
    domainid = Field("the domain ID of the Stickiness policy")
    domain = Field("the domain of the Stickiness policy")
    stickinesspolicy = Field("the list of stickinesspolicies", of=StickinessPolicyResponse)

    @classmethod
    def of(
        cls, ctx: CommandContext, rule: NetworkRule, policies: Sequence[Policy]
    ) -> StickinessResponse:
        return cls(
            **_owner_fields(ctx.session, rule),
            stickinesspolicy=[
                StickinessPolicyResponse.of(p, caller=ctx.caller)
                for p in policies
                if isinstance(p, LbStickinessPolicy)
            ],
        )


class HealthCheckResponse(ResponseObject, object_name="healthcheckpolicies"):
    lbruleid = Field("the LB rule ID")
    account = Field("the account of the HealthCheck policy")
    domainid = Field("the domain ID of the HealthCheck policy")
    domain = Field("the domain of the HealthCheck policy")
    healthcheckpolicy = Field("the list of healthcheckpolicies", of=HealthCheckPolicyResponse)

    @classmethod
    def of(
        cls, ctx: CommandContext, rule: NetworkRule, policies: Sequence[Policy]
    ) -> HealthCheckResponse:
        return cls(
            **_owner_fields(ctx.session, rule),
            healthcheckpolicy=[
                HealthCheckPolicyResponse.of(p, caller=ctx.caller)
                for p in policies
                if isinstance(p, LbHealthCheckPolicy)
            ],
        )


def _policy_by_uuid(ctx: CommandContext, model: type[Policy], uuid: str | None) -> Policy:
    """The policy an async create stored (431 if it was deleted meanwhile)."""
    policy = ctx.session.scalars(select(model).where(model.uuid == uuid)).first()
    if not isinstance(policy, LbStickinessPolicy | LbHealthCheckPolicy):
        raise InvalidParameterValue(f"Unable to find the policy {uuid}")
    return policy


class CreateLBStickinessPolicy(
    Command,
    api="createLBStickinessPolicy",
    is_async=True,
    response=StickinessResponse,
    authorized=ALL_ROLES,
    event="LB.STICKINESSPOLICY.CREATE",
    since="3.0.0",
):
    """Creates a load balancer stickiness policy

    `methodname` is LbCookie, AppCookie or SourceBased; `param` takes that method's
    parameters (`param[0].name=cookie-name&param[0].value=session`). A rule has one.
    """

    lbruleid = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    ).required()
    description = string(description="the description of the load balancer stickiness policy")
    name = string(description="name of the load balancer stickiness policy").required()
    methodname = string(
        description="name of the load balancer stickiness policy method, possible values can be "
        "obtained from listNetworks API"
    ).required()
    param = map_of(
        description="param list. Example: param[0].name=cookiename&param[0].value=LBCookie "
    )
    fordisplay = boolean(
        description="an optional field, whether to the display the rule to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> str:
        policy = lb_policies.create_stickiness(
            ctx.session,
            rule=self.lbruleid,
            spec=lb_policies.NewStickiness(
                name=self.name,
                method=self.methodname,
                params=self.param,
                description=self.description,
                display=display_flag(ctx, self.fordisplay),
            ),
        )
        return policy.uuid

    def execute(self, ctx: CommandContext) -> StickinessResponse:
        policy = _policy_by_uuid(ctx, LbStickinessPolicy, ctx.instance_id)
        lb_policies.activate(ctx.session, ctx.runtime, policy=policy)
        return StickinessResponse.of(ctx, self.lbruleid, [policy])


class CreateLBHealthCheckPolicy(
    Command,
    api="createLBHealthCheckPolicy",
    is_async=True,
    response=HealthCheckResponse,
    authorized=ALL_ROLES,
    event="LB.HEALTHCHECKPOLICY.CREATE",
    since="4.2.0",
):
    """Creates a load balancer health check policy

    An HTTP GET of `pingpath` (a TCP connect without it) every `intervaltime` seconds
    (default 5, 1 to 20940), answered within `responsetimeout` (default 2, 2 to 60); a
    member is up after `healthythreshold` (2) good checks, down after `unhealthythreshold`
    (10) failed ones (both 1 to 10). A rule has one.
    """

    lbruleid = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    ).required()
    description = string(description="the description of the load balancer health check policy")
    pingpath = string(description="HTTP ping path")
    responsetimeout = integer(
        description="Time to wait when receiving a response from the health check (2sec - 60 sec)"
    )
    intervaltime = integer(description="Amount of time between health checks (1 sec - 20940 sec)")
    healthythreshold = integer(
        description="Number of consecutive health check success before declaring an instance "
        "healthy"
    )
    unhealthythreshold = integer(
        description="Number of consecutive health check failures before declaring an instance "
        "unhealthy"
    )
    fordisplay = boolean(
        description="an optional field, whether to the display the rule to the end user or not",
        since="4.4",
    )

    def create(self, ctx: CommandContext) -> str:
        policy = lb_policies.create_health_check(
            ctx.session,
            rule=self.lbruleid,
            spec=lb_policies.NewHealthCheck(
                ping_path=self.pingpath,
                description=self.description,
                response_time=self.responsetimeout,
                interval=self.intervaltime,
                healthy=self.healthythreshold,
                unhealthy=self.unhealthythreshold,
                display=display_flag(ctx, self.fordisplay),
            ),
        )
        return policy.uuid

    def execute(self, ctx: CommandContext) -> HealthCheckResponse:
        policy = _policy_by_uuid(ctx, LbHealthCheckPolicy, ctx.instance_id)
        lb_policies.activate(ctx.session, ctx.runtime, policy=policy)
        return HealthCheckResponse.of(ctx, self.lbruleid, [policy])


def _listed(
    ctx: CommandContext,
    model: type[Policy],
    *,
    rule: NetworkRule | None,
    policy: Policy | None,
    display: bool | None,
) -> tuple[NetworkRule, list[Policy]]:
    """The rule (named, or the policy's) and its policies a list shows; 431 if neither is
    named or they do not match."""
    if policy is not None:
        owner = lb_policies.rule_of(ctx.session, policy=policy)
        if rule is not None and rule.id != owner.id:
            raise InvalidParameterValue(
                f"Policy {policy.uuid} does not belong to load balancer rule {rule.uuid}"
            )
        rule = owner
    if rule is None:
        raise InvalidParameterValue("Give the load balancer rule ID (lbruleid) or the policy ID")
    shown = display if ctx.caller.is_root_admin else True
    policies = lb_policies.listed(ctx.session, model, rule=rule, display=shown)
    return rule, [found for found in policies if policy is None or found.id == policy.id]


class ListLBStickinessPolicies(
    ListCommand,
    api="listLBStickinessPolicies",
    response=StickinessResponse,
    authorized=ALL_ROLES,
    since="3.0.0",
):
    """Lists load balancer stickiness policies.

    Name the rule (`lbruleid`) or the policy (`id`); the answer is one `stickinesspolicies`
    object for the rule.
    """

    lbruleid = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    )
    id = uuid_of(
        LbStickinessPolicy,
        visible=visible_policy,
        description="the ID of the load balancer stickiness policy",
        since="4.4",
    )
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        rule, policies = _listed(
            ctx, LbStickinessPolicy, rule=self.lbruleid, policy=self.id, display=self.fordisplay
        )
        return ListResult([StickinessResponse.of(ctx, rule, policies)], 1)


class ListLBHealthCheckPolicies(
    ListCommand,
    api="listLBHealthCheckPolicies",
    response=HealthCheckResponse,
    authorized=ALL_ROLES,
    since="4.2.0",
):
    """Lists load balancer health check policies.

    Name the rule (`lbruleid`) or the policy (`id`); the answer is one `healthcheckpolicies`
    object for the rule.
    """

    lbruleid = uuid_of(
        NetworkRule, visible=visible_lb_rule, description="the ID of the load balancer rule"
    )
    id = uuid_of(
        LbHealthCheckPolicy,
        visible=visible_policy,
        description="the ID of the health check policy",
        since="4.4",
    )
    fordisplay = boolean(
        description="list resources by display flag; only ROOT admin is eligible to pass this "
        "parameter",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        rule, policies = _listed(
            ctx, LbHealthCheckPolicy, rule=self.lbruleid, policy=self.id, display=self.fordisplay
        )
        return ListResult([HealthCheckResponse.of(ctx, rule, policies)], 1)


class UpdateLBStickinessPolicy(
    Command,
    api="updateLBStickinessPolicy",
    is_async=True,
    response=StickinessResponse,
    authorized=ALL_ROLES,
    event="LB.STICKINESSPOLICY.UPDATE",
    since="4.4",
):
    """Updates load balancer stickiness policy

    Only `fordisplay` (root admins) changes; the router is not touched.
    """

    id = uuid_of(
        LbStickinessPolicy, visible=visible_policy, description="id of lb stickiness policy"
    ).required()
    fordisplay = boolean(
        description="an optional field, whether to the display the policy to the end user or not",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> StickinessResponse:
        if self.fordisplay is not None and ctx.caller.is_root_admin:
            self.id.display = self.fordisplay
        return StickinessResponse.of(
            ctx, lb_policies.rule_of(ctx.session, policy=self.id), [self.id]
        )


class UpdateLBHealthCheckPolicy(
    Command,
    api="updateLBHealthCheckPolicy",
    is_async=True,
    response=HealthCheckResponse,
    authorized=ALL_ROLES,
    event="LB.HEALTHCHECKPOLICY.UPDATE",
    since="4.4",
):
    """Updates load balancer health check policy

    Only `fordisplay` (root admins) changes; the router is not touched.
    """

    id = uuid_of(
        LbHealthCheckPolicy,
        visible=visible_policy,
        description="ID of load balancer health check policy",
    ).required()
    fordisplay = boolean(
        description="an optional field, whether to the display the policy to the end user or not",
        since="4.4",
    )

    def execute(self, ctx: CommandContext) -> HealthCheckResponse:
        if self.fordisplay is not None and ctx.caller.is_root_admin:
            self.id.display = self.fordisplay
        return HealthCheckResponse.of(
            ctx, lb_policies.rule_of(ctx.session, policy=self.id), [self.id]
        )


class DeleteLBStickinessPolicy(
    Command,
    api="deleteLBStickinessPolicy",
    is_async=True,
    authorized=ALL_ROLES,
    event="LB.STICKINESSPOLICY.DELETE",
    since="3.0.0",
):
    """Deletes a load balancer stickiness policy."""

    id = uuid_of(
        LbStickinessPolicy,
        visible=visible_policy,
        description="the ID of the LB stickiness policy",
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        lb_policies.remove(ctx.session, ctx.runtime, policy=self.id)
        return SuccessResult()


class DeleteLBHealthCheckPolicy(
    Command,
    api="deleteLBHealthCheckPolicy",
    is_async=True,
    authorized=ALL_ROLES,
    event="LB.HEALTHCHECKPOLICY.DELETE",
    since="4.2.0",
):
    """Deletes a load balancer health check policy."""

    id = uuid_of(
        LbHealthCheckPolicy,
        visible=visible_policy,
        description="the ID of the load balancer health check policy",
    ).required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        lb_policies.remove(ctx.session, ctx.runtime, policy=self.id)
        return SuccessResult()
