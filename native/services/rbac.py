"""Role-based access: ordered allow/deny rules per role, matched against command names."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from native.model import RolePermission

ALLOW = "ALLOW"
DENY = "DENY"


def rule_matches(rule: str, command: str) -> bool:
    """Whether a rule (a command name, optionally with `*` wildcards) names the command."""
    return fnmatch.fnmatchcase(command.lower(), rule.lower())


def valid_rule(rule: str) -> bool:
    """Rules are command names with letters, digits and `*` wildcards only."""
    return bool(rule) and all(char.isalnum() or char == "*" for char in rule)


def first_matching_permission(rules: Iterable[tuple[str, str]], command: str) -> str | None:
    """The permission of the first (rule, permission) pair, in order, whose rule matches the
    command; None if none does."""
    for rule, permission in rules:
        if rule_matches(rule, command):
            return permission
    return None


def ordered_rules(session: Session, role_id: int) -> list[RolePermission]:
    """A role's rules in evaluation order."""
    return list(
        session.scalars(
            select(RolePermission)
            .where(RolePermission.role_id == role_id)
            .order_by(RolePermission.sort_order, RolePermission.id)
        )
    )


_RULES_OF_ROLE = (
    select(RolePermission.rule, RolePermission.permission)
    .where(RolePermission.role_id == bindparam("role_id"))
    .order_by(RolePermission.sort_order, RolePermission.id)
)


def rule_pairs(session: Session, role_id: int) -> list[tuple[str, str]]:
    """A role's (rule, permission) pairs in evaluation order.

    This runs on every call, and a role can hold hundreds of rules: the statement is built
    once and reads pairs, not rows.
    """
    return [
        (rule, permission)
        for rule, permission in session.execute(_RULES_OF_ROLE, {"role_id": role_id})
    ]


def role_allows(session: Session, role_id: int, command: str) -> bool:
    """The first matching rule decides; a command no rule matches is denied."""
    return first_matching_permission(rule_pairs(session, role_id), command) == ALLOW
