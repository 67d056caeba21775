"""Roles and their ordered permission rules (CloudStack's dynamic roles).

Built-in roles (`is_default`) are seeded at first start and never change: neither their
name, description and type nor their rules. A role still held by a live account cannot
be deleted.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from native.model import Account, Role, RolePermission, utcnow
from native.services.caller import Caller, RoleType
from native.services.errors import InvalidParameterValue, PermissionDenied, ResourceInUse
from native.services.rbac import ALLOW, DENY, ordered_rules, valid_rule
from native.services.visibility import can_see_role


def parse_role_type(text: str) -> RoleType:
    """A role type from its wire name (`Admin`, `DomainAdmin`, `User`; any case)."""
    for role_type in RoleType:
        if role_type.value.lower() == text.strip().lower():
            return role_type
    raise InvalidParameterValue(
        f"Invalid role type {text!r} for parameter type; valid types are: "
        f"{', '.join(role_type.value for role_type in RoleType)}"
    )


def parse_permission(text: str) -> str:
    """`allow` or `deny` (any case) as the stored ALLOW/DENY."""
    lowered = text.strip().lower()
    if lowered == "allow":
        return ALLOW
    if lowered == "deny":
        return DENY
    raise InvalidParameterValue(
        f"Invalid value {text!r} for parameter permission: it should be allow or deny"
    )


def visible_roles(
    session: Session,
    *,
    caller: Caller,
    name: str | None = None,
    role_type: RoleType | None = None,
    keyword: str | None = None,
) -> list[Role]:
    """Live roles the caller may see (at or below its privilege), oldest first."""
    query = select(Role).where(Role.removed.is_(None)).order_by(Role.id)
    if name is not None:
        query = query.where(func.lower(Role.name) == name.lower())
    if role_type is not None:
        query = query.where(Role.role_type == role_type.value)
    if keyword:
        query = query.where(Role.name.contains(keyword, autoescape=True))
    return [role for role in session.scalars(query) if can_see_role(caller, role)]


def _check_name(session: Session, name: str, *, exclude_id: int | None = None) -> None:
    if not name.strip():
        raise InvalidParameterValue("Invalid value for parameter name: a role name cannot be empty")
    clash = select(Role.id).where(
        Role.removed.is_(None), func.lower(Role.name) == name.strip().lower()
    )
    if exclude_id is not None:
        clash = clash.where(Role.id != exclude_id)
    if session.scalars(clash).first() is not None:
        raise InvalidParameterValue(
            f"Invalid value for parameter name: a role named {name} already exists"
        )


def _check_changeable(role: Role) -> None:
    if role.is_default:
        raise PermissionDenied(
            f"The built-in role {role.name} ({role.uuid}) and its permissions cannot be changed"
        )


def _accounts_using(session: Session, role: Role) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.role_id == role.id, Account.removed.is_(None))
        )
        or 0
    )


def create_role(
    session: Session,
    *,
    name: str,
    role_type: RoleType | None,
    template: Role | None,
    description: str | None,
) -> Role:
    """A new role of `role_type`, or a copy of `template`'s type and rules (exactly one is given)."""
    if template is not None:
        if role_type is not None:
            raise InvalidParameterValue(
                "Only one of the type and roleid parameters may be specified"
            )
        kind = template.role_type
    elif role_type is not None:
        kind = role_type.value
    else:
        raise InvalidParameterValue("Either the type or the roleid parameter must be specified")
    _check_name(session, name)
    role = Role(name=name.strip(), role_type=kind, description=description, is_default=False)
    session.add(role)
    session.flush()
    if template is not None:
        for order, rule in enumerate(ordered_rules(session, template.id)):
            session.add(
                RolePermission(
                    role_id=role.id,
                    rule=rule.rule,
                    permission=rule.permission,
                    description=rule.description,
                    sort_order=order,
                )
            )
        session.flush()
    return role


def update_role(
    session: Session,
    *,
    role: Role,
    name: str | None,
    role_type: RoleType | None,
    description: str | None,
) -> Role:
    """Rename, retype (only while no live account holds it) or re-describe a custom role."""
    _check_changeable(role)
    if name is not None:
        _check_name(session, name, exclude_id=role.id)
        role.name = name.strip()
    if role_type is not None and role_type.value != role.role_type:
        if _accounts_using(session, role):
            raise ResourceInUse(
                f"Cannot change the type of role {role.name}: accounts still use it",
                uuids=[role.uuid],
            )
        role.role_type = role_type.value
    if description is not None:
        role.description = description
    session.flush()
    return role


def delete_role(session: Session, *, role: Role) -> None:
    """Remove a custom role and its rules; refused while any live account holds it."""
    if role.is_default:
        raise PermissionDenied(f"The built-in role {role.name} ({role.uuid}) cannot be deleted")
    in_use = _accounts_using(session, role)
    if in_use:
        raise ResourceInUse(
            f"Role {role.name} ({role.uuid}) is in use by {in_use} account(s) and cannot be deleted",
            uuids=[role.uuid],
        )
    session.execute(delete(RolePermission).where(RolePermission.role_id == role.id))
    role.removed = utcnow()
    session.flush()


def add_permission(
    session: Session, *, role: Role, rule: str, permission: str, description: str | None
) -> RolePermission:
    """Append a rule at the end of the role's evaluation order."""
    _check_changeable(role)
    rule = rule.strip()
    if not valid_rule(rule):
        raise InvalidParameterValue(
            f"Invalid value {rule!r} for parameter rule: use an API name, optionally with * wildcards"
        )
    existing = ordered_rules(session, role.id)
    if any(other.rule.lower() == rule.lower() for other in existing):
        raise InvalidParameterValue(f"Role {role.name} already has a rule for {rule}")
    last = max((other.sort_order for other in existing), default=-1)
    added = RolePermission(
        role_id=role.id,
        rule=rule,
        permission=parse_permission(permission),
        description=description,
        sort_order=last + 1,
    )
    session.add(added)
    session.flush()
    return added


def reorder_permissions(session: Session, *, role: Role, order: list[RolePermission]) -> None:
    """Put the role's rules in `order`, which must list each of them exactly once."""
    _check_changeable(role)
    current = {rule.id for rule in ordered_rules(session, role.id)}
    given = [rule.id for rule in order]
    if len(set(given)) != len(given) or set(given) != current:
        raise InvalidParameterValue(
            f"Invalid value for parameter ruleorder: it must list each of the {len(current)} "
            f"rule id(s) of role {role.name} exactly once"
        )
    for position, rule in enumerate(order):
        rule.sort_order = position
    session.flush()


def update_permissions(
    session: Session,
    *,
    role: Role,
    order: list[RolePermission] | None,
    rule: RolePermission | None,
    permission: str | None,
) -> None:
    """updateRolePermission: either a new `order` of all rules, or one `rule`'s `permission`."""
    if order is not None:
        if rule is not None or permission is not None:
            raise InvalidParameterValue(
                "Parameters permission and ruleid must be mutually exclusive with ruleorder"
            )
        reorder_permissions(session, role=role, order=order)
    elif rule is not None and permission is not None:
        set_permission(session, role=role, rule=rule, permission=permission)
    else:
        raise InvalidParameterValue(
            "Either ruleorder, or ruleid together with permission, must be specified"
        )


def set_permission(session: Session, *, role: Role, rule: RolePermission, permission: str) -> None:
    """Change one rule of the role to allow or deny."""
    _check_changeable(role)
    if rule.role_id != role.id:
        raise InvalidParameterValue(
            f"Invalid value {rule.uuid} for parameter ruleid: it is not a rule of role {role.name}"
        )
    rule.permission = parse_permission(permission)
    session.flush()


def delete_permission(session: Session, *, rule: RolePermission) -> None:
    """Remove one rule of a custom role."""
    _check_changeable(rule.role)
    session.delete(rule)
    session.flush()


def permissions(session: Session, *, role: Role | None) -> list[RolePermission]:
    """One role's rules in evaluation order, or every live role's, role by role."""
    if role is not None:
        return ordered_rules(session, role.id)
    return list(
        session.scalars(
            select(RolePermission)
            .join(Role, RolePermission.role_id == Role.id)
            .where(Role.removed.is_(None))
            .order_by(Role.id, RolePermission.sort_order, RolePermission.id)
        )
    )
