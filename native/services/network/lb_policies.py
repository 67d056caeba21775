"""Stickiness and health check policies of load balancer rules.

A rule has at most one policy of each kind. Stickiness methods and their parameters are
those CloudStack's virtual router (haproxy) offers; every value is checked here, since it
ends up in the router's haproxy configuration. Flag parameters (`nocache`, `indirect`,
`postonly`, `request-learn`, `prefix`) are stored as `"true"` when set and left out when
given as `false`. A health check without `pingpath` is a TCP connect check.

Policies follow the rule lifecycle of `load_balancers`: stored `Add`, applied, `Active`;
removal sets `Revoke`, applies, deletes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from native.model import LbHealthCheckPolicy, LbStickinessPolicy, NetworkRule
from native.services.errors import InvalidParameterValue
from native.services.network import load_balancers
from native.services.network.defaults import STICKINESS_METHODS
from native.services.network.load_balancers import ACTIVE, ADD, REVOKE
from native.services.runtime import Runtime

Policy = LbStickinessPolicy | LbHealthCheckPolicy
Check = Callable[[str], bool]

FLAG = None
_TOKEN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_DOMAIN = re.compile(r"^\.?[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*$")
_PING_PATH = re.compile(r"^/[\x21-\x7e]{0,254}$")


def _matches(pattern: re.Pattern[str]) -> Check:
    return lambda value: bool(pattern.match(value))


def _one_of(*choices: str) -> Check:
    return lambda value: value in choices


def _number(units: str) -> Check:
    """Digits, followed by one of `units` when `units` is not empty (CloudStack's
    `containsOnlyNumbers`): `30m`, `200k`, `52`."""
    pattern = re.compile(rf"^[0-9]{{1,9}}[{units}]$" if units else r"^[0-9]{1,9}$")
    return _matches(pattern)


def _number_or_time(value: str) -> bool:
    return _number("")(value) or _number("dhms")(value)


STICKINESS_PARAMS: Mapping[str, Mapping[str, Check | None]] = {
    "LbCookie": {
        "cookie-name": _matches(_TOKEN),
        "mode": _one_of("insert", "rewrite", "prefix"),
        "nocache": FLAG,
        "indirect": FLAG,
        "postonly": FLAG,
        "domain": _matches(_DOMAIN),
    },
    "AppCookie": {
        "cookie-name": _matches(_TOKEN),
        "length": _number(""),
        "holdtime": _number_or_time,
        "request-learn": FLAG,
        "prefix": FLAG,
        "mode": _one_of("path-parameters", "query-string"),
    },
    "SourceBased": {"tablesize": _number("kmg"), "expire": _number("dhms")},
}
"""Each stickiness method's parameters: the check of a value, or FLAG for a flag."""


def stickiness_method(text: str) -> str:
    """The method named case-insensitively, in CloudStack's spelling; 431 otherwise."""
    for method in STICKINESS_METHODS:
        if method.lower() == text.strip().lower():
            return method
    raise InvalidParameterValue(
        f"Failed to match stickiness method name {text}: use one of {', '.join(STICKINESS_METHODS)}"
    )


def _flag_value(name: str, value: str | None) -> str | None:
    lowered = (value or "true").strip().lower() or "true"
    if lowered not in ("true", "false"):
        raise InvalidParameterValue(f"Invalid value {value} for flag param {name}: true or false")
    return "true" if lowered == "true" else None


def stickiness_params(method: str, entries: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    """The `param[i].name`/`param[i].value` map checked against the method's parameters.

    431 for a param the method does not take, one given twice, a missing or malformed
    value (flags excepted).
    """
    known = STICKINESS_PARAMS[method]
    params: dict[str, str] = {}
    for entry in entries or ():
        lowered = {key.lower(): value for key, value in entry.items()}
        name = (lowered.get("name") or "").strip().lower()
        value = lowered.get("value")
        if name not in known:
            raise InvalidParameterValue(
                f"Stickiness policy method {method} does not support param name {name or '?'}; "
                f"it takes {', '.join(known)}"
            )
        if name in params:
            raise InvalidParameterValue(f"Param {name} is given more than once")
        check = known[name]
        if check is FLAG:
            flag = _flag_value(name, value)
            if flag is not None:
                params[name] = flag
            continue
        if not value or not value.strip():
            raise InvalidParameterValue(f"Value expected for the param {name}")
        if not check(value.strip()):
            raise InvalidParameterValue(f"Invalid value {value} for param {name} of {method}")
        params[name] = value.strip()
    return params


def _check_rule(rule: NetworkRule) -> None:
    if rule.state == REVOKE:
        raise InvalidParameterValue(f"Load balancer rule {rule.uuid} is being deleted")


def _has_live(session: Session, model: type[Policy], *, rule_id: int) -> bool:
    found = session.scalar(
        select(model.id).where(model.rule_id == rule_id, model.state != REVOKE).limit(1)
    )
    return found is not None


@dataclass(frozen=True, kw_only=True)
class NewStickiness:
    name: str
    method: str
    params: Sequence[Mapping[str, str]] | None
    description: str | None
    display: bool


def create_stickiness(
    session: Session, *, rule: NetworkRule, spec: NewStickiness
) -> LbStickinessPolicy:
    """Store a stickiness policy of the rule (state `Add`); 431 for a bad method or param,
    or if the rule already has one."""
    _check_rule(rule)
    method = stickiness_method(spec.method)
    params = stickiness_params(method, spec.params)
    if _has_live(session, LbStickinessPolicy, rule_id=rule.id):
        raise InvalidParameterValue(
            f"Failed to create stickiness policy: load balancer rule {rule.uuid} already has one"
        )
    policy = LbStickinessPolicy(
        rule_id=rule.id,
        name=load_balancers.check_text(spec.name, what="name") or "",
        description=load_balancers.check_text(spec.description, what="description"),
        method=method,
        params=json.dumps(params, sort_keys=True),
        state=ADD,
        display=spec.display,
    )
    session.add(policy)
    session.flush()
    return policy


@dataclass(frozen=True, kw_only=True)
class NewHealthCheck:
    """createLBHealthCheckPolicy's values; None takes the default."""

    ping_path: str | None
    description: str | None
    response_time: int | None
    interval: int | None
    healthy: int | None
    unhealthy: int | None
    display: bool


HEALTH_LIMITS = {
    "responsetimeout": (2, 2, 60),
    "intervaltime": (5, 1, 20940),
    "healthythreshold": (2, 1, 10),
    "unhealthythreshold": (10, 1, 10),
}
"""Each health check number's (default, minimum, maximum)."""


def _bounded(name: str, value: int | None) -> int:
    default, low, high = HEALTH_LIMITS[name]
    if value is None:
        return default
    if not low <= value <= high:
        raise InvalidParameterValue(f"Invalid {name} {value}: it must be {low} to {high}")
    return value


def create_health_check(
    session: Session, *, rule: NetworkRule, spec: NewHealthCheck
) -> LbHealthCheckPolicy:
    """Store a health check of the rule (state `Add`); 431 for values out of range, an
    interval shorter than the response timeout, a malformed ping path, or if the rule
    already has one."""
    _check_rule(rule)
    response_time = _bounded("responsetimeout", spec.response_time)
    interval = _bounded("intervaltime", spec.interval)
    if response_time > interval:
        raise InvalidParameterValue(
            f"Failed to create HealthCheck policy: the interval ({interval} s) must not be "
            f"shorter than the response timeout ({response_time} s)"
        )
    path = spec.ping_path.strip() if spec.ping_path else None
    if path is not None and not _PING_PATH.match(path):
        raise InvalidParameterValue(
            f"Invalid pingpath {spec.ping_path}: an absolute HTTP path such as /health, "
            "without spaces"
        )
    if _has_live(session, LbHealthCheckPolicy, rule_id=rule.id):
        raise InvalidParameterValue(
            f"Failed to create HealthCheck policy: load balancer rule {rule.uuid} already has one"
        )
    policy = LbHealthCheckPolicy(
        rule_id=rule.id,
        description=load_balancers.check_text(spec.description, what="description"),
        ping_path=path,
        response_time=response_time,
        interval=interval,
        healthy_threshold=_bounded("healthythreshold", spec.healthy),
        unhealthy_threshold=_bounded("unhealthythreshold", spec.unhealthy),
        state=ADD,
        display=spec.display,
    )
    session.add(policy)
    session.flush()
    return policy


def rule_of(session: Session, *, policy: Policy) -> NetworkRule:
    """The LB rule a policy belongs to."""
    rule = session.get(NetworkRule, policy.rule_id)
    assert rule is not None
    return rule


def activate(session: Session, runtime: Runtime, *, policy: Policy) -> None:
    """Apply a policy stored `Add`, then make it `Active`; on a failed apply it is
    deleted again (534)."""
    model = type(policy)
    policy_id = policy.id

    def undo(undo_session: Session) -> None:
        undo_session.execute(delete(model).where(model.id == policy_id))

    load_balancers.apply(session, runtime, rule=rule_of(session, policy=policy), undo=undo)
    session.execute(
        update(model).where(model.id == policy_id, model.state == ADD).values(state=ACTIVE)
    )
    session.refresh(policy)


def remove(session: Session, runtime: Runtime, *, policy: Policy) -> None:
    """Revoke the policy, apply, then delete it; on a failed apply it stays (534)."""
    model = type(policy)
    policy_id, before = policy.id, policy.state
    policy.state = REVOKE
    session.flush()

    def undo(undo_session: Session) -> None:
        undo_session.execute(update(model).where(model.id == policy_id).values(state=before))

    load_balancers.apply(session, runtime, rule=rule_of(session, policy=policy), undo=undo)
    session.execute(delete(model).where(model.id == policy_id))


def listed(
    session: Session, model: type[Policy], *, rule: NetworkRule, display: bool | None
) -> list[Policy]:
    """The rule's policies of one kind that lists show (not being removed), optionally
    only those with the display flag `display`."""
    query = select(model).where(model.rule_id == rule.id, model.state != REVOKE)
    if display is not None:
        query = query.where(model.display.is_(display))
    return list(session.scalars(query.order_by(model.id)))
